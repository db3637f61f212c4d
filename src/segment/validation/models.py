"""Statistical models per method (statsmodels formula API).

- churn: logistic regression ``churned ~ C(tier, Treatment(<best tier>))``; odds ratios
  of each tier against the best one, with 95 % intervals;
- profit: OLS ``profit_outcome ~ C(tier, ...)`` with HC3 heteroscedasticity-robust
  standard errors (profit can be negative and is heavy-tailed, so a log or gamma link
  does not apply; the effects are differences in mean profit against the best tier).

All methods are fitted on the same customers, so their AIC values compare: lower AIC =
the grading explains churn / profit better. On large tables the models are fitted on a
seeded subsample of ``max_rows`` customers (the same for every method), stated in the
``rows_used`` column.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from segment.validation.tiers import align


def _sample(index: pd.Index, max_rows: int, random_state: int) -> pd.Index:
    if len(index) <= max_rows:
        return index
    rng = np.random.default_rng(random_state)
    return index[np.sort(rng.choice(len(index), max_rows, replace=False))]


def tier_models(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, *, max_rows: int = 200_000,
                random_state: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(effects, fit): effects per method and tier; fit statistics (AIC, pseudo-R²) per method."""
    rows = _sample(outcomes.index, max_rows, random_state)
    effects, fits = [], []
    for name, a in assignments.items():
        df = align(a.loc[rows], outcomes.loc[rows])
        used = df["tier"].cat.remove_unused_categories()
        df = df.assign(tier=used.astype(str), churned=df["churned"].astype(int))
        best = str(used.cat.categories[0])
        formula_rhs = f"C(tier, Treatment({best!r}))"
        fit = {"method": name, "rows_used": len(df), "reference_tier": best}
        if df["tier"].nunique() < 2:
            fits.append({**fit, "note": "one tier only: no model"})
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # separation/convergence warnings are reported below
            try:
                logit = smf.logit(f"churned ~ {formula_rhs}", data=df).fit(disp=0, maxiter=200)
                fit.update(churn_aic=logit.aic, churn_pseudo_r2=logit.prsquared, churn_converged=bool(logit.mle_retvals["converged"]))
                ci = np.exp(logit.conf_int())
                for term in logit.params.index.drop("Intercept"):
                    effects.append({"method": name, "model": "churn_logit", "tier": term.split("[T.")[-1].rstrip("]"),
                                    "effect": float(np.exp(logit.params[term])), "effect_kind": "odds ratio vs best tier",
                                    "ci_low": float(ci.loc[term, 0]), "ci_high": float(ci.loc[term, 1]),
                                    "p_value": float(logit.pvalues[term])})
            except Exception as exc:  # perfect separation and the like: say so, do not hide it
                fit["churn_note"] = f"logit failed: {type(exc).__name__}: {exc}"
            ols = smf.ols(f"profit_outcome ~ {formula_rhs}", data=df).fit(cov_type="HC3")
        fit.update(profit_aic=ols.aic, profit_r2=ols.rsquared)
        ci = ols.conf_int()
        for term in ols.params.index.drop("Intercept"):
            effects.append({"method": name, "model": "profit_ols_hc3", "tier": term.split("[T.")[-1].rstrip("]"),
                            "effect": float(ols.params[term]), "effect_kind": "mean profit difference vs best tier",
                            "ci_low": float(ci.loc[term, 0]), "ci_high": float(ci.loc[term, 1]),
                            "p_value": float(ols.pvalues[term])})
        fits.append(fit)
    return pd.DataFrame(effects), pd.DataFrame(fits)
