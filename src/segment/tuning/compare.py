"""Weight sets judged with the weighted method itself, in sample and out of time.

At every origin each weight set is fitted with the registered weighted method
(``WeightedScore.fit_assign`` on the features there, the run config's other parameters)
and judged by ``validation.leaderboard.leaderboard_tables`` — the leaderboard's own
figures and intervals (paired Poisson bootstrap for the captures, influence-function
intervals for Gini and churn AUC). At the fold origins that is the search's own,
in-sample view; at the judged origin it is out of time.

``paired_differences`` adds what the leaderboard does not: each set minus a chosen
reference set (the default weights, equal weights) at one origin, paired the same way —
the bootstrap replicates of ``leaderboard.bootstrap_sums`` (shared Poisson weights per
customer) for the captures, the difference of influence vectors for Gini and AUC.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from segment.tuning.evaluate import OriginData, method_for
from segment.validation.leaderboard import bootstrap_sums, leaderboard_tables
from segment.validation.metrics import auc_influence, gini_influence, normal_interval, rank_all, top_count

DIFF_METRICS = ("top_tier_profit_capture", "top20_profit_capture", "gini_profit", "churn_auc")


def assign_sets(weight_sets: dict[str, dict[str, float]], data: OriginData, base_params: dict[str, Any],
                provisional_days: int) -> dict[str, pd.DataFrame]:
    return {name: method_for(w, base_params, provisional_days).fit_assign(data.features)
            for name, w in weight_sets.items()}


def judge(assignments: dict[str, pd.DataFrame], data: OriginData, *, n_boot: int, random_state: int, level: float,
          top_share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leaderboard (method rows only) and its long interval table, tagged with the origin."""
    board, intervals = leaderboard_tables(assignments, data.outcomes, n_boot=n_boot, random_state=random_state,
                                          level=level, top_share=top_share)
    board = board[~board["reference"].astype(bool)].rename(columns={"method": "weight_set"})
    intervals = intervals.rename(columns={"method": "weight_set"})
    for t in (board, intervals):
        t.insert(0, "role", data.role)
        t.insert(0, "origin", data.origin)
    return board.reset_index(drop=True), intervals


def paired_differences(assignments: dict[str, pd.DataFrame], data: OriginData, reference: str, *, n_boot: int,
                       random_state: int, level: float, top_share: float) -> pd.DataFrame:
    """Each weight set minus ``reference`` at this origin, with paired intervals."""
    outcomes = data.outcomes
    rankings = rank_all(assignments, outcomes.index)
    profit, churned = data.profit, data.churned
    n, names = len(profit), list(rankings)
    k = top_count(n, top_share)
    point, infl = {}, {}
    cols = [profit]
    for name, r in rankings.items():
        top_tier = r.codes == 0
        top20 = np.zeros(n, dtype=bool)
        top20[r.order[:k]] = True
        cols += [np.where(top_tier, profit, 0.0), np.where(top20, profit, 0.0)]
        total = profit.sum()
        g, psi_pos = gini_influence(profit[r.order])
        psi = np.empty(n)
        psi[r.order] = psi_pos
        auc, auc_psi = auc_influence(r, churned)
        point[name] = {"top_tier_profit_capture": profit[top_tier].sum() / total if total else np.nan,
                       "top20_profit_capture": profit[top20].sum() / total if total else np.nan,
                       "gini_profit": g, "churn_auc": auc}
        infl[name] = {"gini_profit": psi, "churn_auc": auc_psi}
    reps = {}
    if n_boot:
        sums = bootstrap_sums(np.column_stack(cols), n_boot=n_boot, random_state=random_state)
        with np.errstate(divide="ignore", invalid="ignore"):
            for j, name in enumerate(names):
                reps[name] = {"top_tier_profit_capture": sums[:, 1 + 2 * j] / sums[:, 0],
                              "top20_profit_capture": sums[:, 2 + 2 * j] / sums[:, 0]}
    lo_q, hi_q = 50 * (1 - level), 100 - 50 * (1 - level)
    rows = []
    for name in names:
        if name == reference:
            continue
        for metric in DIFF_METRICS:
            diff = point[name][metric] - point[reference][metric]
            if metric in infl[name]:
                _, low, high = normal_interval(diff, infl[name][metric] - infl[reference][metric], level)
                how = "influence function, normal (paired)"
            elif reps:
                d = reps[name][metric] - reps[reference][metric]
                d = d[np.isfinite(d)]
                low, high = (float(np.percentile(d, lo_q)), float(np.percentile(d, hi_q))) if len(d) else (np.nan,) * 2
                how = "paired Poisson bootstrap, percentile"
            else:
                low = high = np.nan
                how = "no bootstrap (n_boot = 0)"
            rows.append({"origin": data.origin, "role": data.role, "weight_set": name, "reference": reference,
                         "metric": metric, "difference": diff, "ci_low": low, "ci_high": high,
                         "interval_method": how,
                         "clearly_better": bool(low > 0) if np.isfinite(low) else pd.NA,
                         "clearly_worse": bool(high < 0) if np.isfinite(high) else pd.NA})
    out = pd.DataFrame(rows)
    out["level"], out["n_boot"] = level, n_boot
    return out
