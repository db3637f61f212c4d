"""Tier models: the frequency-table logit equals the per-customer logit; OLS effects are
differences of tier means; AIC prefers the informative grading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from segment.validation.models import tier_models
from tests.validation.conftest import assignments_from_codes, outcomes_from, population, tiers_from_values


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(21)
    n = 4000
    value, seen, churned, profit = population(n, rng)
    o = outcomes_from(profit, churned)
    methods = {"informative": assignments_from_codes(tiers_from_values(seen), score=seen),
               "random": assignments_from_codes(rng.integers(0, 3, n)),
               "one_tier": assignments_from_codes(np.zeros(n, int))}
    return methods, o


def test_grouped_logit_equals_per_customer_logit(case):
    methods, o = case
    effects, fit = tier_models({"informative": methods["informative"]}, o)
    df = pd.DataFrame({"tier": methods["informative"]["tier"].astype(str), "churned": o["churned"].astype(int)})
    ref = smf.logit("churned ~ C(tier, Treatment('A'))", data=df).fit(disp=0)
    row = fit.iloc[0]
    assert row["churn_llf"] == pytest.approx(ref.llf) and row["churn_aic"] == pytest.approx(ref.aic)
    assert row["churn_pseudo_r2"] == pytest.approx(ref.prsquared)
    odds = effects[effects["model"] == "churn_logit"].set_index("tier")
    for tier in ("B", "C"):
        term = f"C(tier, Treatment('A'))[T.{tier}]"
        assert odds.loc[tier, "effect"] == pytest.approx(np.exp(ref.params[term]))
        assert odds.loc[tier, "ci_low"] == pytest.approx(np.exp(ref.conf_int().loc[term, 0]))
        assert odds.loc[tier, "p_value"] == pytest.approx(ref.pvalues[term], rel=1e-6, abs=1e-300)
    assert (odds["effect"] > 1).all()  # worse tiers churn more


def test_profit_effects_are_differences_of_tier_means(case):
    methods, o = case
    effects, fit = tier_models({"informative": methods["informative"]}, o)
    means = o["profit_outcome"].groupby(methods["informative"]["tier"], observed=True).mean()
    prof = effects[effects["model"] == "profit_ols_hc3"].set_index("tier")
    assert prof.loc["B", "effect"] == pytest.approx(means["B"] - means["A"])
    assert prof.loc["C", "effect"] == pytest.approx(means["C"] - means["A"])
    assert (prof["ci_high"] < 0).all()
    assert fit.iloc[0]["profit_rows_used"] == len(o)


def test_aic_prefers_the_informative_grading_and_one_tier_is_reported(case):
    methods, o = case
    _, fit = tier_models(methods, o)
    fit = fit.set_index("method")
    assert fit.loc["informative", "churn_aic"] < fit.loc["random", "churn_aic"]
    assert fit.loc["informative", "profit_aic"] < fit.loc["random", "profit_aic"]
    assert fit.loc["informative", "churn_aic_rank"] == 1 and fit.loc["informative", "churn_delta_aic"] == 0
    assert "one tier" in fit.loc["one_tier", "note"]


def test_profit_model_subsample_is_seeded_and_stated(case):
    methods, o = case
    a = tier_models({"m": methods["informative"]}, o, max_rows=1000, random_state=3)
    b = tier_models({"m": methods["informative"]}, o, max_rows=1000, random_state=3)
    pd.testing.assert_frame_equal(a[0], b[0])
    assert a[1].iloc[0]["profit_rows_used"] == 1000 and a[1].iloc[0]["churn_rows_used"] == len(o)
