"""Indicator normalisation shared by the weighted score and KAISM, learned in ``fit``.

Every indicator is first oriented so that higher is better: columns the method lists in
its ``lower_is_better`` parameter (default ``LOWER_IS_BETTER``: days late, late-payment
share, overdue amount, recency) are negated. Then, with state learned on the
calibration table:

- ``rank`` (default): mid-rank percentile — the share of calibration customers with a
  lower value plus half the share with an equal value, in [0, 1]. Equal values get equal
  scores; robust to the heavy tails of money columns; a new value is placed among the
  calibration values.
- ``minmax``: (v − min) / (max − min) over the calibration values, clipped to [0, 1].
- ``robust_z``: (v − median) / IQR (interquartile range). Unbounded: a customer ten IQRs
  above the median counts ten times as much, so heavy tails dominate — which is why
  ``rank`` is the default. When the IQR is 0 (e.g. most values are 0) the scale is the
  mean absolute deviation from the median; when that is 0 too, the indicator is constant.

A missing value (e.g. no invoice due yet, so no days late) counts as the calibration
median — neither rewarded nor punished; methods count them in ``n_missing_``. An
indicator that is constant in the calibration data maps every customer to the same
value (it cannot separate anyone). A column that is entirely missing is a ValueError.

Explaining a score (the weighted score and KAISM): an indicator's contribution is weight ×
normalised value (weights relative to their sum), and ``contribution_phrase`` names the largest in
a customer's words (``feature_phrase``: lower-is-better columns are said as what they are, "pays
180 days late on average", "pays on time", "last order 35 days ago"); ``shortfall`` is what the
customer misses on an indicator: weight × (1 − normalised value) for ``rank`` and ``minmax``
(against the best value), the negative part of the contribution for ``robust_z`` (unbounded: there
is no best value, only the median's 0).

``NormalisedColumns`` gives a method (with ``normalisation`` and ``lower_is_better``
parameters) this state, learned in ``fit``, and ``normalised(features)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from segment.methods.base import Decimals, both_zeros, check_columns, chosen, joined, number, subset, texts

LOWER_IS_BETTER: tuple[str, ...] = ("recency_days", "mean_days_late", "late_payment_share", "overdue_amount")
METHODS = ("rank", "minmax", "robust_z")
#: each normalisation in words (the methods' learned rules)
WORDS = {"rank": "as its percentile among the calibration customers",
         "minmax": "scaled from the calibration minimum (0) to the maximum (1)",
         "robust_z": "in interquartile ranges from the calibration median"}


def oriented(features: pd.DataFrame, column: str, lower_is_better=LOWER_IS_BETTER) -> np.ndarray:
    """``features[column]`` as float, negated when lower is better."""
    v = features[column].to_numpy(dtype=float, na_value=np.nan)
    return -v if column in lower_is_better else v


def learn(values: np.ndarray, method: str, *, name: str = "indicator") -> dict:
    """Normalisation state from calibration values (already oriented)."""
    if method not in METHODS:
        raise ValueError(f"normalisation must be one of {METHODS}, got {method!r}")
    v = np.sort(values[~np.isnan(values)])
    if len(v) == 0:
        raise ValueError(f"{name!r} has no non-missing value in the calibration table: it cannot be normalised")
    median = float(np.median(v))
    if method == "rank":
        # distinct calibration values and how many customers are below each (compact, and
        # one search per distinct value is what makes 2.4 M customers take a second)
        if both_zeros(v):  # which zero np.unique keeps is its sort's choice
            values, counts = np.unique(v, return_counts=True)
        else:  # v is sorted: each run of equal values starts where it differs from the value before
            starts = np.flatnonzero(np.concatenate([[True], v[1:] != v[:-1]]))
            values, counts = v[starts], np.diff(np.append(starts, len(v)))
        state = {"method": "rank", "values": values, "below": np.concatenate([[0], np.cumsum(counts)]), "n": len(v)}
    elif method == "minmax":
        state = {"method": "minmax", "min": float(v[0]), "max": float(v[-1])}
    else:
        q1, q3 = np.quantile(v, [0.25, 0.75])
        scale = float(q3 - q1)
        kind = "iqr"
        if scale <= 0:
            scale, kind = float(np.mean(np.abs(v - median))), "mean_abs_dev"
        state = {"method": "robust_z", "median": median, "scale": scale, "scale_kind": kind}
    state["missing_as"] = float(apply(np.array([median]), {**state, "missing_as": 0.0})[0])
    return state


def apply(values: np.ndarray, state: dict) -> np.ndarray:
    """Normalised values; missing values get ``state["missing_as"]`` (the median's)."""
    out = np.full(len(values), state["missing_as"], dtype=float)
    ok = ~np.isnan(values)
    v = values[ok]
    if state["method"] == "rank":
        ref, cum = state["values"], state["below"]
        # one search per distinct value (found by hashing: no sort of the millions of values)
        inverse, queries = pd.factorize(v)
        below = cum[np.searchsorted(ref, queries, side="left")]
        upto = cum[np.searchsorted(ref, queries, side="right")]
        out[ok] = ((below + upto) / (2.0 * state["n"]))[inverse]
    elif state["method"] == "minmax":
        span = state["max"] - state["min"]
        out[ok] = np.clip((v - state["min"]) / span, 0.0, 1.0) if span > 0 else 0.5
    else:
        out[ok] = (v - state["median"]) / state["scale"] if state["scale"] > 0 else 0.0
    return out


def summary(state: dict) -> dict:
    """The learned state without the (large) sorted calibration values, for reports."""
    if state["method"] != "rank":
        return dict(state)
    ref = state["values"]
    return {"method": "rank", "n": state["n"], "distinct": len(ref), "min": float(ref[0]), "max": float(ref[-1]),
            "missing_as": state["missing_as"]}


def shortfall(contributions: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Per customer and indicator, the score it misses there (module docstring)."""
    if method == "robust_z":
        return np.maximum(-contributions, 0.0)
    return np.asarray(weights, dtype=float) - contributions  # weight × (1 − normalised)


def contribution_phrase(choice: np.ndarray, contributions: np.ndarray, weights, phrases: list[pa.Array],
                        lead: str = " contributes ") -> pa.Array:
    """Per customer, ``<phrase of the chosen indicator><lead><its contribution> (weight <w>)``:
    ``choice`` is the column of ``contributions`` (and of ``phrases``/``weights``) to name."""
    def make(j: int, rows: np.ndarray) -> pa.Array:
        c = contributions[rows, j]
        return joined(subset(phrases[j], rows), lead, texts(c, Decimals(2)), f" (weight {number(float(weights[j]))})")

    return chosen(choice, make)


def held_back(contributions: np.ndarray, weights, method: str, phrases: list[pa.Array],
              lead: str = "; held back most by: ") -> pa.Array:
    """Per customer, ``<lead><phrase of the indicator it misses most on>, which lowers the score by
    <shortfall>``; empty when it misses less than 0.005 anywhere (a rounded 0.00)."""
    short = shortfall(contributions, weights, method)
    worst = np.argmax(short, axis=1)  # ties: the first indicator
    lost = short[np.arange(len(worst)), worst]
    choice = np.where(lost >= 0.005, worst, -1)

    def make(j: int, rows: np.ndarray) -> pa.Array:
        if j < 0:
            return pa.nulls(len(rows), pa.string())
        return joined(lead, subset(phrases[j], rows), ", which lowers the score by ", texts(lost[rows], Decimals(2)))

    return chosen(choice, make)


def ranked_columns(contributions: np.ndarray, weights) -> np.ndarray:
    """Per customer, the indicators with a positive weight by contribution, largest first (ties:
    in the order of the weights); one column per such indicator."""
    w = np.asarray(weights, dtype=float)
    keyed = np.where(w > 0, contributions, -np.inf)
    return np.argsort(-keyed, axis=1, kind="stable")[:, : int((w > 0).sum())]


class NormalisedColumns:
    """For a method with ``normalisation`` and ``lower_is_better`` parameters: the normalisation
    of its feature columns, learned in ``fit``, and the normalised values of any table."""

    def _learn_normalisation(self, features: pd.DataFrame, columns) -> None:
        """Learn ``norm_`` (per column), ``normalisation_summary_`` (it without the calibration
        values) and ``n_missing_`` on the calibration table."""
        self.norm_ = {c: learn(oriented(features, c, self.lower_is_better), self.normalisation, name=c)
                      for c in columns}
        self.normalisation_summary_ = {c: summary(s) for c, s in self.norm_.items()}
        self.n_missing_ = {c: int(features[c].isna().sum()) for c in columns}

    def normalised(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer: each column's normalised value (oriented: higher is better)."""
        if not hasattr(self, "norm_"):
            raise RuntimeError(f"{type(self).__name__} used before fit (the normalisation is learned there)")
        check_columns(features, self.norm_, type(self).__name__)
        return pd.DataFrame(
            {c: apply(oriented(features, c, self.lower_is_better), s) for c, s in self.norm_.items()},
            index=features.index,
        )
