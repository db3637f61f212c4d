"""Where the heavy step runs: the engine that turns the transaction log into per-customer tables.

The feature and outcome definitions are written once, as Ibis expressions
(``segment.features``, ``segment.outcomes``). This module only decides *which backend*
executes them and *where the transactions are read from*; it holds no second copy of any
definition. Grading and validation always run in memory, on the per-customer tables that
come back (millions of rows at most).

Engines (the ``engine`` key of a run config's ``data:`` section; docs/SCALING.md):

- ``duckdb`` (default): embedded DuckDB over the in-memory table that ``segment.io`` read
  (CSV, Parquet or a DuckDB query, with the full row-level data contract) or one of the
  bundled datasets. Nothing here is involved.
- ``spark``: a Parquet ``path`` or a catalog ``table`` read through a Spark session, via
  Ibis' pyspark backend. ``spark: {master: ..., app_name: ..., conf: {...}}`` configures
  the session (``local[2]`` by default; a cluster URL such as ``spark://host:7077`` or
  ``yarn`` in real use). The transactions stay in Spark; only per-customer tables are
  collected to the driver.
- ``ibis``: any other backend Ibis supports (Postgres, Snowflake, BigQuery, Trino, ...),
  with a user-supplied connection: ``backend: postgres``, ``connect: {host: ..., ...}``
  (keyword arguments of ``ibis.<backend>.connect``), and a ``table`` (optionally
  ``database``) or a Parquet ``path``. Documented; only ``backend: duckdb`` is tested here.

Example::

    data:
      engine: spark
      table: sales.order_lines                     # or path: /lake/order_lines.parquet
      columns: {customer_id: cust_no, order_ts: ordered_at, amount: net_value}
      spark: {master: "spark://head:7077", conf: {spark.executor.memory: 8g}}
      customers: {table: sales.accounts, columns: {customer_id: cust_no}}

Checks on a remote engine (the row-level contract of ``segment.io`` — line numbers, bad
text, duplicate rows, policies — needs the rows in memory and does not run there):
the mapped columns exist; required columns have the right kind of type (id: text or
integer; ``order_ts``/dates: timestamp or date; money: numeric); no missing value in
``customer_id``, ``order_ts`` or ``amount`` and no non-finite amount; not both ``cost`` and
``margin``; at least one row. These run as one aggregate query, which also records what
the audit shows (rows, customers, first and last order, zero-amount rows).

``LazyTransactions`` stands in for the in-memory transaction table in ``LoadResult``: the
expression builders take its Ibis table; the few summaries other code reads from the
transaction table (``len``, ``["order_ts"].min()/.max()``, ``["customer_id"].nunique()``,
``(["amount"] == 0).sum()``) are answered from that query's results, so they also work
from a pickled run result; any other access is a clear error, not a silent download.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

ENGINES = ("duckdb", "spark", "ibis")
REMOTE_KEYS = {
    "spark": {"engine", "path", "table", "database", "columns", "spark", "customers"},
    "ibis": {"engine", "backend", "connect", "path", "table", "database", "columns", "customers"},
}
TRANSACTION_COLUMNS = ("customer_id", "order_ts", "amount", "order_id", "quantity", "cost", "margin",
                       "due_date", "paid_date")
REQUIRED = ("customer_id", "order_ts", "amount")
CUSTOMER_COLUMNS = ("customer_id", "industry", "region", "credit_limit", "first_contract_date")
_DATE_COLUMNS = ("order_ts", "due_date", "paid_date")
_NUMBER_COLUMNS = ("amount", "quantity", "cost", "margin")

#: session settings used unless the config's spark.conf says otherwise. Timestamps are
#: read and cut to dates in UTC (the internal schema's convention) -- a session in another
#: zone would move orders near midnight to another day, so a different value is refused.
SPARK_DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "8",
    # per-customer tables come back through Arrow (without it Spark pickles every row)
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
SPARK_LOCAL_CONF = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}


class EngineConfigError(ValueError):
    """The engine part of the ``data:`` section is invalid; the message names the key."""


class EngineDataError(ValueError):
    """The transactions on the engine break the (column-level) data contract."""


def engine_of(data: Mapping[str, Any]) -> str:
    """The engine a ``data:`` section asks for (``duckdb`` when it names none)."""
    return str(data.get("engine", "duckdb"))


def check_engine_spec(data: Mapping[str, Any], source: str = "<config>") -> None:
    """Validate a ``data:`` section for a remote engine (spark / ibis) without connecting."""
    engine = engine_of(data)
    where = f"{source}: data"
    if engine not in ENGINES:
        raise EngineConfigError(f"{where}.engine={engine!r} is not one of {ENGINES}")
    if engine == "duckdb":
        return
    unknown = sorted(set(data) - REMOTE_KEYS[engine])
    if unknown:
        raise EngineConfigError(f"{where}: unknown key(s) {unknown} for engine {engine}; allowed: {sorted(REMOTE_KEYS[engine])}"
                                + (" (datasets are bundled files: use engine duckdb)" if "dataset" in unknown else ""))
    if ("path" in data) == ("table" in data):
        raise EngineConfigError(f"{where}: engine {engine} needs exactly one of 'path' (Parquet) or 'table' (catalog name)")
    if "path" in data and "database" in data:
        raise EngineConfigError(f"{where}: 'database' qualifies a 'table', not a 'path'")
    _check_columns(data.get("columns") or {}, TRANSACTION_COLUMNS, f"{where}.columns")
    if engine == "spark":
        spark = data.get("spark") or {}
        if not isinstance(spark, Mapping) or set(spark) - {"master", "app_name", "conf"}:
            raise EngineConfigError(f"{where}.spark must be a mapping with master, app_name and/or conf")
        tz = (spark.get("conf") or {}).get("spark.sql.session.timeZone", "UTC")
        if tz != "UTC":
            raise EngineConfigError(f"{where}.spark.conf: spark.sql.session.timeZone must be UTC "
                                    f"(timestamps are cut to UTC dates), got {tz!r}")
    else:
        if not data.get("backend"):
            raise EngineConfigError(f"{where}: engine ibis needs 'backend' (an Ibis backend name, e.g. postgres)")
        if not isinstance(data.get("connect", {}), Mapping):
            raise EngineConfigError(f"{where}.connect must map keyword arguments of ibis.{data['backend']}.connect")
    customers = data.get("customers")
    if customers is not None:
        if not isinstance(customers, Mapping) or set(customers) - {"path", "table", "database", "columns"} \
                or ("path" in customers) == ("table" in customers):
            raise EngineConfigError(f"{where}.customers must give exactly one of 'path' or 'table' "
                                    "(plus optional database, columns)")
        _check_columns(customers.get("columns") or {}, CUSTOMER_COLUMNS, f"{where}.customers.columns")


def _check_columns(columns: Any, allowed: tuple[str, ...], where: str) -> None:
    if not isinstance(columns, Mapping):
        raise EngineConfigError(f"{where} must map an internal column name to a column of the source")
    bad = sorted(set(columns) - set(allowed))
    if bad:
        raise EngineConfigError(f"{where}.{bad[0]} is not an input column; known: {list(allowed)}")
    for internal, name in columns.items():
        if not isinstance(name, str):
            raise EngineConfigError(f"{where}.{internal} must be a column name (text), got {name!r}")


# ---------------------------------------------------------------- Spark


def java_available() -> str | None:
    """Path of the java executable Spark would use (JAVA_HOME first), or None."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")


def java_major_version(java: str | None = None) -> int | None:
    """Major version of the java Spark would use (17 for "17.0.15"), None if unknown."""
    import re
    import subprocess

    java = java or java_available()
    if java is None:
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if m is None:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


#: pyspark 4.0 runs on Java 17 and 21
MIN_JAVA = 17


def spark_session(master: str = "local[2]", *, app_name: str = "segment", conf: Mapping[str, Any] | None = None) -> Any:
    """A Spark session (``getOrCreate``: an active session with the same master is reused).

    ``local[N]`` runs Spark inside this machine (tests, small data); a cluster URL
    (``spark://host:7077``, ``yarn``, ``k8s://...``) submits to a cluster. Defaults:
    ``SPARK_DEFAULT_CONF`` (UTC session time zone, 8 shuffle partitions -- raise it on a
    cluster, e.g. to 2-3x the executor cores -- and Arrow for collecting results), plus
    no web UI in local mode; ``conf`` overrides them.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineConfigError("engine spark needs pyspark (installed by `make setup` from requirements.lock)") from None
    if java_available() is None:
        raise EngineConfigError("engine spark needs Java 17 or 21 (pyspark 4.0); none found on PATH or in JAVA_HOME")
    version = java_major_version()
    if version is not None and version < MIN_JAVA:
        raise EngineConfigError(f"engine spark needs Java {MIN_JAVA} or later (pyspark 4.0); {java_available()} is Java {version}")
    settings = {**SPARK_DEFAULT_CONF, **(SPARK_LOCAL_CONF if str(master).startswith("local") else {}), **dict(conf or {})}
    builder = SparkSession.builder.master(str(master)).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    check_spark_session(session)
    return session


def check_spark_session(session: Any) -> None:
    """Refuse a session whose time zone is not UTC (dates would shift near midnight)."""
    tz = session.conf.get("spark.sql.session.timeZone")
    if tz not in ("UTC", "Etc/UTC", "GMT", "Z"):
        raise EngineConfigError(f"the Spark session's spark.sql.session.timeZone is {tz!r}; set it to UTC "
                                "(timestamps are cut to UTC dates)")


def spark_backend(session: Any) -> Any:
    """The Ibis pyspark backend on ``session``: expressions built by segment run there."""
    check_spark_session(session)
    return ibis.pyspark.connect(session)


# ---------------------------------------------------------------- reading and mapping


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


_LOADS = itertools.count()


class LazyTransactions:
    """The transaction table left on its engine, with the summaries others read from it.

    ``ibis_table()`` gives the expression the feature/outcome builders aggregate. The
    pandas-style reads listed in the module docstring are answered from ``summary`` (so a
    pickled run result keeps them); anything else raises ``TypeError`` naming the engine.
    Pickling drops the engine table (a live session cannot be pickled).
    """

    def __init__(self, table: ibis.Table | None, summary: Mapping[str, Any], engine: str):
        self._table = table
        self.summary = dict(summary)
        self.engine = engine
        self.columns = list(table.columns) if table is not None else list(self.summary.get("columns", []))
        self.summary["columns"] = self.columns
        self._load_number = next(_LOADS)

    def fingerprint(self) -> str:
        """Identity for ``segment.workcache``: this load of this source (the rows are not hashed:
        they are on the engine). Two loads are never taken for one, even of the same table."""
        import hashlib
        import json

        described = json.dumps({k: str(v) for k, v in self.summary.items()}, sort_keys=True)
        return f"{self.engine}:{self._load_number}:" + hashlib.sha256(described.encode()).hexdigest()

    def ibis_table(self) -> ibis.Table:
        if self._table is None:
            raise TypeError(f"these transactions were on engine {self.engine} and are not kept in a saved result; "
                            "rerun the pipeline to compute new per-customer tables")
        return self._table

    def __len__(self) -> int:
        return int(self.summary["rows"])

    def __getitem__(self, column: str) -> "_SummaryColumn":
        if not isinstance(column, str):
            raise TypeError(f"the transactions stay on engine {self.engine}; selecting rows needs them in memory. "
                            "Filter the Ibis table (LazyTransactions.ibis_table()) instead")
        return _SummaryColumn(self, (column,))

    def __getstate__(self) -> dict[str, Any]:
        return {"summary": self.summary, "engine": self.engine, "columns": self.columns}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._table = None
        self._load_number = next(_LOADS)
        self.summary, self.engine, self.columns = state["summary"], state["engine"], state["columns"]

    def __repr__(self) -> str:
        return f"LazyTransactions(engine={self.engine!r}, rows={len(self):,}, columns={self.columns})"


def frame_summary(df: pd.DataFrame) -> dict[str, Any]:
    """The ``summarise`` figures of an in-memory transaction table (for ``saved_without_transactions``)."""
    return {
        "rows": len(df),
        "customers": int(df["customer_id"].nunique()),
        "first_order": df["order_ts"].min() if len(df) else None,
        "last_order": df["order_ts"].max() if len(df) else None,
        "zero_amount_rows": int((df["amount"] == 0).sum()),
        "missing_customer_id": 0, "missing_order_ts": 0, "missing_amount": 0, "nonfinite_amount": 0,
    }


def saved_without_transactions(result: Any) -> Any:
    """A shallow copy of a ``PipelineResult`` whose loaded transactions are replaced by their
    summaries (``LazyTransactions`` without a table), for pickling.

    The report notebooks read only those summaries from the transaction table (the data
    audit), and at 30 M rows pickling the table itself costs minutes and gigabytes, in
    the run and again in every notebook kernel that loads the result.
    """
    import dataclasses

    tx = result.loaded.transactions
    if isinstance(tx, LazyTransactions):
        kept = LazyTransactions(None, tx.summary, tx.engine)
    elif isinstance(tx, pd.DataFrame):
        kept = LazyTransactions(None, {**frame_summary(tx), "columns": list(tx.columns)}, "duckdb (in memory)")
    else:
        return result
    return dataclasses.replace(result, loaded=dataclasses.replace(result.loaded, transactions=kept))


_ANSWERS = {
    ("order_ts", "min"): "first_order",
    ("order_ts", "max"): "last_order",
    ("customer_id", "nunique"): "customers",
    ("amount", "== 0", "sum"): "zero_amount_rows",
}


class _SummaryColumn:
    def __init__(self, owner: LazyTransactions, path: tuple[str, ...]):
        self._owner, self._path = owner, path

    def _answer(self, op: str) -> Any:
        key = _ANSWERS.get((*self._path, op))
        if key is None:
            raise TypeError(
                f"the transactions stay on engine {self._owner.engine}; {'.'.join((*self._path, op))} would need them "
                f"in memory (kept: {sorted(' '.join(k) for k in _ANSWERS)}). Compute it as an Ibis expression on "
                "LazyTransactions.ibis_table() instead")
        return self._owner.summary[key]

    def min(self) -> Any:
        return self._answer("min")

    def max(self) -> Any:
        return self._answer("max")

    def nunique(self) -> Any:
        return self._answer("nunique")

    def sum(self) -> Any:
        return self._answer("sum")

    def __eq__(self, other: Any) -> "_SummaryColumn":  # type: ignore[override]
        if isinstance(other, (int, float)) and not isinstance(other, bool) and other == 0:
            return _SummaryColumn(self._owner, (*self._path, "== 0"))
        return self._answer(f"== {other!r}")

    def __lt__(self, other: Any) -> Any:
        return self._answer(f"< {other!r}")

    def __le__(self, other: Any) -> Any:
        return self._answer(f"<= {other!r}")

    def __gt__(self, other: Any) -> Any:
        return self._answer(f"> {other!r}")

    def __ge__(self, other: Any) -> Any:
        return self._answer(f">= {other!r}")

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._answer(f"!= {other!r}")

    __hash__ = None  # type: ignore[assignment]


# ---------------------------------------------------------------- the loader the pipeline calls


def load_engine_data(data: Mapping[str, Any], *, source: str = "<config>", backend: Any = None) -> Any:
    """Transactions (left on the engine) and customers (collected) for a remote ``data:`` section.

    Returns a ``segment.io.LoadResult`` whose ``transactions`` is a ``LazyTransactions``.
    ``backend``: an Ibis backend to use instead of connecting (e.g. a Spark backend the
    caller already has).
    """
    from segment.io.audit import LoadResult

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
    )


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

