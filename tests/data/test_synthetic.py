"""The synthetic B2B generator: determinism, schema, the population the issue asks for, and
that profit, not revenue, finds the accounts with the most future profit (ground truth:
``tests.helpers.truth``, checked in test_truth.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.data.synthetic import accounts_for_transactions, generate_b2b
from segment.features import build_features
from segment.schema import TRANSACTION_DTYPES, check_transaction_frame
from tests.data.conftest import AS_OF, KW  # the shared book is the ``data`` fixture
from tests.helpers.truth import ground_truth


def test_same_seed_identical_other_seed_different(data):
    again = generate_b2b(3000, random_state=7, **KW)
    for name in ("transactions", "customers", "accounts"):
        pd.testing.assert_frame_equal(getattr(data, name), getattr(again, name))
    other = generate_b2b(3000, random_state=8, **KW)
    assert len(other.transactions) != len(data.transactions) or not other.transactions.equals(data.transactions)
    assert not np.array_equal(other.accounts["gross_margin"], data.accounts["gross_margin"])


def test_schema_dtypes_sorting_and_keys(data):
    tx = data.transactions
    check_transaction_frame(tx)
    assert list(tx.columns) == ["customer_id", "order_ts", "amount", "order_id", "quantity", "cost", "due_date",
                                "paid_date"]
    for col in tx.columns:
        want = TRANSACTION_DTYPES[col]
        assert str(tx[col].dtype) == want or (want == "str" and pd.api.types.is_string_dtype(tx[col])), col
    for col in ("customer_id", "order_ts", "amount", "order_id", "quantity", "cost", "due_date"):
        assert not tx[col].isna().any(), col
    assert tx["customer_id"].str.fullmatch(r"B\d{7}").all() and tx["order_id"].is_unique
    assert tx["order_id"].is_monotonic_increasing
    key = pd.MultiIndex.from_frame(tx[["order_ts", "customer_id"]])
    assert key.is_monotonic_increasing
    assert tx["order_ts"].min() >= data.start and tx["order_ts"].max() <= data.end
    assert (tx["order_ts"] == tx["order_ts"].dt.normalize()).all()
    assert (tx["amount"] > 0).all() and (tx["quantity"] >= 1).all()
    assert (tx["due_date"] - tx["order_ts"] == pd.Timedelta(days=30)).all()
    paid = tx["paid_date"].dropna()
    assert (paid >= tx.loc[paid.index, "due_date"]).all() and (paid <= data.end).all()
    # rule: a payment that would fall after the end of the data is NaT (unpaid)
    assert tx["paid_date"].isna().any()
    assert set(tx["customer_id"]) <= set(data.customers["customer_id"])
    c = data.customers
    assert list(c.columns) == ["customer_id", "industry", "region", "credit_limit", "first_contract_date"]
    assert c["customer_id"].is_unique and len(c) == 3000 and (c["credit_limit"] >= 1000).all()
    assert (c["customer_id"].to_numpy() == data.accounts.index.to_numpy()).all()


def test_orders_between_arrival_and_churn(data):
    tx = data.transactions.merge(data.accounts, left_on="customer_id", right_index=True)
    assert (tx["order_ts"] >= tx["first_contract_date"]).all()
    assert (tx["order_ts"] <= tx["true_churn_date"]).all()  # never after the true churn date


def test_the_population_has_what_the_issue_asks_for(data):
    acc, tx = data.accounts, data.transactions
    assert 0.05 < (acc["gross_margin"] < 0).mean() < 0.25  # loss-making accounts ...
    profit = (tx["amount"] - tx["cost"]).groupby(tx["customer_id"]).sum()
    assert (profit < 0).mean() > 0.05  # ... that really lose money
    assert acc["gross_margin"].std() > 0.1
    assert 0.1 < acc["late_payer"].mean() < 0.2  # chronic late payers
    assert (acc["growth_per_year"] > 0.3).mean() > 0.1 and (acc["growth_per_year"] < -0.3).mean() > 0.1
    assert acc["order_rate_per_30d"].std() / acc["order_rate_per_30d"].mean() > 0.6  # heterogeneous rates
    assert data.customers["industry"].nunique() == 6 and data.customers["region"].nunique() == 5
    # arrivals spread over the period, so a mid-period as-of has new accounts
    f = build_features(tx, as_of="2022-06-30", customers=data.customers)
    assert (f["tenure_days"] < 182).mean() > 0.1
    assert (data.customers["first_contract_date"] > "2022-06-30").mean() > 0.3
    late = f.loc[f.index.isin(acc.index[acc["late_payer"]]), "mean_days_late"].mean()
    on_time = f.loc[f.index.isin(acc.index[~acc["late_payer"]]), "mean_days_late"].mean()
    assert late > 60 and on_time < 3


def test_about_twelve_orders_per_account_and_the_sizing_helper(data):
    per_account = len(data.transactions) / len(data.accounts)
    assert 10 < per_account < 15
    n = accounts_for_transactions(50_000, **KW)
    got = len(generate_b2b(n, random_state=1, **KW).transactions)
    assert abs(got / 50_000 - 1) < 0.05


def test_bad_arguments_fail_loudly():
    with pytest.raises(ValueError, match="n_accounts"):
        generate_b2b(0, random_state=1, **KW)
    with pytest.raises(TypeError, match="unknown generator settings"):
        generate_b2b(10, random_state=1, margin_men=0.2, **KW)
    with pytest.raises(ValueError, match="too short"):
        generate_b2b(10, random_state=1, start="2021-01-01", end="2021-02-01")


def test_profit_ranks_true_top_accounts_clearly_better_than_revenue():
    d = generate_b2b(6000, random_state=3, **KW)
    f = build_features(d.transactions, as_of=AS_OF, customers=d.customers)
    g = ground_truth(d, as_of=AS_OF, horizon_days=365).loc[f.index]
    k = len(f) // 5
    top = set(g["future_profit"].nlargest(k).index)
    recall = {c: len(set(f[c].nlargest(k).index) & top) / k for c in ("monetary_total", "profit")}
    assert recall["profit"] > recall["monetary_total"] + 0.1
    # and the truth a perfect model could know does better still
    assert len(set(g["expected_future_profit"].nlargest(k).index) & top) / k > recall["profit"]
