"""A run's records: ``manifest.json`` (and what it knows before and during the work: the
started and input records, git state, package versions; the ledger's fields ``series``,
``published``, ``previous`` come from ``segment.governance.publish``, ``headline`` from here),
the ``index.html`` page, and the result tables written into the run folder."""

from __future__ import annotations

import datetime as dt
import html
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from segment.config import RunConfig
from segment.export import atomic_write, tiers_table, write_table
from segment.horizon import horizon_of
from segment.paths import ROOT
from segment.methods.registry import display_name
from segment.pipeline import PipelineResult, params_of
from segment.validation.result import Recommendation

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


#: what each file of a run holds, by its path in the run folder without the suffix
FILE_NOTES = {
    "tiers": "every customer's tier (and score) under each method, and whether the grade is provisional",
    "validation/per_tier": "churn and profit after the validation origin per tier and method, with 95 % intervals",
    "validation/leaderboard": "one row per method and reference: the headline figures with intervals",
    "validation/metric_intervals": "every metric of every method with its interval and its difference to the best",
    "validation/model_effects": "churn odds ratios and profit differences per tier, from the statistical models",
    "validation/model_fit": "fit of the statistical models per method (log-likelihood, AIC, R², rows used)",
    "validation/agreement": "how far each pair of methods agrees (kappa, adjusted Rand, rank correlation, same top tier)",
    "validation/disagreements": "the customers the methods disagree on most, and why",
    "validation/warning_check": "the early-warning rule out of time: churn and profit of flagged and not flagged "
                                "top-tier customers",
    "validation/backtest": "the headline figures of every method at each backtest origin",
    "validation/backtest_stability": "how stable each method's rank is across the backtest origins",
    "validation/migration_paths": "how customers moved between tiers from one origin to the next, and how they did after",
    "validation/migration_summary": "per method and pair of origins, the shares of customers who kept, rose or fell a tier",
    "validation/early_warning": "top-tier customers with falling activity at the grading date (for follow-up)",
    "validation/follow_up": "the follow-up list: the recommended method's flagged top-tier customers, capped at the "
                            "follow-up capacity, most profit at risk (profit to date x the measured likelihood of "
                            "stopping for the customer's reason) first, with profit_before: each customer's profit "
                            "in the horizon-length window before the grading date",
    "validation/warning_reasons": "per method and reason for the flag: flagged top-tier customers at the validation "
                                  "origin and their churn rate after it (the follow-up list's likelihood of stopping)",
    "validation/capacity": "profit of the next period covered by each grading's top key accounts "
                           "(decision.key_accounts), with hindsight, random and 95 % intervals",
    "validation/capacity_differences": "each grading's covered profit minus the recommended, published, "
                                       "ABC-by-revenue grading and random, with paired intervals",
    "validation/capacity_curve": "profit covered against customers served, 0 to 100 %, per grading with hindsight "
                                 "and random",
    "tuning/tuned_weights": "the tuned weights as a config fragment to paste into a run config",
    "published": "the published grading (what goes to the CRM): each customer's tier, provisional flag and "
                 "indicators, the previous run's tier, the movement and its reason",
    "governance/movement_matrix": "customers and profit to date by previous tier and tier (new and lost included)",
    "governance/movement_summary": "customers and profit to date that moved up, down, kept their tier, are new or lost",
    "governance/drift": "population stability index of the tier shares and the indicators since the previous run",
}
#: a file's format, by suffix
FORMATS = {".csv": "CSV", ".parquet": "Parquet", ".yaml": "YAML"}


def file_note(relative: Path) -> str:
    """What the run file at ``relative`` (a path inside the run folder) holds, in one line."""
    key = relative.with_suffix("").as_posix()
    note = FILE_NOTES.get(key) or (f"weight tuning: the {relative.stem.replace('_', ' ')} table"
                                   if relative.parts[0] == "tuning" else "")
    kind = FORMATS.get(relative.suffix, relative.suffix.lstrip("."))
    return f"{note} ({kind})" if note else kind


def headline(recommended: Recommendation | None) -> str:
    """The run's headline result as one plain sentence (not yet HTML-escaped; the manifest's
    ``headline`` and the reports index show it)."""
    if recommended is None:
        return "No method could grade this data, so there is no recommendation."

    def pct(share: float) -> str:
        return f"{100 * share:.1f} %"

    return (f"Recommended grading: {display_name(recommended.method)}, whose top 20 % of customers made "
            f"{pct(recommended.capture)} of next period's profit (95 % interval {pct(recommended.ci_low)} to "
            f"{pct(recommended.ci_high)}).")


def ledger_lines(governance: dict[str, Any] | None) -> list[str]:
    """The run's ledger in plain sentences for its index page (not yet HTML-escaped)."""
    if not governance or not governance.get("published"):
        return []
    series = governance.get("series")
    lines = [f"Published grading (the tiers that go to the CRM, published.csv): "
             f"{display_name(governance['published']['method'])}."]
    previous = governance.get("previous")
    if series is None:
        lines.append("This run belongs to no series, so there is no previous run to compare with.")
    elif previous is None:
        lines.append(f"The first run of series {series}: every customer is new.")
    elif previous.get("identical"):
        lines.append(f"Series {series}: identical to {previous['run']} (the same tier and provisional flag for "
                     "every customer).")
    elif previous.get("comparable", True):
        lines.append(f"Series {series}: compared with {previous['run']} (graded as of {previous['as_of']}).")
    else:
        lines.append(f"Series {series}: the previous run {previous['run']} published "
                     f"{display_name(previous['method'])}, whose tiers are not this run's, so no tier moves are shown.")
    return lines


def write_index(run_tmp: Path, config: RunConfig, pages: list[tuple[str, str, str]], files: list[Path],
                recommended: Recommendation | None = None, governance: dict[str, Any] | None = None) -> Path:
    """The run's ``index.html``: the headline result (``recommended``, the validation's
    recommendation), the ledger (``governance``: the manifest's series, published and previous),
    the reports, and every table with a line saying what it holds; every text
    HTML-escaped, every link percent-encoded (a file name is a path, never a URL scheme or markup)."""
    items = "\n".join(
        f'<li><a href="{html.escape(quote(href))}">{html.escape(title)}</a> <small>({html.escape(aud)})</small></li>'
        for title, href, aud in pages
    )
    relative = [f.relative_to(run_tmp) for f in sorted(files)]
    data_files = "\n".join(
        f'<li><a href="{html.escape(quote(r.as_posix()))}">{html.escape(r.as_posix())}</a>: {html.escape(file_note(r))}</li>'
        for r in relative
    )
    ledger = "".join(f"<p>{html.escape(line)}</p>" for line in ledger_lines(governance))
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>segment run: {html.escape(config.output_name)}</title></head><body>
<h1>segment run: {html.escape(config.output_name)}</h1>
<p><strong>{html.escape(headline(recommended))}</strong></p>
{ledger}
<p>Grading date {html.escape(config.as_of)}, outcome horizon {html.escape(horizon_of(config).label)}.
Config: {html.escape(Path(config.source).name)}.</p>
<h2>Reports</h2><ul>{items}</ul>
<h2>Tables</h2><ul>{data_files}</ul>
<p><a href="manifest.json">manifest.json</a>: inputs, parameters, versions, times</p>
</body></html>"""
    return atomic_write(run_tmp / "index.html", lambda p: p.write_text(body, encoding="utf-8"))


def write_tables(result: PipelineResult, run_tmp: Path) -> list[Path]:
    files = write_table(tiers_table(result.assignments), run_tmp / "tiers")
    for name, table in result.validation.tables().items():
        files += write_table(table, run_tmp / "validation" / name, parquet=False, index=False)
    if getattr(result, "tuning", None) is not None:  # weight tuning: tuning/*.csv and tuning/tuned_weights.yaml
        from segment.tuning.output import write_tuning

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
        "series": result.config.series,
        "headline": headline(result.validation.recommended),
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
