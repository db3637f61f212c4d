"""The data-driven baseline: weights from a statsmodels regression of the outcome on the
normalised indicators, pooled over the search folds (never the judged origin).

``outcome ~ const + indicator_1 + ... + indicator_d`` by OLS with standard errors
clustered by customer (a customer appears once per fold). Every indicator is on the same
normalised scale at its origin, so the coefficients are comparable: the baseline weights
are the coefficients with negative ones set to 0, scaled to sum to one, then made to meet
the weight constraints (``grid.project``). With no positive coefficient the baseline is
equal weights (said in the note).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from segment.tuning.evaluate import OriginData
from segment.tuning.grid import project
from segment.tuning.settings import TuningConfig


def regression_weights(folds: list[OriginData], cfg: TuningConfig) -> tuple[np.ndarray, pd.DataFrame, list[str]]:
    """(weights, coefficient table, notes)."""
    names = list(cfg.indicators)
    x = pd.DataFrame(np.vstack([d.matrix for d in folds]), columns=names)
    y = np.concatenate([d.outcomes[cfg.baseline_outcome].to_numpy(dtype=float) for d in folds])
    groups, _ = pd.factorize(np.concatenate([d.outcomes.index.to_numpy(dtype=str) for d in folds]))
    model = sm.OLS(y, sm.add_constant(x, has_constant="add")).fit(cov_type="cluster", cov_kwds={"groups": groups})
    ci = model.conf_int(alpha=1 - cfg.level)
    coef = model.params[names].to_numpy(dtype=float)
    positive = np.clip(coef, 0.0, None)
    notes = []
    if positive.sum() <= 0:
        notes.append("regression baseline: no indicator has a positive coefficient; the baseline is equal weights")
    clipped = [n for n, c in zip(names, coef) if c < 0]
    if clipped:
        notes.append(f"regression baseline: negative coefficient(s) set to weight 0: {', '.join(clipped)}")
    raw = positive / positive.sum() if positive.sum() > 0 else np.full(len(names), 1.0 / len(names))
    weights = project(raw, cfg)
    table = pd.DataFrame({
        "term": ["const", *names],
        "coef": model.params.to_numpy(dtype=float),
        "se": model.bse.to_numpy(dtype=float),
        "ci_low": ci.iloc[:, 0].to_numpy(dtype=float),
        "ci_high": ci.iloc[:, 1].to_numpy(dtype=float),
        "p_value": model.pvalues.to_numpy(dtype=float),
        "weight_unconstrained": [np.nan, *raw],
        "weight": [np.nan, *weights],
    })
    table["outcome"] = cfg.baseline_outcome
    table["rows"] = int(model.nobs)
    table["folds"] = ", ".join(d.origin for d in folds)
    table["r2"] = float(model.rsquared)
    table["cov_type"] = "cluster (customer)"
    return weights, table, notes
