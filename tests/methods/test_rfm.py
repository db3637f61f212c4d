"""RFMGrading: scores and their tie rule, the reported score range, the rule tables."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

from segment.methods.rfm import (
    DEFAULT_SEGMENT_RULES,
    DEFAULT_TIER_MAP,
    RFMGrading,
    ScoreRangeWarning,
    segment_cube,
)


def table(recency, frequency, monetary, ids=None) -> pd.DataFrame:
    n = len(recency)
    ids = ids or [f"c{i:03d}" for i in range(n)]
    return pd.DataFrame(
        {"recency_days": np.asarray(recency, dtype=float), "frequency": np.asarray(frequency, dtype=np.int64),
         "monetary_total": np.asarray(monetary, dtype=float), "tenure_days": 500.0},
        index=pd.Index(ids, name="customer_id"),
    )


def fit_quietly(m: RFMGrading, f: pd.DataFrame) -> RFMGrading:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScoreRangeWarning)
        return m.fit(f)


def test_every_rfm_cell_maps_to_exactly_one_segment():
    cube, names = segment_cube(DEFAULT_SEGMENT_RULES, 5)
    cells = list(itertools.product(range(1, 6), repeat=3))
    assert len(cells) == 125
    assert all(0 <= cube[c] < len(names) for c in cells)
    # and each cell's segment is the one rule that matches it, found by brute force
    for r, f, m in cells:
        fm = -(-(f + m) // 2)
        hits = [rule["segment"] for rule in DEFAULT_SEGMENT_RULES
                if rule["r"][0] <= r <= rule["r"][1] and rule["fm"][0] <= fm <= rule["fm"][1]]
        assert hits == [names[cube[r, f, m]]]
    assert set(DEFAULT_TIER_MAP) == set(names)


def test_rule_tables_with_holes_or_overlaps_are_rejected():
    with pytest.raises(ValueError, match="match no rule"):
        segment_cube(DEFAULT_SEGMENT_RULES[:-1], 5)
    with pytest.raises(ValueError, match="several rules"):
        segment_cube(DEFAULT_SEGMENT_RULES + ({"segment": "dup", "r": (1, 1), "fm": (1, 1)},), 5)
    with pytest.raises(ValueError, match="outside 1..3"):
        RFMGrading(n_bins=3).fit(table([1, 2, 3], [1, 2, 3], [1, 2, 3]))
    with pytest.raises(ValueError, match="unknown keys"):
        segment_cube(({"segment": "x", "q": (1, 5)},), 5)


def test_rules_may_be_a_dataframe_use_r_f_m_and_share_names():
    rules = pd.DataFrame(
        [
            {"segment": "best", "r": (3, 3), "f": (3, 3), "m": (3, 3)},
            {"segment": "recent", "r": (2, 3), "f": None, "m": None},  # any f, m (except the cell above)
            {"segment": "old", "r": (1, 1)},
        ]
    )
    with pytest.raises(ValueError, match="several rules"):
        segment_cube(rules, 3)
    rules = pd.DataFrame([
        {"segment": "best", "r": (3, 3), "f": (3, 3), "m": (3, 3)},
        {"segment": "recent", "r": (3, 3), "f": (1, 2)},
        {"segment": "recent", "r": (3, 3), "f": (3, 3), "m": (1, 2)},
        {"segment": "older", "r": (1, 2)},
    ])
    cube, names = segment_cube(rules, 3)
    assert names == ["best", "recent", "older"]
    assert names[cube[3, 3, 3]] == "best" and names[cube[3, 3, 1]] == "recent" and names[cube[2, 3, 3]] == "older"
    m = RFMGrading(n_bins=3, segment_rules=rules, tier_map={"best": "A", "recent": "B", "older": "C"})
    m.fit(table(np.arange(1, 10), np.arange(1, 10), np.arange(1, 10)))  # edges: 3rd and 6th values
    new = table([1, 1, 9], [9, 1, 9], [9, 9, 9], ids=["a", "b", "c"])
    assert m.scores(new)["segment"].astype(str).tolist() == ["best", "recent", "older"]
    assert m.assign(new)["tier"].astype(str).tolist() == ["A", "B", "C"]


def test_distinct_values_fill_each_score_equally():
    n = 100
    rng = np.random.default_rng(0)
    f = table(rng.permutation(n), rng.permutation(n) + 1, rng.permutation(n) * 10.0)
    m = RFMGrading().fit(f)
    s = m.scores(f)
    for dim in "rfm":
        assert s[dim].value_counts().sort_index().tolist() == [20] * 5
    assert m.n_distinct_scores_ == {"r": 5, "f": 5, "m": 5}
    # recency: fewer days since the last order is better
    assert s.loc[f["recency_days"].idxmin(), "r"] == 5 and s.loc[f["recency_days"].idxmax(), "r"] == 1


def test_equal_values_get_equal_scores_whatever_the_row_order(features):
    m = fit_quietly(RFMGrading(), features)
    s = m.scores(features)
    for dim, col in (("r", "recency_days"), ("f", "frequency"), ("m", "monetary_total")):
        assert (s.groupby(features[col])[dim].nunique() == 1).all()
        # and a higher value never gets a lower score
        ordered = s[dim].to_numpy()[np.argsort(features[col].to_numpy() * (-1 if dim == "r" else 1), kind="stable")]
        assert (np.diff(ordered) >= 0).all()
    shuffled = features.sample(frac=1, random_state=5)
    pd.testing.assert_frame_equal(fit_quietly(RFMGrading(), shuffled).scores(features), s)


def test_mostly_one_time_buyers_are_reported_not_crashed_or_hidden():
    rng = np.random.default_rng(1)
    n = 1000
    freq = np.where(rng.random(n) < 0.7, 1, rng.integers(2, 4, n))
    f = table(rng.integers(0, 365, n), freq, rng.gamma(2, 50, n))
    with pytest.warns(ScoreRangeWarning, match="frequency got only 3 distinct F score"):
        m = RFMGrading().fit(f)
    assert m.n_distinct_scores_ == {"r": 5, "f": 3, "m": 5}
    s = m.scores(f)
    assert (s.loc[freq == 1, "f"] == 1).all()  # one-time buyers: the lowest F score
    assert sorted(s["f"].unique()) == [1, 2, 3]
    assert set(s["segment"]) <= set(DEFAULT_TIER_MAP)


def test_frequency_zero_in_a_windowed_table():
    f = table([10, 200, 400, 30], [0, 0, 3, 5], [0, 0, 90, 300])
    m = fit_quietly(RFMGrading(), f)
    s = m.scores(f)
    assert s.loc["c000", "f"] == s.loc["c001", "f"] == 1 and s.loc["c003", "f"] > s.loc["c002", "f"]


def test_scores_table_and_combined_score():
    f = table([5, 50, 500, 5], [9, 3, 1, 9], [900, 300, 10, 900])
    m = fit_quietly(RFMGrading(), f)
    s = m.scores(f)
    assert list(s.columns) == ["r", "f", "m", "fm", "segment", "rfm_score"]
    assert (s["fm"] == (s["f"] + s["m"] + 1) // 2).all()
    out = m.assign(f)
    np.testing.assert_array_equal(out["score"].to_numpy(), (s["r"] + s["f"] + s["m"]).to_numpy())
    assert out["tier"].astype(str).tolist() == [DEFAULT_TIER_MAP[x] for x in s["segment"]]
    table_ = m.segment_table()
    assert list(table_["segment"]) == [r["segment"] for r in DEFAULT_SEGMENT_RULES]
    assert table_["tier"].notna().all()


def test_edges_are_learned_and_applied_to_another_table():
    f = table(np.arange(100), np.arange(1, 101), np.arange(100) * 1.0)
    m = RFMGrading().fit(f)
    new = table([0, 1000, 50], [1000, 1, 50], [1e6, -5, 49.5], ids=["a", "b", "c"])
    s = m.scores(new)
    assert s.loc["a", ["r", "f", "m"]].tolist() == [5, 5, 5]
    assert s.loc["b", ["r", "f", "m"]].tolist() == [1, 1, 1]


def test_tier_map_must_cover_every_segment():
    f = table([1, 2, 3], [1, 2, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="unmapped segments \\['Lost'\\]"):
        RFMGrading(tier_map={k: v for k, v in DEFAULT_TIER_MAP.items() if k != "Lost"}).fit(f)
    with pytest.raises(ValueError, match="unknown tiers"):
        RFMGrading(tier_map={**DEFAULT_TIER_MAP, "Lost": "Z"}).fit(f)


def test_degenerate_inputs():
    with pytest.warns(ScoreRangeWarning):
        out = RFMGrading().fit_assign(table([3] * 4, [2] * 4, [10.0] * 4))
    assert set(out["tier"].astype(str)) == {"C"} and set(out["score"]) == {3.0}  # (1, 1, 1): Lost
    with pytest.raises(ValueError, match="missing"):
        fit_quietly(RFMGrading(), table([3, np.nan], [1, 1], [1, 1]))


def test_learned_rules_state_the_learned_edges():
    f = table(np.arange(100), np.arange(1, 101), np.arange(100) * 1.0)
    m = RFMGrading().fit(f)
    assert m.edges_["r"].tolist() == [-80, -60, -40, -20] and m.edges_["m"].tolist() == [19, 39, 59, 79]
    r, f_, money, *tiers = m.learned_rules()
    assert r == "R score (days since the last order): 5 if under 20, 4 if under 40, 3 if under 60, 2 if under 80, otherwise 1"
    assert f_ == "F score (orders): 1 if at most 20, 2 if at most 40, 3 if at most 60, 4 if at most 80, otherwise 5"
    assert money == ("M score (revenue): 1 if at most 19.00, 2 if at most 39.00, 3 if at most 59.00, "
                     "4 if at most 79.00, otherwise 5")
    assert tiers == ["A: segments Champions, Loyal",
                     "B: segments At risk, Potential loyalists, Need attention, New or promising",
                     "C: segments Hibernating, About to sleep, Lost"]
    same = fit_quietly(RFMGrading(), table([5] * 4, [1] * 4, [9.5] * 4))
    assert same.learned_rules()[0] == "R score (days since the last order): 2 if under 5, otherwise 1"  # edge = the value
