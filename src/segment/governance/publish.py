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
- Vectorised throughout: no per-customer Python loop (2.36 M customers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from segment.errors import GovernanceError, Problem
from segment.export import write_table
from segment.governance.drift import drift_table
from segment.governance.ledger import (LedgerEntry, find_previous, published_record, published_table, read_published,
                                       write_published)
from segment.governance.stability import CONFIRMED_REASON, confirmed
from segment.governance.movement import LOST_COLUMN, MOVEMENTS, NEW_REASON, NEW_ROW, movement, movement_matrix
from segment.methods.registry import display_name

GOVERNANCE_DIR = "governance"
MATRIX, SUMMARY, DRIFT = "movement_matrix", "movement_summary", "drift"
NOT_COMPARABLE = "not comparable"
#: the published.csv columns the run adds to ``ledger.published_table``
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
    cur = moves.loc[moves["tier"].notna().to_numpy()]
    ids = table["customer_id"].to_numpy()
    if len(cur) == len(table) and np.array_equal(cur["customer_id"].to_numpy(), ids):
        return cur.reset_index(drop=True)
    return cur.set_index("customer_id").reindex(pd.Index(ids)).reset_index(drop=True)


def _not_comparable(previous: pd.DataFrame, table: pd.DataFrame, method: str) -> pd.DataFrame:
    """previous_tier from the previous file; "not comparable" for customers graded in both."""
    labels = pd.Index(previous["tier"].unique()).sort_values()
    where = pd.Index(previous["customer_id"]).get_indexer(pd.Index(table["customer_id"]))
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
    counts = movement_matrix(moves, order)
    money = movement_matrix(moves, order, value=profit)["value"] if profit is not None else None
    rows = counts.stack().rename("customers").reset_index()
    rows["customers"] = rows["customers"].astype("int64")
    rows["profit"] = money.stack().to_numpy() if money is not None else np.nan
    rows["previous_tier"] = pd.Categorical(rows["previous_tier"], categories=[*order, NEW_ROW])
    rows["tier"] = pd.Categorical(rows["tier"], categories=[*order, LOST_COLUMN])
    return rows


def summary_rows(moves: pd.DataFrame, current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """movement, customers, profit: one row per movement (lost: the previous file's profit)."""
    codes = moves["movement"].cat.codes.to_numpy()
    k = len(MOVEMENTS)
    counts = np.bincount(codes, minlength=k)
    now, before = _profit(current), _profit(previous)
    if now is None or before is None:
        money = np.full(k, np.nan)
    else:
        ids, lost = pd.Index(moves["customer_id"]), codes == MOVEMENTS.index("lost")
        values = np.where(lost, before.reindex(ids).to_numpy(), now.reindex(ids).to_numpy())
        money = np.bincount(codes, weights=np.nan_to_num(values, nan=0.0), minlength=k)
    return pd.DataFrame({"movement": list(MOVEMENTS), "customers": counts.astype("int64"), "profit": money})


def _identical(previous: pd.DataFrame, table: pd.DataFrame) -> bool:
    return len(previous) == len(table) and all(
        np.array_equal(previous[c].to_numpy(), table[c].to_numpy()) for c in ("customer_id", "tier", "provisional"))


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
    if previous is None:
        out = _first_run(table, order)
        record = None
    else:
        before = read_published(previous)
        comparable = bool(pd.Index(before["tier"].unique()).isin(order).all())
        if comparable:
            moves = movement(before, table, order, names=indicator_names(config.lookback_months))
            columns = _current_rows(moves, table)[list(MOVEMENT_COLUMNS)]
            files += write_table(matrix_rows(moves, order, _profit(table)), run_dir / GOVERNANCE_DIR / MATRIX,
                                 parquet=False, index=False)
            files += write_table(summary_rows(moves, table, before), run_dir / GOVERNANCE_DIR / SUMMARY,
                                 parquet=False, index=False)
        else:
            columns = _not_comparable(before, table, previous.method)
        out = table.assign(**{c: columns[c].array for c in MOVEMENT_COLUMNS})
        # provisional last run, confirmed now (six months' tenure): the ledger says so first
        done = confirmed(before.set_index("customer_id")["provisional"],
                         table.set_index("customer_id")["provisional"]).to_numpy()
        if done.any():
            reason = out["movement_reason"]
            out["movement_reason"] = reason.where(~done, CONFIRMED_REASON + "; " + reason)
        files += write_table(drift_table(before, table), run_dir / GOVERNANCE_DIR / DRIFT, parquet=False, index=False)
        record = {"run": previous.name, "as_of": previous.as_of.isoformat(), "sha256": previous.sha256,
                  "method": previous.method, "identical": _identical(before, table), "comparable": comparable}
    sha = write_published(out, run_dir)
    files.insert(0, run_dir / "published.csv")
    return Publication({"series": config.series, "published": published_record(method, out, sha),
                        "previous": record}, files)
