"""BG/NBD + Gamma-Gamma as a predictive benchmark: customers ranked by expected revenue
over the next ``horizon_days`` = E[purchases] (BG/NBD) x E[spend per purchase]
(Gamma-Gamma), both fitted by maximum likelihood on the calibration feature table
(the maths is in ``segment.methods.clv_models``).

Inputs per customer, from the feature table, in units of ``time_unit_days`` (weeks by
default, as FHL):

- x = frequency − 1 repeat purchases, where an order is a purchase day when the data has
  no order id (the CDNOW loader's and FHL's convention: same-day purchases are one);
- t_x = last_order_date − first_order_date, T = tenure_days (as_of − first order, as_of
  inclusive). On the CDNOW sample cut at 1997-09-30 these reproduce FHL (2005a) exactly.
- spend: ``avg_order_value`` over all ``frequency`` orders, first included, fitted as the
  mean of n = frequency transactions. FHL fit repeat orders only; the feature table does
  not keep the first order's amount apart, and averaging all orders is consistent as
  long as n counts all of them (the Gamma-Gamma tests show both fits).

The feature table must be built with ``lookback_months=None``: the model needs the whole
purchase history (a windowed frequency with all-history dates is refused).

Tiers: A = top ``tier_shares[0]`` of customers by expected value, B up to
``tier_shares[1]``, C the rest; thresholds learned in fit, equal values share a tier.
``explain``: expected revenue against the tier's cuts, then its two parts and the chance the
customer is still buying: ``A: expected revenue in the next 365 days 812.40, at or above A's cut
500.00; expects 1.3 purchases in that time, about 62.50 each; 64 % likely still active``.

Degenerate input: one customer (or fewer than three buyers with positive spend) is a
clear error (the spend model cannot be fitted); all-equal customers get one tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segment.errors import CannotGrade
from segment.methods.base import (MONEY, WHOLE, Decimals, GradingMethod, check_labels, check_shares,
                                  codes_from_thresholds, joined, money, percent, texts, threshold_reasons,
                                  threshold_rules, thresholds_from_shares)
from segment.methods.params import param


@dataclass
class BGNBDGrading(GradingMethod):
    horizon_days: int = param(365, low=0, help="prediction horizon of the expected value (days after the grading date)")
    time_unit_days: float = param(7.0, low=0, low_open=True,
                                  help="the model's time unit in days (7 = weeks; only the scale of alpha changes)")
    tier_shares: tuple[float, ...] = param((0.2, 0.5), low=0, low_open=True, high=1,
                                           help="cumulative customer shares closing A, B, ... by expected revenue")
    tier_labels: tuple[str, ...] = param(("A", "B", "C"), help="tier labels, best first")

    required_features: ClassVar[tuple[str, ...]] = (
        "frequency", "first_order_date", "last_order_date", "tenure_days", "avg_order_value",
    )
    display_name: ClassVar[str] = "purchase-probability model (BG/NBD)"
    description: ClassVar[str] = ("estimates from each customer's buying rhythm how much they are likely to buy next, "
                                  "so recent, regular buyers rank above customers who have probably stopped")
    simplicity: ClassVar[int] = 9
    explain_distinct_rows: ClassVar[bool] = True  # reasons once per distinct row (base.repeated_rows)
    promises: ClassVar[frozenset[str]] = frozenset({"row_order"})
    degenerate_errors: ClassVar[dict[str, str]] = {"one_customer": "at least three customers"}
    explains: ClassVar[str] = ("the expected revenue in the horizon against the tier's cuts, the expected number of "
                               "purchases and spend per purchase, and the probability the customer is still active")

    def _check_params(self) -> None:
        check_shares(self.tier_shares)
        check_labels(self, len(self.tier_shares) + 1, "one more than tier_shares")

    def _inputs(self, features: pd.DataFrame) -> tuple[np.ndarray, ...]:
        if features.attrs.get("lookback_months") is not None:
            raise ValueError(
                "BGNBDGrading needs the whole purchase history: build the feature table with "
                f"lookback_months=None (this one has lookback_months={features.attrs['lookback_months']})"
            )
        if self.time_unit_days <= 0 or self.horizon_days < 0:
            raise ValueError("time_unit_days must be > 0 and horizon_days >= 0")
        freq = features["frequency"].to_numpy(dtype=float)
        if len(freq) and (np.nanmin(freq) < 1 or np.isnan(freq).any()):
            raise ValueError("BGNBDGrading needs frequency >= 1 for every customer (whole history, no lookback)")
        u = float(self.time_unit_days)
        x = freq - 1
        t_x = (features["last_order_date"] - features["first_order_date"]).dt.days.to_numpy(dtype=float) / u
        T = features["tenure_days"].to_numpy(dtype=float) / u
        return x, np.minimum(t_x, T), T, features["avg_order_value"].to_numpy(dtype=float)

    def _fit(self, features: pd.DataFrame) -> None:
        # sorted by customer: the optimiser's sums, and so its last digits, must not depend on row order
        from segment.methods import clv_models  # scipy, when fitting: reading the class's description stays cheap

        x, t_x, T, m = self._inputs(features.sort_index())
        if not np.any(T > 0):
            raise CannotGrade("BG/NBD: every customer's first order is on the grading date (no time observed), "
                              "so no buying rhythm can be estimated")
        self.bgnbd_ = clv_models.fit_bgnbd(x, t_x, T)
        self.gamma_gamma_ = clv_models.fit_gamma_gamma(x + 1, m)
        try:
            value = self.expected_value(features)["expected_value"]
        except FloatingPointError as exc:  # the fit ran to the optimiser's bounds: the data do not identify it
            raise CannotGrade(f"BG/NBD: the model cannot be estimated on this data ({exc})") from None
        self.thresholds_ = thresholds_from_shares(value, self.tier_shares)

    def expected_value(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer: P(alive), expected purchases and spend per purchase over the
        horizon, and their product (expected revenue)."""
        from segment.methods import clv_models

        x, t_x, T, m = self._inputs(features)
        n = clv_models.bgnbd_expected_purchases(self.bgnbd_, self.horizon_days / self.time_unit_days, x, t_x, T)
        spend = clv_models.gamma_gamma_expected_spend(self.gamma_gamma_, x + 1, m)
        return pd.DataFrame(
            {"prob_alive": clv_models.bgnbd_prob_alive(self.bgnbd_, x, t_x, T), "expected_purchases": n,
             "expected_spend": spend, "expected_value": n * spend},
            index=features.index,
        )

    def _assign(self, features: pd.DataFrame):
        v = self.expected_value(features)["expected_value"].to_numpy()
        return codes_from_thresholds(v, self.thresholds_), v

    def _explain(self, features: pd.DataFrame, codes, score):
        ev = self.expected_value(features)
        what = f"expected revenue in the next {self.horizon_days:,} days"
        n = ev["expected_purchases"].to_numpy()
        purchases = pc.if_else(pa.array(n < 0.05), "almost no purchase", joined(texts(n, Decimals(1)), " purchases"))
        return joined(threshold_reasons(self.tier_labels, self.thresholds_, codes, score, what, MONEY), "; expects ",
                      purchases, " in that time, about ", texts(ev["expected_spend"].to_numpy(), MONEY), " each; ",
                      texts(100 * ev["prob_alive"].to_numpy(), WHOLE), " % likely still active")

    def learned_rules(self) -> list[str]:
        p, gg, unit = self.bgnbd_, self.gamma_gamma_, self.time_unit_days
        mean_spend = ("undefined (q ≤ 1: the spend distribution has no finite mean)" if gg.q <= 1
                      else money(gg.population_mean_spend))
        return [f"purchase rate while active: varies across customers (gamma, shape r = {p.r:.3f}, scale alpha = "
                f"{p.alpha:.3f} in {unit:g}-day units), {p.r / p.alpha * 365 / unit:.2f} purchases a year on average",
                f"chance of stopping after each purchase: varies across customers (beta, a = {p.a:.3f}, b = {p.b:.3f}), "
                f"{percent(p.a / (p.a + p.b))} on average",
                f"spend per purchase: gamma-gamma with p = {gg.p:.3f}, q = {gg.q:.3f}, gamma = {gg.gamma:.3f}; "
                f"mean across customers {mean_spend}",
                *threshold_rules(self.tier_labels, self.thresholds_, f"expected revenue in the next {self.horizon_days:,} days",
                                 money, self.tier_shares)]

