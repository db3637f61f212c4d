"""One contract over every registered grading method (registry.METHODS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.methods.conftest import ALL_METHODS


def check_output(out: pd.DataFrame, features: pd.DataFrame, method) -> None:
    assert out.index.equals(features.index)
    assert list(out.columns) == ["tier", "score", "provisional"]
    assert isinstance(out["tier"].dtype, pd.CategoricalDtype) and out["tier"].cat.ordered
    assert list(out["tier"].cat.categories) == list(method.labels)
    assert out["tier"].notna().all()
    assert out["provisional"].dtype == bool


@pytest.mark.parametrize("name", ALL_METHODS)
def test_output_aligned_ordered_complete(name, make, features):
    m = make(name)
    before = features.copy()
    out = m.fit_assign(features)
    check_output(out, features, m)
    pd.testing.assert_frame_equal(features, before)  # input not mutated
    assert out["provisional"].equals(pd.Series(features["tenure_days"] < m.provisional_days, index=features.index)) or name == "lifecycle"


@pytest.mark.parametrize("name", ALL_METHODS)
def test_deterministic_and_refit_stable(name, make, features):
    a = make(name).fit_assign(features)
    b = make(name).fit_assign(features)
    pd.testing.assert_frame_equal(a, b)
    m = make(name)
    m.fit(features)
    first = m.assign(features)
    m.fit(features)
    pd.testing.assert_frame_equal(first, m.assign(features))


@pytest.mark.parametrize("name", ALL_METHODS)
def test_assign_on_another_table(name, make, features):
    m = make(name).fit(features)
    other = features.sample(frac=0.5, random_state=1)
    out = m.assign(other)
    check_output(out, other, m)
    # the same customer gets the same tier whatever else is in the table
    full = m.assign(features).loc[other.index]
    pd.testing.assert_series_equal(out["tier"], full["tier"])


@pytest.mark.parametrize("name", ALL_METHODS)
def test_row_order_changes_nothing(name, make, features):
    shuffled = features.sample(frac=1.0, random_state=3)
    a = make(name).fit_assign(features)
    b = make(name).fit_assign(shuffled).loc[features.index]
    pd.testing.assert_series_equal(a["tier"], b["tier"])


@pytest.mark.parametrize("name", ALL_METHODS)
def test_assign_before_fit_is_an_error(name, make, features):
    with pytest.raises(Exception, match="before fit|after fit"):
        make(name).assign(features)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_one_customer(name, make, features):
    one = features.iloc[[0]]
    m = make(name, **({"n_clusters": None} if name == "kmeans" else {}))
    if name == "bgnbd":
        # documented: the Gamma-Gamma spend model needs repeat buyers; one customer is a clear error
        with pytest.raises(ValueError, match="at least three customers"):
            m.fit(one)
        return
    out = m.fit_assign(one)
    check_output(out, one, m)
    assert out["tier"].cat.codes.iloc[0] == 0 or name in {"lifecycle", "rfm", "abc_profit", "abc_revenue", "kaism"}


@pytest.mark.parametrize("name", ALL_METHODS)
def test_all_equal_values_share_one_tier(name, make, features):
    same = features.copy()
    template = features.loc[features["frequency"].idxmax()]  # a repeat buyer, so BG/NBD can fit
    for col in [*same.select_dtypes("number").columns, "first_order_date", "last_order_date"]:
        same[col] = template[col]
    m = make(name, **({"n_clusters": None} if name == "kmeans" else {}))
    out = m.fit_assign(same)
    check_output(out, same, m)
    assert out["tier"].nunique() == 1  # ties never split equal customers
