"""Weighted multi-indicator score (综合加权).

The textbook's indicators, as named indicators over feature columns (``indicators``,
data; an indicator of several columns is the mean of their normalised values):

- ``order_amount`` (订单金额): ``monetary_total``
- ``profit_contribution`` (利润贡献): ``profit``
- ``credit_status`` (信用状况): ``mean_days_late``, ``late_payment_share``, ``overdue_amount``
- ``development_prospects`` (发展前景): ``growth_trend``

``weights`` (name -> weight) may name these indicators or any feature column directly,
e.g. ``{"profit": 0.5, "credit_status": 0.3, "growth_trend": 0.2}``. Each column is
oriented so that higher is better (``lower_is_better``: the direction is data — days
late, late-payment share, overdue amount and recency by default) and normalised with
state learned in ``fit`` (``normalisation``: ``rank`` percentile, ``minmax`` or
``robust_z``; see ``segment.methods.normalise``, which also explains missing values:
they count as the calibration median, counted in ``n_missing_``).

score = Σ weight × normalised indicator / Σ weights (in [0, 1] for rank and minmax).
Weights must be non-negative with a positive sum. A weight on an indicator the feature
table lacks is a KeyError naming it and the available columns — never a silent zero
(CDNOW, for one, has no credit data).

Tiers: by cumulative customer shares of the score (``tier_shares``, default A = top
20 %, B = next 30 %, C = the rest), learned as score thresholds in ``fit``; or, when
``tier_cuts`` is given, by those fixed score values (best first). Equal scores share a
tier (a tie at a boundary goes up).

Why is Q above P? ``contributions(features)`` gives, per customer and weighted
indicator, weight / Σ weights × normalised value (the row sums are the score), and
``normalised(features)`` the normalised value of every column.

Explaining (``explain``): the score against the tier's cuts, the two largest contributions
and what holds the customer back most (``segment.methods.normalise``, "Explaining a score"), e.g.
``B: score 0.450, below A's cut 0.550; revenue 10,000,000.00 contributes 0.30 (weight 0.40), pays
180 days late on average 0.15 (weight 0.60); held back most by: pays 180 days late on average,
which lowers the score by 0.45``. An indicator of several columns is named with each of its
columns' values: ``credit status (pays on time, pays every invoice on time, nothing overdue)``.

Degenerate input: one customer or all-equal values put everyone in A (every indicator
is constant). An indicator column with no value at all is a ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods import normalise
from segment.methods.params import param
from segment.methods.base import (
    Decimals,
    GradingMethod,
    check_labels,
    check_shares,
    codes_from_thresholds,
    feature_name,
    feature_phrases,
    joined,
    threshold_reasons,
    threshold_rules,
    thresholds_from_shares,
)

TEXTBOOK_INDICATORS: dict[str, tuple[str, ...]] = {
    "order_amount": ("monetary_total",),
    "profit_contribution": ("profit",),
    "credit_status": ("mean_days_late", "late_payment_share", "overdue_amount"),
    "development_prospects": ("growth_trend",),
}
#: the default weights: the toolkit's own out-of-time tuning chose them (configs/cdnow_tuning.yaml:
#: folds at 1997-06-30, 1997-09-30, 1997-12-31, judged at 1998-03-31, top-tier profit capture;
#: docs/TUNING.md, "The default weights", has the evidence). The textbook's weights (revenue 0.3, profit 0.4, growth
#: 0.3) came 9th of 10 on the CDNOW backtest; tests/methods/test_weighted.py reruns the tuning.
DEFAULT_WEIGHTS = {"monetary_total": 0.6, "profit": 0.1, "recency_days": 0.3}
#: where the default weights come from, in words (the reports show it beside the weights)
DEFAULT_WEIGHTS_SOURCE = ("the default weights, chosen by the toolkit's out-of-time tuning on the CDNOW log "
                          "(searched on quarter ends to 1997-12-31, judged on 1998-03-31)")
#: the last day of the CDNOW outcomes that tuning saw (a CDNOW test before it is not out of time for them)
DEFAULT_WEIGHTS_SEEN_TO = "1998-03-31"


@dataclass
class WeightedScore(normalise.NormalisedColumns, GradingMethod):
    weights: dict[str, float] = param(default_factory=lambda: dict(DEFAULT_WEIGHTS), low=0,
                                      help="indicator or feature column -> weight (non-negative, positive sum; "
                                           "used relative to the sum); the default is what the toolkit's out-of-time "
                                           "tuning chose on CDNOW (docs/TUNING.md, 'The default weights')")
    indicators: dict[str, tuple[str, ...]] = param(default_factory=lambda: dict(TEXTBOOK_INDICATORS),
                                                   help="named indicators -> the feature columns they average")
    lower_is_better: tuple[str, ...] = param(normalise.LOWER_IS_BETTER,
                                             help="columns where a lower value is better (negated before normalising)")
    normalisation: str = param("rank", choices=normalise.METHODS,
                               help="rank (percentile), minmax or robust_z; learned in fit")
    tier_shares: tuple[float, ...] = param((0.2, 0.5), low=0, low_open=True, high=1,
                                           help="cumulative customer shares closing A, B, ... (ignored when tier_cuts "
                                                "is given)")
    tier_cuts: tuple[float, ...] | None = param(None, help="fixed score thresholds, best first (e.g. [0.7, 0.4]); "
                                                           "none = learn them from tier_shares")
    tier_labels: tuple[str, ...] = param(("A", "B", "C"), help="tier labels, best first")

    display_name: ClassVar[str] = "weighted score of several indicators"
    description: ClassVar[str] = "combines several indicators (spend, profit, growth, ...) with set weights"
    simplicity: ClassVar[int] = 6
    explain_distinct_rows: ClassVar[bool] = True  # reasons once per distinct row (base.repeated_rows)
    promises: ClassVar[frozenset[str]] = frozenset({"row_order", "money_scale"})
    monotone_in: ClassVar[tuple[str, ...]] = ("profit", "monetary_total")
    test_params: ClassVar[dict] = {
        "weights": {"monetary_total": 0.2, "profit": 0.4, "growth_trend": 0.1, "credit_status": 0.3}}
    explains: ClassVar[str] = ("the score against the tier's cuts, the two indicators that contribute most (weight × "
                               "normalised value) and the one that holds the customer back most, in words (\"pays 180 "
                               "days late on average\")")

    def indicator_columns(self) -> tuple[str, ...]:
        """The feature columns the weights name (a weight on a column the data lacks is an error)."""
        return tuple(dict.fromkeys(c for name in self.weights for c in self.columns_of(name)))

    def _check_params(self) -> None:
        self._validated_weights()
        if self.tier_cuts is not None:
            cuts = np.asarray(self.tier_cuts, dtype=float)
            if cuts.ndim != 1 or len(cuts) == 0 or np.any(np.diff(cuts) >= 0):
                raise ValueError(f"tier_cuts must be decreasing score values, best first, got {self.tier_cuts!r}")
            check_labels(self, len(cuts) + 1, "one more than tier_cuts")
        else:
            check_shares(self.tier_shares)
            check_labels(self, len(self.tier_shares) + 1, "one more than tier_shares")

    # ------------------------------------------------------------------ checks
    def _validated_weights(self) -> dict[str, float]:
        w = {str(k): float(v) for k, v in dict(self.weights).items()}
        if not w or any(not np.isfinite(v) or v < 0 for v in w.values()) or sum(w.values()) <= 0:
            raise ValueError(f"weights must be non-negative numbers with a positive sum, got {self.weights!r}")
        return w

    def columns_of(self, name: str) -> tuple[str, ...]:
        """The feature columns behind a weighted name (an indicator, or a column itself)."""
        cols = self.indicators.get(name, (name,))
        return (cols,) if isinstance(cols, str) else tuple(cols)

    def _check_data(self, features: pd.DataFrame, w: dict[str, float]) -> None:
        for name in w:
            cols = self.columns_of(name)
            missing = [c for c in cols if c not in features.columns]
            if missing:
                what = f"indicator {name!r} (columns {list(cols)})" if name in self.indicators else f"indicator {name!r}"
                raise KeyError(
                    f"WeightedScore has a weight on {what}, but the feature table lacks {missing}; "
                    f"available columns: {list(features.columns)}; named indicators: {sorted(self.indicators)}"
                )

    # --------------------------------------------------------------------- fit
    def _fit(self, features: pd.DataFrame) -> None:
        w = self._validated_weights()
        self._check_data(features, w)
        self._learn_normalisation(features, self.indicator_columns())
        self.weights_ = {name: v / sum(w.values()) for name, v in w.items()}
        if self.tier_cuts is not None:
            self.thresholds_ = np.asarray(self.tier_cuts, dtype=float)
        else:
            score = self.score(features).to_numpy()
            self.thresholds_ = thresholds_from_shares(score, self.tier_shares)
            self._assigned_at_fit = codes_from_thresholds(score, self.thresholds_), score  # base.fit_assign

    # -------------------------------------------------------------- per customer
    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer and weighted indicator: weight / Σ weights × normalised value
        (the mean over an indicator's columns). Row sums are the score."""
        norm = self.normalised(features)
        out = {}
        for name, wt in self.weights_.items():
            cols = self.columns_of(name)
            mean = norm[cols[0]].to_numpy() if len(cols) == 1 else norm[list(cols)].to_numpy().mean(axis=1)
            out[name] = wt * mean
        return pd.DataFrame(out, index=features.index)

    def score(self, features: pd.DataFrame) -> pd.Series:
        return self.contributions(features).sum(axis=1).rename("score")

    def _assign(self, features: pd.DataFrame):
        s = self.score(features).to_numpy()
        return codes_from_thresholds(s, self.thresholds_), s

    def indicator_phrases(self, features: pd.DataFrame, name: str):
        """Each customer's value of a weighted name in words (an indicator of several columns: its
        name, then each column's value in brackets)."""
        cols = self.columns_of(name)
        if cols == (name,):
            return feature_phrases(features, name)
        inner = [part for i, c in enumerate(cols) for part in ([", "] if i else []) + [feature_phrases(features, c)]]
        return joined(f"{feature_name(name)} (", *inner, ")")

    def _explain(self, features: pd.DataFrame, codes, score):
        """Score against the cuts, the two largest contributions, the largest shortfall (module docstring)."""
        contributions = self.contributions(features)
        c = contributions.to_numpy()
        w = np.array([self.weights_[name] for name in contributions.columns])
        phrases = [self.indicator_phrases(features, name) for name in contributions.columns]
        ranked = normalise.ranked_columns(c, w)
        parts = [threshold_reasons(self.tier_labels, self.thresholds_, codes, score, "score", Decimals(3)),
                 "; ", normalise.contribution_phrase(ranked[:, 0], c, w, phrases)]
        if ranked.shape[1] > 1:
            parts += [", ", normalise.contribution_phrase(ranked[:, 1], c, w, phrases, lead=" ")]
        return joined(*parts, normalise.held_back(c, w, self.normalisation, phrases))

    @property
    def uses_default_weights(self) -> bool:
        """Whether the weights are the package's defaults (``DEFAULT_WEIGHTS``, relative to their sum)."""
        w = {str(k): float(v) for k, v in dict(self.weights).items() if float(v) > 0}
        total, base = sum(w.values()), sum(DEFAULT_WEIGHTS.values())
        return w.keys() == DEFAULT_WEIGHTS.keys() and all(abs(w[k] / total - DEFAULT_WEIGHTS[k] / base) < 1e-9 for k in w)

    def learned_rules(self) -> list[str]:
        def named(name: str) -> str:  # an indicator of several columns names them
            cols = self.columns_of(name)
            return feature_name(name) if cols == (name,) else f"{feature_name(name)} ({', '.join(map(feature_name, cols))})"

        weights = ", ".join(f"{named(name)} {w:.2f}" for name, w in self.weights_.items())
        how = normalise.WORDS[self.normalisation]
        shares = None if self.tier_cuts is not None else self.tier_shares
        source = f" ({DEFAULT_WEIGHTS_SOURCE})" if self.uses_default_weights else ""
        return [f"weights used (of each indicator {how}): {weights}{source}",
                *threshold_rules(self.tier_labels, self.thresholds_, "score", lambda v: f"{v:.3f}", shares)]
