"""Hand-checked features, invariants and the leakage rule (segment.features)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segment.features import build_features
from tests.helpers import tx

AS_OF = "2024-06-30"


@pytest.fixture
def small():
    # c1: three orders on two days before the cut, one after; c2: one order; c3: after only
    return tx(
        [
            ("c1", "2024-01-10", 100.0),
            ("c1", "2024-01-10 15:30", 50.0),  # same day -> same order when no order_id
            ("c1", "2024-06-30 23:00", 30.0),  # on the as-of date: included
            ("c1", "2024-07-01", 999.0),  # after the cut: never a feature
            ("c2", "2023-03-01", 20.0),
            ("c3", "2024-08-01", 70.0),
        ]
    )


def test_hand_checked_basic_features(small):
    f = build_features(small, as_of=AS_OF, gross_margin=0.5, cost_per_order=10.0, trend_window_days=100)
    assert list(f.index) == ["c1", "c2"]  # c3 first seen after the cut: not in the table
    c1, c2 = f.loc["c1"], f.loc["c2"]
    assert c1.first_order_date == pd.Timestamp("2024-01-10")
    assert c1.last_order_date == pd.Timestamp("2024-06-30")
    assert c1.recency_days == 0 and c1.tenure_days == 172
    assert c1.frequency == 2  # two purchase days
    assert c1.monetary_total == 180.0 and c1.avg_order_value == 90.0
    assert c1.profit == pytest.approx(180 * 0.5 - 2 * 10)
    # trend window 100 days: recent = (2024-03-22, 2024-06-30] -> 30; prior -> 150
    assert c1.recent_revenue == 30.0 and c1.prior_revenue == 150.0
    assert c1.growth_trend == pytest.approx((30 - 150) / 180)
    assert c2.recency_days == (pd.Timestamp(AS_OF) - pd.Timestamp("2023-03-01")).days
    assert c2.growth_trend == 0.0  # no revenue in either trend window
    assert f.attrs["assumptions"]["profit_source"].startswith("assumed")


def test_order_id_defines_orders_and_cost_defines_profit(small):
    df = small.assign(order_id=["o1", "o2", "o3", "o4", "o5", "o6"], cost=[60.0, 10.0, 30.0, 0.0, 25.0, 1.0])
    f = build_features(df, as_of=AS_OF)
    assert f.loc["c1", "frequency"] == 3
    assert f.loc["c1", "profit"] == pytest.approx((100 - 60) + (50 - 10) + 0)
    assert f.loc["c2", "profit"] == -5.0  # loss-making customer kept negative


def test_margin_column(small):
    f = build_features(small.assign(margin=0.1), as_of=AS_OF, cost_per_order=1.0)
    assert f.loc["c1", "profit"] == pytest.approx(18.0 - 2.0)


def test_lookback_window_limits_money_but_not_recency(small):
    f = build_features(small, as_of=AS_OF, lookback_months=3, gross_margin=1.0)
    assert f.loc["c2", "frequency"] == 0 and f.loc["c2", "monetary_total"] == 0.0
    assert f.loc["c2", "avg_order_value"] == 0.0
    assert f.loc["c1", "monetary_total"] == 30.0  # only the June order is within 3 months
    assert f.loc["c1", "tenure_days"] == 172  # tenure still uses all history


def test_credit_indicators():
    df = tx(
        [("p", "2024-01-01", 100.0), ("p", "2024-03-01", 200.0), ("p", "2024-06-01", 300.0), ("q", "2024-01-01", 50.0)]
    )
    df["due_date"] = pd.to_datetime(["2024-01-31", "2024-03-31", "2024-07-01", "2024-01-31"]).astype("datetime64[ns]")
    # p: first paid 10 days late; second unpaid at the cut (paid after it); third not yet due
    df["paid_date"] = pd.to_datetime(["2024-02-10", "2024-08-01", None, "2024-01-20"]).astype("datetime64[ns]")
    f = build_features(df, as_of=AS_OF, gross_margin=0.3)
    p, q = f.loc["p"], f.loc["q"]
    overdue_days = (pd.Timestamp(AS_OF) - pd.Timestamp("2024-03-31")).days
    assert p.mean_days_late == pytest.approx((10 + overdue_days) / 2)
    assert p.late_payment_share == 1.0
    assert p.overdue_amount == 200.0
    assert q.mean_days_late == 0 and q.late_payment_share == 0 and q.overdue_amount == 0


def test_no_credit_columns_without_payment_data(small):
    f = build_features(small, as_of=AS_OF, gross_margin=0.3)
    assert not {"mean_days_late", "late_payment_share", "overdue_amount"} & set(f.columns)


def test_customer_attributes_are_joined(small):
    customers = pd.DataFrame({"customer_id": ["c1", "c2"], "industry": ["retail", "food"], "region": ["N", "S"]})
    f = build_features(small, as_of=AS_OF, gross_margin=0.3, customers=customers)
    assert f.loc["c2", "industry"] == "food"


def test_as_of_is_required_and_profit_assumption_explicit(small):
    with pytest.raises(TypeError, match="as_of is required"):
        build_features(small, as_of=None, gross_margin=0.3)
    with pytest.raises(ValueError, match="gross_margin"):
        build_features(small, as_of=AS_OF)


def test_input_not_mutated(small):
    before = small.copy()
    build_features(small, as_of=AS_OF, gross_margin=0.3)
    pd.testing.assert_frame_equal(small, before)


# ------------------------------------------------------------------ invariants
@st.composite
def transaction_logs(draw):
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "007"]), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
    # amounts in cents, as money is: features sum money exactly to 1/10,000 (DECIMAL(18, 4))
    amounts = [c / 100 for c in draw(st.lists(st.integers(0, 1_000_000), min_size=n, max_size=n))]
    return tx(
        [(i, pd.Timestamp("2023-06-01") + pd.Timedelta(days=d), a) for i, d, a in zip(ids, days, amounts)]
    )


@settings(max_examples=30, deadline=None)
@given(transaction_logs(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(log, rnd):
    perm = list(range(len(log)))
    rnd.shuffle(perm)
    a = build_features(log, as_of=AS_OF, gross_margin=0.3)
    b = build_features(log.iloc[perm].reset_index(drop=True), as_of=AS_OF, gross_margin=0.3)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


MONEY = ["monetary_total", "avg_order_value", "profit", "recent_revenue", "prior_revenue"]


@settings(max_examples=30, deadline=None)
@given(transaction_logs(), st.one_of(st.integers(1, 1000), st.just(0.5)))
def test_scaling_amounts_scales_money_and_nothing_else(log, k):
    """Multipliers that keep cents within 4 decimals after the 30 % margin, so the exact
    decimal sums scale exactly."""
    a = build_features(log, as_of=AS_OF, gross_margin=0.3)
    b = build_features(log.assign(amount=log["amount"] * k), as_of=AS_OF, gross_margin=0.3)
    for col in a.columns:
        if col in MONEY:
            np.testing.assert_allclose(b[col], a[col] * k, rtol=1e-9, atol=1e-9)
        elif col == "growth_trend":
            np.testing.assert_allclose(b[col], a[col], rtol=1e-9, atol=1e-9)
        else:
            pd.testing.assert_series_equal(a[col], b[col])


@settings(max_examples=30, deadline=None)
@given(transaction_logs(), st.floats(0, 1e5), st.integers(0, 39))
def test_rows_after_as_of_never_change_a_feature(log, new_amount, row):
    row = row % len(log)
    a = build_features(log, as_of=AS_OF, gross_margin=0.3)
    after = log["order_ts"] >= pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    changed = log.copy()
    changed.loc[after, "amount"] = new_amount
    changed.loc[after, "customer_id"] = "a"
    # and one more row after the cut for an existing customer
    extra = tx([(log["customer_id"].iloc[row], "2024-07-02", 123.0)])
    b = build_features(pd.concat([changed, extra], ignore_index=True), as_of=AS_OF, gross_margin=0.3)
    pd.testing.assert_frame_equal(a, b)
