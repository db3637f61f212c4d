"""WeightedScore: indicators, directions, normalisations, clear errors, contributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.methods.weighted import TEXTBOOK_INDICATORS, WeightedScore


def table(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    f = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()},
                     index=pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id"))
    f["tenure_days"] = 400.0
    return f


def test_weight_on_an_indicator_the_data_lacks_is_a_clear_error(features):
    no_credit = features.drop(columns=["mean_days_late"])
    with pytest.raises(KeyError, match="mean_days_late") as err:
        WeightedScore(weights={"profit": 0.5, "mean_days_late": 0.5}).fit(no_credit)
    assert "available columns" in str(err.value) and "growth_trend" in str(err.value)
    with pytest.raises(KeyError, match="credit_status.*mean_days_late"):
        WeightedScore(weights={"credit_status": 1.0}).fit(no_credit)
    with pytest.raises(KeyError, match="'loyalty'"):
        WeightedScore(weights={"loyalty": 1.0}).fit(features)


@pytest.mark.parametrize("weights", [{"profit": -1.0}, {}, {"profit": 0.0}, {"profit": float("nan")}])
def test_weights_must_be_non_negative_with_a_positive_sum(weights, features):
    with pytest.raises(ValueError, match="non-negative"):
        WeightedScore(weights=weights).fit(features)


def test_contributions_sum_to_the_score_and_weights_are_relative(features):
    m = WeightedScore(weights={"profit": 2, "credit_status": 1, "development_prospects": 1}).fit(features)
    c = m.contributions(features)
    assert list(c.columns) == ["profit", "credit_status", "development_prospects"]
    np.testing.assert_allclose(c.sum(axis=1), m.assign(features)["score"])
    assert m.weights_ == {"profit": 0.5, "credit_status": 0.25, "development_prospects": 0.25}
    # an indicator of several columns is the mean of their normalised values
    norm = m.normalised(features)
    np.testing.assert_allclose(c["credit_status"], 0.25 * norm[list(TEXTBOOK_INDICATORS["credit_status"])].mean(axis=1))
    ten_times = WeightedScore(weights={"profit": 20, "credit_status": 10, "development_prospects": 10})
    pd.testing.assert_frame_equal(ten_times.fit_assign(features), m.assign(features))


def test_lower_is_better_is_data():
    f = table(mean_days_late=[0, 30, 180], profit=[1, 2, 3])
    m = WeightedScore(weights={"mean_days_late": 1.0}, tier_shares=(0.33, 0.66)).fit(f)
    assert m.assign(f)["tier"].astype(str).tolist() == ["A", "B", "C"]  # on time is best
    flipped = WeightedScore(weights={"mean_days_late": 1.0}, lower_is_better=(), tier_shares=(0.33, 0.66))
    assert flipped.fit_assign(f)["tier"].astype(str).tolist() == ["C", "B", "A"]


@pytest.mark.parametrize("normalisation", ["rank", "minmax", "robust_z"])
def test_normalisations(normalisation):
    f = table(profit=[0, 10, 20, 30, 1000])
    m = WeightedScore(weights={"profit": 1.0}, normalisation=normalisation).fit(f)
    z = m.normalised(f)["profit"].to_numpy()
    expected = {
        "rank": [0.1, 0.3, 0.5, 0.7, 0.9],
        "minmax": [0, 0.01, 0.02, 0.03, 1.0],
        "robust_z": [-1.0, -0.5, 0.0, 0.5, 49.0],  # median 20, IQR 20
    }[normalisation]
    np.testing.assert_allclose(z, expected)
    assert (np.diff(m.assign(f)["score"]) > 0).all()
    with pytest.raises(ValueError, match="normalisation"):
        WeightedScore(weights={"profit": 1.0}, normalisation="zscore").fit(f)


def test_robust_z_falls_back_to_mean_absolute_deviation_when_the_iqr_is_zero():
    f = table(profit=[0, 0, 0, 0, 0, 0, 10])
    m = WeightedScore(weights={"profit": 1.0}, normalisation="robust_z").fit(f)
    assert m.norm_["profit"]["scale_kind"] == "mean_abs_dev"
    assert m.normalised(f)["profit"].iloc[-1] == pytest.approx(10 / (10 / 7))


def test_missing_values_count_as_the_calibration_median():
    f = table(mean_days_late=[0, 10, np.nan, 40, 50], profit=[1, 2, 3, 4, 5])
    m = WeightedScore(weights={"mean_days_late": 1.0}).fit(f)
    assert m.n_missing_ == {"mean_days_late": 1}
    norm = m.normalised(f)["mean_days_late"]
    assert norm["c002"] == pytest.approx(0.5)  # the median's percentile
    with pytest.raises(ValueError, match="no non-missing value"):
        WeightedScore(weights={"mean_days_late": 1.0}).fit(f.assign(mean_days_late=np.nan))


def test_fixed_tier_cuts_and_shares():
    f = table(profit=np.arange(10.0))
    by_share = WeightedScore(weights={"profit": 1.0}).fit_assign(f)
    assert by_share["tier"].value_counts().loc[["A", "B", "C"]].tolist() == [2, 3, 5]
    m = WeightedScore(weights={"profit": 1.0}, normalisation="minmax", tier_cuts=(0.9, 0.5))
    out = m.fit_assign(f)
    assert out["tier"].value_counts().loc[["A", "B", "C"]].tolist() == [1, 4, 5]  # 9/9, then 5/9..8/9
    with pytest.raises(ValueError, match="decreasing"):
        WeightedScore(tier_cuts=(0.2, 0.5)).fit(f.assign(monetary_total=1.0, growth_trend=0.0))


def test_learned_normalisation_is_applied_to_another_table():
    m = WeightedScore(weights={"profit": 1.0}, normalisation="minmax").fit(table(profit=[0, 100]))
    np.testing.assert_allclose(m.normalised(table(profit=[-5, 50, 500]))["profit"], [0, 0.5, 1])
    assert m.normalisation_summary_["profit"] == {"method": "minmax", "min": 0.0, "max": 100.0, "missing_as": 0.5}


def test_degenerate_inputs():
    one = table(profit=[5.0], monetary_total=[3.0], recency_days=[10.0])
    assert WeightedScore().fit_assign(one)["tier"].tolist() == ["A"]
    same = table(profit=[5.0] * 4, monetary_total=[3.0] * 4, recency_days=[30.0] * 4)
    out = WeightedScore().fit_assign(same)
    assert set(out["tier"]) == {"A"} and out["score"].nunique() == 1


def test_learned_rules_state_the_weights_and_cuts(features):
    from segment.methods.weighted import DEFAULT_WEIGHTS_SOURCE

    m = WeightedScore().fit(features)
    weights, a, b, c = m.learned_rules()
    assert weights == ("weights used (of each indicator as its percentile among the calibration customers): "
                       f"revenue 0.60, profit 0.10, days since the last order 0.30 ({DEFAULT_WEIGHTS_SOURCE})")
    assert a == f"A: score ≥ {m.thresholds_[0]:.3f} (the top 20 % of customers)"
    assert b == f"B: score ≥ {m.thresholds_[1]:.3f} (up to the top 50 % of customers)"
    assert c == f"C: score below {m.thresholds_[1]:.3f}"
    fixed = WeightedScore(weights={"profit": 1, "credit_status": 3}, tier_cuts=(0.7, 0.4)).fit(features)
    assert fixed.learned_rules() == [
        "weights used (of each indicator as its percentile among the calibration customers): profit 0.25, "
        "credit status (mean days late, share of late payments, overdue amount) 0.75",
        "A: score ≥ 0.700", "B: score ≥ 0.400", "C: score below 0.400"]


def test_the_default_weights_are_what_the_toolkits_own_tuning_chooses():
    """The shipped defaults are the evidence's result, not a hand choice: rerun the out-of-time
    tuning of configs/cdnow_tuning.yaml (folds to 1997-12-31, judged 1998-03-31) and compare."""
    from pathlib import Path

    from segment.config import RunConfig
    from segment.methods.weighted import DEFAULT_WEIGHTS
    from segment.pipeline import tune_with
    from segment.runner import Runner

    cfg = RunConfig.from_yaml(Path(__file__).resolve().parents[2] / "configs" / "cdnow_tuning.yaml")
    result = tune_with(cfg, Runner.load(cfg))
    chosen = {k: v for k, v in result.chosen.items() if v > 0}
    assert chosen == pytest.approx(DEFAULT_WEIGHTS)
    # and out of time they beat the textbook weights the config compares them with
    row = result.tables["comparison"].set_index("weight_set").loc["tuned (out of time)"]
    assert row["out_of_time_top_tier_profit_capture_vs_default_ci_low"] > 0


def test_default_weights_are_said_where_they_come_from():
    from segment.methods.weighted import DEFAULT_WEIGHTS_SOURCE

    rng = np.random.default_rng(0)
    f = table(monetary_total=rng.gamma(2, 50, 50), profit=rng.normal(10, 5, 50), recency_days=rng.integers(1, 300, 50))

    assert WeightedScore().uses_default_weights
    assert WeightedScore(weights={"monetary_total": 6, "profit": 1, "recency_days": 3}).uses_default_weights
    assert not WeightedScore(weights={"monetary_total": 0.3, "profit": 0.4, "growth_trend": 0.3}).uses_default_weights
    rules = WeightedScore().fit(f).learned_rules()
    assert DEFAULT_WEIGHTS_SOURCE in rules[0]
    assert DEFAULT_WEIGHTS_SOURCE not in WeightedScore(weights={"monetary_total": 1.0}).fit(f).learned_rules()[0]
