"""DOMAIN.md's three textbook scenarios (acceptance tests): first on hand-built feature
tables, then end to end from transactions through the feature builder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.methods.pareto import ParetoABC
from segment.methods.pyramid import CustomerPyramid
from segment.methods.weighted import WeightedScore

M = 1e6  # amounts in millions, as the textbook gives them


def hand_table(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    f = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    f.index.name = "customer_id"
    f["tenure_days"] = 720.0
    return f


def rank(assignments: pd.DataFrame, customer: str) -> int:
    """The customer's tier position (0 = best tier)."""
    return int(assignments["tier"].cat.codes[customer])


# ------------------------------------------------------------------ scenario 1
@pytest.mark.parametrize("layout", ["equal", "varied"])
def test_1_the_18_customers_making_80_of_100_million_are_exactly_class_a(layout):
    rng = np.random.default_rng(18)
    if layout == "equal":
        top, rest = np.full(18, 80 * M / 18), np.full(82, 20 * M / 82)
    else:  # different amounts, each of the 18 larger than any of the 82; sums 80 M and 20 M
        top = rng.uniform(3.5, 5.5, 18)
        top = top / top.sum() * 80 * M
        rest = rng.uniform(0.1, 0.4, 82)
        rest = rest / rest.sum() * 20 * M
    ids = [f"K{i:03d}" for i in rng.permutation(100)]  # the 18 are scattered over the id range
    f = hand_table({cid: {"monetary_total": v} for cid, v in zip(ids, np.concatenate([top, rest]))})
    assert f["monetary_total"].iloc[:18].sum() == pytest.approx(80 * M)
    m = ParetoABC(basis="revenue")
    out = m.fit_assign(f)
    assert sorted(out.index[out["tier"] == "A"]) == sorted(ids[:18])
    assert m.tier_value_share_["A"] == pytest.approx(0.8)
    assert m.top20_share_ > 0.8  # the top 20 customers hold more than 80 %: the 80/20 check


# ------------------------------------------------------------------ scenario 2
XY = {"X": {"monetary_total": 60 * M, "profit": 6 * M}, "Y": {"monetary_total": 50 * M, "profit": 7.5 * M}}


def with_others(rows: dict, n: int = 40, seed: int = 2) -> dict:
    """The named customers among ``n`` smaller ones (so that the ranking is not trivial)."""
    rng = np.random.default_rng(seed)
    others = {f"o{i:02d}": {"monetary_total": rng.uniform(1, 40) * M, "profit": rng.uniform(-1, 4) * M}
              for i in range(n)}
    return {**rows, **others}


@pytest.mark.parametrize("population", ["alone", "among_others"])
@pytest.mark.parametrize("normalisation", ["rank", "minmax", "robust_z"])
def test_2_a_profit_grading_ranks_y_above_x(population, normalisation):
    f = hand_table(XY if population == "alone" else with_others(XY))
    by_revenue = WeightedScore(weights={"monetary_total": 1.0}, normalisation=normalisation).fit_assign(f)
    assert by_revenue.loc["X", "score"] > by_revenue.loc["Y", "score"]
    profit_heavy = WeightedScore(weights={"profit": 0.7, "monetary_total": 0.3}, normalisation=normalisation)
    out = profit_heavy.fit_assign(f)
    assert out.loc["Y", "score"] > out.loc["X", "score"]
    assert rank(out, "Y") <= rank(out, "X")  # a tier at least as good
    # the other profit-based methods agree
    abc = ParetoABC(basis="profit").fit_assign(f)
    assert abc.loc["Y", "score"] > abc.loc["X", "score"] and rank(abc, "Y") <= rank(abc, "X")
    pyramid = CustomerPyramid(cut_shares=(0.02, 0.2, 0.5)).fit_assign(f)
    assert rank(pyramid, "Y") <= rank(pyramid, "X")


# ------------------------------------------------------------------ scenario 3
PQ = {
    "P": {"monetary_total": 10 * M, "mean_days_late": 180.0, "late_payment_share": 1.0, "overdue_amount": 2 * M},
    "Q": {"monetary_total": 8 * M, "mean_days_late": 0.0, "late_payment_share": 0.0, "overdue_amount": 0.0},
}


@pytest.mark.parametrize("population", ["alone", "among_others"])
@pytest.mark.parametrize("credit", ["mean_days_late", "credit_status"])
def test_3_with_a_credit_weight_q_outranks_p_and_the_contributions_show_why(population, credit):
    rows = PQ
    if population == "among_others":
        rng = np.random.default_rng(3)
        rows = {**PQ, **{f"o{i:02d}": {"monetary_total": rng.uniform(1, 12) * M,
                                       "mean_days_late": rng.choice([0.0, 5.0, 30.0, 90.0]),
                                       "late_payment_share": rng.choice([0.0, 0.2, 0.6]),
                                       "overdue_amount": rng.choice([0.0, 0.1]) * M} for i in range(40)}}
    f = hand_table(rows)
    revenue_only = WeightedScore(weights={"monetary_total": 1.0}).fit_assign(f)
    assert revenue_only.loc["P", "score"] > revenue_only.loc["Q", "score"]
    m = WeightedScore(weights={"monetary_total": 0.4, credit: 0.6}).fit(f)
    out = m.assign(f)
    assert out.loc["Q", "score"] > out.loc["P", "score"]
    assert rank(out, "Q") <= rank(out, "P")
    why = m.contributions(f)
    assert why.loc["P", "monetary_total"] > why.loc["Q", "monetary_total"]  # P sells more ...
    assert why.loc["Q", credit] > why.loc["P", credit]  # ... but Q pays on time, and that weighs more
    np.testing.assert_allclose(why.sum(axis=1), out["score"])


# ------------------------------------------------------- end to end (transactions)
def test_end_to_end_from_transactions():
    from segment.features import build_features
    from tests.helpers import scenarios

    s = scenarios.pareto_18_of_100()
    f = build_features(s.transactions, as_of=s.as_of, gross_margin=0.2)
    out = ParetoABC(basis="revenue").fit_assign(f)
    assert sorted(out.index[out["tier"] == "A"]) == s.expected["top_class_ids"]

    s = scenarios.revenue_vs_profit()
    f = build_features(s.transactions, as_of=s.as_of)
    by_profit = WeightedScore(weights={"profit": 0.7, "monetary_total": 0.3}, tier_shares=(0.5,),
                              tier_labels=("A", "B")).fit_assign(f)
    assert list(by_profit.sort_values("score", ascending=False).index) == s.expected["profit_order"]

    s = scenarios.revenue_vs_credit()
    f = build_features(s.transactions, as_of=s.as_of)
    credit = WeightedScore(weights={"monetary_total": 0.4, "mean_days_late": 0.6}, tier_shares=(0.5,),
                           tier_labels=("A", "B")).fit(f)
    assert list(credit.assign(f).sort_values("score", ascending=False).index) == s.expected["credit_weighted_order"]
