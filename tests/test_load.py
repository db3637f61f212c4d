"""The load stage (segment.load): every source gives a ``LoadResult`` with the first and last
order day; a saved run keeps the transactions' summary, not the table."""

from __future__ import annotations

import dataclasses
import pickle

import duckdb
import pandas as pd
import pytest

from segment.config import RunConfig
from segment.engines.table import LazyTransactions
from segment.io.audit import LoadResult, frame_summary
from segment.load import load_data, load_dataset, saved_without_transactions
from tests.helpers import tx

BASE = {"output_name": "x", "as_of": "1997-09-30", "horizon_days": 182, "methods": {"abc_revenue": {}}}


def config(data, **extra):
    return RunConfig.from_dict({**BASE, "data": data, **extra}, source="cfg.yaml")


def test_the_bundled_cdnow_sample_is_a_load_result():
    loaded = load_data(config({"dataset": "cdnow_sample"}))
    assert isinstance(loaded, LoadResult) and isinstance(loaded.transactions, pd.DataFrame)
    assert loaded.rows_read == loaded.rows_kept == 6919 and loaded.excluded == {} and loaded.changed == {}
    assert loaded.source == {"dataset": "cdnow_sample", "file": "data/raw/CDNOW_sample.txt",
                             "sha256": "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a",
                             "real_data": True, "zero_amount_rows_kept": 8}
    assert (loaded.first_day, loaded.data_end) == ("1997-01-01", "1998-06-30")
    assert loaded.customers is None


def test_the_synthetic_generator_is_a_load_result():
    params = {"n_accounts": 50, "start": "2021-01-01", "end": "2022-12-31", "random_state": 3}
    loaded = load_data(config({"dataset": "synthetic_b2b", **params}))
    tx_ = loaded.transactions
    assert loaded.source == {"dataset": "synthetic_b2b", "real_data": False, "generator_params": params}
    assert loaded.rows_read == len(tx_) and loaded.excluded == {} and loaded.changed == {}
    assert loaded.first_day == str(tx_["order_ts"].min().date()) and loaded.data_end == str(tx_["order_ts"].max().date())
    assert loaded.customers is not None and len(loaded.customers) == 50


def test_a_bundled_cdnow_dataset_takes_no_options():
    with pytest.raises(ValueError, match=r"cfg.yaml: data.\['n_accounts'\] not used by dataset cdnow_master"):
        load_dataset("cdnow_master", {"n_accounts": 3}, source="cfg.yaml")


def test_a_user_file_and_an_engine_give_the_same_days(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("customer_id,order_ts,amount\nA,2024-01-02 10:30,5\nB,2024-01-03,7\nA,2024-03-05 23:59:59,0\n")
    from_file = load_data(config({"path": str(csv)}, as_of="2024-01-31", horizon_days=30))
    assert (from_file.first_day, from_file.data_end) == ("2024-01-02", "2024-03-05")
    assert from_file.summary()["first_order"] == "2024-01-02 10:30:00"  # a timestamp, as before
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
    con.close()
    on_engine = load_data(config({"engine": "ibis", "backend": "duckdb", "table": "t",
                                  "connect": {"database": str(db), "read_only": True}},
                                 as_of="2024-01-31", horizon_days=30))
    assert isinstance(on_engine.transactions, LazyTransactions)
    assert (on_engine.first_day, on_engine.data_end) == (from_file.first_day, from_file.data_end)
    for key in ("rows_kept", "customers", "first_order", "last_order"):
        assert on_engine.summary()[key] == from_file.summary()[key], key


def test_the_days_of_an_in_memory_table_are_read_from_it():
    orders = tx([("a", "2024-01-10 15:30", 1.0), ("b", "2023-12-31 23:59", 2.0)])
    made = LoadResult(transactions=orders, customers=None, rows_read=2, excluded={}, changed={}, source={})
    assert (made.first_day, made.data_end) == ("2023-12-31", "2024-01-10")
    given = dataclasses.replace(made, first_day="2020-01-01")  # stored fields: kept as given
    assert (given.first_day, given.data_end) == ("2020-01-01", "2024-01-10")
    assert made.transaction_summary() == frame_summary(orders)


def test_a_saved_run_keeps_the_audit_not_the_transaction_table(tmp_path):
    """result.pkl carries the transactions' summaries (what the data audit reads), not the rows."""
    from segment.pipeline import load_result, run_pipeline
    from segment.reporting.views import audit_table

    cfg = config({"dataset": "cdnow_sample"}, profit={"gross_margin": 0.25})
    result = run_pipeline(cfg)
    assert isinstance(result.loaded.transactions, pd.DataFrame)  # the run itself keeps the table
    saved = load_result(result.save(tmp_path / "result.pkl"))
    assert isinstance(saved.loaded.transactions, LazyTransactions)
    assert saved.loaded.transactions.engine == "duckdb (in memory)"
    assert (saved.loaded.first_day, saved.loaded.data_end) == (result.loaded.first_day, result.loaded.data_end)
    assert saved.loaded.summary() == result.loaded.summary()
    pd.testing.assert_frame_equal(audit_table(saved), audit_table(result))
    size_with_rows = len(pickle.dumps(result, protocol=5))
    assert (tmp_path / "result.pkl").stat().st_size < size_with_rows - 6 * len(result.loaded.transactions)


def test_anything_else_is_saved_as_it_is():
    @dataclasses.dataclass
    class Result:
        loaded: object

    @dataclasses.dataclass
    class Loaded:
        transactions: object

    odd = Result(Loaded("a path"))
    assert saved_without_transactions(odd) is odd
