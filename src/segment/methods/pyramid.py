"""Customer pyramid (客户金字塔): four levels by profit.

Levels, best first (labels configurable; the defaults are English):

- ``important`` (重要客户) — the top ``cut_shares[0]`` of customers (default 1 %);
- ``secondary`` (次要客户) — the next ones up to ``cut_shares[1]`` (default 20 %);
- ``ordinary`` (普通客户) — up to ``cut_shares[2]`` (default 50 %);
- ``small`` (小客户) — the rest, loss-makers included.

The source fixes only that important + secondary, the "key customers" (关键客户), are
about 20 % of customers and make about 80 % of profit; the 1 / 19 / 30 / 50 % split is
the usual textbook one. Levels are cut at cumulative *customer-count* shares, ranking
customers by ``value_column`` (default ``profit``: the pyramid is a profitability
pyramid); ``key_customer_share_`` and ``key_value_share_`` show whether the key customers
(the top ``n_key_levels`` levels) really are ~20 % of customers making ~80 % of it.

Cuts are learned in ``fit`` as value thresholds (``thresholds_``; see
``base.thresholds_from_shares``) and applied by value: equal values share a level (a tie
at a boundary goes up, so a level can hold more than its share), and another date's
table is graded with these thresholds. ``explain`` says the customer's value against its
level's cuts (``important: profit 9,120.00, at or above important's cut 8,000.00``; a value equal
to a cut is in the better level, and the sentence says so). Degenerate input: one customer, or all-equal
values, puts everyone in ``important``. Missing values are a ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from segment.methods.base import (
    GradingMethod,
    check_labels,
    check_shares,
    codes_from_thresholds,
    column_values,
    feature_name,
    feature_value,
    percent,
    threshold_reasons,
    threshold_rules,
    thresholds_from_shares,
    value_format,
)
from segment.methods.params import param


@dataclass
class CustomerPyramid(GradingMethod):
    value_column: str = param("profit", help="the value the pyramid is built on (profit: customer profitability)")
    cut_shares: tuple[float, ...] = param((0.01, 0.20, 0.50), low=0, low_open=True, high=1,
                                          help="cumulative customer-count shares closing each level but the last")
    tier_labels: tuple[str, ...] = param(("important", "secondary", "ordinary", "small"),
                                         help="best first; one more than cut_shares (重要, 次要, 普通, 小客户)")
    n_key_levels: int = param(2, low=1, help='how many top levels are the "key customers" (关键客户)')

    display_name: ClassVar[str] = "customer pyramid by profit"
    description: ClassVar[str] = ("ranks customers by the profit they brought so far, with a small top level "
                                  "of the most important ones")
    simplicity: ClassVar[int] = 3
    explain_distinct_rows: ClassVar[bool] = True  # reasons once per distinct row (base.repeated_rows)
    promises: ClassVar[frozenset[str]] = frozenset({"row_order", "money_scale"})
    report_sections: ClassVar[tuple[str, ...]] = ("tier_pyramids",)
    explains: ClassVar[str] = ("the customer's value (profit by default) against the cuts of its level: below the "
                               "better level's cut and at or above its own; a value equal to a cut is in the better "
                               "level")

    @property
    def monotone_in(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.value_column,)

    def _check_params(self) -> None:
        check_shares(self.cut_shares)
        check_labels(self, len(self.cut_shares) + 1, "one more than cut_shares")
        if not 1 <= self.n_key_levels <= len(self.tier_labels):
            raise ValueError(f"n_key_levels must be in 1..{len(self.tier_labels)}, got {self.n_key_levels}")

    def required_features_for_params(self) -> tuple[str, ...]:
        return (self.value_column, "tenure_days")

    def _fit(self, features: pd.DataFrame) -> None:
        v = column_values(features, self.value_column, type(self).__name__)
        self.thresholds_ = thresholds_from_shares(v, self.cut_shares)
        codes = codes_from_thresholds(v, self.thresholds_)
        key = codes < self.n_key_levels
        self.key_customer_share_ = float(key.mean())
        total = float(v.sum())  # net value: loss-makers subtract
        self.key_value_share_ = float(v[key].sum() / total) if total > 0 else float("nan")

    def _assign(self, features: pd.DataFrame):
        v = column_values(features, self.value_column, type(self).__name__)
        return codes_from_thresholds(v, self.thresholds_), v

    def _explain(self, features: pd.DataFrame, codes, score):
        return threshold_reasons(self.tier_labels, self.thresholds_, codes, score, feature_name(self.value_column),
                                 value_format(self.value_column))

    def learned_rules(self) -> list[str]:
        what = feature_name(self.value_column)
        rules = threshold_rules(self.tier_labels, self.thresholds_, what,
                                lambda v: feature_value(self.value_column, v), self.cut_shares)
        made = (f"{percent(self.key_value_share_)} of the net {what}" if pd.notna(self.key_value_share_)
                else f"an undefined share of the {what} (the net total is not positive)")
        return [*rules, f"key customers ({', '.join(self.tier_labels[:self.n_key_levels])}): "
                        f"{percent(self.key_customer_share_)} of customers, making {made}"]
