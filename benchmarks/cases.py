"""The benchmark cases: a registry of named functions, each run in its own process.

A case function takes ``inputs`` (input name -> path, built by ``inputs.INPUTS``; the case
lists the ones it needs) and returns ``{"seconds": ..., ...}``: the wall time of the
measured step only -- imports done and input on disk before the clock starts -- plus any
figures worth keeping (row counts, per-step times). ``peak_mb`` (this process's peak
resident memory) is added unless the case reports its own (a case that measures another
process does).

Adding a case: write the function, then one ``Case(...)`` entry in ``CASES`` with its
description, the inputs it needs and its targets. ``run.py`` picks it up (``--only NAME``).

Child entry point (used by run.py): ``python cases.py <case> '<inputs as JSON>'``; prints
one line ``BENCH-RESULT {json}``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from inputs import lifetimes_env_info

import io_cases  # issue 3: reading a user's CSV

import explain_cases  # issue 18: explanations
import explorer_cases  # issue 18: the weight explorer
import governance_cases  # issue 17: the grade ledger
import report_cases  # issue 6: report benchmarks
import scaling_cases  # issue 8: scaling (30 M rows, k-means sample, Spark)
import tuning_cases  # issue 7: weight tuning

HERE = Path(__file__).resolve().parent
MARKER = "BENCH-RESULT "

CDNOW = {"data": "cdnow_x100", "as_of": "1997-09-30", "horizon_days": 273, "data_end": "1998-06-30",
         "profit": {"gross_margin": 0.25, "cost_per_order": 2.0}}  # CDNOW has no cost: profit is assumed
B2B = {"data": "b2b_10m", "as_of": "2022-12-31", "horizon_days": 365, "data_end": "2023-12-31",
       "profit": {}}  # the generator writes a cost column

#: a lifetimes run longer than this is stopped and timed on a customer sample instead
LIFETIMES_TIMEOUT_S = 600
LIFETIMES_SAMPLE = 0.1


def peak_mb() -> float:
    """Peak resident memory of this process since its exec (VmHWM).

    Not ru_maxrss: Linux carries the parent's resident size at fork over into the child's
    ru_maxrss, so a case started by a big parent would report the parent's memory.
    """
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024.0  # kB
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


# --- targets ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A goal for a case, judged on medians (and the peak) in results.json.

    kind: ``ratio_max`` (median / reference's median <= limit), ``speedup_min``
    (reference's median / median >= limit), ``peak_mb_max``, ``seconds_max``.
    """

    kind: str
    limit: float
    reference: str | None = None

    @property
    def text(self) -> str:
        return {
            "ratio_max": f"<= {self.limit:g}x {self.reference}",
            "speedup_min": f">= {self.limit:g}x faster than {self.reference}",
            "peak_mb_max": f"peak < {self.limit / 1024:g} GB",
            "seconds_max": f"< {self.limit:g} s",
        }[self.kind]

    def judge(self, result: dict, results: dict) -> dict:
        """{"target", "measured", "met"}; met is None when a figure is missing."""
        out = {"target": self.text, "measured": "not measured", "met": None}
        if "median_seconds" not in result:
            return out
        if self.kind in ("ratio_max", "speedup_min"):
            ref = results.get(self.reference, {}).get("median_seconds")
            if not ref:
                out["measured"] = f"{self.reference} not measured"
                return out
            value = result["median_seconds"] / ref if self.kind == "ratio_max" else ref / result["median_seconds"]
            met = value <= self.limit if self.kind == "ratio_max" else value >= self.limit
            return {**out, "measured": f"{value:.2f}x", "met": bool(met)}
        if self.kind == "peak_mb_max":
            return {**out, "measured": f"{result['peak_mb']:.0f} MB", "met": bool(result["peak_mb"] < self.limit)}
        value = result["median_seconds"]
        return {**out, "measured": f"{value:.1f} s", "met": bool(value < self.limit)}


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    function: Callable[[dict[str, Path]], dict]
    needs: tuple[str, ...]
    targets: tuple[Target, ...] = field(default=())

    def code_key(self) -> str:
        """Hash of the case's code and arguments: results measured with other code are flagged."""
        f = self.function
        text = inspect.getsource(f.func) + repr((f.args, sorted(f.keywords.items()))) if isinstance(f, partial) \
            else inspect.getsource(f)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


# --- case functions -------------------------------------------------------------------------

def features_then_outcomes(inputs, *, data, as_of, horizon_days, data_end, profit) -> dict:
    """build_features then build_outcomes on the Parquet path: what `segment run` does."""
    from segment.features import build_features
    from segment.outcomes import build_outcomes

    path = str(inputs[data])
    t = time.perf_counter()
    f = build_features(path, as_of=as_of, **profit)
    o = build_outcomes(path, as_of=as_of, horizon_days=horizon_days, data_end=data_end, **profit)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "customers": len(f), "outcome_rows": len(o), "frequency_sum": int(f["frequency"].sum())}


def features_outcomes_one_scan(inputs, *, data, as_of, horizon_days, data_end, profit) -> dict:
    """build_features_and_outcomes (one scan, one GROUP BY) on the Parquet path."""
    from segment.outcomes import build_features_and_outcomes

    path = str(inputs[data])
    t = time.perf_counter()
    f, o = build_features_and_outcomes(path, as_of=as_of, horizon_days=horizon_days, data_end=data_end, **profit)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "customers": len(f), "outcome_rows": len(o), "frequency_sum": int(f["frequency"].sum())}


def features_outcomes_from_book(inputs, *, data, as_of, horizon_days, data_end, profit) -> dict:
    """What a run does at each date since the order book (``segment.orderbook``): build_features_and_outcomes
    reading the book, built once per run from the transactions in memory (read here with
    ``pandas.read_parquet``, untimed, as ``data: {path: ...}`` holds them).
    ``seconds``: one date's call, the median of three in this process; ``book_seconds``: building
    the book, once per run (``cdnow7m_features_outcomes_one_scan`` is the call from the lines)."""
    import statistics

    import pandas as pd

    from segment.orderbook import OrderBook
    from segment.outcomes import build_features_and_outcomes

    tx = pd.read_parquet(str(inputs[data]))
    t = time.perf_counter()
    book = OrderBook(tx, gross_margin=profit.get("gross_margin"))
    book_seconds = time.perf_counter() - t
    kw = {"as_of": as_of, "horizon_days": horizon_days, "data_end": data_end, **profit}
    times = []
    for _ in range(3):
        t = time.perf_counter()
        f, o = build_features_and_outcomes(book, **kw)
        times.append(time.perf_counter() - t)
    seconds = statistics.median(times)
    return {"seconds": seconds, "per_date_runs_seconds": [round(x, 3) for x in times], "book_seconds": book_seconds,
            "orders": len(book), "customers": len(f), "outcome_rows": len(o), "frequency_sum": int(f["frequency"].sum())}


def aggregation_profile(inputs, *, data, as_of, horizon_days, data_end, profit) -> dict:
    """Issue 19 item 1's profile: where build_features_and_outcomes' time goes on the Parquet
    path, each part timed alone in this process (DuckDB's own threads), the floor beside it:
    - ``bare_groupby``: the floor (duckdb_groupby's query);
    - ``order_groupby``: the first of the two GROUP BYs alone, (customer, order) with the three
      DECIMAL sums (the order table: ``features.order_table``);
    - ``query_unsorted`` / ``query``: the whole one-scan expression to Arrow, without and with its
      ORDER BY customer_id;
    - ``to_pandas``: Arrow to pandas; ``finish``: the rest of the call (index, dtypes, the two
      tables), the whole call's time minus the query and the conversion."""
    import duckdb

    from segment.features import duckdb_connection, order_table
    from segment.outcomes import build_features_and_outcomes, features_and_outcomes_expr

    path = str(inputs[data])
    raw = duckdb.connect()
    raw.execute("SET enable_progress_bar = false")
    quoted = path.replace("'", "''")
    parts: dict[str, float] = {}

    def timed(name, run):
        t = time.perf_counter()
        out = run()
        parts[name] = round(time.perf_counter() - t, 3)
        return out

    timed("bare_groupby", lambda: raw.sql(
        "SELECT customer_id, count(*) AS n, sum(amount) AS revenue, min(order_ts) AS first_ts, max(order_ts) AS last_ts "
        f"FROM read_parquet('{quoted}') GROUP BY customer_id").to_arrow_table())
    con = duckdb_connection()
    t = con.read_parquet(path)
    timed("order_groupby", lambda: con.to_pyarrow(order_table(t, as_of=as_of, **profit)))
    expr = features_and_outcomes_expr(t, as_of=as_of, horizon_days=horizon_days, **profit)
    timed("query_unsorted", lambda: con.to_pyarrow(expr.op().parent.to_expr()))
    table = timed("query", lambda: con.to_pyarrow(expr))
    timed("to_pandas", lambda: table.to_pandas(date_as_object=False))
    start = time.perf_counter()
    f, _ = build_features_and_outcomes(path, as_of=as_of, horizon_days=horizon_days, data_end=data_end, **profit)
    seconds = time.perf_counter() - start
    parts["finish"] = round(seconds - parts["query"] - parts["to_pandas"], 3)
    return {"seconds": seconds, "customers": len(f), "per_step_seconds": parts,
            "ratio_to_bare_groupby_same_process": round(seconds / parts["bare_groupby"], 2)}


def duckdb_groupby(inputs, *, data, **_) -> dict:
    """The floor: one bare GROUP BY over the same Parquet, result as a pandas frame."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    path = str(inputs[data]).replace("'", "''")
    t = time.perf_counter()
    df = con.sql(
        "SELECT customer_id, count(*) AS n, sum(amount) AS revenue, min(order_ts) AS first_ts, max(order_ts) AS last_ts "
        f"FROM read_parquet('{path}') GROUP BY customer_id"
    ).df()
    return {"seconds": time.perf_counter() - t, "customers": len(df)}


def _lifetimes_run(python: Path, path: Path, as_of: str, fraction: float) -> dict:
    cmd = [str(python), str(HERE / "lifetimes_summary.py"), str(path), as_of, str(fraction)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=LIFETIMES_TIMEOUT_S)
    if out.returncode != 0:
        raise RuntimeError(f"lifetimes run failed: {out.stderr.strip()[-1500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def lifetimes_summary(inputs, *, data, as_of, **_) -> dict:
    """lifetimes.utils.summary_data_from_transaction_data in its own venv (its process's
    time and peak memory); after LIFETIMES_TIMEOUT_S it is timed on a customer sample
    and extrapolated by rows, clearly marked, and not repeated."""
    python = inputs["lifetimes_venv"]
    env = {k: v for k, v in lifetimes_env_info(python).items() if k != "tried"}
    try:
        res = _lifetimes_run(python, inputs[data], as_of, 1.0)
        note = ""
    except subprocess.TimeoutExpired:
        sample = _lifetimes_run(python, inputs[data], as_of, LIFETIMES_SAMPLE)
        scale = sample["rows_before_sampling"] / sample["rows"]
        res = {**sample, "seconds": sample["seconds"] * scale, "sample_seconds": sample["seconds"],
               "extrapolated": True, "final": True}
        note = (f"full run exceeded {LIFETIMES_TIMEOUT_S} s; timed on a {LIFETIMES_SAMPLE:.0%} customer sample "
                f"({sample['rows']:,} rows) and EXTRAPOLATED x{scale:.1f} by rows; ")
    res["lifetimes_env"] = env
    res["note"] = (note + f"lifetimes {env['lifetimes']} with pandas {env['pandas']} (benchmarks/work/lifetimes-venv); "
                   "input read and cut to as_of before timing; computes the calibration summary only")
    return res


def all_methods(inputs) -> dict:
    """Every registered method fitted and assigned on the 2.36 M-customer feature table."""
    from segment.methods.registry import METHODS, make_method
    from segment.outcomes import build_features_and_outcomes

    path, kw = str(inputs["cdnow_x100"]), CDNOW["profit"]
    f, _ = build_features_and_outcomes(path, as_of=CDNOW["as_of"], horizon_days=CDNOW["horizon_days"], **kw)
    train_f, train_o = build_features_and_outcomes(path, as_of="1997-06-30", horizon_days=92, **kw)
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


def full_validation(inputs) -> dict:
    """The validation the reports use (leaderboard with 200 paired bootstrap replicates,
    per-tier tables, models, agreement, disagreements) on 2.36 M customers x all methods."""
    from segment.methods.registry import METHODS, make_method
    from segment.outcomes import build_features_and_outcomes
    from segment.validation.agreement import agreement_matrix, disagreements
    from segment.validation.leaderboard import leaderboard_tables
    from segment.validation.models import tier_models
    from segment.validation.tiers import per_tier_all

    path, kw = str(inputs["cdnow_x100"]), CDNOW["profit"]
    f, o = build_features_and_outcomes(path, as_of=CDNOW["as_of"], horizon_days=CDNOW["horizon_days"], **kw)
    train_f, train_o = build_features_and_outcomes(path, as_of="1997-06-30", horizon_days=92, **kw)
    assignments = {}
    for name in METHODS:
        m = make_method(name, **({"random_state": 0} if name in ("kmeans", "supervised") else {}))
        if name == "supervised":
            m.set_training(train_f, train_o["profit_outcome"])
        assignments[name] = m.fit_assign(f)
    steps = {
        "per_tier": lambda: per_tier_all(assignments, o),
        "leaderboard_200_boot": lambda: leaderboard_tables(assignments, o, n_boot=200, random_state=0),
        "models_200k_rows": lambda: tier_models(assignments, o, max_rows=200_000),
        "agreement": lambda: agreement_matrix(assignments),
        "disagreements": lambda: disagreements(assignments, f),
    }
    parts = {}
    t = time.perf_counter()
    for step, run in steps.items():
        s = time.perf_counter()
        run()
        parts[step] = round(time.perf_counter() - s, 2)
    return {"seconds": time.perf_counter() - t, "customers": len(f), "per_step_seconds": parts}


# --- the registry ---------------------------------------------------------------------------

GB = 1024.0
_FLOOR_CDNOW, _LIFETIMES_CDNOW = "cdnow7m_duckdb_groupby", "cdnow7m_lifetimes_summary"
_FLOOR_B2B, _LIFETIMES_B2B = "b2b10m_duckdb_groupby", "b2b10m_lifetimes_summary"
_CDNOW_DATA = "CDNOW x100 (6.97 M rows, 2.36 M customers)"
_B2B_DATA = "synthetic B2B, 10 M rows (order ids, cost and payment columns)"

CASES: dict[str, Case] = {c.name: c for c in [
    Case("cdnow7m_features_outcomes",
         f"build_features + build_outcomes (as `segment run`), {_CDNOW_DATA}, Parquet path",
         partial(features_then_outcomes, **CDNOW), ("cdnow_x100",),
         (Target("ratio_max", 2.5, _FLOOR_CDNOW), Target("speedup_min", 4, _LIFETIMES_CDNOW),
          Target("peak_mb_max", 3 * GB))),
    Case("cdnow7m_features_outcomes_one_scan",
         f"build_features_and_outcomes (one scan), {_CDNOW_DATA}, Parquet path",
         partial(features_outcomes_one_scan, **CDNOW), ("cdnow_x100",),
         (Target("ratio_max", 2.5, _FLOOR_CDNOW), Target("speedup_min", 4, _LIFETIMES_CDNOW),
          Target("peak_mb_max", 3 * GB))),
    Case("cdnow7m_features_outcomes_from_book",
         f"build_features_and_outcomes reading the run's order book (what a run does at each date; the book, built "
         f"once per run, is timed apart: book_seconds), {_CDNOW_DATA}, held in memory",
         partial(features_outcomes_from_book, **CDNOW), ("cdnow_x100",),
         (Target("ratio_max", 2.5, _FLOOR_CDNOW), Target("speedup_min", 4, _LIFETIMES_CDNOW),
          Target("peak_mb_max", 3 * GB))),
    Case("cdnow7m_aggregation_profile", f"issue 19 item 1: build_features_and_outcomes on {_CDNOW_DATA}, Parquet "
         "path, timed in parts (per_step_seconds; see the case's docstring), the floor in the same process",
         partial(aggregation_profile, **CDNOW), ("cdnow_x100",)),
    Case(_FLOOR_CDNOW, "floor: bare DuckDB GROUP BY customer_id (count, sum, min, max) over the same Parquet",
         partial(duckdb_groupby, **CDNOW), ("cdnow_x100",)),
    Case(_LIFETIMES_CDNOW, "lifetimes summary_data_from_transaction_data (calibration only), same data, own venv",
         partial(lifetimes_summary, **CDNOW), ("cdnow_x100", "lifetimes_venv")),
    Case("b2b10m_features_outcomes",
         f"build_features + build_outcomes (as `segment run`), {_B2B_DATA}, Parquet path",
         partial(features_then_outcomes, **B2B), ("b2b_10m",),
         (Target("ratio_max", 2.5, _FLOOR_B2B), Target("speedup_min", 4, _LIFETIMES_B2B),
          Target("peak_mb_max", 3 * GB))),
    Case("b2b10m_features_outcomes_one_scan",
         f"build_features_and_outcomes (one scan), {_B2B_DATA}, Parquet path",
         partial(features_outcomes_one_scan, **B2B), ("b2b_10m",),
         (Target("ratio_max", 2.5, _FLOOR_B2B), Target("speedup_min", 4, _LIFETIMES_B2B),
          Target("peak_mb_max", 3 * GB))),
    Case(_FLOOR_B2B, "floor: bare DuckDB GROUP BY customer_id over the B2B Parquet",
         partial(duckdb_groupby, **B2B), ("b2b_10m",)),
    Case(_LIFETIMES_B2B, "lifetimes summary_data_from_transaction_data (calibration only), B2B data, own venv",
         partial(lifetimes_summary, **B2B), ("b2b_10m", "lifetimes_venv")),
    Case("cdnow7m_all_methods", "every registered method fit + assign on the 2.36 M-customer CDNOW x100 feature table",
         all_methods, ("cdnow_x100",), (Target("seconds_max", 30), Target("peak_mb_max", 4 * GB))),
    Case("cdnow7m_full_validation", "full validation of all methods on 2.36 M customers (200 paired bootstrap "
         "replicates, models on a 200 k subsample)", full_validation, ("cdnow_x100",), (Target("seconds_max", 60),)),
    # issue 6 (reports): `make report` and one `segment run` at 7 M rows (benchmarks/report_cases.py)
    Case("make_report", "`make report` = `segment report-all --quiet`: the 7 bundled CDNOW configs, pipelines + "
         "28 notebooks + HTML (peak: this process and its kernels)", report_cases.report_all, (),
         (Target("seconds_max", 60),)),  # issue 19 item 2 (issue 6 asked < 120 s)
    Case("cdnow7m_segment_run", f"`segment run` of the cdnow_backtest config on {_CDNOW_DATA} through "
         "`data: {path: <parquet>}` (peak: this process and its kernels)", report_cases.cdnow7m_run, ("cdnow_x100",),
         (Target("seconds_max", 150), Target("peak_mb_max", 6 * GB))),  # issue 19 item 4 (issue 6: < 300 s)
    # issue 14 (the analyst's loop): a broken config's message, from the command's start
    Case("quick_sample_run_seconds", "`segment run` of configs/quick_cdnow_sample.yaml in a fresh process "
         "(issue 19 item 2)", report_cases.quick_sample_run, (), (Target("seconds_max", 12),)),
    # issue 17 (governance): the ledger step of a run of a series on 2.36 M customers
    Case("cdnow7m_ledger_movement", "publish_run of an RFM grading of the 2.36 M CDNOW x100 customers after a previous "
         "run: hash-checked read, stability step, movement reasons, matrix, drift, published.csv",
         governance_cases.ledger_movement, ("cdnow_x100",), (Target("seconds_max", 20),)),
    Case("cdnow7m_explanations", "reasons (GradingMethod.explain) of every registered method for the 2.36 M-customer "
         "CDNOW x100 feature table, one thread", explain_cases.cdnow7m_explanations, ("cdnow_x100",),
         (Target("seconds_max", 30),)),
    # CDNOW x100 repeats each customer 100 times, and reasons are built once per distinct row: the same
    # target on 2.36 M customers whose rows are all distinct (the contract tests' generator)
    Case("synthetic2m_explanations", "reasons of every registered method for 2.36 M synthetic customers, every row "
         "distinct, one thread", lambda inputs: explain_cases.synthetic_explanations(), (),
         (Target("seconds_max", 30),)),
    # what a run builds of them: the published method's reasons for every customer (the slowest method
    # as the published one) and every method's examples per tier
    Case("synthetic2m_run_explanations", "the reasons a run adds for 2.36 M synthetic customers, every row distinct, "
         "one thread: the published method's reasons for every customer (published.csv; the slowest method taken as "
         "the published one) plus every method's examples per tier (the analyst report)",
         lambda inputs: explain_cases.synthetic_explanations(timed=explain_cases.timed_run_explanations), (),
         (Target("seconds_max", 30),)),
    Case("cdnow_explorer_update", "one weight-explorer update on real CDNOW (configs/cdnow_1997q3.yaml, 23,570 "
         "customers): re-grade, top-tier and key-account profit with paired intervals (200 replicates) against the "
         "config's and default weights, tier sizes, fragment", explorer_cases.cdnow_explorer_update, (),
         (Target("seconds_max", 1),)),
    Case("cdnow_kmeans_fit", "the k-means method (k by silhouette over k 3-6, 4 restarts each) fitted and assigned "
         "on the 23,570 real CDNOW customers of configs/cdnow_1997q3.yaml at its validation origin (issue 19 item 3)",
         explorer_cases.cdnow_kmeans_fit, (), (Target("seconds_max", 1),)),
    Case("make_test", "`make test` on a set-up .venv: the whole suite (pytest -n 2 --dist loadfile, notebooks "
         "under nbval), nothing skipped to get there (issue 19 item 5)", report_cases.make_test, (),
         (Target("seconds_max", 240),)),
    Case("config_error_seconds", "`segment run` of a config with three mistakes, in a fresh process: start-up, "
         "imports and the whole config check until the exit-2 message", report_cases.config_error, (),
         (Target("seconds_max", 2),)),
    # issue 8 (scaling): the whole run at 30 M rows, k-means' sample strategy, Spark local (benchmarks/scaling_cases.py)
    Case("b2b30m_segment_run", "`segment run` of configs/b2b_synthetic.yaml (every method, 3 backtest origins, "
         "notebooks + HTML) on synthetic B2B, 30 M rows, through `data: {path: <parquet>}`, DuckDB engine "
         "(peak: this process and its kernels)", scaling_cases.b2b30m_segment_run, ("b2b_30m",),
         (Target("seconds_max", 600), Target("peak_mb_max", 8 * GB))),
    Case("b2b30m_segment_run_duckdb_engine", "the same run with the Parquet left in DuckDB (`data: {engine: ibis, "
         "backend: duckdb, path: ...}`): transactions never in pandas, column-level checks only",
         scaling_cases.b2b30m_segment_run_duckdb_engine, ("b2b_30m",),
         (Target("seconds_max", 600), Target("peak_mb_max", 8 * GB))),
    Case("b2b30m_one_scan_duckdb", "one features+outcomes aggregation of the 30 M B2B Parquet on engine ibis/duckdb, "
         "DuckDB defaults (memory_limit 80 % of RAM)", partial(scaling_cases.b2b30m_one_scan_engine, connect={}),
         ("b2b_30m",), ()),
    Case("b2b30m_one_scan_duckdb_3gb", "the same aggregation with DuckDB memory_limit 3GB (spills to disk)",
         partial(scaling_cases.b2b30m_one_scan_engine, connect={"memory_limit": "3GB"}), ("b2b_30m",),
         (Target("peak_mb_max", 4 * GB),)),
    Case("b2b30m_kmeans_sample_vs_full", "k-means fitted on its 200,000-customer sample vs on every customer of the "
         "B2B 30 M feature table: tier agreement, adjusted Rand, times", scaling_cases.b2b30m_kmeans_sample_vs_full,
         ("b2b_30m",), ()),
    Case("cdnow7m_spark_features_outcomes", f"build_features_and_outcomes on Spark local[2] via Ibis, {_CDNOW_DATA} "
         "(correctness engine, not speed; checked equal to DuckDB; peak includes the JVM)",
         scaling_cases.cdnow7m_spark_features_outcomes, ("cdnow_x100",), ()),
    # issue 3 (your own data): a 10 M-row CSV read by DuckDB alone and by the whole input contract (benchmarks/io_cases.py)
    Case("csv10m_duckdb_read", "floor: DuckDB read_csv of the 4 mapped columns of a 10 M-row, 536 MB CSV into Arrow",
         io_cases.duckdb_read, ("csv_10m",)),
    Case("csv10m_load_transactions", "segment.io.load_transactions of the same CSV (SHA-256 and strict decoding, "
         "row hashes, parsers, contract, policies, internal table)", io_cases.load_transactions, ("csv_10m",),
         (Target("ratio_max", 5, "csv10m_duckdb_read"), Target("peak_mb_max", 4 * GB))),
    # issue 7 (weight tuning): the out-of-time search over the default grid on real CDNOW (benchmarks/tuning_cases.py)
    Case("cdnow_tuning_search", "weight tuning of configs/cdnow_tuning.yaml on real CDNOW (23,570 customers): "
         "3 folds + judged origin, 286-candidate grid, baseline, sensitivity, leaderboards with 200 bootstrap "
         "replicates", tuning_cases.cdnow_tuning_search, (), (Target("seconds_max", 60),)),
]}


def main(argv: list[str]) -> None:
    name, inputs_json = argv
    res = CASES[name].function({k: Path(v) for k, v in json.loads(inputs_json).items()})
    res.setdefault("peak_mb", peak_mb())
    print(MARKER + json.dumps(res))


if __name__ == "__main__":
    main(sys.argv[1:])
