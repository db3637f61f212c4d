"""The engine part of a run config's ``data:`` section: engine names and the checks made
without connecting (the config check imports this module, so it imports no Ibis or Spark)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENGINES = ("duckdb", "spark", "ibis")
REMOTE_KEYS = {
    "spark": {"engine", "path", "table", "database", "columns", "spark", "customers"},
    "ibis": {"engine", "backend", "connect", "path", "table", "database", "columns", "customers"},
}
TRANSACTION_COLUMNS = ("customer_id", "order_ts", "amount", "order_id", "quantity", "cost", "margin",
                       "due_date", "paid_date")
REQUIRED = ("customer_id", "order_ts", "amount")
CUSTOMER_COLUMNS = ("customer_id", "industry", "region", "credit_limit", "first_contract_date")


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
