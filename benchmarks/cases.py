"""Benchmark cases, one per subprocess: `python cases.py <case|prepare> <work_dir>`.

Prints one JSON line: {"seconds": wall time of the measured step, "peak_mb": peak RSS}.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

CDNOW_AS_OF, CDNOW_HORIZON = "1997-09-30", 273
B2B_AS_OF, B2B_HORIZON = "2022-12-31", 365
REPLICAS = 100
B2B_ROWS = 10_000_000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def paths(work: Path) -> dict[str, Path]:
    return {"cdnow": work / f"cdnow_x{REPLICAS}.parquet", "b2b": work / f"b2b_{B2B_ROWS // 1_000_000}m.parquet"}


def prepare(work: Path) -> None:
    import numpy as np
    import pandas as pd

    p = paths(work)
    if not p["cdnow"].exists():
        from segment.data.cdnow import load_cdnow_master

        m = load_cdnow_master()
        reps = np.repeat(np.arange(REPLICAS), len(m))
        big = pd.DataFrame(
            {
                # new ids per replica, still strings with the original leading zeros
                "customer_id": np.char.add(np.tile(m["customer_id"].to_numpy(dtype=str), REPLICAS),
                                           np.char.add("-", np.char.zfill(reps.astype(str), 3))),
                "order_ts": np.tile(m["order_ts"].to_numpy(), REPLICAS),
                "amount": np.tile(m["amount"].to_numpy(), REPLICAS),
                "quantity": np.tile(m["quantity"].to_numpy(), REPLICAS),
            }
        )
        big.to_parquet(p["cdnow"], index=False)
    if not p["b2b"].exists():
        from segment.data.synthetic import accounts_for_transactions, generate_b2b

        n = accounts_for_transactions(B2B_ROWS)
        generate_b2b(n, start="2021-01-01", end="2023-12-31", random_state=42).transactions.to_parquet(p["b2b"], index=False)


def features_outcomes(path: Path, as_of: str, horizon: int, **profit) -> dict:
    from segment.outcomes import build_features_and_outcomes

    t = time.perf_counter()
    f, o = build_features_and_outcomes(str(path), as_of=as_of, horizon_days=horizon, **profit)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "customers": len(f), "outcome_rows": len(o)}


def all_methods(path: Path) -> dict:
    """Every registered method fitted and assigned on the 2.36 M-customer feature table."""
    from segment.methods.registry import METHODS, make_method
    from segment.outcomes import build_features_and_outcomes

    kw = {"gross_margin": 0.25, "cost_per_order": 2.0}
    f, _ = build_features_and_outcomes(str(path), as_of=CDNOW_AS_OF, horizon_days=CDNOW_HORIZON, **kw)
    train_f, train_o = build_features_and_outcomes(str(path), as_of="1997-06-30", horizon_days=92, **kw)
    per_method = {}
    t = time.perf_counter()
    for name in METHODS:
        s = time.perf_counter()
        m = make_method(name, **({"random_state": 0} if name in ("kmeans", "supervised") else {}))
        if name == "supervised":
            m.set_training(train_f, train_o["profit_outcome"])
        m.fit_assign(f)
        per_method[name] = round(time.perf_counter() - s, 3)
    return {"seconds": time.perf_counter() - t, "customers": len(f), "per_method_seconds": per_method}


def full_validation(path: Path) -> dict:
    """The validation the reports use (leaderboard with 200 paired bootstrap replicates,
    per-tier tables, models, agreement, disagreements) on 2.36 M customers x all methods."""
    from segment.methods.registry import METHODS, make_method
    from segment.outcomes import build_features_and_outcomes
    from segment.validation.agreement import agreement_matrix, disagreements
    from segment.validation.leaderboard import leaderboard
    from segment.validation.models import tier_models
    from segment.validation.tiers import per_tier_all

    kw = {"gross_margin": 0.25, "cost_per_order": 2.0}
    f, o = build_features_and_outcomes(str(path), as_of=CDNOW_AS_OF, horizon_days=CDNOW_HORIZON, **kw)
    train_f, train_o = build_features_and_outcomes(str(path), as_of="1997-06-30", horizon_days=92, **kw)
    assignments = {}
    for name in METHODS:
        m = make_method(name, **({"random_state": 0} if name in ("kmeans", "supervised") else {}))
        if name == "supervised":
            m.set_training(train_f, train_o["profit_outcome"])
        assignments[name] = m.fit_assign(f)
    parts = {}
    t = time.perf_counter()
    s = time.perf_counter(); per_tier_all(assignments, o); parts["per_tier"] = time.perf_counter() - s
    s = time.perf_counter(); leaderboard(assignments, o, n_boot=200, random_state=0); parts["leaderboard_200_boot"] = time.perf_counter() - s
    s = time.perf_counter(); tier_models(assignments, o, max_rows=200_000); parts["models_200k_rows"] = time.perf_counter() - s
    s = time.perf_counter(); agreement_matrix(assignments); parts["agreement"] = time.perf_counter() - s
    s = time.perf_counter(); disagreements(assignments, f); parts["disagreements"] = time.perf_counter() - s
    return {"seconds": time.perf_counter() - t, "customers": len(f),
            "per_step_seconds": {k: round(v, 2) for k, v in parts.items()}}


def duckdb_groupby(path: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    t = time.perf_counter()
    df = con.sql(
        f"SELECT customer_id, count(*) AS n, sum(amount) AS revenue, min(order_ts) AS first, max(order_ts) AS last "
        f"FROM read_parquet('{path}') GROUP BY customer_id"
    ).df()
    return {"seconds": time.perf_counter() - t, "customers": len(df)}


def lifetimes_summary(path: Path, work: Path) -> dict:
    venv_python = work / "lifetimes-venv" / "bin" / "python"
    if not venv_python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(work / "lifetimes-venv")], check=True)
        subprocess.run([str(venv_python), "-m", "pip", "install", "-q", "lifetimes==0.11.3", "pandas==3.0.*", "pyarrow"],
                       check=True)
    code = f"""
import json, resource, time, pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
df = pd.read_parquet({str(path)!r}, columns=["customer_id", "order_ts", "amount"])
df = df[df["order_ts"] <= "{CDNOW_AS_OF}"]
t = time.perf_counter()
s = summary_data_from_transaction_data(df, "customer_id", "order_ts", monetary_value_col="amount",
                                       observation_period_end="{CDNOW_AS_OF}", freq="D")
print(json.dumps({{"seconds": time.perf_counter() - t, "customers": len(s), "pandas": pd.__version__,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    out = subprocess.run([str(venv_python), "-c", code], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["note"] = (f"lifetimes 0.11.3 with pandas {res.pop('pandas')} in benchmarks/work/lifetimes-venv; "
                   "it computes calibration features only, ours computes features and outcomes")
    return res


def main() -> None:
    case, work = sys.argv[1], Path(sys.argv[2])
    p = paths(work)
    if case == "prepare":
        prepare(work)
        return
    cdnow_profit = {"gross_margin": 0.25, "cost_per_order": 2.0}
    if case == "cdnow7m_features_outcomes":
        res = features_outcomes(p["cdnow"], CDNOW_AS_OF, CDNOW_HORIZON, **cdnow_profit)
    elif case == "cdnow7m_all_methods":
        res = all_methods(p["cdnow"])
    elif case == "cdnow7m_full_validation":
        res = full_validation(p["cdnow"])
    elif case == "cdnow7m_duckdb_groupby":
        res = duckdb_groupby(p["cdnow"])
    elif case == "cdnow7m_lifetimes_summary":
        res = lifetimes_summary(p["cdnow"], work)
    elif case == "b2b10m_features_outcomes":
        res = features_outcomes(p["b2b"], B2B_AS_OF, B2B_HORIZON)
    elif case == "b2b10m_duckdb_groupby":
        res = duckdb_groupby(p["b2b"])
    else:
        raise SystemExit(f"unknown case {case}")
    res.setdefault("peak_mb", peak_mb())
    print(json.dumps(res))


if __name__ == "__main__":
    main()
