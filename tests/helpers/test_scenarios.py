"""The textbook fixtures' own arithmetic (``tests.helpers.scenarios``), by hand and through the
feature builder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.features import build_features
from segment.schema import check_transaction_frame
from tests.helpers import scenarios


@pytest.mark.parametrize("make", scenarios.ALL, ids=lambda f: f.__name__)
def test_fixtures_are_valid_sorted_transaction_tables(make):
    s = make()
    tx = s.transactions
    check_transaction_frame(tx)
    assert pd.api.types.is_string_dtype(tx["customer_id"]) and tx["order_id"].is_unique
    assert pd.MultiIndex.from_frame(tx[["order_ts", "customer_id"]]).is_monotonic_increasing
    assert tx["order_ts"].max() <= pd.Timestamp(s.as_of) and len(s.as_of) == 10
    if "paid_date" in tx:
        assert tx["paid_date"].max() <= pd.Timestamp(s.as_of)
    assert (tx["amount"] == tx["amount"].round()).all()  # whole numbers: sums are exact
    assert make() is not s and make().transactions.equals(tx)  # fresh, identical each call


def test_pareto_18_make_exactly_80_percent():
    s = scenarios.pareto_18_of_100()
    tx = s.transactions
    per_customer = tx.groupby("customer_id")["amount"].sum()
    top_ids = s.expected["top_class_ids"]
    assert len(per_customer) == 100 and per_customer.sum() == 100_000_000.0
    assert len(top_ids) == 18 == len(set(top_ids)) and top_ids == sorted(top_ids)
    top, rest = per_customer.loc[top_ids], per_customer.drop(index=top_ids)
    assert top.sum() == 80_000_000.0 and rest.sum() == 20_000_000.0 and len(rest) == 82
    assert top.min() > rest.max() and per_customer.is_unique  # strict separation, no ties
    assert top.nunique() == 18 and rest.nunique() == 82
    assert top_ids != sorted(per_customer.index)[:18]  # not simply the first 18 ids
    assert (tx.groupby("customer_id").size() == 2).all()  # per-customer, not per-line
    # the cumulative share reaches exactly 0.8 at the 18th, with no floating-point doubt
    ranked = per_customer.sort_values(ascending=False)
    cum_share = np.cumsum(ranked.to_numpy()) / ranked.sum()
    share_before = (np.cumsum(ranked.to_numpy()) - ranked.to_numpy()) / ranked.sum()
    assert cum_share[16] < 0.8 and cum_share[17] == 0.8 and cum_share[18] > 0.8
    assert sorted(ranked.index[share_before < 0.8]) == top_ids
    assert sorted(ranked.index[cum_share <= 0.8]) == top_ids
    assert sorted(ranked.index[: int(np.argmax(cum_share >= 0.8)) + 1]) == top_ids
    # and through the feature builder
    f = build_features(tx, as_of=s.as_of, gross_margin=0.2)
    assert f["monetary_total"].sum() == 100_000_000.0 and f.loc[top_ids, "monetary_total"].sum() == 80_000_000.0


def test_revenue_vs_profit_numbers():
    s = scenarios.revenue_vs_profit()
    tx = s.transactions
    revenue = tx.groupby("customer_id")["amount"].sum()
    profit = (tx["amount"] - tx["cost"]).groupby(tx["customer_id"]).sum()
    assert revenue.to_dict() == s.expected["revenue"] == {"X": 60e6, "Y": 50e6}
    assert profit.to_dict() == s.expected["profit"] == {"X": 6e6, "Y": 7.5e6}
    assert list(revenue.sort_values(ascending=False).index) == s.expected["revenue_order"] == ["X", "Y"]
    assert list(profit.sort_values(ascending=False).index) == s.expected["expected_order"] == ["Y", "X"]
    assert s.expected["profit_order"] == s.expected["expected_order"]
    f = build_features(tx, as_of=s.as_of)
    assert f.loc["X", "monetary_total"] == 60e6 and f.loc["Y", "monetary_total"] == 50e6
    assert f.loc["X", "profit"] == 6e6 and f.loc["Y", "profit"] == 7.5e6
    # only revenue and profit differ
    for col in ("frequency", "recency_days", "tenure_days"):
        assert f.loc["X", col] == f.loc["Y", col], col


def test_revenue_vs_credit_numbers():
    s = scenarios.revenue_vs_credit()
    tx = s.transactions
    assert (tx.groupby("customer_id").size() == 4).all()
    assert tx.groupby("customer_id")["amount"].sum().to_dict() == s.expected["revenue"] == {"P": 10e6, "Q": 8e6}
    assert ((tx["amount"] - tx["cost"]).groupby(tx["customer_id"]).sum().to_dict() == s.expected["profit"])
    days_late = (tx["paid_date"] - tx["due_date"]).dt.days.groupby(tx["customer_id"])
    assert (days_late.min() == days_late.max()).all()
    assert days_late.mean().to_dict() == s.expected["days_late"] == {"P": 180.0, "Q": 0.0}
    assert (tx["due_date"] - tx["order_ts"] == pd.Timedelta(days=30)).all()
    assert s.expected["expected_order"] == s.expected["credit_weighted_order"] == ["Q", "P"]
    assert s.expected["revenue_order"] == ["P", "Q"]
    # identical attributes: nothing but credit can separate them
    c = s.customers.set_index("customer_id")
    assert (c.loc["P"] == c.loc["Q"]).all()
    f = build_features(tx, as_of=s.as_of, customers=s.customers)
    assert f.loc["P", "monetary_total"] == 10e6 and f.loc["Q", "monetary_total"] == 8e6
    assert f.loc["P", "mean_days_late"] == 180 and f.loc["P", "late_payment_share"] == 1.0
    assert f.loc["Q", "mean_days_late"] == 0 and f.loc["Q", "overdue_amount"] == 0
    assert f.loc["P", "profit"] / 10e6 == f.loc["Q", "profit"] / 8e6 == 0.2
