"""Process settings for heavy work: thread limits of the numeric libraries and glibc's
allocator (give freed memory back to the system). Imports nothing heavy at module level."""

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


@contextlib.contextmanager
def every_core(rows: int, *, at_least: int = 20_000) -> Iterator[None]:
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
