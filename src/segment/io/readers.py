"""Choosing the reader for an input spec: a CSV file, a Parquet file or a DuckDB SQL query.

Every reader returns a ``segment.io.rawtable.RawTable``; the readers themselves live in
``csvfile`` (with the byte pass of ``textscan``), ``parquetfile``, ``sqlquery`` and, for an
in-memory table, ``dataframe``; the column mapping they share is ``columns``.
"""

from __future__ import annotations

from collections.abc import Sequence

from segment.io.config import TableSpec
from segment.io.csvfile import read_csv
from segment.io.parquetfile import read_parquet
from segment.io.rawtable import RawTable
from segment.io.sqlquery import read_sql


def read_table(spec: TableSpec, wanted: Sequence[str], required: Sequence[str], extras: bool = False) -> RawTable:
    kind = spec.kind
    if kind == "csv":
        if spec.path is None:
            raise ValueError(f"{spec.label}: a CSV source needs a path")
        return read_csv(spec, wanted, required, extras)
    if kind == "parquet":
        if spec.path is None:
            raise ValueError(f"{spec.label}: a Parquet source needs a path")
        return read_parquet(spec, wanted, required, extras)
    if kind == "sql":
        if spec.query is None:
            raise ValueError(f"{spec.label}: an SQL source needs a query")
        return read_sql(spec, wanted, required, extras)
    raise ValueError(f"{spec.label}: no file or query to read (use load_transactions_frame for a DataFrame)")
