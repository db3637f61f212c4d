"""The out-of-time weight search (``tune``) and its evidence.

Design (docs/TUNING.md):

1. **What the search may read.** The transactions are cut to an extract as of the judged
   origin J: orders dated on or before J, payments after J unknown (NaT). Every fold
   origin F has its outcome window (F, H.end(F)] inside that extract (H.end(F) ≤ J, checked
   by the settings: ``TuningConfig.from_dict``; H in days or calendar units, ``segment.horizon``),
   so no number the search sees depends on the judged window.
2. **Folds.** At every F the features, outcomes and normalised indicator matrix are built
   once; each grid candidate is then a weighted sum of its columns (``evaluate``). The
   objective (the stated metric, optionally + churn_weight × churn AUC) is aggregated over
   folds (mean or worst). Candidates whose tiers break a tier-share constraint at any fold are
   infeasible. The best feasible candidate wins; ties go to the first in grid order.
3. **Baselines.** The default (config) weights, equal weights, and the statsmodels
   regression baseline (``baseline``, fitted on the folds only).
4. **Judgement.** At J (features as of J from the full data, outcomes in (J, H.end(J)]) every
   weight set is fitted with the weighted method itself and judged by the leaderboard
   code, with intervals; the same is done at every fold (in sample). A fifth set, the
   grid optimum chosen on J itself ("hindsight"), shows how much tuning on the judged
   window would flatter; it is a reference, never a recommendation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from segment.dates import to_date
from segment.tuning.baseline import regression_weights
from segment.tuning.fragment import DEFAULT, EQUAL, HINDSIGHT, REGRESSION, TUNED, fragment_text
from segment.tuning.compare import assign_sets, judge, paired_differences
from segment.tuning.evaluate import OriginData, evaluate_candidates, objective, origin_data
from segment.tuning.grid import candidate_grid, meets_weight_constraints, weights_text
from segment.tuning.sensitivity import aggregate, sensitivity, sensitivity_summary
from segment.tuning.settings import TOL, TuningConfig


class TuningInfeasible(ValueError):
    """No grid candidate meets the tier-share constraints at every fold origin."""


@dataclass
class TuningResult:
    settings: TuningConfig
    chosen: dict[str, float]
    weight_sets: dict[str, dict[str, float]]
    tables: dict[str, pd.DataFrame]
    fragment: str
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: where the data came from (for figure captions), set by ``segment.pipeline.tune_with``
    data_source: str = ""


def check_design(cfg: TuningConfig, data_end: Any) -> None:
    """J's outcome window ends on or before the data's end (that every fold's window ends on
    or before J, ``TuningConfig.from_dict`` has checked)."""
    judged = to_date(cfg.judged_origin, "judged_origin")
    if cfg.horizon.end(judged) > to_date(data_end, "data_end"):
        raise ValueError(f"the judged origin {judged} has no full {cfg.horizon.adjective} outcome window: the data "
                         f"end {to_date(data_end, 'data_end')}")


def grid_table(grid: np.ndarray, per_fold: list[pd.DataFrame], folds: list[OriginData], cfg: TuningConfig) -> pd.DataFrame:
    """One row per candidate: weights, the objective per fold and aggregated, fold-mean
    metrics, feasibility (tier-share constraints at every fold) and rank."""
    table = pd.DataFrame(grid, columns=[f"w_{n}" for n in cfg.indicators])
    table.insert(0, "candidate", np.arange(len(grid)))
    agg = aggregate(per_fold, cfg)
    for d, t in zip(folds, per_fold):
        table[f"objective_{d.origin}"] = objective(t, cfg.objective_metric, cfg.churn_weight).to_numpy()
    table["objective"] = agg.pop("objective").to_numpy()
    table = pd.concat([table, agg], axis=1)  # both on the candidates' RangeIndex
    table["meets_tier_shares"] = tier_shares_ok(per_fold, cfg)
    table["feasible"] = table["meets_tier_shares"] & meets_weight_constraints(grid, cfg)
    ranked = table["objective"].round(12).where(table["feasible"])
    table["rank"] = ranked.rank(ascending=False, method="min")
    return table


def tier_shares_ok(per_fold: list[pd.DataFrame], cfg: TuningConfig) -> np.ndarray:
    ok = np.ones(len(per_fold[0]), dtype=bool)
    for t in per_fold:
        for label, cap in cfg.max_tier_share.items():
            ok &= t[f"share_{label}"].to_numpy() <= cap + TOL
        for label, floor in cfg.min_tier_share.items():
            ok &= t[f"share_{label}"].to_numpy() >= floor - TOL
    return ok


def best_row(table: pd.DataFrame, what: str) -> int:
    """Position of the best feasible candidate (highest objective; ties: first in grid order)."""
    feasible = table["feasible"].to_numpy()
    if not feasible.any():
        shares = {c: float(table[c].min()) for c in table.columns if c.startswith("share_")}
        raise TuningInfeasible(f"{what}: no weight candidate meets the tier-share constraints at every fold origin "
                               f"(smallest tier shares reached over the grid: {shares}); relax max_tier_share / "
                               "min_tier_share or change the weighted method's tier_shares / tier_cuts")
    obj = table["objective"].round(12).to_numpy()
    obj = np.where(feasible, obj, -np.inf)
    return int(np.argmax(obj))


def tune(*, settings: TuningConfig, fold_tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
         judged_tables: tuple[pd.DataFrame, pd.DataFrame], base_params: dict[str, Any], default_weights: dict[str, float],
         provisional_days: int = 182, notes: list[str] | None = None) -> TuningResult:
    """Search the weight grid on the fold origins and judge the result at the judged origin.

    ``fold_tables``: fold origin -> (features, outcomes) from the extract as of the judged
    origin (``segment.runner.Runner.tuning_tables`` builds them: the search never sees the
    judged window); ``judged_tables``: (features, outcomes) at the judged origin from the full data.
    ``base_params`` the weighted method's other parameters (normalisation, tier_shares /
    tier_cuts, labels, ...); ``default_weights`` the config's weights (a baseline); ``notes``
    the notes so far (the extract's), continued here.
    """
    cfg = settings
    base = {k: v for k, v in base_params.items() if k != "weights"}
    timings: dict[str, float] = {}
    notes = list(notes or [])
    t0 = time.perf_counter()

    def data(origin: str, tables: tuple[pd.DataFrame, pd.DataFrame], role: str) -> OriginData:
        end = str(cfg.horizon.end(origin))
        return origin_data(*tables, origin=origin, role=role, window_end=end, indicators=cfg.indicators,
                           base_params=base, provisional_days=provisional_days)

    # 1-2. the search: folds only, from the extract as of the judged origin
    folds = [data(f, fold_tables[f], "fold") for f in cfg.fold_origins]
    timings["fold_features"] = time.perf_counter() - t0
    t = time.perf_counter()
    grid = candidate_grid(cfg)
    per_fold = [evaluate_candidates(grid, d, base_params=base, top_share=cfg.top_share) for d in folds]
    table = grid_table(grid, per_fold, folds, cfg)
    pick = best_row(table, "the search")
    chosen = {n: float(w) for n, w in zip(cfg.indicators, np.round(grid[pick], 10))}
    timings["search"] = time.perf_counter() - t

    t = time.perf_counter()
    reg_w, reg_table, reg_notes = regression_weights(folds, cfg)
    notes += reg_notes
    sens = sensitivity(folds, grid[pick], cfg, base)
    timings["baseline_and_sensitivity"] = time.perf_counter() - t

    # 4. judgement at J (full data), plus the hindsight optimum on J
    t = time.perf_counter()
    judged = data(cfg.judged_origin, judged_tables, "judged")
    on_judged = evaluate_candidates(grid, judged, base_params=base, top_share=cfg.top_share)
    hind_table = grid_table(grid, [on_judged], [judged], cfg)
    try:
        hind = best_row(hind_table, "the hindsight optimum at the judged origin")
    except TuningInfeasible:  # a reference only: without a feasible point at J, ignore the tier shares there
        hind = best_row(hind_table.assign(feasible=meets_weight_constraints(grid, cfg)), "the hindsight optimum")
        notes.append("no grid point meets the tier-share constraints at the judged origin; the hindsight optimum "
                     "ignores them there")
    table["objective_judged"] = hind_table["objective"].to_numpy()
    table["rank_judged"] = hind_table["rank"].to_numpy()

    sets = {TUNED: chosen, DEFAULT: {str(k): float(v) for k, v in default_weights.items()},
            EQUAL: {n: 1.0 / len(cfg.indicators) for n in cfg.indicators},
            REGRESSION: {n: float(w) for n, w in zip(cfg.indicators, reg_w)},
            HINDSIGHT: {n: float(w) for n, w in zip(cfg.indicators, np.round(grid[hind], 10))}}
    real = {k: v for k, v in sets.items() if k != HINDSIGHT}
    boards, intervals, diffs, sizes = [], [], [], []
    kw = {"n_boot": cfg.n_boot, "random_state": cfg.random_state, "level": cfg.level, "top_share": cfg.top_share}
    for d in [*folds, judged]:
        assigned = assign_sets(sets, d, base, provisional_days)
        sizes.append(tier_sizes(assigned, d))
        b, iv = judge({k: assigned[k] for k in real}, d, **kw)
        hb, hiv = judge({HINDSIGHT: assigned[HINDSIGHT]}, d, **kw)
        boards += [b, hb]
        intervals += [iv, hiv]
        for ref in (DEFAULT, EQUAL):
            diffs.append(paired_differences(assigned, d, ref, **kw))
    timings["judgement"] = time.perf_counter() - t

    board = pd.concat(boards, ignore_index=True)
    board["objective"] = objective(board, cfg.objective_metric, cfg.churn_weight)
    tables = {
        "folds": pd.DataFrame([d.summary() for d in [*folds, judged]]),
        "grid": table,
        "sensitivity": sens,
        "sensitivity_summary": sensitivity_summary(sens),
        "regression": reg_table,
        "weight_sets": weight_sets_table(sets, cfg),
        "leaderboards": board,
        "intervals": pd.concat(intervals, ignore_index=True),
        "differences": pd.concat(diffs, ignore_index=True),
        "tier_sizes": pd.concat(sizes, ignore_index=True),
    }
    tables["comparison"] = comparison(board, tables["intervals"], tables["differences"], sets, cfg)
    tables["constraints"] = constraints_table(tables["tier_sizes"], sets, cfg)
    notes.append(f"hindsight optimum (reference): the grid point that is best on the judged window itself "
                 f"({weights_text(sets[HINDSIGHT])}); its judged figure is in sample and not attainable in practice")
    timings["total"] = time.perf_counter() - t0
    frag = fragment_text(chosen, base, cfg, tables["comparison"])
    return TuningResult(cfg, chosen, sets, tables, frag, notes, timings)


def weight_sets_table(sets: dict[str, dict[str, float]], cfg: TuningConfig) -> pd.DataFrame:
    names = list(dict.fromkeys([*cfg.indicators, *(k for w in sets.values() for k in w)]))
    rows = [{"weight_set": s, **{f"w_{n}": float(w.get(n, 0.0)) for n in names}, "weights": weights_text(w)}
            for s, w in sets.items()]
    return pd.DataFrame(rows)


def _agg(values: pd.Series, how: str) -> float:
    return float(values.mean() if how == "mean" else values.min())


def comparison(board: pd.DataFrame, intervals: pd.DataFrame, diffs: pd.DataFrame, sets: dict[str, dict[str, float]],
               cfg: TuningConfig) -> pd.DataFrame:
    """One row per weight set: in-sample (fold aggregate) and out-of-time (judged) figures
    side by side, the judged intervals, and the paired difference to the default weights."""
    rows = []
    metric = cfg.objective_metric
    folds = board[board["role"] == "fold"]
    judged = board[board["role"] == "judged"].set_index("weight_set")
    iv = intervals[intervals["role"] == "judged"].set_index(["weight_set", "metric"])
    dv = diffs[(diffs["role"] == "judged") & (diffs["reference"] == DEFAULT)].set_index(["weight_set", "metric"])
    fd = diffs[(diffs["role"] == "fold") & (diffs["reference"] == DEFAULT) & (diffs["metric"] == metric)]
    for name, w in sets.items():
        f = folds[folds["weight_set"] == name]
        j = judged.loc[name]
        row: dict[str, Any] = {"weight_set": name, "weights": weights_text(w),
                               "in_sample_objective": _agg(f["objective"], cfg.fold_aggregate),
                               "out_of_time_objective": float(j["objective"])}
        row["optimism"] = row["in_sample_objective"] - row["out_of_time_objective"]
        for m in ("top_tier_profit_capture", "top20_profit_capture", "churn_auc", "gini_profit"):
            row[f"in_sample_{m}"] = _agg(f[m], cfg.fold_aggregate)
            row[f"out_of_time_{m}"] = float(j[m])  # every set is judged with intervals at J: iv has each (name, m)
            row[f"out_of_time_{m}_ci_low"] = float(iv.loc[(name, m), "ci_low"])
            row[f"out_of_time_{m}_ci_high"] = float(iv.loc[(name, m), "ci_high"])
        row["out_of_time_top_tier_share"] = float(j["top_tier_share"])
        part = fd[fd["weight_set"] == name]
        if len(part):
            row[f"in_sample_{metric}_vs_default"] = float(part["difference"].mean())
        if (name, metric) in dv.index:
            d = dv.loc[(name, metric)]
            row.update({f"out_of_time_{metric}_vs_default": float(d["difference"]),
                        f"out_of_time_{metric}_vs_default_ci_low": float(d["ci_low"]),
                        f"out_of_time_{metric}_vs_default_ci_high": float(d["ci_high"])})
        rows.append(row)
    return pd.DataFrame(rows)


def tier_sizes(assigned: dict[str, pd.DataFrame], data: OriginData) -> pd.DataFrame:
    """Customers and share per tier, per weight set, at one origin."""
    rows = []
    for name, a in assigned.items():
        counts = a["tier"].value_counts(sort=False)
        for label, n in counts.items():
            rows.append({"origin": data.origin, "role": data.role, "weight_set": name, "tier": str(label),
                         "customers": int(n), "share": n / len(a) if len(a) else np.nan})
    return pd.DataFrame(rows)


def constraints_table(sizes: pd.DataFrame, sets: dict[str, dict[str, float]], cfg: TuningConfig) -> pd.DataFrame:
    """Per weight set and origin: do the weights, and the tiers there, meet the constraints?"""
    rows = []
    for (origin, role, name), part in sizes.groupby(["origin", "role", "weight_set"], sort=False):
        w = sets[name]
        vec = np.array([[w.get(n, 0.0) for n in cfg.indicators]])
        share = dict(zip(part["tier"], part["share"]))
        ok = all(share.get(label, 0.0) <= cap + TOL for label, cap in cfg.max_tier_share.items())
        ok &= all(share.get(label, 0.0) >= floor - TOL for label, floor in cfg.min_tier_share.items())
        rows.append({"origin": origin, "role": role, "weight_set": name,
                     "weights_ok": bool(set(w) <= set(cfg.indicators) and meets_weight_constraints(vec, cfg)[0]),
                     **{f"share_{t}": float(s) for t, s in share.items()}, "tier_shares_ok": bool(ok)})
    return pd.DataFrame(rows)
