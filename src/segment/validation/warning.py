"""Early warning (流失预警): top-tier customers whose activity is falling.

A customer in a method's top tier is flagged when either
- ``falling_revenue``: growth_trend <= ``max_growth`` (default −0.5: the last trend window
  brought at most a third of the revenue of the one before), or
- ``overdue_for_an_order``: recency_days > ``gap_multiple`` x their typical gap between
  orders (tenure / (orders − 1), customers with two or more orders).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def early_warning(assignments: pd.DataFrame, features: pd.DataFrame, *, max_growth: float = -0.5,
                  gap_multiple: float = 2.0) -> pd.DataFrame:
    top = assignments.index[assignments["tier"].cat.codes == 0]
    f = features.loc[top]
    freq = f["frequency"].to_numpy(dtype=float)
    gap = np.where(freq >= 2, f["tenure_days"].to_numpy(dtype=float) / np.maximum(freq - 1, 1), np.nan)
    falling = f["growth_trend"].to_numpy() <= max_growth
    overdue = f["recency_days"].to_numpy() > gap_multiple * gap
    flagged = falling | overdue
    reasons = np.where(falling & overdue, "falling_revenue+overdue_for_an_order",
                       np.where(falling, "falling_revenue", "overdue_for_an_order"))
    out = pd.DataFrame({"tier": assignments.loc[top, "tier"].astype(str), "reason": reasons,
                        "growth_trend": f["growth_trend"], "recency_days": f["recency_days"],
                        "typical_gap_days": gap, "monetary_total": f["monetary_total"], "profit": f["profit"]},
                       index=top)[flagged]
    out.index.name = "customer_id"
    return out.reset_index()
