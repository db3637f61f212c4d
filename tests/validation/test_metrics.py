"""Hand-checked metrics: ordering, capture, Gini, Lorenz, AUC, trend tests, intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import roc_auc_score

from segment.validation.metrics import (
    _goodness,
    auc_influence,
    capture_curve,
    cochran_armitage,
    gini_from_order,
    gini_influence,
    rank_against,
    spearman_trend,
    top_share_capture,
    wilson_interval,
)
from tests.validation.conftest import assignments_from_codes


def ordering(assignments: pd.DataFrame) -> np.ndarray:
    """Positions of ``assignments`` rows best first, as every metric orders them."""
    return rank_against(assignments, assignments.index).order


def churn_auc(assignments: pd.DataFrame, churned) -> float:
    """The churn AUC of one grading, as the leaderboard computes it."""
    return auc_influence(rank_against(assignments, assignments.index), np.asarray(churned, dtype=bool))[0]


def test_ordering_tier_then_score_then_id():
    a = assignments_from_codes([1, 0, 0, 1, 0], score=[9, 1, 2, 9, np.nan], index=["d", "c", "b", "a", "e"])
    # tier A: b (2), c (1), e (NaN counts as 0); tier B: a and d tie on score -> by id
    assert list(a.index[ordering(a)]) == ["b", "c", "e", "a", "d"]
    assert list(_goodness(ordering(a))) == [0, 3, 4, 1, 2]  # position from the worst (agreement's)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from([0.0, 1.0, 2.5, np.nan])), min_size=1, max_size=40),
       st.randoms(use_true_random=False))
def test_ordering_does_not_depend_on_row_order(rows, rnd):
    a = assignments_from_codes([r[0] for r in rows], score=[r[1] for r in rows])
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    b = a.iloc[perm]
    assert list(a.index[ordering(a)]) == list(b.index[ordering(b)])


def test_perfect_ordering_captures_everything_and_has_the_largest_gini():
    profit = np.array([0, 0, 0, 0, 0, 0, 0, 0, 50.0, 50.0])  # 20 % of customers make all profit
    perfect = np.sort(profit)[::-1]
    assert top_share_capture(perfect, 0.2) == 1.0
    rng = np.random.default_rng(0)
    assert all(gini_from_order(perfect) >= gini_from_order(rng.permutation(profit)) for _ in range(200))


def test_capture_and_gini_hand_checked():
    # ordering puts 1, 2, 3, 4 first..last; total 10
    v = np.array([4.0, 3.0, 2.0, 1.0])
    assert top_share_capture(v, 0.25) == 0.4
    assert top_share_capture(v, 0.3) == 0.7  # ceil(1.2) = 2 customers
    # gain curve points (0,0) (.25,.4) (.5,.7) (.75,.9) (1,1): area = .25*(.2+.55+.8+.95) = .625
    assert gini_from_order(v) == pytest.approx(2 * 0.625 - 1)
    assert gini_from_order(v[::-1]) == pytest.approx(-(2 * 0.625 - 1))
    # the closed form used by the influence function
    n = len(v)
    u = (n - np.arange(n) - 0.5) / n
    assert gini_influence(v)[0] == pytest.approx(2 * (v * u).sum() / v.sum() - 1)


def test_gain_and_lorenz_curves_agree_with_gini():
    rng = np.random.default_rng(5)
    v = rng.lognormal(0, 1, 1000)
    c = capture_curve(v, points=1001)
    assert c["value_share"].iloc[0] == 0 and c["value_share"].iloc[-1] == pytest.approx(1)
    assert c["lorenz_share"].iloc[0] == pytest.approx(0) and c["lorenz_share"].iloc[-1] == pytest.approx(1)
    x = c["customer_share"].to_numpy()
    gini_gain = 2 * np.trapezoid(c["value_share"], x) - 1
    gini_lorenz = 1 - 2 * np.trapezoid(c["lorenz_share"], x)
    assert gini_gain == pytest.approx(gini_from_order(v), abs=1e-9)
    assert gini_lorenz == pytest.approx(gini_from_order(v), abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e4), min_size=2, max_size=60).filter(lambda v: sum(v) > 0),
       st.randoms(use_true_random=False))
def test_no_ordering_beats_hindsight(values, rnd):
    v = np.array(values)
    shuffled = v.copy()
    rnd.shuffle(shuffled)
    assert gini_from_order(np.sort(v)[::-1]) >= gini_from_order(shuffled) - 1e-12
    assert top_share_capture(np.sort(v)[::-1], 0.2) >= top_share_capture(shuffled, 0.2) - 1e-12


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.01, 1e4), min_size=2, max_size=40), st.floats(0.1, 1e3))
def test_capture_and_gini_do_not_depend_on_the_currency(values, factor):
    v = np.array(values)
    assert top_share_capture(v * factor, 0.2) == pytest.approx(top_share_capture(v, 0.2))
    assert gini_from_order(v * factor) == pytest.approx(gini_from_order(v), abs=1e-9)


def test_random_ordering_captures_its_customer_share_on_average():
    rng = np.random.default_rng(1)
    profit = rng.lognormal(3, 1.5, 500)
    captures = [top_share_capture(rng.permutation(profit), 0.2) for _ in range(2000)]
    assert np.mean(captures) == pytest.approx(0.2, abs=0.01)
    assert np.mean([gini_from_order(rng.permutation(profit)) for _ in range(2000)]) == pytest.approx(0.0, abs=0.01)


def test_churn_auc_hand_checked_and_equal_to_sklearn():
    a = assignments_from_codes([0, 0, 1, 2])
    assert churn_auc(a, [False, False, True, True]) == 1.0
    assert churn_auc(a, [True, True, False, False]) == 0.0
    # one retained (tier A) vs churned in A and C: (A vs A tie = ½) + (A vs C = 1) -> 0.75
    assert churn_auc(assignments_from_codes([0, 0, 2]), [False, True, True]) == 0.75
    rng = np.random.default_rng(2)
    codes, score = rng.integers(0, 3, 400), rng.integers(0, 5, 400).astype(float)
    churned = rng.random(400) < 0.3 + 0.15 * codes
    goodness = -codes * 10 + score  # tier first, then score (scores < 10)
    assert churn_auc(assignments_from_codes(codes, score), churned) == pytest.approx(roc_auc_score(~churned, goodness))


def test_delong_variance_matches_the_textbook_formula():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 3, 300)
    churned = rng.random(300) < 0.2 + 0.2 * codes
    r = rank_against(assignments_from_codes(codes), assignments_from_codes(codes).index)
    auc, infl = auc_influence(r, churned)
    g = -codes.astype(float)
    pos, neg = g[~churned], g[churned]  # retained = "positives"
    cmp = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = cmp.mean(axis=1), cmp.mean(axis=0)
    delong_var = v10.var(ddof=0) / len(pos) + v01.var(ddof=0) / len(neg)
    assert auc == pytest.approx(cmp.mean())
    assert (infl**2).sum() / len(infl) ** 2 == pytest.approx(delong_var)


def test_trend_tests_detect_a_planted_trend_and_not_a_flat_one():
    n = np.array([1000, 1000, 1000])
    z, p = cochran_armitage(np.array([100, 300, 500]), n)
    assert z > 0 and p < 1e-6
    assert cochran_armitage(np.array([300, 300, 300]), n)[1] > 0.5
    assert np.isnan(cochran_armitage(np.array([0, 0, 0]), n)[1])  # no churn: nothing to test
    rng = np.random.default_rng(4)
    codes = np.repeat([0, 1, 2], 300)
    planted = rng.normal(10 - 2 * codes, 5)
    flat = rng.normal(10, 5, 900)
    rho, p = spearman_trend(codes, stats.rankdata(planted))
    assert rho > 0 and p < 1e-6
    assert spearman_trend(codes, stats.rankdata(flat))[1] > 0.01
    ref = stats.spearmanr(-codes, planted)
    assert rho == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue, rel=1e-6)


def test_wilson_interval_hand_checked():
    lo, hi = wilson_interval(np.array([5, 0]), np.array([10, 0]))
    assert lo[0] == pytest.approx(0.2366, abs=1e-4) and hi[0] == pytest.approx(0.7634, abs=1e-4)
    assert np.isnan(lo[1]) and np.isnan(hi[1])


def test_rank_against_refuses_a_different_population():
    a = assignments_from_codes([0, 1, 2])
    with pytest.raises(ValueError, match="not graded|grades"):
        rank_against(a, pd.Index(["c00000", "c00001", "zzz"]))
    with pytest.raises(ValueError, match="grades 3 customers"):
        rank_against(a, pd.Index(["c00000", "c00001"]))
