"""Per-tier outcome table: what each tier's customers did in the outcome window.

Intervals (``level``, 95 % by default):
- churn rate — Wilson score interval;
- revenue and profit per customer — t interval on the mean (sample standard deviation,
  n − 1 degrees of freedom). Profit is skewed; at the tier sizes this toolkit grades
  (hundreds and more) the t interval covers at about its nominal rate (tested by
  simulation). Tiers under ``small_tier_size`` customers are flagged ``small_tier``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from segment.validation.metrics import Ranking, rank_against, wilson_interval

OUTCOME_COLUMNS = ("churned", "revenue_outcome", "profit_outcome")


def check_outcomes(outcomes: pd.DataFrame, columns: tuple[str, ...] = OUTCOME_COLUMNS) -> None:
    missing = [c for c in columns if c not in outcomes.columns]
    if missing:
        raise KeyError(f"outcome table lacks {missing} (segment.outcomes.build_outcomes makes them)")
    for c in columns:
        if outcomes[c].isna().any():
            raise ValueError(f"outcome column {c!r} has missing values")


def per_tier_outcomes(assignments: pd.DataFrame, outcomes: pd.DataFrame, level: float = 0.95, *,
                      small_tier_size: int = 30, ranking: Ranking | None = None) -> pd.DataFrame:
    """One row per tier (best first, empty tiers included). ``outcomes`` rows of customers
    the grading does not grade are ignored; a graded customer without an outcome row is
    an error. Columns: docs/VALIDATION.md."""
    check_outcomes(outcomes)
    if ranking is None:
        if not assignments.index.equals(outcomes.index):
            missing = assignments.index.difference(outcomes.index)
            if len(missing):
                raise ValueError(f"{len(missing)} graded customers have no outcome row (first: {missing[0]!r})")
            outcomes = outcomes.loc[assignments.index]
        ranking = rank_against(assignments, outcomes.index)
    codes, k = ranking.codes, len(ranking.labels)
    churned = outcomes["churned"].to_numpy(dtype=float)
    n = np.bincount(codes, minlength=k).astype(float)
    out = pd.DataFrame({"tier": list(ranking.labels), "customers": n.astype(np.int64)})
    total_n = n.sum()
    out["customer_share"] = n / total_n if total_n else np.nan
    out["provisional"] = np.bincount(codes, weights=ranking.provisional, minlength=k).astype(np.int64)
    x = np.bincount(codes, weights=churned, minlength=k)
    out["churned"] = x.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["churn_rate"] = np.where(n > 0, x / n, np.nan)
        out["churn_ci_low"], out["churn_ci_high"] = wilson_interval(x, n, level)
        tq = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        for what in ("revenue", "profit"):
            v = outcomes[f"{what}_outcome"].to_numpy(dtype=float)
            s = np.bincount(codes, weights=v, minlength=k)
            mean = np.where(n > 0, s / n, np.nan)
            ss = np.bincount(codes, weights=(v - mean[codes]) ** 2, minlength=k)
            sd = np.where(n > 1, np.sqrt(ss / np.maximum(n - 1, 1)), np.nan)
            half = tq * sd / np.sqrt(n)
            grand = s.sum()
            out[f"{what}_total"] = s
            out[f"{what}_share"] = s / grand if grand else np.nan
            out[f"{what}_per_customer"] = mean
            out[f"{what}_per_customer_ci_low"] = mean - half
            out[f"{what}_per_customer_ci_high"] = mean + half
    out["small_tier"] = n < small_tier_size
    return out


def per_tier_all(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, level: float = 0.95, *,
                 rankings: dict[str, Ranking] | None = None, small_tier_size: int = 30) -> pd.DataFrame:
    """Long table over methods: a ``method`` column, then ``per_tier_outcomes``' columns."""
    parts = [per_tier_outcomes(a, outcomes, level, small_tier_size=small_tier_size,
                               ranking=None if rankings is None else rankings[name]).assign(method=name)
             for name, a in assignments.items()]
    table = pd.concat(parts, ignore_index=True)
    return table[["method", *[c for c in table.columns if c != "method"]]]
