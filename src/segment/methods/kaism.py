"""KAISM, the key account identification and selection matrix (关键客户识别与选择矩阵).

Two axes, each a weighted sum of normalised features (``segment.methods.normalise``):
customer attractiveness (default: growth trend and current revenue as a proxy for
potential future value) and the supplier's current position with the customer (default:
order frequency, tenure and recency as relationship strength). Each axis is split at its
calibration median (learned in ``fit``; a customer exactly at the split counts as high).

Quadrants and tier order (best first), with the sources' policy:
key (关键: high attractiveness, strong position — invest and protect) >
development (发展: high attractiveness, weak position — win share) >
maintenance (维持: low attractiveness, strong position — serve efficiently) >
opportunity (机会: low, weak — serve opportunistically at low cost).
Attractiveness ranks first because the matrix selects where future value is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods import normalise
from segment.methods.base import GradingMethod, check_columns


@dataclass
class KAISMMatrix(GradingMethod):
    attractiveness: dict[str, float] = field(default_factory=lambda: {"growth_trend": 0.5, "monetary_total": 0.5})
    position: dict[str, float] = field(
        default_factory=lambda: {"frequency": 1 / 3, "tenure_days": 1 / 3, "recency_days": 1 / 3}
    )
    normalisation: str = "rank"
    tier_labels: tuple[str, ...] = ("key", "development", "maintenance", "opportunity")

    description: ClassVar[str] = "KAISM: attractiveness x position 2x2 -> key, development, maintenance, opportunity"

    def required_features_for_params(self) -> tuple[str, ...]:
        return ("tenure_days",)

    def _fit(self, features: pd.DataFrame) -> None:
        for name, axis in (("attractiveness", self.attractiveness), ("position", self.position)):
            if not axis or any(float(v) < 0 for v in axis.values()) or sum(axis.values()) <= 0:
                raise ValueError(f"KAISM {name} weights must be non-negative with a positive sum, got {axis!r}")
            check_columns(features, axis, f"KAISM {name} axis")
        cols = set(self.attractiveness) | set(self.position)
        self.norm_ = {c: normalise.learn(normalise.oriented(features, c), self.normalisation) for c in cols}
        axes = self.axis_values(features)
        self.split_ = {a: float(np.median(axes[a])) if len(axes) else 0.5 for a in ("attractiveness", "position")}

    def axis_values(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer: the attractiveness and position axis values in [0, 1]."""
        out = {}
        for name, axis in (("attractiveness", self.attractiveness), ("position", self.position)):
            total = float(sum(axis.values()))
            out[name] = sum(
                float(w) / total * normalise.apply(normalise.oriented(features, c), self.norm_[c]) for c, w in axis.items()
            )
        return pd.DataFrame(out, index=features.index)

    def _assign(self, features: pd.DataFrame):
        axes = self.axis_values(features)
        high_a = axes["attractiveness"].to_numpy() >= self.split_["attractiveness"]
        high_p = axes["position"].to_numpy() >= self.split_["position"]
        codes = np.where(high_a, np.where(high_p, 0, 1), np.where(high_p, 2, 3))
        return codes, (axes["attractiveness"] + axes["position"]).to_numpy()
