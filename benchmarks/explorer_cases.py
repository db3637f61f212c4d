"""Benchmark case of issue 18 item 4 (the weight explorer): one update on real CDNOW.

``cdnow_explorer_update`` times one ``segment.explorer.Explorer.update`` for
``configs/cdnow_1997q3.yaml`` (23,570 customers; validation origin 1997-09-30, outcomes to
1998-03-31; key accounts 2,000; 200 paired bootstrap replicates): the weighted score with
weights other than the config's and other tier shares, its tiers, top-tier profit capture and
key-account profit, their paired intervals against the config's and the default weights, the
tier sizes and the config fragment. What the slider does not change is built before the clock
starts (``Explorer.from_config``: loading, features and outcomes at the origin, the normalised
indicators, the replicate weights, the references); its time is reported as
``setup_seconds``. The measured update is the first of the process (no warm-up); the next
five are reported as ``later_updates_seconds``.
"""

from __future__ import annotations

import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: the update measured: weights and tier shares unlike the config's (revenue 0.6, profit 0.1, recency 0.3; 20 / 50 %)
WEIGHTS = {"monetary_total": 0.4, "profit": 0.2, "recency_days": 0.3, "growth_trend": 0.1}
SHARES = (0.15, 0.45)


def cdnow_explorer_update(inputs) -> dict:
    from segment.explorer import Explorer

    t = time.perf_counter()
    explorer = Explorer.from_config(REPO / "configs" / "cdnow_1997q3.yaml")
    setup = time.perf_counter() - t
    t = time.perf_counter()
    view = explorer.update(WEIGHTS, SHARES)
    seconds = time.perf_counter() - t
    later = []
    for i in range(5):
        s = time.perf_counter()
        explorer.update({**WEIGHTS, "growth_trend": 0.05 * (i + 1)}, SHARES)
        later.append(round(time.perf_counter() - s, 4))
    if view.message is not None:
        raise RuntimeError(f"the benchmark's update was refused: {view.message}")
    return {"seconds": seconds, "setup_seconds": round(setup, 2), "later_updates_seconds": later,
            "customers": int(view.tier_sizes["customers"].sum()), "n_boot": explorer.n_boot,
            "references": list(explorer.references), "top_tier_profit_capture": float(view.figures.iloc[0][
                "top_tier_profit_capture"])}


def cdnow_kmeans_fit(inputs) -> dict:
    """Issue 19 item 3: the k-means method fitted (k chosen by silhouette over its k_range, as
    configured) and assigned on the feature table ``segment run`` grades for
    configs/cdnow_1997q3.yaml at its validation origin (23,570 real CDNOW customers). Loading and
    features are built before the clock starts; the scikit-learn import is done before too (a
    run pays it once)."""
    import sklearn.cluster  # noqa: F401  (imported before timing)
    import sklearn.metrics  # noqa: F401

    from segment.config import RunConfig
    from segment.methods.registry import make_method
    from segment.runner import Runner
    from segment.validation.origins import validation_origin

    cfg = RunConfig.from_yaml(REPO / "configs" / "cdnow_1997q3.yaml")
    runner = Runner.load(cfg)
    origin, _ = validation_origin(cfg.as_of, cfg.window, runner.loaded.data_end)
    features = runner.features_at(origin)
    method = make_method("kmeans", **cfg.methods.get("kmeans", {}))
    t = time.perf_counter()
    method.fit_assign(features)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "customers": len(features), "k": int(method.k_),
            "silhouettes": {int(k): round(v, 4) for k, v in method.silhouettes_.items()}}
