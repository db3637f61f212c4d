"""Pareto / ABC grading (帕累托, 二八法则) on revenue or on profit.

Customers are ranked by value (ties by customer_id). A = the customers needed to reach
the first ``cut_shares[0]`` (80 %) of the positive total: a customer is in A when the
cumulative share *before* it is below the cut; B likewise up to ``cut_shares[1]`` (95 %);
C = the rest with a value of zero or more. Loss-making customers (negative value) never
count toward a cumulative share; they form the last group, ``loss`` (the sources'
"drop bad customers"). With 18 customers making exactly 80 of 100, A is exactly those 18.

The cuts are learned as value thresholds (the smallest value inside A, inside B), and
``assign`` applies them by value: a tie at a boundary goes to the better class, and
last quarter's thresholds grade this quarter's customers. If no customer has a
positive value, nobody is A or B. ``top20_share_`` is the 80/20 check: the share of the
positive total made by the top 20 % of customers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods.base import GradingMethod, _check_shares, codes_from_thresholds, rank_order

BASIS_COLUMNS = {"revenue": "monetary_total", "profit": "profit"}


@dataclass
class ParetoABC(GradingMethod):
    basis: str = "revenue"
    cut_shares: tuple[float, ...] = (0.8, 0.95)
    tier_labels: tuple[str, ...] = ("A", "B", "C", "loss")

    description: ClassVar[str] = "Pareto/ABC: A = customers making the first 80 % of the total, B up to 95 %, C the rest"

    def required_features_for_params(self) -> tuple[str, ...]:
        if self.basis not in BASIS_COLUMNS:
            raise ValueError(f"basis must be one of {sorted(BASIS_COLUMNS)}, got {self.basis!r}")
        return (BASIS_COLUMNS[self.basis], "tenure_days")

    def _fit(self, features: pd.DataFrame) -> None:
        _check_shares(self.cut_shares)
        if len(self.tier_labels) != len(self.cut_shares) + 2:
            raise ValueError(f"tier_labels needs {len(self.cut_shares) + 2} labels (one per cut, the rest, loss)")
        values = features[BASIS_COLUMNS[self.basis]]
        positive = values.clip(lower=0)
        order = rank_order(values)
        sorted_pos = positive.to_numpy(dtype=float)[order]
        total = sorted_pos.sum()
        self.total_ = float(total)
        thresholds = []
        if total > 0:
            share_before = (np.cumsum(sorted_pos) - sorted_pos) / total
            for cut in self.cut_shares:
                inside = (share_before < cut - 1e-12) & (sorted_pos > 0)
                thresholds.append(sorted_pos[inside].min() if inside.any() else np.inf)
        else:
            thresholds = [np.inf] * len(self.cut_shares)
        self.thresholds_ = np.asarray(thresholds, dtype=float)
        n = len(values)
        k = math.ceil(0.2 * n)
        self.top20_share_ = float(sorted_pos[:k].sum() / total) if total > 0 else float("nan")
        self.n_loss_ = int((values < 0).sum())

    def _assign(self, features: pd.DataFrame):
        v = features[BASIS_COLUMNS[self.basis]].to_numpy(dtype=float)
        codes = codes_from_thresholds(np.where(v < 0, 0.0, v), self.thresholds_)
        # values >= 0 below every threshold are C (code len(cuts)); losses get their own last code
        codes = np.where(v < 0, len(self.cut_shares) + 1, codes)
        return codes, v

    def loss_customers(self, features: pd.DataFrame) -> pd.Index:
        """Customers with negative value: candidates for review or for being dropped."""
        return features.index[features[BASIS_COLUMNS[self.basis]] < 0]
