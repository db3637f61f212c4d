"""Ordering and outcome metrics for one grading (docs/VALIDATION.md).

The *ordering* of a grading puts customers best first: by tier (best tier first), then
by score (higher first; methods without a score keep tier order only), then by
customer_id — the package-wide tie rule. Every capture, Lorenz and AUC figure uses it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def ordering(assignments: pd.DataFrame) -> np.ndarray:
    """Positions of ``assignments`` rows, best first (tier, then score, then customer_id)."""
    codes = assignments["tier"].cat.codes.to_numpy()
    score = assignments["score"].to_numpy(dtype=float)
    score = np.where(np.isnan(score), 0.0, score)
    return np.lexsort((id_rank(assignments.index), -score, codes))


def id_rank(index: pd.Index) -> np.ndarray:
    """Position of each customer_id in sorted order (cheap when the index is already sorted,
    as feature tables are)."""
    if index.is_monotonic_increasing:
        return np.arange(len(index))
    return index.to_numpy(dtype=str).argsort(kind="stable").argsort(kind="stable")


def goodness_rank(assignments: pd.DataFrame) -> np.ndarray:
    """Per row: its position in the ordering counted from the worst (0 = worst)."""
    order = ordering(assignments)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order) - 1, -1, -1)
    return rank


def capture_curve(values_in_order: np.ndarray, points: int = 101) -> pd.DataFrame:
    """Cumulative share of the total (gain curve) at ``points`` customer shares."""
    n = len(values_in_order)
    total = values_in_order.sum()
    cum = np.concatenate([[0.0], np.cumsum(values_in_order)])
    share = np.linspace(0, 1, points)
    idx = np.round(share * n).astype(int)
    return pd.DataFrame({"customer_share": share, "value_share": cum[idx] / total if total else np.nan})


def top_share_capture(values_in_order: np.ndarray, customer_share: float) -> float:
    """Share of the total made by the first ceil(share·n) customers of the ordering."""
    total = values_in_order.sum()
    k = math.ceil(customer_share * len(values_in_order))
    return float(values_in_order[:k].sum() / total) if total else float("nan")


def gini_from_order(values_in_order: np.ndarray) -> float:
    """Gini of the gain curve: 2 x (area between it and the diagonal). 0 for a random
    ordering in expectation; its maximum is reached by the perfect-hindsight ordering."""
    n = len(values_in_order)
    total = values_in_order.sum()
    if n == 0 or total == 0:
        return float("nan")
    cum = np.cumsum(values_in_order) / total
    area = (cum.sum() - cum[-1] / 2) / n  # trapezoid rule on [0, 1]
    return float(2 * area - 1)


def churn_auc(assignments: pd.DataFrame, churned: np.ndarray) -> float:
    """P(a random retained customer is ranked above a random churned one); ties count 1/2.
    0.5 = no discrimination."""
    churned = np.asarray(churned, dtype=bool)
    n1, n0 = churned.sum(), (~churned).sum()
    if n1 == 0 or n0 == 0:
        return float("nan")
    # ties in the ordering are only possible when tier and score tie: rank on (tier, score)
    codes = assignments["tier"].cat.codes.to_numpy()
    score = np.nan_to_num(assignments["score"].to_numpy(dtype=float))
    order = np.lexsort((score, -codes))  # ascending goodness
    sorted_c, sorted_s = -codes[order], score[order]
    new_group = np.r_[True, (np.diff(sorted_c) != 0) | (np.diff(sorted_s) != 0)]
    group_id = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.r_[starts[1:], len(order)]
    avg_rank = ((starts + 1 + ends) / 2.0)[group_id]
    ranks = np.empty(len(order))
    ranks[order] = avg_rank
    r_retained = ranks[~churned].sum()
    return float((r_retained - n0 * (n0 + 1) / 2) / (n0 * n1))


def wilson_interval(successes: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    z = stats.norm.ppf(0.5 + level / 2)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty tiers: NaN interval
        return _wilson(np.asarray(successes, dtype=float), n, z)


def _wilson(successes: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.divide(successes, n, out=np.full(n.shape, np.nan), where=n > 0)
    den = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return centre - half, centre + half


def cochran_armitage(churned_by_tier: np.ndarray, n_by_tier: np.ndarray) -> float:
    """Two-sided p-value of the Cochran–Armitage trend test of churn across ordered tiers."""
    keep = n_by_tier > 0
    x, n = churned_by_tier[keep].astype(float), n_by_tier[keep].astype(float)
    if len(n) < 2:
        return float("nan")
    t = np.arange(len(n), dtype=float)
    N, p = n.sum(), x.sum() / n.sum()
    if p in (0.0, 1.0):
        return float("nan")
    stat = np.sum(t * (x - n * p))
    var = p * (1 - p) * (np.sum(n * t**2) - np.sum(n * t) ** 2 / N)
    return float(2 * stats.norm.sf(abs(stat) / math.sqrt(var))) if var > 0 else float("nan")
