"""DOMAIN.md's three textbook scenarios, end to end through the feature builder."""

from __future__ import annotations

from segment.data import scenarios
from segment.features import build_features
from segment.methods.pareto import ParetoABC
from segment.methods.weighted import WeightedScore


def test_pareto_puts_exactly_the_18_in_a():
    s = scenarios.pareto_18_of_100()
    f = build_features(s.transactions, as_of=s.as_of, gross_margin=0.2)
    out = ParetoABC(basis="revenue").fit_assign(f)
    assert sorted(out.index[out["tier"] == "A"]) == s.expected["top_class_ids"]


def test_profit_contribution_ranks_y_above_x():
    s = scenarios.revenue_vs_profit()
    f = build_features(s.transactions, as_of=s.as_of)
    by_revenue = WeightedScore(weights={"monetary_total": 1.0}, tier_shares=(0.5,), tier_labels=("A", "B")).fit_assign(f)
    assert list(by_revenue.sort_values("score", ascending=False).index) == s.expected["revenue_order"]
    by_profit = WeightedScore(weights={"profit": 0.7, "monetary_total": 0.3}, tier_shares=(0.5,),
                              tier_labels=("A", "B")).fit_assign(f)
    assert list(by_profit.sort_values("score", ascending=False).index) == s.expected["profit_order"]
    assert by_profit.loc["Y", "tier"] == "A" and by_profit.loc["X", "tier"] == "B"
    # and a profit-based Pareto grading agrees
    abc = ParetoABC(basis="profit", cut_shares=(0.5, 0.95)).fit(f)
    assert abc.assign(f).loc["Y", "score"] > abc.assign(f).loc["X", "score"]


def test_credit_weight_lets_q_outrank_p_and_shows_why():
    s = scenarios.revenue_vs_credit()
    f = build_features(s.transactions, as_of=s.as_of)
    revenue_only = WeightedScore(weights={"monetary_total": 1.0}, tier_shares=(0.5,), tier_labels=("A", "B")).fit(f)
    assert revenue_only.score(f)["P"] > revenue_only.score(f)["Q"]
    credit = WeightedScore(weights={"monetary_total": 0.4, "mean_days_late": 0.6}, tier_shares=(0.5,),
                           tier_labels=("A", "B")).fit(f)
    out = credit.assign(f)
    assert list(out.sort_values("score", ascending=False).index) == s.expected["credit_weighted_order"]
    why = credit.contributions(f)
    assert why.loc["P", "monetary_total"] > why.loc["Q", "monetary_total"]  # P sells more ...
    assert why.loc["Q", "mean_days_late"] > why.loc["P", "mean_days_late"]  # ... but Q pays on time
