"""Early warning (流失预警): top-tier customers whose activity is falling.

A customer in a method's top tier is flagged for follow-up when either
- ``falling_revenue``: ``growth_trend <= max_growth`` (default −0.5: the last trend
  window brought at most a third of the revenue of the one before), or
- ``overdue_for_an_order``: ``recency_days > gap_multiple x typical_gap_days`` (default
  2x), where the typical gap between orders is (last − first order date) / (orders − 1)
  for customers with at least two orders. With a lookback window (features'
  ``attrs["lookback_months"]``) and a first order before it, the orders in the window
  are spread over (last order − window start) / orders instead. Customers with one order
  have no typical gap and can only be flagged by the revenue rule.

``warning_check`` judges the rule out of time: churn and profit after the origin of the
flagged versus the unflagged top-tier customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segment.validation.metrics import wilson_interval

NEEDED = ("growth_trend", "recency_days", "frequency", "first_order_date", "last_order_date")


def typical_gap_days(features: pd.DataFrame) -> np.ndarray:
    missing = [c for c in NEEDED if c not in features.columns]
    if missing:
        raise KeyError(f"early warning needs feature columns {missing}")
    freq = features["frequency"].to_numpy(dtype=float)
    first = features["first_order_date"].to_numpy(dtype="datetime64[D]")
    last = features["last_order_date"].to_numpy(dtype="datetime64[D]")
    span = (last - first).astype(float)
    gap = np.where(freq >= 2, span / np.maximum(freq - 1, 1), np.nan)
    lookback = features.attrs.get("lookback_months")
    if lookback is not None:
        if "as_of" not in features.attrs:
            raise KeyError("features have a lookback window but no attrs['as_of']")
        start = np.datetime64((pd.Timestamp(features.attrs["as_of"]) - pd.DateOffset(months=int(lookback))).date(), "D")
        before = first < start
        in_window = (last - start).astype(float) / np.maximum(freq, 1)
        gap = np.where(before, np.where(freq >= 1, in_window, np.nan), gap)
    return gap


def early_warning(assignments: pd.DataFrame, features: pd.DataFrame, *, max_growth: float = -0.5,
                  gap_multiple: float = 2.0) -> pd.DataFrame:
    """Flagged top-tier customers, most profitable first. Columns: customer_id, tier,
    reason, growth_trend, recency_days, typical_gap_days, days_past_usual_gap,
    monetary_total, profit (when present)."""
    flags = warning_flags(assignments, features, max_growth=max_growth, gap_multiple=gap_multiple,
                          carry=("monetary_total", "profit"))
    out = flags[flags["flagged"]].drop(columns=["flagged"])
    if "profit" in out.columns:
        out = out.sort_values("profit", ascending=False, kind="stable")
    out.index.name = "customer_id"
    return out.reset_index()


def warning_flags(assignments: pd.DataFrame, features: pd.DataFrame, *, max_growth: float = -0.5,
                  gap_multiple: float = 2.0, carry: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every top-tier customer with the rule's inputs, ``flagged`` and ``reason`` ('' if not),
    then the feature columns named in ``carry`` that the table has."""
    is_top = assignments["tier"].cat.codes.to_numpy() == 0
    top = assignments.index[is_top]
    carried = [c for c in carry if c in features.columns and c not in NEEDED]
    f = features[[c for c in (*NEEDED, *carried) if c in features.columns]]  # only what is used: not every column
    f = f[is_top] if features.index.equals(assignments.index) else f.loc[top]
    gap = typical_gap_days(f)
    recency = f["recency_days"].to_numpy(dtype=float)
    falling = f["growth_trend"].to_numpy(dtype=float) <= max_growth
    overdue = recency > gap_multiple * gap  # NaN gap: False
    reason = np.where(falling & overdue, "falling_revenue+overdue_for_an_order",
                      np.where(falling, "falling_revenue", np.where(overdue, "overdue_for_an_order", "")))
    return pd.DataFrame({"tier": assignments["tier"].to_numpy()[is_top].astype(str), "flagged": falling | overdue,
                         "reason": reason, "growth_trend": f["growth_trend"].to_numpy(dtype=float),
                         "recency_days": recency, "typical_gap_days": gap,
                         "days_past_usual_gap": recency - gap,
                         **{c: f[c].to_numpy() for c in carried}}, index=top)


def warning_check(assignments: pd.DataFrame, features: pd.DataFrame, outcomes: pd.DataFrame, *,
                  max_growth: float = -0.5, gap_multiple: float = 2.0, level: float = 0.95) -> pd.DataFrame:
    """Out-of-time check of the rule: for top-tier customers, flagged vs not flagged —
    customers, churn rate after the origin (Wilson interval) and profit per customer."""
    flags = warning_flags(assignments, features, max_growth=max_growth, gap_multiple=gap_multiple)
    is_top = assignments["tier"].cat.codes.to_numpy() == 0
    o = outcomes[is_top] if outcomes.index.equals(assignments.index) else outcomes.loc[flags.index]
    rows = []
    for flagged in (True, False):
        m = flags["flagged"].to_numpy() == flagged
        n, x = int(m.sum()), float(o["churned"].to_numpy(dtype=float)[m].sum())
        lo, hi = wilson_interval(np.array([x]), np.array([n]), level)
        rows.append({"group": "flagged" if flagged else "not flagged", "customers": n,
                     "churn_rate_after": x / n if n else np.nan, "churn_ci_low": lo[0], "churn_ci_high": hi[0],
                     "profit_per_customer_after": float(o["profit_outcome"].to_numpy()[m].mean()) if n else np.nan})
    return pd.DataFrame(rows)
