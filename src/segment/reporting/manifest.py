"""A run's records: ``manifest.json`` (and what it knows before and during the work: the
started and input records, git state, package versions), the ``index.html`` page, and the
result tables written into the run folder."""

from __future__ import annotations

import datetime as dt
import html
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from segment.config import RunConfig
from segment.export import atomic_write, tiers_table, write_table
from segment.paths import ROOT
from segment.pipeline import PipelineResult, params_of

PACKAGES = ["segment", "pandas", "numpy", "scipy", "duckdb", "ibis-framework", "scikit-learn", "statsmodels",
            "pandera", "papermill", "nbconvert", "matplotlib", "seaborn"]


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
    for name, table in result.validation.tables().items():
        files += write_table(table, run_tmp / "validation" / name, parquet=False, index=False)
    if getattr(result, "tuning", None) is not None:  # weight tuning: tuning/*.csv and tuning/tuned_weights.yaml
        from segment.tuning import write_tuning

        files += write_tuning(result.tuning, run_tmp)
    return files


def started_record(config: RunConfig, started: dt.datetime, notebooks: list[str]) -> dict[str, Any]:
    """What a run's manifest knows before any work: a run that fails early keeps this."""
    return {"output_name": config.output_name, "config_file": config.source, "config": config.to_dict(),
            "notebooks": notebooks, "started": started.isoformat(timespec="seconds")}


def input_record(loaded: Any) -> dict[str, Any]:
    """The manifest's record of the input read (``segment.io.LoadResult``)."""
    return {"input": loaded.source, "rows_read": loaded.rows_read, "rows_excluded": loaded.excluded,
            "rows_changed": loaded.changed}


def manifest(result: PipelineResult, started: dt.datetime, finished: dt.datetime | None,
             notebooks: list[str]) -> dict[str, Any]:
    """The run's ``manifest.json`` record; ``finished`` None leaves it to be filled in (the
    record is made when the pipeline is done, so that the result can be let go while the
    notebooks run). ``not_graded``: method -> why it could not grade this data."""
    return {
        "output_name": result.config.output_name,
        "config_file": result.config.source,
        "config": result.config.to_dict(),
        "method_parameters": params_of(result),
        **input_record(result.loaded),
        "not_graded": dict(getattr(result, "not_graded", None) or {}),
        "customers_graded": len(result.features),
        "grading_as_of": result.config.as_of,
        "validation_origin": result.origin,
        "customers_first_seen_after_origin": result.outcomes.attrs.get("customers_first_seen_after_as_of"),
        "assumptions": result.features.attrs.get("assumptions"),
        "notes": result.notes,
        "method_notes": getattr(result, "method_notes", []),
        "notebooks": notebooks,
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git": git_state(),
        "started": started.isoformat(timespec="seconds"),
        "finished": None if finished is None else finished.isoformat(timespec="seconds"),
        "timings_seconds": {k: round(v, 3) for k, v in result.timings.items()},
    }
