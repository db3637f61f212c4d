"""The textbook fixtures' own arithmetic, checked through the feature builder."""

from __future__ import annotations

import pytest

from segment.data import scenarios
from segment.features import build_features
from segment.schema import check_transaction_frame


@pytest.mark.parametrize("make", scenarios.ALL, ids=lambda f: f.__name__)
def test_fixtures_are_valid_transaction_tables(make):
    s = make()
    check_transaction_frame(s.transactions)
    assert s.transactions["order_ts"].max() <= __import__("pandas").Timestamp(s.as_of)


def test_pareto_18_make_exactly_80_percent():
    s = scenarios.pareto_18_of_100()
    f = build_features(s.transactions, as_of=s.as_of, gross_margin=0.2)
    assert len(f) == 100 and f["monetary_total"].sum() == 100_000_000.0
    top = f.loc[s.expected["top_class_ids"], "monetary_total"]
    assert len(top) == 18 and top.sum() == 80_000_000.0
    rest = f.drop(index=s.expected["top_class_ids"])["monetary_total"]
    assert rest.sum() == 20_000_000.0 and top.min() > rest.max()
    assert s.expected["top_class_ids"] != sorted(f.index)[:18]  # scattered ids


def test_revenue_vs_profit_numbers():
    s = scenarios.revenue_vs_profit()
    f = build_features(s.transactions, as_of=s.as_of)
    assert f.loc["X", "monetary_total"] == 60e6 and f.loc["Y", "monetary_total"] == 50e6
    assert f.loc["X", "profit"] == 6e6 and f.loc["Y", "profit"] == 7.5e6


def test_revenue_vs_credit_numbers():
    s = scenarios.revenue_vs_credit()
    f = build_features(s.transactions, as_of=s.as_of)
    assert f.loc["P", "monetary_total"] == 10e6 and f.loc["Q", "monetary_total"] == 8e6
    assert f.loc["P", "mean_days_late"] == 180 and f.loc["P", "late_payment_share"] == 1.0
    assert f.loc["Q", "mean_days_late"] == 0 and f.loc["Q", "overdue_amount"] == 0
    assert f.loc["P", "profit"] / 10e6 == pytest.approx(f.loc["Q", "profit"] / 8e6)
