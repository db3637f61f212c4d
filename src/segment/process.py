"""Process settings for heavy work: thread limits of the numeric libraries and glibc's
allocator (give freed memory back to the system after the pipeline). Imports nothing heavy at module level."""

from __future__ import annotations

import contextlib
from typing import Iterator


@contextlib.contextmanager
def thread_limits(n: int | None) -> Iterator[None]:
    """Inside the block, the numeric libraries (BLAS, OpenMP) use at most ``n`` threads;
    ``None``: no limit (their default). The previous limits come back on leaving."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(n)):
        yield


#: below this many rows, starting threads costs more than they save (fits on one thread, ``every_core`` off)
SINGLE_THREAD_ROWS = 20_000


@contextlib.contextmanager
def every_core(rows: int, *, at_least: int = SINGLE_THREAD_ROWS) -> Iterator[None]:
    """Inside the block, OpenMP uses every core on ``rows`` of at least ``at_least`` rows, whatever
    the caller's ``thread_limits``. Only for work whose every row is computed alone, so that its
    result has the same bits on any number of threads (a fitted model's predictions); never for a
    sum across rows or a fit."""
    import os

    if rows < at_least:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=os.cpu_count() or 1, user_api="openmp"):
        yield


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


def release_freed_memory() -> None:
    """Collect garbage and hand freed heap memory back to the system (glibc's ``malloc_trim``;
    elsewhere only the collection): after a pipeline at millions of customers the process
    would otherwise keep memory it no longer uses while the notebook kernels load the result.

    glibc's own policy is left as it is during the pipeline: blocks above its (adaptive) mmap
    threshold are mapped on their own, the rest reused from the heap. Forcing every block of
    1 MiB and more onto its own mapping (as segment did until 2026-12-03) made each freed column
    come back at once but every new one fault in fresh pages: the 7 M-row run took 345 s instead
    of 260 s (the stability table 46 s instead of 25 s; 3.7 M page faults instead of 0.2 M), for
    the same peak (8.4 vs 8.6 GB)."""
    import gc

    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
