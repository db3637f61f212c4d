"""DuckDB and Arrow plumbing the readers share: a connection, SQL quoting, the row-hash
column and the Arrow -> pandas types."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

ROW_HASH = "__segment_row_hash"  # the column a reader's SELECT adds: hash(t) over the whole source row


def connect(database: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(database or ":memory:", read_only=database is not None)
    con.execute("SET enable_progress_bar = false")
    return con


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def split_hash(table: pa.Table) -> tuple[pd.DataFrame, np.ndarray]:
    """An Arrow result with a ``ROW_HASH`` column -> (the other columns as pandas, the hashes)."""
    row_hash = table.column(ROW_HASH).to_numpy().astype("uint64", copy=False)
    frame = table.drop_columns([ROW_HASH]).to_pandas(types_mapper=types_mapper)
    return frame, row_hash


def types_mapper(t: pa.DataType) -> Any:
    # dates and decimals keep their meaning; text stays Arrow (no copy into large strings)
    if pa.types.is_date(t) or pa.types.is_decimal(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.ArrowDtype(t)
    return None
