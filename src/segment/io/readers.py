"""Choosing the reader for an input spec: a CSV file, a Parquet file or a DuckDB SQL query.

Every reader returns a ``segment.io.rawtable.RawTable``; the readers themselves live in
``csvfile`` (with the byte pass of ``textscan``), ``parquetfile``, ``sqlquery`` and, for an
in-memory table, ``dataframe``; the column mapping they share is ``columns``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from segment.io.config import TableSpec
from segment.io.csvfile import read_csv
from segment.io.parquetfile import read_parquet
from segment.io.rawtable import RawTable
from segment.io.sqlquery import read_sql

#: ``TableSpec.kind`` -> (its reader, the spec field it reads, how messages name the source)
_READERS = {"csv": (read_csv, "path", "a CSV source"), "parquet": (read_parquet, "path", "a Parquet source"),
            "sql": (read_sql, "query", "an SQL source")}


def read_table(spec: TableSpec, wanted: Sequence[str], required: Sequence[str], extras: bool = False) -> RawTable:
    if spec.kind not in _READERS:
        raise ValueError(f"{spec.label}: no file or query to read (use load_transactions_frame for a DataFrame)")
    reader, needs, what = _READERS[spec.kind]
    if getattr(spec, needs) is None:
        raise ValueError(f"{spec.label}: {what} needs a {needs}")
    if needs == "path" and not Path(spec.path).is_file():
        raise FileNotFoundError(f"{spec.label}: input file not found (resolved to {Path(spec.path).resolve()})")
    return reader(spec, wanted, required, extras)
