"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from segment.reporting.kernels import KernelPool


class SessionKernels(KernelPool):
    """Warm kernels that the runs of one test session share, as ``segment report-all`` shares its
    pool between configs (a run's notebooks start as in a fresh kernel either way: the pool resets
    the kernel before each; tests/reporting/test_kernel_pool.py). A run takes a pool over and closes
    it when it ends (``Reporter``): this one stays up, and the session shuts it down. Runs that are
    interrupted (they stop their pool for good) keep a pool of their own."""

    def close(self) -> None:
        if self._stopped:
            raise AssertionError("a run interrupted the session's kernels: give interrupted runs their own pool")

    def shut_down(self) -> None:
        KernelPool.close(self)


@pytest.fixture(scope="session")
def kernels():
    """The session's warm kernels (``SessionKernels``): pass as ``pool=`` to run_config / run_configs."""
    pool = SessionKernels()
    pool.warm_up()
    yield pool
    pool.shut_down()
