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
checks the parameters and the values. The provisional flag is the grading stage's (``tenure_days <
provisional_days``).

``explain`` says the rule that fired with the customer's values: ``new: first order 40 days ago
(less than 182 days ago), last order 10 days ago``; ``active: last order 35 days ago (at most 90
days ago), first order 400 days ago (not new: 182 days ago or more)``; lapsing and lost likewise
with their recency rule.

Degenerate input: the rules are per customer, so one customer or all-equal values get
the tier their own recency and tenure give. Missing values are a ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from segment.methods.base import GradingMethod, by_code, check_labels, column_values, feature_phrases, joined
from segment.methods.params import param


@dataclass
class LifecycleStatus(GradingMethod):
    new_days: int | None = param(None, low=0, help="first order less than this many days ago = new; "
                                                   "none = provisional_days")
    active_days: int = param(90, low=0, low_open=True, help="last order at most this many days ago = active")
    lapsing_days: int = param(180, low=0, low_open=True,
                              help="last order at most this many days ago = lapsing (beyond: lost)")
    tier_labels: tuple[str, ...] = param(("active", "new", "lapsing", "lost"), help="the four labels, best first")

    required_features: ClassVar[tuple[str, ...]] = ("recency_days", "tenure_days")
    display_name: ClassVar[str] = "customer lifecycle status"
    description: ClassVar[str] = "sorts customers into new, active, lapsing and lost by when they last bought"
    simplicity: ClassVar[int] = 2
    explain_distinct_rows: ClassVar[bool] = True  # reasons once per distinct row (base.repeated_rows)
    promises: ClassVar[frozenset[str]] = frozenset({"row_order", "money_scale"})
    explains: ClassVar[str] = "the rule that put the customer in its stage, with its first and last order dates in days"

    def _check_params(self) -> None:
        check_labels(self, 4, "active, new, lapsing, lost")
        if not 0 < self.active_days <= self.lapsing_days:
            raise ValueError(f"need 0 < active_days <= lapsing_days, got {self.active_days}, {self.lapsing_days}")
        if self.effective_new_days < 0:
            raise ValueError(f"new_days must be >= 0, got {self.effective_new_days}")

    @property
    def effective_new_days(self) -> int:
        return self.provisional_days if self.new_days is None else self.new_days

    def _fit(self, features: pd.DataFrame) -> None:
        self._assign(features)  # nothing to learn; the values are checked as for grading (no missing values)

    def _assign(self, features: pd.DataFrame):
        rec = column_values(features, "recency_days", type(self).__name__)
        ten = column_values(features, "tenure_days", type(self).__name__)
        codes = np.select(
            [ten < self.effective_new_days, rec <= self.active_days, rec <= self.lapsing_days], [1, 0, 2], default=3
        )
        return codes, -rec

    def _explain(self, features: pd.DataFrame, codes, score):
        """The rule that fired (codes: active, new, lapsing, lost), with the customer's days."""
        new, active, lapsing = self.effective_new_days, self.active_days, self.lapsing_days
        rec, ten = feature_phrases(features, "recency_days"), feature_phrases(features, "tenure_days")
        recency_rule = [f" (at most {active:,} days ago)", "",
                        f" (more than {active:,} and at most {lapsing:,} days ago)", f" (more than {lapsing:,} days ago)"]
        is_new = codes == 1
        first, second = pc.if_else(is_new, ten, rec), pc.if_else(is_new, rec, ten)
        return joined(by_code([f"{label}: " for label in self.tier_labels], codes), first,
                      by_code(["", f" (less than {new:,} days ago)"], is_new), by_code(recency_rule, codes), ", ",
                      second, by_code([f" (not new: {new:,} days ago or more)", ""], is_new))

    def learned_rules(self) -> list[str]:
        active, new, lapsing, lost = self.tier_labels
        return [f"{new}: first order less than {self.effective_new_days:,} days ago (checked first)",
                f"{active}: otherwise, last order at most {self.active_days:,} days ago",
                f"{lapsing}: last order more than {self.active_days:,} and at most {self.lapsing_days:,} days ago",
                f"{lost}: last order more than {self.lapsing_days:,} days ago"]
