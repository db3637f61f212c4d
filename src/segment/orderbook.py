"""The order book: a run's transactions at the order grain, aggregated once and kept.

Every feature and outcome is aggregated from the order table (``segment.features.order_table``:
one row per customer and order, with the order's date and its DECIMAL sums of amount, line
profit and quantity). Without credit columns that table does not depend on the date. A run
aggregates at up to a dozen dates (its grading date, the validation and backtest origins, the
training origins of the supervised benchmark, the stability study's quarter ends), and the
order-level GROUP BY is more than half of each aggregation (benchmarks/RESULTS.md,
``cdnow7m_aggregation_profile``). So ``order_book`` builds the order table once, as an Arrow
table in memory, and each date's per-customer GROUP BY reads it instead of the lines.

The same expressions run on the same order rows, so every feature and outcome table is
identical to the bit to one built from the lines (tested; the sums are DECIMAL, so the
order in which rows are added does not matter).

Rules:
- A book is made of an in-memory transaction table (pandas) without ``due_date``. Data with
  credit columns is aggregated from its lines at each date: which invoices are due, late or
  overdue depends on the date. Transactions left on an engine (Spark) stay there.
- A book is built for one profit rule (``gross_margin``, which sets each line's profit); asked
  for another, ``order_table`` reads the lines (``OrderBook.source``).
- Everywhere else an ``OrderBook`` stands for its transactions: ``columns`` are theirs and
  ``segment.features.as_table`` gives their table.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from segment.features import as_table, duckdb_connection, order_table


class OrderBook:
    """``transactions`` (an internal transaction table without credit columns) at the order grain,
    with line profits by ``gross_margin`` (``segment.features.order_table``, built once here)."""

    def __init__(self, transactions: pd.DataFrame, *, gross_margin: float | None) -> None:
        self.source = transactions
        self.columns = list(transactions.columns)
        self.gross_margin = gross_margin
        orders = order_table(transactions, as_of=None, gross_margin=gross_margin, credit=False)
        self.orders = duckdb_connection().to_pyarrow(orders.drop("order_key"))

    def __len__(self) -> int:
        """The number of orders."""
        return self.orders.num_rows

    def ibis_table(self) -> ibis.Table:
        """The transactions' own table (``segment.features.as_table``)."""
        return as_table(self.source)

    def order_grain(self, gross_margin: float | None) -> ibis.Table | None:
        """The order table with line profits by ``gross_margin``; None when the book was built with another."""
        if gross_margin != self.gross_margin:
            return None
        return ibis.memtable(self.orders)


def order_book(transactions: Any, *, gross_margin: float | None) -> Any:
    """An ``OrderBook`` of ``transactions`` when the rules above allow one, else ``transactions`` as they are."""
    if isinstance(transactions, pd.DataFrame) and "due_date" not in transactions.columns:
        return OrderBook(transactions, gross_margin=gross_margin)
    return transactions
