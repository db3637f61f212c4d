"""Indicator normalisation shared by the weighted score and KAISM, learned in ``fit``.

Every indicator is oriented so that higher is better (``LOWER_IS_BETTER`` columns are
negated: days late, overdue amount, recency), then mapped to [0, 1]:

- ``rank``: the share of calibration customers with a lower value, plus half the share
  with an equal value (mid-rank percentile; ties get equal scores). Robust to skew.
- ``minmax``: (v − min) / (max − min) over the calibration values, clipped to [0, 1].

A customer whose indicator is missing (e.g. no invoice due yet, so no days late) gets
the neutral 0.5; ``n_missing_`` on the method counts them per indicator. An indicator
constant in the calibration data maps everyone to 0.5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOWER_IS_BETTER = frozenset({"recency_days", "mean_days_late", "late_payment_share", "overdue_amount"})
METHODS = ("rank", "minmax")


def oriented(features: pd.DataFrame, column: str) -> np.ndarray:
    v = features[column].to_numpy(dtype=float)
    return -v if column in LOWER_IS_BETTER else v


def learn(values: np.ndarray, method: str) -> dict:
    if method not in METHODS:
        raise ValueError(f"normalisation must be one of {METHODS}, got {method!r}")
    v = values[~np.isnan(values)]
    if method == "rank":
        return {"method": "rank", "sorted": np.sort(v)}
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (0.0, 0.0)
    return {"method": "minmax", "min": lo, "max": hi}


def apply(values: np.ndarray, state: dict) -> np.ndarray:
    out = np.full(len(values), 0.5)
    ok = ~np.isnan(values)
    if state["method"] == "rank":
        ref = state["sorted"]
        if len(ref) and ref[0] != ref[-1]:
            below = np.searchsorted(ref, values[ok], side="left")
            upto = np.searchsorted(ref, values[ok], side="right")
            out[ok] = (below + upto) / (2.0 * len(ref))
    else:
        span = state["max"] - state["min"]
        if span > 0:
            out[ok] = np.clip((values[ok] - state["min"]) / span, 0.0, 1.0)
    return out
