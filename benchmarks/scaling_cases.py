"""Benchmark cases of issue 8 (scaling): the whole run at 30 M rows, k-means' sample
strategy measured, and the same features and outcomes on Spark in local mode.

- ``b2b30m_segment_run``: ``segment run`` (pipeline with every method, validation with
  three backtest origins, the notebooks and their HTML) of configs/b2b_synthetic.yaml with
  only the data changed to the 30 M-row B2B Parquet (``data: {path: ...}``: the file input
  contract, as a user's file would be read), on the default DuckDB engine.
- ``b2b30m_segment_run_duckdb_engine``: the same run with ``data: {engine: ibis, backend:
  duckdb, path: ...}``: the Parquet stays in DuckDB, never in pandas (column-level checks).
- ``b2b30m_one_scan_duckdb`` / ``_3gb``: one features-and-outcomes aggregation of the 30 M
  Parquet on engine ibis/duckdb, with DuckDB's default memory limit and with 3 GB.
- ``b2b30m_kmeans_sample_vs_full``: on the B2B 30 M feature table (about 2 M customers),
  k-means fitted on its default seeded sample (``fit_sample`` = 200,000) against k-means
  fitted on every customer; tier agreement, adjusted Rand index and per-tier sizes with k
  chosen by silhouette each way (and, if the two choose different k, again with k fixed
  to the full fit's k).
- ``cdnow7m_spark_features_outcomes``: ``build_features_and_outcomes`` on Spark local[2]
  through Ibis on CDNOW x100 (6.97 M rows); a copy with microsecond timestamps (Spark
  cannot read nanoseconds) is written before the clock starts; session start-up is timed
  separately. The result is checked against DuckDB's on the same file.

Memory: ``peak_mb`` is the peak of the resident memory of this process plus its
children (notebook kernels; the Spark JVM), sampled every 0.2 s with psutil.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from report_cases import TreeMemory as _TreeMemory, _vmhwm_mb  # one process-tree memory sampler (with the memory guard)

REPO = Path(__file__).resolve().parents[1]
B2B_AS_OF, B2B_HORIZON = "2022-12-31", 365


def _segment_run(data: dict, output_name: str) -> dict:
    """`segment run` of configs/b2b_synthetic.yaml with ``data`` instead of the generator."""
    import yaml

    from segment.cli import main

    cfg = yaml.safe_load((REPO / "configs" / "b2b_synthetic.yaml").read_text())
    cfg["output_name"] = output_name
    cfg["data"] = data
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / f"{output_name}.yaml"
        config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        reports = Path(tmp) / "reports"
        with _TreeMemory() as mem:
            t = time.perf_counter()
            status = main(["run", "--config", str(config), "--reports-dir", str(reports), "--quiet"])
            seconds = time.perf_counter() - t
        manifests = list(reports.glob("*/manifest.json"))
        record = json.loads(manifests[0].read_text()) if manifests else {}
    if status != 0:
        raise RuntimeError(f"segment run exited {status}")
    return {"seconds": seconds, "peak_mb": mem.peak, "peak_mb_parent": _vmhwm_mb(),
            "rows_read": record.get("rows_read"), "customers_graded": record.get("customers_graded"),
            "timings": record.get("timings_seconds", {})}


def b2b30m_segment_run(inputs) -> dict:
    """`segment run` on the 30 M-row B2B Parquet through the file input contract (pandas in memory)."""
    return _segment_run({"path": str(Path(inputs["b2b_30m"]).resolve())}, "b2b-30m")


def b2b30m_segment_run_duckdb_engine(inputs) -> dict:
    """The same run with the Parquet left in DuckDB (``engine: ibis, backend: duckdb``):
    the transactions are never loaded into pandas; every aggregation scans the file."""
    return _segment_run({"engine": "ibis", "backend": "duckdb", "path": str(Path(inputs["b2b_30m"]).resolve())},
                        "b2b-30m-duckdb-engine")


def _kmeans_compare(f, **params) -> dict:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from segment.methods.cluster import ClusterGrading

    out = {}
    fits = {}
    for name, fit_sample in (("sample", ClusterGrading.fit_sample), ("full", len(f))):
        t = time.perf_counter()
        m = ClusterGrading(random_state=0, fit_sample=fit_sample, **params)
        tiers = m.fit_assign(f)["tier"].astype(str).to_numpy()
        out[f"{name}_seconds"] = round(time.perf_counter() - t, 2)
        out[f"{name}_k"] = int(m.k_)
        out[f"{name}_tier_shares"] = {k: round(v / len(tiers), 4) for k, v in
                                      zip(*np.unique(tiers, return_counts=True))}
        fits[name] = (m, tiers)
    (ms, ts), (mf, tf) = fits["sample"], fits["full"]
    out["tier_agreement"] = round(float((ts == tf).mean()), 4)
    out["adjusted_rand"] = round(float(adjusted_rand_score(tf, ts)), 4)
    if ms.k_ == mf.k_:  # centroid shift in scaled units, tier by tier
        out["max_centroid_shift_sd"] = round(float(np.abs(ms.centers_ - mf.centers_).max()), 4)
    return out


def b2b30m_kmeans_sample_vs_full(inputs) -> dict:
    """k-means on a 200,000-customer sample vs on every customer of the B2B 30 M table."""
    from segment.features import build_features

    f = build_features(str(inputs["b2b_30m"]), as_of=B2B_AS_OF)
    t = time.perf_counter()
    chosen = _kmeans_compare(f)
    out = {"seconds": time.perf_counter() - t, "customers": len(f), "k_by_silhouette": chosen}
    if chosen["sample_k"] != chosen["full_k"]:  # separate the choice of k from the centroids
        out["k_fixed_to_full_fit"] = _kmeans_compare(f, n_clusters=chosen["full_k"])
    return out


def cdnow7m_spark_features_outcomes(inputs) -> dict:
    """Features and outcomes in one scan on Spark local[2] (CDNOW x100), checked against DuckDB."""
    import duckdb
    import numpy as np

    from segment.engines.source import load_engine_data
    from segment.engines.spark import spark_backend, spark_session
    from segment.outcomes import build_features_and_outcomes

    kw = {"as_of": "1997-09-30", "horizon_days": 273, "gross_margin": 0.25, "cost_per_order": 2.0}
    src = str(inputs["cdnow_x100"])
    with tempfile.TemporaryDirectory() as tmp, _TreeMemory() as mem:
        us = str(Path(tmp) / "cdnow_x100_us.parquet")
        duckdb.sql(f"COPY (SELECT * REPLACE (CAST(order_ts AS TIMESTAMP) AS order_ts) FROM read_parquet('{src}')) "
                   f"TO '{us}' (FORMAT parquet)")  # TIMESTAMP = microseconds
        t = time.perf_counter()
        session = spark_session("local[2]", app_name="segment-bench",
                                        conf={"spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "8"})
        session.sparkContext.setLogLevel("ERROR")
        backend = spark_backend(session)
        startup = time.perf_counter() - t
        t = time.perf_counter()
        lazy = load_engine_data({"engine": "spark", "path": us}, source="bench", backend=backend).transactions
        load = time.perf_counter() - t
        t = time.perf_counter()
        f, o = build_features_and_outcomes(lazy, **kw)
        seconds = time.perf_counter() - t
        session.stop()
    t = time.perf_counter()
    fd, od = build_features_and_outcomes(src, **kw)
    duck = time.perf_counter() - t
    same = (f.index.equals(fd.index) and o.index.equals(od.index)
            and all(np.allclose(f[c].to_numpy(dtype=float), fd[c].to_numpy(dtype=float), rtol=1e-9, atol=0, equal_nan=True)
                    if f[c].dtype.kind == "f" else f[c].equals(fd[c]) for c in fd.columns)
            and all(o[c].equals(od[c]) if o[c].dtype.kind != "f" else
                    np.allclose(o[c].to_numpy(), od[c].to_numpy(), rtol=1e-9, atol=0) for c in od.columns))
    return {"seconds": seconds, "session_startup_seconds": round(startup, 2),
            "load_and_checks_seconds": round(load, 2), "duckdb_seconds_same_step": round(duck, 2),
            "customers": len(f), "equal_to_duckdb": bool(same), "peak_mb": mem.peak, "peak_mb_parent": _vmhwm_mb()}



def b2b30m_one_scan_engine(inputs, *, connect: dict) -> dict:
    """One features-and-outcomes aggregation of the 30 M B2B Parquet on engine ibis/duckdb
    with the DuckDB settings ``connect`` (e.g. ``memory_limit``): time and this process's peak."""
    from segment.engines.source import load_engine_data
    from segment.outcomes import build_features_and_outcomes

    data = {"engine": "ibis", "backend": "duckdb", "path": str(inputs["b2b_30m"]), "connect": connect}
    lazy = load_engine_data(data, source="bench").transactions
    t = time.perf_counter()
    f, _ = build_features_and_outcomes(lazy, as_of=B2B_AS_OF, horizon_days=B2B_HORIZON)
    return {"seconds": time.perf_counter() - t, "customers": len(f), "duckdb_settings": connect}
