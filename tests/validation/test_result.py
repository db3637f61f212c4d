"""The recommendation is decided once, from the leaderboard: the best graded method by the
headline, and who is (not) clearly worse; without intervals nobody is clearly worse."""

from __future__ import annotations

import pandas as pd

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


def test_without_intervals_nobody_is_clearly_worse():
    r = recommend(board(0))
    assert r.method == "good" and r.clearly_worse == () and r.not_clearly_worse == ("bad",)
