"""Supervised benchmark: a gradient-boosting model of future profit, trained out of time.

Training data comes from an *earlier* origin: features at T_train = as_of − h
(h = ``training_horizon_days``, default the run's horizon)
and the profit each customer made in (T_train, as_of]. The training outcome window ends
on the grading date, so nothing after it is used (no leakage). The pipeline supplies it
through ``prepare(transactions=..., as_of=..., horizon_days=..., feature_kwargs=...)``;
a caller with its own training table uses ``set_training(train_features, train_profit)``.
``fit(features)`` then trains the model and learns tier thresholds on the predictions
for ``features``. Model: scikit-learn's HistGradientBoostingRegressor (fast on millions
of rows, deterministic for a ``random_state``), on every numeric feature column the
training and grading tables share. Tiers: A = top 20 % by predicted profit, B next 30 %.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from segment.methods.base import GradingMethod, codes_from_thresholds, thresholds_from_shares

EXCLUDED = {"first_order_date", "last_order_date", "first_contract_date"}


@dataclass
class SupervisedProfitRanker(GradingMethod):
    #: length of the training outcome window; None = the run's horizon. The training
    #: origin is as_of minus this, so it must leave history before it.
    training_horizon_days: int | None = None
    #: train on a seeded sample of at most this many customers (None = all): the model
    #: learns a smooth function of a dozen features, a few hundred thousand rows suffice
    max_train_rows: int | None = 300_000
    max_iter: int = 200
    learning_rate: float = 0.1
    tier_shares: tuple[float, ...] = (0.2, 0.5)
    tier_labels: tuple[str, ...] = ("A", "B", "C")
    random_state: int = 0

    required_features: ClassVar[tuple[str, ...]] = ("tenure_days",)
    description: ClassVar[str] = "Gradient boosting on an earlier origin, ranking by predicted future profit"

    def prepare(self, *, transactions: Any, as_of: Any, horizon_days: int, feature_kwargs: dict, customers=None, **_) -> None:
        """Build the out-of-time training table from ``transactions`` (see module docstring)."""
        from segment.outcomes import build_features_and_outcomes

        horizon_days = int(self.training_horizon_days or horizon_days)
        train_origin = pd.Timestamp(as_of).date() - dt.timedelta(days=horizon_days)
        if transactions["order_ts"].min().date() > train_origin:
            raise ValueError(
                f"supervised benchmark: the training origin {train_origin} (as_of − {horizon_days} days) is before "
                "the first transaction; there is no earlier history to learn from"
            )
        f, o = build_features_and_outcomes(transactions, as_of=train_origin, horizon_days=int(horizon_days),
                                           customers=customers, **feature_kwargs)
        self.set_training(f, o["profit_outcome"])
        self.train_origin_ = str(train_origin)

    def set_training(self, train_features: pd.DataFrame, train_profit: pd.Series) -> "SupervisedProfitRanker":
        if not train_features.index.equals(train_profit.index):
            raise ValueError("training features and target must have the same customer index")
        self._train = (train_features, train_profit)
        return self

    def _columns(self, features: pd.DataFrame) -> list[str]:
        train = self._train[0]
        return [c for c in features.columns if c in train.columns and c not in EXCLUDED
                and pd.api.types.is_numeric_dtype(features[c]) and pd.api.types.is_numeric_dtype(train[c])]

    def _fit(self, features: pd.DataFrame) -> None:
        if not hasattr(self, "_train"):
            raise RuntimeError("SupervisedProfitRanker needs training data from an earlier origin: "
                               "call prepare(transactions=..., ...) or set_training(...) before fit")
        train_f, train_y = self._train
        if self.max_train_rows is not None and len(train_f) > self.max_train_rows:
            keep = np.sort(np.random.default_rng(self.random_state).choice(len(train_f), self.max_train_rows, replace=False))
            train_f, train_y = train_f.iloc[keep], train_y.iloc[keep]
        self.n_train_ = len(train_f)
        self.columns_ = self._columns(features)
        if len(train_f) < 2:
            raise ValueError("the supervised benchmark needs at least two training customers")
        self.model_ = HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=self.learning_rate, random_state=self.random_state
        ).fit(train_f[self.columns_].to_numpy(dtype=float), train_y.to_numpy(dtype=float))
        self.thresholds_ = thresholds_from_shares(self.predict_profit(features), self.tier_shares)

    def predict_profit(self, features: pd.DataFrame) -> pd.Series:
        pred = self.model_.predict(features[self.columns_].to_numpy(dtype=float))
        return pd.Series(pred, index=features.index, name="predicted_profit")

    def _assign(self, features: pd.DataFrame):
        v = self.predict_profit(features).to_numpy()
        return codes_from_thresholds(v, self.thresholds_), v
