"""Read-time benchmark: ``load_transactions`` against DuckDB's own read of the same CSV.

    .venv/bin/python benchmarks/io_bench.py --rows 10000000 [--file /tmp/segment-bench.csv] [--repeat 3]

Writes (once) a CSV of ``rows`` order lines: customer_id (7 digits, leading zeros),
order_id, order_ts (ISO timestamp), amount, quantity and a note column that is not mapped;
then times, alternately, DuckDB reading the four mapped columns into Arrow with its own
type detection, and ``load_transactions`` (decode check, SHA-256, contract, policies,
internal table). Prints the best time of each and their ratio. ``write_file`` also builds
the ``csv_10m`` input (inputs.py); ``duckdb_read`` is the floor case of io_cases.py.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb


def write_file(path: Path, rows: int) -> None:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""
        COPY (SELECT lpad(CAST(hash(i) % 800000 AS VARCHAR), 7, '0') AS customer_id,
                     'O' || CAST(i AS VARCHAR) AS order_id,
                     strftime(TIMESTAMP '2021-01-01' + to_seconds(CAST(hash(i * 7) % 94608000 AS BIGINT)),
                              '%Y-%m-%d %H:%M:%S') AS order_ts,
                     round((hash(i * 13) % 100000) / 100.0, 2) AS amount,
                     CAST(1 + hash(i * 3) % 5 AS INTEGER) AS quantity,
                     'note ' || CAST(i % 97 AS VARCHAR) AS note
              FROM range({int(rows)}) t(i))
        TO '{path}' (HEADER, DELIMITER ',')""")
    con.close()


def duckdb_read(path: Path) -> float:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    start = time.perf_counter()
    con.sql(f"SELECT customer_id, order_id, order_ts, amount FROM read_csv('{path}', "
            "types = {'customer_id': 'VARCHAR', 'order_id': 'VARCHAR'})").to_arrow_table()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def segment_read(path: Path) -> float:
    from segment.io import load_transactions

    start = time.perf_counter()
    result = load_transactions({"path": str(path)})
    elapsed = time.perf_counter() - start
    assert result.rows_read == len(result.transactions) + sum(result.excluded.values())
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = args.file or Path(f"/tmp/segment-bench-{args.rows}.csv")
    if not path.exists():
        write_file(path, args.rows)
    duck, ours = [], []
    for _ in range(args.repeat):
        duck.append(duckdb_read(path))
        ours.append(segment_read(path))
    print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB: DuckDB read {min(duck):.2f} s, "
          f"segment.io.load_transactions {min(ours):.2f} s, ratio {min(ours) / min(duck):.1f}x "
          f"(best of {args.repeat}; all: duckdb {[round(x, 2) for x in duck]}, segment {[round(x, 2) for x in ours]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
