"""KAISM, the key account identification and selection matrix (关键客户识别与选择矩阵).

A 2 x 2 of two axes, each a weighted mean of normalised feature columns
(``segment.methods.normalise``, state learned in ``fit``; ``lower_is_better`` columns
are negated first):

- customer attractiveness (客户吸引力: future value, growth) — default: growth trend and
  current revenue (a proxy for the customer's size and potential);
- the supplier's current position with the customer (relationship strength) — default:
  order frequency, tenure and recency.

Each axis is split at the ``split_quantiles`` quantile of its calibration values (the
median by default), learned in ``fit`` as ``split_``; a customer exactly at a split counts
as high (ties go up, as everywhere in the package).

Quadrants and tier order (best first), with the sources' policy:

1. key (关键客户: high attractiveness, strong position — invest and protect);
2. development (发展客户: high attractiveness, weak position — worth winning share);
3. maintenance (维持客户: low attractiveness, strong position — serve efficiently);
4. opportunity (机会客户: low, weak — serve opportunistically at low cost).

Attractiveness ranks before position because the matrix selects where *future* value
is: a customer with high potential and a weak position deserves more effort than a
secure customer with little potential.

``explain`` says, per axis, the customer's value against its split and the column that
contributes most to it (weight × normalised value, ``segment.methods.normalise``), e.g.
``development: attractiveness 0.620, high (at or above its split 0.500), most from revenue 812.40,
contributing 0.40 (weight 0.50); position 0.310, low (below its split 0.500), most from 2 orders,
contributing 0.20 (weight 0.33)``.

``axis_values(features)`` gives each customer's two axis values (the matrix plot) and
``score`` is their sum. Degenerate input: one customer or all-equal values are all
``key`` (every customer is at both splits). Missing values count as the calibration
median (see ``normalise``); ``n_missing_`` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods import normalise
from segment.methods.base import (Decimals, GradingMethod, by_code, check_columns, check_labels, feature_name, feature_phrases,
                                  joined, number, percent, texts)
from segment.methods.params import param

AXES = ("attractiveness", "position")


@dataclass
class KAISMMatrix(normalise.NormalisedColumns, GradingMethod):
    attractiveness: dict[str, float] = param(default_factory=lambda: {"growth_trend": 0.5, "monetary_total": 0.5},
                                             low=0, help="attractiveness axis: feature column -> weight")
    position: dict[str, float] = param(
        default_factory=lambda: {"frequency": 1 / 3, "tenure_days": 1 / 3, "recency_days": 1 / 3},
        low=0, help="position (relationship strength) axis: feature column -> weight")
    split_quantiles: tuple[float, float] = param((0.5, 0.5), low=0, low_open=True, high=1,
                                                 help="quantile of each axis (attractiveness, position) where it "
                                                      "splits into low / high (inside 0 to 1)")
    normalisation: str = param("rank", choices=normalise.METHODS, help="rank (percentile), minmax or robust_z")
    lower_is_better: tuple[str, ...] = param(normalise.LOWER_IS_BETTER,
                                             help="columns where a lower value is better (negated before normalising)")
    tier_labels: tuple[str, ...] = param(("key", "development", "maintenance", "opportunity"),
                                         help="the four quadrants' labels, best first")

    display_name: ClassVar[str] = "key-account matrix (KAISM)"
    description: ClassVar[str] = "places customers on attractiveness against relationship strength"
    simplicity: ClassVar[int] = 7
    explain_distinct_rows: ClassVar[bool] = True  # reasons once per distinct row (base.repeated_rows)
    promises: ClassVar[frozenset[str]] = frozenset({"row_order", "money_scale"})
    report_sections: ClassVar[tuple[str, ...]] = ("two_axis_matrix",)
    explains: ClassVar[str] = ("per axis (attractiveness, position), the customer's value against its split and the "
                               "indicator that contributes most to it (weight × normalised value), in words")

    def indicator_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.attractiveness, *self.position]))

    def _check_params(self) -> None:
        check_labels(self, 4, "key, development, maintenance, opportunity")
        q = np.asarray(self.split_quantiles, dtype=float)
        if q.shape != (2,) or np.any(q <= 0) or np.any(q >= 1):
            raise ValueError(f"split_quantiles must be two numbers in (0, 1), got {self.split_quantiles!r}")
        for name, axis in self._axes().items():
            if not axis or any(not np.isfinite(float(v)) or float(v) < 0 for v in axis.values()) or sum(axis.values()) <= 0:
                raise ValueError(f"KAISM {name} weights must be non-negative with a positive sum, got {axis!r}")

    def _axes(self) -> dict[str, dict[str, float]]:
        return {"attractiveness": dict(self.attractiveness), "position": dict(self.position)}

    def _fit(self, features: pd.DataFrame) -> None:
        for name, axis in self._axes().items():
            check_columns(features, axis, f"KAISM {name} axis")
        self._learn_normalisation(features, self.indicator_columns())
        axes = self.axis_values(features)
        q = np.asarray(self.split_quantiles, dtype=float)
        self.split_ = {a: float(np.quantile(axes[a].to_numpy(), qa)) for a, qa in zip(AXES, q)}
        self._assigned_at_fit = self._assigned(axes)  # the fitted table's assignment (base.fit_assign)

    def axis_values(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer: the attractiveness and position axis values (in [0, 1] for the
        rank and minmax normalisations)."""
        return self._axis_values(self.normalised(features))

    def _axis_values(self, norm: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for name, axis in self._axes().items():
            total = float(sum(axis.values()))
            value = np.zeros(len(norm))
            for c, w in axis.items():
                value += float(w) / total * norm[c].to_numpy()
            out[name] = value
        return pd.DataFrame(out, index=norm.index)

    def _explain(self, features: pd.DataFrame, codes, score):
        """Per axis: value, high or low against the split, its largest contribution (module docstring)."""
        norm = self.normalised(features)
        axes = self._axis_values(norm)
        phrases = {c: feature_phrases(features, c) for c in self.indicator_columns()}
        # high or low as the tier says (codes: key, development, maintenance, opportunity)
        high = {"attractiveness": codes < 2, "position": codes % 2 == 0}
        parts: list = [by_code([f"{label}: " for label in self.tier_labels], codes)]
        for i, (name, axis) in enumerate(self._axes().items()):
            cols = list(axis)
            w = np.array([float(axis[c]) for c in cols]) / float(sum(axis.values()))
            c = norm[cols].to_numpy() * w
            split = number(self.split_[name], 3)
            parts += ["; " if i else "", f"{name} ", texts(axes[name].to_numpy(), Decimals(3)),
                      by_code([f", low (below its split {split}), most from ",
                               f", high (at or above its split {split}), most from "], high[name]),
                      normalise.contribution_phrase(normalise.ranked_columns(c, w)[:, 0], c, w,
                                                    [phrases[col] for col in cols], lead=", contributing ")]
        return joined(*parts)

    def _assign(self, features: pd.DataFrame):
        return self._assigned(self.axis_values(features))

    def _assigned(self, axes: pd.DataFrame):
        high_a = axes["attractiveness"].to_numpy() >= self.split_["attractiveness"]
        high_p = axes["position"].to_numpy() >= self.split_["position"]
        codes = np.where(high_a, np.where(high_p, 0, 1), np.where(high_p, 2, 3))
        return codes, (axes["attractiveness"] + axes["position"]).to_numpy()

    def learned_rules(self) -> list[str]:
        how = normalise.WORDS[self.normalisation]
        rules = [f"{name} = " + " + ".join(f"{float(w) / sum(axis.values()):.2f} × {feature_name(c)}"
                                           for c, w in axis.items()) + f" (each {how})"
                 for name, axis in self._axes().items()]
        rules += [f"{name} is high from {self.split_[name]:.3f} (its {percent(q)} quantile on the calibration table)"
                  for name, q in zip(AXES, self.split_quantiles)]
        key, development, maintenance, opportunity = self.tier_labels
        return [*rules, f"{key}: high attractiveness, high position", f"{development}: high attractiveness, low position",
                f"{maintenance}: low attractiveness, high position", f"{opportunity}: low attractiveness, low position"]
