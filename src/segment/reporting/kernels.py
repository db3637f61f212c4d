"""A small pool of warm Python kernels for the report notebooks.

A pooled kernel imports the report modules once (``_PRELOAD``); before each notebook it is
reset (``_RESET_KERNEL``: fresh namespace, execution count 1, warnings not yet shown), so a
notebook's output is what a new kernel would give, without paying the kernel start and the
imports (~5 s of CPU) for every notebook of ``report-all``. The reset is done as soon as a
notebook is done (and after the imports), in the background, so the next notebook starts at
once; each kernel keeps one client for it (a new client waits 0.2 s for its channels).
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from segment.paths import NOTEBOOK_DIR


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
#: of the notebooks (their first cells: ``notebooks/*.py``) and of unpickling a result
_PRELOAD = """
import os
os.nice(5)
import IPython.display, segment.reporting.plots, segment.reporting.views, segment.reporting.leadership
import segment.reporting.governance_views, segment.reporting.leadership_tables, segment.reporting.tables
import segment.methods.reference, segment.tuning.plots, segment.tuning.views
import segment.methods.registry as _registry
for _name in _registry.METHODS:
    _registry.method_class(_name)
"""


#: a cell that still runs this long after its interrupt is interrupted again (the signal reached the
#: kernel just before the cell began, when a kernel ignores it). Not sooner: a second signal while
#: IPython formats the first one's traceback replaces the notebook's KeyboardInterrupt error by a
#: bare stderr line (IPython's showtraceback), and on a busy machine that formatting takes a while
REPEAT_INTERRUPT_AFTER = 5.0


class _Cell:
    """The cell a pooled kernel is running for a notebook, and when it was interrupted."""

    __slots__ = ("interrupted",)

    def __init__(self) -> None:
        self.interrupted: float | None = None


def _import_kernel_start() -> None:
    """Import what starting a python3 kernel imports here: jupyter_client, and the kernel spec's
    lookup (ipykernel's kernelspec, IPython)."""
    from jupyter_client import KernelManager

    KernelManager(kernel_name="python3").kernel_spec  # noqa: B018 -- looked up for its imports


class KernelPool:
    """``size`` warm python3 kernels (started in ``cwd``), handed out one notebook at a time."""

    def __init__(self, size: int = 2, cwd: Path = NOTEBOOK_DIR) -> None:
        self.size, self.cwd = size, Path(cwd)
        self._idle: queue.Queue = queue.Queue()
        self._all: list[Any] = []
        self._busy: list[Any] = []
        self._cells: dict[int, _Cell | None] = {}  # id(busy kernel) -> the cell it runs, None between cells
        self._stopped = False  # interrupt() was called: no more notebooks start
        self._started = 0
        self._socket_dir: Path | None = None
        self._warming: list[threading.Thread] = []  # kernels starting, kernels being reset
        self._clients: dict[int, Any] = {}  # id(kernel manager) -> its set-up client (channels open)
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Start the kernels in the background now (they import while the first pipeline computes).
        What starting one imports in this process is imported here first, in the calling thread:
        a first import that races another thread's import of the same modules can fail."""
        _import_kernel_start()

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
            self._background(start_one, "segment-kernel-start")

    def _background(self, target, name: str) -> None:
        thread = threading.Thread(target=target, daemon=True, name=name)
        with self._lock:
            self._warming.append(thread)
        thread.start()

    def _start(self):
        from jupyter_client import KernelManager

        # local (ipc) sockets under an absolute private folder: no TCP port, no unencrypted-TCP warning
        # (one folder per kernel: kernels started at once would otherwise pick the same socket names)
        own = Path(tempfile.mkdtemp(dir=self._sockets()))
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(own / "kernel"))
        km.start_kernel(cwd=str(self.cwd), env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
        with self._lock:
            self._all.append(km)
        self._set_up(km)
        return km

    def _set_up(self, km) -> None:
        """The imports, then the reset: ``km`` (just started or restarted) is ready for a notebook."""
        self._close_client(km)  # a restarted kernel: the old client's channels are stale
        self._run(km, _PRELOAD)
        self._run(km, _RESET_KERNEL)

    def _run(self, km, code: str) -> None:
        """Run ``code`` silently in ``km`` through its set-up client (made and readied the first time)."""
        kc = self._clients.get(id(km))
        if kc is None:
            kc = km.blocking_client()
            kc.start_channels()
            self._clients[id(km)] = kc
            kc.wait_for_ready(timeout=300)
        reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=300,
                                       output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel set-up failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    def _close_client(self, km) -> None:
        kc = self._clients.pop(id(km), None)
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()

    def _recycle(self, km) -> None:
        """Reset ``km`` for the next notebook, then hand it out again; a kernel that died or whose
        reset failed is started again (restart, imports, reset). After ``interrupt`` or ``close``
        no notebook follows: it is only handed back."""
        try:
            if self._stopped:
                return
            try:
                if not km.is_alive():
                    raise RuntimeError("the kernel died")
                self._run(km, _RESET_KERNEL)
            except Exception:  # noqa: BLE001 -- a new kernel process instead
                km.restart_kernel(now=True)
                self._set_up(km)
        except Exception:  # noqa: BLE001 -- kernel() sees the dead kernel and tries once more
            pass
        finally:
            self._idle.put(km)

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
                self._set_up(km)
        except BaseException:  # e.g. a late interrupt during the set-up: the kernel is not lost to the pool
            self._idle.put(km)
            raise
        with self._lock:  # under the lock: interrupt() either sees this kernel busy or stops it here
            stopped = self._stopped
            if not stopped:
                self._busy.append(km)
                self._cells[id(km)] = None
        if stopped:
            self._idle.put(km)
            raise KeyboardInterrupt("the run was interrupted before this notebook started")
        try:
            yield km
        finally:
            with self._lock:
                self._busy.remove(km)
                del self._cells[id(km)]
            self._background(lambda: self._recycle(km), "segment-kernel-reset")

    def cell_hooks(self, km) -> dict[str, Any]:
        """nbclient's hooks (papermill passes them on) through which ``interrupt`` knows which cell
        the busy kernel ``km`` runs: one starts (``on_cell_execute``, just before its request is
        sent), one has its reply (``on_cell_executed``)."""
        def started(**_: Any) -> None:
            with self._lock:
                self._cells[id(km)] = _Cell()

        def executed(**_: Any) -> None:
            with self._lock:
                self._cells[id(km)] = None

        return {"on_cell_execute": started, "on_cell_executed": executed}

    def interrupt(self) -> None:
        """Interrupt the notebooks running now (Ctrl-C reaches only this process: jupyter starts
        each kernel in a session of its own): the running cell raises KeyboardInterrupt. Each cell
        is interrupted once, and again only if it still runs ``REPEAT_INTERRUPT_AFTER`` seconds
        later (a kernel ignores the signal between two cells); a kernel between two cells is
        interrupted in its next cell. So call this until the notebooks have stopped. Afterwards
        the pool starts no more notebooks. Only notebooks run with ``cell_hooks`` are interrupted."""
        now = time.monotonic()
        due = []
        with self._lock:
            self._stopped = True
            for km in self._busy:
                cell = self._cells.get(id(km))
                if cell is not None and (cell.interrupted is None or now - cell.interrupted >= REPEAT_INTERRUPT_AFTER):
                    cell.interrupted = now
                    due.append(km)
        for km in due:
            with contextlib.suppress(Exception):
                km.interrupt_kernel()

    def _sockets(self) -> Path:
        with self._lock:
            if self._socket_dir is None:
                self._socket_dir = Path(tempfile.mkdtemp(prefix="segment-kernels-"))
            return self._socket_dir

    def close(self) -> None:
        with self._lock:
            self._stopped = True
        while True:  # a kernel still starting or being reset must be shut down too
            with self._lock:
                threads, self._warming = self._warming, []
            if not threads:
                break
            for thread in threads:
                thread.join()
        with self._lock:
            kernels, self._all = self._all, []
        for km in kernels:
            self._close_client(km)
            with contextlib.suppress(Exception):
                km.shutdown_kernel(now=True)
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None
