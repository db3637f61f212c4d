"""The run-level governance step: publish one grading into the run folder, find the series'
previous run in the ledger, and write what changed since it.

``publish_run(result, run_dir, reports_dir=..., final=...)`` writes, into ``run_dir`` (the
run's working folder, before the notebooks run, so the reports can read the files):

- ``published.csv``: ``ledger.published_table`` of the published method, then
  ``previous_tier``, ``movement`` and ``movement_reason`` (``governance.movement``; a customer
  provisional in the previous run and not now has its reason start with "provisional →
  confirmed");
- with a previous run, ``governance/movement_matrix.csv`` (previous_tier, tier, customers,
  profit: one row per cell of ``movement_matrix``, the "(new)" row and "(lost)" column and
  zero cells included), ``governance/movement_summary.csv`` (movement, customers, profit: one
  row for each of up, down, same, new, lost) and ``governance/drift.csv`` (item, psi, level);
- with a rolling backtest (three or more ``backtest_origins``), whatever the series,
  ``governance/stability_tradeoff.csv``: the pipeline's ``stability_trade_off``, the stability
  study's table at every quarter end of the data (``governance.study.run_trade_off``);

and returns the manifest's ``series``, ``published`` and ``previous`` fields.

Rules:
- The published method is ``config.publish``, else the validation's recommendation. A
  ``publish`` method that could not grade this data, or no method to publish at all, is a
  ``GovernanceError`` naming the config file and the key ``publish``.
- The tier order is the published method's tier labels (its assignments' categorical
  categories, best first); tiers that are not categorical are a ValueError (a fault of ours).
- The previous run: ``ledger.find_previous(reports_dir, series, as_of, previous_run=...,
  exclude=final)``; a config without ``series`` has none. Its published grades are read with
  their hash checked (``ledger.read_published``), never recomputed; a tampered file or a
  ``previous_run`` that does not qualify is the user's ``GovernanceError``.
- Without a previous run every customer is ``new``, "first graded this run", with an empty
  ``previous_tier``, and no ``governance/`` file is written; ``previous`` is null.
- Comparable: every tier label of the previous file is one of this run's tiers (the same
  labels, best first, mean the same rank positions, so a change of the published method
  that keeps the labels is still compared; the manifest's ``previous.method`` names it). Not
  comparable (the previous run published a grading with other labels): nothing fails;
  ``previous_tier`` is still filled from its file, each customer graded in both runs is
  ``not comparable``, "the last run published <plain name of its method>"; customers not in
  the previous file are ``new`` as always. No matrix and no summary are written (their cells
  would compare unlike tiers); the drift table is (tier shares over the union of labels, and
  the indicators). ``previous.comparable`` says which.
- ``previous.identical``: the same customers with the same tier and the same provisional flag
  as the previous file, exactly (the indicators and the movement columns are not compared).
- Money is the profit to date at each run's grading date (the ``profit`` indicator): this
  run's for the matrix and for up/down/same/new, the previous file's for lost. A run whose
  features have no profit writes the profit columns empty.
- With ``lookback_months`` the reasons name the windowed indicators "orders / revenue /
  profit in the last N months".
- Stable grades (``stability:`` in the config, ``governance.stability.StabilitySettings``, every
  rule off by default): the published ``tier`` is the method's tier with the rules applied
  by ``stability.step``, from the state the previous published file carries (its tier,
  ``stay`` and ``unprofitable_periods``; the first run of a series, or a previous run that is
  not comparable, starts afresh). Every published.csv has, after the indicators,
  ``raw_tier`` (the method's own tier), ``stay`` (runs in the current tier, this one
  included), ``review`` and ``unprofitable_periods`` (the run of consecutive periods the
  customer ordered at a loss). The period since the previous run is the difference of the
  to-date indicators (``profit``, ``frequency``: the orders) between the two files; a
  customer new to the ledger brings its whole history. A rerun of the same grading date
  continues from the run before that date, not from the earlier rerun, so it reproduces the
  earlier rerun's published file exactly (a rerun is not another period). A customer the rules held has its
  movement reason start "held in <tier> by the stability rules (graded <raw tier> this run)".
- Last, ``reason_<method>``: why the customer is in its tier (the method's own tier), in the
  words a sales rep reads (``GradingMethod.explain``), when the result has the fitted method.
- Vectorised throughout: no per-customer Python loop (2.36 M customers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segment.dates import to_date
from segment.errors import GovernanceError, Problem
from segment.export import write_table
from segment.governance.drift import drift_table
from segment.governance.ledger import (LedgerEntry, find_previous, published_record, published_table, read_published,
                                       write_published)
from segment.governance.stability import CONFIRMED_REASON, State, StabilitySettings, confirmed, step
from segment.governance.movement import LOST_COLUMN, MOVEMENTS, NEW_REASON, NEW_ROW, movement, movement_matrix
from segment.ids import rows_in, same_ids
from segment.methods.registry import display_name

GOVERNANCE_DIR = "governance"
MATRIX, SUMMARY, DRIFT, TRADE_OFF = "movement_matrix", "movement_summary", "drift", "stability_tradeoff"
NOT_COMPARABLE = "not comparable"
#: the published.csv columns the run adds to ``ledger.published_table``: the stability rules', then the movement
STABILITY_COLUMNS = ("raw_tier", "stay", "review", "unprofitable_periods")
MOVEMENT_COLUMNS = ("previous_tier", "movement", "movement_reason")


@dataclass(frozen=True)
class Publication:
    """What ``publish_run`` wrote: the manifest fields and the files (for the run's index page)."""

    fields: dict[str, Any]
    files: list[Path] = field(default_factory=list)


def published_method(result: Any) -> str:
    """The method whose grading the run publishes (module docstring)."""
    config = result.config
    chosen = config.publish
    if chosen is None:
        recommended = result.validation.recommended
        if recommended is None or recommended.method not in result.assignments:
            raise GovernanceError([Problem(str(config.source), "publish", "no method has a recommendation to "
                                           "publish; name the method whose tiers go to the CRM (publish: <method>)")])
        return recommended.method
    if chosen not in result.assignments:
        why = (getattr(result, "not_graded", None) or {}).get(chosen, "it graded no customer")
        raise GovernanceError([Problem(str(config.source), "publish", f"{chosen!r} cannot be published: it could not "
                                       f"grade this data ({why}); publish another method or leave publish out")])
    return chosen


def tier_order(assignments: pd.DataFrame) -> list[str]:
    """The tier labels of a method's assignments, best first (its categorical categories)."""
    tiers = assignments["tier"]
    if not isinstance(tiers.dtype, pd.CategoricalDtype):
        raise ValueError(f"the assignments' tiers must be categorical (labels best first); got {tiers.dtype}")
    return [str(t) for t in tiers.cat.categories]


def indicator_names(lookback_months: int | None) -> dict[str, str]:
    """The reasons' names of the windowed indicators (module docstring); {} without a window."""
    if lookback_months is None:
        return {}
    window = f"in the last {lookback_months} months"
    return {"frequency": f"orders {window}", "monetary_total": f"revenue {window}", "profit": f"profit {window}"}


def _first_run(table: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    n = len(table)
    return table.assign(
        previous_tier=pd.Categorical.from_codes(np.full(n, -1), categories=order),
        movement=pd.Categorical.from_codes(np.full(n, MOVEMENTS.index("new")), categories=list(MOVEMENTS)),
        movement_reason=pd.array(np.full(n, NEW_REASON, dtype=object), dtype="str"))


def _current_rows(moves: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``moves`` of the customers of ``table``, in its order (usually already so)."""
    now = moves["tier"].notna().to_numpy()
    rows = np.flatnonzero(now) if not now.all() else None
    ids = moves["customer_id"] if rows is None else moves["customer_id"].iloc[rows]
    if len(ids) != len(table) or not same_ids(ids, table["customer_id"]):
        rows = (np.arange(len(moves)) if rows is None else rows)[rows_in(table["customer_id"], ids)]
    return moves.reset_index(drop=True) if rows is None else moves.take(rows).reset_index(drop=True)


def _not_comparable(previous: pd.DataFrame, table: pd.DataFrame, method: str, where: np.ndarray) -> pd.DataFrame:
    """previous_tier from the previous file (``where``: each customer's row there, -1 if new);
    "not comparable" for customers graded in both."""
    labels = pd.Index(previous["tier"].unique()).sort_values()
    had = where >= 0
    codes = np.where(had, labels.get_indexer(previous["tier"].to_numpy())[np.maximum(where, 0)], -1)
    kinds = [*MOVEMENTS, NOT_COMPARABLE]
    reason = np.where(had, f"the last run published {display_name(method)}", NEW_REASON).astype(object)
    return pd.DataFrame({
        "previous_tier": pd.Categorical.from_codes(codes, categories=labels),
        "movement": pd.Categorical.from_codes(np.where(had, kinds.index(NOT_COMPARABLE), kinds.index("new")),
                                              categories=kinds),
        "movement_reason": pd.array(reason, dtype="str")})


def _profit(table: pd.DataFrame) -> pd.Series | None:
    if "profit" not in table.columns:
        return None
    return pd.Series(table["profit"].to_numpy(dtype="float64", na_value=np.nan), index=pd.Index(table["customer_id"]))


def matrix_rows(moves: pd.DataFrame, order: list[str], profit: pd.Series | None) -> pd.DataFrame:
    """The movement matrix flattened: previous_tier, tier, customers, profit (one row per cell)."""
    if profit is None:
        counts, money = movement_matrix(moves, order), None
    else:
        both = movement_matrix(moves, order, value=profit)
        counts, money = both["customers"], both["value"]
    rows = counts.stack().rename("customers").reset_index()
    rows["customers"] = rows["customers"].astype("int64")
    rows["profit"] = money.stack().to_numpy() if money is not None else np.nan
    rows["previous_tier"] = pd.Categorical(rows["previous_tier"], categories=[*order, NEW_ROW])
    rows["tier"] = pd.Categorical(rows["tier"], categories=[*order, LOST_COLUMN])
    return rows


def _aligned(values: pd.Series, ids, fill: float = np.nan) -> np.ndarray:
    """``values`` (indexed by customer_id) for each of ``ids``; ``fill`` for an id it lacks."""
    return np.append(values.to_numpy(dtype="float64", na_value=np.nan), fill)[rows_in(ids, values.index)]


def summary_rows(moves: pd.DataFrame, current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """movement, customers, profit: one row per movement (lost: the previous file's profit)."""
    codes = moves["movement"].cat.codes.to_numpy()
    k = len(MOVEMENTS)
    counts = np.bincount(codes, minlength=k)
    now, before = _profit(current), _profit(previous)
    if now is None or before is None:
        money = np.full(k, np.nan)
    else:
        ids, lost = moves["customer_id"], codes == MOVEMENTS.index("lost")
        values = np.full(len(moves), np.nan)  # lost: the previous file's profit; the others: this run's
        for money, graded in ((before, moves["previous_tier"].notna()), (now, moves["tier"].notna())):
            graded = graded.to_numpy()  # a run's customers, in its file's (sorted) order: usually no look-up
            values[graded] = _aligned(money, ids[graded])
        money = np.bincount(codes, weights=np.nan_to_num(values, nan=0.0), minlength=k)
    return pd.DataFrame({"movement": list(MOVEMENTS), "customers": counts.astype("int64"), "profit": money})


def _period(table: pd.DataFrame, before: pd.DataFrame | None, column: str, rows: np.ndarray | None) -> np.ndarray:
    """``column`` (to date) now minus in the previous file (``rows``: each customer's row there,
    -1 if new): what the customer did since then."""
    now = table[column].to_numpy(dtype="float64", na_value=np.nan)
    if before is None:
        return now
    then = np.append(before[column].to_numpy(dtype="float64", na_value=np.nan), 0.0)[rows]  # -1: the 0 at the end
    return now - np.nan_to_num(then, nan=0.0)


def _tier_codes(tiers: pd.Series, order: list[str]) -> np.ndarray:
    """Each tier label's position in ``order``, -1 for a label not in it."""
    return rows_in(tiers, pd.Index(order, dtype="str"))


def _state(before: pd.DataFrame, order: list[str]) -> State:
    """The stability state the previous published file carries (module docstring)."""
    n = len(before)
    carried = {c: before[c].to_numpy(dtype="int64", na_value=0) if c in before.columns else np.full(n, d, np.int64)
               for c, d in (("stay", 1), ("unprofitable_periods", 0))}
    return State(pd.Index(before["customer_id"]), _tier_codes(before["tier"], order),
                 carried["stay"], before["provisional"].to_numpy(dtype=bool), carried["unprofitable_periods"])


def _state_source(previous: LedgerEntry, before: pd.DataFrame, config: Any, reports_dir: str | Path,
                  final: str | Path | None) -> pd.DataFrame | None:
    """The published file the stability rules continue from: the previous run's, except for a
    rerun of the same grading date, which continues from the run before that date (so that it
    reproduces the earlier rerun's grades, stays and review flags exactly; None: there is none)."""
    if previous.as_of < to_date(config.as_of):
        return before
    earlier = find_previous(reports_dir, config.series, to_date(config.as_of) - dt.timedelta(days=1), exclude=final)
    return None if earlier is None else read_published(earlier)


def stabilised(table: pd.DataFrame, assignments: pd.DataFrame, *, order: list[str], settings: StabilitySettings,
               before: pd.DataFrame | None, as_of: str, source: str, rows: np.ndarray | None = None) -> pd.DataFrame:
    """``table`` (``published_table``) with the stability rules applied and ``STABILITY_COLUMNS``
    added (module docstring); ``before``: the previous published file when comparable, else None;
    ``rows``: each customer's row in ``before`` (-1 if not there), when the caller has it."""
    ids = pd.Index(table["customer_id"])
    if before is not None and rows is None:
        rows = rows_in(ids, before["customer_id"])
    a = assignments.reset_index() if "customer_id" not in assignments.columns else assignments
    score = _aligned(pd.Series(a["score"].to_numpy(dtype=float), index=pd.Index(a["customer_id"].astype("str"))), ids)
    tiers = pd.Categorical.from_codes(_tier_codes(table["tier"], order), dtype=pd.CategoricalDtype(order, ordered=True))
    grading = pd.DataFrame({"tier": tiers, "score": score, "provisional": table["provisional"].to_numpy()}, index=ids)
    rules = settings.rules
    if "review_after" in rules:
        lacking = [c for c in ("profit", "frequency") if c not in table.columns]
        if lacking:
            raise GovernanceError([Problem(source, "stability.review_after", "needs each customer's profit and orders, "
                                           f"and the features have no {' or '.join(lacking)}")])
        grading["profit"], grading["orders"] = (_period(table, before, "profit", rows),
                                                _period(table, before, "frequency", rows))
    frame, state = step(as_of, grading, None if before is None else _state(before, order), order, rows=rows, **rules)
    out = table.assign(tier=frame["tier"].astype("str").array)
    return out.assign(raw_tier=table["tier"].array, stay=pd.array(frame["stay"].to_numpy(), dtype="Int64"),
                      review=frame["review"].to_numpy(),
                      unprofitable_periods=pd.array(state.unprofitable, dtype="Int64"))


def _identical(previous: pd.DataFrame, table: pd.DataFrame) -> bool:
    return len(previous) == len(table) and all(same_ids(previous[c], table[c]) for c in ("customer_id", "tier")) \
        and np.array_equal(previous["provisional"].to_numpy(), table["provisional"].to_numpy())


def _prefix(out: pd.DataFrame, where: np.ndarray, reason) -> None:
    """Set ``movement_reason`` of the rows ``where`` to ``reason(those rows)``; the string work
    is done for those rows only (a few thousand of millions)."""
    rows = np.flatnonzero(where)
    new = pa.array(reason(out.iloc[rows]).array, type=pa.large_string())
    old = pa.array(out["movement_reason"].array)
    old = old.combine_chunks() if isinstance(old, pa.ChunkedArray) else old
    out["movement_reason"] = pd.array(pc.replace_with_mask(old.cast(pa.large_string()), pa.array(where), new),
                                      dtype=out["movement_reason"].dtype)


def published_before(config: Any, reports_dir: str | Path, final: str | Path | None) -> str | None:
    """The method the series' previous run published (the grading in use), None without one."""
    if config.series is None:
        return None
    previous = find_previous(reports_dir, config.series, config.as_of, previous_run=config.previous_run, exclude=final)
    return None if previous is None else previous.method


def publish_run(result: Any, run_dir: str | Path, *, reports_dir: str | Path, final: str | Path | None = None,
                ) -> Publication:
    """Write the run's governance files into ``run_dir`` (module docstring); ``final`` is the
    name the run folder will have (never its own previous run)."""
    config, run_dir = result.config, Path(run_dir)
    method = published_method(result)
    assignments = result.assignments[method]
    order = tier_order(assignments)
    table = published_table(assignments, result.features)
    previous: LedgerEntry | None = None
    if config.series is not None:
        previous = find_previous(reports_dir, config.series, config.as_of, previous_run=config.previous_run,
                                 exclude=final)
    files: list[Path] = []
    settings = StabilitySettings(**(config.stability or {}))
    keep = {"order": order, "settings": settings, "as_of": str(config.as_of), "source": str(config.source)}
    if previous is None:
        table = stabilised(table, assignments, before=None, **keep)
        out = _first_run(table, order)
        record = None
    else:
        before = read_published(previous)
        comparable = bool(pd.Index(before["tier"].unique()).isin(order).all())
        rows = rows_in(table["customer_id"], before["customer_id"])  # each customer's row in the previous file
        source = _state_source(previous, before, config, reports_dir, final) if comparable else None
        table = stabilised(table, assignments, before=source, rows=rows if source is before else None, **keep)
        if comparable:
            moves = movement(before, table, order, names=indicator_names(config.lookback_months))
            columns = _current_rows(moves, table)[list(MOVEMENT_COLUMNS)]
            files += write_table(matrix_rows(moves, order, _profit(table)), run_dir / GOVERNANCE_DIR / MATRIX,
                                 parquet=False, index=False)
            files += write_table(summary_rows(moves, table, before), run_dir / GOVERNANCE_DIR / SUMMARY,
                                 parquet=False, index=False)
        else:
            columns = _not_comparable(before, table, previous.method, rows)
        out = table.assign(**{c: columns[c].array for c in MOVEMENT_COLUMNS})
        # provisional last run, confirmed now (six months' tenure): the ledger says so first
        done = confirmed(before.set_index("customer_id")["provisional"],
                         table.set_index("customer_id")["provisional"], rows=rows).to_numpy()
        if done.any():
            _prefix(out, done, lambda some: CONFIRMED_REASON + "; " + some["movement_reason"])
        held = (out["raw_tier"] != out["tier"]).to_numpy()
        if held.any():
            _prefix(out, held, lambda some: "held in " + some["tier"] + " by the stability rules (graded "
                    + some["raw_tier"] + " this run); " + some["movement_reason"])
        files += write_table(drift_table(before, table), run_dir / GOVERNANCE_DIR / DRIFT, parquet=False, index=False)
        record = {"run": previous.name, "as_of": previous.as_of.isoformat(), "sha256": previous.sha256,
                  "method": previous.method, "identical": _identical(before, table), "comparable": comparable}
    if method in result.fitted:  # why each customer is in its tier, for the sales rep (the CRM export)
        reason = result.fitted[method].explain(result.features, assignments)
        reason.index = reason.index.astype("str")
        out[f"reason_{method}"] = reason.reindex(pd.Index(out["customer_id"])).array
    if result.stability_trade_off is not None:
        files += write_table(result.stability_trade_off, run_dir / GOVERNANCE_DIR / TRADE_OFF, parquet=False,
                             index=False)
    sha = write_published(out, run_dir)
    files.insert(0, run_dir / "published.csv")
    published = {**published_record(method, out, sha), "stability": stability_record(out, settings)}
    return Publication({"series": config.series, "published": published, "previous": record}, files)


def stability_record(published: pd.DataFrame, settings: StabilitySettings) -> dict[str, Any]:
    """The manifest's record of the stability rules: the rules on, customers held in their
    previous tier by them, customers flagged for review."""
    return {"rules": settings.rules, "held": int((published["raw_tier"] != published["tier"]).sum()),
            "review": int(published["review"].sum())}
