"""The engine option of a run config (segment.engines) without Java: validation, the
generic Ibis engine on a DuckDB database file, column mapping, checks, saved results."""

from __future__ import annotations

import dataclasses
import pickle

import duckdb
import pandas as pd
import pytest

from segment import engines
from segment.config import ConfigError, RunConfig
from segment.features import build_features
from segment.outcomes import build_features_and_outcomes
from tests.helpers import tx

BASE = {"output_name": "x", "as_of": "2024-06-30", "horizon_days": 30, "methods": {"abc_revenue": {}}}


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


def ibis_data(database, **extra):
    return {"engine": "ibis", "backend": "duckdb", "connect": {"database": database, "read_only": True},
            "table": "order_lines", "columns": {"customer_id": "cust_no", "order_ts": "ordered_at", "amount": "net_value"},
            **extra}


@pytest.mark.parametrize("data, message", [
    ({"engine": "hadoop", "path": "x.parquet"}, "not one of"),
    ({"engine": "spark"}, "exactly one of 'path'"),
    ({"engine": "spark", "path": "a.parquet", "table": "t"}, "exactly one of 'path'"),
    ({"engine": "spark", "dataset": "cdnow_master"}, "use engine duckdb"),
    ({"engine": "spark", "path": "a.parquet", "encoding": "gbk"}, "unknown key"),
    ({"engine": "spark", "path": "a.parquet", "columns": {"customer": "id"}}, "not an input column"),
    ({"engine": "spark", "path": "a.parquet", "spark": {"conf": {"spark.sql.session.timeZone": "Asia/Shanghai"}}},
     "must be UTC"),
    ({"engine": "spark", "path": "a.parquet", "spark": {"workers": 4}}, "master, app_name and/or conf"),
    ({"engine": "ibis", "table": "t"}, "needs 'backend'"),
    ({"engine": "ibis", "backend": "duckdb", "table": "t", "customers": {"columns": {}}}, "customers must give"),
])
def test_bad_engine_sections_name_the_key(data, message):
    with pytest.raises(ConfigError, match=message) as info:
        RunConfig.from_dict({**BASE, "data": data}, source="cfg.yaml")
    assert "cfg.yaml: data" in str(info.value)


def test_valid_engine_sections_pass_without_connecting():
    for data in ({"engine": "spark", "table": "sales.lines", "spark": {"master": "spark://head:7077"}},
                 {"engine": "ibis", "backend": "postgres", "connect": {"host": "db"}, "table": "lines"},
                 {"engine": "duckdb", "dataset": "cdnow_master"}):
        assert RunConfig.from_dict({**BASE, "data": data}).data == data


def test_ibis_engine_computes_the_same_features(orders, database):
    loaded = engines.load_engine_data(ibis_data(database), source="cfg")
    lazy = loaded.transactions
    assert len(lazy) == loaded.rows_read == len(orders) and loaded.excluded == {}
    assert lazy["customer_id"].nunique() == 3 and (lazy["amount"] == 0).sum() == 1
    assert lazy["order_ts"].max() == pd.Timestamp("2024-07-02") and loaded.data_end == "2024-07-02"
    assert lazy.columns == ["customer_id", "order_ts", "amount"]  # the unmapped 'note' is not read
    kw = {"as_of": "2024-06-30", "gross_margin": 0.5}
    pd.testing.assert_frame_equal(build_features(lazy, **kw), build_features(orders, **kw))
    f, o = build_features_and_outcomes(lazy, horizon_days=2, **kw)
    f2, o2 = build_features_and_outcomes(orders, horizon_days=2, **kw)
    pd.testing.assert_frame_equal(f, f2)
    pd.testing.assert_frame_equal(o, o2)
    assert o.attrs["customers_first_seen_after_as_of"] == 1


def test_customers_come_back_mapped(database):
    loaded = engines.load_engine_data(ibis_data(database, customers={"table": "accounts",
                                                                     "columns": {"customer_id": "cust_no"}}))
    assert list(loaded.customers.columns) == ["customer_id", "industry"]
    assert loaded.customers["customer_id"].tolist() == ["007", "c2"]  # leading zeros kept


def test_missing_and_mistyped_columns_are_clear_errors(database):
    with pytest.raises(engines.EngineDataError, match=r"'cust' \(for customer_id\) is not in the source"):
        engines.load_engine_data(ibis_data(database, columns={"customer_id": "cust", "order_ts": "ordered_at",
                                                              "amount": "net_value"}))
    with pytest.raises(engines.EngineDataError, match=r"note \(amount\) must be numeric"):
        engines.load_engine_data(ibis_data(database, columns={"customer_id": "cust_no", "order_ts": "ordered_at",
                                                              "amount": "note"}))


def test_missing_required_values_are_counted(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', TIMESTAMP '2024-01-01', 1.0), "
                "(NULL, TIMESTAMP '2024-01-02', 2.0), ('b', NULL, 'nan'::DOUBLE)) v(customer_id, order_ts, amount)")
    con.close()
    data = {"engine": "ibis", "backend": "duckdb", "connect": {"database": str(path)}, "table": "t"}
    with pytest.raises(engines.EngineDataError) as info:
        engines.load_engine_data(data)
    text = str(info.value)
    assert "customer_id has 1 missing" in text and "order_ts has 1 missing" in text and "1 non-finite" in text


def test_a_saved_result_keeps_the_summaries_not_the_engine(database):
    lazy = engines.load_engine_data(ibis_data(database)).transactions
    back = pickle.loads(pickle.dumps(lazy))
    assert len(back) == len(lazy) and back["order_ts"].min() == lazy["order_ts"].min()
    with pytest.raises(TypeError, match="not kept in a saved result"):
        build_features(back, as_of="2024-06-30", gross_margin=0.5)
    with pytest.raises(TypeError, match="stay on engine ibis"):
        back["amount"].sum()
    with pytest.raises(TypeError, match="stay on engine ibis"):
        back[back["order_ts"] < pd.Timestamp("2024-01-01")]  # row selection (e.g. the tuning's extract)


def test_tuning_is_refused_on_a_remote_engine():
    import yaml

    raw = yaml.safe_load(open("configs/cdnow_tuning.yaml", encoding="utf-8"))
    RunConfig.from_dict(raw, source="cfg.yaml")  # a valid tuning config on the default engine
    raw["data"] = {"engine": "spark", "path": "a.parquet"}
    with pytest.raises(ConfigError, match="tuning .* does not run with data.engine spark"):
        RunConfig.from_dict(raw, source="cfg.yaml")


def test_pipeline_runs_on_the_ibis_engine(orders, database):
    from segment.pipeline import run_pipeline

    cfg = RunConfig.from_dict({**BASE, "data": ibis_data(database), "horizon_days": 2,
                               "profit": {"gross_margin": 0.5}, "methods": {"abc_revenue": {}, "rfm": {}}})
    result = run_pipeline(cfg)
    assert result.loaded.source["engine"] == "ibis" and result.origin == "2024-06-30"
    expected = build_features(orders, as_of="2024-06-30", gross_margin=0.5)
    pd.testing.assert_frame_equal(result.features, expected)
    assert dataclasses.asdict(cfg)["data"]["engine"] == "ibis"


def test_a_saved_run_keeps_the_audit_not_the_transaction_table(tmp_path):
    """result.pkl carries the transactions' summaries (what the data audit reads), not the rows."""
    from segment.pipeline import load_result, run_pipeline
    from segment.reporting.views import audit_table

    cfg = RunConfig.from_dict({**BASE, "data": {"dataset": "cdnow_sample"}, "as_of": "1997-09-30", "horizon_days": 182,
                               "profit": {"gross_margin": 0.25}, "methods": {"abc_revenue": {}}})
    result = run_pipeline(cfg)
    assert isinstance(result.loaded.transactions, pd.DataFrame)  # the run itself keeps the table
    saved = load_result(result.save(tmp_path / "result.pkl"))
    assert isinstance(saved.loaded.transactions, engines.LazyTransactions)
    assert saved.loaded.data_end == result.loaded.data_end
    pd.testing.assert_frame_equal(audit_table(saved), audit_table(result))
    size_with_rows = len(pickle.dumps(result, protocol=5))
    assert (tmp_path / "result.pkl").stat().st_size < size_with_rows - 6 * len(result.loaded.transactions)


def test_java_version_is_read(tmp_path):
    """`java -version` prints e.g. 'openjdk version "17.0.15"' (or '"1.8.0_392"' for Java 8) on stderr."""
    for text, major in (('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_392"', 8),
                        ('openjdk version "21" 2023-09-19', 21)):
        fake = tmp_path / f"java{major}"
        fake.write_text(f"#!/bin/sh\necho '{text}' >&2\n")
        fake.chmod(0o755)
        assert engines.java_major_version(str(fake)) == major


def _setting(con, name):
    return con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0]


def test_segment_caps_duckdb_memory_and_spills_to_the_temp_folder(monkeypatch, database):
    import tempfile

    from segment.features import duckdb_connection, duckdb_settings

    settings = duckdb_settings()
    assert settings["temp_directory"].startswith(tempfile.gettempdir())  # not .tmp in the working directory
    limit_mib = int(settings["memory_limit"].removesuffix("MiB"))
    assert 1 <= limit_mib <= 4096
    con = duckdb_connection()
    assert _setting(con, "temp_directory") == settings["temp_directory"]
    assert _setting(con, "memory_limit") != _setting(engines.ibis.duckdb.connect(), "memory_limit")  # not DuckDB's 80 %
    monkeypatch.setenv("SEGMENT_DUCKDB_MEMORY_LIMIT", "1GB")
    assert _setting(duckdb_connection(), "memory_limit") in ("953.6 MiB", "1.0 GB", "1000.0 MB")
    # engine ibis/duckdb: segment's settings unless connect: gives its own
    assert _setting(engines.connect(ibis_data(database)), "memory_limit") == _setting(duckdb_connection(), "memory_limit")
    own = engines.connect(ibis_data(database, connect={"database": str(database), "memory_limit": "2GB"}))
    assert _setting(own, "memory_limit") in ("1.8 GiB", "2.0 GB", "1.9 GiB")
