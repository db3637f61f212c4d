"""Small hand-made tables for the validation tests (no feature pipeline needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def ids(n: int) -> pd.Index:
    return pd.Index([f"c{i:05d}" for i in range(n)], name="customer_id")


def assignments_from_codes(codes, score=None, labels=("A", "B", "C"), index=None, provisional=None) -> pd.DataFrame:
    """An assignments table (tier, score, provisional) from integer tier codes (0 = best)."""
    codes = np.asarray(codes)
    n = len(codes)
    return pd.DataFrame(
        {"tier": pd.Categorical.from_codes(codes, categories=list(labels), ordered=True),
         "score": np.full(n, np.nan) if score is None else np.asarray(score, dtype=float),
         "provisional": np.zeros(n, dtype=bool) if provisional is None else np.asarray(provisional, dtype=bool)},
        index=ids(n) if index is None else pd.Index(index, name="customer_id"),
    )


def outcomes_from(profit, churned, revenue=None, index=None) -> pd.DataFrame:
    profit = np.asarray(profit, dtype=float)
    n = len(profit)
    return pd.DataFrame({"churned": np.asarray(churned, dtype=bool),
                         "orders_outcome": np.where(np.asarray(churned, dtype=bool), 0, 1),
                         "revenue_outcome": np.abs(profit) * 4 if revenue is None else np.asarray(revenue, float),
                         "profit_outcome": profit},
                        index=ids(n) if index is None else pd.Index(index, name="customer_id"))


def tiers_from_values(values, shares=(0.2, 0.5), labels=("A", "B", "C")) -> np.ndarray:
    """Tier codes cutting ``values`` (higher = better) at cumulative customer shares."""
    values = np.asarray(values, dtype=float)
    cuts = np.quantile(-values, shares)
    return np.searchsorted(cuts, -values, side="left")


def population(n: int, rng: np.random.Generator, signal: float = 1.0):
    """A customer population with known structure: latent value drives profit and
    (inversely) churn; a grading sees the value through noise of size 1/signal."""
    value = rng.normal(0, 1, n)
    churned = rng.random(n) < 1 / (1 + np.exp(1.0 + 1.2 * value))
    profit = np.where(churned, rng.normal(-2, 1, n), np.exp(2 + value + rng.normal(0, 0.8, n)))
    seen = value + rng.normal(0, 1 / signal, n)
    return value, seen, churned, profit
