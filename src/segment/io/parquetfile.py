"""Reading a Parquet file into a ``RawTable``: the schema's own column names and types."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from segment.hashing import file_sha256
from segment.io.columns import mapping_with_extras
from segment.io.config import TableSpec
from segment.io.duck import connect, sql_str, types_mapper
from segment.io.rawtable import Locator, RawTable, file_problem


def read_parquet(spec: TableSpec, wanted: Sequence[str], required: Sequence[str], extras: bool = False) -> RawTable:
    path = str(spec.path)
    label = spec.label
    sha = file_sha256(path)
    try:
        available = list(pq.ParquetFile(path).schema_arrow.names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise file_problem(label, f"not a readable Parquet file: {exc}") from None
    mapping = mapping_with_extras(spec, available, wanted, required, label, extras, "the Parquet schema")
    table = pq.read_table(path, columns=list(dict.fromkeys(mapping.values())))
    frame = pd.DataFrame({internal: table.column(src).to_pandas(types_mapper=types_mapper)
                          for internal, src in mapping.items()})
    con = connect()
    try:
        row_hash = con.sql(f"SELECT hash(t) AS h FROM read_parquet({sql_str(path)}) t").to_arrow_table() \
            .column("h").to_numpy().astype("uint64")
    except duckdb.Error:  # a type DuckDB cannot hash: judge duplicates on the mapped columns
        row_hash = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    finally:
        con.close()
    info = {"file": label, "path": str(Path(path).resolve()), "format": "parquet",
            "size_bytes": Path(path).stat().st_size, "sha256": sha}
    return RawTable(frame, row_hash, mapping, Locator("row", 1), info, label)
