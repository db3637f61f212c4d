"""Reading the result of a DuckDB SQL query (in memory or on a database file) into a ``RawTable``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from segment.hashing import file_sha256
from segment.io.columns import mapping_with_extras
from segment.io.config import TableSpec
from segment.io.duck import ROW_HASH, connect, ident, split_hash
from segment.io.rawtable import Locator, RawTable, file_problem


def read_sql(spec: TableSpec, wanted: Sequence[str], required: Sequence[str], extras: bool = False) -> RawTable:
    query = str(spec.query).strip().rstrip(";")
    label = spec.label
    database = spec.database
    if database is not None and not Path(database).is_file():
        raise FileNotFoundError(f"{label}: DuckDB database file not found: {database}")
    con = connect(database)
    try:
        available = list(con.sql(query).columns)
        mapping = mapping_with_extras(spec, available, wanted, required, label, extras, "the query's result")
        select = ", ".join(f"q.{ident(src)} AS {ident(internal)}" for internal, src in mapping.items())
        table = con.sql(f"SELECT {select}, hash(q) AS {ROW_HASH} FROM ({query}) q").to_arrow_table()
    except duckdb.Error as exc:  # the column mapping raises DataContractError, never this
        raise file_problem(label, f"the SQL query failed in DuckDB: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    frame, row_hash = split_hash(table)
    info: dict[str, Any] = {"file": None, "format": "sql", "query": query}
    if database is not None:
        info.update(database=str(Path(database).resolve()), database_sha256=file_sha256(database))
    return RawTable(frame, row_hash, mapping, Locator("row", 1), info, label)
