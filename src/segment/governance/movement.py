"""Movement between two published gradings: previous tier -> new tier, and why, in plain words.

``movement(previous, current, tier_order)`` takes two published tables
(``segment.governance.ledger.published_table``) and gives one row per customer of either,
sorted by ``customer_id``: ``previous_tier``, ``tier``, ``movement`` and ``movement_reason``.

Rules:
- Direction by ``tier_order`` (first = best): ``up`` (a better tier), ``down``, ``same``;
  ``new`` (graded now, not before), ``lost`` (graded before, not now). A tier label of
  either grading that is not in ``tier_order`` is a ``GovernanceError`` naming it.
- The reason names the indicators that changed most. For each of ``INDICATORS`` present in
  both tables, a customer's position is the percentile rank of the value in its own run's
  population (``rank(pct=True)``, ties share the average rank; recency negated, so a more
  recent last order ranks higher); the change is the current rank minus the previous one.
  Of the indicators whose value changed (both known and different), the two with the largest
  absolute rank change are named, largest first; equal changes keep the order of
  ``INDICATORS`` (recency, orders, revenue, profit). A missing value is never named.
- Each is written "<plain name> <old> → <new>" with units: days and orders as whole numbers,
  money with 2 decimals; thousands separated by ",", negatives with "−" (U+2212), no currency
  symbol. Revenue with a positive old value adds the change in per cent, rounded to a whole
  number (halves to even; left out when it rounds to 0): "revenue to date 120.00 → 48.00 (−60 %)".
  Profit does not: on a base near 0 or below it a percentage misleads ("+131,867 %"). Two are
  joined by "; ". The plain names are ``PLAIN_NAMES`` unless ``names`` overrides them (e.g.
  "revenue in the last 12 months" when the features use a lookback window).
- No indicator changed: "no change in the indicators" -- also for an up or down, whose tier
  then moved because other customers' values did (cuts relative to the population); new:
  "first graded this run"; lost: "not in this run's grading".
- Vectorised: numbers are formatted once per distinct value, and a reason is built once per
  distinct combination of a customer's values in both runs, only for the two indicators chosen
  (2.36 M customers in seconds, no per-customer loop).

``movement_matrix`` counts customers by previous tier (rows, plus ``NEW_ROW``) and new tier
(columns, plus ``LOST_COLUMN``), and with ``value`` (money by customer_id) sums it per cell;
a customer without a value adds to the count, not to the money.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segment.errors import GovernanceError, Problem
from segment.governance.ledger import INDICATORS
from segment.ids import is_unique, rows_in, same_ids, sort_order, strictly_increasing

MOVEMENTS = ("up", "down", "same", "new", "lost")
PLAIN_NAMES = {"recency_days": "last order", "frequency": "orders", "monetary_total": "revenue to date",
               "profit": "profit to date"}
#: number format and unit after the new value, per indicator
_FORMATS = {"recency_days": (",.0f", " days ago"), "frequency": (",.0f", ""), "monetary_total": (",.2f", ""),
            "profit": (",.2f", "")}
#: indicators whose change is also given in per cent (not profit: its base may be near 0 or negative)
_PERCENT = ("monetary_total",)
NO_CHANGE = "no change in the indicators"
NEW_REASON = "first graded this run"
LOST_REASON = "not in this run's grading"
#: the matrix's extra row (customers not graded before) and column (customers not graded now)
NEW_ROW, LOST_COLUMN = "(new)", "(lost)"
MINUS = "\u2212"


def _check_order(tier_order: Sequence[str]) -> list[str]:
    order = [str(t) for t in tier_order]
    if not order or len(set(order)) != len(order):
        raise ValueError(f"tier_order must list distinct tier labels; got {order}")
    return order


def _positions(tiers: pd.Series, order: list[str], which: str) -> np.ndarray:
    """Each tier as its position in ``order``, -1 where missing (GovernanceError for a label not in it)."""
    codes, labels = pd.factorize(tiers)  # millions of rows, a few labels: look the labels up
    lookup = np.array([order.index(str(t)) if str(t) in order else -2 for t in labels] + [-1], dtype=np.int64)
    positions = lookup[codes]
    if (positions == -2).any():
        label = labels[int(np.flatnonzero(lookup == -2)[0])]
        raise GovernanceError([Problem(f"the {which} grading", "tier", f"{label!r} is not one of the tiers "
                                       f"{', '.join(order)}")])
    return positions


def _ids(table: pd.DataFrame, which: str) -> pd.Index:
    ids = pd.Index(table["customer_id"].astype("str"), name="customer_id")
    if not is_unique(ids):
        raise ValueError(f"the {which} grading lists customer {ids[ids.duplicated()][0]!r} more than once")
    return ids


def _sorted(table: pd.DataFrame, which: str) -> tuple[pd.DataFrame, pd.Index]:
    """``table`` in customer_id order (published tables already are) and its ids."""
    ids = _ids(table, which)
    if strictly_increasing(ids):
        return table, ids
    order = sort_order(ids)
    return table.iloc[order], ids[order]


def _outer(prev_ids: pd.Index, cur_ids: pd.Index) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The sorted union of two sorted, unique id lists, and each one's row in either (-1: not
    there): ``prev_ids.join(cur_ids, how="outer", return_indexers=True)``, by two hash look-ups
    and a sort of the union instead of a merge of millions of Python strings."""
    if same_ids(prev_ids, cur_ids):  # the same customers: the usual case of consecutive runs
        rows = np.arange(len(cur_ids), dtype=np.int64)
        return cur_ids, rows, rows
    in_prev, in_cur = rows_in(cur_ids, prev_ids), rows_in(prev_ids, cur_ids)
    lost = np.flatnonzero(in_cur < 0)
    union = cur_ids.append(prev_ids[lost])
    order = sort_order(union)
    n = len(cur_ids)
    current = order < n
    pi = np.where(current, in_prev[np.minimum(order, n - 1)] if n else -1, lost[np.maximum(order - n, 0)]
                  if len(lost) else -1)
    return union[order], pi.astype(np.int64), np.where(current, order, -1).astype(np.int64)


class _Column:
    """One indicator of one run: its values, their distinct values (sorted) and text, and the
    percentile rank of each row, all from one hash of the values."""

    def __init__(self, values: np.ndarray, spec: str, higher_is_better: bool) -> None:
        self.values = values
        self.codes, uniques = pd.factorize(values, sort=True)
        known = self.codes >= 0
        counts = np.bincount(self.codes[known], minlength=len(uniques))
        average = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based average rank of each distinct value
        if not higher_is_better:  # the rank of -x
            average = counts.sum() + 1 - average
        self.rank = np.full(values.shape, np.nan)  # rank(method="average", pct=True); NaN stays NaN
        self.rank[known] = average[self.codes[known]] / max(int(known.sum()), 1)
        self.text = _formatted(np.asarray(uniques, dtype="float64"), spec)

    def text_of(self, rows: np.ndarray) -> pa.Array:
        return self.text.take(pa.array(np.where(self.codes[rows] < 0, len(self.text) - 1, self.codes[rows])))


def _formatted(uniques: np.ndarray, spec: str) -> pa.Array:
    """Each distinct value formatted with ``spec`` ("−" for minus, never "−0"), then a null."""
    text = [format(v, spec).replace("-", MINUS) for v in uniques]
    text = [t[1:] if t.startswith(MINUS) and not t.strip(MINUS + "+0.,") else t for t in text]
    return pa.array([*text, None], type=pa.string())


def _text(values: np.ndarray, spec: str) -> pa.Array:
    """``values`` formatted with ``spec``, each distinct value once; null for a missing one."""
    codes, uniques = pd.factorize(values)
    text = _formatted(np.asarray(uniques, dtype="float64"), spec)
    return text.take(pa.array(np.where(codes < 0, len(text) - 1, codes)))


def _phrase(name: str, column: str, before: _Column, after: _Column, p: np.ndarray, c: np.ndarray) -> pa.Array:
    """'<name> <old> → <new><unit>[ (±p %)]' for rows ``p`` of the previous run, ``c`` of the current."""
    unit = _FORMATS[column][1]
    parts = [f"{name} ", before.text_of(p), " → ", after.text_of(c), unit]
    if column in _PERCENT:
        old, new = before.values[p], after.values[c]
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(old > 0, np.rint((new - old) / old * 100.0), np.nan)
        pct[pct == 0] = np.nan
        parts += [pc.binary_join_element_wise(" (", _text(pct, "+,.0f"), " %)", "")]  # null where not shown
    return pc.binary_join_element_wise(*parts, "", null_handling="replace", null_replacement="")


def _placed(pieces: list[tuple[np.ndarray, pa.Array]], n: int) -> pa.Array:
    """One array of ``n`` rows from (row mask, text of those rows) pieces; null elsewhere."""
    where = np.full(n, -1, dtype=np.int64)
    start = 0
    for mask, text in pieces:
        where[mask] = start + np.arange(len(text))
        start += len(text)
    where[where < 0] = start
    return pa.concat_arrays([*(t for _, t in pieces), pa.nulls(1, pa.string())]).take(pa.array(where))


def _groups(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows with equal codes in every array grouped: (group of each row, one row of each group)."""
    key, size = np.zeros(len(codes[0]), dtype=np.int64), 1
    for c in codes:
        width = int(c.max(initial=-1)) + 2  # codes from -1 (missing)
        if size * width >= 2 ** 62:  # renumber the groups so far before the key overflows
            key, uniques = pd.factorize(key)
            size = len(uniques)
        key, size = key * width + (c + 1), size * width
    group, uniques = pd.factorize(key)
    one = np.empty(len(uniques), dtype=np.int64)
    one[group] = np.arange(len(group))  # any row of the group will do: its reason is the same
    return group, one


def _reasons(prev: pd.DataFrame, cur: pd.DataFrame, p: np.ndarray, c: np.ndarray,
             names: Mapping[str, str]) -> pa.Array:
    """The reason of each customer graded in both runs (rows ``p`` of prev and ``c`` of cur).
    A reason depends only on the customer's values in both runs (their ranks and text follow
    from them), so it is built once per distinct combination of values and then spread out."""
    columns = [col for col in INDICATORS if col in prev.columns and col in cur.columns]
    n = len(p)
    if not columns or n == 0:
        return pa.array(np.full(n, NO_CHANGE, dtype=object), type=pa.string())
    runs = []
    for col in columns:
        spec, better = _FORMATS[col][0], col != "recency_days"  # a more recent last order ranks higher
        runs.append((_Column(prev[col].to_numpy(dtype="float64", na_value=np.nan), spec, better),
                     _Column(cur[col].to_numpy(dtype="float64", na_value=np.nan), spec, better)))
    every = np.arange(n)
    # every row of a run, in order (the same customers in both): no need to pick rows
    p_all, c_all = len(prev) == n and np.array_equal(p, every), len(cur) == n and np.array_equal(c, every)
    group, one = _groups([code for before, after in runs for code in
                          (before.codes if p_all else before.codes[p], after.codes if c_all else after.codes[c])])
    p, c, m = p[one], c[one], len(one)
    score = np.empty((m, len(columns)))
    for k, (before, after) in enumerate(runs):
        old, new = before.values[p], after.values[c]
        changed = ~np.isnan(old) & ~np.isnan(new) & (old != new)
        score[:, k] = np.where(changed, np.abs(after.rank[c] - before.rank[p]), -1.0)
    order = np.argsort(-score, axis=1, kind="stable")  # stable: equal changes keep INDICATORS order
    rows = np.arange(m)
    named = []
    for place in range(min(2, len(columns))):
        k_of_row = order[:, place]
        valid = score[rows, k_of_row] >= 0
        pieces = []
        for k, col in enumerate(columns):
            chosen = valid & (k_of_row == k)
            if chosen.any():
                pieces.append((chosen, _phrase(names.get(col, PLAIN_NAMES[col]), col, *runs[k], p[chosen],
                                               c[chosen])))
        named.append(_placed(pieces, m))
    first = pc.if_else(pc.is_null(named[0]), NO_CHANGE, named[0])
    return pc.binary_join_element_wise(first, *named[1:], "; ", null_handling="skip").take(pa.array(group))


def movement(previous: pd.DataFrame, current: pd.DataFrame, tier_order: Sequence[str], *,
             names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per customer of either grading (sorted by customer_id): customer_id, previous_tier,
    tier, movement and movement_reason (module docstring). ``names`` overrides ``PLAIN_NAMES``."""
    order = _check_order(tier_order)
    (previous, prev_ids), (current, cur_ids) = _sorted(previous, "previous"), _sorted(current, "current")
    prev_pos, cur_pos = _positions(previous["tier"], order, "previous"), _positions(current["tier"], order, "current")
    ids, pi, ci = _outer(prev_ids, cur_ids)
    had, has = pi >= 0, ci >= 0
    before = np.where(had, prev_pos[np.maximum(pi, 0)], -1)
    after = np.where(has, cur_pos[np.maximum(ci, 0)], -1)
    both = had & has
    kind = np.select([~had, ~has, after < before, after > before], [3, 4, 0, 1], default=2)
    reasons = _placed([(both, _reasons(previous, current, pi[both], ci[both], names or {})),
                       (~had, pa.array(np.full(int((~had).sum()), NEW_REASON, dtype=object), type=pa.string())),
                       (~has, pa.array(np.full(int((~has).sum()), LOST_REASON, dtype=object), type=pa.string()))],
                      len(ids))
    return pd.DataFrame({
        "customer_id": ids.to_numpy() if not isinstance(ids.dtype, pd.StringDtype) else ids.array,
        "previous_tier": pd.Categorical.from_codes(before, categories=order),
        "tier": pd.Categorical.from_codes(after, categories=order),
        "movement": pd.Categorical.from_codes(kind, categories=list(MOVEMENTS)),
        "movement_reason": pd.array(reasons, dtype="str"),
    })


def movement_matrix(moves: pd.DataFrame, tier_order: Sequence[str], value: pd.Series | None = None) -> pd.DataFrame:
    """Customers by previous tier (rows: ``tier_order`` then ``NEW_ROW``) and new tier (columns:
    ``tier_order`` then ``LOST_COLUMN``). With ``value`` (numbers indexed by customer_id) the
    columns are two blocks, ``customers`` and ``value`` (the sum of ``value`` per cell)."""
    order = _check_order(tier_order)
    if NEW_ROW in order or LOST_COLUMN in order:
        raise ValueError(f"tier labels {NEW_ROW!r} and {LOST_COLUMN!r} are reserved for the movement matrix")
    k = len(order)
    before = _positions(moves["previous_tier"], order, "previous")
    after = _positions(moves["tier"], order, "current")
    cell = np.where(before < 0, k, before) * (k + 1) + np.where(after < 0, k, after)
    rows = pd.Index([*order, NEW_ROW], name="previous_tier")
    cols = pd.Index([*order, LOST_COLUMN], name="tier")
    counts = pd.DataFrame(np.bincount(cell, minlength=(k + 1) ** 2).reshape(k + 1, k + 1), index=rows, columns=cols)
    if value is None:
        return counts
    if not pd.api.types.is_numeric_dtype(value) or pd.api.types.is_bool_dtype(value):
        raise ValueError(f"value must be numbers; got {value.dtype}")
    if not is_unique(value.index):
        raise ValueError(f"value lists customer {value.index[value.index.duplicated()][0]!r} more than once")
    ids, known = moves["customer_id"].astype("str"), value.index.astype("str")
    graded = moves["tier"].notna().to_numpy()
    money = value.to_numpy(dtype="float64", na_value=np.nan)
    if same_ids(ids[graded], known):  # the money of this run's customers (the ledger's case): no look-up
        v = np.full(len(ids), np.nan)
        v[graded] = money
    else:
        v = np.append(money, np.nan)[rows_in(ids, known)]  # -1: the NaN at the end
    if np.isinf(v).any():
        raise ValueError("value has infinite numbers")
    money = np.bincount(cell, weights=np.nan_to_num(v, nan=0.0), minlength=(k + 1) ** 2).reshape(k + 1, k + 1)
    return pd.concat({"customers": counts, "value": pd.DataFrame(money, index=rows, columns=cols)}, axis=1)
