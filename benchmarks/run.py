"""`make bench`: time the heavy steps at realistic sizes and write the figures.

    python benchmarks/run.py [--only CASE ...] [--repeats N] [--wait-idle SECONDS] [--list]

The cases are the registry ``cases.CASES`` (a named function each, with the inputs it
needs and its targets). Inputs -- scratch data and the lifetimes venv -- are built once
into benchmarks/work/ (``inputs.py``). Every run of a case is a fresh process
(``python cases.py <case> ...``), so its peak memory is its own; runs go round-robin over
the selected cases, so a busy spell on the machine hits all of them alike. Per run we also
record how much of the CPU *other* processes used meanwhile (from /proc/stat minus the
case's own CPU time): on a shared 2-core machine that is what makes a figure trustworthy
or not.

The median wall time, the runs and the peak memory of each case are merged into
benchmarks/results.json (cases not rerun keep their earlier figures, with their own date
and commit) together with the machine; benchmarks/RESULTS.md is regenerated from the JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from cases import CASES, MARKER
from inputs import data_info

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"
BUSY = 0.10  # share of the machine other processes may use before a run counts as contended
PACKAGES = ("pandas", "numpy", "pyarrow", "duckdb", "ibis-framework", "sqlglot", "scikit-learn", "statsmodels", "segment")


# --- the machine and the CPU other processes use ----------------------------------------------

def _cpu_busy_seconds() -> float:
    """Seconds of CPU time all processes have used since boot (Linux /proc/stat)."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait


def _children_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wait_idle(max_seconds: float) -> float:
    """Wait (up to max_seconds) until other processes use under BUSY of the CPU; returns their share."""
    deadline = time.monotonic() + max_seconds
    while True:
        busy0, t0 = _cpu_busy_seconds(), time.monotonic()
        time.sleep(1.0)
        share = (_cpu_busy_seconds() - busy0) / ((time.monotonic() - t0) * os.cpu_count())
        if share < BUSY or time.monotonic() >= deadline:
            return share


def git_state() -> str:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src", "benchmarks/*.py")
    return commit + ("+uncommitted changes" if dirty else "")


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cores": os.cpu_count(), "cores_usable": len(os.sched_getaffinity(0)), "cpu": cpu,
            "memory_gb": round(mem / 2**30, 1), "python": platform.python_version(),
            "platform": platform.platform(), "packages": versions}


# --- running ----------------------------------------------------------------------------------

def run_once(name: str, inputs: dict[str, str]) -> dict:
    """One run of a case in a fresh process: its figures plus the others' CPU share meanwhile."""
    busy0, own0, t0 = _cpu_busy_seconds(), _children_cpu_seconds(), time.monotonic()
    out = subprocess.run([sys.executable, str(HERE / "cases.py"), name, json.dumps(inputs)],
                         capture_output=True, text=True, check=False, cwd=HERE)
    wall = time.monotonic() - t0
    others = (_cpu_busy_seconds() - busy0) - (_children_cpu_seconds() - own0)
    lines = [line for line in out.stdout.splitlines() if line.startswith(MARKER)]
    if out.returncode != 0 or not lines:
        tail = out.stderr.strip().splitlines()
        return {"error": tail[-1] if tail else f"exit {out.returncode}", "stderr_tail": out.stderr[-3000:]}
    res = json.loads(lines[-1][len(MARKER):])
    res["others_cpu_share"] = round(max(others, 0.0) / (wall * os.cpu_count()), 3)
    return res


def measured_run(name: str, inputs: dict[str, str], wait_seconds: float, attempts: int = 3) -> dict:
    """``run_once``; with ``wait_seconds`` > 0, first wait for a quiet machine and retry
    (up to ``attempts`` in all) a run that other processes disturbed, keeping the least
    disturbed one and counting the others in ``contended_attempts_discarded``."""
    if not wait_seconds:
        return run_once(name, inputs)
    tries = []
    for _ in range(attempts):
        wait_idle(wait_seconds)
        res = run_once(name, inputs)
        tries.append(res)
        if "error" in res or res.get("final") or res["others_cpu_share"] <= BUSY:
            break
        print(f"[bench]   {name}: other processes used {res['others_cpu_share']:.0%} of the CPU; retrying", flush=True)
    best = min(tries, key=lambda r: r.get("others_cpu_share", 0.0))
    return {**best, "contended_attempts_discarded": len(tries) - 1}


def summarise(name: str, runs: list[dict], when: str, commit: str) -> dict:
    case = CASES[name]
    base = {"description": case.description, "measured_at": when, "git_commit": commit, "code_key": case.code_key()}
    errors = [r for r in runs if "error" in r]
    if errors:
        return {**base, "error": errors[0]["error"], "stderr_tail": errors[0]["stderr_tail"],
                "runs_before_error": len(runs) - len(errors)}
    seconds = [r["seconds"] for r in runs]
    skip = ("seconds", "peak_mb", "others_cpu_share", "final", "contended_attempts_discarded")
    extras = {k: v for k, v in runs[-1].items() if k not in skip}
    return {**base, "median_seconds": round(statistics.median(seconds), 3), "runs_seconds": [round(s, 3) for s in seconds],
            "peak_mb": round(max(r["peak_mb"] for r in runs), 1), "peak_mb_runs": [round(r["peak_mb"], 1) for r in runs],
            "others_cpu_share_runs": [r["others_cpu_share"] for r in runs],
            "contended_attempts_discarded": sum(r.get("contended_attempts_discarded", 0) for r in runs), **extras}


def verdicts(results: dict) -> list[dict]:
    out = []
    for name, case in CASES.items():
        if name in results:
            out += [{"case": name, **t.judge(results[name], results)} for t in case.targets]
    return out


def checks(results: dict) -> list[str]:
    """Do ours and lifetimes describe the same customers? (a benchmark of wrong answers is worthless)"""
    out = []
    for prefix in ("cdnow7m", "b2b10m"):
        ours, lt = results.get(f"{prefix}_features_outcomes", {}), results.get(f"{prefix}_lifetimes_summary", {})
        if "frequency_sum" not in ours or "repeat_frequency_sum" not in lt:
            continue
        same = ours["customers"] == lt["customers"]
        out.append(f"{prefix}: customers graded by us {ours['customers']:,}, summarised by lifetimes "
                   f"{lt['customers']:,}{'' if lt.get('extrapolated') else (' (same)' if same else ' (DIFFERENT)')}")
        if prefix == "cdnow7m" and not lt.get("extrapolated"):  # no order ids: both count customer-days
            total = lt["repeat_frequency_sum"] + lt["customers"]
            out.append(f"{prefix}: orders up to as_of, ours Σ frequency {ours['frequency_sum']:,}; lifetimes "
                       f"Σ(frequency + 1) {total:,} ({'same' if total == ours['frequency_sum'] else 'DIFFERENT'})")
    return out


# --- writing ----------------------------------------------------------------------------------

def _met(v: dict) -> str:
    return {True: "yes", False: "**no**", None: "n/a"}[v["met"]]


def write_markdown(doc: dict) -> None:
    m = doc["machine"]
    pk = m["packages"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (benchmarks/run.py) from results.json; last run {doc['updated']}.",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, {m['platform']}; Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in pk.items()) + ".",
        "",
        "Each run is a fresh process; the time is wall-clock for the measured step only (imports done, input",
        "on disk; DuckDB reads the Parquet inside the timed call, lifetimes gets its input already in memory).",
        "Median over the runs listed; peak MB is the largest peak resident memory of the case's process over its runs.",
        "",
        "## Targets",
        "",
        "| case | target | measured | met? |",
        "|---|---|---|---|",
    ]
    lines += [f"| {v['case']} | {v['target']} | {v['measured']} | {_met(v)} |" for v in doc["verdicts"]]
    lines += ["", "## All cases", "", "| case | median s | runs (s) | peak MB | target | met? |", "|---|---|---|---|---|---|"]
    by_case: dict[str, list[dict]] = {}
    for v in doc["verdicts"]:
        by_case.setdefault(v["case"], []).append(v)
    for name, res in doc["results"].items():
        vs = by_case.get(name, [])
        target = "; ".join(v["target"] for v in vs) or "reference"
        met = "; ".join(f"{v['measured']} {_met(v)}" for v in vs) or "-"
        if "error" in res:
            lines.append(f"| {name} | error: {res['error']} | | | {target} | |")
            continue
        mark = " (extrapolated)" if res.get("extrapolated") else ""
        runs = ", ".join(f"{s:g}" for s in res["runs_seconds"])
        lines.append(f"| {name} | {res['median_seconds']:g}{mark} | {len(res['runs_seconds'])}: {runs} | "
                     f"{res['peak_mb']:.0f} | {target} | {met} |")
    lines += ["", "## What each case measures", ""]
    for name, res in doc["results"].items():
        bits = [res.get("description") or (CASES[name].description if name in CASES else "")]
        for key in ("customers", "rows", "per_method_seconds", "per_step_seconds", "read_seconds", "slowest_published",
                    "published_method_seconds", "examples_seconds", "summary"):
            if key in res:
                val = res[key]
                bits.append(f"{key}: " + (", ".join(f"{k} {v}" for k, v in val.items()) if isinstance(val, dict)
                                          else f"{val:,.2f}" if isinstance(val, float)
                                          else f"{val:,}" if isinstance(val, int) else str(val)))
        others = res.get("others_cpu_share_runs", [])
        if others:
            bits.append("other processes' CPU share during the runs: " + ", ".join(f"{s:.0%}" for s in others))
        if res.get("contended_attempts_discarded"):
            bits.append(f"{res['contended_attempts_discarded']} attempt(s) disturbed by other processes discarded")
        bits.append(f"measured {res.get('measured_at', '?')} at {res.get('git_commit', '?')}")
        if name not in CASES:
            bits.append("**no longer a registered case**")
        elif res.get("code_key") != CASES[name].code_key():
            bits.append("**measured with older case code; rerun with --only " + name + "**")
        lines.append(f"- `{name}`: " + "; ".join(bits))
    if doc.get("checks"):
        lines += ["", "## Same answers?", ""] + [f"- {c}" for c in doc["checks"]]
    notes = [f"- `{name}`: {res['note']}" for name, res in doc["results"].items() if res.get("note")]
    contended = [name for name, res in doc["results"].items() if max(res.get("others_cpu_share_runs", [0])) > BUSY]
    if contended:
        notes.append(f"- Other processes used more than {BUSY:.0%} of the CPU during some runs of: "
                     + ", ".join(f"`{n}`" for n in contended) + "; those times are slower than on an idle machine.")
    if doc.get("data"):
        notes += [f"- input `{k}`: {v['rows']:,} rows, {v['customers']:,} customers (file {v['file']})"
                  for k, v in doc["data"].items()]
    if notes:
        lines += ["", "## Notes", ""] + notes
    RESULTS_MD.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks; write benchmarks/results.json and RESULTS.md")
    parser.add_argument("--only", nargs="+", metavar="CASE", help="cases to run (default: all); others keep their figures")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case, median reported (default 3)")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help=f"before each run wait up to this long for other processes to use < {BUSY:.0%}% of the "
                        "CPU, and retry (twice at most) a run they disturbed anyway, keeping the least disturbed")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, case in CASES.items():
            print(f"{name}: {case.description}")
        return 0
    names = args.only or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {list(CASES)}")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    WORK.mkdir(exist_ok=True)
    needs = list(dict.fromkeys(n for name in names for n in CASES[name].needs))
    # built in a child process: keeps this one small (its memory does not belong to any case)
    built = subprocess.run([sys.executable, str(HERE / "inputs.py"), str(WORK), *needs],
                           stdout=subprocess.PIPE, text=True, check=True, cwd=HERE)
    inputs = json.loads(built.stdout.strip().splitlines()[-1])
    data = {n: {**data_info(Path(p)), "file": Path(p).name} for n, p in inputs.items() if p.endswith(".parquet")}

    runs: dict[str, list[dict]] = {n: [] for n in names}
    for rep in range(args.repeats):
        for name in names:
            if runs[name] and (runs[name][-1].get("final") or "error" in runs[name][-1]):
                continue  # extrapolated (too slow to repeat) or failed
            res = measured_run(name, {n: inputs[n] for n in CASES[name].needs}, args.wait_idle)
            runs[name].append(res)
            shown = res.get("error") or f"{res['seconds']:.3f} s, peak {res['peak_mb']:.0f} MB, others' CPU {res['others_cpu_share']:.0%}"
            print(f"[bench] {rep + 1}/{args.repeats} {name}: {shown}", flush=True)

    doc = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    results = doc.get("results", {})
    when, commit = dt.datetime.now().isoformat(timespec="seconds"), git_state()
    for name in names:
        results[name] = summarise(name, runs[name], when, commit)
    order = [n for n in CASES if n in results] + [n for n in results if n not in CASES]
    results = {n: results[n] for n in order}
    doc = {"updated": when, "machine": machine(), "data": {**doc.get("data", {}), **data}, "results": results,
           "verdicts": verdicts(results), "checks": checks(results)}
    RESULTS_JSON.write_text(json.dumps(doc, indent=2) + "\n")
    write_markdown(doc)
    for v in doc["verdicts"]:
        print(f"[bench] {v['case']}: {v['target']}: {v['measured']} -> {_met(v)}")
    print(f"[bench] wrote {RESULTS_JSON.relative_to(REPO)} and {RESULTS_MD.relative_to(REPO)}")
    return 1 if any("error" in results[n] for n in names) else 0


if __name__ == "__main__":
    raise SystemExit(main())
