"""Benchmark case of issue 7 (weight tuning): the out-of-time search on real CDNOW.

``cdnow_tuning_search`` times ``segment.pipeline.tune_with`` for
``configs/cdnow_tuning.yaml`` (23,570 customers; folds 1997-06-30, 1997-09-30,
1997-12-31, judged 1998-03-31, 90-day horizon; the default grid: step 0.1 over four
indicators, 286 candidates): features and outcomes at the four origins, the grid on the
three folds, the regression baseline, the sensitivity lines, the hindsight grid at the
judged origin and the leaderboards with 200 paired bootstrap replicates at every origin.
Loading the CDNOW file is done before the clock starts.
"""

from __future__ import annotations

import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cdnow_tuning_search(inputs) -> dict:
    from segment.config import RunConfig
    from segment.pipeline import tune_with
    from segment.runner import Runner

    cfg = RunConfig.from_yaml(REPO / "configs" / "cdnow_tuning.yaml")
    runner = Runner.load(cfg)
    t = time.perf_counter()
    result = tune_with(cfg, runner)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "customers": int(result.tables["folds"]["customers"].iloc[-1]),
            "candidates": len(result.tables["grid"]), "folds": len(cfg.tuning["fold_origins"]),
            "per_step_seconds": {k: round(v, 2) for k, v in result.timings.items() if k != "total"},
            "tuned_weights": result.chosen}
