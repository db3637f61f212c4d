"""What happened after the as-of date, per customer, as a portable Ibis expression.

Population: every customer with a first order on or before ``as_of`` (the same customers
the feature table has). Window: orders dated in (as_of, H.end(as_of)] for the horizon H
(``horizon_days``: a ``segment.horizon.Horizon``, in days or calendar units, or an int number of
days; calendar months and quarters follow the month-end rule of ``segment.horizon``).

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

from segment.dates import to_date
from segment.horizon import Horizon, as_horizon
from segment.features import (
    _finish_frame,
    as_table,
    columns_of,
    derive_features,
    execute,
    feature_aggregates,
    finish_features,
    order_table,
    profit_rule,
)


def outcome_aggregates(o: ibis.Table, *, as_of: Any, horizon_days: Horizon | int) -> dict[str, ibis.Value]:
    """Per-customer aggregates of the order table over (as_of, H.end(as_of)]."""
    cut = to_date(as_of)
    end = as_horizon(horizon_days).end(cut)
    win = (o.order_date > ibis.literal(cut)) & (o.order_date <= ibis.literal(end))
    return {
        "orders_outcome": win.cast("int64").sum(),
        "revenue_outcome": o.amount.sum(where=win),
        "outcome_line_profit": o.line_profit.sum(where=win),
    }


def derive_outcomes(agg: ibis.Table, *, cost_per_order: float) -> ibis.Table:
    orders = agg.orders_outcome.cast("int64").fill_null(0)
    return agg.mutate(
        churned=orders == 0,
        orders_outcome=orders,
        revenue_outcome=agg.revenue_outcome.cast("float64").fill_null(0.0),
        profit_outcome=agg.outcome_line_profit.cast("float64").fill_null(0.0)
        - orders.cast("float64") * ibis.literal(float(cost_per_order)),
    )


OUTCOME_COLUMNS = ["churned", "orders_outcome", "revenue_outcome", "profit_outcome"]


def outcome_expr(
    transactions: Any,
    *,
    as_of: Any,
    horizon_days: Horizon | int,
    gross_margin: float | None = None,
    cost_per_order: float = 0.0,
) -> ibis.Table:
    """Per-customer outcomes for every customer in the data, in one scan.

    ``first_seen_after_as_of`` marks customers whose first order is after ``as_of``:
    they are outside the graded population; ``build_outcomes`` counts and removes them.
    """
    o = order_table(transactions, as_of=as_of, gross_margin=gross_margin, cost_per_order=cost_per_order, credit=False)
    agg = o.group_by("customer_id").aggregate(
        first_order_date=o.order_date.min(), **outcome_aggregates(o, as_of=as_of, horizon_days=horizon_days)
    )
    out = derive_outcomes(agg, cost_per_order=cost_per_order)
    out = out.mutate(first_seen_after_as_of=out.first_order_date > ibis.literal(to_date(as_of)))
    return out.select("customer_id", "first_seen_after_as_of", *OUTCOME_COLUMNS).order_by("customer_id")


def build_outcomes(
    transactions: Any,
    *,
    as_of: Any,
    horizon_days: Horizon | int,
    gross_margin: float | None = None,
    cost_per_order: float = 0.0,
    data_end: Any = None,
) -> pd.DataFrame:
    """Outcome table indexed by ``customer_id`` (sorted); see the module docstring."""
    check_window(as_of, horizon_days, data_end)
    expr = outcome_expr(
        transactions, as_of=as_of, horizon_days=horizon_days, gross_margin=gross_margin, cost_per_order=cost_per_order
    )
    return finish_outcomes(execute(expr), transactions, as_of=as_of, horizon_days=horizon_days,
                           gross_margin=gross_margin, cost_per_order=cost_per_order)


def check_window(as_of: Any, horizon_days: Horizon | int, data_end: Any) -> None:
    """Refuse an outcome window that runs past the end of the data (when data_end is given)."""
    if data_end is None:
        return
    cut = to_date(as_of)
    end = as_horizon(horizon_days).end(cut)
    if to_date(data_end, "data_end") < end:
        raise ValueError(
            f"the outcome window ({cut}, {end}] runs past the end of the data ({to_date(data_end, 'data_end')}); "
            "choose an earlier as_of or a shorter horizon"
        )


def finish_outcomes(raw: pd.DataFrame, transactions: Any, *, as_of: Any, horizon_days: Horizon | int,
                    gross_margin: float | None, cost_per_order: float) -> pd.DataFrame:
    """Drop (and count) customers first seen after as_of; index, dtypes and ``attrs``
    (``horizon_days``: the window's length in days; ``horizon``: its config text, only when it
    is in calendar units)."""
    cut = to_date(as_of)
    window = as_horizon(horizon_days)
    everyone = _finish_frame(raw, ())
    later = everyone["first_seen_after_as_of"].to_numpy(dtype=bool)
    df = everyone.loc[~later, OUTCOME_COLUMNS].copy()
    df["churned"] = df["churned"].astype(bool)
    df.attrs = {
        "as_of": str(cut),
        "horizon_days": window.days_from(cut),
        **({} if window.in_days else {"horizon": str(window)}),
        "outcome_window": [str(cut + dt.timedelta(days=1)), str(window.end(cut))],
        "customers_first_seen_after_as_of": int(later.sum()),
        "assumptions": profit_rule(columns_of(transactions), gross_margin, cost_per_order),
    }
    return df


def profit_before(transactions: Any, customer_ids: Any, *, as_of: Any, horizon_days: Horizon | int,
                  gross_margin: float | None = None, cost_per_order: float = 0.0) -> pd.Series:
    """Each of ``customer_ids``' profit in the window of the horizon H that ends at ``as_of``:
    orders in (H.start(as_of), as_of] (``segment.horizon``), by the ``profit_outcome`` rule.
    Every id gets a value: a customer without an order in that window (or unknown to the data)
    made 0, and a customer first seen inside it counts too (unlike ``build_outcomes``, whose
    population is the customers graded at the window's start). Only the given customers' rows
    are read: a follow-up list of a few hundred costs a filtered scan, not a GROUP BY of all."""
    window = as_horizon(horizon_days)
    ids = pd.Index(pd.Series(customer_ids, dtype=object).astype(str).unique())
    t = as_table(transactions)
    t = t.filter(t.customer_id.cast("string").isin(list(ids)))
    raw = _finish_frame(execute(outcome_expr(t, as_of=window.start(as_of), horizon_days=window,
                                             gross_margin=gross_margin, cost_per_order=cost_per_order)), ())
    return raw["profit_outcome"].astype(float).reindex(ids, fill_value=0.0).rename("profit_before")


def features_and_outcomes_expr(transactions: Any, *, as_of: Any, horizon_days: Horizon | int,
                               lookback_months: int | None = None, gross_margin: float | None = None,
                               cost_per_order: float = 0.0, trend_window_days: int = 182) -> ibis.Table:
    """The one-scan expression of ``build_features_and_outcomes``: one row per customer in the data
    (sorted), the feature and outcome columns and ``first_seen_after_as_of``."""
    o = order_table(transactions, as_of=as_of, gross_margin=gross_margin, cost_per_order=cost_per_order)
    agg = o.group_by("customer_id").aggregate(
        **feature_aggregates(o, as_of=as_of, lookback_months=lookback_months, trend_window_days=trend_window_days),
        **outcome_aggregates(o, as_of=as_of, horizon_days=horizon_days),
    )
    outcome_parts = ("orders_outcome", "revenue_outcome", "outcome_line_profit")
    both = derive_outcomes(
        derive_features(agg, as_of=as_of, cost_per_order=cost_per_order, keep=outcome_parts), cost_per_order=cost_per_order
    )
    return both.mutate(first_seen_after_as_of=both.first_order_date.isnull()).order_by("customer_id")


def build_features_and_outcomes(
    transactions: Any,
    *,
    as_of: Any,
    horizon_days: Horizon | int,
    lookback_months: int | None = None,
    customers: pd.DataFrame | None = None,
    gross_margin: float | None = None,
    cost_per_order: float = 0.0,
    trend_window_days: int = 182,
    data_end: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features, outcomes) from one scan and one GROUP BY over the order table.

    Identical to ``build_features`` and ``build_outcomes`` called separately (tested);
    the features still read only orders on or before ``as_of`` (every feature aggregate
    filters on it), the outcomes only orders in the window.
    """
    check_window(as_of, horizon_days, data_end)
    raw = execute(features_and_outcomes_expr(transactions, as_of=as_of, horizon_days=horizon_days,
                                             lookback_months=lookback_months, gross_margin=gross_margin,
                                             cost_per_order=cost_per_order, trend_window_days=trend_window_days))
    graded = ~raw["first_seen_after_as_of"].to_numpy(dtype=bool)
    feature_cols = [c for c in raw.columns if c not in (*OUTCOME_COLUMNS, "first_seen_after_as_of", "outcome_line_profit")]
    features = finish_features(raw.loc[graded, feature_cols], transactions, as_of=as_of, lookback_months=lookback_months,
                               customers=customers, gross_margin=gross_margin, cost_per_order=cost_per_order,
                               trend_window_days=trend_window_days)
    outcomes = finish_outcomes(raw[["customer_id", "first_seen_after_as_of", *OUTCOME_COLUMNS]], transactions,
                               as_of=as_of, horizon_days=horizon_days, gross_margin=gross_margin,
                               cost_per_order=cost_per_order)
    return features, outcomes


def training_frame(transactions: Any, *, as_of: Any, horizon_days: Horizon | int, first_day: Any,
                   customers: pd.DataFrame | None = None, **feature_kwargs: Any) -> tuple[pd.DataFrame, pd.Series]:
    """Out-of-time training data for a method that learns from history, grading at ``as_of``:
    the features at the training origin ``H.start(as_of)`` (days: ``as_of − n``; calendar
    units: the latest origin whose window ends by ``as_of``, ``segment.horizon``) and each
    customer's ``profit_outcome`` in (origin, as_of] (``feature_kwargs``: the graded table's options).

    ``first_day``: the data's first order date. A training origin before it has no history to
    learn from: ``CannotGrade`` (the method is left out at that date)."""
    from segment.errors import CannotGrade

    window = as_horizon(horizon_days, "the training horizon")
    origin = window.start(as_of)
    first = to_date(first_day, "first_day")
    if first > origin:
        raise CannotGrade(
            f"supervised benchmark: the training origin {origin} (as_of − {window.label}) is before "
            f"the first transaction ({first}); there is no earlier history to learn from"
        )
    f, o = build_features_and_outcomes(transactions, as_of=origin, horizon_days=window,
                                       customers=customers, **feature_kwargs)
    return f, o["profit_outcome"]
