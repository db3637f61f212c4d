"""Pareto / ABC grading (帕累托, 二八法则) on revenue or on profit.

``basis="revenue"`` grades by ``monetary_total``, ``basis="profit"`` by ``profit``.

The cut rule (learned in ``fit``). Customers are sorted by value, largest first. Only
positive values count toward the total and the cumulative shares. A customer is in
A when the share of the total held by the customers ranked *above* it is below
``cut_shares[0]`` (80 %): A is the smallest group that reaches 80 %. B likewise up to
``cut_shares[1]`` (95 %); C = every other customer with a value of zero or more.
With 18 customers making exactly 80 of 100, the 18th has 80 % − its own share above
it (< 80 %: A) and the 19th has exactly 80 % above it (not below the cut: B), so A is
exactly those 18. Shares are compared with a tolerance of 1e-9 (of the total), so a
float sum that lands a hair off 80 % does not move the boundary.

Loss-making customers (negative value) never count toward a cumulative share; they
form their own last group, ``loss`` (the sources' "drop bad customers"). They are not
"below C" in value terms only: they cost money, so they need a decision, not cheaper
service.

Assigning. The cuts are stored as value thresholds (``thresholds_``: the smallest
value inside A, inside B), and ``assign`` grades any table by value: value ≥ the A
threshold is A, ≥ the B threshold is B, ≥ 0 is C, < 0 is loss. So last quarter's
thresholds grade this quarter's customers (a new customer is graded by its value, not
by this quarter's shares), equal values always share a class, and a tie straddling a
cut goes to the better class (A may then hold a little more than 80 %).

Learned state: ``thresholds_``, ``total_`` (positive total), ``tier_value_share_`` (the
share of the positive total in A, B, C on the calibration table), ``top20_share_`` (the
80/20 check: the share of the positive total made by the top 20 % of customers — all
customers counted, ceil(0.2·n) of them), ``n_loss_`` and ``loss_total_``.

Explaining (``explain``): the customer's value against its class's cuts, e.g. ``B: revenue
812.40, below A's cut 1,050.00 and at or above B's cut 310.20``; A only "at or above A's cut",
C "below <the last cut> and at or above break-even 0.00", loss "below break-even 0.00". A
value equal to a cut is in the better class, and the sentence says so. A cut nobody reaches
(no positive value at all) is not mentioned.

Degenerate input: one customer with a positive value is A; all-equal positive values
are all A; if no customer has a positive value, nobody is A or B (a RuntimeWarning says
so) — zeros are C and losses ``loss``. Missing values are a ValueError.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods.base import (MONEY, GradingMethod, check_labels, check_shares, codes_from_thresholds, column_values,
                                  feature_name, money, percent, threshold_reasons)
from segment.methods.params import param

BASIS_COLUMNS = {"revenue": "monetary_total", "profit": "profit"}
#: tolerance on cumulative shares (a fraction of the total)
SHARE_TOLERANCE = 1e-9


@dataclass
class ParetoABC(GradingMethod):
    basis: str = param("revenue", choices=tuple(BASIS_COLUMNS),
                       help="grade by revenue (monetary_total) or by profit (profit)")
    cut_shares: tuple[float, ...] = param((0.8, 0.95), low=0, low_open=True, high=1,
                                          help="cumulative shares of the positive total that close A, B, ... (increasing)")
    tier_labels: tuple[str, ...] = param(("A", "B", "C", "loss"),
                                         help="one label per cut, one for the rest (value >= 0), one for loss-makers, "
                                              "best first")

    simplicity: ClassVar[int] = 1
    explain_distinct_rows: ClassVar[bool] = True  # reasons once per distinct row (base.repeated_rows)
    promises: ClassVar[frozenset[str]] = frozenset({"row_order", "money_scale"})
    #: by revenue (abc_revenue), this is the grading most businesses use today: leadership compares with it
    usual_practice: ClassVar[str] = "revenue-based ABC grading"
    usual_practice_params: ClassVar[dict[str, str]] = {"basis": "revenue"}

    # one class, two registry names (abc_revenue, abc_profit): what it says depends on ``basis``
    @property
    def display_name(self) -> str:  # type: ignore[override]
        return f"ABC by {self.basis} (Pareto 80/20)"

    @property
    def description(self) -> str:  # type: ignore[override]
        return ("ranks customers by what they spent so far" if self.basis == "revenue"
                else "ranks customers by the profit they brought so far")

    @property
    def explains(self) -> str:  # type: ignore[override]
        return (f"the customer's {self.basis} against the cuts of its class: below the better class's cut and at or "
                "above its own; a value equal to a cut is in the better class")

    @property
    def monotone_in(self) -> tuple[str, ...]:  # type: ignore[override]
        return (BASIS_COLUMNS.get(self.basis, "monetary_total"),)

    @property
    def value_column(self) -> str:
        if self.basis not in BASIS_COLUMNS:
            raise ValueError(f"basis must be one of {sorted(BASIS_COLUMNS)}, got {self.basis!r}")
        return BASIS_COLUMNS[self.basis]

    def _check_params(self) -> None:
        self.value_column
        check_shares(self.cut_shares)
        check_labels(self, len(self.cut_shares) + 2, "one per cut, one for the rest, one for loss-makers")

    def required_features_for_params(self) -> tuple[str, ...]:
        return (self.value_column, "tenure_days")

    def _fit(self, features: pd.DataFrame) -> None:
        v = column_values(features, self.value_column, type(self).__name__)
        sorted_pos = np.sort(np.clip(v, 0.0, None))[::-1]  # tie order cannot matter: thresholds are values
        total = float(sorted_pos.sum())
        if total > 0:
            share_before = (np.cumsum(sorted_pos) - sorted_pos) / total
            thresholds = []
            for cut in self.cut_shares:
                inside = (share_before < cut - SHARE_TOLERANCE) & (sorted_pos > 0)
                # share_before is non-decreasing, so "inside" is a prefix: its last value is the smallest
                thresholds.append(sorted_pos[inside.sum() - 1] if inside.any() else np.inf)
        else:
            warnings.warn(
                f"ParetoABC({self.basis}): no customer has a positive {self.value_column}; nobody is graded "
                f"{' or '.join(self.tier_labels[:-2])}",
                RuntimeWarning, stacklevel=3,
            )
            thresholds = [np.inf] * len(self.cut_shares)
        self.thresholds_ = np.asarray(thresholds, dtype=float)
        self.total_ = total
        codes = self._codes(v)
        pos = np.clip(v, 0.0, None)
        self.tier_value_share_ = {
            label: (float(pos[codes == i].sum() / total) if total > 0 else float("nan"))
            for i, label in enumerate(self.tier_labels[:-1])
        }
        k = math.ceil(0.2 * len(v))
        self.top20_share_ = float(sorted_pos[:k].sum() / total) if total > 0 else float("nan")
        self.n_loss_ = int((v < 0).sum())
        self.loss_total_ = float(v[v < 0].sum())

    def _codes(self, v: np.ndarray) -> np.ndarray:
        codes = codes_from_thresholds(np.clip(v, 0.0, None), self.thresholds_)
        return np.where(v < 0, len(self.cut_shares) + 1, codes)

    def _assign(self, features: pd.DataFrame):
        v = column_values(features, self.value_column, type(self).__name__)
        return self._codes(v), v

    def _explain(self, features: pd.DataFrame, codes, score):
        """The value against the cuts (module docstring); C's lower cut is break-even (0.00)."""
        cuts = [*self.thresholds_, 0.0]  # the same classes as _codes: v < 0 is below every cut
        names = [f"{label}'s cut" for label in self.tier_labels[:len(self.cut_shares)]] + ["break-even"]
        return threshold_reasons(self.tier_labels, cuts, codes, score, feature_name(self.value_column), MONEY, names)

    def learned_rules(self) -> list[str]:
        what = feature_name(self.value_column)
        if self.total_ <= 0:
            return [f"nobody is graded {' or '.join(self.tier_labels[:-2])}: no customer has a positive {what}",
                    f"{self.tier_labels[-2]}: {what} of 0.00 or more", f"{self.tier_labels[-1]}: {what} below 0.00"]
        rules = [f"{label}: {what} ≥ {money(thr)} (the customers holding the first {percent(cut)} of the positive "
                 f"{what} total, {money(self.total_)})"
                 for label, thr, cut in zip(self.tier_labels, self.thresholds_, self.cut_shares)]
        return [*rules, f"{self.tier_labels[-2]}: {what} of 0.00 or more, below {money(self.thresholds_[-1])}",
                f"{self.tier_labels[-1]}: {what} below 0.00 ("
                + (f"{self.n_loss_:,} customers, {money(-self.loss_total_)} lost in total)" if self.n_loss_ else "nobody)"),
                f"80/20 check: the top 20 % of customers hold {percent(self.top20_share_)} of the positive total"]
