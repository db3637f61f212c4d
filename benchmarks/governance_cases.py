"""Issue 17 (governance): what the ledger step adds to a run on 2.36 M customers.

``ledger_movement`` grades the CDNOW x100 customers with RFM at two quarter ends, publishes the
first as a run of a series and then times ``segment.governance.publish.publish_run`` of the
second: reading and hash-checking the previous published file, the stability step, movement
with a reason per customer, the matrix, summary and drift tables, and writing published.csv.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

CDNOW_PROFIT = {"gross_margin": 0.25, "cost_per_order": 2.0}


def _result(features, assignments, as_of: str):
    config = SimpleNamespace(series="bench", as_of=as_of, previous_run=None, publish="rfm", lookback_months=None,
                             source="bench.yaml", stability={"margin": 0.05, "review_after": 2}, backtest_origins=())
    return SimpleNamespace(config=config, assignments={"rfm": assignments}, features=features,
                           validation=SimpleNamespace(recommended=None), not_graded={}, stability_trade_off=None,
                           fitted={})


def ledger_movement(inputs) -> dict:
    from segment.governance.publish import publish_run
    from segment.grading import provisional_flag
    from segment.methods.registry import make_method
    from segment.outcomes import build_features_and_outcomes

    path = str(inputs["cdnow_x100"])
    runs = []
    for as_of in ("1997-09-30", "1997-12-31"):
        f, _ = build_features_and_outcomes(path, as_of=as_of, horizon_days=91, **CDNOW_PROFIT)
        a = make_method("rfm").fit_assign(f).assign(provisional=provisional_flag(f, 182))
        runs.append((as_of, f, a))
    with tempfile.TemporaryDirectory() as reports:
        reports = Path(reports)
        times = []
        for i, (as_of, f, a) in enumerate(runs):
            folder = reports / f"run{i}"
            folder.mkdir()
            t = time.perf_counter()
            pub = publish_run(_result(f, a, as_of), folder, reports_dir=reports, final=folder)
            times.append(time.perf_counter() - t)
            manifest = {"status": "ok", "grading_as_of": as_of, "finished": f"2026-12-02T0{i}:00:00", **pub.fields}
            (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return {"seconds": times[1], "first_run_seconds": round(times[0], 3), "customers": len(runs[1][1])}
