"""Agreement between gradings, and the customers on whom they disagree most.

- ``agreement_matrix``: for every pair of methods
  - ``top_tier_kappa``: Cohen's kappa on "top tier or not" (chance-corrected agreement
    on who gets the scarce attention) — always defined;
  - ``weighted_kappa``: linearly weighted Cohen's kappa of the full tiers, when the two
    gradings have the same number of tiers (then tier i of one is comparable with tier
    i of the other); NaN otherwise (``tiers_comparable`` says which);
  - ``adjusted_rand``: adjusted Rand index of the two tier partitions (labels need not
    match; 1 = same partition, about 0 = chance);
  - ``ordering_spearman``: rank correlation of the two full orderings;
  - ``same_top_tier_share``: share of customers on whom the top-tier call agrees.
- ``disagreements``: per customer, each method's normalised tier rank (1 = best tier,
  0 = worst) and percentile in its own ordering; customers with the largest spread of
  tier rank across methods (then of percentile) come first, with their key features
  and the conflict the sources describe (``revenue_vs_profit``: high revenue, low
  profit — the textbook's customer X/Y; ``revenue_vs_credit``: high revenue, late
  payment — customer P/Q).

Everything works from contingency tables (``np.bincount``), so 45 pairs of 2.4 M
customers take about a second.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from segment.validation.metrics import Ranking, _goodness, rank_all


def contingency(x: np.ndarray, kx: int, y: np.ndarray, ky: int) -> np.ndarray:
    """Customers by code of ``x`` (rows, ``kx`` codes) and of ``y`` (columns); all codes shown."""
    return np.bincount(x * ky + y, minlength=kx * ky).reshape(kx, ky).astype(float)


def cohen_kappa(table: np.ndarray, linear: bool = False) -> float:
    """Cohen's kappa of a square contingency table; ``linear``: linearly weighted (a miss by
    two tiers counts twice a miss by one)."""
    k = table.shape[0]
    n = table.sum()
    if n == 0:
        return float("nan")
    observed = table / n
    expected = np.outer(observed.sum(1), observed.sum(0))
    i, j = np.indices((k, k))
    w = (np.abs(i - j) if linear else i != j).astype(float)
    den = (w * expected).sum()
    return float(1 - (w * observed).sum() / den) if den > 0 else float("nan")


def adjusted_rand(table: np.ndarray) -> float:
    """Adjusted Rand index (Hubert & Arabie) from a contingency table."""
    n = table.sum()

    def pairs(v):
        return float((v * (v - 1) / 2).sum())

    total = n * (n - 1) / 2
    if total == 0:
        return float("nan")
    index = pairs(table)
    a, b = pairs(table.sum(1)), pairs(table.sum(0))
    expected = a * b / total
    maximum = (a + b) / 2
    if maximum == expected:
        return 1.0 if index == expected else float("nan")  # both partitions trivial
    return float((index - expected) / (maximum - expected))


def agreement_matrix(assignments: dict[str, pd.DataFrame], *,
                     rankings: dict[str, Ranking] | None = None) -> pd.DataFrame:
    """One row per pair of methods (columns: module docstring, docs/VALIDATION.md), ordered on
    the customers of the first grading unless ``rankings`` are given."""
    rk = rank_all(assignments, next(iter(assignments.values())).index) if rankings is None else rankings
    goodness = {name: _goodness(r.order).astype(float) for name, r in rk.items()}
    rows = []
    for x, y in itertools.combinations(list(rk), 2):
        a, b = rk[x], rk[y]
        top_a, top_b = (a.codes == 0).astype(np.int64), (b.codes == 0).astype(np.int64)
        comparable = len(a.labels) == len(b.labels)
        full = contingency(a.codes, len(a.labels), b.codes, len(b.labels))
        ga, gb = goodness[x] - goodness[x].mean(), goodness[y] - goodness[y].mean()
        den = math.sqrt(np.dot(ga, ga) * np.dot(gb, gb))
        rows.append({
            "method_a": x, "method_b": y, "tiers_a": len(a.labels), "tiers_b": len(b.labels),
            "tiers_comparable": comparable,
            "top_tier_kappa": cohen_kappa(contingency(top_a, 2, top_b, 2)),
            "weighted_kappa": cohen_kappa(full, linear=True) if comparable else float("nan"),
            "adjusted_rand": adjusted_rand(full),
            "ordering_spearman": float(np.dot(ga, gb) / den) if den else float("nan"),
            "same_top_tier_share": float((top_a == top_b).mean()) if a.n else float("nan"),
        })
    return pd.DataFrame(rows)


def disagreements(assignments: dict[str, pd.DataFrame], features: pd.DataFrame, *, top_n: int = 50,
                  feature_columns: tuple[str, ...] = ("monetary_total", "profit", "frequency", "recency_days",
                                                       "growth_trend", "mean_days_late"),
                  conflict_gap: float = 0.5, late_days: float = 30.0,
                  rankings: dict[str, Ranking] | None = None) -> pd.DataFrame:
    """The ``top_n`` customers on whom the methods disagree most, worst disagreement first.

    ``conflict``: ``revenue_vs_profit`` when the customer's revenue percentile exceeds its
    profit percentile by ``conflict_gap`` or more (or the reverse); ``revenue_vs_credit``
    when revenue is in the top half and ``mean_days_late`` > ``late_days``; joined by "+".
    """
    index = features.index
    rk = rank_all(assignments, index) if rankings is None else rankings
    n = len(index)
    tier_rank = {name: 1 - r.codes / max(len(r.labels) - 1, 1) for name, r in rk.items()}
    pct = {name: _goodness(r.order) / max(n - 1, 1) for name, r in rk.items()}
    tr = np.column_stack(list(tier_rank.values())) if rk else np.zeros((n, 0))
    pc = np.column_stack(list(pct.values())) if rk else np.zeros((n, 0))
    tier_spread = tr.max(axis=1) - tr.min(axis=1)
    spread = pc.max(axis=1) - pc.min(axis=1)
    # largest tier-rank spread first, then percentile spread, then customer_id
    pick = np.lexsort((np.arange(n) if index.is_monotonic_increasing else index.to_numpy(dtype=str),
                       -spread, -tier_spread))[:top_n]
    names = list(rk)
    out = pd.DataFrame(index=index[pick])
    for name in names:
        out[f"tier_{name}"] = np.asarray(rk[name].labels, dtype=object)[rk[name].codes[pick]]
    for j, name in enumerate(names):
        out[f"pct_{name}"] = pc[pick, j]
    out["tier_rank_spread"] = tier_spread[pick]
    out["spread"] = spread[pick]
    out["best_by"] = [names[i] for i in pc[pick].argmax(axis=1)]
    out["worst_by"] = [names[i] for i in pc[pick].argmin(axis=1)]
    cols = [c for c in feature_columns if c in features.columns]
    out = out.join(features.loc[out.index, cols])
    out["conflict"] = _conflicts(features, out.index, conflict_gap, late_days)
    out.index.name = "customer_id"
    return out.reset_index()


def _conflicts(features: pd.DataFrame, ids: pd.Index, gap: float, late_days: float) -> list[str]:
    labels = [[] for _ in range(len(ids))]
    if "monetary_total" in features.columns:
        rev = features["monetary_total"].rank(pct=True).loc[ids].to_numpy()
        if "profit" in features.columns:
            prof = features["profit"].rank(pct=True).loc[ids].to_numpy()
            for i in np.flatnonzero(np.abs(rev - prof) >= gap):
                labels[i].append("revenue_vs_profit")
        if "mean_days_late" in features.columns:
            late = features["mean_days_late"].loc[ids].to_numpy(dtype=float)
            for i in np.flatnonzero((rev >= 0.5) & (np.nan_to_num(late) > late_days)):
                labels[i].append("revenue_vs_credit")
    return ["+".join(v) for v in labels]
