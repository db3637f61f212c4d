"""Benchmark cases of issue 3 (your own data): reading a 10-million-row CSV.

``csv10m_duckdb_read`` is the floor: DuckDB's own multi-threaded read of the four mapped
columns into Arrow (its type detection, no checks). ``csv10m_load_transactions`` is the
whole user-facing load, ``segment.io.load_transactions``: SHA-256 and strict decoding of
every byte, DuckDB read with a hash of every source row (exact duplicates), our parsers
for ids, timestamps and amounts, both contract passes, every policy and the internal
table. The file (``io_bench.write_file``: customer id with leading zeros, order
id, ISO timestamp, amount, quantity and an unmapped note column, 536 MB) is the input
``csv_10m`` (``inputs.py``); both cases time only the read.
"""

from __future__ import annotations

import time


def duckdb_read(inputs) -> dict:
    from io_bench import duckdb_read as read

    return {"seconds": read(inputs["csv_10m"])}


def load_transactions(inputs) -> dict:
    from segment.io import load_transactions as load

    t = time.perf_counter()
    result = load({"path": str(inputs["csv_10m"])})
    seconds = time.perf_counter() - t
    assert result.rows_read == len(result.transactions) + sum(result.excluded.values())
    return {"seconds": seconds, "rows_read": result.rows_read, "customers": int(result.transactions["customer_id"].nunique())}
