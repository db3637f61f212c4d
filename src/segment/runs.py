"""Run folders that never overwrite: a new folder per run, moved into place when done.

``with RunFolder(parent, name) as run:`` writes into ``run.tmp`` (a hidden
``parent/.<name>-<stamp>.partial``); on success it is renamed to ``run.final`` =
``parent/<name>-<stamp>`` (an atomic rename on one file system), so an interrupted run
never leaves a folder that looks complete. If the final name exists (two runs in the
same second), a numeric suffix is added: nothing existing is ever replaced. On failure
the partial folder is kept, renamed ``<name>-<stamp>-FAILED``, for diagnosis.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path


def free_name(parent: Path, base: str) -> Path:
    """``parent/base``, or ``parent/base-2``, ``-3``… — the first that does not exist."""
    candidate = parent / base
    n = 1
    while candidate.exists():
        n += 1
        candidate = parent / f"{base}-{n}"
    return candidate


class RunFolder:
    def __init__(self, parent: str | Path, name: str, *, stamp: str | None = None) -> None:
        self.parent = Path(parent)
        self.base = f"{name}-{stamp or dt.datetime.now().strftime('%Y%m%dT%H%M%S')}"
        self.tmp: Path | None = None
        self.final: Path | None = None
        self.failed: Path | None = None

    def __enter__(self) -> "RunFolder":
        self.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = free_name(self.parent, f".{self.base}.partial")
        self.tmp.mkdir()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.tmp is not None
        if exc_type is not None:
            self.failed = free_name(self.parent, f"{self.base}-FAILED")
            os.rename(self.tmp, self.failed)
            return None
        self.final = free_name(self.parent, self.base)
        os.rename(self.tmp, self.final)
        return None
