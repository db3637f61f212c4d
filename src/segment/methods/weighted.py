"""Weighted multi-indicator score (综合加权): the sources' indicators — order amount
(``monetary_total``), profit contribution (``profit``), credit status (``mean_days_late``,
``late_payment_share``, ``overdue_amount``: lower is better), development prospects
(``growth_trend``) — or any feature column, each normalised (``segment.methods.normalise``)
and summed with the analyst's weights.

A weight on an indicator the feature table lacks is a KeyError naming it (never a silent
zero); weights must be non-negative with a positive sum and are used as given (the score
is divided by their sum, so it stays in [0, 1]). Tiers are cut at cumulative customer
shares of the score (``tier_shares``, default A = top 20 %, B = next 30 %, C = the rest),
learned as score thresholds. ``contributions(features)`` shows, per customer, each
indicator's weight x normalised value: why Q outranks P.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods import normalise
from segment.methods.base import GradingMethod, check_columns, codes_from_thresholds, thresholds_from_shares

DEFAULT_WEIGHTS = {"monetary_total": 0.3, "profit": 0.4, "growth_trend": 0.3}


@dataclass
class WeightedScore(GradingMethod):
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    normalisation: str = "rank"
    tier_shares: tuple[float, ...] = (0.2, 0.5)
    tier_labels: tuple[str, ...] = ("A", "B", "C")

    description: ClassVar[str] = "Weighted score: normalised indicators x analyst weights, A = top 20 %, B = next 30 %"

    def required_features_for_params(self) -> tuple[str, ...]:
        return ("tenure_days",)

    def _validate(self) -> dict[str, float]:
        w = {k: float(v) for k, v in dict(self.weights).items()}
        if not w or any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
            raise ValueError(f"weights must be non-negative with a positive sum, got {self.weights!r}")
        if len(self.tier_labels) != len(self.tier_shares) + 1:
            raise ValueError(f"tier_labels needs {len(self.tier_shares) + 1} labels")
        return w

    def _fit(self, features: pd.DataFrame) -> None:
        w = self._validate()
        check_columns(features, w, "WeightedScore weights")
        self.norm_ = {c: normalise.learn(normalise.oriented(features, c), self.normalisation) for c in w}
        self.n_missing_ = {c: int(features[c].isna().sum()) for c in w}
        self.thresholds_ = thresholds_from_shares(self.score(features), self.tier_shares)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer and indicator: weight / sum(weights) x normalised value."""
        w = self._validate()
        check_columns(features, w, "WeightedScore weights")
        total = sum(w.values())
        return pd.DataFrame(
            {c: w[c] / total * normalise.apply(normalise.oriented(features, c), self.norm_[c]) for c in w},
            index=features.index,
        )

    def score(self, features: pd.DataFrame) -> pd.Series:
        return self.contributions(features).sum(axis=1).rename("score")

    def _assign(self, features: pd.DataFrame):
        s = self.score(features).to_numpy()
        return codes_from_thresholds(s, self.thresholds_), s
