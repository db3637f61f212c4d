"""ClusterGrading: transform, choice of k, tier order by mean value, profiles, degenerate input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from segment.methods.cluster import ClusterGrading, mean_silhouettes, signed_log1p


def blobs(n_per_group: int = 60, random_state: int = 0) -> pd.DataFrame:
    """Three well-separated customer groups: loyal high-profit, occasional, loss-making.
    Group sizes differ so that no order could come from the sizes alone."""
    rng = np.random.default_rng(random_state)
    groups = [  # (n, recency, frequency, revenue, profit)
        (n_per_group, 10, 40, 50_000, 8_000),
        (2 * n_per_group, 200, 3, 2_000, 300),
        (n_per_group // 2, 60, 20, 20_000, -3_000),
    ]
    rows, truth = [], []
    for g, (n, rec, freq, rev, prof) in enumerate(groups):
        jitter = rng.uniform(0.9, 1.1, size=(n, 4))
        rows.append(np.column_stack([rec, freq, rev, prof]) * jitter)
        truth += [g] * n
    values = np.vstack(rows)
    ids = [f"c{i:04d}" for i in range(len(values))]
    f = pd.DataFrame(values, columns=["recency_days", "frequency", "monetary_total", "profit"], index=ids)
    f.index.name = "customer_id"
    f["tenure_days"] = 400.0
    f["truth"] = truth
    return f


def test_signed_log1p_hand_values():
    np.testing.assert_allclose(signed_log1p(np.array([0.0, np.e - 1, -(np.e - 1), 9.0])), [0, 1, -1, np.log(10)])


@pytest.mark.parametrize("case", ["blobs", "singletons", "missing_codes", "ties"])
def test_mean_silhouettes_are_sklearns(case):
    from sklearn.metrics import pairwise_distances, silhouette_score

    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 3))
    labels = rng.integers(0, 4, size=300)
    if case == "blobs":
        labels = (x[:, 0] > 0).astype(int) + 2 * (x[:, 1] > 0.5)
    elif case == "singletons":  # customers alone in their cluster score 0
        labels[:3] = [7, 8, 9]
    elif case == "missing_codes":  # cluster numbers with gaps (a k-means cluster absent from the sample)
        labels = labels * 5 + 2
    else:  # repeated customers: distance 0 inside and to another cluster
        x[:50] = x[0]
    other = rng.integers(0, 2, size=300)  # a second labelling scored in the same pass
    expected = [silhouette_score(pairwise_distances(x), lab, metric="precomputed") for lab in (labels, other)]
    assert mean_silhouettes(x, [labels, other], block=64) == pytest.approx(expected, rel=1e-10)


def test_separated_groups_are_found_and_ordered_by_mean_profit():
    f = blobs()
    m = ClusterGrading(random_state=0).fit(f)
    assert m.k_ == 3 and m.labels == ("A", "B", "C")
    assert max(m.silhouettes_, key=m.silhouettes_.get) == 3
    tier = m.assign(f)["tier"]
    # A = the high-profit group, B = the occasional buyers, C = the loss-makers
    expected = f["truth"].map({0: "A", 1: "B", 2: "C"})
    assert (tier.astype(str) == expected).all()
    assert m.profiles_["profit"].is_monotonic_decreasing
    assert m.profiles_["customers"].tolist() == [60, 120, 30]


def test_tiers_identical_across_seeds_and_ordered_by_value_for_any_seed(features):
    f = blobs()
    first = ClusterGrading(n_clusters=3, random_state=0).fit_assign(f)["tier"]
    for seed in (1, 7, 123):
        pd.testing.assert_series_equal(ClusterGrading(n_clusters=3, random_state=seed).fit_assign(f)["tier"], first)
    # on realistic data k-means may settle elsewhere for another seed, but tier A is
    # always the cluster with the highest mean value
    for seed in (0, 1, 2):
        m = ClusterGrading(n_clusters=4, random_state=seed).fit(features)
        assert m.profiles_["profit"].is_monotonic_decreasing


def test_value_column_sets_the_order():
    f = blobs()
    m = ClusterGrading(n_clusters=3, value_column="monetary_total", random_state=0).fit(f)
    # by revenue, the loss-makers (20 000) come before the occasional buyers (2 000)
    expected = f["truth"].map({0: "A", 1: "C", 2: "B"})
    assert (m.assign(f)["tier"].astype(str) == expected).all()
    assert m.profiles_["monetary_total"].is_monotonic_decreasing


def test_same_seed_same_result_and_sample_fit_assigns_everyone(features):
    a = ClusterGrading(n_clusters=4, fit_sample=150, random_state=3)
    b = ClusterGrading(n_clusters=4, fit_sample=150, random_state=3)
    out_a, out_b = a.fit_assign(features), b.fit_assign(features)
    pd.testing.assert_frame_equal(out_a, out_b)
    np.testing.assert_array_equal(a.centers_, b.centers_)
    assert out_a["tier"].notna().all() and len(out_a) == len(features) > 150


def test_profiles_describe_the_calibration_table(features):
    m = ClusterGrading(n_clusters=4, random_state=0).fit(features)
    out = m.assign(features)
    prof = m.profiles_
    assert list(prof.index) == list(m.labels)
    assert prof["customers"].sum() == len(features)
    assert prof["share"].sum() == pytest.approx(1.0)
    means = features[list(m.features)].groupby(out["tier"].astype(str)).mean()
    pd.testing.assert_frame_equal(prof[list(m.features)], means.loc[prof.index], check_names=False)


def test_assign_uses_the_learned_scaling(features):
    """A customer's tier does not depend on who else is in the table being graded."""
    m = ClusterGrading(n_clusters=4, random_state=0).fit(features)
    full = m.assign(features)["tier"]
    one = features.iloc[[5]]
    assert m.assign(one)["tier"].iloc[0] == full.iloc[5]


def test_one_customer_and_all_equal_customers_give_one_cluster(features):
    one = ClusterGrading(random_state=0).fit(features.iloc[[0]])
    assert one.k_ == 1 and one.labels == ("A",)
    same = blobs().iloc[:40].copy()
    same[["recency_days", "frequency", "monetary_total", "profit"]] = [5.0, 2.0, 100.0, 10.0]
    m = ClusterGrading(random_state=0).fit(same)
    assert m.k_ == 1 and (m.assign(same)["tier"] == "A").all()


def test_more_clusters_than_distinct_customers_warns():
    f = blobs().iloc[:10].copy()
    f[["recency_days", "frequency", "monetary_total", "profit"]] = np.repeat([[1.0, 1, 10, 1], [50, 5, 500, 90]], 5, axis=0)
    with pytest.warns(UserWarning, match="only 2 distinct"):
        m = ClusterGrading(n_clusters=4, random_state=0).fit(f)
    assert m.k_ == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ClusterGrading(n_clusters=2, random_state=0).fit(f).k_ == 2


def test_clear_errors(features):
    with pytest.raises(ValueError, match="missing values"):
        ClusterGrading(n_clusters=3).fit(features.assign(profit=np.where(np.arange(len(features)) == 3, np.nan, 1.0)))
    with pytest.raises(ValueError, match="1..26"):
        ClusterGrading(n_clusters=30).fit(features)
    with pytest.raises(ValueError, match="k_range"):
        ClusterGrading(k_range=(1, 2)).fit(features)
    with pytest.raises(KeyError, match="no_such_column"):
        ClusterGrading(features=("no_such_column",)).fit(features)
    with pytest.raises(AttributeError, match="after fit"):
        ClusterGrading().labels
