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

from segment.schema import check_transaction_frame

TransactionsLike = "pd.DataFrame | ibis.Table | str | Path"


def to_date(value: Any, name: str = "as_of") -> dt.date:
    """A required cut-off date; refuses None rather than defaulting to 'today'."""
    if value is None:
        raise TypeError(f"{name} is required (a date such as '1997-09-30'); there is no default")
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError(f"{name}={value!r} is not a date")
    return ts.date()


def as_table(transactions: Any) -> ibis.Table:
    """Wrap the accepted inputs as an Ibis table (pandas -> memtable, path -> DuckDB scan)."""
    if isinstance(transactions, ibis.Table):
        return transactions
    if isinstance(transactions, pd.DataFrame):
        check_transaction_frame(transactions)
        return ibis.memtable(transactions)
    if isinstance(transactions, (str, Path)):
        path = str(transactions)
        if not path.endswith(".parquet"):
            raise ValueError(f"{path}: only Parquet paths are read directly; use segment.io readers for CSV")
        return ibis.duckdb.connect().read_parquet(path)
    raise TypeError(f"transactions must be a DataFrame, an Ibis table or a Parquet path, not {type(transactions).__name__}")


def _with_order_date(t: ibis.Table) -> ibis.Table:
    t = t.mutate(order_date=t.order_ts.date())
    key = t.order_id if "order_id" in t.columns else t.order_date.cast("string")
    return t.mutate(order_key=key)


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
    cut = to_date(as_of)
    t = _with_order_date(as_table(transactions))
    profit_rule(t.columns, gross_margin, cost_per_order)  # fail early with a clear message
    cut_lit = ibis.literal(cut)
    hist = t.filter(t.order_date <= cut_lit)
    hist = hist.mutate(line_profit=_line_profit(hist, gross_margin))

    if lookback_months is None:
        in_window = ibis.literal(True)
    else:
        start = (pd.Timestamp(cut) - pd.DateOffset(months=int(lookback_months))).date()
        in_window = hist.order_date > ibis.literal(start)
    w = int(trend_window_days)
    recent_start = ibis.literal(cut - dt.timedelta(days=w))
    prior_start = ibis.literal(cut - dt.timedelta(days=2 * w))
    is_recent = hist.order_date > recent_start
    is_prior = (hist.order_date > prior_start) & (hist.order_date <= recent_start)

    metrics: dict[str, ibis.Value] = {
        "first_order_date": hist.order_date.min(),
        "last_order_date": hist.order_date.max(),
        "frequency": hist.order_key.nunique(where=in_window),
        "monetary_total": hist.amount.sum(where=in_window),
        "line_profit": hist.line_profit.sum(where=in_window),
        "recent_revenue": hist.amount.sum(where=is_recent),
        "prior_revenue": hist.amount.sum(where=is_prior),
    }
    if "quantity" in t.columns:
        metrics["quantity_total"] = hist.quantity.sum(where=in_window)
    has_credit = "due_date" in t.columns
    if has_credit:
        due = hist.due_date.date()
        paid = hist.paid_date.date() if "paid_date" in t.columns else ibis.null("date")
        is_due = in_window & due.notnull() & (due <= cut_lit)
        settled = ibis.least(paid.fill_null(cut_lit), cut_lit)
        days_late = ibis.greatest(settled.delta(due, unit="day"), 0)
        hist = hist.mutate(days_late=days_late, is_due=is_due, unpaid=paid.isnull() | (paid > cut_lit))
        metrics.update(
            mean_days_late=hist.days_late.mean(where=hist.is_due),
            late_payment_share=(hist.days_late > 0).cast("float64").mean(where=hist.is_due),
            overdue_amount=hist.amount.sum(where=hist.is_due & hist.unpaid),
        )
    agg = hist.group_by("customer_id").aggregate(**metrics)

    zero = ibis.literal(0.0)
    money = ["monetary_total", "line_profit", "recent_revenue", "prior_revenue"]
    if "quantity_total" in metrics:
        money.append("quantity_total")
    agg = agg.mutate(**{c: agg[c].cast("float64").fill_null(zero) for c in money})
    agg = agg.mutate(frequency=agg.frequency.cast("int64"))
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
    if "quantity_total" in metrics:
        columns.append("quantity_total")
    columns += ["profit", "recent_revenue", "prior_revenue", "growth_trend"]
    if has_credit:
        out = out.mutate(overdue_amount=out.overdue_amount.cast("float64").fill_null(zero))
        columns += ["mean_days_late", "late_payment_share", "overdue_amount"]
    return out.select(columns)


def execute(expr: ibis.Table) -> pd.DataFrame:
    """Run an expression on its own backend, or on a fresh embedded DuckDB for memtables."""
    try:
        backend = expr._find_backend()
    except Exception:  # memtable-only expressions have no bound backend
        backend = None
    if backend is None:
        backend = ibis.duckdb.connect()
    return backend.execute(expr)


def _finish_frame(df: pd.DataFrame, date_columns: tuple[str, ...]) -> pd.DataFrame:
    df = df.sort_values("customer_id", kind="stable").set_index("customer_id")
    df.index = df.index.astype("str")
    for c in date_columns:
        if c in df.columns:
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
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
    df = _finish_frame(execute(expr), ("first_order_date", "last_order_date"))
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
        "assumptions": profit_rule(list(as_table(transactions).columns), gross_margin, cost_per_order),
    }
    return df
