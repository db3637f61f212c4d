"""Where the heavy step runs: the engine that turns the transaction log into per-customer tables.

The feature and outcome definitions are written once, as Ibis expressions
(``segment.features``, ``segment.outcomes``). This package only decides *which backend*
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

Modules: ``spec`` (engine names, the ``data:`` checks made without connecting), ``java``
(which Java Spark would use), ``spark`` (the session), ``source`` (reading through Ibis,
the summary query and contract checks, ``load_engine_data``), ``table``
(``LazyTransactions``, the lazy handle a ``LoadResult`` holds); import names from them.
Only ``spec`` is imported with the package (``EngineConfigError`` and ``check_engine_spec``,
for the config check), so the check loads no Ibis or Spark.
"""

from segment.engines.spec import EngineConfigError, check_engine_spec

__all__ = ["EngineConfigError", "check_engine_spec"]


def __getattr__(name: str):
    if name == "LazyTransactions":  # results pickled before the package split name the class here
        from segment.engines.table import LazyTransactions

        return LazyTransactions
    raise AttributeError(f"module 'segment.engines' has no attribute {name!r}")
