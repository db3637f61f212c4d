"""The tuned weights as a config fragment (``tuning/tuned_weights.yaml`` of a run): a
``methods:`` block for the next quarter's config, the weighted method with the tuned weights
and the run config's other parameters of that method, headed by comments that state the
evidence (folds, objective, the out-of-time figure with its interval, the comparison with the
default weights). Also the names of the weight sets the tuning compares."""

from __future__ import annotations

from typing import Any

import pandas as pd
import yaml

from segment.jsonable import jsonable
from segment.tuning.settings import TuningConfig

TUNED, DEFAULT, EQUAL, REGRESSION = ("tuned (out of time)", "default (config)", "equal weights",
                                     "regression (statsmodels OLS)")
HINDSIGHT = "hindsight optimum (reference)"


def fragment_dict(chosen: dict[str, float], base_params: dict[str, Any]) -> dict[str, Any]:
    weights = {k: round(float(v), 6) for k, v in chosen.items()}
    return {"methods": {"weighted": {**jsonable(base_params), "weights": weights}}}


def fragment_text(chosen: dict[str, float], base_params: dict[str, Any], cfg: TuningConfig,
                  comparison: pd.DataFrame) -> str:
    c = comparison.set_index("weight_set")
    m = cfg.objective_metric
    tuned, default = c.loc[TUNED], c.loc[DEFAULT]
    lines = [
        "# Tuned weights for the weighted score (segment tuning), chosen out of time.",
        f"# Search folds (as-of dates): {', '.join(cfg.fold_origins)}; horizon {cfg.horizon.label};",
        f"# judged at {cfg.judged_origin} (outcomes to the window's end), never seen by the search.",
        f"# Objective: {cfg.objective_text}; grid step {cfg.grid_step:g}.",
        f"# In sample (folds): {tuned['in_sample_objective']:.4f}; out of time (judged): "
        f"{tuned['out_of_time_objective']:.4f}.",
    ]
    lo, hi = tuned.get(f"out_of_time_{m}_ci_low"), tuned.get(f"out_of_time_{m}_ci_high")
    if lo is not None and pd.notna(lo):
        lines.append(f"# Out-of-time {m}: {tuned[f'out_of_time_{m}']:.4f} [{cfg.level:.0%} interval {lo:.4f}, {hi:.4f}].")
    d = tuned.get(f"out_of_time_{m}_vs_default")
    if d is not None and pd.notna(d):
        lines.append(f"# Out of time versus the default weights ({default['weights']}): {d:+.4f} "
                     f"[{tuned[f'out_of_time_{m}_vs_default_ci_low']:+.4f}, "
                     f"{tuned[f'out_of_time_{m}_vs_default_ci_high']:+.4f}], paired.")
    lines.append("# Paste over methods.weighted of the next quarter's config.")
    body = yaml.safe_dump(fragment_dict(chosen, base_params), sort_keys=False, default_flow_style=None)
    return "\n".join(lines) + "\n" + body
