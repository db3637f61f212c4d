"""Per-tier outcome table: what each tier's customers did in the outcome window.

Intervals (95 %): churn rate — Wilson score interval; revenue and profit per customer —
normal approximation with the sample standard deviation (t quantile), which is valid
for the tier sizes this toolkit grades (tiers under 30 customers are flagged
``small_tier``; the leadership report suppresses tiers under its threshold).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from segment.validation.metrics import wilson_interval


def align(assignments: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Assignments joined to outcomes; every graded customer must have an outcome row."""
    missing = assignments.index.difference(outcomes.index)
    if len(missing):
        raise ValueError(f"{len(missing)} graded customers have no outcome row (first: {missing[0]!r})")
    return assignments.join(outcomes, how="left")


def per_tier_outcomes(assignments: pd.DataFrame, outcomes: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    df = align(assignments, outcomes)
    g = df.groupby("tier", observed=False)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "provisional": g["provisional"].sum(),
            "churned": g["churned"].sum(),
            "revenue_total": g["revenue_outcome"].sum(),
            "profit_total": g["profit_outcome"].sum(),
            "revenue_sd": g["revenue_outcome"].std(ddof=1),
            "profit_sd": g["profit_outcome"].std(ddof=1),
        }
    )
    n = out["customers"].to_numpy(dtype=float)
    out["customer_share"] = n / n.sum()
    out["churn_rate"] = np.divide(out["churned"], n, out=np.full(len(n), np.nan), where=n > 0)
    out["churn_ci_low"], out["churn_ci_high"] = wilson_interval(out["churned"].to_numpy(), n, level)
    tq = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    for what in ("revenue", "profit"):
        per = np.divide(out[f"{what}_total"], n, out=np.full(len(n), np.nan), where=n > 0)
        half = tq * out[f"{what}_sd"].to_numpy() / np.sqrt(np.maximum(n, 1))
        out[f"{what}_per_customer"] = per
        out[f"{what}_per_customer_ci_low"] = per - half
        out[f"{what}_per_customer_ci_high"] = per + half
        total = out[f"{what}_total"].sum()
        out[f"{what}_share"] = out[f"{what}_total"] / total if total else np.nan
    out["small_tier"] = n < 30
    out = out.drop(columns=["revenue_sd", "profit_sd"]).reset_index()
    out["tier"] = out["tier"].astype("str")
    return out


def per_tier_all(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame) -> pd.DataFrame:
    """Long table over methods: a ``method`` column, then ``per_tier_outcomes``' columns."""
    parts = [per_tier_outcomes(a, outcomes).assign(method=name) for name, a in assignments.items()]
    table = pd.concat(parts, ignore_index=True)
    return table[["method", *[c for c in table.columns if c != "method"]]]
