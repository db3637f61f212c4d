"""Benchmark cases of issue 6 (reports): `make report` and one `segment run` at 7 M rows.

Both run the real commands in-process (``segment.cli.main``), so the clock covers
everything a user waits for: pipelines, papermill notebooks on the kernel pool, nbconvert,
the index and the manifest. Reports go to a temporary folder that is deleted afterwards.

Memory: a run also has kernel processes (the notebooks). ``peak_mb`` is the peak of
the sum of resident memory over this process and all its children, sampled every 0.2 s
(``psutil``); ``peak_mb_parent`` is this process's own VmHWM.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


#: stop a run (KeyboardInterrupt in the main thread) when the machine has less memory left than
#: this: on a shared machine a run must not push another process into the OOM killer
MIN_AVAILABLE_MB = 1500


class TreeMemory:
    """Peak resident memory (MB) of this process plus its children, sampled in a thread;
    interrupts the main thread when the machine's available memory falls below
    ``MIN_AVAILABLE_MB`` (``stopped`` is then set)."""

    def __init__(self, every: float = 0.2) -> None:
        import psutil

        self.me, self.every, self.peak, self.stopped = psutil.Process(), every, 0.0, False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        import psutil

        total = 0
        for p in [self.me, *self.me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        self.peak = max(self.peak, total / 2**20)
        if not self.stopped and psutil.virtual_memory().available / 2**20 < MIN_AVAILABLE_MB:
            import _thread

            self.stopped = True
            _thread.interrupt_main()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def __enter__(self) -> "TreeMemory":
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def _vmhwm_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024.0


def _manifest_timings(reports: Path) -> dict:
    out = {}
    for m in sorted(reports.glob("*/manifest.json")):
        record = json.loads(m.read_text())
        out[record["output_name"]] = record.get("timings_seconds", {})
    return out


def report_all(inputs) -> dict:
    """`make report`: `segment report-all --quiet` over the bundled CDNOW configs."""
    from segment.cli import main

    with tempfile.TemporaryDirectory() as tmp, TreeMemory() as mem:
        t = time.perf_counter()
        status = main(["report-all", "--quiet", "--reports-dir", tmp])
        seconds = time.perf_counter() - t
        runs = sorted(p.name for p in Path(tmp).iterdir() if not p.name.startswith("."))
        timings = _manifest_timings(Path(tmp))
    if status != 0:
        raise RuntimeError(f"segment report-all exited {status}")
    return {"seconds": seconds, "run_folders": len(runs), "peak_mb": mem.peak, "peak_mb_parent": _vmhwm_mb(),
            "per_config_timings": timings}


def cdnow7m_run(inputs) -> dict:
    """`segment run` on CDNOW x100 (6.97 M rows, 2.36 M customers) through the file input
    contract (`data: {path: <parquet>}`): the cdnow_backtest config with only the data changed.
    Progress (with elapsed seconds) goes to stderr and into the result, so a stopped run still
    says where its time went."""
    import sys

    import yaml

    from segment.reporting.run import run_config

    cfg = yaml.safe_load((REPO / "configs" / "cdnow_backtest.yaml").read_text())
    cfg["output_name"] = "cdnow-x100-backtest"
    cfg["data"] = {"path": str(Path(inputs["cdnow_x100"]).resolve())}
    log: list[str] = []
    t = time.perf_counter()

    def progress(message: str) -> None:
        line = f"{time.perf_counter() - t:7.1f} s {message}"
        log.append(line)
        print(line, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cdnow_x100.yaml"
        config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        reports = Path(tmp) / "reports"
        try:
            with TreeMemory() as mem:
                t = time.perf_counter()
                final = run_config(config, reports, progress=progress)
                seconds = time.perf_counter() - t
        except KeyboardInterrupt:
            raise RuntimeError(
                f"stopped after {time.perf_counter() - t:.0f} s: the machine had < {MIN_AVAILABLE_MB} MB available; "
                f"peak of this run {mem.peak:.0f} MB; last step: {log[-1] if log else 'none'}") from None
        record = json.loads((final / "manifest.json").read_text())
    return {"seconds": seconds, "peak_mb": mem.peak, "peak_mb_parent": _vmhwm_mb(),
            "rows_read": record.get("rows_read"), "customers_graded": record.get("customers_graded"),
            "timings": record.get("timings_seconds"), "progress": log}


def config_error(inputs) -> dict:
    """Issue 14: from the command's start to the one-line message of a broken config (a method
    parameter typo, a bad date and an unknown report key), as a user runs it: a fresh
    ``segment run`` process, start-up and imports included. Exit status 2 is checked."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "broken.yaml"
        text = (REPO / "configs" / "quick_cdnow_sample.yaml").read_text(encoding="utf-8")
        config.write_text(text.replace("weights:", "weigths:").replace("as_of: 1997-09-30", "as_of: 1997-13-30")
                          .replace("min_tier_size", "min_tier_sze"), encoding="utf-8")
        segment = Path(sys.executable).with_name("segment")
        t = time.perf_counter()
        done = subprocess.run([str(segment), "run", "--config", str(config), "--reports-dir", str(Path(tmp) / "r")],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - t
    if done.returncode != 2 or len(done.stderr.strip().splitlines()) != 3:
        raise RuntimeError(f"expected exit 2 and three lines, got {done.returncode}: {done.stderr}")
    return {"seconds": seconds, "lines": 3}


def quick_sample_run(inputs) -> dict:
    """Issue 19 item 2: ``segment run --config configs/quick_cdnow_sample.yaml`` in a fresh process,
    as an analyst runs it: wall seconds from the command's start to its exit, the CPU seconds of
    the process and its kernels (children, counted once reaped), and the run's stage and notebook
    timings from its manifest."""
    import resource
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        segment = Path(sys.executable).with_name("segment")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run([str(segment), "run", "--quiet", "--config", str(REPO / "configs" / "quick_cdnow_sample.yaml"),
                               "--reports-dir", tmp], capture_output=True, text=True)
        seconds = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"segment run exited {done.returncode}: {done.stderr[-2000:]}")
        timings = _manifest_timings(Path(tmp)).get("quick-cdnow-sample", {})
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"seconds": seconds, "cpu_seconds": cpu, "timings": timings}


def make_test(inputs) -> dict:
    """Issue 19 item 5: `make test` on a set-up ``.venv`` (the setup and browser steps find
    everything in place): wall seconds of the whole command, and the test summary line."""
    import subprocess

    t = time.perf_counter()
    done = subprocess.run(["make", "test"], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    summary = next((line for line in reversed(done.stdout.splitlines()) if " passed" in line), "")
    if done.returncode != 0:
        raise RuntimeError(f"make test exited {done.returncode}: {summary or done.stdout[-2000:]}")
    return {"seconds": seconds, "summary": summary.strip("= ")}
