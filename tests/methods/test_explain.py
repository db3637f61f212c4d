"""Why each customer is in its tier (``GradingMethod.explain``), method by method, on small
hand-made tables whose sentences are written out by hand; textbook scenario 3 through the
public API (features built by the package from the scenario's transactions)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from segment.methods.base import (TIE_WORDS, codes_from_thresholds, feature_phrase, number, signed_money, texts,
                                  threshold_reasons)
from segment.methods.bgnbd import BGNBDGrading
from segment.methods.cluster import ClusterGrading
from segment.methods.kaism import KAISMMatrix
from segment.methods.lifecycle import LifecycleStatus
from segment.methods.pareto import ParetoABC
from segment.methods.pyramid import CustomerPyramid
from segment.methods.rfm import RFMGrading
from segment.methods.supervised import SupervisedProfitRanker
from segment.methods.weighted import WeightedScore
from tests.methods.conftest import make_feature_table


def table(columns: dict[str, list], ids: list[str] | None = None) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    f = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()},
                     index=pd.Index(ids or [f"c{i:02d}" for i in range(n)], name="customer_id"))
    if "tenure_days" not in f:
        f["tenure_days"] = 400.0
    return f


# ------------------------------------------------------------------ the helpers
def test_numbers_and_phrases_in_words():
    assert number(-0.001) == "0.00" and number(1234.5) == "1,234.50" and number(2.5, 0) == "2"
    assert signed_money(40.123) == "+40.12" and signed_money(-12) == "-12.00" and signed_money(0.001) == "0.00"
    assert feature_phrase("recency_days", 35) == "last order 35 days ago"
    assert feature_phrase("recency_days", 1) == "last order 1 day ago"
    assert feature_phrase("recency_days", 0) == "last order today"
    assert feature_phrase("frequency", 1) == "1 order" and feature_phrase("frequency", 2.7) == "2.7 orders"
    assert feature_phrase("monetary_total", 1200) == "revenue 1,200.00"
    assert feature_phrase("mean_days_late", 0) == "pays on time"
    assert feature_phrase("mean_days_late", 180) == "pays 180 days (about 6 months) late on average"
    assert feature_phrase("mean_days_late", 12.4) == "pays 12 days late on average"
    assert feature_phrase("mean_days_late", np.nan) == "no invoice due yet"
    assert feature_phrase("late_payment_share", 0.25) == "pays 25 % of invoices late"
    assert feature_phrase("overdue_amount", 0) == "nothing overdue"
    assert feature_phrase("profit", np.nan) == "profit unknown"
    assert feature_phrase("growth_trend", -0.0001) == "growth trend 0.00"


def test_texts_formats_each_distinct_value_once_and_keeps_row_order():
    calls = []

    def show(v):
        calls.append(v)
        return "missing" if np.isnan(v) else f"<{v:g}>"

    out = texts(np.array([2.0, 1.0, 2.0, np.nan, -0.0, 0.0]), show).to_pylist()
    assert out == ["<2>", "<1>", "<2>", "missing", "<0>", "<0>"]
    assert len(calls) == 4  # 2, 1, 0 and the missing value: once each


def test_the_cut_sentence_follows_codes_from_thresholds_ties_included():
    """A value equal to a cut is at or above it (codes_from_thresholds: equal is not below), and
    the sentence says so."""
    thresholds = np.array([10.0, 5.0])
    v = np.array([12.0, 10.0, 7.0, 5.0, 1.0])
    codes = codes_from_thresholds(v, thresholds)
    assert codes.tolist() == [0, 0, 1, 1, 2]
    out = threshold_reasons(("A", "B", "C"), thresholds, codes, v, "x", number).to_pylist()
    assert out == ["A: x 12.00, at or above A's cut 10.00",
                   "A: x 10.00, at or above A's cut 10.00" + TIE_WORDS,
                   "B: x 7.00, below A's cut 10.00 and at or above B's cut 5.00",
                   "B: x 5.00, below A's cut 10.00 and at or above B's cut 5.00" + TIE_WORDS,
                   "C: x 1.00, below B's cut 5.00"]


# ------------------------------------------------------------------ ABC and pyramid
def test_abc_says_the_value_against_the_cuts_with_ties_and_losses():
    # total of positives 205: 100, 50, 30 (share before 73 %: A), 10 and 10 (B, tied), 5 and 0 (C), -5 (loss)
    f = table({"monetary_total": [100, 50, 30, 10, 10, 5, 0, -5]}, ids=list("abcdefgh"))
    m = ParetoABC(basis="revenue").fit(f)
    assert m.thresholds_.tolist() == [30.0, 10.0]
    r = m.explain(f)
    assert r["a"] == "A: revenue 100.00, at or above A's cut 30.00"
    assert r["c"] == "A: revenue 30.00, at or above A's cut 30.00" + TIE_WORDS
    assert r["d"] == r["e"] == "B: revenue 10.00, below A's cut 30.00 and at or above B's cut 10.00" + TIE_WORDS
    assert r["f"] == "C: revenue 5.00, below B's cut 10.00 and at or above break-even 0.00"
    assert r["h"] == "loss: revenue -5.00, below break-even 0.00"
    assert list(m.assign(f)["tier"].astype(str)) == [s.split(":")[0] for s in r]


def test_abc_with_no_positive_value_mentions_no_cut_nobody_reaches():
    f = table({"profit": [0, 0, -3]}, ids=list("abc"))
    with pytest.warns(RuntimeWarning, match="no customer has a positive"):
        m = ParetoABC(basis="profit").fit(f)
    assert m.explain(f).tolist() == ["C: profit 0.00, at or above break-even 0.00" + TIE_WORDS] * 2 + [
        "loss: profit -3.00, below break-even 0.00"]


def test_pyramid_says_the_value_against_its_level_cuts():
    f = table({"profit": [900, 500, 500, 200, 100, 50, 20, 10, 5, -40]}, ids=[f"p{i}" for i in range(10)])
    m = CustomerPyramid(cut_shares=(0.1, 0.3, 0.6)).fit(f)
    assert m.thresholds_.tolist() == [900.0, 500.0, 50.0]
    r = m.explain(f)
    assert r["p0"] == "important: profit 900.00, at or above important's cut 900.00" + TIE_WORDS
    assert r["p1"] == r["p2"] == ("secondary: profit 500.00, below important's cut 900.00 and at or above "
                                  "secondary's cut 500.00" + TIE_WORDS)
    assert r["p3"] == "ordinary: profit 200.00, below secondary's cut 500.00 and at or above ordinary's cut 50.00"
    assert r["p9"] == "small: profit -40.00, below ordinary's cut 50.00"


# ------------------------------------------------------------------ RFM
def test_rfm_names_the_cell_and_each_scores_range():
    f = table({"recency_days": [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
               "frequency": [1, 2, 7, 3, 4, 5, 6, 8, 9, 10],
               "monetary_total": [100, 200, 500, 300, 400, 600, 700, 800, 900, 1000]})
    m = RFMGrading().fit(f)
    # quintile edges of 10 distinct values are the 2nd, 4th, 6th and 8th
    assert m.edges_["f"].tolist() == [2, 4, 6, 8] and m.edges_["r"].tolist() == [-90, -70, -50, -30]
    r = m.explain(f)
    assert r["c02"] == ("A (Champions), R4 F4 M3: last order 30 days ago (R4: 30–49 days), 7 orders (F4: 7–8), "
                        "revenue 500.00 (M3: above 400.00, up to 600.00)")
    assert r["c00"] == ("B (New or promising), R5 F1 M1: last order 10 days ago (R5: under 30 days), 1 order "
                        "(F1: at most 2), revenue 100.00 (M1: up to 200.00)")
    assert r["c09"] == ("B (At risk), R1 F5 M5: last order 100 days ago (R1: 90 days or more), 10 orders "
                        "(F5: 9 or more), revenue 1,000.00 (M5: above 800.00)")
    s = m.scores(f)
    assert [s.loc[c, d] for c in ("c02", "c00", "c09") for d in "rfm"] == [4, 4, 3, 5, 1, 1, 1, 5, 5]


# ------------------------------------------------------------------ weighted and KAISM
def test_scenario_3_the_reasons_say_q_outranks_p_because_p_pays_six_months_late():
    """DOMAIN.md scenario 3 end to end: features built by the package from the transactions,
    a credit-weighted configuration, and the two sentences a sales rep reads."""
    from segment.features import build_features
    from tests.helpers import scenarios

    s = scenarios.revenue_vs_credit()
    f = build_features(s.transactions, as_of=s.as_of)
    m = WeightedScore(weights={"monetary_total": 0.4, "mean_days_late": 0.6}, tier_shares=(0.5,),
                      tier_labels=("A", "B")).fit(f)
    out = m.assign(f)
    assert list(out.sort_values("score", ascending=False).index) == s.expected["credit_weighted_order"]
    why = m.explain(f, out)
    # two customers, mid-rank percentiles: P revenue 0.75, days late 0.25; Q the other way round
    assert why["P"] == ("B: score 0.450, below A's cut 0.550; revenue 10,000,000.00 contributes 0.30 (weight 0.40), "
                        "pays 180 days (about 6 months) late on average 0.15 (weight 0.60); held back most by: pays "
                        "180 days (about 6 months) late on average, which lowers the score by 0.45")
    assert why["Q"].startswith("A: score 0.550, at or above A's cut 0.550" + TIE_WORDS + "; pays on time contributes "
                               "0.45 (weight 0.60), revenue 8,000,000.00 0.10 (weight 0.40)")


def test_weighted_names_the_two_largest_contributions_and_the_largest_shortfall():
    rng = np.random.default_rng(5)
    f = make_feature_table(200, random_state=5)
    m = WeightedScore(weights={"monetary_total": 0.5, "recency_days": 0.3, "profit": 0.2}).fit(f)
    c = m.contributions(f)
    why = m.explain(f)
    for cid in rng.choice(f.index.to_numpy(), 20, replace=False):
        top = c.loc[cid].sort_values(ascending=False, kind="stable").index[:2]
        phrases = {col: feature_phrase(col, f.loc[cid, col]) for col in c.columns}
        a, b = top
        assert (f"; {phrases[a]} contributes {number(c.loc[cid, a])} (weight {number(m.weights_[a])}), "
                f"{phrases[b]} {number(c.loc[cid, b])} (weight {number(m.weights_[b])})") in why[cid]
        short = pd.Series({col: m.weights_[col] - c.loc[cid, col] for col in c.columns})
        worst = short.idxmax()
        assert why[cid].endswith(f"; held back most by: {phrases[worst]}, which lowers the score by "
                                 f"{number(short[worst])}")


def test_weighted_names_an_indicator_of_several_columns_with_each_value():
    f = table({"monetary_total": [10, 20], "mean_days_late": [30, np.nan], "late_payment_share": [0.5, np.nan],
               "overdue_amount": [100, 0]}, ids=["late", "new"])
    m = WeightedScore(weights={"credit_status": 1.0}, tier_shares=(0.5,), tier_labels=("A", "B")).fit(f)
    why = m.explain(f)
    assert "credit status (pays 30 days late on average, pays 50 % of invoices late, 100.00 overdue)" in why["late"]
    assert "credit status (no invoice due yet, no invoice due yet, nothing overdue)" in why["new"]


def test_kaism_says_each_axis_against_its_split_and_its_largest_contribution():
    f = table({"growth_trend": [0.5, 0.1, -0.2, 0.3], "monetary_total": [400, 100, 50, 300],
               "frequency": [5, 1, 2, 1], "recency_days": [10, 300, 20, 200]}, ids=list("kdmo"))
    m = KAISMMatrix(position={"frequency": 0.5, "recency_days": 0.5}).fit(f)
    out, why = m.assign(f), m.explain(f)
    axes = m.axis_values(f)
    for cid in f.index:
        tier = str(out.loc[cid, "tier"])
        a, p = axes.loc[cid]
        level = {True: "high (at or above its split", False: "low (below its split"}
        assert why[cid].startswith(f"{tier}: attractiveness {number(a, 3)}, {level[a >= m.split_['attractiveness']]} "
                                   f"{number(m.split_['attractiveness'], 3)}), most from ")
        assert f"; position {number(p, 3)}, {level[p >= m.split_['position']]} {number(m.split_['position'], 3)})" \
            in why[cid]
    # k: growth +0.5 and revenue 400 are both the top percentile (0.875 x 0.5): a tie names the first in the axis
    assert "most from growth trend +0.50, contributing 0.44 (weight 0.50)" in why["k"]
    assert "most from 5 orders, contributing 0.44 (weight 0.50)" in why["k"]


# ------------------------------------------------------------------ k-means, lifecycle, BG/NBD
def test_kmeans_gives_the_profile_of_the_customers_cluster():
    f = make_feature_table(300, random_state=3)
    m = ClusterGrading(n_clusters=3, random_state=0).fit(f)
    out, why = m.assign(f), m.explain(f)
    words = m.cluster_profiles_in_words()
    assert (why == out["tier"].cat.codes.map(dict(enumerate(words)))).all()
    a = m.profiles_.loc["A"]
    assert words[0] == (f"A: cluster 1 of 3 by mean profit, best first; its customers on average: last order "
                        f"{number(a['recency_days'], 0)} days ago, {number(a['frequency'], 1)} orders, revenue "
                        f"{number(a['monetary_total'])}, profit {number(a['profit'])}")


def test_lifecycle_says_the_rule_that_fired_with_the_customers_days():
    f = table({"recency_days": [10, 90, 91, 180, 181], "tenure_days": [40, 400, 400, 182, 900]},
              ids=["new", "active", "lapsing", "lapsing_edge", "lost"])
    why = LifecycleStatus().fit(f).explain(f)
    assert why.to_dict() == {
        "new": "new: first order 40 days ago (less than 182 days ago), last order 10 days ago",
        "active": "active: last order 90 days ago (at most 90 days ago), first order 400 days ago (not new: 182 days "
                  "ago or more)",
        "lapsing": "lapsing: last order 91 days ago (more than 90 and at most 180 days ago), first order 400 days ago "
                   "(not new: 182 days ago or more)",
        "lapsing_edge": "lapsing: last order 180 days ago (more than 90 and at most 180 days ago), first order 182 "
                        "days ago (not new: 182 days ago or more)",
        "lost": "lost: last order 181 days ago (more than 180 days ago), first order 900 days ago (not new: 182 days "
                "ago or more)",
    }


def test_bgnbd_says_expected_purchases_spend_and_the_chance_of_being_active():
    f = make_feature_table(400, random_state=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        m = BGNBDGrading(horizon_days=182).fit(f)
    ev, why = m.expected_value(f), m.explain(f)
    for cid in f.index[:25]:
        e = ev.loc[cid]
        n = ("almost no purchase" if e["expected_purchases"] < 0.05
             else f"{number(e['expected_purchases'], 1)} purchases")
        assert why[cid].endswith(f"; expects {n} in that time, about {number(e['expected_spend'])} each; "
                                 f"{number(100 * e['prob_alive'], 0)} % likely still active")
        assert f"expected revenue in the next 182 days {number(e['expected_value'])}" in why[cid]


# ------------------------------------------------------------------ supervised
@pytest.fixture(scope="module")
def driven():
    """Profit is 10 x orders in the training data; noise is unrelated to it."""
    def frame(n, seed):
        r = np.random.default_rng(seed)
        return table({"frequency": r.integers(1, 20, n), "noise": r.normal(size=n)},
                     ids=[f"s{seed}_{i:03d}" for i in range(n)])

    train = frame(400, 1)
    m = SupervisedProfitRanker(max_iter=60, random_state=0)
    m.set_training(train, 10.0 * train["frequency"], outcome_end="2020-01-01")
    graded = frame(60, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # hand-made tables carry no as-of date
        m.fit(graded)
    return m, graded


def test_supervised_effects_are_the_change_when_one_input_is_set_to_the_training_median(driven):
    m, f = driven
    assert m.reference_values_[m.columns_.index("frequency")] == np.median(m._train[0]["frequency"])
    effects = m.input_effects(f)
    assert [m.columns_[k] for k in m.explained_inputs()] == ["frequency", "noise"]  # tenure: never split on
    for k in m.explained_inputs():  # customers left out as unchangeable are indeed unchanged
        typical = f.assign(**{m.columns_[k]: m.reference_values_[k]})
        np.testing.assert_allclose(effects[m.columns_[k]], m.predict_profit(f) - m.predict_profit(typical), atol=1e-9)
    assert (effects["tenure_days"] == 0).all()
    # orders drive the prediction: their effect dwarfs the noise's
    assert effects["frequency"].abs().mean() > 20 * effects["noise"].abs().mean()


def test_supervised_names_the_input_that_raises_or_lowers_the_prediction_most(driven):
    m, f = driven
    why, effects = m.explain(f), m.input_effects(f)
    typical = number(m.reference_values_[m.columns_.index("frequency")], 0)
    many = f.index[f["frequency"] >= 17][0]
    few = f.index[f["frequency"] <= 3][0]
    raised = f"; raised most by {number(f.loc[many, 'frequency'], 0)} orders (typical: {typical} orders): " \
             f"{signed_money(effects.loc[many, 'frequency'])}"
    assert raised in why[many] and effects.loc[many, "frequency"] > 50
    lowered = f"; lowered most by {number(f.loc[few, 'frequency'], 0)} orders (typical: {typical} orders): " \
              f"{signed_money(effects.loc[few, 'frequency'])}"
    assert lowered in why[few] and effects.loc[few, "frequency"] < -50
    assert re.match(r"^[ABC]: predicted profit [\d,]+\.\d\d, ", why[few])


def test_supervised_what_if_on_a_realistic_table_matches_predicting_every_customer(make, features):
    m = make("supervised").fit(features)
    effects = m.input_effects(features)
    tried = m.explained_inputs()
    assert 1 <= len(tried) <= 3
    for k in tried:
        typical = features.assign(**{m.columns_[k]: m.reference_values_[k]})
        np.testing.assert_allclose(effects[m.columns_[k]], m.predict_profit(features) - m.predict_profit(typical),
                                   atol=1e-9)
    untried = [c for k, c in enumerate(m.columns_) if k not in tried]
    assert (effects[untried] == 0).all().all()


def test_a_value_the_decimals_round_up_to_the_cut_above_says_it_is_below_before_rounding():
    """Profit -0.0025 is shown as 0.00 (never -0.00) but lies below break-even 0.00: the reason says
    so, instead of "0.00, below break-even 0.00" alone; 9.996 shown as 10.00 below A's cut 10.00 too."""
    from segment.methods.base import ROUNDED_WORDS

    thresholds = np.array([10.0, 0.0])
    v = np.array([9.996, 9.994, 0.0, -0.0025, -0.01])
    codes = codes_from_thresholds(v, thresholds)
    assert codes.tolist() == [1, 1, 1, 2, 2]
    out = threshold_reasons(("A", "B", "loss"), thresholds, codes, v, "profit", number,
                            cut_names=("A's cut", "break-even")).to_pylist()
    assert out == ["B: profit 10.00, below A's cut 10.00 and at or above break-even 0.00" + ROUNDED_WORDS,
                   "B: profit 9.99, below A's cut 10.00 and at or above break-even 0.00",
                   "B: profit 0.00, below A's cut 10.00 and at or above break-even 0.00" + TIE_WORDS,
                   "loss: profit 0.00, below break-even 0.00" + ROUNDED_WORDS,
                   "loss: profit -0.01, below break-even 0.00"]


# ------------------------------------------------------------------ speed without changing a word
def test_decimal_texts_writes_what_number_writes():
    """The byte-matrix formatter against Python's formatting: signs, -0, rounding up to a new group
    of three digits, values next to a half (Python formats those), huge and undefined values."""
    from segment.methods.base import decimal_texts

    r = np.random.default_rng(3)
    values = np.concatenate([
        r.lognormal(3, 4, 3000) * r.choice([-1, 1], 3000), r.normal(0, 1, 3000), np.round(r.uniform(-1e4, 1e4, 3000), 2),
        10.0 ** r.uniform(-3, 17, 3000) * r.choice([-1, 1], 3000),
        [0.0, -0.0, 0.004, -0.004, 0.005, -0.005, 0.125, 2.5, -2.5, 999.995, 999.9999, 999_999.996, 1e15, -1e15, 1e17,
         2.0 ** 52 / 100, np.nan, np.inf, -np.inf]])
    for places in (0, 1, 2, 3, 5):
        expected = [number(v, places) if np.isfinite(v) else None for v in values]
        assert decimal_texts(values, places).to_pylist() == expected, places
    assert decimal_texts(np.array([]), 2).to_pylist() == []


def test_repeated_rows_groups_equal_rows_only_when_it_can_pay(monkeypatch):
    from segment.methods import base

    f = table({"monetary_total": [5.0, 0.0, 5.0, -0.0, 5.0, 7.0, 5.0, 5.0, 5.0, 5.0]})
    codes, score = np.zeros(10, dtype=np.int64), f["monetary_total"].to_numpy()
    assert base.repeated_rows(f, codes, score) is None  # a small table: row by row
    monkeypatch.setattr(base, "REPEATS_MIN_ROWS", 1)
    group, first = base.repeated_rows(f, codes, score)
    assert group.tolist() == [0, 1, 0, 2, 0, 3, 0, 0, 0, 0] and first.tolist() == [0, 1, 3, 5]  # -0.0 is not 0.0
    group, _ = base.repeated_rows(f, np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0]), score)  # another tier: another group
    assert group.tolist() == [0, 1, 2, 3, 0, 4, 0, 0, 0, 0]
    distinct = table({"monetary_total": np.arange(10.0)})
    assert base.repeated_rows(distinct, np.zeros(10, dtype=np.int64), np.arange(10.0)) is None  # nothing repeats


@pytest.mark.parametrize("name", ["abc_revenue", "abc_profit", "pyramid", "rfm", "weighted", "kaism", "lifecycle",
                                  "supervised", "bgnbd"])
def test_reasons_per_distinct_row_are_the_reasons_row_by_row(name, make, features, monkeypatch):
    """A table whose rows repeat (each customer three times, under new ids, shuffled) is explained
    once per distinct row; every reason is the one explaining each row gives."""
    from segment.methods import base

    m = make(name).fit(features)
    assert type(m).explain_distinct_rows
    r = np.random.default_rng(0)
    rows = r.permutation(np.repeat(np.arange(len(features)), 3))
    big = features.iloc[rows].copy()
    big.index = pd.Index([f"r{i:05d}" for i in range(len(big))], name=features.index.name)
    assigned = m.assign(big)
    row_by_row = m.explain(big, assigned)
    monkeypatch.setattr(base, "REPEATS_MIN_ROWS", 1)
    assert base.repeated_rows(big, assigned["tier"].cat.codes.to_numpy(), assigned["score"].to_numpy()) is not None
    once = m.explain(big, assigned)
    assert once.dtype == row_by_row.dtype and once.index.equals(row_by_row.index)
    assert once.tolist() == row_by_row.tolist()


def test_supervised_effects_per_tree_path_are_exactly_the_predictions_of_every_customer(make, features):
    """Customers grouped by the trees' paths are predicted once per group: to the last bit the
    same as predicting every customer with the typical value."""
    m = make("supervised").fit(features)
    big = features.iloc[np.arange(len(features)).repeat(2)]
    big = big.set_axis(pd.Index([f"d{i}" for i in range(len(big))], name=features.index.name))
    effects = m.input_effects(big)
    for k in m.explained_inputs():
        typical = big.assign(**{m.columns_[k]: m.reference_values_[k]})
        direct = m.predict_profit(big).to_numpy() - m.predict_profit(typical).to_numpy()
        np.testing.assert_array_equal(effects[m.columns_[k]].to_numpy(), direct)
