"""How the leaderboard metrics move as each weight moves, on the search folds.

One line per indicator through the reference weights (the tuned ones): the indicator's
weight goes from 0 to 1 in ``sensitivity_points`` steps and the other weights keep their
proportions to each other (equal shares when they are all 0). Every point is judged at
every fold origin; the table holds the mean over folds (the objective also aggregated as
the search does). Constraints are not applied (the column ``meets_weight_constraints``
says which points keep them): the point is to see the landscape. The judged origin is
never used here, so the sensitivity cannot be used to tune on the judged window.

The whole simplex is the search grid itself (``TuningResult.tables["grid"]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from segment.tuning.evaluate import METRIC_COLUMNS, OriginData, evaluate_candidates, objective
from segment.tuning.grid import meets_weight_constraints
from segment.tuning.settings import TuningConfig

#: an objective range along a line below this (share of profit) counts as flat
FLAT = 0.01


def line_points(reference: np.ndarray, j: int, values: np.ndarray) -> np.ndarray:
    """Weights with weight ``j`` = each of ``values`` and the rest in the reference's proportions."""
    ref = np.asarray(reference, dtype=float)
    rest = np.delete(ref, j)
    rest = rest / rest.sum() if rest.sum() > 0 else np.full(len(rest), 1.0 / len(rest))
    out = np.zeros((len(values), len(ref)))
    out[:, j] = values
    out[:, np.arange(len(ref)) != j] = (1.0 - values)[:, None] * rest[None, :]
    return out


def aggregate(per_fold: list[pd.DataFrame], cfg: TuningConfig) -> pd.DataFrame:
    """Mean of every metric over folds, and the objective as the search aggregates it."""
    cols = [c for c in per_fold[0].columns]
    mean = sum(t[cols].astype(float) for t in per_fold) / len(per_fold)
    objs = np.column_stack([objective(t, cfg.objective_metric, cfg.churn_weight).to_numpy() for t in per_fold])
    mean["objective"] = objs.mean(axis=1) if cfg.fold_aggregate == "mean" else objs.min(axis=1)
    return mean


def sensitivity(folds: list[OriginData], reference: np.ndarray, cfg: TuningConfig,
                base_params: dict[str, Any]) -> pd.DataFrame:
    values = np.linspace(0.0, 1.0, cfg.sensitivity_points)
    blocks = [line_points(reference, j, values) for j in range(len(cfg.indicators))]
    weights = np.vstack(blocks)
    per_fold = [evaluate_candidates(weights, d, base_params=base_params, top_share=cfg.top_share) for d in folds]
    table = aggregate(per_fold, cfg)
    table.insert(0, "indicator", np.repeat(cfg.indicators, len(values)))
    table.insert(1, "weight", np.tile(values, len(cfg.indicators)))
    for j, name in enumerate(cfg.indicators):
        table[f"w_{name}"] = weights[:, j]
    table["reference_weight"] = np.repeat(np.asarray(reference, dtype=float), len(values))
    table["meets_weight_constraints"] = meets_weight_constraints(weights, cfg)
    return table


def sensitivity_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: the range of the objective and of the metrics along its line, and
    whether the weight matters (objective range of at least ``FLAT``)."""
    rows = []
    for name, part in table.groupby("indicator", sort=False):
        row: dict[str, Any] = {"indicator": name, "reference_weight": float(part["reference_weight"].iloc[0])}
        best = part.loc[part["objective"].idxmax()]
        row.update(objective_min=float(part["objective"].min()), objective_max=float(part["objective"].max()),
                   objective_range=float(part["objective"].max() - part["objective"].min()),
                   best_weight_on_line=float(best["weight"]))
        for m in METRIC_COLUMNS:
            row[f"{m}_range"] = float(part[m].max() - part[m].min())
        row["verdict"] = "matters" if row["objective_range"] >= FLAT else "flat"
        rows.append(row)
    return pd.DataFrame(rows).sort_values("objective_range", ascending=False, kind="stable").reset_index(drop=True)
