"""Leaderboard: references, the oracle on top, paired differences, curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.validation.leaderboard import (
    PERFECT,
    RANDOM,
    curves,
    leaderboard_tables,
    method_rows,
    not_graded_of,
    paired_differences,
    poisson_weights,
    with_not_graded,
)
from tests.validation.conftest import assignments_from_codes, outcomes_from, population, tiers_from_values


@pytest.fixture(scope="module")
def board_case():
    rng = np.random.default_rng(2)
    n = 3000
    value, seen, churned, profit = population(n, rng, signal=1.0)
    o = outcomes_from(profit, churned)
    methods = {
        "oracle": assignments_from_codes(tiers_from_values(profit), score=profit),
        "noisy": assignments_from_codes(tiers_from_values(seen), score=seen),
        "tiers_only": assignments_from_codes(tiers_from_values(seen)),
        "shuffled": assignments_from_codes(rng.integers(0, 3, n), score=rng.random(n)),
    }
    return methods, o


def test_leaderboard_ranks_the_oracle_first_and_it_equals_hindsight(board_case):
    methods, o = board_case
    board, intervals = leaderboard_tables(methods, o, n_boot=100, random_state=0)
    ranked = board[~board["reference"]].set_index("method")
    assert ranked.index[0] == "oracle"
    refs = board[board["reference"]].set_index("method")
    assert list(refs.index) == [RANDOM, PERFECT]
    assert ranked.loc["oracle", "top20_profit_capture"] == pytest.approx(refs.loc[PERFECT, "top20_profit_capture"])
    assert ranked.loc["oracle", "gini_profit"] == pytest.approx(refs.loc[PERFECT, "gini_profit"])
    assert (ranked["gini_profit"] <= refs.loc[PERFECT, "gini_profit"] + 1e-12).all()
    # the shuffled grading is clearly worse than the best: the paired interval excludes 0
    assert ranked.loc["shuffled", "clearly_worse_than_best"]
    assert ranked.loc["shuffled", "diff_vs_best_ci_high"] < 0
    assert not ranked.loc["oracle", "clearly_worse_than_best"]
    # intervals contain their estimates; the long table has every metric for every method
    for m in methods:
        assert ranked.loc[m, "top20_capture_ci_low"] <= ranked.loc[m, "top20_profit_capture"] <= ranked.loc[m, "top20_capture_ci_high"]
        assert ranked.loc[m, "gini_ci_low"] <= ranked.loc[m, "gini_profit"] <= ranked.loc[m, "gini_ci_high"]
    assert set(intervals["metric"]) == {"top20_profit_capture", "top_tier_profit_capture", "gini_profit", "churn_auc"}
    assert len(intervals) == 4 * len(methods)
    # a method with signal discriminates churn; a shuffled one does not
    assert ranked.loc["noisy", "churn_auc"] > 0.6
    assert ranked.loc["shuffled", "churn_auc_ci_low"] < 0.5 < ranked.loc["shuffled", "churn_auc_ci_high"]
    assert ranked.loc["noisy", "churn_monotone"] and ranked.loc["noisy", "profit_monotone"]
    assert ranked.loc["noisy", "churn_trend_z"] > 0 and ranked.loc["noisy", "churn_trend_p"] < 1e-3
    assert ranked.loc["noisy", "profit_trend_spearman"] > 0 and ranked.loc["noisy", "profit_trend_p"] < 1e-3


def test_paired_differences_are_the_leaderboards_comparison_with_the_best(board_case):
    methods, o = board_case
    _, intervals = leaderboard_tables(methods, o, n_boot=100, random_state=0)
    diffs = paired_differences(methods, o, "oracle", n_boot=100, random_state=0)
    assert "oracle" not in set(diffs["name"]) and (diffs["reference"] == "oracle").all()
    assert len(diffs) == 4 * (len(methods) - 1)
    iv = intervals.set_index(["metric", "method"])
    for row in diffs.itertuples():
        if iv.loc[(row.metric, row.name), "best_method"] != "oracle":
            continue
        vs_best = iv.loc[(row.metric, row.name)]
        assert row.difference == pytest.approx(vs_best["diff_vs_best"], abs=1e-15)
        assert (row.ci_low, row.ci_high) == (vs_best["diff_ci_low"], vs_best["diff_ci_high"])
        assert row.clearly_worse == vs_best["clearly_worse_than_best"]
        assert row.clearly_better == (row.ci_low > 0)
    shuffled = diffs[diffs["name"] == "shuffled"].set_index("metric")
    assert shuffled.loc["top20_profit_capture", "clearly_worse"]
    only = paired_differences(methods, o, "noisy", metrics=("gini_profit",), n_boot=0)
    assert set(only["metric"]) == {"gini_profit"} and only["interval_method"].str.startswith("influence").all()
    with pytest.raises(ValueError, match="reference"):
        paired_differences(methods, o, "nobody", n_boot=0)
    with pytest.raises(ValueError, match="no paired difference"):
        paired_differences(methods, o, "oracle", metrics=("lift",), n_boot=0)


def test_score_within_tier_raises_capture(board_case):
    methods, o = board_case
    board = leaderboard_tables(methods, o, n_boot=0)[0].set_index("method")
    # same tiers; the score orders customers inside the tiers
    assert board.loc["noisy", "top_tier_profit_capture"] == board.loc["tiers_only", "top_tier_profit_capture"]
    assert board.loc["noisy", "gini_profit"] > board.loc["tiers_only", "gini_profit"]
    assert board["clearly_worse_than_best"].isna().all()  # n_boot = 0: no bootstrap interval
    assert np.isfinite(board.loc["noisy", "gini_ci_low"])  # analytic intervals are still there


def test_random_reference_is_the_expected_value_of_random_gradings():
    rng = np.random.default_rng(7)
    n = 200
    profit = rng.lognormal(1, 1, n)
    churned = rng.random(n) < 0.4
    o = outcomes_from(profit, churned)
    sims = [leaderboard_tables({"r": assignments_from_codes(rng.integers(0, 3, n), score=rng.random(n))}, o,
                               n_boot=0)[0].set_index("method").loc["r"] for _ in range(300)]
    ref = leaderboard_tables({"z": assignments_from_codes(np.zeros(n, int))}, o,
                             n_boot=0)[0].set_index("method").loc[RANDOM]
    for col in ("top20_profit_capture", "gini_profit", "churn_auc", "top_tier_lift"):
        assert np.mean([s[col] for s in sims]) == pytest.approx(ref[col], abs=0.02), col
    assert ref["top20_profit_capture"] == 0.2  # capture = customer share


def test_hand_checked_row():
    a = assignments_from_codes([0, 1, 1, 2, 2], score=[1, 5, 4, 3, 2])
    o = outcomes_from([50, 30, 10, 10, 0], [False, False, True, False, True])
    row = leaderboard_tables({"m": a}, o, n_boot=0)[0].set_index("method").loc["m"]
    assert row["top_tier_share"] == 0.2 and row["top_tier_profit_capture"] == 0.5
    assert row["top20_profit_capture"] == 0.5 and row["top_tier_lift"] == pytest.approx(50 / 20)
    assert row["top_tier_churn_rate"] == 0.0 and row["tiers_used"] == 3
    assert row["profit_monotone"] and row["churn_monotone"]  # churn 0, ½, ½; profit 50, 20, 5


def test_methods_must_grade_the_same_customers(board_case):
    methods, o = board_case
    with pytest.raises(ValueError):
        leaderboard_tables({"x": methods["noisy"].iloc[:-1]}, o, n_boot=0)


def test_poisson_weights_have_poisson_one_moments():
    w = poisson_weights(np.random.default_rng(0), (50, 20000)).ravel()
    assert w.mean() == pytest.approx(1, abs=0.005) and w.var() == pytest.approx(1, abs=0.01)
    assert (w == 0).mean() == pytest.approx(np.exp(-1), abs=0.003)


def test_curves_have_references_and_end_at_one(board_case):
    methods, o = board_case
    c = curves(methods, o, points=11)
    assert set(c["method"]) == set(methods) | {RANDOM, PERFECT}
    ends = c[c["customer_share"] == 1.0].set_index("method")["value_share"]
    assert np.allclose(ends, 1.0)
    at20 = c[np.isclose(c["customer_share"], 0.2)].set_index("method")["value_share"]
    board = leaderboard_tables(methods, o, n_boot=0)[0].set_index("method")
    assert at20["oracle"] == pytest.approx(board.loc["oracle", "top20_profit_capture"])
    assert (at20.drop([RANDOM, PERFECT]) <= at20[PERFECT] + 1e-12).all()


def test_not_graded_rows(board_case, tmp_path):
    """A method that could not grade the data gets a row with no figures and a note; the graded
    rows get an empty note; without such a method the table is the same object, bytes unchanged."""
    from segment.export import write_csv

    methods, o = board_case
    board = leaderboard_tables(methods, o, n_boot=20)[0]
    assert with_not_graded(board, {}) is board and "note" not in board
    out = with_not_graded(board, {"bgnbd": "BG/NBD: no customer has a repeat purchase"})
    assert list(out.columns) == [*board.columns, "note"]
    assert list(out["method"]) == [*board["method"].iloc[:-2], "bgnbd", RANDOM, PERFECT]
    row = out.set_index("method").loc["bgnbd"]
    assert row["note"] == "not graded: BG/NBD: no customer has a repeat purchase" and not row["reference"]
    assert pd.isna(row["top20_profit_capture"]) and pd.isna(row["customers"]) and pd.isna(row["churn_monotone"])
    assert (out.loc[out["method"] != "bgnbd", "note"] == "").all()
    for c in board.columns:  # every column keeps its kind (counts stay integers, flags stay flags)
        assert out[c].dtype == board[c].dtype or (str(out[c].dtype) == "Int64" and board[c].dtype.kind == "i"), c
    pd.testing.assert_frame_equal(method_rows(out).drop(columns="note").reset_index(drop=True),
                                  method_rows(board).reset_index(drop=True), check_dtype=False)
    assert not_graded_of(out) == {"bgnbd": "BG/NBD: no customer has a repeat purchase"} and not_graded_of(board) == {}
    write_csv(out, tmp_path / "leaderboard.csv", index=False)
    read = pd.read_csv(tmp_path / "leaderboard.csv", encoding="utf-8-sig")
    assert read.loc[read["method"] == "bgnbd", "note"].iloc[0].startswith("not graded: ")
    assert str(int(board["customers"].iloc[0])) in (tmp_path / "leaderboard.csv").read_text(encoding="utf-8-sig")
