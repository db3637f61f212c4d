"""``segment run --config X``: execute the notebooks for one config into a new run folder.

Order of work (each step's files land in the run folder's temporary name first):
1. ``run_pipeline`` computes everything once; the result is pickled to
   ``artifacts/result.pkl`` so every notebook draws the same numbers.
2. Tables: ``tiers.csv/.parquet`` (every method's tier per customer, CRM-ready),
   ``validation/*.csv`` (per-tier outcomes, leaderboard, ...); then the ledger
   (``segment.governance.publish``): ``published.csv``, and with a previous run of the series
   ``governance/*.csv``; the manifest gains ``series``, ``published``, ``previous`` and
   ``headline``, and is written (``"status": "running"``) before the notebooks run, so the
   reports read the ledger from the run folder. A ledger problem (a tampered previous ``published.csv``, a ``previous_run``
   that does not qualify) is the user's ``GovernanceError``: the folder is kept ``-FAILED``.
3. Notebooks are executed by papermill with ``run_dir`` and the ``report:`` settings each
   notebook declares in its parameters cell (``notebook_params.parameters_for``), kept as
   ``notebooks/*.ipynb`` recording as ``run_dir`` the folder's final name (reserved when the
   run starts, ``RunFolder.target``), so a kept notebook runs again on the finished folder,
   and converted to HTML: analyst versions with code, the
   leadership version without code (``--no-input``) (``reporting.execute``). They run on a
   small pool of warm Python kernels (``reporting.kernels.KernelPool``): a kernel imports
   the report modules once and every notebook starts in a fresh namespace (``%reset``;
   execution count 1; warnings not yet shown), so a notebook's output is what a new kernel
   would give, without paying the kernel start and the imports (~5 s of CPU) 28 times in
   ``report-all``.
4. ``index.html`` links everything; ``manifest.json`` records input hashes, row counts,
   exclusions, parameters, package versions, git commit, start and end times
   (``reporting.manifest``).
5. The folder is renamed into place, and the reports folder's ``index.html`` (every run by
   series, ``reporting.series_index``) is rewritten. A run that fails once its folder exists (a failing
   notebook, a fault, a method error, a full disk) keeps it as ``...-FAILED`` with
   ``error.txt`` (message and traceback), ``manifest.json`` so far (``"status": "failed"``)
   and, for a notebook, the executed notebook showing the error; an interrupted run
   (Ctrl-C: the notebook kernels are interrupted too) stays a hidden ``.…partial`` folder
   with the same two files (``segment.runs.RunFolder.fail``); the kept notebooks record the
   folder they are in as run_dir (``Reporter._kept``). A config that cannot be read
   stops before any folder is made; a reports folder that cannot be written is a
   ``ReportsFolderError`` (the user's problem, exit status 2).

``Reporter`` runs several configs in one process (``segment report-all``): their pipelines
share identical work through ``segment.workcache`` (same data, date and parameters give
the same fit, computed once), and one config's notebooks execute on the kernel pool while
the next config's pipeline computes. Every config still gets its own run folder, its own
saved result and its own reports; a failing config does not stop the others. Runs of one
series are made in the order they are started: before a run looks for its previous run, the
runs of its series still open are finished first (``Reporter.finish`` may be called again:
it gives the same folder, or raises the same error).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from segment.config import RunConfig
from segment.export import atomic_write
from segment.governance.publish import published_before, publish_run
from segment.paths import REPORTS_DIR
from segment.pipeline import run_pipeline
from segment.validation.suite import with_published
from segment.process import release_freed_memory, thread_limits
from segment.reporting.execute import (NotebookFailed, execute_notebook, load_notebook_tools, record_run_dir,
                                       recorded_run_dir, to_html)
from segment.reporting.kernels import KernelPool
from segment.reporting.manifest import input_record, manifest, started_record, write_index, write_tables
from segment.reporting.notebooks import NOTEBOOKS, default_notebooks, execution_order
from segment.reporting.series_index import write_series_index
from segment.runs import RunFolder, check_plain_name
from segment.validation.result import Recommendation


def notebooks_for(config: RunConfig) -> list[str]:
    chosen = config.report.get("notebooks")
    names = list(chosen) if chosen else default_notebooks(bool(config.tuning))
    unknown = [n for n in names if n not in NOTEBOOKS]
    if unknown:
        raise ValueError(f"{config.source}: report.notebooks has unknown notebook(s) {unknown}; known: {list(NOTEBOOKS)}")
    return names


@dataclass(eq=False)  # each is one run: compared by identity
class _Pending:
    """A config whose pipeline is done and whose notebooks are queued."""

    config: RunConfig
    run: RunFolder
    record: dict[str, Any]  # the manifest, made when the pipeline was done ("finished" not yet set)
    names: list[str]
    files: list[Path]
    started: dt.datetime
    #: validation's recommendation, kept for index.html when the result is let go
    recommended: Recommendation | None = None
    #: the ledger's manifest fields (series, published, previous), for index.html
    governance: dict[str, Any] | None = None
    #: each notebook's execution, in the order queued (``execution_order``): it gives the executed
    #: notebook, its seconds and the future of its HTML page (made in ``Reporter.html``)
    executions: dict[str, Future] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: once finished: the final folder, or the error the run stopped with
    final: Path | None = None
    error: BaseException | None = None

    @property
    def futures(self) -> list[Future]:
        return list(self.executions.values())

    def pages(self) -> list[Future]:
        """The HTML pages queued by the notebooks that ran."""
        return [f.result()[2] for f in self.futures if f.done() and not f.cancelled() and f.exception() is None]


class Reporter:
    """Runs configs into new run folders, sharing identical work and warm kernels.

    ``start(config)`` runs the pipeline in the calling thread and queues the notebooks on
    ``workers`` kernels (``keep_shared_work=False``: the last config, the shared work is let
    go before the notebooks run); ``finish(pending)`` waits for them and closes the run folder.
    A notebook's HTML page is made in a thread of its own (``html``), so its kernel goes on to
    the next notebook at once. ``pool``: kernels already warming (``segment run`` starts them
    before this module's imports); the Reporter takes it over. Use as a context manager
    (kernels are shut down on exit)."""

    def __init__(self, reports_dir: str | Path = REPORTS_DIR, *, progress: Callable[[str], None] = print,
                 workers: int = 2, pipeline_threads: int | None = 1, pool: KernelPool | None = None) -> None:
        from segment import workcache

        if pool is None:
            pool = KernelPool(workers)
            pool.warm_up()
        self.pool = pool
        #: threads of the pipeline's numeric libraries (None = their default; see ``_threads``)
        self.pipeline_threads = pipeline_threads
        self.reports_dir = Path(reports_dir).resolve()
        self.progress = progress
        self.cache = workcache.WorkCache()
        self._t0 = time.perf_counter()
        self.executor = ThreadPoolExecutor(max_workers=pool.size, thread_name_prefix="segment-notebook")
        self.html = ThreadPoolExecutor(max_workers=1, thread_name_prefix="segment-html")
        load_notebook_tools()  # here, while the kernels start: not in a thread racing the pipeline's imports
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
                self.html.shutdown(wait=False, cancel_futures=True)
                self.pool.close()  # a notebook still running ends with its kernel
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.html.shutdown(wait=True, cancel_futures=True)
        self.pool.close()

    def _threads(self):
        """The pipeline's numeric libraries (BLAS, OpenMP) on ``pipeline_threads`` threads.
        One by default: how many threads split a sum changes its last bits (the weighted score
        differed by 1 ulp between a `segment run` and a `report-all` run with other thread
        settings), so with one thread the same config gives the same bytes from either command
        on any machine, and in report-all the notebooks have the other core."""
        return thread_limits(self.pipeline_threads)

    def _say(self, message: str) -> None:
        self.progress(f"[segment] {time.perf_counter() - self._t0:6.1f} s  {message}")

    def start(self, config: RunConfig | str | Path, *, keep_shared_work: bool = True) -> _Pending:
        """Run ``config`` (a checked RunConfig, or a config file read here) up to its queued
        notebooks. The config is read before the run folder is made: a config error leaves none."""
        if not isinstance(config, RunConfig):
            config = RunConfig.from_yaml(Path(config).resolve())
        names = notebooks_for(config)
        started = dt.datetime.now()
        so_far = started_record(config, started, names)
        run = RunFolder(self.reports_dir, config.output_name)
        pending: _Pending | None = None

        def page(nb: Path, name: str) -> float:
            t = time.perf_counter()
            _render(nb, name, run.tmp, config)
            return time.perf_counter() - t

        def job(name: str) -> tuple[Path, float, Future]:
            t = time.perf_counter()  # it reads run.tmp and records run.target, the folder's name once done
            nb = execute_notebook(name, run.tmp, lambda m: self._say(f"{config.output_name}: {m}"), self.pool,
                                  report=config.report, final=run.target)
            return nb, time.perf_counter() - t, self.html.submit(page, nb, name)

        run.__enter__()  # ReportsFolderError when it cannot be made
        try:  # from here to the return, any error (an interrupt, too) closes the folder saying why
            self._say(f"run {config.output_name}: working in {run.tmp}")
            with self._threads():  # the input is recorded as soon as it is read: a later failure names it
                result = run_pipeline(config, progress=lambda m: self._say(f"{config.output_name}: {m}"),
                                      cache=self.cache, on_loaded=lambda loaded: so_far.update(input_record(loaded)))
            (run.tmp / "artifacts").mkdir()
            self._finish_series(config.series)  # the run before this one must be in the ledger first
            result.validation = with_published(result.validation, published_before(config, self.reports_dir,
                                                                                    run.target))
            clock = time.perf_counter()
            result.save(run.tmp / "artifacts" / "result.pkl")
            files = write_tables(result, run.tmp)
            result.timings["write"] = time.perf_counter() - clock
            self._say(f"{config.output_name}: result and tables written in {result.timings['write']:.1f} s; publishing")
            clock = time.perf_counter()
            publication = publish_run(result, run.tmp, reports_dir=self.reports_dir, final=run.target)
            result.timings["publish"] = time.perf_counter() - clock
            files += publication.files
            pending = _Pending(config, run, {**manifest(result, started, None, names), **publication.fields}, names,
                               files, started, recommended=result.validation.recommended,
                               governance=publication.fields)
            del result  # the notebooks read it from result.pkl: the pipeline's tables are let go while they run
            _write_manifest(run.tmp, {"status": "running", **pending.record})  # the notebooks read the ledger fields
            if not keep_shared_work:  # one config: nothing to share any more; let the loaded data go too
                self.cache.clear()
            release_freed_memory()
            self._say(f"{config.output_name}: queued notebooks {', '.join(names)}")
            for name in execution_order(names):
                pending.executions[name] = self.executor.submit(job, name)
            self._open.append(pending)
        except BaseException as exc:
            error = self.abandon(pending, exc) if pending is not None else run.fail(exc, so_far)
            if error is exc:
                raise
            raise error from exc
        return pending

    def _finish_series(self, series: str | None) -> None:
        """Finish the open runs of ``series`` (started earlier), so the ledger holds them; their
        errors are theirs, raised again when ``finish`` is called for them."""
        if series is None:
            return
        for earlier in [p for p in self._open if p.config.series == series]:
            with contextlib.suppress(Exception):
                self.finish(earlier)

    def finish(self, pending: _Pending) -> Path:
        """Wait for ``pending``'s notebooks, close its run folder and rewrite the reports index;
        return the final folder. Called again, it returns the same folder or raises the same error."""
        if pending.final is None and pending.error is None:
            try:
                pending.final = self._finish(pending)
            except BaseException as exc:
                pending.error = exc
                raise
            write_series_index(self.reports_dir)
        if pending.error is not None:
            raise pending.error
        return pending.final

    def _finish(self, pending: _Pending) -> Path:
        run, config = pending.run, pending.config
        try:
            _wait_all(pending)  # nothing may still write into the folder when it is renamed
            for name in pending.names:  # the first failing notebook (in report order) stops the run
                _, t_exec, html = pending.executions[name].result()
                pending.timings[f"notebook_{name}"] = t_exec
                pending.timings[f"html_{name}"] = html.result()
            pages = [(NOTEBOOKS[n][0], f"{n}.html", NOTEBOOKS[n][1]) for n in pending.names]
            write_index(run.tmp, config, pages, pending.files, pending.recommended, pending.governance)
            record = {"status": "ok", **pending.record}
            record["finished"] = dt.datetime.now().isoformat(timespec="seconds")
            record["timings_seconds"].update({k: round(v, 3) for k, v in pending.timings.items()})
            record["shared_work"] = self.cache.summary()
            _write_manifest(run.tmp, record)
            run.succeed(on_moved=lambda reserved, final: self._moved(pending, reserved, final))
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

    def _moved(self, pending: _Pending, reserved: Path, final: Path) -> None:
        """The reserved final name was taken by something other than a run: the notebooks
        record ``final`` instead, and their pages are made again to show it."""
        self._say(f"{pending.config.output_name}: {reserved.name} appeared meanwhile; the run goes to {final.name}")
        for name in pending.names:
            notebook = pending.run.tmp / "notebooks" / f"{name}.ipynb"
            record_run_dir(notebook, reserved, final)
            _render(notebook, name, pending.run.tmp, pending.config)

    def abandon(self, pending: _Pending, exc: BaseException) -> BaseException:
        """Close ``pending``'s folder after ``exc`` (``RunFolder.fail``) once its notebooks have
        stopped; on an interrupt, the running notebooks are interrupted and the queued ones
        dropped. Returns the error to raise."""
        self._closed(pending)
        if pending.run.closed:
            return exc  # closed already (a failure to rename the finished folder)
        try:
            if isinstance(exc, Exception):
                _wait_all(pending)
            else:  # KeyboardInterrupt: stop the notebooks (an interrupt between two cells is lost: repeat it)
                for future in pending.futures:
                    future.cancel()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    self.pool.interrupt()
                    if not wait(pending.futures, timeout=0.5).not_done:
                        break
                wait(pending.pages(), timeout=60)  # the pages of the notebooks that ran
        except BaseException:  # noqa: BLE001 -- a second Ctrl-C: keep what there is, report the first
            pass
        return pending.run.fail(exc, pending.record, on_kept=lambda folder: self._kept(pending, folder))

    def _kept(self, pending: _Pending, folder: Path) -> None:
        """A stopped run was kept as ``folder`` (``...-FAILED``, or the hidden ``.partial`` when
        interrupted): its executed notebooks record ``folder`` as run_dir instead of the reserved
        final name (or the working folder, for the notebook that failed), and the pages made
        from them are made again to show it."""
        for notebook in sorted((folder / "notebooks").glob("*.ipynb")):
            recorded = recorded_run_dir(notebook)
            if recorded is not None and recorded != folder:
                record_run_dir(notebook, recorded, folder)
                if (folder / f"{notebook.stem}.html").exists() and notebook.stem in NOTEBOOKS:
                    _render(notebook, notebook.stem, folder, pending.config)

    def _closed(self, pending: _Pending) -> None:
        with contextlib.suppress(ValueError):
            self._open.remove(pending)


def _wait_all(pending: _Pending) -> None:
    """Wait for ``pending``'s notebooks, then for the HTML pages of those that ran."""
    wait(pending.futures)
    wait(pending.pages())


def _write_manifest(folder: Path, record: dict[str, Any]) -> Path:
    return atomic_write(folder / "manifest.json", lambda p: p.write_text(json.dumps(record, indent=2, default=str) + "\n"))


def _render(notebook: Path, name: str, folder: Path, config: RunConfig) -> Path:
    """``folder/<name>.html`` from the executed ``notebook``: with code for analysts."""
    title, audience = NOTEBOOKS[name]
    return to_html(notebook, folder / f"{name}.html", with_code=audience == "analyst",
                   title=f"{title} — {config.output_name}")


def run_config(config_path: RunConfig | str | Path, reports_dir: str | Path = REPORTS_DIR, *,
               progress: Callable[[str], None] = print, pool: KernelPool | None = None) -> Path:
    """Execute one config (a checked RunConfig or a config file) into a new run folder and
    return its final path (``pool``: kernels already warming, taken over; see ``Reporter``)."""
    config = config_path if isinstance(config_path, RunConfig) else RunConfig.from_yaml(Path(config_path).resolve())
    notebooks_for(config)  # what can be found wrong without work is found before any kernel starts
    check_plain_name(config.output_name)
    with Reporter(reports_dir, progress=progress, pool=pool) as reporter:
        pending = reporter.start(config, keep_shared_work=False)
        return reporter.finish(pending)


def run_configs(config_paths: list[str | Path], reports_dir: str | Path = REPORTS_DIR, *,
                progress: Callable[[str], None] = print,
                on_done: Callable[[Path, Path | None, BaseException | None], None] | None = None,
                pool: KernelPool | None = None) -> list[tuple[Path, Path | None, BaseException | None]]:
    """Run several configs in one process (``segment report-all``): shared work, warm kernels,
    one config's notebooks while the next one computes. Returns (config, run folder or None,
    error or None) per config, in order; a failing config does not stop the others."""
    outcomes: list[tuple[Path, Path | None, BaseException | None]] = []

    def done(cfg: Path, final: Path | None, error: BaseException | None) -> None:
        outcomes.append((cfg, final, error))
        if on_done is not None:
            on_done(cfg, final, error)

    with Reporter(reports_dir, progress=progress, pool=pool) as reporter:
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
