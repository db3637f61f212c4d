"""Reading the transactions of a remote ``data:`` section through Ibis: column mapping and
types, the one aggregate query (audit figures and contract checks), the customer table, and
``load_engine_data``, the loader ``segment.load`` calls for engines spark and ibis.

The row-level contract of ``segment.io`` (line numbers, bad text, duplicate rows,
policies) needs the rows in memory and does not run here; these checks do: the mapped
columns exist; required columns have the right kind of type (id: text or integer;
``order_ts``/dates: timestamp or date; money: numeric); no missing value in
``customer_id``, ``order_ts`` or ``amount`` and no non-finite amount; not both ``cost``
and ``margin``; at least one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from segment.engines.spark import spark_backend, spark_session
from segment.engines.spec import (REQUIRED, TRANSACTION_COLUMNS, EngineConfigError, EngineDataError,
                                  check_engine_spec, engine_of)
from segment.engines.table import LazyTransactions
from segment.io.audit import LoadResult

_DATE_COLUMNS = ("order_ts", "due_date", "paid_date")
_NUMBER_COLUMNS = ("amount", "quantity", "cost", "margin")


def connect(data: Mapping[str, Any]) -> Any:
    """The Ibis backend a remote ``data:`` section names (a Spark session is created if needed)."""
    engine = engine_of(data)
    if engine == "spark":
        spark = dict(data.get("spark") or {})
        return spark_backend(spark_session(spark.get("master", "local[2]"), app_name=spark.get("app_name", "segment"),
                                           conf=spark.get("conf")))
    if engine == "ibis":
        backend = getattr(ibis, str(data["backend"]), None)
        if backend is None or not hasattr(backend, "connect"):
            raise EngineConfigError(f"ibis has no backend {data['backend']!r} (install ibis-framework[{data['backend']}])")
        given = dict(data.get("connect") or {})
        con = backend.connect(**given)
        if str(data["backend"]) == "duckdb":  # segment's memory limit and spill folder, unless connect: sets them
            from segment.features import configure_duckdb

            try:
                configure_duckdb(con, skip=given)
            except Exception:  # noqa: BLE001 - a read-only or restricted connection may refuse settings
                pass
        return con
    raise EngineConfigError(f"engine {engine!r} is not a remote engine")


def read_source(backend: Any, spec: Mapping[str, Any], label: str) -> ibis.Table:
    """The raw table a spec names on ``backend`` (``path``: Parquet; ``table``: catalog name)."""
    if "path" in spec:
        path = str(spec["path"])
        try:
            return backend.read_parquet(path)
        except Exception as exc:  # the engine's own error, made readable
            text = str(exc)
            if "TIMESTAMP(NANOS" in text:
                raise EngineDataError(
                    f"{label}: Spark cannot read nanosecond timestamps; write the Parquet with microsecond "
                    "timestamps (pandas: to_parquet(..., coerce_timestamps='us'); DuckDB writes them so)") from None
            raise EngineDataError(f"{label}: cannot read {path} as Parquet: {text.splitlines()[0] if text else exc!r}") from exc
    kwargs = {"database": spec["database"]} if spec.get("database") else {}
    return backend.table(str(spec["table"]), **kwargs)


def internal_transactions(raw: ibis.Table, columns: Mapping[str, str], label: str) -> ibis.Table:
    """The internal transaction table (``segment.schema``) as an Ibis expression over ``raw``.

    ``columns`` maps internal names to source names (unmapped internal names are looked
    up as they are). Types are checked by kind and cast to the internal ones; the casts
    are part of the expression, so they run on the engine.
    """
    have = set(raw.columns)
    picked: dict[str, ibis.Value] = {}
    problems = []
    for internal in TRANSACTION_COLUMNS:
        name = columns.get(internal, internal)
        if name not in have:
            if internal in REQUIRED or internal in columns:
                problems.append(f"column {name!r} (for {internal}) is not in the source; it has {sorted(have)}")
            continue
        col = raw[name]
        kind = col.type()
        if internal in _DATE_COLUMNS:
            if kind.is_date():
                col = col.cast(dt.timestamp)
            elif not kind.is_timestamp():
                problems.append(f"{name} ({internal}) must be a timestamp or date column, got {kind}")
                continue
            if getattr(kind, "timezone", None):  # zone-aware: compare in UTC, stored naive
                col = col.cast(dt.Timestamp(timezone=None))
        elif internal in _NUMBER_COLUMNS:
            if not kind.is_numeric():
                problems.append(f"{name} ({internal}) must be numeric, got {kind}")
                continue
            col = col.cast(dt.float64)
        else:  # ids: text or integer (leading zeros are the source's business)
            if not (kind.is_string() or kind.is_integer()):
                problems.append(f"{name} ({internal}) must be text or integer, got {kind}")
                continue
            col = col.cast(dt.string)
        picked[internal] = col.name(internal)
    if "cost" in picked and "margin" in picked:
        problems.append("the source has both cost and margin; map one of them (profit would be ambiguous)")
    if "paid_date" in picked and "due_date" not in picked:
        problems.append("paid_date without due_date: payment punctuality needs the due date")
    if problems:
        raise EngineDataError(f"{label}: " + "; ".join(problems))
    return raw.select(**picked)


def summarise(t: ibis.Table) -> dict[str, Any]:
    """One aggregate query: what the audit shows and what the contract checks need."""
    metrics = {
        "rows": t.count(),
        "customers": t.customer_id.nunique(),
        "first_order": t.order_ts.min(),
        "last_order": t.order_ts.max(),
        "zero_amount_rows": (t.amount == 0).cast("int64").sum(),
        "missing_customer_id": t.customer_id.isnull().cast("int64").sum(),
        "missing_order_ts": t.order_ts.isnull().cast("int64").sum(),
        "missing_amount": t.amount.isnull().cast("int64").sum(),
        "nonfinite_amount": (t.amount.isinf() | t.amount.isnan()).cast("int64").sum(),
    }
    row = t.aggregate(**metrics).execute().iloc[0]
    out = {}
    for key, value in row.items():
        if key in ("first_order", "last_order"):
            out[key] = None if pd.isna(value) else pd.Timestamp(value).as_unit("ns")
        else:
            out[key] = 0 if pd.isna(value) else int(value)
    return out


def contract_checks(summary: Mapping[str, Any], label: str) -> list[str]:
    """The column-level checks (raises ``EngineDataError`` listing every failure)."""
    problems = []
    if summary["rows"] == 0:
        problems.append("the source has no rows (nothing to grade)")
    for col in REQUIRED:
        if summary[f"missing_{col}"]:
            problems.append(f"{col} has {summary[f'missing_{col}']:,} missing values")
    if summary["nonfinite_amount"]:
        problems.append(f"amount has {summary['nonfinite_amount']:,} non-finite values (inf or NaN)")
    if problems:
        raise EngineDataError(f"{label}: " + "; ".join(problems))
    return [
        "mapped columns present with the right kind of type (ids, timestamps, numbers)",
        "no missing customer_id, order_ts or amount; every amount finite",
        "not both cost and margin",
        "at least one row",
    ]


def read_customers(backend: Any, spec: Mapping[str, Any], label: str) -> pd.DataFrame:
    """The customer table (one row per customer, small) read on the engine and collected."""
    raw = read_source(backend, spec, label)
    mapping = dict(spec.get("columns") or {})
    id_col = mapping.get("customer_id", "customer_id")
    if id_col not in raw.columns:
        raise EngineDataError(f"{label}: column {id_col!r} (for customer_id) is not in the source; it has {raw.columns}")
    renamed = {internal: raw[name] for internal, name in mapping.items()}
    rest = [c for c in raw.columns if c not in mapping.values() and c not in renamed]
    t = raw.select(**renamed, **{c: raw[c] for c in rest})
    t = t.mutate(customer_id=t.customer_id.cast("string"))
    df = t.to_pyarrow().to_pandas(date_as_object=False)
    if df["customer_id"].isna().any():
        raise EngineDataError(f"{label}: customer_id has {int(df['customer_id'].isna().sum()):,} missing values")
    if df["customer_id"].duplicated().any():
        raise EngineDataError(f"{label}: duplicate customer_id {df.loc[df['customer_id'].duplicated(), 'customer_id'].iloc[0]!r}")
    df["customer_id"] = df["customer_id"].astype("str")
    return df


def _day(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None else str(ts.date())


def load_engine_data(data: Mapping[str, Any], *, source: str = "<config>", backend: Any = None) -> LoadResult:
    """Transactions (left on the engine) and customers (collected) for a remote ``data:`` section.

    Returns a ``LoadResult`` whose ``transactions`` is a ``LazyTransactions`` and whose
    ``first_day``/``data_end`` come from the summary query. ``backend``: an Ibis backend to
    use instead of connecting (e.g. a Spark backend the caller already has).
    """
    check_engine_spec(data, source)
    engine = engine_of(data)
    backend = backend if backend is not None else connect(data)
    label = f"{source}: data ({engine}: {data.get('path') or data.get('table')})"
    raw = read_source(backend, data, label)
    tx = internal_transactions(raw, data.get("columns") or {}, label)
    summary = summarise(tx)
    checks = contract_checks(summary, label)
    customers = None
    if data.get("customers") is not None:
        customers = read_customers(backend, data["customers"], f"{source}: data.customers")
    described = {"engine": engine, "real_data": True}  # a user's own source, as segment.io marks a user's file
    for key in ("path", "table", "database", "backend"):
        if key in data:
            described[key] = str(data[key])
    if engine == "spark":
        described["spark_master"] = str((data.get("spark") or {}).get("master", "local[2]"))
    described["file"] = described.get("path") or described.get("table")
    return LoadResult(
        transactions=LazyTransactions(tx, summary, engine),
        customers=customers,
        rows_read=summary["rows"],
        excluded={},
        changed={},
        source=described,
        flagged={"zero-amount rows (kept)": summary["zero_amount_rows"]} if summary["zero_amount_rows"] else {},
        checks_passed=checks,
        first_day=_day(summary["first_order"]),
        data_end=_day(summary["last_order"]),
    )
