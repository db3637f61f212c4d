"""Small builders shared by tests (imported as ``tests.helpers``); the textbook scenarios
(``scenarios``), the synthetic data's ground truth (``truth``) and the CLV oracles
(``clv_oracles``) are modules of their own."""

from __future__ import annotations

import pandas as pd


def tx(rows, **extra_cols) -> pd.DataFrame:
    """An internal transaction table from (customer_id, order_ts, amount) tuples."""
    df = pd.DataFrame(rows, columns=["customer_id", "order_ts", "amount"])
    df["customer_id"] = df["customer_id"].astype("str")
    df["order_ts"] = pd.to_datetime(df["order_ts"], format="mixed").astype("datetime64[ns]")
    df["amount"] = df["amount"].astype("float64")
    for k, v in extra_cols.items():
        df[k] = v
    return df
