"""The method leaderboard: which grading picked the customers who later stayed and made profit.

One row per method plus two references: ``random (reference)`` (expected values of a random
ordering: capture = customer share, Gini 0, AUC 0.5) and ``perfect hindsight (reference)`` (customers
ordered by their actual outcome profit: the ceiling). Columns: docs/VALIDATION.md.

Intervals: paired bootstrap over customers with Poisson(1) weights (``n_boot``
replicates, the same weights for every method in a replicate), each method's ordering
and top set held fixed. Reported for the headline metric, the top-20 % profit capture:
its interval and the interval of its difference to the best method — "X is better"
holds when that interval excludes 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from segment.validation.metrics import (
    churn_auc,
    cochran_armitage,
    gini_from_order,
    ordering,
    top_share_capture,
)
from segment.validation.tiers import align


RANDOM, PERFECT = "random (reference)", "perfect hindsight (reference)"


def method_row(assignments: pd.DataFrame, outcomes: pd.DataFrame) -> dict:
    df = align(assignments, outcomes)
    order = ordering(df)
    profit = df["profit_outcome"].to_numpy(dtype=float)
    churned = df["churned"].to_numpy(dtype=bool)
    codes = df["tier"].cat.codes.to_numpy()
    n = len(df)
    top = codes == 0
    by_tier = pd.DataFrame({"c": codes, "churned": churned, "profit": profit}).groupby("c")
    churn_rates = by_tier["churned"].mean().to_numpy()
    profit_means = by_tier["profit"].mean().to_numpy()
    rho, rho_p = stats.spearmanr(codes, profit) if len(np.unique(codes)) > 1 else (np.nan, np.nan)
    mean_profit = profit.mean() if n else np.nan
    return {
        "customers": n,
        "tiers_used": int(len(np.unique(codes))),
        "top_tier_share": float(top.mean()),
        "top_tier_profit_capture": float(profit[top].sum() / profit.sum()) if profit.sum() else np.nan,
        "top20_profit_capture": top_share_capture(profit[order], 0.2),
        "gini_profit": gini_from_order(profit[order]),
        "churn_auc": churn_auc(df, churned),
        "top_tier_lift": float(profit[top].mean() / mean_profit) if top.any() and mean_profit else np.nan,
        "top_tier_churn_rate": float(churned[top].mean()) if top.any() else np.nan,
        "churn_monotone": bool(np.all(np.diff(churn_rates) >= 0)),
        "churn_trend_p": cochran_armitage(by_tier["churned"].sum().to_numpy(), by_tier.size().to_numpy()),
        "profit_monotone": bool(np.all(np.diff(profit_means) <= 0)),
        "profit_trend_spearman": float(rho),
        "profit_trend_p": float(rho_p),
    }


def reference_rows(outcomes: pd.DataFrame) -> dict[str, dict]:
    profit = outcomes["profit_outcome"].to_numpy(dtype=float)
    perfect = np.sort(profit)[::-1]
    return {
        RANDOM: {"customers": len(profit), "top20_profit_capture": 0.2, "gini_profit": 0.0, "churn_auc": 0.5,
                   "top_tier_lift": 1.0},
        PERFECT: {"customers": len(profit), "top20_profit_capture": top_share_capture(perfect, 0.2),
                              "gini_profit": gini_from_order(perfect)},
    }


def bootstrap_capture(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, *, n_boot: int,
                      random_state: int, share: float = 0.2) -> dict[str, np.ndarray]:
    """Replicates of each method's top-``share`` profit capture under shared Poisson weights."""
    names = list(assignments)
    index = outcomes.index
    profit = outcomes["profit_outcome"].to_numpy(dtype=float)
    k = math.ceil(share * len(index))
    in_top = np.zeros((len(names), len(index)), dtype=bool)
    for j, name in enumerate(names):
        a = assignments[name].loc[index]
        in_top[j, ordering(a)[:k]] = True
    rng = np.random.default_rng(random_state)
    reps = np.empty((len(names), n_boot))
    for b in range(n_boot):
        w = rng.poisson(1.0, size=len(index)) * profit
        total = w.sum()
        reps[:, b] = (in_top @ w) / total if total else np.nan
    return dict(zip(names, reps))


def leaderboard(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, *, n_boot: int = 200,
                random_state: int = 0, level: float = 0.95) -> pd.DataFrame:
    rows = {name: method_row(a, outcomes) for name, a in assignments.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    lo_q, hi_q = 50 * (1 - level), 100 - 50 * (1 - level)
    if n_boot and len(assignments):
        reps = bootstrap_capture(assignments, outcomes, n_boot=n_boot, random_state=random_state)
        best = table["top20_profit_capture"].idxmax()
        table["top20_capture_ci_low"] = [np.nanpercentile(reps[m], lo_q) for m in table.index]
        table["top20_capture_ci_high"] = [np.nanpercentile(reps[m], hi_q) for m in table.index]
        diffs = {m: reps[m] - reps[best] for m in table.index}
        table["diff_vs_best"] = table["top20_profit_capture"] - table.loc[best, "top20_profit_capture"]
        table["diff_vs_best_ci_low"] = [np.nanpercentile(diffs[m], lo_q) for m in table.index]
        table["diff_vs_best_ci_high"] = [np.nanpercentile(diffs[m], hi_q) for m in table.index]
        table["best_method"] = best
        table["clearly_worse_than_best"] = table["diff_vs_best_ci_high"] < 0
    table["n_boot"] = n_boot
    refs = pd.DataFrame.from_dict(reference_rows(outcomes), orient="index")
    table = pd.concat([table.sort_values("top20_profit_capture", ascending=False), refs])
    table.index.name = "method"
    table["reference"] = table.index.isin([RANDOM, PERFECT])
    return table.reset_index()
