"""The intervals cover the true value at about their nominal rate (simulations with a
known population; each test runs in a second or two)."""

from __future__ import annotations

import numpy as np
import pytest

from segment.validation.leaderboard import HEADLINE, leaderboard_tables, paired_differences
from segment.validation.metrics import top_count
from segment.validation.tiers import per_tier_outcomes
from tests.validation.conftest import assignments_from_codes, ids, outcomes_from, population


def test_wilson_and_t_intervals_cover_at_about_the_nominal_rate():
    rng = np.random.default_rng(3)
    true_churn = np.array([0.1, 0.3, 0.6])
    true_profit = np.array([50.0, 20.0, 5.0])  # exponential means per tier
    codes = np.repeat([0, 1, 2], 150)
    a = assignments_from_codes(codes)
    hits_churn, hits_profit, reps = np.zeros(3), np.zeros(3), 300
    for _ in range(reps):
        churned = rng.random(len(codes)) < true_churn[codes]
        profit = rng.exponential(true_profit[codes])
        t = per_tier_outcomes(a, outcomes_from(profit, churned))
        hits_churn += (t["churn_ci_low"] <= true_churn) & (true_churn <= t["churn_ci_high"])
        hits_profit += (t["profit_per_customer_ci_low"] <= true_profit) & (true_profit <= t["profit_per_customer_ci_high"])
    assert np.all(np.abs(hits_churn / reps - 0.95) < 0.04)
    # skewed (exponential) profit makes the t interval cover slightly below nominal at n = 150
    assert np.all(np.abs(hits_profit / reps - 0.95) < 0.05)


@pytest.fixture(scope="module")
def known_population():
    """One million customers; two gradings that see the latent value through noise.
    The population values of the metrics are computed once on all of them."""
    rng = np.random.default_rng(11)
    n = 1_000_000
    value, seen, churned, profit = population(n, rng, signal=1.0)
    weaker = value + rng.normal(0, 1.6, n)
    truth = {}
    for name, s in (("good", seen), ("weak", weaker)):
        order = np.argsort(-s)
        p = profit[order]
        u = (n - np.arange(n) - 0.5) / n
        truth[f"gini_{name}"] = 2 * (p * u).sum() / p.sum() - 1
        c = churned[order]
        # AUC = P(retained above churned): mean, over churned, of the share of retained ranked above
        retained_above = np.cumsum(~c) - (~c)
        truth[f"auc_{name}"] = (retained_above[c] / (~c).sum()).mean()
        truth[f"top20_{name}"] = p[:top_count(n, 0.2)].sum() / p.sum()
    return {"seen": seen, "weaker": weaker, "churned": churned, "profit": profit, "truth": truth}


def _sample_tables(pop, rng, size):
    idx = rng.choice(len(pop["profit"]), size, replace=False)
    index = ids(size)
    methods = {"good": assignments_from_codes(np.zeros(size, int), score=pop["seen"][idx], index=index),
               "weak": assignments_from_codes(np.zeros(size, int), score=pop["weaker"][idx], index=index)}
    return methods, outcomes_from(pop["profit"][idx], pop["churned"][idx], index=index)


def test_gini_and_auc_intervals_and_their_paired_differences_cover(known_population):
    """Influence-function intervals (Gini) and DeLong (AUC), single and paired."""
    pop, truth = known_population, known_population["truth"]
    rng = np.random.default_rng(12)
    reps = 300
    hits = {k: 0 for k in ("gini", "auc", "gini_diff", "auc_diff")}
    for _ in range(reps):
        methods, o = _sample_tables(pop, rng, 2000)
        _, iv = leaderboard_tables(methods, o, n_boot=0)
        iv = iv.set_index(["metric", "method"])
        g, a = iv.loc[("gini_profit", "good")], iv.loc[("churn_auc", "good")]
        hits["gini"] += g["ci_low"] <= truth["gini_good"] <= g["ci_high"]
        hits["auc"] += a["ci_low"] <= truth["auc_good"] <= a["ci_high"]
        # difference weak − good (good is the best in almost every sample)
        for metric, key, tkey in (("gini_profit", "gini_diff", "gini"), ("churn_auc", "auc_diff", "auc")):
            row = iv.loc[(metric, "weak")]
            if row["best_method"] == "good":
                true_diff = truth[f"{tkey}_weak"] - truth[f"{tkey}_good"]
                hits[key] += row["diff_ci_low"] <= true_diff <= row["diff_ci_high"]
            else:
                hits[key] += 1  # not the comparison under test; counted as covered (rare)
    for k, h in hits.items():
        assert 0.90 <= h / reps <= 0.99, (k, h / reps)


def test_bootstrap_capture_interval_covers_the_population_value(known_population):
    """Paired Poisson bootstrap, percentile interval of the top-20 % capture, and of the
    difference between two methods (same weights for both)."""
    pop, truth = known_population, known_population["truth"]
    rng = np.random.default_rng(13)
    reps = 150
    hits, diff_hits = 0, 0
    for r in range(reps):
        methods, o = _sample_tables(pop, rng, 3000)
        _, iv = leaderboard_tables(methods, o, n_boot=200, random_state=r)
        good = iv[(iv["metric"] == HEADLINE) & (iv["method"] == "good")].iloc[0]
        hits += good["ci_low"] <= truth["top20_good"] <= good["ci_high"]
        diff = paired_differences(methods, o, "good", metrics=(HEADLINE,), n_boot=200, random_state=r).iloc[0]
        diff_hits += diff["ci_low"] <= truth["top20_weak"] - truth["top20_good"] <= diff["ci_high"]
    assert 0.88 <= hits / reps <= 0.99, hits / reps
    assert 0.88 <= diff_hits / reps <= 0.99, diff_hits / reps
