"""A small order log, and the same orders in a DuckDB database file under warehouse column names."""

from __future__ import annotations

import duckdb
import pytest

from tests.helpers import tx


@pytest.fixture
def orders():
    return tx([
        ("007", "2024-01-10", 100.0), ("007", "2024-01-10 15:30", 50.0), ("007", "2024-06-30 23:00", 0.0),
        ("007", "2024-07-01", 999.0), ("c2", "2023-03-01", 20.0), ("c3", "2024-07-02", 70.0),
    ])


@pytest.fixture
def database(orders, tmp_path):
    """A DuckDB database file with the orders under source column names (as a warehouse has them)."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    src = orders.rename(columns={"customer_id": "cust_no", "order_ts": "ordered_at", "amount": "net_value"})
    con.register("src", src)
    con.execute("CREATE TABLE order_lines AS SELECT cust_no, CAST(ordered_at AS TIMESTAMP) AS ordered_at, "
                "CAST(net_value AS DECIMAL(12, 2)) AS net_value, 'x' AS note FROM src")
    con.execute("CREATE TABLE accounts AS SELECT * FROM (VALUES ('007', 'retail'), ('c2', 'energy')) t(cust_no, industry)")
    con.close()
    return str(path)


@pytest.fixture
def ibis_data(database):
    """ibis_data(**extra) -> an engine-ibis ``data:`` section reading ``order_lines`` of ``database``."""

    def section(**extra):
        return {"engine": "ibis", "backend": "duckdb", "connect": {"database": database, "read_only": True},
                "table": "order_lines",
                "columns": {"customer_id": "cust_no", "order_ts": "ordered_at", "amount": "net_value"}, **extra}

    return section
