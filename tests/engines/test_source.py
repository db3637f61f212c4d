"""Reading transactions through Ibis (segment.engines.source): the generic Ibis engine on a
DuckDB database file, column mapping and types, the contract checks, the load result."""

from __future__ import annotations

import dataclasses

import duckdb
import ibis
import pandas as pd
import pytest

from segment.config import RunConfig
from segment.engines.source import connect, load_engine_data
from segment.engines.spec import EngineDataError
from segment.engines.table import LazyTransactions
from segment.features import build_features
from segment.io.audit import LoadResult
from segment.outcomes import build_features_and_outcomes

BASE = {"output_name": "x", "as_of": "2024-06-30", "horizon_days": 30, "methods": {"abc_revenue": {}}}


def test_ibis_engine_computes_the_same_features(orders, ibis_data):
    loaded = load_engine_data(ibis_data(), source="cfg")
    lazy = loaded.transactions
    assert isinstance(loaded, LoadResult) and isinstance(lazy, LazyTransactions)
    assert len(lazy) == loaded.rows_read == loaded.rows_kept == len(orders) and loaded.excluded == {}
    assert lazy.summary["customers"] == 3 and lazy.summary["zero_amount_rows"] == 1
    assert loaded.flagged == {"zero-amount rows (kept)": 1}
    assert lazy.summary["last_order"] == pd.Timestamp("2024-07-02")
    assert (loaded.first_day, loaded.data_end) == ("2023-03-01", "2024-07-02")
    assert lazy.columns == ["customer_id", "order_ts", "amount"]  # the unmapped 'note' is not read
    kw = {"as_of": "2024-06-30", "gross_margin": 0.5}
    pd.testing.assert_frame_equal(build_features(lazy, **kw), build_features(orders, **kw))
    f, o = build_features_and_outcomes(lazy, horizon_days=2, **kw)
    f2, o2 = build_features_and_outcomes(orders, horizon_days=2, **kw)
    pd.testing.assert_frame_equal(f, f2)
    pd.testing.assert_frame_equal(o, o2)
    assert o.attrs["customers_first_seen_after_as_of"] == 1


def test_the_load_summary_reads_the_engine_summary(orders, ibis_data):
    """LoadResult.summary() of a lazy table gives what the in-memory table of the same rows gives."""
    lazy = load_engine_data(ibis_data()).summary()
    in_memory = LoadResult(transactions=orders, customers=None, rows_read=len(orders), excluded={}, changed={},
                           source={}).summary()
    for key in ("rows_kept", "customers", "first_order", "last_order"):
        assert lazy[key] == in_memory[key], key
    assert lazy["first_order"] == "2023-03-01 00:00:00" and lazy["source"]["engine"] == "ibis"


def test_customers_come_back_mapped(ibis_data):
    loaded = load_engine_data(ibis_data(customers={"table": "accounts", "columns": {"customer_id": "cust_no"}}))
    assert list(loaded.customers.columns) == ["customer_id", "industry"]
    assert loaded.customers["customer_id"].tolist() == ["007", "c2"]  # leading zeros kept


def test_missing_and_mistyped_columns_are_clear_errors(ibis_data):
    with pytest.raises(EngineDataError, match=r"'cust' \(for customer_id\) is not in the source"):
        load_engine_data(ibis_data(columns={"customer_id": "cust", "order_ts": "ordered_at", "amount": "net_value"}))
    with pytest.raises(EngineDataError, match=r"note \(amount\) must be numeric"):
        load_engine_data(ibis_data(columns={"customer_id": "cust_no", "order_ts": "ordered_at", "amount": "note"}))


def test_missing_required_values_are_counted(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', TIMESTAMP '2024-01-01', 1.0), "
                "(NULL, TIMESTAMP '2024-01-02', 2.0), ('b', NULL, 'nan'::DOUBLE)) v(customer_id, order_ts, amount)")
    con.close()
    data = {"engine": "ibis", "backend": "duckdb", "connect": {"database": str(path)}, "table": "t"}
    with pytest.raises(EngineDataError) as info:
        load_engine_data(data)
    text = str(info.value)
    assert "customer_id has 1 missing" in text and "order_ts has 1 missing" in text and "1 non-finite" in text


def test_pipeline_runs_on_the_ibis_engine(orders, ibis_data):
    from segment.pipeline import run_pipeline

    cfg = RunConfig.from_dict({**BASE, "data": ibis_data(), "horizon_days": 2,
                               "profit": {"gross_margin": 0.5}, "methods": {"abc_revenue": {}, "rfm": {}}})
    result = run_pipeline(cfg)
    assert result.loaded.source["engine"] == "ibis" and result.origin == "2024-06-30"
    expected = build_features(orders, as_of="2024-06-30", gross_margin=0.5)
    pd.testing.assert_frame_equal(result.features, expected)
    assert dataclasses.asdict(cfg)["data"]["engine"] == "ibis"


def _setting(con, name):
    return con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0]


def test_segment_caps_duckdb_memory_and_spills_to_the_temp_folder(monkeypatch, database, ibis_data):
    import tempfile

    from segment.features import duckdb_connection, duckdb_settings

    settings = duckdb_settings()
    assert settings["temp_directory"].startswith(tempfile.gettempdir())  # not .tmp in the working directory
    limit_mib = int(settings["memory_limit"].removesuffix("MiB"))
    assert 1 <= limit_mib <= 4096
    con = duckdb_connection()
    assert _setting(con, "temp_directory") == settings["temp_directory"]
    assert _setting(con, "memory_limit") != _setting(ibis.duckdb.connect(), "memory_limit")  # not DuckDB's 80 %
    monkeypatch.setenv("SEGMENT_DUCKDB_MEMORY_LIMIT", "1GB")
    assert _setting(duckdb_connection(), "memory_limit") in ("953.6 MiB", "1.0 GB", "1000.0 MB")
    # engine ibis/duckdb: segment's settings unless connect: gives its own
    assert _setting(connect(ibis_data()), "memory_limit") == _setting(duckdb_connection(), "memory_limit")
    own = connect(ibis_data(connect={"database": str(database), "memory_limit": "2GB"}))
    assert _setting(own, "memory_limit") in ("1.8 GiB", "2.0 GB", "1.9 GiB")
