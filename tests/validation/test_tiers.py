"""Per-tier outcome table: hand-checked sums and rates, empty tiers, misaligned input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.validation.tiers import per_tier_all, per_tier_outcomes
from tests.validation.conftest import assignments_from_codes, outcomes_from


def test_per_tier_table_hand_checked():
    a = assignments_from_codes([0, 0, 1, 1, 2, 2], provisional=[1, 0, 0, 0, 0, 1])
    o = outcomes_from([10, 20, 5, -5, 0, 1], [False, False, True, False, True, True],
                      revenue=[40, 80, 20, 10, 0, 4])
    t = per_tier_outcomes(a, o).set_index("tier")
    assert list(t["customers"]) == [2, 2, 2] and list(t["provisional"]) == [1, 0, 1]
    assert list(t["churn_rate"]) == [0.0, 0.5, 1.0]
    assert t["customer_share"].sum() == pytest.approx(1.0)
    assert t.loc["A", "profit_total"] == 30 and t.loc["A", "profit_share"] == pytest.approx(30 / 31)
    assert t.loc["B", "profit_per_customer"] == 0 and t.loc["A", "revenue_per_customer"] == 60
    # t interval of tier A's mean profit: 15 ± t(0.975, 1) · sd(10, 20)/√2
    half = 12.706204736 * np.std([10, 20], ddof=1) / np.sqrt(2)
    assert t.loc["A", "profit_per_customer_ci_low"] == pytest.approx(15 - half)
    assert t.loc["A", "profit_per_customer_ci_high"] == pytest.approx(15 + half)
    assert t["small_tier"].all()


def test_empty_tier_is_a_row_with_missing_rates():
    a = assignments_from_codes([0, 0, 2, 2])
    t = per_tier_outcomes(a, outcomes_from([1, 2, 3, 4], [False, True, False, True])).set_index("tier")
    assert t.loc["B", "customers"] == 0
    assert np.isnan(t.loc["B", "churn_rate"]) and np.isnan(t.loc["B", "profit_per_customer"])


def test_outcome_rows_follow_the_customer_not_the_row_position():
    a = assignments_from_codes([0, 1, 2])
    o = outcomes_from([30, 20, 10], [False, False, True])
    shuffled = o.iloc[[2, 0, 1]]
    pd.testing.assert_frame_equal(per_tier_outcomes(a, o), per_tier_outcomes(a, shuffled))
    with pytest.raises(ValueError, match="no outcome row"):
        per_tier_outcomes(a, o.iloc[:2])


def test_long_table_over_methods():
    a = assignments_from_codes([0, 1, 2, 2])
    o = outcomes_from([3, 2, 1, 0], [False, False, True, True])
    t = per_tier_all({"x": a, "y": a}, o)
    assert list(t.columns[:2]) == ["method", "tier"] and len(t) == 6
    assert (t.groupby("method")["customers"].sum() == 4).all()
