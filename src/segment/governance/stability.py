"""Stable grades: the optional rules that stop customers flipping between tiers on noise, and
the two measures of what they cost (docs/GOVERNANCE.md). Every rule is off by default.

A *history* is a list of ``(as_of, grading)`` in date order, one per consecutive grading of a
series (quarter ends), each grading a DataFrame indexed by ``customer_id`` with ``tier`` (an
ordered categorical, best first, the same categories in every grading; or pass
``tier_order``), ``score``, ``provisional``, ``tenure_days``, ``profit`` and ``orders`` (the
profit the customer made and the orders it placed in the period since the previous grading,
not to date).

``stabilise(history, margin=, min_stay=, review_after=)`` returns the gradings with the same
rows, ``tier`` adjusted, and four columns added: ``raw_tier`` (the grading's own tier),
``stay`` (consecutive gradings in the current tier, this one included), ``status`` and
``review``. The rules, applied in this order at each grading after the first:

- **margin** (a share of customers, e.g. 0.05): a customer keeps last grading's (stabilised)
  tier unless it crossed that tier's cut by more than the margin. Distances are in
  *rank-percentile* terms, not in score units (a heavy-tailed score such as revenue would
  make a share of its spread mean nothing for most customers): a customer's position ``q``
  is its place in this grading's ordering (best tier first, then higher score, the package's
  rule: a missing score counts as 0; equal tier and score share their average place) as a
  share of the customers, ``(place + 0.5) / n``; tier k spans ``[S_k, S_k+1]``, S_k the share
  of customers in better tiers. The previous tier p is kept when ``S_p − margin <= q <=
  S_p+1 + margin`` (crossing by exactly the margin keeps it). A grading whose scores are all
  missing cannot carry a margin: ValueError.
- **min_stay** (k gradings): a tier is kept for at least k gradings before it may change,
  upgrades and downgrades alike; a new customer starts counting when first graded (stay 1).
  k = 1 changes nothing.
- **provisional**: always applied, it changes no tier by itself. ``status`` is
  ``provisional`` while the grading flags the customer provisional (tenure under the run's
  ``provisional_days``), ``confirmed`` at the first grading after a provisional one where it
  is not (the ledger's "provisional → confirmed"), ``graded`` otherwise. Confirmation
  releases no hold: margin and min_stay treat provisional customers like any other (a new
  customer's stay counts from its first grading, provisional or not), so a grade announced
  provisionally is not changed at confirmation for the sake of it either.
- **review_after** (N gradings): ``review`` is True for a customer unprofitable in each of
  its last N consecutive gradings, this one included. A period is *unprofitable* when the
  customer ordered in it (``orders`` >= 1, the orders placed since the previous grading) and
  its ``profit`` was <= 0: the sources' "drop bad customers" is about customers who cost more
  than they bring, not about customers who stopped buying (churn, which the validation
  measures). A period without orders is therefore not unprofitable, and it ends a run of
  unprofitable ones. Flagged customers keep their tier and stay in the grading: never
  dropped silently. With the rule off ``review`` is False. A missing ``profit`` or ``orders``
  with the rule on is a ValueError (unknown is neither profitable nor not).

A customer missing from a grading (not graded then) starts afresh when graded again, as a new
customer. The rules run once per grading, vectorised over customers (a loop over dates only):
``step`` is one grading given the state the previous one left (``State``), so a run of a
series can apply them to its own grading from the state its previous run published.

Measures: ``flip_flop_rate`` (defined on ``flip_flops``) and ``top_tier_capture``
(``segment.validation.tiers.per_tier_outcomes``' top-tier profit share).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from segment.ids import id_numbers, is_unique, rows_in
from segment.methods.params import param

#: the ``status`` values, in the order a customer passes through them
STATUSES = ("provisional", "confirmed", "graded")
#: the ledger's words for a customer confirmed this run
CONFIRMED_REASON = "provisional \u2192 confirmed"
REQUIRED = ("tier", "provisional")

History = Sequence[tuple[str, pd.DataFrame]]


@dataclass(frozen=True)
class StabilitySettings:
    """The ``stability:`` section of a run config: the policy a series' run applies to the
    grading it publishes (``segment.governance.publish``), every rule off by default. The
    config check reads the types and ranges from here."""

    margin: float | None = param(None, low=0, high=0.5, help="keep last run's tier unless the customer moved past "
                                                            "its cut by more than this share of customers (0.05)")
    min_stay: int | None = param(None, low=1, help="runs a tier is kept before it may change (2: no move back "
                                                   "within one quarter)")
    review_after: int | None = param(None, low=1, help="flag for review a customer who ordered at a loss in this "
                                                       "many consecutive runs (never dropped silently)")

    @property
    def rules(self) -> dict[str, float | int]:
        """The rules that are on, as ``stabilise``/``step`` keywords."""
        return {k: v for k, v in (("margin", self.margin), ("min_stay", self.min_stay),
                                  ("review_after", self.review_after)) if v is not None}


def _tier_order(history: History, tier_order: Sequence[str] | None) -> list[str]:
    if tier_order is not None:
        order = [str(t) for t in tier_order]
    else:
        tier = history[0][1]["tier"]
        if not isinstance(tier.dtype, pd.CategoricalDtype) or not tier.cat.ordered:
            raise TypeError(f"grading of {history[0][0]}: 'tier' must be an ordered categorical (best first), "
                            "or pass tier_order")
        order = [str(t) for t in tier.cat.categories]
    if not order or len(set(order)) != len(order):
        raise ValueError(f"tier_order must list distinct tier labels; got {order}")
    return order


def _codes(as_of: str, grading: pd.DataFrame, order: list[str]) -> np.ndarray:
    """Each customer's tier as its position in ``order`` (ValueError for a missing or unknown label)."""
    tier = grading["tier"]
    if isinstance(tier.dtype, pd.CategoricalDtype) and [str(t) for t in tier.cat.categories] == order:
        out = tier.cat.codes.to_numpy().astype(np.int64)  # the usual case: the codes are the positions
        if (out >= 0).all():
            return out
    codes, labels = pd.factorize(grading["tier"].astype("object"), use_na_sentinel=True)
    lookup = np.array([order.index(str(t)) if str(t) in order else -1 for t in labels] + [-1], dtype=np.int64)
    out = lookup[codes]
    if (out < 0).any():
        bad = grading["tier"].iloc[int(np.flatnonzero(out < 0)[0])]
        raise ValueError(f"grading of {as_of}: tier {bad!r} is not one of {', '.join(order)}")
    return out


def positions(codes: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each customer's place in the ordering (tier first, then higher score; a missing score
    counts as 0; equal tier and score share their average place) as ``(place + 0.5) / n``."""
    n = len(codes)
    if n == 0:
        return np.empty(0)
    s = np.where(np.isnan(score), 0.0, score)
    # the (tier, score) pairs, numbered in the ordering (a few hundred distinct pairs, not n rows to sort)
    value, values = pd.factorize(s, sort=True)
    group, groups = pd.factorize(np.asarray(codes, dtype=np.int64) * len(values) + (len(values) - 1 - value), sort=True)
    size = np.bincount(group, minlength=len(groups))
    mean_place = (np.cumsum(size) - size) + (size - 1) / 2.0  # a group's places are consecutive
    return (mean_place[group] + 0.5) / n


def _check(history: History, margin: float | None, min_stay: int | None, review_after: int | None) -> None:
    if margin is not None and not (0 <= float(margin) < 1):
        raise ValueError(f"margin must be a share of customers in [0, 1); got {margin!r}")
    for name, k in (("min_stay", min_stay), ("review_after", review_after)):
        if k is not None and (isinstance(k, bool) or int(k) != k or int(k) < 1):
            raise ValueError(f"{name} must be a whole number of gradings >= 1; got {k!r}")
    dates = [str(as_of) for as_of, _ in history]
    if dates != sorted(dates) or len(set(dates)) != len(dates):
        raise ValueError(f"the history must be in date order, one grading per date; got {dates}")
    for as_of, g in history:
        missing = [c for c in REQUIRED if c not in g.columns]
        if margin is not None and "score" not in g.columns:
            missing.append("score")
        if review_after is not None:
            missing += [c for c in ("profit", "orders") if c not in g.columns]
        if missing:
            raise KeyError(f"grading of {as_of} lacks {missing}")
        if not is_unique(g.index):
            raise ValueError(f"grading of {as_of}: a customer is graded twice ({g.index[g.index.duplicated()][0]!r})")


@dataclass(frozen=True)
class State:
    """What one grading leaves for the next: per customer (``index``) the stabilised tier (as
    its position in the tier order), ``stay``, ``provisional`` and ``unprofitable`` (the
    length of its current run of unprofitable gradings)."""

    index: pd.Index
    tier: np.ndarray
    stay: np.ndarray
    provisional: np.ndarray
    unprofitable: np.ndarray

    def before(self, name: str, pos: np.ndarray, default: int) -> np.ndarray:
        """``name`` per customer of the next grading (``pos``: its row here, -1 if not graded)."""
        if not (pos >= 0).any():
            return np.full(len(pos), default, dtype=np.int64)
        return np.where(pos >= 0, getattr(self, name)[np.maximum(pos, 0)].astype(np.int64), default)


def step(as_of: str, g: pd.DataFrame, previous: State | None, order: Sequence[str], *, margin: float | None = None,
         min_stay: int | None = None, review_after: int | None = None,
         rows: np.ndarray | None = None) -> tuple[pd.DataFrame, State]:
    """One grading ``g`` (at ``as_of``) with the rules applied given the ``previous`` grading's
    state (None: the first grading, which no rule changes): (the stabilised frame, its state).
    ``order``: the tier labels, best first. Call ``stabilise`` for a whole history; this is
    its loop body (and the ledger's, one run at a time). ``rows``: each customer's row in
    ``previous.index`` (-1: not graded there), when the caller has looked it up already."""
    order = [str(t) for t in order]
    raw = _codes(as_of, g, order)
    n = len(g)
    provisional = g["provisional"].to_numpy(dtype=bool)
    if previous is None:
        pos = np.full(n, -1)
    else:
        pos = rows_in(g.index, previous.index) if rows is None else rows
    prev = previous or State(pd.Index([]), *(np.zeros(0, np.int64),) * 4)
    seen = pos >= 0
    p_tier, p_stay = prev.before("tier", pos, -1), prev.before("stay", pos, 0)
    confirmed_now = seen & prev.before("provisional", pos, 0).astype(bool) & ~provisional
    tier = raw.copy()
    if margin is not None:
        score = g["score"].to_numpy(dtype=float)
        if n and np.isnan(score).all():
            raise ValueError(f"grading of {as_of}: margin needs a score, and every score is missing")
        q = positions(raw, score)
        share = np.r_[0.0, np.cumsum(np.bincount(raw, minlength=len(order)))] / max(n, 1)
        p = np.clip(p_tier, 0, len(order) - 1)
        inside = (q >= share[p] - margin) & (q <= share[p + 1] + margin)
        tier = np.where(seen & (tier != p_tier) & inside, p_tier, tier)
    if min_stay is not None:
        tier = np.where(seen & (tier != p_tier) & (p_stay < min_stay), p_tier, tier)
    stay = np.where(seen & (tier == p_tier), p_stay + 1, 1)
    status = np.where(provisional, 0, np.where(confirmed_now, 1, 2))
    if review_after is not None:
        profit, orders = g["profit"].to_numpy(dtype=float), g["orders"].to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(profit) | np.isnan(orders)
        if missing.any():
            raise ValueError(f"grading of {as_of}: review_after needs every customer's profit and orders; "
                             f"{int(missing.sum())} are missing")
        unprofitable = np.where((orders >= 1) & (profit <= 0), prev.before("unprofitable", pos, 0) + 1, 0)
        review = unprofitable >= review_after
    else:
        unprofitable, review = np.zeros(n, np.int64), np.zeros(n, bool)
    frame = g.copy(deep=False)  # copy-on-write: the columns set below are the new frame's own, g is unchanged
    dtype = pd.CategoricalDtype(order, ordered=True)
    frame["raw_tier"] = pd.Categorical.from_codes(raw, dtype=dtype)
    frame["tier"] = pd.Categorical.from_codes(tier, dtype=dtype)
    frame["stay"] = stay.astype(np.int64)
    frame["status"] = pd.Categorical.from_codes(status, dtype=pd.CategoricalDtype(list(STATUSES)))
    frame["review"] = review
    return frame, State(g.index, tier, stay.astype(np.int64), provisional, unprofitable.astype(np.int64))


def stabilise(history: History, *, margin: float | None = None, min_stay: int | None = None,
              review_after: int | None = None, tier_order: Sequence[str] | None = None,
              links: Sequence[np.ndarray | None] | None = None) -> list[pd.DataFrame]:
    """The gradings of ``history`` with the stability rules applied (module docstring); each
    rule is off when None. Returns one DataFrame per grading, same index and columns, ``tier``
    adjusted, plus ``raw_tier``, ``stay``, ``status`` and ``review``. ``links``: the history's
    ``history_links``, when the caller applies several rule sets to the same history."""
    if not history:
        return []
    _check(history, margin, min_stay, review_after)
    order = _tier_order(history, tier_order)
    links = history_links(history) if links is None else links
    state: State | None = None
    out = []
    for (as_of, g), rows in zip(history, links):
        frame, state = step(as_of, g, state, order, margin=margin, min_stay=min_stay, review_after=review_after,
                            rows=rows)
        out.append(frame)
    return out


def history_links(history: History) -> list[np.ndarray | None]:
    """Per grading of ``history``, each customer's row in the grading before (-1: not graded
    there; None for the first grading)."""
    return [None] + [rows_in(g.index, before.index) for (_, before), (_, g) in zip(history, history[1:])]


@dataclass(frozen=True)
class Customers:
    """The customers of a history as numbers (``history_customers``): ``numbers`` per row of
    ``everyone`` (the gradings' indexes one after the other), numbered from 0 in order of first
    appearance, and ``first``, each number's first row in ``everyone``."""

    everyone: pd.Index
    numbers: np.ndarray
    first: np.ndarray


def history_customers(history: History) -> Customers:
    """``Customers`` of ``history`` (the same for every rule set applied to it: the rules change
    tiers, never who is graded)."""
    indexes = [g.index for _, g in history]
    everyone = indexes[0].append(indexes[1:]) if indexes else pd.Index([])
    numbers = id_numbers(everyone)
    # numbered in order of first appearance: a row is a customer's first when its number exceeds all before it
    first = np.flatnonzero(numbers > np.r_[-1, np.maximum.accumulate(numbers)[:-1]]) if len(numbers) else numbers
    return Customers(everyone, numbers, first)


def flip_flops(history: History, *, customers: Customers | None = None) -> pd.Series:
    """Per customer graded in at least three consecutive gradings (``customer_id`` index,
    sorted): True when in some three consecutive gradings i, i+1, i+2 (all three grading it)
    its tier went X → Y → X with X != Y (tiers compared by their labels as text; a missing tier
    equals none, itself included). Fewer than three gradings: ValueError. ``customers``: the
    history's ``history_customers``, when the caller has them already."""
    if len(history) < 3:
        raise ValueError(f"a flip-flop needs three consecutive gradings; the history has {len(history)}")
    c = history_customers(history) if customers is None else customers
    everyone, ids, first = c.everyone, c.numbers, c.first
    labels: dict[str, int] = {}
    tiers = []
    start = 0
    for _, g in history:
        at = np.full(len(first), -1, dtype=np.int64)  # per customer: its tier's number, -1 not graded, -2 missing
        at[ids[start:start + len(g)]] = _label_numbers(g["tier"], labels)
        tiers.append(at)
        start += len(g)
    eligible = np.zeros(len(first), dtype=bool)
    flipped = np.zeros(len(first), dtype=bool)
    for x, y, z in zip(tiers, tiers[1:], tiers[2:]):
        all_three = (x != -1) & (y != -1) & (z != -1)
        eligible |= all_three
        flipped |= all_three & (x == z) & (x >= 0) & (x != y)
    names = {g.index.name for _, g in history}
    who = everyone.take(first[eligible]).rename(names.pop() if len(names) == 1 else None)
    who, order = who.sort_values(return_indexer=True)
    return pd.Series(flipped[eligible][order], index=who, name="flip_flop")


def _label_numbers(tier: pd.Series, labels: dict[str, int]) -> np.ndarray:
    """Each customer's tier label, as text, as a number from 0 (the same number for the same text
    in every grading: ``labels``, filled as new labels appear); -2 where the tier is missing."""
    if isinstance(tier.dtype, pd.CategoricalDtype):
        codes, names = tier.cat.codes.to_numpy().astype(np.int64), [str(c) for c in tier.cat.categories]
    else:
        codes, uniques = pd.factorize(tier.astype("object").astype(str))
        names = [str(u) for u in uniques]
    lookup = np.array([labels.setdefault(name, len(labels)) for name in names] + [-2], dtype=np.int64)
    return lookup[codes]  # a missing tier is code -1: the last entry, -2


def flip_flop_rate(history: History) -> float:
    """The share of customers graded in three consecutive gradings who flip-flopped
    (``flip_flops``); NaN when no customer is graded in three consecutive gradings."""
    return share_flipped(flip_flops(history))


def share_flipped(flips: pd.Series) -> float:
    """``flip_flop_rate`` of the customers' ``flip_flops``."""
    return float(flips.mean()) if len(flips) else float("nan")


def top_tier_capture(grading: pd.DataFrame, outcomes: pd.DataFrame, *, rows: np.ndarray | None = None) -> float:
    """Out-of-time top-tier profit capture: the share of the next period's profit (the outcome
    table's ``profit_outcome``) made by the customers of the grading's best tier, as
    ``segment.validation.tiers.per_tier_outcomes``' top-tier ``profit_share`` computes it (the
    same sums in the same order: the same number to the bit; tested). Every graded customer
    needs an outcome row. ``rows``: each graded customer's row in ``outcomes``
    (``outcome_rows``), when the caller has looked it up already."""
    from segment.validation.tiers import check_outcomes

    if rows is None:
        check_outcomes(outcomes)
        rows = outcome_rows(grading, outcomes)
    tier = grading["tier"]
    if not isinstance(tier.dtype, pd.CategoricalDtype) or not tier.cat.ordered:
        raise TypeError("grading: 'tier' must be an ordered categorical (best first)")
    codes = tier.cat.codes.to_numpy().astype(np.int64)
    if (codes < 0).any():
        raise ValueError("grading: missing tiers")
    profit = outcomes["profit_outcome"].to_numpy(dtype=float)[rows]
    total = np.bincount(codes, weights=profit, minlength=len(tier.cat.categories))
    grand = total.sum()
    return float(total[0] / grand) if grand else float("nan")


def outcome_rows(grading: pd.DataFrame, outcomes: pd.DataFrame) -> np.ndarray:
    """Each graded customer's row in ``outcomes``; a graded customer without one is a ValueError."""
    rows = rows_in(grading.index, outcomes.index)
    if (rows < 0).any():
        missing = grading.index[rows < 0]
        raise ValueError(f"{len(missing)} graded customers have no outcome row (first: {missing[0]!r})")
    return rows


def confirmed(previous_provisional: pd.Series, current_provisional: pd.Series, *,
              rows: np.ndarray | None = None) -> pd.Series:
    """For the ledger: True for customers provisional in the previous published grading and
    not in this one (``CONFIRMED_REASON``), aligned to ``current_provisional``'s index; a
    customer new this run is False. ``rows``: each current customer's row in the previous
    grading (-1: not there), when the caller has looked it up already."""
    where = rows_in(current_provisional.index, previous_provisional.index) if rows is None else rows
    before = previous_provisional.to_numpy(dtype=bool, na_value=False)[np.maximum(where, 0)] if len(where) and \
        len(previous_provisional) else np.zeros(len(where), dtype=bool)
    now = current_provisional.astype(bool).to_numpy()
    return pd.Series((where >= 0) & before & ~now, index=current_provisional.index)
