"""The reports folder's ``index.html``: every successful run, by series, newest first.

``write_series_index(reports)`` rewrites ``reports/index.html`` atomically (after each run and
after ``segment report-all``); ``indexed_runs(reports)`` is what it lists.

Rules:
- A run is listed when its folder is visible (no leading dot), not ``-FAILED``, and its
  ``manifest.json`` reads as an object with ``"status": "ok"``; anything else (a hidden
  partial run, a failed one, a stray folder) is left out. Runs made before the ledger (no
  ``series`` or ``published`` in the manifest) are listed too, without a published method.
- Grouped by series, series by name, runs without a series last under "(no series)"; within
  a series newest first by grading date (``grading_as_of``), then finish time, then name.
- Per run: the run (a link to its ``index.html``) and links to each report page it made,
  the grading date, the published method (plain name), the headline, the movement since the
  run before and the status. Movement: "identical to <run>" when the manifest says so; else
  the up / down / new / lost counts of ``governance/movement_summary.csv``, with "(the run before
  published <method>)" when that run published another method under the same labels; "not comparable"
  when the previous run published tiers of other labels; "first run of the series" without a
  previous run; "no series" for a run outside any; "not recorded" when the file is missing or
  unreadable (an index never fails on one run's files).
- Status: "ok", or "ok, made from uncommitted code" when the manifest's git state was dirty
  (that run cannot be made again from a commit).
- Every name, headline and value is HTML-escaped; links are relative and percent-encoded (a
  folder name is a path, never a URL scheme or markup); the page loads nothing from the network.
"""

from __future__ import annotations

import csv
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from segment.errors import Problem, ReportsFolderError
from segment.export import atomic_write
from segment.governance.ledger import FAILED_NAME, MANIFEST_FILE
from segment.methods.registry import display_name
from segment.reporting.notebooks import NOTEBOOKS

INDEX_FILE = "index.html"
NO_SERIES = "(no series)"
SUMMARY_PATH = Path("governance") / "movement_summary.csv"
#: the movements the index counts, in this order
COUNTED = ("up", "down", "new", "lost")


@dataclass(frozen=True)
class IndexedRun:
    """One successful run as the reports index shows it."""

    name: str
    series: str | None
    as_of: str
    finished: str
    method: str | None
    headline: str | None
    movement: str
    status: str
    #: (title, file name) of each report page the run has
    pages: tuple[tuple[str, str], ...] = ()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _counts(run_dir: Path) -> dict[str, int] | None:
    try:
        with open(run_dir / SUMMARY_PATH, encoding="utf-8-sig", newline="") as fh:
            counts = {row["movement"]: int(row["customers"]) for row in csv.DictReader(fh)}
    except (OSError, KeyError, TypeError, ValueError):
        return None
    return counts


def movement_text(run_dir: Path, manifest: dict[str, Any]) -> str:
    """The movement since the run before, in a few words (module docstring)."""
    previous = manifest.get("previous")
    if not isinstance(manifest.get("published"), dict):
        return "not recorded"
    if manifest.get("series") is None:
        return "no series"
    if previous is None:
        return "first run of the series"
    if not isinstance(previous, dict):
        return "not recorded"
    if previous.get("identical") is True:
        return f"identical to {_text(previous.get('run'))}"
    if previous.get("comparable") is False:
        return f"not comparable: the run before published {display_name(_text(previous.get('method')))}"
    counts = _counts(run_dir)
    if counts is None:
        return "not recorded"
    moves = ", ".join(f"{counts.get(m, 0):,} {m}" for m in COUNTED)
    before, now = _text(previous.get("method")), (manifest.get("published") or {}).get("method")
    if before and isinstance(now, str) and before != now:  # same labels, another rule: say so
        moves += f" (the run before published {display_name(before)})"
    return moves


def _run(run_dir: Path) -> IndexedRun | None:
    if run_dir.name.startswith(".") or FAILED_NAME.search(run_dir.name) or not run_dir.is_dir():
        return None
    try:
        manifest = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("status") != "ok":
        return None
    series = manifest.get("series")
    published = manifest.get("published")
    method = published.get("method") if isinstance(published, dict) else None
    notebooks = manifest.get("notebooks") if isinstance(manifest.get("notebooks"), list) else []
    pages = tuple((NOTEBOOKS[n][0] if n in NOTEBOOKS else n, f"{n}.html") for n in notebooks
                  if isinstance(n, str) and (run_dir / f"{n}.html").is_file())
    git = manifest.get("git")
    status = "ok, made from uncommitted code" if isinstance(git, dict) and git.get("dirty") is True else "ok"
    return IndexedRun(name=run_dir.name, series=series if isinstance(series, str) and series else None,
                      as_of=_text(manifest.get("grading_as_of")), finished=_text(manifest.get("finished")),
                      method=method if isinstance(method, str) else None,
                      headline=manifest.get("headline") if isinstance(manifest.get("headline"), str) else None,
                      movement=movement_text(run_dir, manifest), status=status, pages=pages)


def indexed_runs(reports: str | Path) -> dict[str | None, list[IndexedRun]]:
    """Series (None last) -> its successful runs, newest first (module docstring)."""
    reports = Path(reports)
    runs = [r for d in (sorted(reports.iterdir()) if reports.is_dir() else []) if (r := _run(d)) is not None]
    by_series: dict[str | None, list[IndexedRun]] = {}
    for series in sorted({r.series for r in runs}, key=lambda s: (s is None, s or "")):
        by_series[series] = sorted((r for r in runs if r.series == series),
                                   key=lambda r: (r.as_of, r.finished, r.name), reverse=True)
    return by_series


def _href(*parts: str) -> str:
    return html.escape(quote("/".join(parts)))


def _row(run: IndexedRun) -> str:
    e = html.escape
    pages = " · ".join(f'<a href="{_href(run.name, file)}">{e(title)}</a>' for title, file in run.pages)
    cells = [f'<a href="{_href(run.name, INDEX_FILE)}">{e(run.name)}</a>' + (f"<br><small>{pages}</small>" if pages else ""),
             e(run.as_of or "unknown"), e(display_name(run.method)) if run.method else "not recorded",
             e(run.headline or "not recorded"), e(run.movement), e(run.status)]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def page(reports: str | Path) -> str:
    """The index page's HTML."""
    by_series = indexed_runs(reports)
    head = ("<tr><th>Run</th><th>Graded as of</th><th>Published grading</th><th>Headline</th>"
            "<th>Movement since the run before</th><th>Status</th></tr>")
    sections = [f"<h2>{html.escape(NO_SERIES if s is None else f'Series {s}')}</h2>\n"
                f"<table><thead>{head}</thead><tbody>\n" + "\n".join(_row(r) for r in runs) + "\n</tbody></table>"
                for s, runs in by_series.items()]
    body = "\n".join(sections) if sections else "<p>No successful run yet.</p>"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>segment runs by series</title>
<style>body{{font-family:sans-serif;max-width:1240px;margin:1em auto}}table{{border-collapse:collapse;width:100%}}
th,td{{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}}th{{background:#f2f2f2}}
td:nth-child(2){{white-space:nowrap}}</style>
</head><body>
<h1>segment runs by series</h1>
<p>Every successful run in this folder, newest first within each series. The movement is read from
each run's ledger (its published grading against the run before it in the series).</p>
{body}
</body></html>
"""


def write_series_index(reports: str | Path) -> Path:
    """Rewrite ``reports/index.html`` atomically; ReportsFolderError when it cannot be written."""
    target = Path(reports) / INDEX_FILE
    text = page(reports)
    try:
        return atomic_write(target, lambda p: p.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise ReportsFolderError([Problem(str(target), "", f"cannot write the reports index: "
                                          f"{exc.strerror or exc}")]) from exc
