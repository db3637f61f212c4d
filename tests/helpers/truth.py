"""Ground truth of synthetic B2B data (``segment.data.synthetic``): what the accounts' true
parameters imply about a future window, per account: alive or not, realised and expected
orders, revenue and profit. Used by the tests that check how well features and methods recover it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from segment.data.b2bdata import B2BData
from segment.data.synthetic import integrated_intensity


def _days(ts: pd.Timestamp, base: pd.Timestamp) -> float:
    return (ts - base) / pd.Timedelta(days=1)


def ground_truth(data: B2BData, *, as_of: Any, horizon_days: int) -> pd.DataFrame:
    """The truth about the window (as_of, as_of + horizon_days], one row per account.

    Index ``customer_id``, every account of ``data`` (in ``accounts`` order), including
    those whose first contract date is after ``as_of``: for them
    ``arrived_by_as_of`` and ``true_alive_at_as_of`` are False, but their orders in the
    window still count in ``future_*`` (they are new business). Restrict to a feature
    table's population with ``.loc[features.index]`` (features only hold customers with an
    order on or before as_of).

    - ``arrived_by_as_of``: first contract date on or before ``as_of``;
    - ``true_alive_at_as_of``: arrived by ``as_of`` and true churn date after ``as_of``
      (an account whose churn date is ``as_of`` dropped out that day);
    - ``true_churn_date``: the drawn dropout day (may be after the data's end);
    - ``future_orders``, ``future_revenue``, ``future_profit`` (= amount − cost): realised
      in the window, summed from ``data.transactions`` (so they agree with it exactly);
    - ``expected_future_orders``, ``expected_future_revenue``, ``expected_future_profit``:
      the expectations of those three given the true parameters (rate, trend, dropout,
      value, margin) -- what a perfect model could know at as_of.

    The data stop at ``data.end``: a window reaching past it is cut there, for the realised
    and the expected values alike, with a ``UserWarning``. ``attrs`` records ``as_of``,
    ``horizon_days``, ``window_end`` and ``window_end_observed``. ``as_of`` must be a
    calendar date in ``[start, end)``.
    """
    if as_of is None:
        raise TypeError("as_of is required")
    if int(horizon_days) < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    cut = pd.Timestamp(as_of)
    if cut != cut.normalize():
        raise ValueError(f"as_of must be a calendar date, got {as_of!r}")
    if not data.start <= cut < data.end:
        raise ValueError(f"as_of {cut.date()} is outside the data's period [{data.start.date()}, {data.end.date()})")
    window_end = cut + pd.Timedelta(days=int(horizon_days))
    observed_end = min(window_end, data.end)
    if window_end > data.end:
        warnings.warn(
            f"the window ({cut.date()}, {window_end.date()}] reaches past the data's end {data.end.date()}; "
            "realised and expected future values are cut at the end",
            UserWarning,
            stacklevel=2,
        )
    acc = data.accounts
    tx = data.transactions
    k = len(acc)
    ts = tx["order_ts"].to_numpy()
    lo_row, hi_row = np.searchsorted(ts, np.datetime64(cut, "ns"), side="right"), np.searchsorted(
        ts, np.datetime64(observed_end, "ns"), side="right")
    w = tx.iloc[lo_row:hi_row]  # rows are sorted by order_ts
    codes = acc.index.get_indexer(w["customer_id"])
    orders = np.bincount(codes, minlength=k)
    revenue = np.bincount(codes, weights=w["amount"].to_numpy(), minlength=k)
    profit = np.bincount(codes, weights=(w["amount"] - w["cost"]).to_numpy(), minlength=k)

    arrival = (acc["first_contract_date"].to_numpy() - np.datetime64(data.start, "ns")) / np.timedelta64(1, "D")
    churn_day = (acc["true_churn_date"].to_numpy() - np.datetime64(data.start, "ns")) / np.timedelta64(1, "D")
    arrived = arrival <= _days(cut, data.start)
    alive = arrived & (churn_day > _days(cut, data.start))
    # expected orders: the intensity integrated over the window's days ∩ [arrival, dropout)
    # ∩ the data period; calendar day d is [d, d + 1)
    dropout = arrival + acc["lifetime_days"].to_numpy()
    lo = np.maximum(_days(cut, data.start) + 1.0, arrival)
    hi = np.minimum(_days(observed_end, data.start) + 1.0, dropout)
    hi = np.maximum(hi, lo)
    rate = acc["order_rate_per_30d"].to_numpy() / 30.0
    growth = acc["growth_per_year"].to_numpy() / 365.25
    exp_orders = np.where(hi > lo, integrated_intensity(rate, growth, lo - arrival, hi - arrival), 0.0)
    mean_value = np.exp(acc["order_value_log_mean"].to_numpy() + acc.attrs["line_value_sd"] ** 2 / 2)
    out = pd.DataFrame(
        {
            "arrived_by_as_of": arrived,
            "true_alive_at_as_of": alive,
            "true_churn_date": acc["true_churn_date"].to_numpy(),
            "future_orders": orders.astype("int64"),
            "future_revenue": revenue,
            "future_profit": profit,
            "expected_future_orders": exp_orders,
            "expected_future_revenue": exp_orders * mean_value,
            "expected_future_profit": exp_orders * mean_value * acc["gross_margin"].to_numpy(),
        },
        index=acc.index,
    )
    out.attrs = {"as_of": str(cut.date()), "horizon_days": int(horizon_days), "window_end": str(window_end.date()),
                 "window_end_observed": str(observed_end.date())}
    return out
