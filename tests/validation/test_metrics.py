"""Hand-checked metrics, the references, interval coverage and the no-leakage rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segment.validation.agreement import agreement_matrix
from segment.validation.leaderboard import bootstrap_capture, leaderboard, method_row
from segment.validation.metrics import (
    churn_auc,
    cochran_armitage,
    gini_from_order,
    ordering,
    top_share_capture,
    wilson_interval,
)
from segment.validation.tiers import per_tier_outcomes


def assignments_from_codes(codes, score=None, labels=("A", "B", "C"), ids=None):
    n = len(codes)
    ids = ids if ids is not None else [f"c{i:04d}" for i in range(n)]
    return pd.DataFrame(
        {"tier": pd.Categorical.from_codes(np.asarray(codes), categories=list(labels), ordered=True),
         "score": np.full(n, np.nan) if score is None else np.asarray(score, dtype=float),
         "provisional": np.zeros(n, dtype=bool)},
        index=pd.Index(ids, name="customer_id"),
    )


def outcomes_from(profit, churned):
    n = len(profit)
    return pd.DataFrame({"churned": np.asarray(churned, dtype=bool), "orders_outcome": 1,
                         "revenue_outcome": np.abs(profit), "profit_outcome": np.asarray(profit, dtype=float)},
                        index=pd.Index([f"c{i:04d}" for i in range(n)], name="customer_id"))


def test_perfect_ordering_captures_everything_and_has_the_largest_gini():
    profit = np.array([0, 0, 0, 0, 0, 0, 0, 0, 50.0, 50.0])  # 20 % of customers make all profit
    perfect = np.sort(profit)[::-1]
    assert top_share_capture(perfect, 0.2) == 1.0
    rng = np.random.default_rng(0)
    assert all(gini_from_order(perfect) >= gini_from_order(rng.permutation(profit)) for _ in range(200))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e4), min_size=2, max_size=60).filter(lambda v: sum(v) > 0), st.randoms())
def test_no_ordering_beats_hindsight(values, rnd):
    v = np.array(values)
    shuffled = v.copy()
    rnd.shuffle(shuffled)
    assert gini_from_order(np.sort(v)[::-1]) >= gini_from_order(shuffled) - 1e-12
    assert top_share_capture(np.sort(v)[::-1], 0.2) >= top_share_capture(shuffled, 0.2) - 1e-12


def test_random_ordering_captures_its_customer_share_on_average():
    rng = np.random.default_rng(1)
    profit = rng.lognormal(3, 1.5, size=500)
    captures = [top_share_capture(rng.permutation(profit), 0.2) for _ in range(2000)]
    assert np.mean(captures) == pytest.approx(0.2, abs=0.01)
    gini = [gini_from_order(rng.permutation(profit)) for _ in range(2000)]
    assert np.mean(gini) == pytest.approx(0.0, abs=0.01)


def test_ordering_tier_then_score_then_id():
    a = assignments_from_codes([1, 0, 0, 1], score=[9, 1, 2, 9], ids=["d", "c", "b", "a"])
    assert list(a.index[ordering(a)]) == ["b", "c", "a", "d"]


def test_churn_auc_hand_checked():
    a = assignments_from_codes([0, 0, 1, 2])
    assert churn_auc(a, [False, False, True, True]) == 1.0
    assert churn_auc(a, [True, True, False, False]) == 0.0
    # one retained (tier A) vs churned in A and C: pairs (A vs A tie = 0.5), (A vs C win = 1) -> 0.75
    assert churn_auc(assignments_from_codes([0, 0, 2]), [False, True, True]) == 0.75


def test_trend_test_detects_a_planted_trend_and_not_a_flat_one():
    n = np.array([1000, 1000, 1000])
    assert cochran_armitage(np.array([100, 300, 500]), n) < 1e-6
    assert cochran_armitage(np.array([300, 300, 300]), n) > 0.5


def test_wilson_interval_hand_checked():
    lo, hi = wilson_interval(np.array([5]), np.array([10]))
    assert lo[0] == pytest.approx(0.2366, abs=1e-4) and hi[0] == pytest.approx(0.7634, abs=1e-4)


def test_per_tier_table_adds_up():
    a = assignments_from_codes([0, 0, 1, 1, 2, 2])
    o = outcomes_from([10, 20, 5, -5, 0, 1], [False, False, True, False, True, True])
    t = per_tier_outcomes(a, o)
    assert list(t["customers"]) == [2, 2, 2] and t["profit_total"].sum() == 31
    assert list(t["churn_rate"]) == [0.0, 0.5, 1.0]
    assert t["customer_share"].sum() == pytest.approx(1.0)


def test_kappa_of_identical_gradings_is_one():
    a = assignments_from_codes([0, 1, 2, 0, 1, 2])
    m = agreement_matrix({"x": a, "y": a.copy()})
    assert m.loc[0, "top_tier_kappa"] == 1.0 and m.loc[0, "adjusted_rand"] == 1.0


def test_leaderboard_ranks_the_oracle_first():
    rng = np.random.default_rng(2)
    n = 3000
    profit = rng.lognormal(2, 1.2, n) * (rng.random(n) < 0.6)
    churned = profit == 0
    o = outcomes_from(profit, churned)
    noisy = profit + rng.normal(0, profit.std(), n)
    methods = {
        "oracle": assignments_from_codes(np.digitize(-profit, np.quantile(-profit, [0.2, 0.5])), score=profit),
        "noisy": assignments_from_codes(np.digitize(-noisy, np.quantile(-noisy, [0.2, 0.5])), score=noisy),
        "shuffled": assignments_from_codes(rng.integers(0, 3, n), score=rng.random(n)),
    }
    board = leaderboard(methods, o, n_boot=100, random_state=0)
    ranked = board[~board["reference"]]
    assert ranked.iloc[0]["method"] == "oracle"
    worst = ranked.set_index("method").loc["shuffled"]
    assert worst["clearly_worse_than_best"]  # the interval of the difference excludes 0
    assert ranked.set_index("method").loc["oracle", "top20_profit_capture"] == pytest.approx(
        board.set_index("method").loc["perfect hindsight (reference)", "top20_profit_capture"])


def test_wilson_and_t_intervals_cover_at_about_the_nominal_rate():
    rng = np.random.default_rng(3)
    true_churn = np.array([0.1, 0.3, 0.6])
    true_profit = np.array([50.0, 20.0, 5.0])  # exponential means per tier
    codes = np.repeat([0, 1, 2], 150)
    a = assignments_from_codes(codes)
    hits_churn, hits_profit, reps = np.zeros(3), np.zeros(3), 300
    for _ in range(reps):
        churned = rng.random(len(codes)) < true_churn[codes]
        profit = rng.exponential(true_profit[codes])
        t = per_tier_outcomes(a, outcomes_from(profit, churned))
        hits_churn += (t["churn_ci_low"] <= true_churn) & (true_churn <= t["churn_ci_high"])
        hits_profit += (t["profit_per_customer_ci_low"] <= true_profit) & (true_profit <= t["profit_per_customer_ci_high"])
    assert np.all(np.abs(hits_churn / reps - 0.95) < 0.04)
    # skewed (exponential) profit makes the t interval cover slightly below nominal at n = 150
    assert np.all(np.abs(hits_profit / reps - 0.95) < 0.05)


def test_bootstrap_capture_interval_covers_the_population_value():
    """Samples from a synthetic population with ground truth: the percentile interval of
    the top-20 % capture covers the population's capture at about the nominal rate."""
    from segment.data.synthetic import generate_b2b, ground_truth
    from segment.features import build_features

    d = generate_b2b(20000, start="2021-01-01", end="2023-12-31", random_state=9)
    f = build_features(d.transactions, as_of="2022-12-31", customers=d.customers)
    g = ground_truth(d, as_of="2022-12-31", horizon_days=365).loc[f.index]
    score = f["profit"].to_numpy()
    order = np.lexsort((f.index.to_numpy(dtype=str), -score))
    population_value = top_share_capture(g["future_profit"].to_numpy()[order], 0.2)
    rng = np.random.default_rng(4)
    hits, reps = 0, 80
    for r in range(reps):
        idx = np.sort(rng.choice(len(f), 3000, replace=False))
        ids = f.index[idx]
        a = pd.DataFrame({"tier": pd.Categorical.from_codes(np.zeros(len(ids), int), ["A"], ordered=True),
                          "score": score[idx], "provisional": False}, index=ids)
        o = pd.DataFrame({"churned": g["future_orders"].to_numpy()[idx] == 0,
                          "profit_outcome": g["future_profit"].to_numpy()[idx]}, index=ids)
        reps_ = bootstrap_capture({"m": a}, o, n_boot=200, random_state=r)["m"]
        lo, hi = np.percentile(reps_, [2.5, 97.5])
        hits += lo <= population_value <= hi
    assert 0.85 <= hits / reps <= 1.0
