"""BG/NBD + Gamma-Gamma as a predictive benchmark: customers ranked by expected value
over the next ``horizon_days`` = E[purchases] (BG/NBD) x E[spend per purchase]
(Gamma-Gamma), both fitted on the calibration feature table (``segment.methods.clv_models``).

Per customer, from the feature table (time unit ``time_unit_days``, weeks by default):
x = frequency − 1 repeat purchases, t_x = (last − first order) and T = tenure. An order
is a purchase day when the data has no order id (FHL's convention). The spend input is
``avg_order_value`` (all orders, first included: the feature table does not keep the
first order's amount apart; on the CDNOW sample this shifts the Gamma-Gamma estimates
slightly from FHL's repeat-only figures, which the tests reproduce with the exact input).
Use with ``lookback_months=None`` (the model needs the whole purchase history).
Tiers: A = top ``tier_shares[0]`` of customers by expected value, B up to
``tier_shares[1]``, C the rest (thresholds learned in fit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods.base import GradingMethod, codes_from_thresholds, thresholds_from_shares
from segment.methods.clv_models import (
    bgnbd_expected_purchases,
    bgnbd_prob_alive,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)


@dataclass
class BGNBDGrading(GradingMethod):
    horizon_days: int = 365
    time_unit_days: float = 7.0
    tier_shares: tuple[float, ...] = (0.2, 0.5)
    tier_labels: tuple[str, ...] = ("A", "B", "C")

    required_features: ClassVar[tuple[str, ...]] = (
        "frequency", "first_order_date", "last_order_date", "tenure_days", "avg_order_value",
    )
    description: ClassVar[str] = "BG/NBD + Gamma-Gamma: expected value over the horizon (predictive benchmark)"

    def _inputs(self, features: pd.DataFrame):
        u = float(self.time_unit_days)
        x = np.maximum(features["frequency"].to_numpy(dtype=float) - 1, 0)
        t_x = (features["last_order_date"] - features["first_order_date"]).dt.days.to_numpy(dtype=float) / u
        T = features["tenure_days"].to_numpy(dtype=float) / u
        return x, np.minimum(t_x, T), T, features["avg_order_value"].to_numpy(dtype=float)

    def _fit(self, features: pd.DataFrame) -> None:
        x, t_x, T, m = self._inputs(features)
        self.bgnbd_ = fit_bgnbd(x, t_x, T)
        self.gamma_gamma_ = fit_gamma_gamma(x, m)
        self.thresholds_ = thresholds_from_shares(self.expected_value(features)["expected_value"], self.tier_shares)

    def expected_value(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer: P(alive), expected purchases and spend over the horizon, their product."""
        x, t_x, T, m = self._inputs(features)
        n = bgnbd_expected_purchases(self.bgnbd_, self.horizon_days / self.time_unit_days, x, t_x, T)
        spend = gamma_gamma_expected_spend(self.gamma_gamma_, x, m)
        return pd.DataFrame(
            {"prob_alive": bgnbd_prob_alive(self.bgnbd_, x, t_x, T), "expected_purchases": n,
             "expected_spend": spend, "expected_value": n * spend},
            index=features.index,
        )

    def _assign(self, features: pd.DataFrame):
        v = self.expected_value(features)["expected_value"].to_numpy()
        return codes_from_thresholds(v, self.thresholds_), v
