"""Ground truth of the synthetic B2B data (``tests.helpers.truth``): consistent with the
transactions, alive and late arrivals as documented, expectations that match realisations,
windows cut at the data's end."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.data.conftest import AS_OF  # the shared book is the ``data`` fixture
from tests.helpers.truth import ground_truth


def test_ground_truth_agrees_with_transactions(data):
    g = ground_truth(data, as_of=AS_OF, horizon_days=180)
    assert list(g.index) == list(data.accounts.index) and len(g) == 3000
    tx = data.transactions
    win = tx[(tx["order_ts"] > AS_OF) & (tx["order_ts"] <= pd.Timestamp(AS_OF) + pd.Timedelta(days=180))]
    by = win.groupby("customer_id")
    np.testing.assert_allclose(g.loc[by.size().index, "future_revenue"], by["amount"].sum(), rtol=1e-12)
    np.testing.assert_allclose(g.loc[by.size().index, "future_profit"],
                               (win["amount"] - win["cost"]).groupby(win["customer_id"]).sum(), rtol=1e-9)
    assert (g.loc[by.size().index, "future_orders"] == by.size()).all()
    quiet = g.drop(index=by.size().index)
    assert (quiet["future_orders"] == 0).all() and (quiet["future_revenue"] == 0).all()
    assert g.attrs["window_end"] == "2023-06-29"


def test_ground_truth_alive_and_late_arrivals(data):
    g = ground_truth(data, as_of=AS_OF, horizon_days=180)
    acc = data.accounts
    dead = acc["true_churn_date"] <= AS_OF
    assert dead.any() and not g.loc[dead, "true_alive_at_as_of"].any()
    assert (g.loc[dead, "future_orders"] == 0).all() and (g.loc[dead, "expected_future_orders"] == 0).all()
    # accounts that sign after as_of: not arrived, not alive, but their new orders still count
    later = acc["first_contract_date"] > AS_OF
    assert later.any() and not g.loc[later, ["arrived_by_as_of", "true_alive_at_as_of"]].any().any()
    assert g.loc[later, "future_orders"].sum() > 0
    alive = g["arrived_by_as_of"] & (acc["true_churn_date"] > AS_OF)
    assert (g["true_alive_at_as_of"] == alive).all()


def test_expected_values_match_realised_on_average(data):
    g = ground_truth(data, as_of="2022-06-30", horizon_days=365)
    assert g["expected_future_orders"].sum() == pytest.approx(g["future_orders"].sum(), rel=0.05)
    assert g["expected_future_revenue"].sum() == pytest.approx(g["future_revenue"].sum(), rel=0.1)
    assert np.corrcoef(g["expected_future_profit"], g["future_profit"])[0, 1] > 0.8


def test_window_past_the_end_is_cut_with_a_warning(data):
    with pytest.warns(UserWarning, match="past the data's end"):
        g = ground_truth(data, as_of="2023-10-31", horizon_days=365)
    assert g.attrs["window_end_observed"] == "2023-12-31"
    assert g["future_orders"].sum() == ((data.transactions["order_ts"] > "2023-10-31")).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ground_truth(data, as_of=AS_OF, horizon_days=365)  # ends exactly on the last day: no warning
    with pytest.raises(TypeError, match="as_of is required"):
        ground_truth(data, as_of=None, horizon_days=30)
    with pytest.raises(ValueError, match="horizon_days"):
        ground_truth(data, as_of=AS_OF, horizon_days=0)
    with pytest.raises(ValueError, match="outside"):
        ground_truth(data, as_of="2023-12-31", horizon_days=30)
