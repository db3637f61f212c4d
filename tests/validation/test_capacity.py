"""Capacity: the next-period profit of each grading's top N customers, against hand computations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from segment.validation.capacity import capacity_curve, capacity_inputs, capacity_table
from segment.validation.leaderboard import bootstrap_sums
from segment.validation.metrics import rank_all

from .conftest import assignments_from_codes, ids, outcomes_from, population, tiers_from_values

#: six customers c00000..c00005; the two most profitable are c00001 (50) and c00003 (30)
PROFIT = [10.0, 50.0, 0.0, 30.0, -5.0, 20.0]
TOTAL = sum(PROFIT)


def small():
    outcomes = outcomes_from(PROFIT, [False, False, True, False, False, False])
    gradings = {
        # the hindsight ordering itself: c00001, c00003, c00005, c00000, c00002, c00004
        "perfect": assignments_from_codes([0] * 6, score=PROFIT),
        # one tier, no score: customer id order, c00000 then c00001
        "flat": assignments_from_codes([0] * 6),
        # c00004 alone in the top tier, then customer id order
        "poor": assignments_from_codes([1, 1, 1, 1, 0, 1]),
    }
    return gradings, outcomes


def table(key_accounts=2, references=None, n_boot=100, **kw):
    gradings, outcomes = small()
    refs = {"hindsight": None, "random": None} if references is None else references
    return capacity_table(gradings, outcomes, key_accounts=key_accounts, references=refs, n_boot=n_boot,
                          random_state=0, **kw)


def test_profit_covered_by_the_top_n_by_hand():
    cap, _ = table()
    covered = cap.set_index("method")["profit_covered"]
    assert covered["perfect"] == 80.0  # 50 + 30
    assert covered["flat"] == 60.0  # c00000 + c00001 = 10 + 50
    assert covered["poor"] == 5.0  # c00004 + c00000 = -5 + 10
    assert covered["hindsight"] == 80.0  # the top-2 outcome profit exactly
    assert covered["random"] == pytest.approx(2 / 6 * TOTAL)
    assert list(cap["method"]) == ["perfect", "flat", "poor", "hindsight", "random"]  # most covered first
    assert (cap["key_accounts"] == 2).all() and (cap["customers"] == 6).all()
    assert cap.set_index("method")["share_of_hindsight"].to_dict() == pytest.approx(
        {"perfect": 1.0, "flat": 0.75, "poor": 5 / 80, "hindsight": 1.0, "random": 2 / 6 * TOTAL / 80})
    assert (cap.loc[:2, "note"] == "").all() and cap.loc[3, "note"].startswith("the customers with the highest")


def test_random_is_the_mean_over_every_choice_of_n_customers():
    """Its expectation: the average top-N profit over all C(6, 2) sets is N/n x total."""
    cap, _ = table(key_accounts=2)
    every = [sum(PROFIT[i] for i in pair) for pair in itertools.combinations(range(6), 2)]
    assert cap.set_index("method").loc["random", "profit_covered"] == pytest.approx(np.mean(every))


def test_a_grading_equal_to_hindsight_differs_by_zero_with_a_zero_width_interval():
    _, diff = table()
    row = diff.set_index(["method", "reference"]).loc[("perfect", "hindsight")]
    assert (row["difference"], row["low"], row["high"], row["clearly"]) == (0.0, 0.0, 0.0, "")
    assert row["reference_method"] == "hindsight"


def test_every_interval_holds_its_estimate_and_the_clearly_rule():
    cap, diff = table(references={"flat": "flat", "random": None})
    assert (cap["profit_low"] <= cap["profit_covered"] + 1e-9).all()
    assert (cap["profit_covered"] <= cap["profit_high"] + 1e-9).all()
    d = diff.set_index(["method", "reference"])
    assert d.loc[("flat", "flat"), ["difference", "low", "high"]].tolist() == [0.0, 0.0, 0.0]
    assert d.loc[("perfect", "flat"), "difference"] == 20.0
    assert d.loc[("poor", "flat"), "difference"] == -55.0
    for _, r in diff.iterrows():
        expected = "better" if r["low"] > 0 else "worse" if r["high"] < 0 else ""
        assert r["clearly"] == expected
    assert d.loc[("perfect", "random"), "difference"] == pytest.approx(80 - 2 / 6 * TOTAL)


def test_references_without_a_graded_method_are_left_out():
    _, diff = table(references={"recommended": "flat", "published": None, "abc": "abc_revenue", "random": None})
    assert list(diff.columns) == ["method", "reference", "reference_method", "difference", "low", "high", "clearly"]
    assert set(diff["reference"]) == {"recommended", "random"}
    assert len(diff) == 3 * 2  # every grading against each reference left
    assert (diff.loc[diff["reference"] == "random", "reference_method"] == "random").all()


def test_capacity_above_the_customers_is_capped_and_said():
    cap, diff = table(key_accounts=10, references={"random": None})
    assert (cap["key_accounts"] == 6).all()
    assert cap["profit_covered"].tolist() == pytest.approx([TOTAL] * 5)  # everyone is served
    assert cap["note"].str.contains("capacity of 10 key accounts is more than the 6 graded customers").all()
    assert (diff["difference"].abs() < 1e-9).all()


def test_ties_at_the_n_th_customer_follow_the_ordering():
    """Tier, then score, then customer id: of the customers tied at the N-th place the smaller id
    is served, whatever the row order of the tables."""
    order = [5, 3, 1, 4, 2, 0]  # rows not in customer id order
    index = ids(6)[order]
    profit = np.array(PROFIT)[order]
    outcomes = outcomes_from(profit, np.zeros(6, bool), index=index)
    # c00001 alone first (score 9); c00000, c00002 and c00003 tie at score 1 for the second place
    score = pd.Series([1.0, 9.0, 1.0, 1.0, 0.0, 0.0], index=ids(6))[index].to_numpy()
    gradings = {"tied": assignments_from_codes([0] * 6, score=score, index=index)}
    cap, _ = capacity_table(gradings, outcomes, key_accounts=2, references={}, n_boot=0, random_state=0)
    assert cap.set_index("method").loc["tied", "profit_covered"] == 50.0 + 10.0  # c00001, then c00000
    curve = capacity_curve(gradings, outcomes, key_accounts=3, points=3)
    tied = curve[curve["method"] == "tied"].set_index("customers_served")["profit_covered"]
    assert tied[3] == 50.0 + 10.0 + 0.0  # then c00002


def test_without_replicates_there_are_no_intervals():
    cap, diff = table(n_boot=0, references={"flat": "flat"})
    assert cap[["profit_low", "profit_high"]].isna().all().all()
    assert diff[["low", "high"]].isna().all().all() and (diff["clearly"] == "").all()


def test_the_paired_interval_is_narrower_than_an_unpaired_one():
    """Two noisy gradings of the same customers pick overlapping top sets: the paired interval of
    their difference is narrower than one from independent replicates of each."""
    rng = np.random.default_rng(3)
    value, seen, churned, profit = population(4000, rng, signal=3.0)
    outcomes = outcomes_from(profit, churned)
    gradings = {"a": assignments_from_codes(tiers_from_values(seen), score=seen),
                "b": assignments_from_codes(tiers_from_values(seen + rng.normal(0, 0.2, 4000)),
                                            score=seen + rng.normal(0, 0.2, 4000))}
    _, diff = capacity_table(gradings, outcomes, key_accounts=400, references={"b": "b"}, n_boot=300, random_state=0)
    row = diff.set_index("method").loc["a"]
    rankings = rank_all(gradings, outcomes.index)
    one = capacity_inputs(rankings, outcomes, key_accounts=400, n_boot=300, random_state=1).replicates["a"]
    two = capacity_inputs(rankings, outcomes, key_accounts=400, n_boot=300, random_state=2).replicates["b"]
    unpaired = np.percentile(one - two, 97.5) - np.percentile(one - two, 2.5)
    assert row["high"] - row["low"] < 0.5 * unpaired


def test_the_replicates_are_the_leaderboards_poisson_bootstrap():
    """The replicate of a top set is its Poisson-weighted profit (``bootstrap_sums``) with the
    seed's weights (rows without profit carry none)."""
    gradings, outcomes = small()
    inputs = capacity_inputs(rank_all(gradings, outcomes.index), outcomes, key_accounts=2, n_boot=50,
                             random_state=4)
    nonzero = np.array([10.0, 50.0, 30.0, -5.0, 20.0])
    x = np.c_[nonzero, [10.0, 50.0, 0, 0, 0]]  # the total, then "flat"'s top two (c00000, c00001)
    sums = bootstrap_sums(x, n_boot=50, random_state=4)
    assert inputs.replicates["flat"] == pytest.approx(sums[:, 1])
    assert inputs.replicates["random"] == pytest.approx(2 / 6 * sums[:, 0])


def test_the_curve_runs_from_nobody_to_everyone_and_marks_the_capacity():
    gradings, outcomes = small()
    curve = capacity_curve(gradings, outcomes, key_accounts=2, points=4)  # shares 0, 1/3, 2/3, 1 -> N 0, 2, 4, 6
    assert list(curve.columns) == ["method", "customers_served", "share_of_customers", "profit_covered"]
    assert list(dict.fromkeys(curve["method"])) == ["perfect", "flat", "poor", "hindsight", "random"]
    flat = curve[curve["method"] == "flat"].set_index("customers_served")["profit_covered"]
    assert flat.to_dict() == pytest.approx({0: 0.0, 2: 60.0, 4: 90.0, 6: TOTAL})
    odd = capacity_curve(gradings, outcomes, key_accounts=3, points=4)  # the capacity is added exactly
    assert sorted(set(odd["customers_served"])) == [0, 2, 3, 4, 6]
    cap, _ = table(key_accounts=3)
    at = odd[odd["customers_served"] == 3].set_index("method")["profit_covered"]
    assert at.to_dict() == pytest.approx(cap.set_index("method")["profit_covered"].to_dict())
    hind = curve[curve["method"] == "hindsight"]["profit_covered"].to_numpy()
    for name in gradings:
        assert (curve[curve["method"] == name]["profit_covered"].to_numpy() <= hind + 1e-9).all()
    rand = curve[curve["method"] == "random"]
    assert rand["profit_covered"].to_numpy() == pytest.approx(rand["share_of_customers"].to_numpy() * TOTAL)


def test_capacity_and_names_that_cannot_be_used():
    gradings, outcomes = small()
    with pytest.raises(ValueError, match="key_accounts must be a whole number of customers, at least 1"):
        capacity_table(gradings, outcomes, key_accounts=0, references={}, n_boot=0, random_state=0)
    with pytest.raises(ValueError, match="may not be called 'random'"):
        capacity_table({"random": gradings["flat"]}, outcomes, key_accounts=2, references={}, n_boot=0,
                       random_state=0)
