"""Stability rules on small hand-checked histories (5 customers x 4 quarters), the flip-flop rate
by hand, top-tier capture, and the study on a tiny synthetic history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segment.governance.stability import (CONFIRMED_REASON, confirmed, flip_flop_rate, flip_flops, positions,
                                          stabilise, top_tier_capture)
from segment.governance.study import RULE_SETS, main, markdown, trade_off

QUARTERS = ["1997-03-31", "1997-06-30", "1997-09-30", "1997-12-31"]
TIERS = pd.CategoricalDtype(["A", "B", "C"], ordered=True)


def history(tiers: dict[str, str], *, scores: dict[str, list[float]] | None = None,
            provisional: dict[str, str] | None = None, profit: dict[str, list[float]] | None = None,
            orders: dict[str, list[int]] | None = None):
    """A history from one string per customer: the tier at each quarter ('-': not graded then);
    ``provisional``: 'P' where provisional; ``scores``/``profit``/``orders``: one value per
    quarter (orders default to 1 a quarter)."""
    out = []
    for q, as_of in enumerate(QUARTERS):
        ids = [c for c, t in tiers.items() if t[q] != "-"]
        frame = pd.DataFrame({
            "tier": pd.Categorical([tiers[c][q] for c in ids], dtype=TIERS),
            "score": [scores[c][q] if scores else 0.0 for c in ids],
            "provisional": [bool(provisional) and provisional.get(c, "----")[q] == "P" for c in ids],
            "tenure_days": [91.0 * (q + 1)] * len(ids),
            "profit": [profit[c][q] if profit else 1.0 for c in ids],
            "orders": [orders[c][q] if orders else 1 for c in ids],
        }, index=pd.Index(ids, name="customer_id"))
        out.append((as_of, frame))
    return out


def tiers_of(stable, column: str = "tier") -> dict[str, str]:
    ids = sorted(set().union(*(g.index for g in stable)))
    return {c: "".join(str(g[column].get(c, "-")) if c in g.index else "-" for g in stable) for c in ids}


# ------------------------------------------------------------------ min_stay
def test_min_stay_two_holds_a_new_tier_for_two_quarters_up_and_down():
    h = history({"c1": "AAAA", "c2": "ABAB", "c3": "BAAC", "c4": "-CBB", "c5": "CCBA"})
    stable = stabilise(h, min_stay=2)
    # c2: B at Q2 held (A kept 1 quarter), back to A is no change, B at Q4 allowed (A kept 3);
    # c3: up at Q2 held, up at Q3 allowed, down at Q4 held (A kept 1); c4 counts from its first grading
    assert tiers_of(stable) == {"c1": "AAAA", "c2": "AAAB", "c3": "BBAA", "c4": "-CCB", "c5": "CCBB"}
    assert [int(s) for s in stable[3]["stay"]] == [4, 1, 2, 1, 2]
    assert tiers_of(stable, "raw_tier") == {"c1": "AAAA", "c2": "ABAB", "c3": "BAAC", "c4": "-CBB", "c5": "CCBA"}


def test_min_stay_one_and_no_rules_change_nothing():
    h = history({"c1": "ABAB", "c2": "CBAC", "c3": "-ABC", "c4": "AA-A", "c5": "CCCC"})
    for rules in ({}, {"min_stay": 1}, {"margin": 0.0}):
        stable = stabilise(h, **rules)
        assert tiers_of(stable) == tiers_of(stable, "raw_tier")
    assert not any(g["review"].any() for g in stabilise(h))


def test_a_customer_missing_from_a_grading_starts_afresh():
    stable = stabilise(history({"c1": "AA-B", "c2": "CCCC"}), min_stay=3)
    assert tiers_of(stable)["c1"] == "AA-B" and int(stable[3].loc["c1", "stay"]) == 1


# ------------------------------------------------------------------ margin
SCORES = {"c1": [5, 4, 3, 2], "c2": [4, 5, 4, 3], "c3": [3, 3, 5, 4], "c4": [2, 1, 2, 5], "c5": [1, 2, 1, 1]}
RAW = {"c1": "ABBC", "c2": "BABB", "c3": "BBAB", "c4": "CCCA", "c5": "CCCC"}  # A: best 1 of 5, B: next 2, C: last 2


def test_positions_are_shares_of_the_ordering_with_ties_averaged_and_missing_scores_as_zero():
    q = positions(np.array([0, 1, 1, 1, 1]), np.array([9.0, 2.0, 2.0, np.nan, -1.0]))
    # places: 0; the two 2.0 share (1 + 2) / 2; NaN counts as 0 (place 3); -1 last (place 4)
    assert q == pytest.approx(np.array([0.5, 2.0, 2.0, 3.5, 4.5]) / 5)


def _positions_by_sorting(codes, score):
    """The definition by a full sort: rows in (tier, higher score) order, equal pairs averaged."""
    n = len(codes)
    s = np.where(np.isnan(score), 0.0, score)
    order = np.lexsort((-s, codes))
    c, v = codes[order], s[order]
    group = np.cumsum(np.r_[True, (c[1:] != c[:-1]) | (v[1:] != v[:-1])]) - 1
    mean_place = np.bincount(group, weights=np.arange(n)) / np.bincount(group)
    q = np.empty(n)
    q[order] = (mean_place[group] + 0.5) / n
    return q


@pytest.mark.parametrize("seed", range(6))
def test_positions_match_a_full_sort_with_ties_missing_scores_and_minus_zero(seed):
    r = np.random.default_rng(seed)
    n = int(r.integers(1, 5000))
    codes = r.integers(0, 1 + seed % 5, n)
    score = [r.normal(size=n), np.round(r.normal(size=n), 1), r.integers(-2, 3, n).astype(float)][seed % 3]
    score[r.random(n) < 0.1] = np.nan
    score[r.random(n) < 0.05] = -0.0
    assert np.array_equal(positions(codes, score), _positions_by_sorting(codes, score))  # exactly, not approx


def test_margin_keeps_last_quarters_tier_within_the_margin_of_its_cut():
    h = history(RAW, scores=SCORES)
    # bands: A [0, .2], B [.2, .6], C [.6, 1]; positions .1 .3 .5 .7 .9; margin .15 holds one place across a cut
    # Q2: c1 A -> q .3 <= .2 + .15 kept A; c2 B -> q .1 >= .2 - .15 kept B
    # Q3: c1 (A) q .5 > .35 -> B; c3 (B) q .1 kept B: nobody is A this quarter (the rule's price)
    # Q4: c4 (C) q .1 < .6 - .15 -> A; c1 (B) q .7 <= .6 + .15 kept B
    stable = stabilise(h, margin=0.15)
    assert tiers_of(stable) == {"c1": "AABB", "c2": "BBBB", "c3": "BBBB", "c4": "CCCA", "c5": "CCCC"}
    # a margin under half a place holds nobody
    assert tiers_of(stabilise(h, margin=0.05)) == RAW


def test_margin_then_min_stay():
    stable = stabilise(history(RAW, scores=SCORES), margin=0.15, min_stay=2)
    # as the margin alone, except c1's fall to B at Q3 is allowed (A kept 2 quarters) and
    # c4's rise at Q4 is allowed (C kept 3): the same tiers; stays differ
    assert tiers_of(stable) == {"c1": "AABB", "c2": "BBBB", "c3": "BBBB", "c4": "CCCA", "c5": "CCCC"}
    assert [int(s) for s in stable[3]["stay"]] == [2, 4, 4, 1, 4]


def test_margin_needs_a_score():
    h = history(RAW, scores={c: [np.nan] * 4 for c in RAW})
    with pytest.raises(ValueError, match="margin needs a score"):
        stabilise(h, margin=0.05)


# ------------------------------------------------------------------ provisional and review
def test_provisional_customers_are_confirmed_when_they_reach_the_tenure():
    h = history({"c1": "CCAA", "c2": "CCAA", "c3": "-BBB", "c4": "AAAA", "c5": "BBBB"},
                provisional={"c1": "PP--", "c3": "-PP-", "c5": "P-P-"})
    stable = stabilise(h, min_stay=3)
    status = {c: [str(g["status"].get(c, "-")) for g in stable] for c in ("c1", "c3", "c4", "c5")}
    assert status["c1"] == ["provisional", "provisional", "confirmed", "graded"]
    assert status["c3"] == ["-", "provisional", "provisional", "confirmed"]
    assert status["c4"] == ["graded"] * 4
    assert status["c5"] == ["provisional", "confirmed", "provisional", "confirmed"]
    # confirmation releases no hold: c1 and c2 (never provisional) are held alike
    assert tiers_of(stable)["c1"] == tiers_of(stable)["c2"] == "CCCA"
    assert CONFIRMED_REASON == "provisional \u2192 confirmed"


def test_confirmed_for_the_ledger():
    before = pd.Series([True, True, False], index=["c1", "c2", "c3"])
    now = pd.Series([False, True, False, False], index=["c1", "c2", "c3", "c9"])
    assert confirmed(before, now).tolist() == [True, False, False, False]


def test_review_after_flags_consecutive_unprofitable_quarters_and_drops_nobody():
    profit = {"c1": [0, -1, 5, 0], "c2": [-1, -1, -1, -1], "c3": [9, 0, 0, 1], "c4": [0, 0, 0, 0],
              "c5": [1, 1, 1, 1]}
    tiers = {"c1": "AAAA", "c2": "BBBB", "c3": "-CCC", "c4": "CC-C", "c5": "ABCA"}
    h = history(tiers, profit=profit)
    stable = stabilise(h, review_after=2)
    review = {c: "".join("-" if c not in g.index else "R" if g.loc[c, "review"] else "." for g in stable)
              for c in tiers}
    # c3 is graded from Q2 (its Q1 profit unused); c4's run restarts after the quarter it was not graded
    assert review == {"c1": ".R..", "c2": ".RRR", "c3": "-.R.", "c4": ".R-.", "c5": "...."}
    assert tiers_of(stable) == tiers and [len(g) for g in stable] == [len(g) for _, g in h]


def test_review_counts_only_quarters_with_orders_and_a_quarter_without_ends_the_run():
    # c1 never orders (profit 0): inactive, not unprofitable; c2 loses money when it orders, but its
    # quiet third quarter ends the run; c3 loses money in every quarter it orders
    profit = {"c1": [0, 0, 0, 0], "c2": [-1, -2, 0, -1], "c3": [-1, -1, -1, 0]}
    orders = {"c1": [0, 0, 0, 0], "c2": [1, 2, 0, 1], "c3": [1, 1, 1, 1]}
    stable = stabilise(history({c: "CCCC" for c in profit}, profit=profit, orders=orders), review_after=2)
    review = {c: "".join("R" if g.loc[c, "review"] else "." for g in stable) for c in profit}
    assert review == {"c1": "....", "c2": ".R..", "c3": ".RRR"}


def test_review_needs_every_profit():
    h = history({"c1": "AAAA"}, profit={"c1": [1, np.nan, 1, 1]})
    with pytest.raises(ValueError, match="1 are missing"):
        stabilise(h, review_after=2)
    with pytest.raises(KeyError, match="orders"):
        stabilise([(a, g.drop(columns="orders")) for a, g in h], review_after=2)


# ------------------------------------------------------------------ errors
def test_bad_histories_and_settings_fail_loudly():
    h = history({"c1": "AAAA"})
    with pytest.raises(ValueError, match="date order"):
        stabilise(list(reversed(h)))
    with pytest.raises(ValueError, match="min_stay"):
        stabilise(h, min_stay=0)
    with pytest.raises(ValueError, match="margin"):
        stabilise(h, margin=1.5)
    with pytest.raises(ValueError, match="'Z' is not one of A, B"):
        stabilise([(a, g.assign(tier=g["tier"].astype(str).replace("A", "Z"))) for a, g in h], tier_order=["A", "B"])
    with pytest.raises(TypeError, match="ordered categorical"):
        stabilise([(a, g.assign(tier=g["tier"].astype(str))) for a, g in h])
    assert stabilise([]) == []


# ------------------------------------------------------------------ measures
def test_flip_flop_rate_by_hand():
    h = history({"c1": "ABAC",   # A→B→A: flip
                 "c2": "ABCB",   # B→C→B in the second window: flip
                 "c3": "AABB",   # no
                 "c4": "A-A-",   # never graded three quarters running: not counted
                 "c5": "-BAB",   # B→A→B: flip
                 "c6": "CCCA"})  # no
    f = flip_flops(h)
    assert f.to_dict() == {"c1": True, "c2": True, "c3": False, "c5": True, "c6": False}
    assert flip_flop_rate(h) == pytest.approx(3 / 5)
    assert flip_flop_rate(list(zip(QUARTERS, stabilise(h, min_stay=2)))) == 0.0  # impossible by construction
    with pytest.raises(ValueError, match="three consecutive"):
        flip_flop_rate(h[:2])
    assert np.isnan(flip_flop_rate(history({"c1": "A-A-"})))


def test_top_tier_capture_is_the_top_tiers_share_of_next_period_profit():
    grading = pd.DataFrame({"tier": pd.Categorical(["A", "A", "B", "C"], dtype=TIERS)},
                           index=pd.Index(["c1", "c2", "c3", "c4"], name="customer_id"))
    outcomes = pd.DataFrame({"churned": [False, False, False, True], "revenue_outcome": [40.0, 80, 120, 0],
                             "profit_outcome": [10.0, 20, 30, -10]}, index=grading.index)
    assert top_tier_capture(grading, outcomes) == pytest.approx(30 / 50)


# ------------------------------------------------------------------ the study
def test_the_study_runs_on_a_tiny_synthetic_history():
    rng = np.random.default_rng(0)
    ids = pd.Index([f"c{i:03d}" for i in range(60)], name="customer_id")
    value = rng.gamma(2.0, 10.0, len(ids))
    histories = {"noisy": [], "steady": []}
    outcomes = {}
    for q, as_of in enumerate(QUARTERS):
        for name, noise in (("noisy", 8.0), ("steady", 0.5)):
            score = value + rng.normal(0, noise, len(ids))
            tier = pd.Categorical(pd.qcut(-score, [0, 0.2, 0.5, 1], labels=["A", "B", "C"]), dtype=TIERS)
            histories[name].append((as_of, pd.DataFrame({
                "tier": tier, "score": score, "provisional": q == 0, "tenure_days": 91.0 * (q + 1),
                "profit": np.where(np.arange(len(ids)) % 7 == 0, 0.0, value / 4), "orders": 1}, index=ids)))
        if q < 3:
            outcomes[as_of] = pd.DataFrame({"churned": False, "revenue_outcome": value * 4,
                                            "profit_outcome": value + rng.normal(0, 1, len(ids))}, index=ids)
    table = trade_off(histories, outcomes)
    assert list(table["rule_set"]) == [r for r in RULE_SETS for _ in range(2)]
    none = table[table["rule_set"] == "none"].set_index("method")
    assert none.loc["noisy", "flip_flop_rate"] > none.loc["steady", "flip_flop_rate"]
    assert (table["origins_judged"] == 2).all() and (table["flip_flop_customers"] == 60).all()
    assert (table.loc[table["rule_set"].str.contains("min_stay"), "flip_flop_rate"] == 0).all()
    assert (none["held_share"] == 0).all() and (none["review_customers"] == 0).all()
    assert (table.loc[table["rule_set"] == "review_after 2", "review_customers"] == 9).all()  # ids 0, 7, .., 56
    assert table["mean_top_tier_capture"].between(0, 1).all()
    assert markdown(table).count("\n") == len(table) + 1


def test_the_study_command_names_a_user_mistake_in_one_line(capsys, tmp_path):
    config = str(Path(__file__).resolve().parents[2] / "configs" / "cdnow_backtest.yaml")
    assert main([config, "--methods", "weighted,nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{config}: --methods: 'nope': give registered methods (")
    assert main([str(tmp_path / "missing.yaml")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_run_with_a_rolling_backtest_measures_the_trade_off_and_others_do_not():
    import dataclasses

    from segment.config import RunConfig
    from segment.governance.study import run_trade_off

    config = RunConfig.from_yaml(Path(__file__).resolve().parents[2] / "configs" / "quick_cdnow_sample.yaml")
    assert run_trade_off(dataclasses.replace(config, backtest_origins=("1997-03-31", "1997-06-30")), "rfm") is None
    rolling = dataclasses.replace(config, backtest_origins=("1997-03-31", "1997-06-30", "1997-09-30"))
    table = run_trade_off(rolling, "rfm")
    assert list(dict.fromkeys(table["method"])) == ["rfm", "weighted", "abc_revenue"]
    assert list(dict.fromkeys(table["rule_set"])) == list(RULE_SETS)
    none = table[table["rule_set"] == "none"]
    assert (none["held_share"] == 0).all() and (none["flip_flop_rate"].between(0, 1)).all()
    # the review rule counts only quarters with orders: far fewer than the customers without an order
    review = table[table["rule_set"] == "review_after 2"]
    assert (review["review_customers"] < 0.05 * none["flip_flop_customers"].to_numpy()).all()


def test_each_quarters_profit_and_orders_are_to_date_whatever_the_features_window():
    """Without a lookback window the study takes each quarter's profit and orders from the run's
    own feature table; with one (lookback_months) it computes them over the whole history: the
    same figures either way."""
    import dataclasses

    from segment.config import RunConfig
    from segment.governance.study import quarter_histories

    config = RunConfig.from_yaml(Path(__file__).resolve().parents[2] / "configs" / "quick_cdnow_sample.yaml")
    windowed = dataclasses.replace(config, lookback_months=3)
    assert windowed.feature_kwargs["lookback_months"] == 3
    plain, _ = quarter_histories(config, ["abc_revenue"])
    window, _ = quarter_histories(windowed, ["abc_revenue"])
    assert [d for d, _ in plain["abc_revenue"]] == [d for d, _ in window["abc_revenue"]]
    moved = 0
    for (_, a), (_, b) in zip(plain["abc_revenue"], window["abc_revenue"]):
        pd.testing.assert_frame_equal(a[["profit", "orders"]], b[["profit", "orders"]])
        moved += int((a["tier"] != b["tier"]).sum())
    assert moved > 0  # the window did change the gradings: the two runs took different paths


def reference_flip_flops(history):
    """The flip-flop rule by index intersections, as first written: tiers compared as text."""
    tiers = [g["tier"].astype("object").astype(str) for _, g in history]
    eligible, flipped = [], []
    for a, b, c in zip(tiers, tiers[1:], tiers[2:]):
        common = a.index.intersection(b.index).intersection(c.index)
        x, y, z = (t.reindex(common).to_numpy() for t in (a, b, c))
        eligible.append(common)
        flipped.append(common[(x == z) & (x != y)])
    everyone = eligible[0].append(eligible[1:]).unique().sort_values()
    return pd.Series(everyone.isin(flipped[0].append(flipped[1:]).unique()), index=everyone, name="flip_flop")


@pytest.mark.parametrize("seed", range(12))
def test_flip_flops_and_top_tier_capture_are_the_rule_on_random_histories(seed):
    from segment.validation.tiers import per_tier_outcomes

    rng = np.random.default_rng(seed)
    pool = np.array([f"c{i:03d}" for i in range(300)] + ["é1", "中2", "z", "a b"])
    object_ids = seed % 3 == 0  # ids as Python objects, not Arrow text
    history = []
    for k in range(int(rng.integers(3, 7))):
        ids = rng.permutation(pool[rng.random(len(pool)) < rng.uniform(0.3, 1.0)])
        labels = ["A", "B", "C"] if seed % 2 else ["A", "B", "C", "D"][: int(rng.integers(2, 5))]
        tier = pd.Categorical(rng.choice(labels, len(ids)), categories=labels, ordered=True)
        if seed % 4 == 1:
            tier[rng.random(len(ids)) < 0.1] = np.nan  # a missing tier counts as the text "nan"
        index = pd.Index(ids, dtype=object if object_ids else "str", name="customer_id")
        history.append((f"1997-{k + 1:02d}-28", pd.DataFrame({"tier": tier}, index=index)))
    got, expected = flip_flops(history), reference_flip_flops(history)
    pd.testing.assert_series_equal(got, expected)
    assert 0 < got.sum() < len(got)  # both outcomes occur: the comparison means something
    # top-tier capture: per_tier_outcomes' top-tier profit share, to the bit
    _, g = history[-1]
    g = g.dropna().assign(tier=lambda d: d["tier"].cat.remove_unused_categories())
    outcome_ids = rng.permutation(pool)
    outcomes = pd.DataFrame({"churned": rng.random(len(pool)) < 0.5, "revenue_outcome": rng.gamma(1.0, 9.0, len(pool)),
                             "profit_outcome": rng.normal(3.0, 9.0, len(pool))},
                            index=pd.Index(outcome_ids, dtype=g.index.dtype, name="customer_id"))
    share = per_tier_outcomes(g[["tier"]], outcomes)["profit_share"].iloc[0]
    assert top_tier_capture(g, outcomes) == share
    with pytest.raises(ValueError, match="no outcome row"):
        top_tier_capture(g, outcomes.iloc[1:].loc[lambda o: o.index != g.index[0]])


def test_stabilise_leaves_the_history_unchanged_and_reuses_given_links():
    from segment.governance.stability import history_links

    rng = np.random.default_rng(5)
    ids = [f"c{i}" for i in range(50)]
    cat = pd.CategoricalDtype(["A", "B", "C"], ordered=True)
    history = [(f"1997-0{k + 1}-28", pd.DataFrame({
        "tier": pd.Categorical(rng.choice(list("ABC"), 50), dtype=cat), "score": rng.random(50),
        "provisional": rng.random(50) < 0.2, "profit": rng.normal(size=50), "orders": rng.integers(0, 2, 50)},
        index=pd.Index(ids, name="customer_id")).iloc[k:]) for k in range(4)]
    before = [g.copy(deep=True) for _, g in history]
    rules = {"margin": 0.05, "min_stay": 2, "review_after": 1}
    out = stabilise(history, **rules)
    for (_, g), kept in zip(history, before):
        pd.testing.assert_frame_equal(g, kept)  # the rules' columns are the output's own
    again = stabilise(history, **rules, links=history_links(history))
    for a, b in zip(out, again):
        pd.testing.assert_frame_equal(a, b)
    assert any((g["tier"] != g["raw_tier"]).any() for g in out)  # the rules acted


@pytest.mark.parametrize("object_ids", [False, True])
def test_trade_off_is_the_same_whether_a_dates_gradings_share_their_index_or_not(object_ids):
    """``trade_off`` numbers the customers once per index object (the study's gradings of a date
    share one); separate index objects, or rows in another order, give the same table."""
    from segment.governance.study import customer_numbers

    rng = np.random.default_rng(3)
    pool = np.array([f"c{i:03d}" for i in range(200)] + ["é1", "中2"])
    shared, separate, outcomes = {"a": [], "b": []}, {"a": [], "b": []}, {}
    for k, as_of in enumerate(QUARTERS):
        ids = rng.permutation(pool[rng.random(len(pool)) < 0.8])
        index = pd.Index(ids, dtype=object if object_ids else "str", name="customer_id")
        for name in ("a", "b"):
            score = rng.normal(size=len(ids))
            frame = pd.DataFrame({
                "tier": pd.Categorical(pd.qcut(-score, [0, 0.2, 0.5, 1], labels=["A", "B", "C"]), dtype=TIERS),
                "score": score, "provisional": rng.random(len(ids)) < 0.1, "tenure_days": 91.0 * (k + 1),
                "profit": rng.normal(size=len(ids)), "orders": rng.integers(0, 3, len(ids))}, index=index)
            shared[name].append((as_of, frame))
            own = frame.set_axis(pd.Index(list(ids), dtype=index.dtype, name="customer_id"))
            separate[name].append((as_of, own.iloc[::-1] if name == "b" else own))  # b: rows reversed
        outcomes[as_of] = pd.DataFrame({"churned": False, "revenue_outcome": 1.0,
                                        "profit_outcome": rng.normal(3.0, 9.0, len(pool))},
                                       index=pd.Index(pool, dtype=index.dtype, name="customer_id"))
    numbers = customer_numbers(shared)
    assert len(numbers) == len(QUARTERS)  # one index per date, encoded once
    by_id = {}
    for history in shared.values():
        for _, g in history:
            for customer, number in zip(g.index, numbers[id(g.index)]):
                assert by_id.setdefault(customer, number) == number  # the same customer, the same number
    assert len(set(by_id.values())) == len(by_id)
    assert len(customer_numbers(separate)) == 2 * len(QUARTERS)
    table = trade_off(shared, outcomes)
    pd.testing.assert_frame_equal(trade_off(separate, outcomes), table)
    assert table["held_share"].gt(0).any() and table["flip_flop_rate"].gt(0).any()  # the rules and flips occur


def _study_lines(lines):
    """The stability study's progress lines of a run: (date, whether the run's own grading was reused)."""
    study = lines[next(i for i, m in enumerate(lines) if m.startswith("stability study")):]
    return {m.split()[2]: "the run's own grading" in m for m in study if m.startswith("backtest: origin")}


@pytest.mark.parametrize("publish", [None, "rfm"])
def test_a_runs_study_reuses_the_gradings_the_run_made_and_gets_the_same_table(publish):
    """The study grades again only the quarter ends the run did not grade: its grading date and
    the backtest origins are the run's own (all methods kept when the published one is not
    pinned); the table is the one the study makes alone."""
    import dataclasses

    from segment.config import RunConfig
    from segment.governance.study import run_trade_off
    from segment.pipeline import run_pipeline

    config = RunConfig.from_yaml(Path(__file__).resolve().parents[2] / "configs" / "quick_cdnow_sample.yaml")
    config = dataclasses.replace(config, publish=publish)
    lines = []
    result = run_pipeline(config, progress=lines.append)
    reused = _study_lines(lines)
    assert reused == {"1997-03-31": True, "1997-06-30": True, "1997-09-30": True, "1997-12-31": False,
                      "1998-03-31": False, "1998-06-30": False}
    chosen = publish or result.validation.recommended.method
    pd.testing.assert_frame_equal(result.stability_trade_off, run_trade_off(config, chosen))


def test_the_study_grades_again_a_known_grading_it_cannot_use():
    """A known grading lacking one of the study's methods, or made with other parameters than
    the study grades with (a config whose weights differ from the runner's), is graded again."""
    import dataclasses

    from segment.config import RunConfig
    from segment.governance.study import quarter_histories, study_part
    from segment.runner import Runner

    config = RunConfig.from_yaml(Path(__file__).resolve().parents[2] / "configs" / "quick_cdnow_sample.yaml")
    runner = Runner.load(config)
    made = {g.as_of: g for g in runner.gradings(["1997-03-31", "1997-06-30"], keep_features=True)}
    known = {"1997-03-31": study_part(made["1997-03-31"], ["abc_revenue"]),  # lacks weighted
             "1997-06-30": study_part(made["1997-06-30"], ["abc_revenue", "weighted"])}
    lines = []
    runner.say = lines.append
    plain, _ = quarter_histories(config, ["abc_revenue", "weighted"], runner=runner)
    lines.clear()
    reused, _ = quarter_histories(config, ["abc_revenue", "weighted"], runner=runner, known=known)
    assert _study_lines(["stability study", *lines]) == {
        "1997-03-31": False, "1997-06-30": True, "1997-09-30": False, "1997-12-31": False, "1998-03-31": False,
        "1998-06-30": False}
    for m in plain:
        for (_, a), (_, b) in zip(plain[m], reused[m]):
            pd.testing.assert_frame_equal(a, b)
    other = dataclasses.replace(config, methods={**config.methods, "weighted": {"weights": {"monetary_total": 1.0}}})
    lines.clear()
    quarter_histories(other, ["abc_revenue", "weighted"], runner=runner, known=known)
    assert not any(_study_lines(["stability study", *lines]).values())  # other weights: nothing reused


def test_a_published_method_that_cannot_grade_the_first_quarters_is_measured_from_the_next():
    """The supervised benchmark (a 91-day training window) cannot grade 1997-03-31, before the data
    has a window to learn from: the run's study is measured from 1997-06-30 instead of failing the
    run, and says so; with fewer than three quarter ends left there is no table."""
    import dataclasses

    from segment.config import RunConfig
    from segment.governance.study import run_trade_off

    config = RunConfig.from_yaml(Path(__file__).resolve().parents[2] / "configs" / "quick_cdnow_sample.yaml")
    lines = []
    table = run_trade_off(config, "supervised", progress=lines.append)
    assert any(m.startswith("stability study: supervised cannot grade at 1997-03-31; measured from 1997-06-30")
               for m in lines)
    assert list(dict.fromkeys(table["method"])) == ["supervised", "weighted", "abc_revenue"]
    studied = _study_lines(["stability study", *[m for m in lines if "measured from" not in m]])
    assert "1997-06-30" in studied and "1998-06-30" in studied
    assert (table["origins_judged"] == 1).all()  # 1997-09-30 only: the first measured origin is not judged
    # a 400-day window: graded only at 1998-03-31 and 1998-06-30, two quarter ends: nothing to measure
    longer = dataclasses.replace(config, methods={**config.methods, "supervised": {
        **config.methods["supervised"], "training_horizon_days": 400}})
    assert run_trade_off(longer, "supervised") is None
