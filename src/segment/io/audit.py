"""What a load did, for the run manifest and for ``segment check-data``: ``LoadResult``,
the one result type of every loader (user files, bundled datasets, remote engines)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from segment.engines.table import LazyTransactions


@dataclass
class LoadResult:
    """The internal tables and a full account of how they were made from the input.

    ``rows_read == rows_kept + sum(excluded.values())`` always holds. ``changed`` counts
    kept rows whose values were normalised, by reason; ``flagged`` counts kept rows worth
    knowing about (zero amounts, returns). ``excluded_rows`` lists every excluded row with
    its line (or row) number and reason, so nothing is lost without a trace.

    ``transactions`` is an in-memory table or, on a remote engine, a
    ``segment.engines.LazyTransactions``. ``first_day`` and ``data_end`` are the ISO dates of
    the first and last order (the pipeline checks dates and outcome windows against them);
    the loader of a lazy table sets them from its summary query, and for an in-memory table
    left without them they are read from the frame when the result is made.
    """

    transactions: pd.DataFrame | LazyTransactions
    customers: pd.DataFrame | None
    rows_read: int
    excluded: dict[str, int]
    changed: dict[str, int]
    source: dict[str, Any]
    flagged: dict[str, int] = field(default_factory=dict)
    checks_passed: list[str] = field(default_factory=list)
    excluded_rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["line", "reason"]))
    customers_audit: dict[str, Any] | None = None
    first_day: str | None = None
    data_end: str | None = None

    def __post_init__(self) -> None:
        if self.first_day is None and self.data_end is None and isinstance(self.transactions, pd.DataFrame):
            self.first_day, self.data_end = order_days(self.transactions)

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the input file (None for a query or a DataFrame)."""
        return self.source.get("sha256")

    @property
    def rows_kept(self) -> int:
        return len(self.transactions)

    def transaction_summary(self) -> dict[str, Any]:
        """The figures of the transaction table (rows, customers, first and last order, zero-amount
        rows; ``segment.engines.summarise``): from the frame, or a lazy table's summary query."""
        tx = self.transactions
        return frame_summary(tx) if isinstance(tx, pd.DataFrame) else dict(tx.summary)

    def summary(self) -> dict[str, Any]:
        """Plain data for a manifest."""
        tx = self.transactions
        if isinstance(tx, pd.DataFrame):
            customers, first, last = int(tx["customer_id"].nunique()), tx["order_ts"].min(), tx["order_ts"].max()
        else:  # left on its engine: the figures of its summary query
            customers, first, last = int(tx.summary["customers"]), tx.summary["first_order"], tx.summary["last_order"]
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_excluded": dict(self.excluded),
            "rows_changed": dict(self.changed),
            "rows_flagged": dict(self.flagged),
            "customers": customers,
            "first_order": str(first),
            "last_order": str(last),
            "checks_passed": list(self.checks_passed),
            "customer_table": self.customers_audit,
        }


def order_days(transactions: pd.DataFrame) -> tuple[str | None, str | None]:
    """ISO dates of the first and last order of an in-memory table (None, None when it is empty)."""
    if len(transactions) == 0:
        return None, None
    ts = transactions["order_ts"]
    return str(ts.min().date()), str(ts.max().date())


def frame_summary(df: pd.DataFrame) -> dict[str, Any]:
    """The ``segment.engines.summarise`` figures of an in-memory transaction table (what a saved
    result keeps of it: ``segment.load.saved_without_transactions``)."""
    return {
        "rows": len(df),
        "customers": int(df["customer_id"].nunique()),
        "first_order": df["order_ts"].min() if len(df) else None,
        "last_order": df["order_ts"].max() if len(df) else None,
        "zero_amount_rows": int((df["amount"] == 0).sum()),
        "missing_customer_id": 0, "missing_order_ts": 0, "missing_amount": 0, "nonfinite_amount": 0,
    }


def _n(value: int) -> str:
    return f"{value:,}"


def format_audit(result: LoadResult, as_of: str | dt.date | None = None) -> str:
    """The data audit as text: rows read, excluded and changed by reason, customers, date
    range, money totals, and the checks that passed (of an in-memory table)."""
    tx = result.transactions
    src = result.source
    where = src.get("file") or ("query" if src.get("format") == "sql" else "<DataFrame>")
    lines = [f"Data audit: {where}"]
    details = [f"format {src.get('format')}"]
    if src.get("encoding"):
        details.append(f"encoding {src['encoding']}")
    if src.get("size_bytes") is not None:
        details.append(f"{_n(src['size_bytes'])} bytes")
    lines.append("  " + ", ".join(details))
    if result.sha256:
        lines.append(f"  SHA-256 {result.sha256} (the file is only read, never modified)")
    lines.append("")
    width = 56
    rows = [("rows read", result.rows_read), ("rows kept", result.rows_kept),
            ("rows excluded", sum(result.excluded.values()))]
    for label, value in rows:
        lines.append(f"{label:<{width}} {_n(value):>12}")
    for reason, count in result.excluded.items():
        lines.append(f"  - {reason}: {_n(count)}")
    lines.append("values normalised in kept rows (one row can have several)")
    for reason, count in result.changed.items():
        lines.append(f"  - {reason}: {_n(count)}")
    if result.flagged:
        lines.append("rows kept and counted")
        for reason, count in result.flagged.items():
            lines.append(f"  - {reason}: {_n(count)}")
    lines.append("")
    n_customers = int(tx["customer_id"].nunique())
    lines.append(f"{'customers':<{width}} {_n(n_customers):>12}")
    if "order_id" in tx.columns:
        lines.append(f"{'orders (distinct order ids)':<{width}} {_n(int(tx['order_id'].nunique())):>12}")
    else:
        orders = int(tx[["customer_id"]].assign(d=tx["order_ts"].dt.normalize()).drop_duplicates().shape[0])
        lines.append(f"{'orders (customer-days; no order id)':<{width}} {_n(orders):>12}")
    first, last = tx["order_ts"].min(), tx["order_ts"].max()
    lines.append(f"{'date range (UTC)':<{width}} {first} .. {last}")
    lines.append(f"{'amount total':<{width}} {tx['amount'].sum():,.2f}")
    if as_of is not None:
        cut = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        after = int((tx["order_ts"] >= cut).sum())
        lines.append(f"{f'rows after the as-of date {pd.Timestamp(as_of).date()} (kept: outcomes use them, features ignore them)':<{width}} {_n(after):>12}")
    warnings = data_warnings(tx)
    if warnings:
        lines.append("")
        lines.append("Worth a look:")
        lines += [f"  ! {w}" for w in warnings]
    if result.customers_audit:
        c = result.customers_audit
        lines.append("")
        lines.append(f"Customer table: {c.get('file') or 'query'}: {_n(c['rows_read'])} rows read, {_n(c['rows_kept'])} kept")
        for reason, count in c.get("excluded", {}).items():
            lines.append(f"  - excluded, {reason}: {_n(count)}")
        lines.append(f"  customers with orders but no row in the customer table: {_n(c.get('customers_without_attributes', 0))}")
        lines.append(f"  customers in the table without orders: {_n(c.get('customers_without_orders', 0))}")
    lines.append("")
    lines.append("Checks passed:")
    lines += [f"  ok  {check}" for check in result.checks_passed]
    return "\n".join(lines)


def data_warnings(tx: pd.DataFrame) -> list[str]:
    """Degenerate input that loads fine but makes grading meaningless or fragile."""
    out = []
    n_customers = tx["customer_id"].nunique()
    if n_customers == 1:
        out.append("only one customer: every grading puts them in a class of their own")
    elif n_customers < 10:
        out.append(f"only {n_customers} customers: tier shares and validation statistics are not meaningful")
    if tx["amount"].nunique() == 1:
        out.append(f"every amount is {tx['amount'].iloc[0]:g}: monetary rankings are pure ties")
    if tx["order_ts"].nunique() == 1:
        out.append("every order has the same timestamp: recency and trends are undefined")
    lengths = tx["customer_id"].str.len()
    digits = tx["customer_id"].str.fullmatch(r"\d+").fillna(False).astype(bool)
    if digits.all() and lengths.nunique() > 1 and (tx["customer_id"].str.startswith("0").any()):
        out.append("numeric customer ids of different lengths, some with leading zeros: check that no tool "
                   "dropped zeros upstream ('00123' and '123' are different customers here)")
    return out
