"""What a run keeps of the tuning: the tuned weights as a config fragment, the tables,
and the entry points the pipeline and the notebook use.

The fragment (``tuning/tuned_weights.yaml`` in the run folder) is a ``methods:`` block
for the next quarter's config: the weighted method with the tuned weights and the run
config's other parameters of that method, headed by comments that state the evidence
(folds, objective, the out-of-time figure with its interval, the comparison with the
default weights). Paste it over that config's ``methods.weighted``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from segment.tuning.grid import weights_text
from segment.tuning.search import DEFAULT, TUNED, TuningResult, tune
from segment.tuning.settings import TuningConfig


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def fragment_dict(chosen: dict[str, float], base_params: dict[str, Any]) -> dict[str, Any]:
    weights = {k: round(float(v), 6) for k, v in chosen.items()}
    return {"methods": {"weighted": {**_plain(base_params), "weights": weights}}}


def fragment_text(chosen: dict[str, float], base_params: dict[str, Any], cfg: TuningConfig,
                  comparison: pd.DataFrame) -> str:
    c = comparison.set_index("weight_set")
    m = cfg.objective_metric
    tuned, default = c.loc[TUNED], c.loc[DEFAULT]
    lines = [
        "# Tuned weights for the weighted score (segment tuning), chosen out of time.",
        f"# Search folds (as-of dates): {', '.join(cfg.fold_origins)}; horizon {cfg.horizon_days} days;",
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


def write_tuning(result: TuningResult, run_dir: Path) -> list[Path]:
    """``<run>/tuning/<table>.csv`` and ``tuned_weights.yaml``, each written atomically."""
    from segment.export import atomic_write, write_table

    folder = Path(run_dir) / "tuning"
    files: list[Path] = []
    for name, table in result.tables.items():
        files += write_table(table, folder / name, parquet=False, index=False)
    files.append(atomic_write(folder / "tuned_weights.yaml", lambda p: p.write_text(result.fragment, encoding="utf-8")))
    return files


def tune_from_config(config, loaded) -> TuningResult:
    """The tuning a run config asks for, on the run's loaded data (``pipeline.LoadedData``)."""
    from segment.methods.weighted import DEFAULT_WEIGHTS

    if not isinstance(loaded.transactions, pd.DataFrame):  # e.g. data.engine spark: the rows stay on the engine
        raise ValueError(f"{config.source}: weight tuning needs the transactions in memory (data.engine duckdb); "
                         f"got {type(loaded.transactions).__name__}")
    params = dict(config.methods.get("weighted", {}))
    settings = TuningConfig.from_dict(config.tuning, source=config.source, horizon_days=config.horizon_days,
                                      method_params=params)
    default = params.pop("weights", None) or dict(DEFAULT_WEIGHTS)
    result = tune(loaded.transactions, settings=settings, data_end=loaded.data_end, base_params=params,
                  default_weights=default, provisional_days=config.provisional_days,
                  feature_kwargs=config.feature_kwargs, customers=loaded.customers)
    result.data_source = str(loaded.source.get("file") or loaded.source.get("dataset") or config.source)
    if not loaded.source.get("real_data", True):
        result.data_source += " (synthetic)"
    if "weighted" not in config.methods:
        result.notes.append("the config has no weighted method: the default weights are the package's "
                            f"({weights_text(DEFAULT_WEIGHTS)})")
    return result


def load_or_tune(run_dir: str, config: str) -> TuningResult:
    """The run's tuning result, or (no run_dir: interactive use, nbval) the tuning of
    ``config`` alone (load the data and tune; the other methods are not run)."""
    from segment.config import RunConfig
    from segment.pipeline import load_data, load_result

    if run_dir:
        result = getattr(load_result(Path(run_dir) / "artifacts" / "result.pkl"), "tuning", None)
        if result is None:
            raise ValueError(f"the run in {run_dir} has no tuning result: its config has no 'tuning' section")
        return result
    cfg = RunConfig.from_yaml(config)
    if not cfg.tuning:
        raise ValueError(f"{config} has no 'tuning' section")
    return tune_from_config(cfg, load_data(cfg))
