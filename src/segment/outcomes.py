"""What happened after the as-of date, per customer, as a portable Ibis expression.

Population: every customer with a first order on or before ``as_of`` (the same customers
the feature table has). Window: orders dated in (as_of, as_of + horizon_days].

- ``churned``: no order in the window.
- ``orders_outcome``, ``revenue_outcome``: distinct orders and revenue in the window.
- ``profit_outcome``: profit in the window by the same rule as the ``profit`` feature
  (``segment.features.profit_rule``).

Customers first seen after ``as_of`` are not graded (they have no features); they are
counted in ``attrs["customers_first_seen_after_as_of"]``, never silently dropped. The
window must be fully covered by the data: pass ``data_end`` to have that checked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pandas as pd

from segment.features import (
    _finish_frame,
    _line_profit,
    _with_order_date,
    as_table,
    execute,
    profit_rule,
    to_date,
)


def outcome_expr(
    transactions: Any,
    *,
    as_of: Any,
    horizon_days: int,
    gross_margin: float | None = None,
    cost_per_order: float = 0.0,
) -> tuple[ibis.Table, ibis.Value]:
    """(per-customer outcome table, scalar count of customers first seen after as_of)."""
    cut = to_date(as_of)
    if horizon_days is None or int(horizon_days) <= 0:
        raise ValueError(f"horizon_days must be a positive number of days, got {horizon_days!r}")
    end = cut + dt.timedelta(days=int(horizon_days))
    t = _with_order_date(as_table(transactions))
    profit_rule(t.columns, gross_margin, cost_per_order)
    cut_lit, end_lit = ibis.literal(cut), ibis.literal(end)

    firsts = t.group_by("customer_id").aggregate(first_order_date=t.order_date.min())
    population = firsts.filter(firsts.first_order_date <= cut_lit).select("customer_id")
    n_new_after = firsts.filter(firsts.first_order_date > cut_lit).count()

    win = t.filter((t.order_date > cut_lit) & (t.order_date <= end_lit))
    win = win.mutate(line_profit=_line_profit(win, gross_margin))
    per = win.group_by("customer_id").aggregate(
        orders_outcome=win.order_key.nunique(),
        revenue_outcome=win.amount.sum(),
        line_profit=win.line_profit.sum(),
    )
    joined = population.left_join(per, "customer_id").select(
        population.customer_id,
        orders_outcome=per.orders_outcome.cast("int64").fill_null(0),
        revenue_outcome=per.revenue_outcome.cast("float64").fill_null(0.0),
        line_profit=per.line_profit.cast("float64").fill_null(0.0),
    )
    out = joined.mutate(
        churned=joined.orders_outcome == 0,
        profit_outcome=joined.line_profit - joined.orders_outcome.cast("float64") * ibis.literal(float(cost_per_order)),
    ).select("customer_id", "churned", "orders_outcome", "revenue_outcome", "profit_outcome")
    return out, n_new_after


def build_outcomes(
    transactions: Any,
    *,
    as_of: Any,
    horizon_days: int,
    gross_margin: float | None = None,
    cost_per_order: float = 0.0,
    data_end: Any = None,
) -> pd.DataFrame:
    """Outcome table indexed by ``customer_id`` (sorted); see the module docstring."""
    cut = to_date(as_of)
    if data_end is not None:
        end = cut + dt.timedelta(days=int(horizon_days))
        if to_date(data_end, "data_end") < end:
            raise ValueError(
                f"the outcome window ({cut}, {end}] runs past the end of the data ({to_date(data_end, 'data_end')}); "
                "choose an earlier as_of or a shorter horizon"
            )
    expr, n_new = outcome_expr(
        transactions, as_of=as_of, horizon_days=horizon_days, gross_margin=gross_margin, cost_per_order=cost_per_order
    )
    df = _finish_frame(execute(expr), ())
    df["churned"] = df["churned"].astype(bool)
    df.attrs = {
        "as_of": str(cut),
        "horizon_days": int(horizon_days),
        "outcome_window": [str(cut + dt.timedelta(days=1)), str(cut + dt.timedelta(days=int(horizon_days)))],
        "customers_first_seen_after_as_of": int(execute(n_new)),
        "assumptions": profit_rule(list(as_table(transactions).columns), gross_margin, cost_per_order),
    }
    return df
