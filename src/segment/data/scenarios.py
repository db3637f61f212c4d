"""The three textbook scenarios of DOMAIN.md as small hand-checked fixtures.

Each function returns a ``Scenario``: internal-schema ``transactions``, the ``as_of`` date
(after every order) and the expected answer as data. Amounts are in currency units as
the textbook writes them (80 M = 80_000_000.0); all are whole numbers, so every sum is
exact in floating point.

1. ``pareto_18_of_100``: 100 customers; 18 of them together 80 M of a 100 M total, the
   other 82 together 20 M; every one of the 18 is larger than every one of the 82, so an
   80 % Pareto cut must put exactly those 18 in the top class. Their ids are scattered
   (not the first 18 in sort order) to catch order bugs.
2. ``revenue_vs_profit``: X 60 M revenue / 6 M profit; Y 50 M revenue / 7.5 M profit.
   Revenue ranks X first; profit ranks Y first.
3. ``revenue_vs_credit``: P 10 M revenue paying about six months late; Q 8 M paying on
   time; both at a 20 % margin, so only a credit weight can put Q above P.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scenario:
    name: str
    transactions: pd.DataFrame
    as_of: str
    expected: dict = field(default_factory=dict)


def _frame(customer_id, order_ts, amount, **extra) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "customer_id": pd.Series(customer_id, dtype="str"),
            "order_ts": pd.to_datetime(pd.Series(order_ts)).astype("datetime64[ns]"),
            "amount": np.asarray(amount, dtype="float64"),
        }
    )
    for k, v in extra.items():
        df[k] = v
    return df


def pareto_18_of_100() -> Scenario:
    top = [5_500_000 - 150_000 * i for i in range(17)]  # 5.5 M .. 3.1 M
    top.append(80_000_000 - sum(top))  # 6.9 M: the 18 make exactly 80 M
    tail = [300_000 - 1_500 * i for i in range(81)]  # 300 k .. 180 k
    tail.append(20_000_000 - sum(tail))  # 560 k: the 82 make exactly 20 M
    assert min(top) > max(tail)
    ids = [f"S{i:03d}" for i in range(1, 101)]
    order = np.random.default_rng(2024).permutation(100)  # scatter the top ids
    top_ids = sorted(ids[j] for j in order[:18])
    amounts = dict(zip([ids[j] for j in order[:18]], top)) | dict(zip([ids[j] for j in order[18:]], tail))
    tx = _frame(ids, ["2024-03-01"] * 100, [amounts[i] for i in ids], order_id=[f"O{i}" for i in ids])
    return Scenario("pareto_18_of_100", tx, "2024-12-31", {"top_class_ids": top_ids, "total": 100_000_000.0})


def revenue_vs_profit() -> Scenario:
    tx = _frame(
        ["X", "X", "Y", "Y"],
        ["2024-02-01", "2024-08-01", "2024-03-01", "2024-09-01"],
        [30_000_000, 30_000_000, 25_000_000, 25_000_000],
        order_id=["X1", "X2", "Y1", "Y2"],
        cost=[27_000_000.0, 27_000_000.0, 21_250_000.0, 21_250_000.0],
    )
    return Scenario(
        "revenue_vs_profit",
        tx,
        "2024-12-31",
        {"revenue": {"X": 60_000_000.0, "Y": 50_000_000.0}, "profit": {"X": 6_000_000.0, "Y": 7_500_000.0},
         "revenue_order": ["X", "Y"], "profit_order": ["Y", "X"]},
    )


def revenue_vs_credit() -> Scenario:
    order_dates = pd.to_datetime(["2024-01-02", "2024-03-01", "2024-05-01", "2024-07-01"])
    due = order_dates + pd.Timedelta(days=30)
    tx = _frame(
        ["P"] * 4 + ["Q"] * 4,
        list(order_dates) * 2,
        [2_500_000] * 4 + [2_000_000] * 4,
        order_id=[f"P{i}" for i in range(4)] + [f"Q{i}" for i in range(4)],
        cost=[2_000_000.0] * 4 + [1_600_000.0] * 4,  # 20 % margin for both
        due_date=pd.Series(list(due) * 2).astype("datetime64[ns]").to_numpy(),
        paid_date=pd.Series(list(due + pd.Timedelta(days=180)) + list(due)).astype("datetime64[ns]").to_numpy(),
    )
    return Scenario(
        "revenue_vs_credit",
        tx,
        "2025-06-30",  # after P's last (late) payment, so every delay is fully observed
        {"revenue": {"P": 10_000_000.0, "Q": 8_000_000.0}, "days_late": {"P": 180.0, "Q": 0.0},
         "revenue_order": ["P", "Q"], "credit_weighted_order": ["Q", "P"]},
    )


ALL = (pareto_18_of_100, revenue_vs_profit, revenue_vs_credit)
