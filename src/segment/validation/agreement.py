"""Agreement between gradings, and the customers on whom they disagree most.

- ``crosstab(a, b)``: customers by tier of method a (rows) and method b (columns);
- ``agreement_matrix``: for every pair of methods, Cohen's kappa on "top tier or not"
  (chance-corrected agreement on who gets the scarce attention) and the adjusted Rand
  index of the full tier partitions;
- ``disagreements``: per customer, each method's percentile in its own ordering
  (1 = best); the spread (max − min) ranks the cases analysts must look at — e.g. high
  revenue but low profit, or high revenue but late payment.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, cohen_kappa_score

from segment.validation.metrics import goodness_rank


def crosstab(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return pd.crosstab(a["tier"], b["tier"].loc[a.index], dropna=False)


def agreement_matrix(assignments: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    names = list(assignments)
    for x, y in itertools.combinations(names, 2):
        a, b = assignments[x], assignments[y].loc[assignments[x].index]
        top_a, top_b = a["tier"].cat.codes.to_numpy() == 0, b["tier"].cat.codes.to_numpy() == 0
        kappa = cohen_kappa_score(top_a, top_b) if len(np.unique(np.r_[top_a, top_b])) > 1 else np.nan
        rows.append({"method_a": x, "method_b": y, "top_tier_kappa": float(kappa),
                     "adjusted_rand": float(adjusted_rand_score(a["tier"].cat.codes, b["tier"].cat.codes)),
                     "same_top_tier_share": float((top_a == top_b).mean())})
    return pd.DataFrame(rows)


def disagreements(assignments: dict[str, pd.DataFrame], features: pd.DataFrame, *, top_n: int = 50,
                  feature_columns: tuple[str, ...] = ("monetary_total", "profit", "frequency", "recency_days",
                                                       "growth_trend", "mean_days_late")) -> pd.DataFrame:
    index = features.index
    pct = pd.DataFrame({name: goodness_rank(a.loc[index]) / max(len(index) - 1, 1) for name, a in assignments.items()},
                       index=index)
    out = pct.add_prefix("pct_")
    out["spread"] = pct.max(axis=1) - pct.min(axis=1)
    out["best_by"] = pct.idxmax(axis=1)
    out["worst_by"] = pct.idxmin(axis=1)
    cols = [c for c in feature_columns if c in features.columns]
    out = out.join(features[cols])
    return out.sort_values(["spread"], ascending=False, kind="stable").head(top_n).reset_index()
