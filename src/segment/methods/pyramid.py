"""Customer pyramid (客户金字塔): four levels by profit.

important (重要), secondary (次要), ordinary (普通), small (小客户). Levels are cut at
cumulative *customer-count* shares (``cut_shares``, default the top 5 %, the next to
20 %, the next to 50 %, the rest), ranking customers by profit (ties by customer_id);
important + secondary are the "key customers", about 20 % of customers, who in the
textbook make about 80 % of profit (the report shows whether they do). Cuts are learned
as profit thresholds and applied by value (ties at a boundary go up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from segment.methods.base import GradingMethod, codes_from_thresholds, thresholds_from_shares


@dataclass
class CustomerPyramid(GradingMethod):
    value_column: str = "profit"
    cut_shares: tuple[float, ...] = (0.05, 0.20, 0.50)
    tier_labels: tuple[str, ...] = ("important", "secondary", "ordinary", "small")
    n_key_levels: int = 2

    description: ClassVar[str] = "Customer pyramid: important / secondary / ordinary / small by profit"

    def required_features_for_params(self) -> tuple[str, ...]:
        return (self.value_column, "tenure_days")

    def _fit(self, features: pd.DataFrame) -> None:
        if len(self.tier_labels) != len(self.cut_shares) + 1:
            raise ValueError(f"tier_labels needs {len(self.cut_shares) + 1} labels for {len(self.cut_shares)} cuts")
        self.thresholds_ = thresholds_from_shares(features[self.value_column], self.cut_shares)

    def _assign(self, features: pd.DataFrame):
        v = features[self.value_column].to_numpy(dtype=float)
        return codes_from_thresholds(v, self.thresholds_), v

    def key_customers(self, assignments: pd.DataFrame) -> pd.Index:
        """Customers in the top ``n_key_levels`` levels (重点客户)."""
        return assignments.index[assignments["tier"].cat.codes < self.n_key_levels]
