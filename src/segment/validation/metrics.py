"""Ordering and outcome metrics for one grading (docs/VALIDATION.md).

The *ordering* of a grading puts customers best first: by tier (best tier first), then
by score (higher first; a NaN score counts as 0, so methods without a score keep tier
order only), then by customer_id — the package-wide tie rule. Every capture, Lorenz,
Gini and AUC figure uses it; it is computed once per method (``Ranking``) and reused.

Rank-based metrics come with an analytic standard error from their influence function
(Hájek projection), returned per customer so that paired differences between methods
are as cheap as single values:

- churn AUC: DeLong et al. (1988) structural components (ties count ½);
- Gini of the profit gain curve: the projection of the U-statistic E[profit · U]
  (U = share of customers ranked below), divided by mean profit (delta method).

``var(statistic) ≈ Σ influence² / n²``; for a difference of two methods on the same
customers use the difference of their influence vectors (that is the paired interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


# ------------------------------------------------------------------ orderings
def order_from(codes: np.ndarray, score: np.ndarray, by_id: np.ndarray) -> np.ndarray:
    """Best first: tier code ascending, then score descending, then customer_id (``by_id``
    is the permutation that sorts the rows by customer_id)."""
    key = -np.where(np.isnan(score), 0.0, score)[by_id]
    order = by_id[np.argsort(key, kind="stable")]
    return order[np.argsort(codes[order], kind="stable")]  # small ints: radix sort


def id_permutation(index: pd.Index) -> np.ndarray:
    """The permutation that sorts the rows of ``index`` by customer_id (as text)."""
    if index.is_monotonic_increasing:
        return np.arange(len(index))
    return index.to_numpy(dtype=str).argsort(kind="stable")


def _goodness(order: np.ndarray) -> np.ndarray:
    """Per row: its position in ``order`` counted from the worst (0 = worst)."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order) - 1, -1, -1)
    return rank


@dataclass
class Ranking:
    """One grading aligned to an outcome table's rows (the evaluation population).

    ``codes``/``score`` are in the outcome table's row order; ``order`` lists those rows
    best first; ``labels`` are the tier labels (best first, including empty tiers).
    """

    codes: np.ndarray
    score: np.ndarray
    order: np.ndarray
    labels: tuple[str, ...]
    provisional: np.ndarray

    @property
    def n(self) -> int:
        return len(self.codes)

    def tie_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """(group id per position of ``order``, group start positions): customers with the
        same tier and score tie in the AUC and trend statistics."""
        c, s = self.codes[self.order], np.nan_to_num(self.score[self.order])
        new = np.r_[True, (c[1:] != c[:-1]) | (s[1:] != s[:-1])] if self.n else np.zeros(0, bool)
        return np.cumsum(new) - 1, np.flatnonzero(new)


def rank_against(assignments: pd.DataFrame, index: pd.Index, *, name: str = "grading",
                 by_id: np.ndarray | None = None) -> Ranking:
    """``assignments`` aligned to ``index`` (an outcome table's customers). The grading
    must cover exactly those customers — a paired comparison of methods needs the same
    population for all — else ValueError."""
    if assignments.index.equals(index):
        a = assignments
    else:
        if len(assignments) != len(index) or assignments.index.has_duplicates:
            raise ValueError(f"{name}: grades {len(assignments)} customers but the outcome table has {len(index)}; "
                             "every method must grade exactly the outcome table's customers")
        pos = assignments.index.get_indexer(index)
        if (pos < 0).any():
            missing = index[pos < 0]
            raise ValueError(f"{name}: {len(missing)} customers with outcomes are not graded (first: {missing[0]!r})")
        a = assignments.iloc[pos]
    tier = a["tier"]
    if not isinstance(tier.dtype, pd.CategoricalDtype) or not tier.cat.ordered:
        raise TypeError(f"{name}: 'tier' must be an ordered categorical (best first)")
    codes = tier.cat.codes.to_numpy()
    if (codes < 0).any():
        raise ValueError(f"{name}: missing tiers")
    score = a["score"].to_numpy(dtype=float) if "score" in a.columns else np.full(len(a), np.nan)
    by_id = id_permutation(index) if by_id is None else by_id
    provisional = a["provisional"].to_numpy(dtype=bool) if "provisional" in a.columns else np.zeros(len(a), bool)
    return Ranking(codes=codes.astype(np.int64), score=score, order=order_from(codes, score, by_id),
                   labels=tuple(str(c) for c in tier.cat.categories), provisional=provisional)


def rank_all(assignments: dict[str, pd.DataFrame], index: pd.Index) -> dict[str, Ranking]:
    by_id = id_permutation(index)
    return {name: rank_against(a, index, name=name, by_id=by_id) for name, a in assignments.items()}


def hindsight_ranking(profit: np.ndarray, index: pd.Index) -> Ranking:
    """The perfect-hindsight ordering: actual outcome profit, highest first (ties by id)."""
    n = len(profit)
    return Ranking(codes=np.zeros(n, np.int64), score=np.asarray(profit, float),
                   order=order_from(np.zeros(n, np.int64), np.asarray(profit, float), id_permutation(index)),
                   labels=("hindsight",), provisional=np.zeros(n, bool))


# ---------------------------------------------------------- capture and Gini
def capture_curve(values_in_order: np.ndarray, points: int = 101) -> pd.DataFrame:
    """Gain curve (cumulative share of the total, best first) and Lorenz curve (worst
    first) at ``points`` evenly spaced customer shares."""
    n = len(values_in_order)
    total = values_in_order.sum()
    cum = np.concatenate([[0.0], np.cumsum(values_in_order)])
    share = np.linspace(0, 1, points)
    idx = np.round(share * n).astype(int)
    gain = cum[idx] / total if total else np.full(points, np.nan)
    # worst-first cumulative share at x is 1 − (best-first share at 1 − x)
    lorenz = 1 - (cum[n - idx] / total) if total else np.full(points, np.nan)
    return pd.DataFrame({"customer_share": share, "value_share": gain, "lorenz_share": lorenz})


def top_share_capture(values_in_order: np.ndarray, customer_share: float) -> float:
    """Share of the total made by the first ceil(share·n) customers of the ordering."""
    total = values_in_order.sum()
    k = top_count(len(values_in_order), customer_share)
    return float(values_in_order[:k].sum() / total) if total else float("nan")


def top_count(n: int, customer_share: float) -> int:
    # the tiny tolerance keeps 0.2 * 10 = 2 (not 3) despite floating point
    return min(n, math.ceil(customer_share * n - 1e-9))


def gini_from_order(values_in_order: np.ndarray) -> float:
    """Gini of the gain curve: 2 x (area between it and the diagonal), trapezoid rule.
    0 for a random ordering in expectation; its maximum is reached by the
    perfect-hindsight ordering. Equals 2·Σ pᵢ·ūᵢ / Σ p − 1, ūᵢ = (n − rᵢ + ½)/n."""
    n = len(values_in_order)
    total = values_in_order.sum()
    if n == 0 or total == 0:
        return float("nan")
    cum = np.cumsum(values_in_order) / total
    area = (cum.sum() - cum[-1] / 2) / n
    return float(2 * area - 1)


def gini_influence(values_in_order: np.ndarray) -> tuple[float, np.ndarray]:
    """(Gini, influence per customer in the ordering's positions).

    Gini = 2θ/μ − 1 with θ = E[p·U]; θ̂'s Hájek projection is p·ū + (profit ranked above
    + p/2)/n − 2θ̂, and the ratio adds −(θ/μ)(p − μ)/μ."""
    p = np.asarray(values_in_order, dtype=float)
    n = len(p)
    total = p.sum()
    if n < 2 or total == 0:
        return float("nan"), np.full(n, np.nan)
    u = (n - np.arange(n) - 0.5) / n
    h1 = p * u
    above = np.cumsum(p) - p  # profit of the customers ranked above
    h2 = (above + p / 2) / n
    theta, mu = h1.mean(), total / n
    r = theta / mu
    infl_theta = h1 + h2 - 2 * theta
    infl = 2 * (infl_theta - r * (p - mu)) / mu
    return float(2 * r - 1), infl


# ---------------------------------------------------------------------- AUC
def auc_influence(ranking: Ranking, churned: np.ndarray) -> tuple[float, np.ndarray]:
    """(churn AUC, influence per customer in the outcome table's row order). The AUC is
    P(a random retained customer is ranked above a random churned one); ties (same tier
    and score) count 1/2; 0.5 = no discrimination. The influence is DeLong's
    structural components: retained i: (V10ᵢ − AUC)/π₀, churned j: (V01ⱼ − AUC)/π₁,
    so that Σ influence²/n² is DeLong's variance S10/n₀ + S01/n₁."""
    churned = np.asarray(churned, dtype=bool)
    n = len(churned)
    n1 = int(churned.sum())
    n0 = n - n1
    if n1 == 0 or n0 == 0:
        return float("nan"), np.full(n, np.nan)
    group, starts = ranking.tie_groups()
    ch = churned[ranking.order]
    g = len(starts)
    churned_in = np.bincount(group, weights=ch, minlength=g)
    retained_in = np.bincount(group, minlength=g) - churned_in
    # groups are best first: churned strictly worse = churned in later groups
    churned_below = churned_in[::-1].cumsum()[::-1] - churned_in
    retained_above = retained_in.cumsum() - retained_in
    v10 = (churned_below + 0.5 * churned_in) / n1  # for a retained customer in the group
    v01 = (retained_above + 0.5 * retained_in) / n0  # for a churned customer in the group
    auc = float((retained_in * v10).sum() / n0)
    per_pos = np.where(ch, (v01[group] - auc) / (n1 / n), (v10[group] - auc) / (n0 / n))
    infl = np.empty(n)
    infl[ranking.order] = per_pos
    return auc, infl


# ------------------------------------------------------- intervals and tests
def normal_interval(estimate: float, influence: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """(standard error, low, high) from an influence vector: se = √(Σ ψ²)/n."""
    n = len(influence)
    if n == 0 or not np.isfinite(estimate) or not np.all(np.isfinite(influence)):
        return float("nan"), float("nan"), float("nan")
    se = float(math.sqrt(np.dot(influence, influence)) / n)
    z = stats.norm.ppf(0.5 + level / 2)
    return se, estimate - z * se, estimate + z * se


def wilson_interval(successes: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (NaN where n = 0)."""
    z = stats.norm.ppf(0.5 + level / 2)
    n = np.asarray(n, dtype=float)
    x = np.asarray(successes, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty tiers: NaN interval
        p = np.divide(x, n, out=np.full(n.shape, np.nan), where=n > 0)
        den = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
        return centre - half, centre + half


def cochran_armitage(churned_by_tier: np.ndarray, n_by_tier: np.ndarray) -> tuple[float, float]:
    """Cochran–Armitage trend test of churn across ordered tiers (scores 0, 1, 2, … for
    the non-empty tiers, best first): (z, two-sided p). z > 0: churn rises toward worse
    tiers. NaN when fewer than two non-empty tiers or churn is 0 % or 100 %."""
    churned_by_tier, n_by_tier = np.asarray(churned_by_tier, float), np.asarray(n_by_tier, float)
    keep = n_by_tier > 0
    x, n = churned_by_tier[keep], n_by_tier[keep]
    if len(n) < 2:
        return float("nan"), float("nan")
    t = np.arange(len(n), dtype=float)
    total = n.sum()
    p = x.sum() / total
    if p <= 0.0 or p >= 1.0:
        return float("nan"), float("nan")
    stat = np.sum(t * (x - n * p))
    var = p * (1 - p) * (np.sum(n * t**2) - np.sum(n * t) ** 2 / total)
    if var <= 0:
        return float("nan"), float("nan")
    z = stat / math.sqrt(var)
    return float(z), float(2 * stats.norm.sf(abs(z)))


def spearman_trend(codes: np.ndarray, value_ranks: np.ndarray) -> tuple[float, float]:
    """Spearman correlation of tier goodness (best tier highest) with the outcome, from
    the outcome's precomputed midranks; p-value from the t approximation (n − 2 df).
    Positive: better tiers have larger outcomes. NaN with one non-empty tier."""
    n = len(codes)
    counts = np.bincount(codes)
    if (counts > 0).sum() < 2 or n < 3:
        return float("nan"), float("nan")
    # midranks of −code (best tier = highest rank), by tier counts
    worst_first = counts[::-1]
    upper = np.cumsum(worst_first)
    mid_worst_first = upper - (worst_first - 1) / 2
    tier_rank = mid_worst_first[::-1][codes]
    x = tier_rank - tier_rank.mean()
    y = value_ranks - value_ranks.mean()
    den = math.sqrt(np.dot(x, x) * np.dot(y, y))
    if den == 0:
        return float("nan"), float("nan")
    rho = float(np.dot(x, y) / den)
    if abs(rho) >= 1:
        return rho, 0.0
    t = rho * math.sqrt((n - 2) / (1 - rho**2))
    return rho, float(2 * stats.t.sf(abs(t), n - 2))
