"""Lifecycle status with provisional grades (new / active / lapsing / lost).

- new: first order within the last ``new_days`` (182) days — the sources' rule: a new
  customer gets a provisional grade and is graded properly after six months;
- active: otherwise, last order within ``active_days``;
- lapsing: last order within ``lapsing_days``;
- lost: longer ago.

Tier order (best first) is active > new > lapsing > lost: an established buying
customer is worth more attention than an unproven one, and both more than one who is
drifting away. The score is −recency_days (more recent is better).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods.base import GradingMethod


@dataclass
class LifecycleStatus(GradingMethod):
    new_days: int = 182
    active_days: int = 90
    lapsing_days: int = 180
    tier_labels: tuple[str, ...] = ("active", "new", "lapsing", "lost")

    required_features: ClassVar[tuple[str, ...]] = ("recency_days", "tenure_days")
    description: ClassVar[str] = "Lifecycle: active, new (provisional), lapsing, lost by recency and tenure"

    def _fit(self, features: pd.DataFrame) -> None:
        if not 0 < self.active_days <= self.lapsing_days:
            raise ValueError(f"need 0 < active_days <= lapsing_days, got {self.active_days}, {self.lapsing_days}")

    def _assign(self, features: pd.DataFrame):
        rec = features["recency_days"].to_numpy(dtype=float)
        ten = features["tenure_days"].to_numpy(dtype=float)
        codes = np.select(
            [ten < self.new_days, rec <= self.active_days, rec <= self.lapsing_days], [1, 0, 2], default=3
        )
        return codes, -rec

    def provisional_flag(self, features: pd.DataFrame) -> np.ndarray:
        # the lifecycle's own "new" rule defines who is provisional here
        return features["tenure_days"].to_numpy(dtype=float) < self.new_days
