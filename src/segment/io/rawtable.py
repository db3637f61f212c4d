"""What every reader returns: a ``RawTable`` (and its ``Locator``), or a file-level error.

A ``RawTable`` holds only the mapped columns, with the values exactly as the source holds
them (text for CSV; Parquet and SQL keep their types), one 64-bit hash per row over *every*
column of the source (so "exact duplicate" means identical in every column, not just in the
few that are read), a locator from row position to line number, and provenance (file,
format, encoding, size, SHA-256).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from segment.io.contract import DataContractError, Problem


@dataclass
class Locator:
    """Row position (0-based, in source order) -> 1-based line (text files) or row number."""

    unit: str  # "line" or "row"
    offset: int  # number = position + offset, when ``exact``
    exact: bool = True
    recover: Callable[[], np.ndarray] | None = None  # start line of every record, when not exact
    _lines: np.ndarray | None = field(default=None, repr=False)

    def __call__(self, positions: Sequence[int] | np.ndarray) -> np.ndarray:
        pos = np.asarray(positions, dtype="int64")
        if self.exact or self.recover is None:
            return pos + self.offset
        if self._lines is None:
            self._lines = self.recover()
        return self._lines[pos]


@dataclass
class RawTable:
    frame: pd.DataFrame  # internal name -> values as in the source; RangeIndex = row position
    row_hash: np.ndarray  # uint64, over every column of the source row
    mapping: dict[str, str]  # internal name -> source column
    locate: Locator
    info: dict[str, Any]  # provenance for the manifest
    label: str

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def display(self, internal: str) -> str:
        """A column as messages name it: the source name, and the internal one if different."""
        src = self.mapping.get(internal, internal)
        return f"'{src}'" if src == internal else f"'{src}' ({internal})"


def file_problem(label: str, message: str) -> DataContractError:
    """The error for a source that cannot be read at all (no line, column or value to name)."""
    return DataContractError(label, [Problem(label, None, None, None, message)])
