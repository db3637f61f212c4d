"""The synthetic B2B generator: determinism, schema, and ground truth consistent with it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.data.synthetic import generate_b2b, ground_truth
from segment.features import build_features
from segment.schema import check_transaction_frame

KW = {"start": "2021-01-01", "end": "2023-12-31"}


@pytest.fixture(scope="module")
def data():
    return generate_b2b(3000, random_state=7, **KW)


def test_deterministic_for_a_seed(data):
    again = generate_b2b(3000, random_state=7, **KW)
    pd.testing.assert_frame_equal(data.transactions, again.transactions)
    pd.testing.assert_frame_equal(data.customers, again.customers)
    other = generate_b2b(3000, random_state=8, **KW)
    assert not data.transactions["amount"].head(100).equals(other.transactions["amount"].head(100))


def test_schema_sorting_and_unique_orders(data):
    tx = data.transactions
    check_transaction_frame(tx)
    assert tx["order_id"].is_unique
    key = list(zip(tx["order_ts"], tx["customer_id"]))
    assert key == sorted(key)
    assert tx["order_ts"].min() >= pd.Timestamp(KW["start"]) and tx["order_ts"].max() <= pd.Timestamp(KW["end"])
    assert set(tx["customer_id"]) <= set(data.customers["customer_id"])


def test_the_population_has_what_the_issue_asks_for(data):
    acc = data.accounts
    assert (acc["gross_margin"] < 0).mean() > 0.03  # loss-making accounts
    assert 0.05 < acc["late_payer"].mean() < 0.3  # chronic late payers
    assert (acc["growth_per_year"] > 0.3).any() and (acc["growth_per_year"] < -0.3).any()
    f = build_features(data.transactions, as_of="2022-06-30", customers=data.customers)
    assert (f["tenure_days"] < 182).mean() > 0.05  # some accounts new at a mid-period as-of
    late = f.loc[acc.index[acc["late_payer"]].intersection(f.index), "mean_days_late"].mean()
    on_time = f.loc[acc.index[~acc["late_payer"]].intersection(f.index), "mean_days_late"].mean()
    assert late > 5 * on_time


def test_no_order_after_churn_or_before_arrival(data):
    tx = data.transactions.merge(data.accounts, left_on="customer_id", right_index=True)
    assert (tx["order_ts"] <= tx["true_churn_date"]).all()
    assert (tx["order_ts"] >= tx["first_contract_date"]).all()


def test_ground_truth_agrees_with_transactions(data):
    g = ground_truth(data, as_of="2022-12-31", horizon_days=180)
    assert len(g) == len(data.accounts)
    tx = data.transactions
    win = tx[(tx["order_ts"] > "2022-12-31") & (tx["order_ts"] <= "2023-06-29")]
    by = win.groupby("customer_id")
    np.testing.assert_allclose(g.loc[by.size().index, "future_revenue"], by["amount"].sum(), rtol=1e-12)
    np.testing.assert_allclose(
        g.loc[by.size().index, "future_profit"], (win["amount"] - win["cost"]).groupby(win["customer_id"]).sum()
    )
    assert (g.drop(index=by.size().index)["future_orders"] == 0).all()
    # accounts dead at as_of never order in the window; accounts not yet arrived are not alive
    assert (g.loc[~g["true_alive_at_as_of"], "future_orders"].loc[lambda s: s.index.isin(
        data.accounts.index[data.accounts["true_churn_date"] <= "2022-12-31"])] == 0).all()
    arrived_later = data.accounts["first_contract_date"] > "2022-12-31"
    assert not g.loc[arrived_later, "true_alive_at_as_of"].any()


def test_expected_profit_tracks_realised_profit(data):
    g = ground_truth(data, as_of="2022-06-30", horizon_days=365)
    assert np.corrcoef(g["expected_future_profit"], g["future_profit"])[0, 1] > 0.7


def test_profit_ranks_true_top_accounts_better_than_revenue():
    d = generate_b2b(8000, random_state=3, **KW)
    f = build_features(d.transactions, as_of="2022-12-31", customers=d.customers)
    g = ground_truth(d, as_of="2022-12-31", horizon_days=365).loc[f.index]
    k = len(f) // 5
    top = set(g["future_profit"].nlargest(k).index)
    recall = {c: len(set(f[c].nlargest(k).index) & top) / k for c in ("monetary_total", "profit")}
    assert recall["profit"] > recall["monetary_total"] + 0.05
