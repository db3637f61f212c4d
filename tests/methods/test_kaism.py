"""KAISMMatrix: quadrants, tier order, axes and splits as parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.methods.kaism import KAISMMatrix


def test_quadrants_follow_the_learned_splits(features):
    m = KAISMMatrix().fit(features)
    axes = m.axis_values(features)
    out = m.assign(features)
    high_a = axes["attractiveness"] >= m.split_["attractiveness"]
    high_p = axes["position"] >= m.split_["position"]
    expected = np.select([high_a & high_p, high_a, high_p], ["key", "development", "maintenance"], "opportunity")
    assert out["tier"].astype(str).tolist() == expected.tolist()
    assert m.split_["attractiveness"] == pytest.approx(axes["attractiveness"].median())
    assert set(out["tier"]) == {"key", "development", "maintenance", "opportunity"}
    np.testing.assert_allclose(out["score"], axes.sum(axis=1))


def test_tier_order_and_hand_example():
    f = pd.DataFrame(
        {"growth": [0.9, 0.8, 0.1, 0.2], "strength": [10, 1, 9, 2], "tenure_days": 400.0},
        index=pd.Index(["k", "d", "m", "o"], name="customer_id"),
    )
    m = KAISMMatrix(attractiveness={"growth": 1.0}, position={"strength": 1.0})
    out = m.fit_assign(f)
    assert list(out["tier"].cat.categories) == ["key", "development", "maintenance", "opportunity"]
    assert out["tier"].astype(str).tolist() == ["key", "development", "maintenance", "opportunity"]


def test_recency_counts_as_lower_is_better_and_split_quantiles_move_the_lines(features):
    m = KAISMMatrix(attractiveness={"growth_trend": 1.0}, position={"recency_days": 1.0}).fit(features)
    axes = m.axis_values(features)
    newest = features["recency_days"].idxmin()
    assert axes.loc[newest, "position"] == axes["position"].max()
    strict = KAISMMatrix(split_quantiles=(0.8, 0.8)).fit(features)
    n_key = (strict.assign(features)["tier"] == "key").sum()
    assert n_key < (m.assign(features)["tier"] == "key").sum()
    with pytest.raises(ValueError, match="split_quantiles"):
        KAISMMatrix(split_quantiles=(0.5, 1.0)).fit(features)


def test_axis_errors(features):
    with pytest.raises(KeyError, match="share_of_wallet"):
        KAISMMatrix(position={"share_of_wallet": 1.0}).fit(features)
    with pytest.raises(ValueError, match="non-negative"):
        KAISMMatrix(attractiveness={"growth_trend": -1.0}).fit(features)
    with pytest.raises(RuntimeError, match="before fit"):
        KAISMMatrix().axis_values(features)


def test_degenerate_inputs(features):
    one = features.iloc[[0]]
    assert KAISMMatrix().fit_assign(one)["tier"].tolist() == ["key"]
    same = features.iloc[:10].copy()
    for c in ("growth_trend", "monetary_total", "frequency", "tenure_days", "recency_days"):
        same[c] = same[c].iloc[0]
    assert set(KAISMMatrix().fit_assign(same)["tier"]) == {"key"}
