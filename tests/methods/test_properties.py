"""Hypothesis invariants: scaling money changes no tier; more value never lowers a tier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segment.methods.pareto import ParetoABC
from segment.methods.pyramid import CustomerPyramid
from segment.methods.registry import make_method
from segment.methods.weighted import WeightedScore

MONEY = ["monetary_total", "avg_order_value", "profit", "recent_revenue", "prior_revenue", "overdue_amount"]


@st.composite
def feature_tables(draw):
    n = draw(st.integers(2, 40))
    money = st.floats(-1e4, 1e6, allow_nan=False)
    frame = pd.DataFrame(
        {
            "recency_days": draw(st.lists(st.integers(0, 500), min_size=n, max_size=n)),
            "tenure_days": draw(st.lists(st.integers(0, 900), min_size=n, max_size=n)),
            "frequency": draw(st.lists(st.integers(1, 30), min_size=n, max_size=n)),
            "monetary_total": draw(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=n, max_size=n)),
            "profit": draw(st.lists(money, min_size=n, max_size=n)),
            "growth_trend": draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n)),
            "mean_days_late": draw(st.lists(st.floats(0, 200), min_size=n, max_size=n)),
        },
        index=pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id"),
    ).astype(float)
    frame["avg_order_value"] = frame["monetary_total"] / frame["frequency"]
    return frame


SCALE_INVARIANT = [
    ("abc_revenue", {}), ("abc_profit", {}), ("pyramid", {}), ("rfm", {}),
    ("weighted", {"weights": {"monetary_total": 0.3, "profit": 0.4, "growth_trend": 0.1, "mean_days_late": 0.2}}),
    ("kaism", {}), ("lifecycle", {}),
]


@pytest.mark.parametrize("name, params", SCALE_INVARIANT, ids=[n for n, _ in SCALE_INVARIANT])
@settings(max_examples=40, deadline=None)
@given(table=feature_tables(), k=st.floats(0.001, 1000))
def test_scaling_all_money_changes_no_tier(name, params, table, k):
    scaled = table.copy()
    for col in MONEY:
        if col in scaled:
            scaled[col] = scaled[col] * k
    a = make_method(name, **params).fit_assign(table)["tier"]
    b = make_method(name, **params).fit_assign(scaled)["tier"]
    pd.testing.assert_series_equal(a, b)


MONOTONE = [
    (lambda: ParetoABC(basis="profit"), "profit"),
    (lambda: ParetoABC(basis="revenue"), "monetary_total"),
    (lambda: CustomerPyramid(), "profit"),
    (lambda: WeightedScore(weights={"profit": 0.5, "monetary_total": 0.5}), "profit"),
]


@pytest.mark.parametrize("build, column", MONOTONE, ids=["abc_profit", "abc_revenue", "pyramid", "weighted"])
@settings(max_examples=40, deadline=None)
@given(table=feature_tables(), who=st.integers(0, 39), extra=st.floats(0.01, 1e6))
def test_raising_a_customers_value_never_lowers_its_tier(build, column, table, who, extra):
    """Rules fitted on the calibration table; the customer's value rises afterwards."""
    who = who % len(table)
    m = build().fit(table)
    before = m.assign(table)["tier"].cat.codes.iloc[who]
    richer = table.copy()
    richer.iloc[who, richer.columns.get_loc(column)] += extra
    after = m.assign(richer)["tier"].cat.codes.iloc[who]
    assert after <= before
