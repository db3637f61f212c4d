"""Drift between consecutive runs of a series: the population stability index (PSI).

PSI = Σ over bins (a − e) · ln(a / e), with e and a the shares of the expected (previous)
and actual (current) sample in each bin.

Rules:
- Numeric feature (``psi``): the bin edges are the expected sample's quantiles at 1/bins,
  2/bins … (bins−1)/bins (numpy's default linear interpolation), deduplicated, so tied
  values make fewer, wider bins; the outer bins are open, so actual values beyond the
  expected range land in the first or last bin. A value on an edge goes to the upper bin.
  Missing values (NaN) form a bin of their own, so a rise in missing values shows as drift.
  An empty sample or an infinite value is a ValueError.
- Categorical shares (``psi_shares``): the union of both label sets; a label absent from
  one side has share 0 there. Counts are accepted too: each side is divided by its total.
- A share of 0 is floored at ``SHARE_FLOOR`` (1e-4) before the logarithm (and in the
  difference), so an empty bin gives a large but finite PSI rather than infinity.
- Levels (``psi_level``): below 0.10 "stable", from 0.10 below 0.25 "watch", from 0.25
  "shifted" (the usual credit-scoring thresholds).
- ``drift_table``: one row for the tier shares (item "tier") and one per indicator of
  ``segment.governance.ledger.INDICATORS`` present in both published tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segment.governance.ledger import INDICATORS

SHARE_FLOOR = 1e-4
#: (upper bound, level): psi below the bound gets the level; at or above the last bound, "shifted"
LEVELS = ((0.10, "stable"), (0.25, "watch"))
SHIFTED = "shifted"


def psi_level(value: float) -> str:
    """"stable" (< 0.10), "watch" (0.10 to < 0.25) or "shifted" (>= 0.25)."""
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"a PSI is a non-negative number; got {value!r}")
    for bound, level in LEVELS:
        if value < bound:
            return level
    return SHIFTED


def _psi(e: np.ndarray, a: np.ndarray) -> float:
    e, a = np.maximum(e, SHARE_FLOOR), np.maximum(a, SHARE_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def _sample(values, which: str) -> np.ndarray:
    x = pd.Series(values).to_numpy(dtype="float64", na_value=np.nan)
    if x.size == 0:
        raise ValueError(f"the {which} sample is empty")
    if np.isinf(x).any():
        raise ValueError(f"the {which} sample has infinite values")
    return x


def bin_edges(expected, *, bins: int = 10) -> np.ndarray:
    """The inner bin edges ``psi`` uses for ``expected`` (module docstring)."""
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 2:
        raise ValueError(f"bins must be a whole number of at least 2; got {bins!r}")
    x = _sample(expected, "expected")
    known = x[~np.isnan(x)]
    if known.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(known, np.arange(1, bins) / bins))


def _shares(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Shares per bin: len(edges) + 1 value bins, then the missing-value bin."""
    missing = np.isnan(x)
    where = np.searchsorted(edges, x[~missing], side="right")  # on an edge: the upper bin
    counts = np.bincount(where, minlength=edges.size + 1).astype("float64")
    return np.append(counts, missing.sum()) / x.size


def psi(expected, actual, *, bins: int = 10) -> float:
    """The PSI of a numeric feature, ``expected`` (the previous run's values) against ``actual``."""
    edges = bin_edges(expected, bins=bins)
    return _psi(_shares(_sample(expected, "expected"), edges), _shares(_sample(actual, "actual"), edges))


def _normalised(shares: pd.Series, which: str) -> pd.Series:
    s = pd.Series(shares, dtype="float64")
    if s.index.has_duplicates:
        raise ValueError(f"the {which} shares list label {s.index[s.index.duplicated()][0]!r} twice")
    if s.isna().any() or np.isinf(s).any() or (s < 0).any() or s.sum() <= 0:
        raise ValueError(f"the {which} shares must be non-negative numbers with a positive total; got {s.to_dict()}")
    return s / s.sum()


def psi_shares(expected_shares: pd.Series, actual_shares: pd.Series) -> float:
    """The PSI of two categorical distributions (shares or counts indexed by label)."""
    e, a = _normalised(expected_shares, "expected"), _normalised(actual_shares, "actual")
    labels = e.index.union(a.index, sort=False)
    return _psi(e.reindex(labels, fill_value=0.0).to_numpy(), a.reindex(labels, fill_value=0.0).to_numpy())


def drift_table(previous: pd.DataFrame, current: pd.DataFrame, *, bins: int = 10) -> pd.DataFrame:
    """item, psi, level: the tier shares and each indicator present in both published tables."""
    rows = [("tier", psi_shares(previous["tier"].value_counts(), current["tier"].value_counts()))]
    rows += [(c, psi(previous[c], current[c], bins=bins)) for c in INDICATORS
             if c in previous.columns and c in current.columns]
    out = pd.DataFrame(rows, columns=["item", "psi"])
    out["level"] = [psi_level(v) for v in out["psi"]]
    return out
