"""Synthetic B2B transactions with ground truth, for tests and for checking recovery.

Never presented as real data. ``generate_b2b(n_accounts, start=, end=, random_state=)``
draws, per account (all vectorised numpy, no loop over accounts or orders):

- arrival: first contract date uniform over [start, end − 30 days], so at any as-of date
  some accounts are new;
- lifetime: exponential with mean ``mean_lifetime_days``; ``true_churn_date`` = first
  contract + lifetime (may lie after ``end``: still alive at the end of the data);
- order rate: gamma-distributed (heterogeneous) orders per 30 days, times a per-account
  trend ``exp(growth · years since arrival)`` (growth ~ N(0, growth_sd): some accounts
  grow, some shrink); order times follow that intensity from arrival to churn or end;
- order value: lognormal with an account-specific log-mean;
- gross margin: per account, persistent, N(margin_mean, margin_sd) clipped to
  [−0.4, 0.7] — some accounts lose money on every order — with small per-line noise;
  ``cost = amount · (1 − margin)``. Margins vary a lot, so revenue is a poor proxy for
  profit (by design: profit-based grading must beat revenue-based grading here);
- payment: due 30 days after the order; a share ``late_payer_share`` of accounts are
  chronic late payers (days late ~ gamma, mean 90); the rest pay on time or a few days
  late; a payment that would fall after ``end`` is NaT (unpaid at the end of the data);
- attributes: industry, region, credit limit (≈ 3 months of expected revenue).

On average an account places ``mean_orders_per_30d · (active days / 30)`` orders: with
the defaults over a 3-year period, about 14 orders per account, so 10 million
transactions need about 700,000 accounts (``accounts_for_transactions`` computes it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

INDUSTRIES = np.array(["manufacturing", "retail", "construction", "healthcare", "logistics", "services"])
REGIONS = np.array(["North", "East", "South", "West", "Central"])
DUE_DAYS = 30


@dataclass(frozen=True)
class B2BData:
    transactions: pd.DataFrame  # internal schema (segment.schema), sorted by order_ts, customer_id
    customers: pd.DataFrame  # customer_id, industry, region, credit_limit, first_contract_date
    accounts: pd.DataFrame  # true per-account parameters, index customer_id
    start: pd.Timestamp
    end: pd.Timestamp


def _ids(prefix: str, idx: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(idx.astype(str), width))


def _integrated_intensity(rate_per_day, growth_per_day, t0, t1):
    """∫_{t0}^{t1} rate · exp(growth · t) dt (t in days since arrival), vectorised."""
    g = growth_per_day
    small = np.abs(g) < 1e-12
    safe_g = np.where(small, 1.0, g)
    val = rate_per_day * (np.exp(safe_g * t1) - np.exp(safe_g * t0)) / safe_g
    return np.where(small, rate_per_day * (t1 - t0), val)


def accounts_for_transactions(n_transactions: int, *, start: str = "2021-01-01", end: str = "2023-12-31", **kw) -> int:
    """Number of accounts that yields about ``n_transactions`` with these settings."""
    probe = generate_b2b(20_000, start=start, end=end, random_state=12345, **kw)
    per_account = len(probe.transactions) / 20_000
    return max(1, int(round(n_transactions / per_account)))


def generate_b2b(
    n_accounts: int,
    *,
    start: str,
    end: str,
    random_state: int,
    mean_orders_per_30d: float = 0.8,
    rate_shape: float = 1.5,
    mean_lifetime_days: float = 900.0,
    growth_sd: float = 0.5,
    order_value_median: float = 2_000.0,
    account_value_sd: float = 0.8,
    line_value_sd: float = 0.5,
    margin_mean: float = 0.18,
    margin_sd: float = 0.15,
    late_payer_share: float = 0.15,
) -> B2BData:
    """Generate accounts and their transactions; see the module docstring for the process."""
    if n_accounts < 1:
        raise ValueError(f"n_accounts must be at least 1, got {n_accounts}")
    rng = np.random.default_rng(random_state)
    t_start, t_end = pd.Timestamp(start), pd.Timestamp(end)
    span = (t_end - t_start).days
    if span <= 60:
        raise ValueError(f"the period {start}..{end} is too short (need more than 60 days)")
    n = int(n_accounts)

    arrival = rng.integers(0, span - 30, size=n).astype(float)  # days since start
    lifetime = rng.exponential(mean_lifetime_days, size=n)
    churn_day = arrival + lifetime  # may exceed span: alive at the end
    rate = rng.gamma(rate_shape, mean_orders_per_30d / rate_shape, size=n) / 30.0  # orders per day
    growth = rng.normal(0.0, growth_sd, size=n) / 365.25  # per day
    value_mu = np.log(order_value_median) + rng.normal(0.0, account_value_sd, size=n)
    margin = np.clip(rng.normal(margin_mean, margin_sd, size=n), -0.4, 0.7)
    late_payer = rng.random(n) < late_payer_share
    industry = INDUSTRIES[rng.integers(0, len(INDUSTRIES), size=n)]
    region = REGIONS[rng.integers(0, len(REGIONS), size=n)]

    active_days = np.minimum(churn_day, span) - arrival
    expected = _integrated_intensity(rate, growth, 0.0, active_days)
    n_orders = rng.poisson(expected)
    acct = np.repeat(np.arange(n), n_orders)
    # order times by inverting the cumulative intensity of rate·exp(g t) on [0, active]
    u = rng.random(len(acct))
    g, a_days = growth[acct], active_days[acct]
    small = np.abs(g) < 1e-12
    safe_g = np.where(small, 1.0, g)
    t_rel = np.where(small, u * a_days, np.log1p(u * np.expm1(safe_g * a_days)) / safe_g)
    order_day = np.floor(arrival[acct] + t_rel).astype(np.int64)
    order_day = np.clip(order_day, arrival[acct].astype(np.int64), span)

    amount = np.round(np.exp(value_mu[acct] + rng.normal(0.0, line_value_sd, size=len(acct))), 2)
    line_margin = margin[acct] + rng.normal(0.0, 0.02, size=len(acct))
    cost = np.round(amount * (1.0 - line_margin), 2)
    quantity = np.maximum(1, rng.poisson(np.maximum(amount / 200.0, 1.0))).astype(float)

    late = np.where(
        late_payer[acct],
        rng.gamma(3.0, 30.0, size=len(acct)),
        np.where(rng.random(len(acct)) < 0.8, 0.0, rng.gamma(1.0, 5.0, size=len(acct))),
    )
    late_days = np.round(late).astype(np.int64)
    due_day = order_day + DUE_DAYS
    paid_day = due_day + late_days
    paid_known = paid_day <= span

    order = np.lexsort((acct, order_day))
    acct, order_day = acct[order], order_day[order]
    amount, cost, quantity = amount[order], cost[order], quantity[order]
    due_day, paid_day, paid_known = due_day[order], paid_day[order], paid_known[order]

    base = np.datetime64(t_start.date(), "ns")
    day = np.timedelta64(1, "D")
    customer_ids = _ids("B", np.arange(n), 7)
    paid = base + paid_day * day
    paid = np.where(paid_known, paid, np.datetime64("NaT", "ns"))
    transactions = pd.DataFrame(
        {
            "customer_id": pd.Series(customer_ids[acct], dtype="str"),
            "order_ts": (base + order_day * day).astype("datetime64[ns]"),
            "amount": amount.astype("float64"),
            "order_id": pd.Series(_ids("O", np.arange(len(acct)), 9), dtype="str"),
            "quantity": quantity,
            "cost": cost.astype("float64"),
            "due_date": (base + due_day * day).astype("datetime64[ns]"),
            "paid_date": paid.astype("datetime64[ns]"),
        }
    )
    first_contract = (base + arrival.astype(np.int64) * day).astype("datetime64[ns]")
    expected_revenue_30d = rate * 30.0 * np.exp(value_mu + line_value_sd**2 / 2)
    customers = pd.DataFrame(
        {
            "customer_id": pd.Series(customer_ids, dtype="str"),
            "industry": pd.Series(industry, dtype="str"),
            "region": pd.Series(region, dtype="str"),
            "credit_limit": np.round(expected_revenue_30d * 3.0 * rng.uniform(0.5, 1.5, size=n), -2),
            "first_contract_date": first_contract,
        }
    )
    accounts = pd.DataFrame(
        {
            "first_contract_date": first_contract,
            "true_churn_date": (base + np.floor(churn_day).astype(np.int64) * day).astype("datetime64[ns]"),
            "order_rate_per_30d": rate * 30.0,
            "growth_per_year": growth * 365.25,
            "order_value_log_mean": value_mu,
            "gross_margin": margin,
            "late_payer": late_payer,
        },
        index=pd.Index(customer_ids, name="customer_id", dtype="str"),
    )
    accounts.attrs = {"line_value_sd": line_value_sd}
    return B2BData(transactions, customers, accounts, t_start, t_end)


def ground_truth(data: B2BData, *, as_of, horizon_days: int) -> pd.DataFrame:
    """Per account (index customer_id, all accounts): the truth about (as_of, as_of + horizon].

    - ``true_alive_at_as_of``: arrived on or before as_of and true churn date after it;
    - ``true_churn_date``: the drawn dropout date (may be after the data's end);
    - ``future_orders``, ``future_revenue``, ``future_profit``: realised in the window,
      summed from the generated transactions (so they agree with them exactly);
    - ``expected_future_profit``: the expectation given the true parameters (rate, trend,
      churn date, value and margin), i.e. what a perfect model could know at as_of.
    """
    if as_of is None:
        raise TypeError("as_of is required")
    cut = pd.Timestamp(as_of).normalize()
    end = cut + pd.Timedelta(days=int(horizon_days))
    acc = data.accounts
    tx = data.transactions
    in_win = (tx["order_ts"] > cut) & (tx["order_ts"] <= end)
    w = tx.loc[in_win]
    codes = pd.Categorical(w["customer_id"], categories=acc.index)
    k = len(acc)
    orders = np.bincount(codes.codes, minlength=k) if len(w) else np.zeros(k, int)
    revenue = np.bincount(codes.codes, weights=w["amount"].to_numpy(), minlength=k) if len(w) else np.zeros(k)
    profit = (
        np.bincount(codes.codes, weights=(w["amount"] - w["cost"]).to_numpy(), minlength=k) if len(w) else np.zeros(k)
    )
    first = acc["first_contract_date"]
    alive = (first <= cut) & (acc["true_churn_date"] > cut)

    day = np.timedelta64(1, "D")
    arrival = (first.to_numpy() - np.datetime64(data.start.date(), "ns")) / day
    churn = (acc["true_churn_date"].to_numpy() - np.datetime64(data.start.date(), "ns")) / day
    lo = np.maximum((cut - data.start).days, arrival) - arrival
    hi = np.maximum(np.minimum(np.minimum((end - data.start).days, churn), (data.end - data.start).days) - arrival, lo)
    exp_orders = _integrated_intensity(acc["order_rate_per_30d"].to_numpy() / 30.0, acc["growth_per_year"].to_numpy() / 365.25, lo, hi)
    mean_value = np.exp(acc["order_value_log_mean"].to_numpy() + acc.attrs.get("line_value_sd", 0.5) ** 2 / 2)
    return pd.DataFrame(
        {
            "true_alive_at_as_of": alive.to_numpy(),
            "true_churn_date": acc["true_churn_date"].to_numpy(),
            "future_orders": orders.astype("int64"),
            "future_revenue": revenue,
            "future_profit": profit,
            "expected_future_profit": exp_orders * mean_value * acc["gross_margin"].to_numpy(),
        },
        index=acc.index,
    )
