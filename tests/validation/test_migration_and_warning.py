"""Tier migration (hand-checked) and the early-warning rule."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segment.validation.migration import pair_migration
from segment.validation.warning import early_warning, typical_gap_days, warning_check
from tests.validation.conftest import assignments_from_codes, outcomes_from

PAIR_KEYS = ("origin_from", "origin_to", "method")


def tier_migration(earlier, later, outcomes_after=None):
    """(paths, summary) of one method between two origins, by the backtest's path
    (``pair_migration`` of two gradings), without the origin and method keys."""
    a = SimpleNamespace(as_of="t0", assignments={"m": earlier}, outcomes=None)
    b = SimpleNamespace(as_of="t1", assignments={"m": later}, outcomes=outcomes_after)
    (paths,), (summary,) = pair_migration(a, b)
    assert list(paths.columns[:3]) == ["origin_from", "origin_to", "method"]
    return paths.drop(columns=list(PAIR_KEYS)), {k: v for k, v in summary.items() if k not in PAIR_KEYS}


def test_migration_hand_checked():
    earlier = assignments_from_codes([0, 0, 1, 2, 2], index=["a", "b", "c", "d", "e"])
    later = assignments_from_codes([0, 1, 0, 2, 1], index=["a", "b", "c", "d", "f"])  # e left, f is new
    after = outcomes_from([10, 2, 8, 0, 1], [False, True, False, True, False], index=["a", "b", "c", "d", "f"])
    paths, summary = tier_migration(earlier, later, after)
    p = paths.set_index(["tier_from", "tier_to"])
    assert p.loc[("A", "A"), "direction"] == "stayed" and p.loc[("A", "B"), "direction"] == "down"
    assert p.loc[("B", "A"), "direction"] == "up"
    assert p.loc[("C", "left"), "direction"] == "left" and p.loc[("new", "B"), "direction"] == "entered"
    assert p.loc[("A", "A"), "share_of_tier_from"] == 0.5 and p.loc[("C", "C"), "share_of_tier_from"] == 0.5
    assert p.loc[("A", "B"), "churn_rate_after"] == 1.0 and p.loc[("B", "A"), "profit_per_customer_after"] == 8
    assert np.isnan(p.loc[("C", "left"), "churn_rate_after"])
    assert summary == {"customers_in_both": 4, "stable_share": 0.5, "up_share": 0.25, "down_share": 0.25,
                       "new_customers": 1, "left_customers": 1, "same_tier_labels": True}
    assert list(dict.fromkeys(paths["tier_from"])) == ["A", "B", "C", "new"] and paths["customers"].sum() == 6
    assert p.loc[("A", "A"), "customers"] == 1 and p.loc[("C", "left"), "customers"] == 1


def test_migration_between_different_tier_scales_has_no_direction():
    earlier = assignments_from_codes([0, 1], labels=("A", "B"))
    later = assignments_from_codes([1, 1], labels=("X", "Y"))
    paths, summary = tier_migration(earlier, later)
    assert set(paths["direction"]) == {"changed"} and np.isnan(summary["up_share"])



def _migration_by_labels(earlier, later, after):
    """The plain pandas reading of the definition (labels, groupby): what the migration's
    counting on codes must reproduce."""
    ids = earlier.index.union(later.index)
    f = earlier["tier"].astype(str).reindex(ids).fillna("new")
    t = later["tier"].astype(str).reindex(ids).fillna("left")
    o = after.reindex(ids)
    df = pd.DataFrame({"tier_from": f, "tier_to": t, "churned": o["churned"].astype(float),
                       "profit_outcome": o["profit_outcome"]})
    g = df.groupby(["tier_from", "tier_to"])
    return pd.DataFrame({"customers": g.size(), "churn_rate_after": g["churned"].mean(),
                         "profit_per_customer_after": g["profit_outcome"].mean(),
                         "profit_total_after": g["profit_outcome"].sum(min_count=1)})


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 60), st.integers(1, 60))
def test_migration_counts_equal_the_groupby_definition(seed, n_earlier, n_later):
    rng = np.random.default_rng(seed)
    pool = [f"c{i}" for i in range(80)]
    e_ids = rng.choice(pool, n_earlier, replace=False)
    l_ids = rng.choice(pool, n_later, replace=False)
    earlier = assignments_from_codes(rng.integers(0, 3, n_earlier), index=e_ids)
    later = assignments_from_codes(rng.integers(0, 3, n_later), index=l_ids)
    known = rng.random(n_later) < 0.8  # some later customers have no outcome
    after = outcomes_from(np.round(rng.normal(0, 5, n_later), 2), rng.random(n_later) < 0.3, index=l_ids)[known]
    paths, summary = tier_migration(earlier, later, after)
    expected = _migration_by_labels(earlier, later, after)
    got = paths.set_index(["tier_from", "tier_to"]).loc[expected.index]
    assert len(paths) == len(expected)  # no path twice, none missing, none with 0 customers
    pd.testing.assert_series_equal(got["customers"], expected["customers"].astype("int64"))
    for col in ["churn_rate_after", "profit_per_customer_after", "profit_total_after"]:
        np.testing.assert_allclose(got[col].to_numpy(float), expected[col].to_numpy(float), rtol=1e-12, atol=1e-12)
    order = {"A": 0, "B": 1, "C": 2, "new": 3, "left": 3}
    keys = [(order[a], order[b]) for a, b in zip(paths["tier_from"], paths["tier_to"])]
    assert keys == sorted(keys)  # tier order, best first, new/left last
    assert summary["new_customers"] + summary["left_customers"] + summary["customers_in_both"] == \
        len(earlier.index.union(later.index))


def _features(index, growth, recency, freq, first, last, **attrs):
    f = pd.DataFrame({"growth_trend": growth, "recency_days": recency, "frequency": freq,
                      "first_order_date": pd.to_datetime(first), "last_order_date": pd.to_datetime(last),
                      "monetary_total": 100.0, "profit": [50.0, 40.0, 30.0, 20.0]}, index=pd.Index(index, name="customer_id"))
    f.attrs = {"as_of": "2023-12-31", **attrs}
    return f


def test_early_warning_rule_and_reasons():
    ids = ["a", "b", "c", "d"]
    # a: revenue halved; b: orders every 30 days, silent for 100; c: fine; d: one order only
    f = _features(ids, growth=[-0.6, 0.0, 0.1, 0.0], recency=[10, 100, 20, 300], freq=[5, 5, 5, 1],
                  first=["2023-01-01", "2023-05-15", "2023-01-01", "2023-03-06"],
                  last=["2023-12-21", "2023-09-22", "2023-12-11", "2023-03-06"])
    a = assignments_from_codes([0, 0, 0, 0], index=ids)
    assert typical_gap_days(f)[1] == pytest.approx(130 / 4)
    ew = early_warning(a, f).set_index("customer_id")
    assert list(ew.index) == ["a", "b"]  # most profitable first
    assert ew.loc["a", "reason"] == "falling_revenue" and ew.loc["b", "reason"] == "overdue_for_an_order"
    assert ew.loc["b", "days_past_usual_gap"] == pytest.approx(100 - 32.5)
    # only the top tier is watched
    assert early_warning(assignments_from_codes([1, 0, 0, 0], index=ids), f)["customer_id"].tolist() == ["b"]
    # a stricter rule flags nobody
    assert early_warning(a, f, max_growth=-0.9, gap_multiple=5).empty


def test_typical_gap_with_a_lookback_window():
    f = _features(["a", "b", "c", "d"], growth=0.0, recency=[0, 0, 0, 0], freq=[4, 2, 1, 3],
                  first=["2020-01-01", "2023-10-01", "2020-01-01", "2023-01-01"],
                  last=["2023-12-31", "2023-12-31", "2023-12-31", "2023-12-31"], lookback_months=12)
    gap = typical_gap_days(f)
    assert gap[0] == pytest.approx(365 / 4)  # window starts 2022-12-31: 4 orders over 365 days
    assert gap[1] == pytest.approx(91)  # first order inside the window: (last − first)/(orders − 1)
    assert gap[2] == pytest.approx(365)
    assert gap[3] == pytest.approx(364 / 2)


def test_warning_check_compares_flagged_and_unflagged():
    ids = ["a", "b", "c", "d"]
    f = _features(ids, growth=[-0.6, -0.7, 0.1, 0.2], recency=[1, 1, 1, 1], freq=[5, 5, 5, 5],
                  first="2023-01-01", last="2023-12-30")
    o = outcomes_from([0, 0, 10, 20], [True, True, False, False], index=ids)
    t = warning_check(assignments_from_codes([0, 0, 0, 0], index=ids), f, o).set_index("group")
    assert t.loc["flagged", "customers"] == 2 and t.loc["flagged", "churn_rate_after"] == 1.0
    assert t.loc["not flagged", "profit_per_customer_after"] == 15


def test_warning_check_carries_the_lift_with_newcombes_interval():
    """Newcombe (1998), table II, example (a): 56/70 against 48/80, hybrid score interval
    (method 10) 0.0524 to 0.3339 around 0.2."""
    from segment.validation.metrics import wilson_interval
    from segment.validation.warning import churn_lift, newcombe_difference

    (l1,), (h1,) = wilson_interval(np.array([56]), np.array([70]))
    (l2,), (h2,) = wilson_interval(np.array([48]), np.array([80]))
    d, lo, hi = newcombe_difference(0.8, l1, h1, 0.6, l2, h2)
    assert d == pytest.approx(0.2) and lo == pytest.approx(0.0524, abs=1e-4) and hi == pytest.approx(0.3339, abs=1e-4)
    ids = [f"c{i}" for i in range(8)]
    f = _features(ids[:4], growth=[-0.6, -0.7, 0.1, 0.2], recency=[1, 1, 1, 1], freq=[5, 5, 5, 5],
                  first="2023-01-01", last="2023-12-30")
    o = outcomes_from([0, 0, 10, 20], [True, True, False, False], index=ids[:4])
    t = warning_check(assignments_from_codes([0, 0, 0, 0], index=ids[:4]), f, o)
    lift = churn_lift(t)
    assert (lift.flagged, lift.not_flagged, lift.lift) == (2, 2, 1.0) and lift.ci_low > 0 and lift.clearly_positive
    assert t.loc[1, ["churn_lift", "lift_ci_low", "lift_ci_high"]].isna().all()  # on the flagged row only
    old = t.drop(columns=["churn_lift", "lift_ci_low", "lift_ci_high"])  # a table saved before the columns
    assert churn_lift(old) == lift
    assert churn_lift(t.assign(method="m"), "other") is None


def test_the_follow_up_list_is_capped_and_most_profit_at_risk_first():
    """Per method: profit to date, highest first, ties by customer id, cut to ``follow_up``;
    profit at risk = profit x the flagged group's measured churn."""
    from segment.validation.warning import follow_up_list

    early = pd.DataFrame({"method": ["a", "a", "a", "a", "b", "b"], "customer_id": ["x", "w", "y", "z", "x", "y"],
                          "profit": [5.0, 9.0, 9.0, 1.0, 2.0, 3.0]})
    check = pd.DataFrame({"method": ["a", "a", "b", "b"], "group": ["flagged", "not flagged"] * 2,
                          "customers": [4, 10, 2, 10], "churn_rate_after": [0.5, 0.1, 0.25, 0.2],
                          "churn_ci_low": [0.2, 0.05, 0.1, 0.1], "churn_ci_high": [0.8, 0.2, 0.5, 0.3]})
    out = follow_up_list(early, 3, check=check)
    assert list(zip(out["method"], out["customer_id"])) == [("a", "w"), ("a", "y"), ("a", "x"), ("b", "y"), ("b", "x")]
    assert list(out["follow_up_rank"]) == [1, 2, 3, 1, 2]
    assert list(out["profit_at_risk"]) == [4.5, 4.5, 2.5, 0.75, 0.5]
    one = follow_up_list(early[early["method"] == "a"].drop(columns="method"), 1)
    assert one["customer_id"].tolist() == ["w"] and "profit_at_risk" not in one
    assert follow_up_list(early.iloc[0:0], 5).empty
    with pytest.raises(ValueError, match="at least 1"):
        follow_up_list(early, 0)


def test_stop_rates_measure_churn_per_reason_among_flagged_top_tier_customers():
    from segment.validation.warning import stop_rates

    ids = pd.Index([f"c{i}" for i in range(1, 7)], name="customer_id")
    tier = pd.Categorical(["A", "A", "A", "A", "A", "B"], categories=["A", "B"], ordered=True)
    one, three = pd.Timestamp("1997-01-21"), pd.Timestamp("1997-01-01")
    features = pd.DataFrame({
        "growth_trend": [-0.8, -0.6, 0.0, -0.9, 0.1, -0.9], "recency_days": [5.0, 5, 30, 25, 5, 5],
        "frequency": [1, 1, 3, 3, 1, 1],
        "first_order_date": [one, one, three, three, one, one], "last_order_date": [one] * 6}, index=ids)
    outcomes = pd.DataFrame({"churned": [True, False, True, True, False, True],
                             "profit_outcome": [0.0] * 6}, index=ids)
    rates = stop_rates(pd.DataFrame({"tier": tier}, index=ids), features, outcomes, min_group=2).set_index("reason")
    # c1, c2 falling revenue (one churned); c3 overdue (gap 10 days, 30 days since); c4 both; c5 not flagged; c6 not top
    assert rates["customers"].tolist() == [2, 1, 1, 4]
    assert rates["churn_rate"].tolist() == [0.5, 1.0, 1.0, 0.75]
    assert rates["used"].tolist() == [True, False, False, True]
    assert (rates["churn_ci_low"] <= rates["churn_rate"]).all() and (rates["churn_rate"] <= rates["churn_ci_high"]).all()


def test_the_follow_up_list_ranks_by_profit_x_the_measured_likelihood_of_the_customers_reason():
    from segment.validation.warning import follow_up_list

    early = pd.DataFrame({"method": "a", "customer_id": ["x", "w", "y", "z"],
                          "reason": ["falling_revenue", "overdue_for_an_order", "falling_revenue+overdue_for_an_order",
                                     "overdue_for_an_order"], "profit": [10.0, 6.0, 9.0, 1.0]})
    rates = pd.DataFrame({"method": "a", "reason": ["falling_revenue", "overdue_for_an_order",
                                                    "falling_revenue+overdue_for_an_order", "flagged"],
                          "customers": [40, 50, 5, 95], "churn_rate": [0.2, 0.5, 0.9, 0.4], "used": [True, True, False, True]})
    out = follow_up_list(early, 3, rates=rates)
    # y's group (5 customers) is too small: it takes the flagged rate 0.4 -> 3.6; w 6 x 0.5 = 3; x 10 x 0.2 = 2
    assert out["customer_id"].tolist() == ["y", "w", "x"]
    assert out["stop_likelihood"].tolist() == [0.4, 0.5, 0.2]
    assert out["likelihood_basis"].tolist() == ["flagged", "overdue_for_an_order", "falling_revenue"]
    assert out["profit_at_risk"].tolist() == pytest.approx([3.6, 3.0, 2.0])
    assert out["follow_up_rank"].tolist() == [1, 2, 3]


def _hand_made_orders() -> pd.DataFrame:
    """Three customers' orders around the grading date 2024-06-30 (window of 91 days: after 2024-03-31).
    x: 100 (2024-01-15, before the window), 40 (2024-04-10) and 60 (2024-06-30, the grading date);
    y: 80 (2024-03-31, on the window's start: outside) and 20 (2024-05-01); z: 50 (2023-12-01) only."""
    rows = [("x", "2024-01-15", 100.0), ("x", "2024-04-10", 40.0), ("x", "2024-06-30", 60.0),
            ("y", "2024-03-31", 80.0), ("y", "2024-05-01", 20.0), ("z", "2023-12-01", 50.0),
            ("x", "2024-07-02", 999.0)]  # after the grading date: never counted
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "order_ts": pd.to_datetime([r[1] for r in rows]),
                         "amount": [r[2] for r in rows]})


def test_the_follow_up_list_carries_what_its_customers_made_in_the_window_before():
    """``profit_before`` (segment.outcomes): profit in (H.start(as_of), as_of] by the run's rule, for
    the listed customers only; a customer first seen inside the window counts, one unknown to the
    data made 0; the list gets it as its last column. Against a hand computation."""
    from segment.horizon import as_horizon
    from segment.outcomes import profit_before
    from segment.validation.warning import follow_up_list

    orders, as_of, rule = _hand_made_orders(), "2024-06-30", {"gross_margin": 0.25, "cost_per_order": 2.0}
    assert str(as_horizon(91).start(as_of)) == "2024-03-31"
    got = profit_before(orders, ["y", "x", "z", "nobody"], as_of=as_of, horizon_days=91, **rule)
    # 25 % of the window's revenue minus 2.00 per order in it; y's 80 on 2024-03-31 is outside, x's 999 after
    assert got.to_dict() == pytest.approx({"y": 0.25 * 20 - 2, "x": 0.25 * 100 - 2 * 2, "z": 0.0, "nobody": 0.0})
    new = pd.concat([orders, pd.DataFrame({"customer_id": ["w"], "order_ts": pd.to_datetime(["2024-05-02"]),
                                           "amount": [12.0]})], ignore_index=True)
    assert profit_before(new, ["w"], as_of=as_of, horizon_days=91, **rule).to_dict() == {"w": 0.25 * 12 - 2}
    calls = []

    def measured(ids):
        calls.append(sorted(ids))
        return profit_before(orders, ids, as_of=as_of, horizon_days=91, **rule)

    early = pd.DataFrame({"customer_id": ["y", "x", "z"], "profit": [30.0, 20.0, 10.0]})
    out = follow_up_list(early, 2, profit_before=measured)
    assert calls == [["x", "y"]]  # the cap first: only the listed customers are measured
    assert list(out.columns)[-1] == "profit_before"
    assert out.set_index("customer_id")["profit_before"].to_dict() == pytest.approx({"y": 3.0, "x": 21.0})
    with pytest.raises(KeyError, match="not given for 1 listed customers, e.g. 'z'"):
        follow_up_list(early, 3, profit_before=lambda ids: got.drop("z"))  # never a silent 0
    empty = follow_up_list(early.iloc[0:0], 3, profit_before=measured)
    assert empty.empty and "profit_before" in empty.columns
    assert "profit_before" not in follow_up_list(early, 3)  # not measured: no column
