"""``segment run --config X``: execute the notebooks for one config into a new run folder.

Order of work (each step's files land in the run folder's temporary name first):
1. ``run_pipeline`` computes everything once; the result is pickled to
   ``artifacts/result.pkl`` so every notebook draws the same numbers.
2. Tables: ``tiers.csv/.parquet`` (every method's tier per customer, CRM-ready),
   ``validation/*.csv`` (per-tier outcomes, leaderboard, ...).
3. Notebooks are executed by papermill with ``run_dir`` as a parameter, kept as
   ``notebooks/*.ipynb``, and converted to HTML: analyst versions with code, the
   leadership version without code (``--no-input``).
4. ``index.html`` links everything; ``manifest.json`` records input hashes, row counts,
   exclusions, parameters, package versions, git commit, start and end times.
5. The folder is renamed into place. A failing notebook stops the run (non-zero exit),
   the folder is kept as ``...-FAILED`` with the executed notebook showing the error.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import platform
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from segment.config import RunConfig
from segment.export import atomic_write, tiers_table, write_table
from segment.pipeline import PipelineResult, params_of, run_pipeline
from segment.runs import RunFolder

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOK_DIR = ROOT / "notebooks"

#: notebook stem -> (title, audience). Order is the order in index.html.
NOTEBOOKS: dict[str, tuple[str, str]] = {
    "leadership_summary": ("Leadership summary", "leadership"),
    "data_audit": ("Data audit", "analyst"),
    "grading_comparison": ("Grading comparison", "analyst"),
    "validation": ("Validation against churn and profit", "analyst"),
    "tuning": ("Weight tuning (out of time)", "analyst"),
}
PACKAGES = ["segment", "pandas", "numpy", "scipy", "duckdb", "ibis-framework", "scikit-learn", "statsmodels",
            "pandera", "papermill", "nbconvert", "matplotlib", "seaborn"]


class NotebookFailed(RuntimeError):
    """A report notebook raised; the message names the notebook and the failing cell."""


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None, "note": "not a git checkout"}


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def notebooks_for(config: RunConfig) -> list[str]:
    chosen = config.report.get("notebooks")
    names = list(chosen) if chosen else [n for n in NOTEBOOKS if n != "tuning" or config.tuning]
    unknown = [n for n in names if n not in NOTEBOOKS]
    if unknown:
        raise ValueError(f"{config.source}: report.notebooks has unknown notebook(s) {unknown}; known: {list(NOTEBOOKS)}")
    return names


def execute_notebook(name: str, run_tmp: Path, progress: Callable[[str], None]) -> Path:
    import papermill as pm

    out = run_tmp / "notebooks" / f"{name}.ipynb"
    out.parent.mkdir(exist_ok=True)
    try:
        pm.execute_notebook(
            str(NOTEBOOK_DIR / f"{name}.ipynb"),
            str(out),
            parameters={"run_dir": str(run_tmp)},
            kernel_name="python3",
            cwd=str(NOTEBOOK_DIR),
            progress_bar=False,
        )
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(
            f"notebook {name} failed in cell {exc.exec_count} ({exc.ename}: {exc.evalue}); "
            f"the executed notebook with the error is kept at {out}"
        ) from exc
    progress(f"executed {name}")
    return out


def to_html(notebook: Path, target: Path, *, with_code: bool) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    for i, cell in enumerate(nb.cells):  # papermill's injected cell gets a random id: make HTML reproducible
        cell["id"] = f"cell-{i}"
    exporter = HTMLExporter(exclude_input=not with_code, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    return atomic_write(target, lambda p: p.write_text(body, encoding="utf-8"))


def write_index(run_tmp: Path, config: RunConfig, pages: list[tuple[str, str, str]], files: list[Path]) -> Path:
    items = "\n".join(
        f'<li><a href="{html.escape(href)}">{html.escape(title)}</a> <small>({html.escape(aud)})</small></li>'
        for title, href, aud in pages
    )
    data_files = "\n".join(
        f'<li><a href="{html.escape(str(f.relative_to(run_tmp)))}">{html.escape(str(f.relative_to(run_tmp)))}</a></li>'
        for f in sorted(files)
    )
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>segment run: {html.escape(config.output_name)}</title></head><body>
<h1>segment run: {html.escape(config.output_name)}</h1>
<p>Grading date {html.escape(config.as_of)}, outcome horizon {config.horizon_days} days.
Config: {html.escape(Path(config.source).name)}.</p>
<h2>Reports</h2><ul>{items}</ul>
<h2>Tables</h2><ul>{data_files}</ul>
<p><a href="manifest.json">manifest.json</a> (inputs, parameters, versions, times)</p>
</body></html>"""
    return atomic_write(run_tmp / "index.html", lambda p: p.write_text(body, encoding="utf-8"))


def write_tables(result: PipelineResult, run_tmp: Path) -> list[Path]:
    files = write_table(tiers_table(result.assignments), run_tmp / "tiers")
    for name, table in result.validation.get("tables", {}).items():
        files += write_table(table, run_tmp / "validation" / name, parquet=False, index=False)
    if getattr(result, "tuning", None) is not None:  # weight tuning: tuning/*.csv and tuning/tuned_weights.yaml
        from segment.tuning import write_tuning

        files += write_tuning(result.tuning, run_tmp)
    return files


def manifest(result: PipelineResult, started: dt.datetime, finished: dt.datetime, notebooks: list[str]) -> dict[str, Any]:
    loaded = result.loaded
    return {
        "output_name": result.config.output_name,
        "config_file": result.config.source,
        "config": result.config.to_dict(),
        "method_parameters": params_of(result),
        "input": loaded.source,
        "rows_read": loaded.rows_read,
        "rows_excluded": loaded.excluded,
        "rows_changed": loaded.changed,
        "customers_graded": len(result.features),
        "grading_as_of": result.config.as_of,
        "validation_origin": result.origin,
        "customers_first_seen_after_origin": result.outcomes.attrs.get("customers_first_seen_after_as_of"),
        "assumptions": result.features.attrs.get("assumptions"),
        "notes": result.notes,
        "notebooks": notebooks,
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git": git_state(),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "timings_seconds": {k: round(v, 3) for k, v in result.timings.items()},
    }


def run_config(config_path: str | Path, reports_dir: str | Path = ROOT / "reports", *,
               progress: Callable[[str], None] = print) -> Path:
    """Execute one config into a new run folder and return its final path."""
    config = RunConfig.from_yaml(config_path)
    names = notebooks_for(config)
    started = dt.datetime.now()
    run = RunFolder(reports_dir, config.output_name)
    try:
        with run:
            progress(f"[segment] run {config.output_name}: working in {run.tmp}")
            result = run_pipeline(config, progress=lambda m: progress(f"[segment] {m}"))
            (run.tmp / "artifacts").mkdir()
            result.save(run.tmp / "artifacts" / "result.pkl")
            files = write_tables(result, run.tmp)
            progress(f"[segment] executing notebooks {', '.join(names)} (two at a time)")
            # each notebook runs in its own kernel process; two at a time keeps both cores busy
            with ThreadPoolExecutor(max_workers=2) as pool:
                executed = list(pool.map(lambda n: execute_notebook(n, run.tmp, progress=lambda m: progress(f"[segment] {m}")),
                                         names))
            pages = []
            for name, nb_path in zip(names, executed):
                title, audience = NOTEBOOKS[name]
                html_path = to_html(nb_path, run.tmp / f"{name}.html", with_code=audience == "analyst")
                pages.append((title, html_path.name, audience))
            write_index(run.tmp, config, pages, files)
            finished = dt.datetime.now()
            atomic_write(
                run.tmp / "manifest.json",
                lambda p: p.write_text(json.dumps(manifest(result, started, finished, names), indent=2, default=str) + "\n"),
            )
    except NotebookFailed as exc:  # name the kept -FAILED folder, not the temporary one
        raise NotebookFailed(str(exc).replace(str(run.tmp), str(run.failed))) from exc
    progress(f"[segment] done: {run.final / 'index.html'}")
    return run.final
