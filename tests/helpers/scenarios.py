"""The three textbook scenarios of DOMAIN.md as small hand-checked fixtures.

Each function returns a ``Scenario``: internal-schema ``transactions``, optional
``customers``, the ``as_of`` date (a ``'YYYY-MM-DD'`` string on or after every order and,
for scenario 3, every payment) and the expected answer as data in ``expected``. Amounts are
in currency units as the textbook writes them (80 M = ``80_000_000.0``). Every amount and
cost is a whole number far below 2**53, so every sum is exact in floating point and the
fixtures can be compared with ``==``.

1. ``pareto_18_of_100``: 100 customers ``S001``..``S100``; 18 of them (``TOP_18_IDS``,
   scattered through the id order and including ``S100``, so code that takes "the first 18
   rows" or sorts ids instead of amounts fails) together 80 M of a 100 M total, the other
   82 together 20 M. Amounts differ inside each group (no ties anywhere) and every one of
   the 18 is larger than every one of the 82. Each customer's total is split over two
   orders, so grading per order line instead of per customer also fails. Sorted by
   revenue, the cumulative share is below 0.8 after 17 customers, exactly 0.8 (the
   division 80e6 / 100e6 returns the double nearest 0.8, equal to the literal ``0.8``) after
   18, and above 0.8 after 19. Hence the usual cut rules all give exactly the 18: "A while
   the share *before* the customer is below 0.8", "A while the cumulative share is at most
   0.8", "the fewest customers whose share reaches 0.8". Only a strict "cumulative share
   below 0.8" rule gives 17; that rule does not put "the few that make 80 %" in A.
   ``expected``: ``top_class_ids`` (sorted), ``total``, ``top_total``, ``tail_total``.
2. ``revenue_vs_profit``: X 60 M revenue / 6 M profit (10 % margin); Y 50 M revenue /
   7.5 M profit (15 %), profit through ``cost``. Both order on the same four dates, so
   recency and frequency are equal and only revenue and profit differ.
   ``expected``: ``revenue``, ``profit``, ``revenue_order`` (X, Y), ``profit_order`` and
   ``expected_order`` (Y, X: what a grading that uses profit contribution must give).
3. ``revenue_vs_credit``: P 10 M revenue paying 180 days (about six months) after every due
   date; Q 8 M paying on the due date; four quarterly orders each over 2024, payment terms
   30 days, both at a 20 % margin with identical customer attributes, so only a credit
   weight can put Q above P. ``as_of`` (2025-06-30) is after P's last payment, so every
   delay is fully observed: mean days late is exactly 180 for P and 0 for Q.
   ``expected``: ``revenue``, ``profit``, ``days_late``, ``revenue_order`` (P, Q),
   ``credit_weighted_order`` and ``expected_order`` (Q, P).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: scenario 1: the 18 top customers (sorted); deliberately not S001..S018
TOP_18_IDS: tuple[str, ...] = (
    "S003", "S007", "S012", "S019", "S024", "S031", "S038", "S042", "S047",
    "S055", "S061", "S066", "S073", "S078", "S084", "S089", "S093", "S100",
)


@dataclass(frozen=True)
class Scenario:
    """A textbook scenario: transactions, as-of date, expected answer (and optional customers)."""

    name: str
    transactions: pd.DataFrame
    as_of: str
    expected: dict[str, Any] = field(default_factory=dict)
    customers: pd.DataFrame | None = None
    description: str = ""


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows to an internal-schema transaction table sorted by ``order_ts`` then ``customer_id``."""
    df = pd.DataFrame(rows)
    out = pd.DataFrame({"customer_id": df["customer_id"].astype("str"),
                        "order_ts": pd.to_datetime(df["order_ts"]).astype("datetime64[ns]"),
                        "amount": df["amount"].astype("float64"),
                        "order_id": df["order_id"].astype("str")})
    for col in ("cost",):
        if col in df:
            out[col] = df[col].astype("float64")
    for col in ("due_date", "paid_date"):
        if col in df:
            out[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
    return out.sort_values(["order_ts", "customer_id"], kind="stable").reset_index(drop=True)


def pareto_18_of_100() -> Scenario:
    """Scenario 1: 18 of 100 customers make exactly 80 M of 100 M (see the module docstring)."""
    top = [5_500_000 - 150_000 * i for i in range(17)]  # 5.5 M, 5.35 M, ..., 3.1 M
    top.append(80_000_000 - sum(top))  # 6.9 M: the 18 make exactly 80 M
    tail = [300_000 - 1_500 * i for i in range(81)]  # 300 k, 298.5 k, ..., 180 k
    tail.append(20_000_000 - sum(tail))  # 560 k: the 82 make exactly 20 M
    assert min(top) > max(tail) and len(set(top + tail)) == 100
    ids = [f"S{i:03d}" for i in range(1, 101)]
    rest = [i for i in ids if i not in TOP_18_IDS]
    # a fixed permutation (multipliers coprime with 18 and 82) so amount order != id order
    amounts = {TOP_18_IDS[j]: top[(7 * j) % 18] for j in range(18)}
    amounts |= {rest[j]: tail[(29 * j) % 82] for j in range(82)}
    rows = []
    for cid in ids:
        first = amounts[cid] // 2  # two whole-number orders per customer
        rows.append({"customer_id": cid, "order_ts": "2024-03-15", "amount": first, "order_id": f"{cid}-1"})
        rows.append({"customer_id": cid, "order_ts": "2024-09-15", "amount": amounts[cid] - first,
                     "order_id": f"{cid}-2"})
    return Scenario(
        "pareto_18_of_100",
        _frame(rows),
        "2024-12-31",
        {"top_class_ids": list(TOP_18_IDS), "total": 100_000_000.0, "top_total": 80_000_000.0,
         "tail_total": 20_000_000.0, "top_share": 0.8},
        description="18 of 100 customers make 80 M of 100 M; an 80 % Pareto cut must give exactly them.",
    )


def revenue_vs_profit() -> Scenario:
    """Scenario 2: X 60 M revenue / 6 M profit, Y 50 M / 7.5 M; profit ranks Y first."""
    dates = ["2024-02-15", "2024-05-15", "2024-08-15", "2024-11-15"]
    rows = []
    for k, d in enumerate(dates, start=1):
        rows.append({"customer_id": "X", "order_ts": d, "amount": 15_000_000, "cost": 13_500_000, "order_id": f"X{k}"})
        rows.append({"customer_id": "Y", "order_ts": d, "amount": 12_500_000, "cost": 10_625_000, "order_id": f"Y{k}"})
    return Scenario(
        "revenue_vs_profit",
        _frame(rows),
        "2024-12-31",
        {"revenue": {"X": 60_000_000.0, "Y": 50_000_000.0}, "profit": {"X": 6_000_000.0, "Y": 7_500_000.0},
         "revenue_order": ["X", "Y"], "profit_order": ["Y", "X"], "expected_order": ["Y", "X"]},
        description="X sells more (60 M vs 50 M) but Y earns more (7.5 M vs 6 M profit).",
    )


def revenue_vs_credit() -> Scenario:
    """Scenario 3: P 10 M paying 180 days late, Q 8 M on time; a credit weight puts Q first."""
    dates = pd.to_datetime(["2024-01-15", "2024-04-15", "2024-07-15", "2024-10-15"])
    terms, delay = pd.Timedelta(days=30), pd.Timedelta(days=180)
    rows = []
    for k, d in enumerate(dates, start=1):
        rows.append({"customer_id": "P", "order_ts": d, "amount": 2_500_000, "cost": 2_000_000, "order_id": f"P{k}",
                     "due_date": d + terms, "paid_date": d + terms + delay})
        rows.append({"customer_id": "Q", "order_ts": d, "amount": 2_000_000, "cost": 1_600_000, "order_id": f"Q{k}",
                     "due_date": d + terms, "paid_date": d + terms})
    customers = pd.DataFrame(
        {"customer_id": pd.Series(["P", "Q"], dtype="str"), "industry": pd.Series(["manufacturing"] * 2, dtype="str"),
         "region": pd.Series(["East"] * 2, dtype="str"), "credit_limit": [3_000_000.0, 3_000_000.0],
         "first_contract_date": pd.to_datetime(["2023-06-01", "2023-06-01"]).astype("datetime64[ns]")}
    )
    return Scenario(
        "revenue_vs_credit",
        _frame(rows),
        "2025-06-30",  # after P's last (late) payment on 2025-05-13, so every delay is fully observed
        {"revenue": {"P": 10_000_000.0, "Q": 8_000_000.0}, "profit": {"P": 2_000_000.0, "Q": 1_600_000.0},
         "days_late": {"P": 180.0, "Q": 0.0}, "revenue_order": ["P", "Q"], "credit_weighted_order": ["Q", "P"],
         "expected_order": ["Q", "P"]},
        customers=customers,
        description="P sells more (10 M vs 8 M) but pays six months late; Q pays on time.",
    )


ALL = (pareto_18_of_100, revenue_vs_profit, revenue_vs_credit)
