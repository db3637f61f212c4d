"""`make bench`: time the heavy steps on realistic sizes and write the figures.

Each case runs in a fresh subprocess (so its peak memory is its own), repeated
``--repeats`` times; the median wall time (after imports and after the data is in
place) and the peak resident memory are merged into benchmarks/results.json (cases not
rerun are kept) and benchmarks/RESULTS.md is regenerated from it.

Scratch data (replicated CDNOW, the 10 M-row B2B log) is written once to
benchmarks/work/ (git-ignored) and reused.

Add a case: write a function ``case_<name>(data_dir) -> dict`` in cases.py that returns
{"seconds": ..., plus any extra figures}; register it in CASES below with its target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"

#: name -> (description, target text, function that checks the target on the figures)
CASES: dict[str, tuple[str, str]] = {
    "cdnow7m_features_outcomes": ("build_features_and_outcomes (one scan), CDNOW x100 (6.97 M rows, 2.36 M customers), Parquet input",
                                  "<= 2.5x bare GROUP BY; >= 4x faster than lifetimes; peak < 3 GB"),
    "cdnow7m_duckdb_groupby": ("bare DuckDB GROUP BY customer_id (count, sum, min, max) over the same Parquet: the floor", "reference"),
    "cdnow7m_lifetimes_summary": ("lifetimes.utils.summary_data_from_transaction_data, same data, separate venv", "reference"),
    "cdnow7m_all_methods": ("every registered method fit + assign on the 2.36 M-customer CDNOW x100 feature table",
                            "all together < 30 s; peak < 4 GB"),
    "cdnow7m_full_validation": ("full validation of all methods on 2.36 M customers (200 paired bootstrap replicates, "
                                "models on a 200 k subsample)", "< 60 s"),
    "b2b10m_features_outcomes": ("build_features_and_outcomes (one scan), synthetic B2B 10 M rows (with cost and payment columns), Parquet input",
                                 "<= 2.5x bare GROUP BY; peak < 3 GB"),
    "b2b10m_duckdb_groupby": ("bare DuckDB GROUP BY over the B2B Parquet", "reference"),
}


def machine() -> dict:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    versions = {}
    for name in ("pandas", "duckdb", "ibis-framework", "numpy", "scikit-learn"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {"cores": os.cpu_count(), "memory_gb": round(mem / 2**30, 1), "python": platform.python_version(),
            "platform": platform.platform(), "packages": versions}


def run_case(name: str, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, str(HERE / "cases.py"), name, str(WORK)], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}",
                    "stderr_tail": out.stderr[-2000:]}
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    seconds = [r["seconds"] for r in runs]
    result = {"median_seconds": round(statistics.median(seconds), 3), "runs_seconds": [round(s, 3) for s in seconds],
              "peak_mb": max(r["peak_mb"] for r in runs)}
    result.update({k: v for k, v in runs[-1].items() if k not in ("seconds", "peak_mb")})
    return result


def verdicts(results: dict) -> dict[str, str]:
    """Targets of issue 2, judged from the figures (met / not met / n.a.)."""
    r = results
    out = {}

    def med(name):
        return r.get(name, {}).get("median_seconds")

    for prefix in ("cdnow7m", "b2b10m"):
        ours, floor = med(f"{prefix}_features_outcomes"), med(f"{prefix}_duckdb_groupby")
        if ours and floor:
            ratio = ours / floor
            out[f"{prefix}: within 2.5x of bare GROUP BY"] = f"{ratio:.2f}x -> {'met' if ratio <= 2.5 else 'NOT met'}"
        peak = r.get(f"{prefix}_features_outcomes", {}).get("peak_mb")
        if peak:
            out[f"{prefix}: peak memory < 3 GB"] = f"{peak:.0f} MB -> {'met' if peak < 3072 else 'NOT met'}"
    methods = r.get("cdnow7m_all_methods", {})
    if methods.get("median_seconds"):
        out["cdnow7m: all methods < 30 s"] = f"{methods['median_seconds']:.1f} s -> {'met' if methods['median_seconds'] < 30 else 'NOT met'}"
        out["cdnow7m: all methods peak < 4 GB"] = f"{methods['peak_mb']:.0f} MB -> {'met' if methods['peak_mb'] < 4096 else 'NOT met'}"
    val = r.get("cdnow7m_full_validation", {})
    if val.get("median_seconds"):
        out["cdnow7m: full validation < 60 s"] = f"{val['median_seconds']:.1f} s -> {'met' if val['median_seconds'] < 60 else 'NOT met'}"
    lt = med("cdnow7m_lifetimes_summary")
    ours = med("cdnow7m_features_outcomes")
    if lt and ours:
        speed = lt / ours
        out["cdnow7m: >= 4x faster than lifetimes' summary"] = f"{speed:.1f}x -> {'met' if speed >= 4 else 'NOT met'}"
    return out


def write_markdown(doc: dict) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (benchmarks/run.py) on {doc['machine']['cores']} cores, "
        f"{doc['machine']['memory_gb']} GB, Python {doc['machine']['python']}; last run {doc['updated']}.",
        "Times are wall-clock medians over the runs listed, after imports and with the input already on disk;",
        "peak memory is the maximum resident set of the case's own process.",
        "",
        "| case | what | median s | runs | peak MB | target |",
        "|---|---|---|---|---|---|",
    ]
    for name, res in doc["results"].items():
        desc, target = CASES.get(name, ("", ""))
        if "error" in res:
            lines.append(f"| {name} | {desc} | error: {res['error']} | | | {target} |")
            continue
        lines.append(f"| {name} | {desc} | {res['median_seconds']} | {len(res['runs_seconds'])} | {res['peak_mb']:.0f} | {target} |")
    lines += ["", "## Targets", ""]
    lines += [f"- {k}: {v}" for k, v in doc["verdicts"].items()]
    notes = [f"- {name}: {res['note']}" for name, res in doc["results"].items() if res.get("note")]
    if notes:
        lines += ["", "## Notes", ""] + notes
    RESULTS_MD.write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks and write benchmarks/results.json and RESULTS.md")
    parser.add_argument("--only", nargs="*", help="case names to run (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case; the median is reported")
    args = parser.parse_args(argv)
    names = args.only or list(CASES)
    unknown = set(names) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {sorted(unknown)}; known: {list(CASES)}")
    WORK.mkdir(exist_ok=True)
    subprocess.run([sys.executable, str(HERE / "cases.py"), "prepare", str(WORK)], check=True)
    doc = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {"results": {}}
    for name in names:
        reps = 1 if name.endswith("lifetimes_summary") else args.repeats
        print(f"[bench] {name} x{reps}", flush=True)
        doc["results"][name] = run_case(name, reps)
        print(f"[bench]   {doc['results'][name]}", flush=True)
    doc["machine"] = machine()
    doc["updated"] = dt.datetime.now().isoformat(timespec="seconds")
    doc["verdicts"] = verdicts(doc["results"])
    RESULTS_JSON.write_text(json.dumps(doc, indent=2) + "\n")
    write_markdown(doc)
    print(f"[bench] wrote {RESULTS_JSON} and {RESULTS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
