"""Per-customer features as of a required date, written once as Ibis expressions.

``feature_expr`` builds the portable expression (runs on DuckDB, Spark or any Ibis
backend); ``build_features`` executes it on embedded DuckDB by default and returns a
pandas DataFrame indexed by ``customer_id``. Columns are documented in
docs/ARCHITECTURE.md. Only rows with an order date on or before ``as_of`` are read, so
nothing after the cut can leak into a feature.

Rules:
- ``as_of`` is a calendar date, inclusive; order timestamps are cut to their date.
- An order is an ``order_id`` when the data has one, otherwise one customer's purchases
  on one calendar day.
- Recency, tenure, first and last order use all history up to ``as_of``; money,
  frequency, profit and credit use the lookback window (``lookback_months``; None = all
  history). A customer with history but nothing in the window keeps a row with zeros.
- Profit: Σ(amount − cost) when the data has ``cost``; Σ amount·margin when it has
  ``margin``; otherwise Σ amount·gross_margin, which must then be given. In every case
  ``cost_per_order`` × orders is subtracted. The rule used is recorded in
  ``attrs["assumptions"]``.
- Development prospects: ``growth_trend`` = (recent − prior)/(recent + prior), where
  recent / prior are the revenues of the last and the previous ``trend_window_days``
  before ``as_of``; 0 when both are 0; bounded in [−1, 1].
- Credit (only when the data has ``due_date``): invoices due on or before ``as_of``;
  days late = min(paid_date, as_of) − due_date floored at 0 (an invoice still unpaid at
  ``as_of`` counts its days overdue so far; a payment after ``as_of`` is not seen);
  ``overdue_amount`` = amount of invoices due on or before ``as_of`` not paid by then.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from segment.dates import to_date
from segment.schema import check_transaction_frame

#: exact type money and quantities are summed in (1/10,000 of a unit; up to 10^14 units)
MONEY = ibis.expr.datatypes.Decimal(18, 4)


#: environment variable overriding DuckDB's memory limit on segment's own connections ("3GB")
MEMORY_LIMIT_ENV = "SEGMENT_DUCKDB_MEMORY_LIMIT"


def duckdb_settings() -> dict[str, str]:
    """The DuckDB settings segment's own connections get (``duckdb_connection``; engine
    ``ibis``/``duckdb`` for settings its ``connect:`` does not give).

    - ``memory_limit``: DuckDB's own default is 80 % of RAM, which it takes for the hash
      tables of a large aggregation (7.9 GB for the 30 M-row B2B file) while the pandas
      tables of the run need the rest. Here: a quarter of the physical memory, at most
      4 GiB, or ``$SEGMENT_DUCKDB_MEMORY_LIMIT``; above it DuckDB spills to disk (3 GB cost
      about 20 % more time on that aggregation; docs/SCALING.md).
    - ``temp_directory``: where it spills, under the system's temporary folder (DuckDB's
      default for an in-memory database is ``.tmp`` in the working directory).
    """
    import os
    import tempfile

    limit = os.environ.get(MEMORY_LIMIT_ENV)
    if not limit:
        try:
            ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            ram = 16 * 2**30
        limit = f"{max(1, min(ram // 4, 4 * 2**30) // 2**20)}MiB"
    return {"memory_limit": limit, "temp_directory": os.path.join(tempfile.gettempdir(), "segment-duckdb")}


def configure_duckdb(con: Any, skip: Any = ()) -> Any:
    """Apply ``duckdb_settings`` (except the names in ``skip``) and switch the progress bar off
    (runs are logged, not interactive) on an Ibis DuckDB connection; returns it."""
    import duckdb

    try:
        con.raw_sql("SET enable_progress_bar = false")
    except duckdb.InvalidInputException:
        pass  # inside Jupyter DuckDB refuses the setting without ipywidgets; it draws no bar there either
    for name, value in duckdb_settings().items():
        if name not in skip:
            con.raw_sql(f"SET {name} = '{value}'")
    return con


def duckdb_connection() -> Any:
    """A fresh embedded DuckDB through Ibis, with ``duckdb_settings``."""
    return configure_duckdb(ibis.duckdb.connect())


def as_table(transactions: Any) -> ibis.Table:
    """Wrap the accepted inputs as an Ibis table (pandas -> memtable, path -> DuckDB scan,
    an Ibis table or ``segment.engines.table.LazyTransactions`` -> itself, on its own backend)."""
    if isinstance(transactions, ibis.Table):
        return transactions
    if hasattr(transactions, "ibis_table"):  # segment.engines.table.LazyTransactions: left on its engine
        return transactions.ibis_table()
    if isinstance(transactions, pd.DataFrame):
        check_transaction_frame(transactions)
        return ibis.memtable(transactions)
    if isinstance(transactions, (str, Path)):
        path = str(transactions)
        if not path.endswith(".parquet"):
            raise ValueError(f"{path}: only Parquet paths are read directly; use segment.io readers for CSV")
        return duckdb_connection().read_parquet(path)
    raise TypeError(f"transactions must be a DataFrame, an Ibis table or a Parquet path, not {type(transactions).__name__}")


def profit_rule(columns: list[str] | tuple[str, ...], gross_margin: float | None, cost_per_order: float) -> dict[str, Any]:
    """Which profit rule applies to data with these columns (recorded as an assumption)."""
    if "cost" in columns:
        rule = {"profit_source": "cost column: amount - cost"}
    elif "margin" in columns:
        rule = {"profit_source": "margin column: amount * margin"}
    elif gross_margin is None:
        raise ValueError(
            "the transactions have neither a cost nor a margin column, so profit must be "
            "assumed: pass gross_margin (e.g. 0.25) and, if known, cost_per_order"
        )
    else:
        rule = {"profit_source": "assumed gross margin: amount * gross_margin", "gross_margin": float(gross_margin)}
    rule["cost_per_order"] = float(cost_per_order)
    return rule


def _line_profit(t: ibis.Table, gross_margin: float | None) -> ibis.Value:
    if "cost" in t.columns:
        return t.amount - t.cost
    if "margin" in t.columns:
        return t.amount * t.margin
    return t.amount * ibis.literal(float(gross_margin))


def order_table(
    transactions: Any, *, as_of: Any, gross_margin: float | None = None, cost_per_order: float = 0.0, credit: bool = True
) -> ibis.Table:
    """One row per order (customer_id, order_key), the grain every feature and outcome
    is aggregated from (a plain GROUP BY, much cheaper than COUNT DISTINCT).

    ``order_date`` is the date of the order's first line. Credit columns (when the data
    has ``due_date``) are sums over the order's invoice lines *as seen on as_of*:
    ``due_lines`` (due on or before as_of), ``days_late_sum``, ``late_lines`` and
    ``overdue_amount`` (due by as_of and not paid by then); ``as_of`` is read for them only.

    ``transactions`` may be a ``segment.orderbook.OrderBook``: its table, built once, when it was
    built with this ``gross_margin`` (it has no credit columns and no ``order_key``), else its lines'.
    """
    grain = getattr(transactions, "order_grain", None)
    if grain is not None:
        book = grain(gross_margin)
        if book is not None:
            return book
        transactions = transactions.source
    t = as_table(transactions)
    t = t.mutate(order_date=t.order_ts.date())
    t = t.mutate(order_key=t.order_id if "order_id" in t.columns else t.order_date)
    profit_rule(t.columns, gross_margin, cost_per_order)  # fail early with a clear message
    # Money is summed as DECIMAL(18, 4): exact, so results never depend on the order in
    # which parallel threads add them up (floating-point sums do, in the last bits).
    t = t.mutate(amount=t.amount.cast(MONEY), line_profit=_line_profit(t, gross_margin).cast(MONEY))
    metrics: dict[str, ibis.Value] = {
        "order_date": t.order_date.min(),
        "amount": t.amount.sum(),
        "line_profit": t.line_profit.sum(),
    }
    if "quantity" in t.columns:
        metrics["quantity"] = t.quantity.cast(MONEY).sum()
    if credit and "due_date" in t.columns:
        cut = ibis.literal(to_date(as_of))
        due = t.due_date.date()
        paid = t.paid_date.date() if "paid_date" in t.columns else ibis.null("date")
        is_due = due.notnull() & (due <= cut)
        days_late = ibis.greatest(ibis.least(paid.fill_null(cut), cut).delta(due, unit="day"), 0)
        metrics.update(
            due_lines=is_due.cast("int64").sum(),
            days_late_sum=days_late.sum(where=is_due),
            late_lines=(is_due & (days_late > 0)).cast("int64").sum(),
            overdue_amount=t.amount.sum(where=is_due & (paid.isnull() | (paid > cut))),
        )
    return t.group_by(["customer_id", "order_key"]).aggregate(**metrics)


def feature_aggregates(
    o: ibis.Table, *, as_of: Any, lookback_months: int | None, trend_window_days: int
) -> dict[str, ibis.Value]:
    """Per-customer aggregates of the order table; every one reads only orders on or
    before as_of (so they can share a GROUP BY with the outcome aggregates)."""
    cut = to_date(as_of)
    hist = o.order_date <= ibis.literal(cut)
    if lookback_months is None:
        in_window = hist
    else:
        start = (pd.Timestamp(cut) - pd.DateOffset(months=int(lookback_months))).date()
        in_window = hist & (o.order_date > ibis.literal(start))
    w = int(trend_window_days)
    recent_start = ibis.literal(cut - dt.timedelta(days=w))
    prior_start = ibis.literal(cut - dt.timedelta(days=2 * w))
    metrics: dict[str, ibis.Value] = {
        "first_order_date": o.order_date.min(where=hist),
        "last_order_date": o.order_date.max(where=hist),
        "frequency": in_window.cast("int64").sum(),
        "monetary_total": o.amount.sum(where=in_window),
        "line_profit": o.line_profit.sum(where=in_window),
        "recent_revenue": o.amount.sum(where=hist & (o.order_date > recent_start)),
        "prior_revenue": o.amount.sum(where=(o.order_date > prior_start) & (o.order_date <= recent_start)),
    }
    if "quantity" in o.columns:
        metrics["quantity_total"] = o.quantity.sum(where=in_window)
    if "due_lines" in o.columns:
        metrics.update(
            due_lines=o.due_lines.sum(where=in_window),
            days_late_sum=o.days_late_sum.sum(where=in_window),
            late_lines=o.late_lines.sum(where=in_window),
            overdue_amount=o.overdue_amount.sum(where=in_window),
        )
    return metrics


def derive_features(agg: ibis.Table, *, as_of: Any, cost_per_order: float, keep: tuple[str, ...] = ()) -> ibis.Table:
    """Feature columns (docs/ARCHITECTURE.md) from ``feature_aggregates`` output, plus the
    ``keep`` columns of ``agg`` carried through unchanged."""
    cut_lit = ibis.literal(to_date(as_of))
    zero = ibis.literal(0.0)
    money = [c for c in ("monetary_total", "line_profit", "recent_revenue", "prior_revenue", "quantity_total") if c in agg.columns]
    agg = agg.mutate(**{c: agg[c].cast("float64").fill_null(zero) for c in money})
    agg = agg.mutate(frequency=agg.frequency.cast("int64").fill_null(0))
    trend_den = agg.recent_revenue + agg.prior_revenue
    out = agg.mutate(
        recency_days=cut_lit.delta(agg.last_order_date, unit="day").cast("float64"),
        tenure_days=cut_lit.delta(agg.first_order_date, unit="day").cast("float64"),
        avg_order_value=ibis.ifelse(agg.frequency > 0, agg.monetary_total / agg.frequency.cast("float64"), zero),
        profit=agg.line_profit - agg.frequency.cast("float64") * ibis.literal(float(cost_per_order)),
        growth_trend=ibis.ifelse(trend_den != 0, (agg.recent_revenue - agg.prior_revenue) / trend_den, zero),
    )
    columns = [
        "customer_id", "first_order_date", "last_order_date", "recency_days", "tenure_days",
        "frequency", "monetary_total", "avg_order_value",
    ]
    if "quantity_total" in agg.columns:
        columns.append("quantity_total")
    columns += ["profit", "recent_revenue", "prior_revenue", "growth_trend"]
    if "due_lines" in agg.columns:
        due = agg.due_lines.cast("float64")
        out = out.mutate(
            mean_days_late=ibis.ifelse(agg.due_lines > 0, agg.days_late_sum.cast("float64") / due, ibis.null("float64")),
            late_payment_share=ibis.ifelse(agg.due_lines > 0, agg.late_lines.cast("float64") / due, ibis.null("float64")),
            overdue_amount=agg.overdue_amount.cast("float64").fill_null(zero),
        )
        columns += ["mean_days_late", "late_payment_share", "overdue_amount"]
    return out.select(*columns, *keep)


def feature_expr(
    transactions: Any,
    *,
    as_of: Any,
    lookback_months: int | None = None,
    gross_margin: float | None = None,
    cost_per_order: float = 0.0,
    trend_window_days: int = 182,
) -> ibis.Table:
    """The portable feature expression (one row per customer seen on or before as_of)."""
    o = order_table(transactions, as_of=as_of, gross_margin=gross_margin, cost_per_order=cost_per_order)
    o = o.filter(o.order_date <= ibis.literal(to_date(as_of)))
    agg = o.group_by("customer_id").aggregate(
        **feature_aggregates(o, as_of=as_of, lookback_months=lookback_months, trend_window_days=trend_window_days)
    )
    return derive_features(agg, as_of=as_of, cost_per_order=cost_per_order).order_by("customer_id")


def columns_of(transactions: Any) -> list[str]:
    """The column names of accepted transactions (``as_table``'s inputs), without scanning them."""
    if hasattr(transactions, "columns"):  # DataFrame, Ibis table, LazyTransactions, OrderBook
        return list(transactions.columns)
    return list(as_table(transactions).columns)


def execute(expr: ibis.Expr) -> pd.DataFrame | Any:
    """Run an expression on its own backend, or on a fresh embedded DuckDB for memtables.

    Tables come back through Arrow (much faster than Ibis' own pandas conversion on
    millions of rows); dates become datetime64 columns.
    """
    try:
        backend = expr._find_backend()
    except Exception:  # memtable-only expressions have no bound backend
        backend = None
    if backend is None:
        backend = duckdb_connection()
    if not isinstance(expr, ibis.Table):
        return backend.execute(expr)
    return backend.to_pyarrow(expr).to_pandas(date_as_object=False)


def _finish_frame(df: pd.DataFrame, date_columns: tuple[str, ...]) -> pd.DataFrame:
    """Index by customer_id (the expression already ordered the rows) with fixed dtypes."""
    df = df.set_index("customer_id")
    df.index = df.index.astype("str")
    for c in date_columns:
        if c in df.columns:
            df[c] = df[c].astype("datetime64[ns]")
    return df


def build_features(
    transactions: Any,
    *,
    as_of: Any,
    lookback_months: int | None = None,
    customers: pd.DataFrame | None = None,
    gross_margin: float | None = None,
    cost_per_order: float = 0.0,
    trend_window_days: int = 182,
) -> pd.DataFrame:
    """Feature table as of ``as_of`` (required), indexed by ``customer_id`` (sorted).

    ``customers`` (optional): a table with ``customer_id`` and attributes, left-joined.
    ``attrs`` records ``as_of``, ``lookback_months`` and the profit ``assumptions``.
    """
    expr = feature_expr(
        transactions,
        as_of=as_of,
        lookback_months=lookback_months,
        gross_margin=gross_margin,
        cost_per_order=cost_per_order,
        trend_window_days=trend_window_days,
    )
    return finish_features(execute(expr), transactions, as_of=as_of, lookback_months=lookback_months,
                           customers=customers, gross_margin=gross_margin, cost_per_order=cost_per_order,
                           trend_window_days=trend_window_days)


def finish_features(raw: pd.DataFrame, transactions: Any, *, as_of: Any, lookback_months: int | None,
                    customers: pd.DataFrame | None, gross_margin: float | None, cost_per_order: float,
                    trend_window_days: int) -> pd.DataFrame:
    """Index, dtypes, customer attributes and ``attrs`` for an executed feature expression."""
    df = _finish_frame(raw, ("first_order_date", "last_order_date"))
    if customers is not None:
        attrs = customers.set_index(customers["customer_id"].astype("str")).drop(columns="customer_id")
        if attrs.index.has_duplicates:
            dup = attrs.index[attrs.index.duplicated()][0]
            raise ValueError(f"customer table has duplicate customer_id {dup!r}")
        df = df.join(attrs, how="left")
    df.attrs = {
        "as_of": str(to_date(as_of)),
        "lookback_months": lookback_months,
        "trend_window_days": int(trend_window_days),
        "assumptions": profit_rule(columns_of(transactions), gross_margin, cost_per_order),
    }
    return df
