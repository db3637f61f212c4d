"""The grade ledger as the reports show it: what changed since the series' previous run, read
from the run folder, never recomputed.

``read_ledger(run_dir)`` reads what the run recorded (``manifest.json`` with json: "series",
"published", "previous"; and ``governance/movement_summary.csv``, ``movement_matrix.csv``,
``drift.csv``). The leadership page shows ``since_last_run`` (plain words, counts and money,
small cells suppressed); the analyst report shows ``since_previous_run`` (the movement matrix,
the movement summary and the drift table).

Rules:
- No ``run_dir`` (a notebook run interactively or under nbval): there is no ledger, and both
  views say so in one sentence. A run folder whose manifest records no published grading (made
  before the ledger, or a manifest not written yet) says it records no ledger.
- ``previous`` null: one sentence, "no earlier run of this series" (nothing else is shown).
- ``previous.identical`` true: "identical to <run>".
- A previous run that published another method under the same labels is compared; the
  leadership page says the grading changed, so that moves from the change of rule are not read
  as moves of customers (``method_changed``); the analyst report names both methods.
- ``previous.comparable`` false (the previous run published a different grading whose tiers
  are not this run's): no tier moves, "the previous run published a different grading"; the
  analyst report still shows the drift table when the run wrote one. A missing
  ``comparable`` means comparable.
- A comparable previous run must have all three files, and each its columns; a missing file,
  a missing column, a malformed manifest value is a ``GovernanceError`` naming the file, the
  key or column and the value. A movement absent from the summary counts as 0 customers.
- Small cells (leadership only): a count from 1 to ``min_tier_size`` − 1 is "fewer than N"
  and its money is not shown; 0 is "no customer".
- The matrix's "(lost)" column shows counts only: lost customers have no profit at this run's
  grading date; the summary gives their profit at the previous run.
- Every name (runs, series, tiers) is text: Markdown through ``reference.text``, tables through
  ``tables.styled`` (fixed uuids, so reruns are byte-identical). Tier labels read from a CSV
  lose the apostrophe the CSV's formula protection put before them (``segment.export``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown

from segment.errors import Problem
from segment.governance import GovernanceError
from segment.governance.drift import LEVELS, SHIFTED
from segment.governance.ledger import restore_text
from segment.methods.reference import text
from segment.methods.registry import METHODS, display_name
from segment.reporting.leadership import count_or_fewer, money
from segment.reporting.tables import bullets, styled

GOVERNANCE_DIR = "governance"
FILES = {"summary": "movement_summary.csv", "matrix": "movement_matrix.csv", "drift": "drift.csv"}
COLUMNS = {"summary": {"movement": "str", "customers": "int64", "profit": "float64"},
           "matrix": {"previous_tier": "str", "tier": "str", "customers": "int64", "profit": "float64"},
           "drift": {"item": "str", "psi": "float64", "level": "str"}}
NEW_ROW, LOST_COLUMN = "(new)", "(lost)"
#: drift items as a reader names them
DRIFT_ITEMS = {"tier": "tier shares", "recency_days": "days since the last order", "frequency": "orders",
               "monetary_total": "revenue to date", "profit": "profit to date"}
#: movement -> what the analyst report's summary calls it
MOVEMENT_NAMES = {"up": "moved up a tier", "down": "moved down a tier", "same": "kept their tier",
                  "new": "new: graded for the first time", "lost": "lost: graded last time, not now"}
NO_RUN_DIR = ("There is no ledger here: this page was made without a run folder, so it cannot say what changed "
              "since the last run.")
NOT_RECORDED = ("This run records no ledger (no published grading), so it cannot say what changed since the "
                "last run.")


@dataclass(frozen=True)
class RunLedger:
    """What one run folder records of the ledger (module docstring)."""

    run_dir: Path
    recorded: bool
    series: str | None = None
    method: str | None = None
    previous: dict | None = None
    summary: pd.DataFrame | None = None
    matrix: pd.DataFrame | None = None
    drift: pd.DataFrame | None = None

    @property
    def comparable(self) -> bool:
        return self.previous is not None and self.previous.get("comparable", True) is not False

    @property
    def identical(self) -> bool:
        return self.previous is not None and self.previous.get("identical") is True


def _refuse(where: Path, key: str, message: str) -> GovernanceError:
    return GovernanceError([Problem(str(where), key, message)])


def _read_csv(path: Path, kind: str) -> pd.DataFrame:
    columns = COLUMNS[kind]
    if not path.is_file():
        raise _refuse(path, "", f"is missing: the manifest records a previous run, so the run writes {path.name}")
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    lacking = [c for c in columns if c not in header]
    if lacking:
        raise _refuse(path, "columns", f"lacks the column(s) {', '.join(lacking)}; it has {', '.join(header)}")
    text_cols = [c for c, t in columns.items() if t == "str"]
    try:
        table = pd.read_csv(path, encoding="utf-8-sig", usecols=list(columns), dtype=columns, keep_default_na=False,
                            na_values={c: [""] for c in columns if c not in text_cols})
    except (ValueError, TypeError) as exc:
        raise _refuse(path, "", f"cannot be read: {exc}") from exc
    for c in text_cols:
        table[c] = restore_text(table[c])
    return table[list(columns)]


def _previous(manifest: dict, path: Path) -> dict | None:
    prev = manifest.get("previous")
    if prev is None:
        return None
    if not isinstance(prev, dict):
        raise _refuse(path, "previous", f"is null or a record of the previous run; got {prev!r}")
    for key, kind in (("run", str), ("as_of", str), ("identical", bool)):
        if not isinstance(prev.get(key), kind):
            raise _refuse(path, f"previous.{key}", f"must be a {kind.__name__}; got {prev.get(key)!r}")
    if not isinstance(prev.get("comparable", True), bool):
        raise _refuse(path, "previous.comparable", f"must be true or false; got {prev.get('comparable')!r}")
    return prev


def read_ledger(run_dir: str | Path | None) -> RunLedger | None:
    """The ledger of the run folder ``run_dir`` (module docstring); None without ``run_dir``."""
    if not run_dir:
        return None
    run_dir = Path(run_dir)
    path = run_dir / "manifest.json"
    if not path.is_file():
        return RunLedger(run_dir, recorded=False)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _refuse(path, "", f"cannot be read as JSON ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("published"), dict):
        return RunLedger(run_dir, recorded=False)
    series, method = manifest.get("series"), manifest["published"].get("method")
    previous = _previous(manifest, path)
    tables: dict[str, pd.DataFrame | None] = dict.fromkeys(FILES)
    if previous is not None:
        comparable = previous.get("comparable", True)
        for kind, name in FILES.items():
            file = run_dir / GOVERNANCE_DIR / name
            if comparable or file.is_file():
                tables[kind] = _read_csv(file, kind)
    return RunLedger(run_dir, True, series if isinstance(series, str) else None,
                     method if isinstance(method, str) else None, previous, **tables)


def _plain_method(method: Any) -> str:
    return text(display_name(method) if method in METHODS else method)


def _previous_named(prev: dict) -> str:
    return f"**{text(prev['run'])}** (graded on {text(prev['as_of'])})"


def _counts(summary: pd.DataFrame) -> pd.DataFrame:
    """customers and profit per movement (absent movements: 0 customers, no profit)."""
    s = summary.groupby("movement", sort=False)[["customers", "profit"]].sum(min_count=1)
    return s.reindex(list(MOVEMENT_NAMES)).fillna({"customers": 0}).astype({"customers": "int64"})


def _not_first(ledger: RunLedger | None) -> str | None:
    """The one sentence both views say when there is nothing to compare; None when there is."""
    if ledger is None:
        return NO_RUN_DIR
    if not ledger.recorded:
        return NOT_RECORDED
    if ledger.previous is None:
        series = f" ({text(ledger.series)})" if ledger.series else ""
        return (f"There is no earlier run of this series{series} to compare with: every customer is graded for "
                "the first time." if ledger.series else
                "This run belongs to no series, so there is no earlier run of this series to compare with.")
    return None


def since_last_run(ledger: RunLedger | None, unit: str | None, min_tier_size: int = 10) -> str:
    """The leadership page's "Since the last run" (Markdown): upgrades, downgrades, new and lost
    customers in counts and money (profit to date), small cells suppressed (module docstring)."""
    if (sentence := _not_first(ledger)) is not None:
        return sentence
    prev = ledger.previous
    if ledger.identical:
        return (f"This run's grades are **identical to {text(prev['run'])}**, the last run (graded on "
                f"{text(prev['as_of'])}): every customer kept the tier and the provisional mark it had then.")
    if not ledger.comparable:
        return (f"Moves between tiers since the last run, {_previous_named(prev)}, are not shown: the previous run "
                f"published a different grading (the {_plain_method(prev.get('method'))}), so its tiers and this "
                "run's cannot be compared one to one.")
    s = _counts(ledger.summary)

    def figure(kind: str, what: str, worth: str, none: str) -> str:
        n, value = int(s.loc[kind, "customers"]), s.loc[kind, "profit"]
        if n == 0:
            return none
        if n < min_tier_size:
            return f"{count_or_fewer(n, min_tier_size)} customers {what} (their profit is not shown for so few)"
        shown = f"; {worth} {text(money(value, unit))}" if pd.notna(value) else ""
        return f"{n:,} customers {what}{shown}"

    now, then = "their profit to date is", "at the last run their profit to date was"
    lines = [f"**Upgrades:** {figure('up', 'moved up a tier', now, 'no customer moved up a tier')}.",
             f"**Downgrades:** {figure('down', 'moved down a tier', now, 'no customer moved down a tier')}.",
             f"**New customers:** {figure('new', 'are graded for the first time', now, 'no customer is new')}.",
             f"**Lost customers:** {figure('lost', 'graded last time are no longer graded', then, 'every customer graded last time is still graded')}.",
             f"**Unchanged:** {figure('same', 'kept their tier', now, 'no customer kept their tier')}."]
    return (f"Since the last run, {_previous_named(prev)}:\n\n" + "\n".join(f"- {line}" for line in lines)
            + "\n\n" + (f"{changed} " if (changed := method_changed(ledger)) else "")
            + "An A grade is not for life: the analyst report has every move, tier by tier.")


def method_changed(ledger: RunLedger) -> str | None:
    """One sentence (Markdown) when the previous run published another grading under the same
    tier labels: part of the moves is the change of rule, not of the customers. None otherwise."""
    before = ledger.previous.get("method") if ledger.previous else None
    if not isinstance(before, str) or ledger.method is None or before == ledger.method:
        return None
    return (f"**The grading changed:** the last run published the {_plain_method(before)}, this run the "
            f"{_plain_method(ledger.method)}, so part of these moves comes from the change of rule, not from what "
            "the customers did.")


def matrix_view(matrix: pd.DataFrame, unit: str | None) -> pd.DataFrame:
    """The movement matrix as the analyst report shows it: one row per previous tier (then
    "(new)"), one column per tier of this run (then "(lost)"), tiers in the file's order; each
    cell "customers (profit to date)", the "(lost)" column counts only."""
    rows = list(dict.fromkeys(matrix["previous_tier"]))
    cols = list(dict.fromkeys(matrix["tier"]))
    cell = matrix.set_index(["previous_tier", "tier"])
    if not cell.index.is_unique:
        raise ValueError("the movement matrix lists a cell twice")

    def shown(r: str, c: str) -> str:
        if (r, c) not in cell.index:
            return ""
        n, value = int(cell.loc[(r, c), "customers"]), cell.loc[(r, c), "profit"]
        if c == LOST_COLUMN or pd.isna(value) or n == 0:
            return f"{n:,}"
        return f"{n:,} ({money(value, unit)})"

    out = pd.DataFrame({c: [shown(r, c) for r in rows] for c in cols})
    out.insert(0, "previous tier", rows)
    return out


def summary_view(summary: pd.DataFrame, unit: str | None) -> pd.DataFrame:
    """One row per movement: what it means, customers, their profit to date (for "lost": at the
    previous run; blank for a movement without customers)."""
    s = _counts(summary)
    return pd.DataFrame({"movement": [MOVEMENT_NAMES[k] for k in s.index],
                         "customers": [f"{n:,}" for n in s["customers"]],
                         "profit to date": ["" if n == 0 else money(v, unit) + (" (at the previous run)" if k == "lost"
                                                                              and pd.notna(v) else "")
                                            for k, n, v in zip(s.index, s["customers"], s["profit"])]})


def drift_view(drift: pd.DataFrame) -> pd.DataFrame:
    """item (plain name), PSI (3 decimals) and level, in the file's order."""
    return pd.DataFrame({"item": [DRIFT_ITEMS.get(i, i) for i in drift["item"]],
                         "PSI": [f"{v:.3f}" if pd.notna(v) else "" for v in drift["psi"]],
                         "level": drift["level"].to_numpy()})


def drift_legend() -> str:
    """The one-line legend of the drift table (the levels of ``governance.drift``)."""
    (stable_below, stable), (watch_below, watch) = LEVELS
    return bullets([f"PSI, the population stability index of the previous run's published grading against this "
                    f"run's: {stable} below {stable_below:.2f}, {watch} from {stable_below:.2f} to below "
                    f"{watch_below:.2f}, {SHIFTED} from {watch_below:.2f}."])


def since_previous_run(ledger: RunLedger | None, unit: str | None) -> tuple[Any, ...]:
    """What the analyst report shows under "Since the previous run" (module docstring)."""
    if (sentence := _not_first(ledger)) is not None:
        return (Markdown(sentence),)
    prev = ledger.previous
    intro = (f"Compared with the previous run of the series, {_previous_named(prev)}, which published the "
             f"{_plain_method(prev.get('method'))}.")
    if ledger.identical:
        intro += (f" This run's published grades are **identical to {text(prev['run'])}**: every customer has the "
                  "tier and the provisional flag it had then.")
    out: list[Any] = []
    if not ledger.comparable:
        intro += (" The previous run published a different grading, whose tiers are not this run's, so there is "
                  "no movement matrix.")
        out.append(Markdown(intro))
    else:
        out += [Markdown(intro),
                styled(matrix_view(ledger.matrix, unit), "movement_matrix",
                       caption=f"Customers by their tier in {prev['run']} (rows) and in this run (columns), with "
                               "their profit to date at this run's grading date in brackets"),
                Markdown(bullets([f"{NEW_ROW}: customers not graded by the previous run; {LOST_COLUMN}: customers "
                                  "graded by the previous run and not by this one (their profit is in the table "
                                  "below, at the previous run)."])),
                styled(summary_view(ledger.summary, unit), "movement_summary",
                       caption="Customers and their profit to date per movement")]
    if ledger.drift is not None:
        out += [styled(drift_view(ledger.drift), "drift",
                       caption=f"Drift between {prev['run']} and this run"), Markdown(drift_legend())]
    return tuple(out)
