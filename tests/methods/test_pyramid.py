"""CustomerPyramid: level sizes, key customers, ties, labels, learned thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.methods.pyramid import CustomerPyramid


def table(profit, ids=None) -> pd.DataFrame:
    ids = ids or [f"c{i:03d}" for i in range(len(profit))]
    return pd.DataFrame({"profit": np.asarray(profit, dtype=float), "monetary_total": 1.0, "tenure_days": 400.0},
                        index=pd.Index(ids, name="customer_id"))


def test_default_levels_are_1_19_30_50_percent_of_customers():
    rng = np.random.default_rng(0)
    f = table(rng.permutation(np.arange(200.0)) - 20)  # 20 loss-makers among them
    m = CustomerPyramid()
    out = m.fit_assign(f)
    assert out["tier"].value_counts().loc[list(m.labels)].tolist() == [2, 38, 60, 100]
    # the level is decided by profit only
    order = f["profit"].sort_values(ascending=False).index
    assert out.loc[order, "tier"].cat.codes.is_monotonic_increasing


def test_key_customers_are_the_top_two_levels():
    f = table(np.arange(100.0, 0, -1))
    m = CustomerPyramid().fit(f)
    out = m.assign(f)
    assert list(out.index[out["tier"].isin(["important", "secondary"])]) == list(f.index[:20])
    assert m.key_customer_share_ == 0.2
    assert m.key_value_share_ == pytest.approx(np.arange(81, 101).sum() / np.arange(1, 101).sum())


def test_ties_at_a_boundary_go_up_and_thresholds_apply_to_new_tables():
    f = table([9, 8, 8, 8, 7, 6, 5, 4, 3, 2])
    m = CustomerPyramid(cut_shares=(0.2, 0.5, 0.8)).fit(f)
    out = m.assign(f)
    assert out["tier"].astype(str).tolist()[:4] == ["important"] * 4
    np.testing.assert_array_equal(m.thresholds_, [8, 7, 4])  # values at ranks 2, 5 and 8
    new = m.assign(table([100, 8, 7.5, 6, 0], ids=list("abcde")))
    assert new["tier"].astype(str).tolist() == ["important", "important", "secondary", "ordinary", "small"]


def test_labels_value_column_and_parameter_errors():
    chinese = ("重要客户", "次要客户", "普通客户", "小客户")
    f = table(np.arange(10.0))
    out = CustomerPyramid(tier_labels=chinese).fit_assign(f)
    assert list(out["tier"].cat.categories) == list(chinese)
    by_revenue = CustomerPyramid(value_column="monetary_total").fit_assign(f)
    assert by_revenue["tier"].nunique() == 1  # monetary_total is constant here
    with pytest.raises(ValueError, match="tier_labels"):
        CustomerPyramid(tier_labels=("a", "b")).fit(f)
    with pytest.raises(ValueError, match="n_key_levels"):
        CustomerPyramid(n_key_levels=0).fit(f)
    with pytest.raises(KeyError, match="revenue"):
        CustomerPyramid(value_column="revenue").fit(f)


def test_degenerate_inputs():
    assert CustomerPyramid().fit_assign(table([5.0]))["tier"].tolist() == ["important"]
    assert set(CustomerPyramid().fit_assign(table([-1.0] * 8))["tier"]) == {"important"}
    with pytest.raises(ValueError, match="missing"):
        CustomerPyramid().fit(table([1.0, np.nan]))
