"""Agreement between gradings: kappa, weighted kappa, adjusted Rand, disagreements."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, cohen_kappa_score

from segment.validation.agreement import agreement_matrix, contingency, disagreements
from segment.validation.metrics import rank_all
from tests.validation.conftest import assignments_from_codes, ids


def test_kappa_of_identical_gradings_is_one():
    a = assignments_from_codes([0, 1, 2, 0, 1, 2])
    m = agreement_matrix({"x": a, "y": a.copy()}).iloc[0]
    assert m["top_tier_kappa"] == 1.0 and m["weighted_kappa"] == 1.0 and m["adjusted_rand"] == 1.0
    assert m["ordering_spearman"] == pytest.approx(1.0) and m["same_top_tier_share"] == 1.0


def test_agreement_equals_sklearn_on_random_gradings():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    y[:250] = x[:250]  # half agree
    z = rng.integers(0, 4, 500)
    m = agreement_matrix({"x": assignments_from_codes(x), "y": assignments_from_codes(y),
                          "z": assignments_from_codes(z, labels=("A", "B", "C", "D"))}).set_index(["method_a", "method_b"])
    xy = m.loc[("x", "y")]
    assert xy["weighted_kappa"] == pytest.approx(cohen_kappa_score(x, y, weights="linear"))
    assert xy["top_tier_kappa"] == pytest.approx(cohen_kappa_score(x == 0, y == 0))
    assert xy["adjusted_rand"] == pytest.approx(adjusted_rand_score(x, y))
    xz = m.loc[("x", "z")]
    assert not xz["tiers_comparable"] and np.isnan(xz["weighted_kappa"])  # 3 vs 4 tiers: not comparable
    assert xz["adjusted_rand"] == pytest.approx(adjusted_rand_score(x, z))


def test_contingency_shows_all_tiers():
    a, b = assignments_from_codes([0, 0, 1]), assignments_from_codes([0, 2, 2])
    ra, rb = rank_all({"a": a, "b": b}, a.index).values()
    t = contingency(ra.codes, len(ra.labels), rb.codes, len(rb.labels))  # as agreement_matrix counts
    assert t.shape == (3, 3) and t[0, 2] == 1 and t.sum() == 3


def test_disagreements_find_the_revenue_versus_profit_customer():
    n = 40
    revenue = np.linspace(100, 10, n)
    profit = revenue * 0.1
    profit[0] = -5.0  # biggest revenue, a loss: customer X of the textbook
    features = pd.DataFrame({"monetary_total": revenue, "profit": profit, "frequency": 3, "recency_days": 10.0,
                             "growth_trend": 0.0, "mean_days_late": 0.0}, index=ids(n))
    features.loc["c00001", "mean_days_late"] = 180.0  # high revenue, six months late: customer P

    def grade(values):
        codes = np.searchsorted(np.quantile(-values, [0.2, 0.5]), -values)
        return assignments_from_codes(codes, score=values)

    credit_adjusted = revenue - 1000 * (features["mean_days_late"].to_numpy() > 90)
    d = disagreements({"abc_revenue": grade(revenue), "abc_profit": grade(profit), "credit": grade(credit_adjusted)},
                      features, top_n=5)
    assert set(d["customer_id"].iloc[:2]) == {"c00000", "c00001"}
    first = d.set_index("customer_id")
    assert first.loc["c00000", "tier_abc_revenue"] == "A" and first.loc["c00000", "tier_abc_profit"] == "C"
    assert first.loc["c00000", "tier_rank_spread"] == 1.0
    assert "revenue_vs_profit" in first.loc["c00000", "conflict"]
    assert "revenue_vs_credit" in first.loc["c00001", "conflict"]
    assert first.loc["c00000", "best_by"] in ("abc_revenue", "credit") and first.loc["c00000", "worst_by"] == "abc_profit"
