"""Lifecycle status (new / active / lapsing / lost) from recency and tenure.

Rules, applied in this order (days counted up to the feature table's as-of date):

- new: first order less than ``new_days`` ago (``tenure_days < new_days``). ``new_days``
  defaults to ``provisional_days`` (182): a new customer is exactly one whose grade is
  provisional — the sources' rule that new customers are graded properly after six
  months of cooperation;
- active: otherwise, last order at most ``active_days`` (90) ago;
- lapsing: last order at most ``lapsing_days`` (180) ago;
- lost: longer ago.

Tier order (best first) is active > new > lapsing > lost: an established customer who
is still buying deserves more attention than an unproven one, and both more than one who
is drifting away; a lost customer is last. The score is −recency_days (more recent is
better). Nothing is learned from the data (the thresholds are the analyst's); ``fit``
checks the parameters and records ``tier_counts_`` on the calibration table. The
provisional flag is the base class's (``tenure_days < provisional_days``).

Degenerate input: the rules are per customer, so one customer or all-equal values get
the tier their own recency and tenure give. Missing values are a ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods.base import GradingMethod, check_labels, column_values


@dataclass
class LifecycleStatus(GradingMethod):
    #: first order less than this many days ago = new; None = provisional_days
    new_days: int | None = None
    #: last order at most this many days ago = active
    active_days: int = 90
    #: last order at most this many days ago = lapsing (beyond: lost)
    lapsing_days: int = 180
    tier_labels: tuple[str, ...] = ("active", "new", "lapsing", "lost")

    required_features: ClassVar[tuple[str, ...]] = ("recency_days", "tenure_days")
    description: ClassVar[str] = "Lifecycle: active, new (provisional), lapsing, lost by recency and tenure"

    @property
    def effective_new_days(self) -> int:
        return self.provisional_days if self.new_days is None else self.new_days

    def _fit(self, features: pd.DataFrame) -> None:
        check_labels(self, 4, "active, new, lapsing, lost")
        if not 0 < self.active_days <= self.lapsing_days:
            raise ValueError(f"need 0 < active_days <= lapsing_days, got {self.active_days}, {self.lapsing_days}")
        if self.effective_new_days < 0:
            raise ValueError(f"new_days must be >= 0, got {self.effective_new_days}")
        codes, _ = self._assign(features)
        self.tier_counts_ = {label: int((codes == i).sum()) for i, label in enumerate(self.tier_labels)}

    def _assign(self, features: pd.DataFrame):
        rec = column_values(features, "recency_days", type(self).__name__)
        ten = column_values(features, "tenure_days", type(self).__name__)
        codes = np.select(
            [ten < self.effective_new_days, rec <= self.active_days, rec <= self.lapsing_days], [1, 0, 2], default=3
        )
        return codes, -rec
