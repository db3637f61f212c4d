"""``segment run --config X``: execute the notebooks for one config into a new run folder.

Order of work (each step's files land in the run folder's temporary name first):
1. ``run_pipeline`` computes everything once; the result is pickled to
   ``artifacts/result.pkl`` so every notebook draws the same numbers.
2. Tables: ``tiers.csv/.parquet`` (every method's tier per customer, CRM-ready),
   ``validation/*.csv`` (per-tier outcomes, leaderboard, ...).
3. Notebooks are executed by papermill with ``run_dir`` and the ``report:`` settings each
   notebook declares in its parameters cell (``notebook_params.parameters_for``), kept as
   ``notebooks/*.ipynb``, and converted to HTML: analyst versions with code, the
   leadership version without code (``--no-input``). They run on a small pool of warm
   Python kernels (``KernelPool``): a kernel imports the report modules once and every
   notebook starts in a fresh namespace (``%reset``; execution count 1; warnings not
   yet shown), so a notebook's output is what a new kernel would give, without paying
   the kernel start and the imports (~5 s of CPU) 28 times in ``report-all``.
4. ``index.html`` links everything; ``manifest.json`` records input hashes, row counts,
   exclusions, parameters, package versions, git commit, start and end times.
5. The folder is renamed into place. A run that fails once its folder exists (a failing
   notebook, a fault, a method error, a full disk) keeps it as ``...-FAILED`` with
   ``error.txt`` (message and traceback), ``manifest.json`` so far (``"status": "failed"``)
   and, for a notebook, the executed notebook showing the error; an interrupted run
   (Ctrl-C: the notebook kernels are interrupted too) stays a hidden ``.…partial`` folder
   with the same two files (``segment.runs.RunFolder.fail``). A config that cannot be read
   stops before any folder is made; a reports folder that cannot be written is a
   ``ReportsFolderError`` (the user's problem, exit status 2).

``Reporter`` runs several configs in one process (``segment report-all``): their pipelines
share identical work through ``segment.workcache`` (same data, date and parameters give
the same fit, computed once), and one config's notebooks execute on the kernel pool while
the next config's pipeline computes. Every config still gets its own run folder, its own
saved result and its own reports; a failing config does not stop the others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import json
import os
import platform
import queue
import shutil
import subprocess
import tempfile
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from segment.config import RunConfig
from segment.export import atomic_write, tiers_table, write_table
from segment.paths import NOTEBOOK_DIR, REPORTS_DIR, ROOT
from segment.pipeline import PipelineResult, params_of, run_pipeline
from segment.reporting.notebook_params import parameters_for
from segment.reporting.notebooks import NOTEBOOKS, default_notebooks
from segment.runs import RunFolder, check_plain_name

PACKAGES = ["segment", "pandas", "numpy", "scipy", "duckdb", "ibis-framework", "scikit-learn", "statsmodels",
            "pandera", "papermill", "nbconvert", "matplotlib", "seaborn"]


class NotebookFailed(RuntimeError):
    """A report notebook raised; the message names the notebook and the failing cell."""


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None, "note": "not a git checkout"}


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def notebooks_for(config: RunConfig) -> list[str]:
    chosen = config.report.get("notebooks")
    names = list(chosen) if chosen else default_notebooks(bool(config.tuning))
    unknown = [n for n in names if n not in NOTEBOOKS]
    if unknown:
        raise ValueError(f"{config.source}: report.notebooks has unknown notebook(s) {unknown}; known: {list(NOTEBOOKS)}")
    return names


#: run in a pooled kernel before each notebook: close figures, forget which warnings were
#: shown (``catch_warnings`` invalidates the once-per-location registries) and reset the
#: namespace and the execution count, so the notebook starts as in a fresh kernel
_RESET_KERNEL = """
import warnings, matplotlib.pyplot
matplotlib.pyplot.close("all")
with warnings.catch_warnings():
    pass
get_ipython().reset(new_session=True)
"""
#: run once per pooled kernel: a lower CPU priority (the next config's pipeline, computed meanwhile
#: in the parent, is the critical path; the notebooks fill the rest of the cores), and the imports
#: of the notebooks and of unpickling a result
_PRELOAD = """
import os
os.nice(5)
import IPython.display, segment.reporting.plots, segment.reporting.views, segment.reporting.leadership
import segment.methods.registry as _registry
for _name in _registry.METHODS:
    _registry.method_class(_name)
"""


class KernelPool:
    """``size`` warm python3 kernels (started in ``cwd``), handed out one notebook at a time."""

    def __init__(self, size: int = 2, cwd: Path = NOTEBOOK_DIR) -> None:
        self.size, self.cwd = size, Path(cwd)
        self._idle: queue.Queue = queue.Queue()
        self._all: list[Any] = []
        self._busy: list[Any] = []
        self._stopped = False  # interrupt() was called: no more notebooks start
        self._started = 0
        self._socket_dir: Path | None = None
        self._warming: list[threading.Thread] = []
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Start the kernels in the background now (they import while the first pipeline computes)."""
        def start_one() -> None:
            with self._lock:
                if self._started >= self.size:
                    return
                self._started += 1
            try:
                self._idle.put(self._start())
            except Exception:  # noqa: BLE001 -- kernel() starts one itself and reports the error
                with self._lock:
                    self._started -= 1

        for _ in range(self.size):
            thread = threading.Thread(target=start_one, daemon=True, name="segment-kernel-start")
            thread.start()
            self._warming.append(thread)

    def _start(self):
        from jupyter_client import KernelManager

        # local (ipc) sockets under an absolute private folder: no TCP port, no unencrypted-TCP warning
        # (one folder per kernel: kernels started at once would otherwise pick the same socket names)
        own = Path(tempfile.mkdtemp(dir=self._sockets()))
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(own / "kernel"))
        km.start_kernel(cwd=str(self.cwd), env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
        self._run(km, _PRELOAD)
        with self._lock:
            self._all.append(km)
        return km

    @staticmethod
    def _run(km, code: str) -> None:
        kc = km.blocking_client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=300)
            reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=300,
                                           output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"kernel set-up failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
        finally:
            kc.stop_channels()

    @contextlib.contextmanager
    def kernel(self):
        """A kernel whose namespace is fresh; a dead kernel is replaced by a new one."""
        while True:
            with self._lock:
                if self._stopped:
                    raise KeyboardInterrupt("the run was interrupted before this notebook started")
                start = self._started < self.size and self._idle.empty()
                self._started += start
            if start:
                try:
                    km = self._start()
                except BaseException:
                    with self._lock:
                        self._started -= 1
                    raise
                break
            try:  # a kernel being started elsewhere may fail: look again now and then
                km = self._idle.get(timeout=1.0)
                break
            except queue.Empty:
                continue
        try:
            if not km.is_alive():
                km.restart_kernel(now=True)
                self._run(km, _PRELOAD)
            self._run(km, _RESET_KERNEL)
        except BaseException:  # e.g. a late interrupt during the reset: the kernel is not lost to the pool
            self._idle.put(km)
            raise
        with self._lock:  # under the lock: interrupt() either sees this kernel busy or stops it here
            stopped = self._stopped
            if not stopped:
                self._busy.append(km)
        if stopped:
            self._idle.put(km)
            raise KeyboardInterrupt("the run was interrupted before this notebook started")
        try:
            yield km
        finally:
            with self._lock:
                self._busy.remove(km)
            self._idle.put(km)

    def interrupt(self) -> None:
        """Interrupt the notebooks running now (Ctrl-C reaches only this process: jupyter starts
        each kernel in a session of its own): the running cell raises KeyboardInterrupt. A kernel
        ignores the signal between two cells, so call this until the notebooks have stopped.
        Afterwards the pool starts no more notebooks."""
        with self._lock:
            self._stopped = True
            busy = list(self._busy)
        for km in busy:
            with contextlib.suppress(Exception):
                km.interrupt_kernel()

    def _sockets(self) -> Path:
        with self._lock:
            if self._socket_dir is None:
                self._socket_dir = Path(tempfile.mkdtemp(prefix="segment-kernels-"))
            return self._socket_dir

    def close(self) -> None:
        for thread in self._warming:  # a kernel still starting must be shut down too
            thread.join()
        with self._lock:
            kernels, self._all = self._all, []
        for km in kernels:
            with contextlib.suppress(Exception):
                km.shutdown_kernel(now=True)
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None


@functools.lru_cache(maxsize=None)
def _stored_notebook(path: Path, mtime_ns: int):
    import nbformat

    return nbformat.read(path, as_version=4)  # stored without outputs (tests/reporting/test_notebook_hygiene.py)


def notebook_parameters(name: str, run_tmp: Path, report: dict[str, Any] | None = None) -> dict[str, Any]:
    """What papermill gives ``name``: ``run_dir`` and the config's ``report:`` values that the
    notebook declares in its parameters cell (``report.notebooks`` chooses notebooks; it is
    no notebook's parameter)."""
    settings = {k: v for k, v in (report or {}).items() if k != "notebooks"}
    return {"run_dir": str(run_tmp), **(parameters_for(name, settings, NOTEBOOK_DIR) if settings else {})}


def execute_notebook(name: str, run_tmp: Path, progress: Callable[[str], None], pool: KernelPool | None = None,
                     report: dict[str, Any] | None = None) -> Path:
    """Execute ``notebooks/<name>.ipynb`` with ``run_dir`` and its ``report:`` settings
    (``notebook_parameters``) into ``run_tmp/notebooks/``: on a pooled kernel if ``pool`` is
    given, else in a new kernel that is shut down afterwards."""
    import copy

    import papermill as pm

    out = run_tmp / "notebooks" / f"{name}.ipynb"
    out.parent.mkdir(exist_ok=True)
    source = NOTEBOOK_DIR / f"{name}.ipynb"
    nb = copy.deepcopy(_stored_notebook(source, source.stat().st_mtime_ns))
    parameters = notebook_parameters(name, run_tmp, report)
    t = time.perf_counter()
    try:
        with (pool.kernel() if pool is not None else contextlib.nullcontext()) as km:
            pm.execute_notebook(
                nb,
                str(out),
                parameters=parameters,
                kernel_name="python3",
                # a pooled kernel was started in NOTEBOOK_DIR; papermill's cwd would chdir this whole process
                cwd=None if km is not None else str(NOTEBOOK_DIR),
                progress_bar=False,
                request_save_on_cell_execute=False,  # written once at the end (and on failure), not after every cell
                **({"km": km} if km is not None else {}),
            )
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(
            f"notebook {name} failed in cell {exc.exec_count} ({exc.ename}: {exc.evalue}); "
            f"the executed notebook with the error is kept at {out}"
        ) from exc
    progress(f"executed {name} ({time.perf_counter() - t:.1f} s)")
    return out


def to_html(notebook: Path, target: Path, *, with_code: bool) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    for i, cell in enumerate(nb.cells):  # papermill's injected cell gets a random id: make HTML reproducible
        cell["id"] = f"cell-{i}"
    exporter = HTMLExporter(exclude_input=not with_code, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    return atomic_write(target, lambda p: p.write_text(body, encoding="utf-8"))


def write_index(run_tmp: Path, config: RunConfig, pages: list[tuple[str, str, str]], files: list[Path]) -> Path:
    items = "\n".join(
        f'<li><a href="{html.escape(href)}">{html.escape(title)}</a> <small>({html.escape(aud)})</small></li>'
        for title, href, aud in pages
    )
    data_files = "\n".join(
        f'<li><a href="{html.escape(str(f.relative_to(run_tmp)))}">{html.escape(str(f.relative_to(run_tmp)))}</a></li>'
        for f in sorted(files)
    )
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>segment run: {html.escape(config.output_name)}</title></head><body>
<h1>segment run: {html.escape(config.output_name)}</h1>
<p>Grading date {html.escape(config.as_of)}, outcome horizon {config.horizon_days} days.
Config: {html.escape(Path(config.source).name)}.</p>
<h2>Reports</h2><ul>{items}</ul>
<h2>Tables</h2><ul>{data_files}</ul>
<p><a href="manifest.json">manifest.json</a> (inputs, parameters, versions, times)</p>
</body></html>"""
    return atomic_write(run_tmp / "index.html", lambda p: p.write_text(body, encoding="utf-8"))


def write_tables(result: PipelineResult, run_tmp: Path) -> list[Path]:
    files = write_table(tiers_table(result.assignments), run_tmp / "tiers")
    for name, table in result.validation.get("tables", {}).items():
        files += write_table(table, run_tmp / "validation" / name, parquet=False, index=False)
    if getattr(result, "tuning", None) is not None:  # weight tuning: tuning/*.csv and tuning/tuned_weights.yaml
        from segment.tuning import write_tuning

        files += write_tuning(result.tuning, run_tmp)
    return files


def started_record(config: RunConfig, started: dt.datetime, notebooks: list[str]) -> dict[str, Any]:
    """What a run's manifest knows before any work: a run that fails early keeps this."""
    return {"output_name": config.output_name, "config_file": config.source, "config": config.to_dict(),
            "notebooks": notebooks, "started": started.isoformat(timespec="seconds")}


def input_record(loaded: Any) -> dict[str, Any]:
    """The manifest's record of the input read (``pipeline.LoadedData``)."""
    return {"input": loaded.source, "rows_read": loaded.rows_read, "rows_excluded": loaded.excluded,
            "rows_changed": loaded.changed}


@contextlib.contextmanager
def noting_input(cache: Any, record: dict[str, Any]):
    """Put the input into ``record`` as soon as the pipeline has loaded it (through the work
    cache, which every Reporter pipeline uses), so a run that fails later names what it read."""
    load = cache.loaded

    def loaded(data_spec: dict[str, Any], compute: Callable[[], Any]) -> Any:
        value = load(data_spec, compute)
        record.update(input_record(value))
        return value

    cache.loaded = loaded
    try:
        yield record
    finally:
        del cache.loaded  # the class's method again


def manifest(result: PipelineResult, started: dt.datetime, finished: dt.datetime | None,
             notebooks: list[str]) -> dict[str, Any]:
    """The run's ``manifest.json`` record; ``finished`` None leaves it to be filled in (the
    record is made when the pipeline is done, so that the result can be let go while the
    notebooks run). ``not_graded``: method -> why it could not grade this data."""
    return {
        "output_name": result.config.output_name,
        "config_file": result.config.source,
        "config": result.config.to_dict(),
        "method_parameters": params_of(result),
        **input_record(result.loaded),
        "not_graded": dict(getattr(result, "not_graded", None) or {}),
        "customers_graded": len(result.features),
        "grading_as_of": result.config.as_of,
        "validation_origin": result.origin,
        "customers_first_seen_after_origin": result.outcomes.attrs.get("customers_first_seen_after_as_of"),
        "assumptions": result.features.attrs.get("assumptions"),
        "notes": result.notes,
        "method_notes": getattr(result, "method_notes", []),
        "notebooks": notebooks,
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git": git_state(),
        "started": started.isoformat(timespec="seconds"),
        "finished": None if finished is None else finished.isoformat(timespec="seconds"),
        "timings_seconds": {k: round(v, 3) for k, v in result.timings.items()},
    }


@dataclass(eq=False)  # each is one run: compared by identity
class _Pending:
    """A config whose pipeline is done and whose notebooks are queued."""

    config: RunConfig
    run: RunFolder
    record: dict[str, Any]  # the manifest, made when the pipeline was done ("finished" not yet set)
    names: list[str]
    files: list[Path]
    started: dt.datetime
    futures: list[Future] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class Reporter:
    """Runs configs into new run folders, sharing identical work and warm kernels.

    ``start(config)`` runs the pipeline in the calling thread and queues the notebooks on
    ``workers`` kernels (``keep_shared_work=False``: the last config, the shared work is let
    go before the notebooks run); ``finish(pending)`` waits for them and closes the run folder.
    Use as a context manager (kernels are shut down on exit)."""

    def __init__(self, reports_dir: str | Path = REPORTS_DIR, *, progress: Callable[[str], None] = print,
                 workers: int = 2, pipeline_threads: int | None = 1) -> None:
        from segment import workcache

        return_large_blocks_to_system()
        #: threads of the pipeline's numeric libraries (None = their default; see ``_threads``)
        self.pipeline_threads = pipeline_threads
        self.reports_dir = Path(reports_dir).resolve()
        self.progress = progress
        self.cache = workcache.WorkCache()
        self._t0 = time.perf_counter()
        self.pool = KernelPool(workers)
        self.pool.warm_up()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="segment-notebook")
        #: runs started and not yet finished (closed on leaving after an error)
        self._open: list[_Pending] = []

    def __enter__(self) -> "Reporter":
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        """Shut the kernels down. Leaving on an error (an interrupt), every run still open is
        closed first, saying why (``abandon``), and nothing more is waited for."""
        if exc is not None:
            try:
                for pending in list(self._open):
                    self.abandon(pending, exc)
            finally:
                self.executor.shutdown(wait=False, cancel_futures=True)
                self.pool.close()  # a notebook still running ends with its kernel
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.pool.close()

    def _threads(self):
        """The pipeline's numeric libraries (BLAS, OpenMP) on ``pipeline_threads`` threads.
        One by default: how many threads split a sum changes its last bits (the weighted score
        differed by 1 ulp between a `segment run` and a `report-all` run with other thread
        settings), so with one thread the same config gives the same bytes from either command
        on any machine, and in report-all the notebooks have the other core."""
        from threadpoolctl import threadpool_limits

        if self.pipeline_threads is None:
            return contextlib.nullcontext()
        return threadpool_limits(limits=int(self.pipeline_threads))

    def _say(self, message: str) -> None:
        self.progress(f"[segment] {time.perf_counter() - self._t0:6.1f} s  {message}")

    def start(self, config: RunConfig | str | Path, *, keep_shared_work: bool = True) -> _Pending:
        """Run ``config`` (a checked RunConfig, or a config file read here) up to its queued
        notebooks. The config is read before the run folder is made: a config error leaves none."""
        from segment import workcache

        if not isinstance(config, RunConfig):
            config = RunConfig.from_yaml(Path(config).resolve())
        names = notebooks_for(config)
        started = dt.datetime.now()
        so_far = started_record(config, started, names)
        run = RunFolder(self.reports_dir, config.output_name)
        pending: _Pending | None = None

        def job(name: str) -> tuple[Path, float, float]:
            t = time.perf_counter()
            nb = execute_notebook(name, run.tmp, lambda m: self._say(f"{config.output_name}: {m}"), self.pool,
                                  report=config.report)
            t_exec = time.perf_counter() - t
            to_html(nb, run.tmp / f"{name}.html", with_code=NOTEBOOKS[name][1] == "analyst")
            return nb, t_exec, time.perf_counter() - t - t_exec

        run.__enter__()  # ReportsFolderError when it cannot be made
        try:  # from here to the return, any error (an interrupt, too) closes the folder saying why
            self._say(f"run {config.output_name}: working in {run.tmp}")
            with workcache.using(self.cache), self._threads(), noting_input(self.cache, so_far):
                result = run_pipeline(config, progress=lambda m: self._say(f"{config.output_name}: {m}"))
            (run.tmp / "artifacts").mkdir()
            result.save(run.tmp / "artifacts" / "result.pkl")
            files = write_tables(result, run.tmp)
            pending = _Pending(config, run, manifest(result, started, None, names), names, files, started)
            del result  # the notebooks read it from result.pkl: the pipeline's tables are let go while they run
            if not keep_shared_work:  # one config: nothing to share any more; let the loaded data go too
                self.cache.clear()
            release_freed_memory()
            self._say(f"{config.output_name}: queued notebooks {', '.join(names)}")
            for name in names:
                pending.futures.append(self.executor.submit(job, name))
            self._open.append(pending)
        except BaseException as exc:
            error = self.abandon(pending, exc) if pending is not None else run.fail(exc, so_far)
            if error is exc:
                raise
            raise error from exc
        return pending

    def finish(self, pending: _Pending) -> Path:
        run, config = pending.run, pending.config
        try:
            wait(pending.futures)  # nothing may still write into the folder when it is renamed
            for name, future in zip(pending.names, pending.futures):
                _, t_exec, t_html = future.result()  # the first failing notebook (in report order) stops the run
                pending.timings[f"notebook_{name}"] = t_exec
                pending.timings[f"html_{name}"] = t_html
            pages = [(NOTEBOOKS[n][0], f"{n}.html", NOTEBOOKS[n][1]) for n in pending.names]
            write_index(run.tmp, config, pages, pending.files)
            record = {"status": "ok", **pending.record}
            record["finished"] = dt.datetime.now().isoformat(timespec="seconds")
            record["timings_seconds"].update({k: round(v, 3) for k, v in pending.timings.items()})
            record["shared_work"] = self.cache.summary()
            atomic_write(run.tmp / "manifest.json",
                         lambda p: p.write_text(json.dumps(record, indent=2, default=str) + "\n"))
            run.succeed()
            self._closed(pending)
        except BaseException as exc:
            error = self.abandon(pending, exc)
            if isinstance(error, NotebookFailed) and run.failed is not None:  # name the kept -FAILED folder
                renamed = NotebookFailed(str(error).replace(str(run.tmp), str(run.failed)))
                renamed.run_folder = run.failed
                raise renamed from exc
            if error is exc:
                raise
            raise error from exc
        self._say(f"done: {run.final / 'index.html'}")
        return run.final

    def abandon(self, pending: _Pending, exc: BaseException) -> BaseException:
        """Close ``pending``'s folder after ``exc`` (``RunFolder.fail``) once its notebooks have
        stopped; on an interrupt, the running notebooks are interrupted and the queued ones
        dropped. Returns the error to raise."""
        self._closed(pending)
        if pending.run.closed:
            return exc  # closed already (a failure to rename the finished folder)
        try:
            if isinstance(exc, Exception):
                wait(pending.futures)
            else:  # KeyboardInterrupt: stop the notebooks (an interrupt between two cells is lost: repeat it)
                for future in pending.futures:
                    future.cancel()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    self.pool.interrupt()
                    if not wait(pending.futures, timeout=0.5).not_done:
                        break
        except BaseException:  # noqa: BLE001 -- a second Ctrl-C: keep what there is, report the first
            pass
        return pending.run.fail(exc, pending.record)

    def _closed(self, pending: _Pending) -> None:
        with contextlib.suppress(ValueError):
            self._open.remove(pending)


def _glibc():
    """The C library if it is glibc (``malloc_trim`` / ``mallopt``), else None."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


#: glibc's ``M_MMAP_THRESHOLD`` and the value set: blocks of 1 MiB and more get their own mapping
M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES = -3, 1 << 20


def return_large_blocks_to_system() -> bool:
    """Have glibc map every block of 1 MiB or more on its own, so that freeing it gives the
    memory back at once. By default glibc raises that threshold (up to 32 MiB) as large blocks
    are freed, and a column of a few million values then lands on the heap, where freed space
    is kept: at 2.4 M customers the pipeline held about a gigabyte it no longer used. Set once
    per process (``Reporter``); nothing happens on other C libraries. True if it was set."""
    libc = _glibc()
    return libc is not None and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1


def release_freed_memory() -> None:
    """Collect garbage and hand freed heap memory back to the system (glibc's ``malloc_trim``;
    elsewhere only the collection): after a pipeline at millions of customers the process
    would otherwise keep memory it no longer uses while the notebook kernels load the result."""
    import gc

    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def run_config(config_path: RunConfig | str | Path, reports_dir: str | Path = REPORTS_DIR, *,
               progress: Callable[[str], None] = print) -> Path:
    """Execute one config (a checked RunConfig or a config file) into a new run folder and
    return its final path."""
    config = config_path if isinstance(config_path, RunConfig) else RunConfig.from_yaml(Path(config_path).resolve())
    notebooks_for(config)  # what can be found wrong without work is found before any kernel starts
    check_plain_name(config.output_name)
    with Reporter(reports_dir, progress=progress) as reporter:
        pending = reporter.start(config, keep_shared_work=False)
        return reporter.finish(pending)


def run_configs(config_paths: list[str | Path], reports_dir: str | Path = REPORTS_DIR, *,
                progress: Callable[[str], None] = print,
                on_done: Callable[[Path, Path | None, BaseException | None], None] | None = None,
                ) -> list[tuple[Path, Path | None, BaseException | None]]:
    """Run several configs in one process (``segment report-all``): shared work, warm kernels,
    one config's notebooks while the next one computes. Returns (config, run folder or None,
    error or None) per config, in order; a failing config does not stop the others."""
    outcomes: list[tuple[Path, Path | None, BaseException | None]] = []

    def done(cfg: Path, final: Path | None, error: BaseException | None) -> None:
        outcomes.append((cfg, final, error))
        if on_done is not None:
            on_done(cfg, final, error)

    with Reporter(reports_dir, progress=progress) as reporter:
        pending: list[tuple[Path, _Pending]] = []
        for cfg in map(Path, config_paths):
            try:
                pending.append((cfg, reporter.start(cfg)))
            except Exception as exc:  # noqa: BLE001 -- one broken config must not stop the others
                done(cfg, None, exc)
            # finish the runs whose notebooks are done, so index pages appear as they are ready
            while pending and all(f.done() for f in pending[0][1].futures):
                finish_one(reporter, *pending.pop(0), done)
        while pending:  # (an interrupt: the Reporter closes every run still open, as a hidden .partial)
            finish_one(reporter, *pending.pop(0), done)
    return outcomes


def finish_one(reporter: Reporter, cfg: Path, pending: _Pending, done) -> None:
    try:
        done(cfg, reporter.finish(pending), None)
    except Exception as exc:  # noqa: BLE001 -- one broken config must not stop the others
        done(cfg, None, exc)
