"""The internal transaction and customer tables every loader produces.

Readers (``segment.io``), the bundled CDNOW loader and the synthetic generator all hand
the rest of the package a DataFrame with these column names and dtypes. Optional columns
may be absent; when present they must be fully populated (readers enforce that).

Transactions, one row per order line:

=============  ===========================  ======================================
column         dtype                        meaning
=============  ===========================  ======================================
customer_id    str                          customer key; leading zeros kept
order_ts       datetime64 (naive, UTC)      when the order was placed
amount         float64                      revenue of the line (currency units)
order_id       str, optional                order key; if absent an order is one
                                            customer's purchases on one calendar day
quantity       float64, optional            units (CDs for CDNOW)
cost           float64, optional            cost of goods of the line
margin         float64, optional            gross margin rate of the line (0.3 = 30 %)
due_date       datetime64, optional         invoice due date
paid_date      datetime64, optional         date paid; NaT = not paid (yet)
=============  ===========================  ======================================

Customers (optional), one row per customer: ``customer_id`` plus any of
``industry``, ``region``, ``credit_limit``, ``first_contract_date`` and extra attributes.
"""

from __future__ import annotations

import pandas as pd

REQUIRED_TRANSACTION_COLUMNS: tuple[str, ...] = ("customer_id", "order_ts", "amount")
#: every column of the table, in its order, with its dtype (the optional ones after the required)
TRANSACTION_DTYPES: dict[str, str] = {
    "customer_id": "str",
    "order_ts": "datetime64[ns]",
    "amount": "float64",
    "order_id": "str",
    "quantity": "float64",
    "cost": "float64",
    "margin": "float64",
    "due_date": "datetime64[ns]",
    "paid_date": "datetime64[ns]",
}


def check_transaction_frame(df: pd.DataFrame) -> None:
    """Raise ``ValueError`` if ``df`` is not a well-formed internal transaction table.

    This is the cheap structural check on data that already went through a reader;
    user-facing validation with row-level messages lives in ``segment.io``.
    """
    missing = [c for c in REQUIRED_TRANSACTION_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"transaction table lacks required columns {missing}; has {list(df.columns)}")
    if not pd.api.types.is_datetime64_any_dtype(df["order_ts"]):
        raise ValueError(f"order_ts must be a datetime column, got {df['order_ts'].dtype}")
    if not pd.api.types.is_float_dtype(df["amount"]):
        raise ValueError(f"amount must be float64, got {df['amount'].dtype}")
    for col in REQUIRED_TRANSACTION_COLUMNS:
        n_null = int(df[col].isna().sum())
        if n_null:
            first = int(df.index[df[col].isna()][0])
            raise ValueError(f"{col} has {n_null} missing values (first at row {first})")
    if "cost" in df.columns and "margin" in df.columns:
        raise ValueError("give either cost or margin per line, not both")
