"""segment.governance.drift: the PSI against hand computations, its edge and floor rules, and
the levels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from segment.governance.drift import SHARE_FLOOR, bin_edges, drift_table, psi, psi_level, psi_shares
from tests.governance.conftest import published


def test_psi_against_a_hand_computation():
    # expected 1 2 3 4, two bins: the median 2.5 is the edge; shares below / above: .5 .5
    # actual 1 1 1 4: .75 .25
    # PSI = (.75 − .5)·ln(.75/.5) + (.25 − .5)·ln(.25/.5) = .25·0.405465 + .25·0.693147 = 0.274653
    assert bin_edges([1, 2, 3, 4], bins=2).tolist() == [2.5]
    assert psi([1, 2, 3, 4], [1, 1, 1, 4], bins=2) == pytest.approx(0.25 * math.log(1.5) - 0.25 * math.log(0.5))
    assert psi([1, 2, 3, 4], [1, 1, 1, 4], bins=2) == pytest.approx(0.274653, abs=1e-6)


def test_a_value_on_an_edge_goes_up_and_an_empty_bin_gets_the_floor():
    # expected 1 2 3, two bins: edge 2; 2 goes to the upper bin: shares 1/3, 2/3
    # actual 2 2 2: all upper: shares 0 → 1e-4, and 1
    # PSI = (1e-4 − 1/3)·ln(1e-4 / (1/3)) + (1 − 2/3)·ln(1 / (2/3)) = 2.703098 + 0.135155 = 2.838253
    e, a = 1 / 3, SHARE_FLOOR
    hand = (a - e) * math.log(a / e) + (1 - 2 / 3) * math.log(1 / (2 / 3))
    assert psi([1, 2, 3], [2, 2, 2], bins=2) == pytest.approx(hand)
    assert hand == pytest.approx(2.838253, abs=1e-6)


def test_ties_make_fewer_bins_and_values_beyond_the_range_land_in_the_outer_bins():
    # quantiles .2 .4 .6 .8 of eight 1s, a 2 and a 3 (linear): positions 1.8 3.6 5.4 7.2 → 1 1 1 1.2
    assert bin_edges([1, 1, 1, 1, 1, 1, 1, 1, 2, 3], bins=5).tolist() == pytest.approx([1.0, 1.2])
    assert psi([0, 1, 2, 3], [-100, 1, 2, 300], bins=2) == pytest.approx(0.0)


def test_identical_samples_give_zero():
    x = np.random.default_rng(0).gamma(2, 50, 10_000)
    assert psi(x, x) == 0.0
    assert psi_shares(pd.Series({"A": 0.2, "B": 0.8}), pd.Series({"B": 0.8, "A": 0.2})) == 0.0


def test_missing_values_are_a_bin_of_their_own():
    assert psi([1, 2, 3, 4], [1, 2, 3, 4]) == 0.0
    assert psi([1, 2, np.nan, 4], [1, 2, np.nan, 4]) == 0.0
    assert psi([1, 2, 3, 4], [1, 2, np.nan, np.nan]) > 0.25


def test_psi_shares_against_a_hand_computation():
    # labels A B C; expected .5 .5 0 (→ 1e-4), actual .25 .5 .25
    # PSI = (.25 − .5)·ln(.25/.5) + 0 + (.25 − 1e-4)·ln(.25 / 1e-4) = 0.173287 + 1.955229 = 2.128516
    hand = -0.25 * math.log(0.5) + (0.25 - SHARE_FLOOR) * math.log(0.25 / SHARE_FLOOR)
    shares = psi_shares(pd.Series({"A": 0.5, "B": 0.5}), pd.Series({"A": 0.25, "B": 0.5, "C": 0.25}))
    assert shares == pytest.approx(hand) and hand == pytest.approx(2.128516, abs=1e-6)
    counts = psi_shares(pd.Series({"A": 2, "B": 2}), pd.Series({"A": 1, "B": 2, "C": 1}))  # counts are shares too
    assert counts == pytest.approx(hand)


@pytest.mark.parametrize("value, level", [(0.0, "stable"), (0.0999, "stable"), (0.10, "watch"), (0.2499, "watch"),
                                          (0.25, "shifted"), (3.0, "shifted")])
def test_levels(value, level):
    assert psi_level(value) == level


@pytest.mark.parametrize("call", [
    lambda: psi_level(-0.1), lambda: psi_level(float("nan")),
    lambda: psi([], [1]), lambda: psi([1, 2], []), lambda: psi([1, np.inf], [1]), lambda: psi([1, 2], [1], bins=1),
    lambda: psi_shares(pd.Series({"A": -1.0}), pd.Series({"A": 1.0})),
    lambda: psi_shares(pd.Series({"A": 0.0}), pd.Series({"A": 1.0})),
])
def test_bad_input_is_refused(call):
    with pytest.raises(ValueError):
        call()


def test_drift_table_rows_and_levels():
    prev = published([(f"c{i}", "ABC"[i % 3], False, i, 1 + i % 4, 10.0 * i, i - 5.0) for i in range(60)])
    cur = prev.assign(tier=["A"] * 60)
    table = drift_table(prev, prev)
    assert table["item"].tolist() == ["tier", "recency_days", "frequency", "monetary_total", "profit"]
    assert table["psi"].tolist() == [0.0] * 5 and set(table["level"]) == {"stable"}
    shifted = drift_table(prev, cur.drop(columns=["profit"])).set_index("item")
    assert shifted.index.tolist() == ["tier", "recency_days", "frequency", "monetary_total"]
    assert shifted.loc["tier", "level"] == "shifted" and shifted.loc["recency_days", "psi"] == 0.0
