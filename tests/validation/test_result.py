"""The recommendation is decided once, from the leaderboard: the best graded method by the
headline, who is (not) clearly worse (beyond the margin and the paired interval), and the
simplest of those not clearly worse."""

from __future__ import annotations

import pandas as pd
import pytest

from segment.validation.leaderboard import leaderboard_tables
from segment.validation.result import recommend
from tests.validation.conftest import assignments_from_codes, outcomes_from


def board(n_boot: int) -> pd.DataFrame:
    profit = [9.0, 8.0, 1.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0]
    good = assignments_from_codes([0, 0, 1, 1, 1, 2, 2, 2, 2, 2])
    bad = assignments_from_codes([2, 2, 2, 2, 1, 1, 1, 0, 0, 0])
    churned = [False, False, False, True, False, True, True, True, True, True]
    return leaderboard_tables({"good": good, "bad": bad}, outcomes_from(profit, churned), n_boot=n_boot,
                              random_state=0)[0]


def test_the_best_method_by_the_headline_and_who_is_clearly_worse():
    r = recommend(board(200))
    assert r.method == "good" and r.capture == r.captures["good"] > r.captures["bad"]
    assert list(r.captures) == ["good", "bad"] and r.ci_low <= r.capture <= r.ci_high
    assert r.not_clearly_worse + r.clearly_worse == ("bad",)


def test_without_intervals_the_difference_alone_decides():
    r = recommend(board(0))  # n_boot 0: no paired intervals (they are NA, not an error)
    assert r.method == r.best == "good"
    assert r.captures["good"] - r.captures["bad"] > 0.02 and r.clearly_worse == ("bad",)


def test_the_simplest_method_not_clearly_worse_is_recommended():
    """A registered method's simplicity breaks the near-tie (abc 1 before rfm 5), and the
    margin decides what is near."""
    b = board(200).replace({"method": {"good": "rfm", "bad": "abc_revenue"}})
    row = b.set_index("method").loc["abc_revenue"]
    assert row["diff_vs_best"] < 0
    assert recommend(b, practical_margin=1.0).method == "abc_revenue"  # within any margin: the simplest
    clearly = row["diff_vs_best_ci_high"] < 0  # beyond a zero margin only if its interval excludes zero
    assert recommend(b, practical_margin=0.0).method == ("rfm" if clearly else "abc_revenue")
    assert recommend(b.assign(diff_vs_best_ci_high=-0.001), practical_margin=0.0).method == "rfm"


def test_a_method_that_ranks_churn_clearly_better_is_named_once():
    """The recommendation's paired churn-AUC difference to the AUC leader (DeLong, the
    leaderboard's ``churn_auc_diff_ci_*``) below zero: that leader ranks churn clearly better."""
    b = board(200).replace({"method": {"good": "rfm", "bad": "abc_revenue"}})
    rows = b["method"].isin(["rfm", "abc_revenue"])
    b.loc[rows, "churn_auc"] = b.loc[rows, "method"].map({"rfm": 0.80, "abc_revenue": 0.70})
    b.loc[rows, "churn_auc_diff_ci_low"] = b.loc[rows, "method"].map({"rfm": 0.0, "abc_revenue": -0.15})
    b.loc[rows, "churn_auc_diff_ci_high"] = b.loc[rows, "method"].map({"rfm": 0.0, "abc_revenue": -0.05})
    r = recommend(b, practical_margin=1.0)  # abc_revenue: the simplest, within any margin
    assert r.method == "abc_revenue" and r.better_at_churn == "rfm" and r.better_churn_auc == 0.80
    assert (r.churn_auc_gap, r.churn_auc_gap_ci_low, r.churn_auc_gap_ci_high) == (
        pytest.approx(0.10), pytest.approx(0.05), pytest.approx(0.15))
    b.loc[b["method"] == "abc_revenue", "churn_auc_diff_ci_high"] = 0.01  # interval reaches zero: not clearly
    assert recommend(b, practical_margin=1.0).better_at_churn == ""
    no_pairs = b.drop(columns=["churn_auc_diff_ci_low", "churn_auc_diff_ci_high"])
    no_pairs.loc[no_pairs["method"] == "rfm", "churn_auc_ci_low"] = 0.75  # above 0.70
    assert recommend(no_pairs, practical_margin=1.0).better_at_churn == "rfm"
    rfm_wins = b.assign(diff_vs_best_ci_high=-0.001)
    assert recommend(rfm_wins, practical_margin=0.0).better_at_churn == ""  # rfm is the AUC leader itself
