"""Statistical models of the outcomes on tier, per method (statsmodels formula API).

- churn: logistic regression ``churned ~ tier`` with the best tier as the reference
  level (the tier column is a categorical whose first level is the best tier, so this
  is ``C(tier, Treatment(<best>))``); odds ratios of each tier against the best one with
  Wald intervals. Tier is the only regressor, so the model is fitted *exactly* on the
  (tier, churned) frequency table — a binomial GLM with logit link and
  ``freq_weights`` — which gives the same estimates, standard errors, log-likelihood
  and AIC as ``smf.logit`` on one row per customer (tested), on all customers, in
  milliseconds.
- profit: OLS ``profit_outcome ~ tier`` with HC3 heteroscedasticity-robust standard
  errors. Profit can be negative and is heavy-tailed, so a log or gamma link does not
  apply; the effects are differences in mean outcome profit against the best tier.
  Fitted on a seeded subsample of at most ``max_rows`` customers (the same customers
  for every method; ``rows_used`` says how many).

All methods are fitted on the same customers, so their AIC / log-likelihood values
compare: lower AIC = the grading explains churn / profit better (``churn_aic_rank``,
``profit_aic_rank``; ``*_delta_aic`` is the gap to the best).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from segment.validation.metrics import Ranking, rank_all
from segment.validation.tiers import check_outcomes


def _sample_rows(n: int, max_rows: int, random_state: int) -> np.ndarray:
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, max_rows, replace=False))


def _effects(name: str, model: str, fit, kind: str, alpha: float, transform=lambda x: x) -> list[dict]:
    """One row per non-reference tier of a fitted tier model: its ``transform``ed coefficient
    and interval, and the p-value (the tier is the label inside the term ``tier[T.<label>]``)."""
    ci = transform(fit.conf_int(alpha=alpha))
    return [{"method": name, "model": model, "tier": term.split("[T.")[-1].rstrip("]"),
             "effect": float(transform(fit.params[term])), "effect_kind": kind, "ci_low": float(ci.loc[term, 0]),
             "ci_high": float(ci.loc[term, 1]), "p_value": float(fit.pvalues[term])}
            for term in fit.params.index.drop("Intercept")]


def churn_logit(codes: np.ndarray, labels: tuple[str, ...], churned: np.ndarray):
    """The fitted statsmodels GLM (binomial, logit) of churn on tier, on the frequency
    table of (tier, churned); levels are the non-empty tiers, best first."""
    k = len(labels)
    counts = np.bincount(codes * 2 + churned.astype(np.int64), minlength=2 * k).reshape(k, 2)
    used = [i for i in range(k) if counts[i].sum() > 0]
    levels = [labels[i] for i in used]
    table = pd.DataFrame({
        "tier": pd.Categorical(np.repeat(levels, 2), categories=levels),
        "churned": np.tile([0, 1], len(used)),
        "customers": counts[used].ravel(),
    })
    table = table[table["customers"] > 0]
    model = smf.glm("churned ~ tier", data=table, family=sm.families.Binomial(),
                    freq_weights=table["customers"].to_numpy(dtype=float))
    return model.fit()


def profit_ols(codes: np.ndarray, labels: tuple[str, ...], profit: np.ndarray):
    """The fitted OLS of profit on tier with HC3 standard errors (best tier = reference)."""
    used = np.flatnonzero(np.bincount(codes, minlength=len(labels)) > 0)
    levels = [labels[i] for i in used]
    df = pd.DataFrame({"tier": pd.Categorical.from_codes(np.searchsorted(used, codes), categories=levels),
                       "profit_outcome": profit})
    return smf.ols("profit_outcome ~ tier", data=df).fit(cov_type="HC3")


def tier_models(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, *, max_rows: int = 500_000,
                random_state: int = 0, level: float = 0.95,
                rankings: dict[str, Ranking] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(effects, fit). effects: one row per method, model and non-reference tier; fit: one
    row per method with log-likelihoods, AIC and their ranks. Columns: docs/VALIDATION.md."""
    check_outcomes(outcomes, ("churned", "profit_outcome"))
    rankings = rank_all(assignments, outcomes.index) if rankings is None else rankings
    churned = outcomes["churned"].to_numpy(dtype=bool)
    profit = outcomes["profit_outcome"].to_numpy(dtype=float)
    rows = _sample_rows(len(profit), max_rows, random_state)
    alpha = 1 - level
    effects, fits = [], []
    for name, r in rankings.items():
        used = np.flatnonzero(np.bincount(r.codes, minlength=len(r.labels)) > 0)
        fit = {"method": name, "reference_tier": r.labels[used[0]] if len(used) else None,
               "tiers_used": len(used), "churn_rows_used": len(churned), "profit_rows_used": len(rows), "note": ""}
        if len(used) < 2:
            fits.append({**fit, "note": "one tier only: no model"})
            continue
        with warnings.catch_warnings():
            # perfect separation (a tier where nobody or everybody churned) shows up as huge
            # standard errors; it is reported in the note column, not as a warning
            warnings.simplefilter("ignore")
            logit = churn_logit(r.codes, r.labels, churned)
        rates = np.bincount(r.codes, weights=churned)[used] / np.bincount(r.codes)[used]
        if np.any((rates == 0) | (rates == 1)):
            fit["note"] = "a tier with 0 % or 100 % churn: its odds ratio is not estimable (separation)"
        fit.update(churn_llf=float(logit.llf), churn_aic=float(logit.aic),
                   churn_pseudo_r2=float(1 - logit.llf / logit.llnull), churn_df_model=int(logit.df_model))
        effects += _effects(name, "churn_logit", logit, "odds ratio vs reference tier", alpha, np.exp)
        sub_codes = r.codes[rows]
        if (np.bincount(sub_codes, minlength=len(r.labels)) > 0).sum() < 2:
            fit["note"] = (fit["note"] + "; " if fit["note"] else "") + "profit model: one tier in the subsample"
            fits.append(fit)
            continue
        ols = profit_ols(sub_codes, r.labels, profit[rows])
        fit.update(profit_llf=float(ols.llf), profit_aic=float(ols.aic), profit_r2=float(ols.rsquared),
                   profit_df_model=int(ols.df_model))
        effects += _effects(name, "profit_ols_hc3", ols, "mean profit difference vs reference tier", alpha)
        fits.append(fit)
    fit_table = pd.DataFrame(fits)
    for what in ("churn", "profit"):
        col = f"{what}_aic"
        if col in fit_table:
            fit_table[f"{what}_delta_aic"] = fit_table[col] - fit_table[col].min()
            fit_table[f"{what}_aic_rank"] = fit_table[col].rank(method="min")
    effect_cols = ["method", "model", "tier", "effect", "effect_kind", "ci_low", "ci_high", "p_value"]
    return pd.DataFrame(effects, columns=effect_cols), fit_table
