"""Spark runs the identical feature and outcome definitions (segment.engines.spark, issue 8).

The expressions of segment.features / segment.outcomes are executed once on embedded
DuckDB (the default) and once on Spark in local mode through Ibis' pyspark backend, on the
real CDNOW log and on synthetic B2B data (order ids, cost, due and paid dates). The
per-customer tables must agree: exactly for ids, counts, flags and dates, to 1e-9
relative for money and ratios. Then a whole run (every method, validation, backtest
origins) on engine spark must grade every customer as the DuckDB run does.

Needs Java (17 or 21) and pyspark; without them the module is skipped with the reason.
One Spark session for the module: local[2], 2 shuffle partitions, no UI.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from segment.engines.java import MIN_JAVA, java_available, java_major_version
from segment.engines.source import load_engine_data
from segment.engines.spark import spark_backend, spark_session
from segment.features import build_features
from segment.outcomes import build_features_and_outcomes, build_outcomes

pytestmark = [pytest.mark.spark,
              # pyspark 4.0's own pandas conversion uses a keyword pandas 3 deprecates (its code, not ours)
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

if java_available() is None:
    pytest.skip("Spark tests need Java 17 or 21 (pyspark 4.0): no java on PATH or in JAVA_HOME",
                allow_module_level=True)
_JAVA = java_major_version()
if _JAVA is not None and _JAVA < MIN_JAVA:
    pytest.skip(f"Spark tests need Java {MIN_JAVA} or later (pyspark 4.0): {java_available()} is "
                f"Java {_JAVA}", allow_module_level=True)
try:
    import pyspark  # noqa: F401
except ImportError:
    pytest.skip("Spark tests need pyspark (make setup installs it from requirements.lock)", allow_module_level=True)

SPARK_CONF = {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2",
              "spark.driver.memory": "1g", "spark.sql.adaptive.enabled": "true"}
CDNOW = {"as_of": "1997-09-30", "horizon_days": 273, "gross_margin": 0.25, "cost_per_order": 2.0}
B2B = {"as_of": "2022-12-31", "horizon_days": 365}
EXACT_KINDS = "biuMmOSU"  # bool, ints, datetimes, objects/strings: compared exactly


@pytest.fixture(scope="module")
def session():
    s = spark_session("local[2]", app_name="segment-tests", conf=SPARK_CONF)
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def spark(session):
    return spark_backend(session)


def _write(frame: pd.DataFrame, path) -> str:
    frame.to_parquet(path, index=False, coerce_timestamps="us")  # Spark reads micro-, not nanoseconds
    return str(path)


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    from segment.data.cdnow import load_cdnow_master

    tx = load_cdnow_master()
    return tx, _write(tx, tmp_path_factory.mktemp("cdnow") / "cdnow.parquet")


@pytest.fixture(scope="module")
def b2b(tmp_path_factory):
    from segment.data.synthetic import generate_b2b

    data = generate_b2b(2_000, start="2021-01-01", end="2023-12-31", random_state=11)
    tx = data.transactions
    assert tx["paid_date"].isna().any() and (tx["paid_date"] > tx["due_date"]).any()  # open and late invoices
    return tx, _write(tx, tmp_path_factory.mktemp("b2b") / "b2b.parquet")


def on_spark(backend, path):
    """The transactions as the pipeline's Spark loader gives them (left in Spark)."""
    return load_engine_data({"engine": "spark", "path": path}, source="test", backend=backend).transactions


def assert_same_table(spark_df: pd.DataFrame, duck_df: pd.DataFrame) -> None:
    assert list(spark_df.index) == list(duck_df.index)
    assert list(spark_df.columns) == list(duck_df.columns)
    assert spark_df.attrs == duck_df.attrs
    for col in duck_df.columns:
        a, b = spark_df[col], duck_df[col]
        assert a.dtype == b.dtype, (col, a.dtype, b.dtype)
        if b.dtype.kind in EXACT_KINDS or isinstance(b.dtype, pd.StringDtype) or str(b.dtype) == "str":
            pd.testing.assert_series_equal(a, b, check_exact=True, obj=col)
        else:
            np.testing.assert_allclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), rtol=1e-9, atol=0,
                                       equal_nan=True, err_msg=col)


def test_remote_transactions_keep_the_audit_summaries(spark, cdnow):
    tx, path = cdnow
    loaded = load_engine_data({"engine": "spark", "path": path}, source="test", backend=spark)
    lazy = loaded.transactions
    assert len(lazy) == len(tx)
    assert lazy.summary["customers"] == tx["customer_id"].nunique()
    assert lazy.summary["first_order"] == tx["order_ts"].min() and lazy.summary["last_order"] == tx["order_ts"].max()
    assert lazy.summary["zero_amount_rows"] == int((tx["amount"] == 0).sum())
    assert (loaded.first_day, loaded.data_end) == (str(tx["order_ts"].min().date()), str(tx["order_ts"].max().date()))
    with pytest.raises(TypeError, match="not subscriptable"):  # a lazy handle, not a DataFrame
        lazy["amount"]


def test_a_catalog_table_with_other_column_names(session, spark, cdnow):
    """engine spark with `table:` and `columns:`: the mapping runs in Spark, the result is the same."""
    tx, path = cdnow
    session.read.parquet(path).selectExpr("customer_id AS cust_no", "order_ts AS ordered_at", "amount AS net_value") \
        .createOrReplaceTempView("cdnow_lines")
    data = {"engine": "spark", "table": "cdnow_lines",
            "columns": {"customer_id": "cust_no", "order_ts": "ordered_at", "amount": "net_value"}}
    lazy = load_engine_data(data, source="test", backend=spark).transactions
    assert lazy.columns == ["customer_id", "order_ts", "amount"] and len(lazy) == len(tx)
    kw = {"as_of": CDNOW["as_of"], "gross_margin": 0.25}
    assert_same_table(build_features(lazy, **kw), build_features(tx[["customer_id", "order_ts", "amount"]], **kw))


@pytest.mark.parametrize("dataset", ["cdnow", "b2b"])
def test_features_and_outcomes_match_duckdb(spark, dataset, request):
    tx, path = request.getfixturevalue(dataset)
    kw = dict(CDNOW if dataset == "cdnow" else B2B)
    as_of, horizon = kw.pop("as_of"), kw.pop("horizon_days")
    lazy = on_spark(spark, path)
    assert_same_table(build_features(lazy, as_of=as_of, lookback_months=12, **kw),
                      build_features(tx, as_of=as_of, lookback_months=12, **kw))
    assert_same_table(build_outcomes(lazy, as_of=as_of, horizon_days=horizon, **kw),
                      build_outcomes(tx, as_of=as_of, horizon_days=horizon, **kw))
    f_spark, o_spark = build_features_and_outcomes(lazy, as_of=as_of, horizon_days=horizon, **kw)
    f_duck, o_duck = build_features_and_outcomes(tx, as_of=as_of, horizon_days=horizon, **kw)
    assert_same_table(f_spark, f_duck)
    assert_same_table(o_spark, o_duck)
    if dataset == "b2b":  # the credit columns were really compared
        assert {"mean_days_late", "late_payment_share", "overdue_amount"} <= set(f_duck.columns)
        assert f_duck["overdue_amount"].gt(0).any()


def test_a_whole_run_on_spark_grades_like_duckdb(spark, cdnow, tmp_path):
    """configs/cdnow_1997q3.yaml on both engines, with the method that reads more than the
    feature table (supervised: its training history) plus two plain ones, and one backtest
    origin besides the grading date (the backtest reads the data's end). The other methods
    read only the feature table, which the tests above compare."""
    from segment.config import RunConfig
    from segment.pipeline import load_result, run_pipeline
    from segment.reporting.views import audit_table

    _, path = cdnow
    base = RunConfig.from_yaml("configs/cdnow_1997q3.yaml")
    methods = {name: base.methods[name] for name in ("abc_profit", "rfm", "supervised")}
    base = dataclasses.replace(base, methods=methods, validation={**base.validation, "n_boot": 20},
                               backtest_origins=("1997-06-30", "1997-09-30"))
    spark_cfg = dataclasses.replace(base, data={"engine": "spark", "path": path,
                                                "spark": {"master": "local[2]", "conf": SPARK_CONF}})
    RunConfig.from_dict(spark_cfg.to_dict(), source="spark config")  # the engine spec validates
    duck = run_pipeline(base)
    on = run_pipeline(spark_cfg)
    assert on.loaded.source["engine"] == "spark" and on.origin == duck.origin
    assert_same_table(on.features, duck.features)
    assert_same_table(on.outcomes, duck.outcomes)
    assert set(on.assignments) == set(duck.assignments) == set(base.methods)
    for name in base.methods:
        pd.testing.assert_frame_equal(on.assignments[name], duck.assignments[name], obj=name)
        pd.testing.assert_frame_equal(on.origin_assignments[name], duck.origin_assignments[name], obj=name)
    for name in ("migration_summary", "early_warning"):
        pd.testing.assert_frame_equal(getattr(on.validation, name), getattr(duck.validation, name), obj=name)
    saved = load_result(on.save(tmp_path / "result.pkl"))  # the saved result keeps what the audit reads
    audit = audit_table(saved).set_index("item")["value"]
    duck_audit = audit_table(duck).set_index("item")["value"]
    for item in ("rows kept", "customers in the data", "first order date", "last order date",
                 "zero-amount rows (kept as zero-revenue orders)"):
        assert audit[item] == duck_audit[item], item
