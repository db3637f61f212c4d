"""Capacity and the money at stake: how much next-period profit each grading's top N customers made.

A team can serve ``key_accounts`` customers (``decision: {key_accounts: N}``, docs/DECISIONS.md).
For every grading, the *profit covered* is the outcome profit (``profit_outcome``) of the first N
customers of its ordering (``metrics``: tier best first, then score higher first — a NaN score
counts as 0 — then customer id; so when several customers tie at the N-th place, those with the
smaller customer id are served). Two references:

- ``hindsight``: the N customers with the highest outcome profit (ties by customer id), the
  ceiling no grading can pass;
- ``random``: N customers chosen at random, by its expectation N/n x total outcome profit.

When N exceeds the n graded customers it is capped at n and every row's ``note`` says so.

Intervals (``level``, 95 % by default) come from the paired Poisson bootstrap of the leaderboard
(``leaderboard.bootstrap_sums``, the same ``random_state`` gives the same replicate weights):
each replicate weights every customer by a Poisson(1) count, the same weights for every grading,
and each grading's top-N set is held fixed (it depends on the features, not on the outcomes;
hindsight's set too, although it was chosen with them). Random's replicate is N/n x the
replicate's total. A difference between two gradings is the difference of their replicates, so
it is paired: a grading against itself, or against a grading with the same top N, differs by 0
with a zero-width interval. Percentile intervals; none (NaN) when ``n_boot`` is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segment.validation.leaderboard import _checked_rankings, _pct, bootstrap_sums
from segment.validation.metrics import Ranking, hindsight_ranking

#: the two reference rows (and the reference labels that need no method)
HINDSIGHT, RANDOM = "hindsight", "random"

CAPACITY_COLUMNS = ["method", "key_accounts", "customers", "profit_covered", "profit_low", "profit_high",
                    "share_of_hindsight", "note"]
DIFFERENCE_COLUMNS = ["method", "reference", "reference_method", "difference", "low", "high", "clearly"]
CURVE_COLUMNS = ["method", "customers_served", "share_of_customers", "profit_covered"]

REFERENCE_NOTES = {
    HINDSIGHT: "the customers with the highest profit in the outcome window, chosen with hindsight: the ceiling",
    RANDOM: "customers chosen at random: the expected profit (the served share of all profit)",
}


@dataclass(frozen=True)
class CapacityInputs:
    """What the capacity tables are made of: N used, n, the gradings' (and references') profit
    covered and their paired bootstrap replicates (name -> array of ``n_boot``; empty without
    replicates), the capping note ("" when N fits) and the intervals' level. Small (a few
    thousand numbers), so a validation result keeps it for differences added later."""

    key_accounts: int
    customers: int
    covered: dict[str, float]
    replicates: dict[str, np.ndarray]
    note: str
    level: float = 0.95


def served(key_accounts: int, customers: int) -> tuple[int, str]:
    """(N used, note): ``key_accounts`` capped at the number of graded customers, and the note
    that says so ("" when it fits). ValueError when ``key_accounts`` is below 1."""
    if isinstance(key_accounts, bool) or int(key_accounts) != key_accounts or key_accounts < 1:
        raise ValueError(f"key_accounts must be a whole number of customers, at least 1 (got {key_accounts!r})")
    n_used = min(int(key_accounts), int(customers))
    if n_used == key_accounts:
        return n_used, ""
    return n_used, (f"capacity of {int(key_accounts):,} key accounts is more than the {int(customers):,} graded "
                    f"customers: all {int(customers):,} are served")


def capacity_inputs(rankings: dict[str, Ranking], outcomes: pd.DataFrame, *, key_accounts: int, n_boot: int,
                    random_state: int, level: float = 0.95) -> CapacityInputs:
    """Profit covered by each grading's first N customers, the references, and the paired
    replicates (module docstring). ``rankings`` are aligned to ``outcomes``' rows."""
    if clash := [name for name in rankings if name in (HINDSIGHT, RANDOM)]:
        raise ValueError(f"a grading may not be called {clash[0]!r}: that name is a reference row of the capacity table")
    profit = outcomes["profit_outcome"].to_numpy(dtype=float)
    n = len(profit)
    n_used, note = served(key_accounts, n)
    tops = {name: r.order[:n_used] for name, r in rankings.items()}
    tops[HINDSIGHT] = hindsight_ranking(profit, outcomes.index).order[:n_used]
    total = float(profit.sum())
    # summed in customer order: the same set of customers gives the same figure, bit for bit
    covered = {name: float(profit[np.sort(top)].sum()) for name, top in tops.items()}
    covered[RANDOM] = n_used / n * total if n else 0.0
    replicates: dict[str, np.ndarray] = {}
    if n_boot and n:
        # customers without outcome profit add 0 to every sum: only the others get weights
        rows = np.flatnonzero(profit)
        x = np.zeros((len(rows), 1 + len(tops)), dtype=np.float32)  # float32: what the bootstrap product uses
        x[:, 0] = profit[rows]
        in_top = np.zeros(n, dtype=bool)
        for j, top in enumerate(tops.values(), start=1):
            in_top[top] = True
            chosen = in_top[rows]
            x[chosen, j] = x[chosen, 0]
            in_top[top] = False
        sums = bootstrap_sums(x, n_boot=int(n_boot), random_state=int(random_state))
        replicates = {name: sums[:, j] for j, name in enumerate(tops, start=1)}
        replicates[RANDOM] = n_used / n * sums[:, 0]
    return CapacityInputs(key_accounts=n_used, customers=n, covered=covered, replicates=replicates, note=note,
                          level=float(level))


def _interval(values: np.ndarray | None, level: float) -> tuple[float, float]:
    """The percentile interval of replicates at ``level`` (NaN without replicates)."""
    if values is None:
        return float("nan"), float("nan")
    return _pct(values, 50 * (1 - level)), _pct(values, 100 - 50 * (1 - level))


def _notes(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _by_profit(inputs: CapacityInputs) -> list[str]:
    """The gradings, most profit covered first (a stable sort: ties keep the gradings' order)."""
    return sorted((m for m in inputs.covered if m not in (HINDSIGHT, RANDOM)), key=lambda m: -inputs.covered[m])


def capacity_rows(inputs: CapacityInputs) -> pd.DataFrame:
    """The capacity table: the gradings, most profit covered first (ties in the gradings' order),
    then hindsight and random (columns: ``capacity_table``)."""
    ceiling = inputs.covered[HINDSIGHT]
    rows = []
    for name in [*_by_profit(inputs), HINDSIGHT, RANDOM]:
        low, high = _interval(inputs.replicates.get(name), inputs.level)
        covered = inputs.covered[name]
        rows.append({"method": name, "key_accounts": inputs.key_accounts, "customers": inputs.customers,
                     "profit_covered": covered, "profit_low": low, "profit_high": high,
                     "share_of_hindsight": covered / ceiling if ceiling > 0 else float("nan"),
                     "note": _notes(REFERENCE_NOTES.get(name, ""), inputs.note)})
    return pd.DataFrame(rows, columns=CAPACITY_COLUMNS)


def clearly(low: float, high: float) -> str:
    """'better' when the difference's interval lies above 0, 'worse' below, '' when it holds 0
    or there is no interval."""
    return "better" if low > 0 else "worse" if high < 0 else ""


def capacity_differences(inputs: CapacityInputs, references: dict[str, str | None]) -> pd.DataFrame:
    """Each grading minus each reference (columns: ``capacity_table``), rows by grading (the
    capacity table's order) then reference (``references``' order). A reference whose method is
    None or not graded is left out; the labels 'random' and 'hindsight' need no method."""
    resolved = {}
    for label, method in references.items():
        target = label if label in (RANDOM, HINDSIGHT) else method
        if target is not None and target in inputs.covered:
            resolved[label] = target
    reps, rows = inputs.replicates, []
    for name in _by_profit(inputs):
        for label, target in resolved.items():
            diff = inputs.covered[name] - inputs.covered[target]
            # the same weights for both: a grading with the same top N differs by 0 in every replicate
            low, high = _interval(reps[name] - reps[target] if reps else None, inputs.level)
            rows.append({"method": name, "reference": label, "reference_method": target, "difference": diff,
                         "low": low, "high": high, "clearly": clearly(low, high)})
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)


def capacity_table(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, *, key_accounts: int,
                   references: dict[str, str | None], n_boot: int, random_state: int, level: float = 0.95,
                   rankings: dict[str, Ranking] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(capacity, differences) of the gradings ``assignments`` on ``outcomes`` (module docstring).

    capacity: one row per grading, most profit covered first, then 'hindsight' and 'random':
    method, key_accounts (N used), customers (n), profit_covered (outcome profit of the
    grading's first N customers, money), profit_low, profit_high (paired bootstrap interval),
    share_of_hindsight (profit_covered / hindsight's; NaN when hindsight's is not positive),
    note (what a reference row is; that N was capped at n).

    differences: one row per (grading, reference): method, reference (the label, e.g.
    'recommended', 'published', 'abc', 'random'), reference_method, difference (method minus
    reference, money), low, high (paired bootstrap), clearly ('better' / 'worse' when the
    interval excludes 0, else ''). ``references`` maps label -> method name; None or a method
    that was not graded leaves that reference out; 'random' (and 'hindsight') need no method.
    """
    rankings = _checked_rankings(assignments, outcomes, rankings)
    inputs = capacity_inputs(rankings, outcomes, key_accounts=key_accounts, n_boot=n_boot, random_state=random_state,
                             level=level)
    return capacity_rows(inputs), capacity_differences(inputs, references)


def capacity_curve(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, *, key_accounts: int,
                   points: int = 101, rankings: dict[str, Ranking] | None = None) -> pd.DataFrame:
    """Profit covered against the customers served, N from 0 to all n, per grading (in the
    gradings' order) then 'hindsight' and 'random': method, customers_served (N),
    share_of_customers (N / n), profit_covered (the outcome profit of the first N customers of
    the ordering; random: N/n x total). N runs over ``points`` evenly spaced customer shares
    (rounded to whole customers) plus the capacity ``key_accounts`` (capped at n) exactly, so the
    capacity can be marked; each N once."""
    rankings = _checked_rankings(assignments, outcomes, rankings)
    profit = outcomes["profit_outcome"].to_numpy(dtype=float)
    n = len(profit)
    n_used, _ = served(key_accounts, n)
    steps = np.unique(np.r_[np.round(np.linspace(0, 1, points) * n).astype(np.int64), n_used])
    share = steps / n if n else np.zeros(len(steps))
    orders = {name: r.order for name, r in rankings.items()}
    orders[HINDSIGHT] = hindsight_ranking(profit, outcomes.index).order
    parts = []
    for name, order in orders.items():
        cum = np.r_[0.0, np.cumsum(profit[order])]
        parts.append(pd.DataFrame({"method": name, "customers_served": steps, "share_of_customers": share,
                                   "profit_covered": cum[steps]}))
    parts.append(pd.DataFrame({"method": RANDOM, "customers_served": steps, "share_of_customers": share,
                               "profit_covered": share * profit.sum()}))
    return pd.concat(parts, ignore_index=True)[CURVE_COLUMNS]
