"""Synthetic B2B transactions with ground truth, for tests and for checking recovery.

Never presented as real data. ``generate_b2b(n_accounts, start=, end=, random_state=)``
draws every account's true parameters, then its orders, all in vectorised numpy (no
Python loop over accounts or orders; under a second per million transactions). The same
``random_state`` gives identical frames; nothing else is random.

Days are counted from ``start`` (day 0) to ``end`` (day ``span``, inclusive); calendar
day ``d`` is the continuous interval ``[d, d + 1)``.

Per account (the columns of ``B2BData.accounts``):

- **arrival** (``first_contract_date``): a whole day uniform on
  ``[0, span − min_history_days)``, so accounts arrive all through the period and at any
  as-of date some are new (tenure under six months). No account predates ``start``.
- **dropout** (``true_churn_date``): lifetime (``lifetime_days``) ~ exponential with
  mean ``mean_lifetime_days`` (capped at 100 years), dropout instant = arrival + lifetime;
  ``true_churn_date`` is its calendar day. It may lie after ``end`` (still alive when the
  data stop). The account orders up to the dropout instant, so possibly on the churn date
  itself, never after it.
- **order rate** (``order_rate_per_30d``): gamma with shape ``rate_shape`` and mean
  ``mean_orders_per_30d`` (heterogeneous Poisson rates), times a trend
  ``exp(growth · t)``, t = time since arrival, ``growth_per_year`` ~ N(0, ``growth_sd``):
  some accounts grow, some shrink. Orders are a Poisson process with that intensity from
  arrival to dropout or the end of the data.
- **industry**, **region**: drawn from ``INDUSTRY_TABLE`` (weights) and uniformly from
  ``REGIONS``. Industry shifts order value and margin (``INDUSTRY_TABLE``); region is
  pure decoration.
- **order value**: a line's amount is lognormal, ``exp(order_value_log_mean + N(0,
  line_value_sd))``, rounded to cents (at least 0.01); ``order_value_log_mean`` = log
  ``order_value_median`` + industry shift + N(0, ``account_value_sd``).
- **gross margin** (``gross_margin``): persistent per account, ``margin_mean`` +
  industry shift − ``margin_size_slope`` · ``size_z`` + N(0, ``margin_sd``), clipped to
  ``MARGIN_BOUNDS``. ``size_z`` is the account's standardised log expected revenue rate
  (log rate + log value, centred and scaled by their known population moments), so large
  accounts get lower margins (volume discounts) and some accounts lose money on every
  order (about 12 % with the defaults). Each line's margin is the account margin +
  N(0, 0.02); ``cost = round(amount · (1 − line margin), 2)``, profit = amount − cost.
  Because margins vary a lot, are persistent and fall with size, revenue is a poor proxy
  for profit: ranking on past profit recovers the accounts with the most future profit
  clearly better than ranking on past revenue (+0.14 to +0.19 recall of the true top
  20 % over ten seeds with the defaults, as-of 2022-12-31, one-year horizon; the tests
  assert more than +0.1).
- **quantity**: ``max(1, round(amount / unit_price))`` with a per-account
  ``unit_price`` (lognormal around 200).
- **payment**: each line is due ``payment_terms_days`` after the order. A share
  ``late_payer_share`` of accounts are chronic late payers (``late_payer``): days late ~
  gamma(shape 3, mean ``late_payer_mean_days``). The others pay on the due date 80 % of the
  time, otherwise a few days late (exponential, mean 5). Days late are rounded to whole
  days. **A payment that would fall after ``end`` is NaT** (unpaid when the data stop),
  exactly like an open invoice in a real extract.
- **credit limit**: about three months of the account's expected revenue at arrival,
  times uniform(0.5, 1.5), rounded to hundreds, at least 1,000.

Size: with the defaults an account places on average about 12 orders over a three-year
period (2021-01-01..2023-12-31), so ten million transactions need about 825,000 accounts;
``accounts_for_transactions`` computes the number for any settings. Measured: 10.0 M rows
(824,249 accounts) in 3.3 s on an idle 2-core machine, 5-9 s under load; peak RSS 2.5 GB.

Tables (``B2BData``):

- ``transactions``: the internal schema (``segment.schema``) with ``customer_id``
  (``"B"`` + 7 digits, more if needed), ``order_ts``, ``amount``, ``order_id``
  (``"O"`` + 9 digits, unique, increasing with row order), ``quantity``, ``cost``,
  ``due_date``, ``paid_date``; one row per order; sorted by ``order_ts`` then
  ``customer_id``. Every order lies in ``[start, end]``.
- ``customers``: every account, including those with no order in the data (about 12 %
  with the defaults: low rate, early dropout or a late contract): ``customer_id``, ``industry``, ``region``,
  ``credit_limit``, ``first_contract_date``.
- ``accounts``: the true parameters above, index ``customer_id`` (same order as
  ``customers``), plus ``size_z``, ``unit_price``, ``industry`` and
  ``expected_orders_in_period`` (the Poisson mean of the account's order count);
  ``attrs["line_value_sd"]`` is needed for expected order values.

The result type ``B2BData`` is in ``segment.data.b2bdata``; what the true parameters imply
about a future window, per account, is computed by the tests (``tests/helpers/truth.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import digamma, polygamma

from segment.data.b2bdata import B2BData

#: industry: (share of accounts, shift of log order value, shift of gross margin)
INDUSTRY_TABLE: dict[str, tuple[float, float, float]] = {
    "manufacturing": (0.25, 0.3, 0.00),
    "retail": (0.20, -0.2, -0.05),
    "construction": (0.15, 0.4, -0.03),
    "healthcare": (0.10, 0.0, 0.06),
    "logistics": (0.15, -0.1, -0.04),
    "services": (0.15, -0.3, 0.08),
}
INDUSTRIES = np.array(list(INDUSTRY_TABLE))
REGIONS = np.array(["North", "East", "South", "West", "Central"])
MARGIN_BOUNDS = (-0.4, 0.7)
DUE_DAYS = 30  # default payment terms
LINE_MARGIN_SD = 0.02
MAX_LIFETIME_DAYS = 36_525.0  # keeps dates inside datetime64[ns]
_NS_PER_DAY = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min

#: generator settings (keyword arguments of ``generate_b2b``) and their defaults
DEFAULTS: dict[str, Any] = {
    "mean_orders_per_30d": 0.8,
    "rate_shape": 1.5,
    "mean_lifetime_days": 900.0,
    "growth_sd": 0.5,
    "order_value_median": 2_000.0,
    "account_value_sd": 0.8,
    "line_value_sd": 0.5,
    "margin_mean": 0.18,
    "margin_sd": 0.12,
    "margin_size_slope": 0.08,
    "late_payer_share": 0.15,
    "late_payer_mean_days": 90.0,
    "payment_terms_days": DUE_DAYS,
    "min_history_days": 30,
}


def integrated_intensity(rate_per_day, growth_per_day, t0, t1):
    """∫ rate · exp(growth · t) dt over [t0, t1] (t in days since arrival), vectorised: an
    account's expected number of orders over that span (its order count is drawn with this mean)."""
    g = np.asarray(growth_per_day, dtype=float)
    small = np.abs(g) < 1e-12
    safe_g = np.where(small, 1.0, g)
    val = rate_per_day * (np.exp(safe_g * t1) - np.exp(safe_g * t0)) / safe_g
    return np.where(small, rate_per_day * (t1 - t0), val)


def _ids(prefix: str, idx: np.ndarray, width: int) -> pd.Series:
    """``prefix`` + zero-padded ``idx`` as a pandas ``str`` Series, built without Python strings."""
    idx = np.asarray(idx, dtype=np.int64)
    width = max(width, len(str(int(idx.max()))) if len(idx) else width)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    row = len(head) + width
    buf = np.empty((len(idx), row), dtype=np.uint8)
    buf[:, : len(head)] = head
    rest = idx.copy()
    for j in range(row - 1, len(head) - 1, -1):
        buf[:, j] = rest % 10 + 48
        rest //= 10
    if (len(idx) + 1) * row < 2**31:
        offsets = np.arange(0, (len(idx) + 1) * row, row, dtype=np.int32)
        arr = pa.StringArray.from_buffers(len(idx), pa.py_buffer(offsets), pa.py_buffer(buf))
    else:
        offsets = np.arange(0, (len(idx) + 1) * row, row, dtype=np.int64)
        arr = pa.LargeStringArray.from_buffers(len(idx), pa.py_buffer(offsets), pa.py_buffer(buf))
    return pd.Series(arr, dtype="str")


def _period(start: Any, end: Any, min_history_days: int) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    t_start, t_end = pd.Timestamp(start), pd.Timestamp(end)
    if t_start != t_start.normalize() or t_end != t_end.normalize():
        raise ValueError(f"start and end must be calendar dates, got {start!r}, {end!r}")
    span = (t_end - t_start).days
    if span <= 2 * min_history_days:
        raise ValueError(f"the period {start}..{end} is too short (need more than {2 * min_history_days} days)")
    return t_start, t_end, span


def _draw_accounts(rng: np.random.Generator, n: int, span: int, p: dict[str, Any]) -> dict[str, np.ndarray]:
    """The true per-account parameters (rates per day, days since start)."""
    shares = np.array([v[0] for v in INDUSTRY_TABLE.values()])
    value_shift = np.array([v[1] for v in INDUSTRY_TABLE.values()])
    margin_shift = np.array([v[2] for v in INDUSTRY_TABLE.values()])

    arrival = rng.integers(0, span - p["min_history_days"], size=n).astype(float)
    lifetime = np.minimum(rng.exponential(p["mean_lifetime_days"], size=n), MAX_LIFETIME_DAYS)
    k, m = p["rate_shape"], p["mean_orders_per_30d"]
    rate_30d = rng.gamma(k, m / k, size=n)
    growth = rng.normal(0.0, p["growth_sd"], size=n)
    industry = rng.choice(len(shares), size=n, p=shares / shares.sum())
    region = rng.integers(0, len(REGIONS), size=n)
    value_noise = rng.normal(0.0, p["account_value_sd"], size=n)
    value_mu = np.log(p["order_value_median"]) + value_shift[industry] + value_noise
    # size: log rate and log value, each centred and scaled by its known population moments
    log_rate_dev = np.log(rate_30d) - (digamma(k) + np.log(m / k))
    size_z = (log_rate_dev + value_noise) / np.sqrt(polygamma(1, k) + p["account_value_sd"] ** 2)
    margin = np.clip(
        p["margin_mean"] + margin_shift[industry] - p["margin_size_slope"] * size_z
        + rng.normal(0.0, p["margin_sd"], size=n),
        *MARGIN_BOUNDS,
    )
    late_payer = rng.random(n) < p["late_payer_share"]
    unit_price = np.exp(np.log(200.0) + rng.normal(0.0, 0.5, size=n))
    limit_noise = rng.uniform(0.5, 1.5, size=n)
    return {
        "arrival": arrival,
        "churn": arrival + lifetime,
        "rate": rate_30d / 30.0,
        "growth": growth / 365.25,
        "industry": industry,
        "region": region,
        "value_mu": value_mu,
        "size_z": size_z,
        "margin": margin,
        "late_payer": late_payer,
        "unit_price": unit_price,
        "limit_noise": limit_noise,
    }


def _active_days(a: dict[str, np.ndarray], span: int) -> np.ndarray:
    """Length of [arrival, min(dropout, end of the last day)): when the account can order."""
    return np.minimum(a["churn"], span + 1.0) - a["arrival"]


def accounts_for_transactions(
    n_transactions: int, *, start: Any = "2021-01-01", end: Any = "2023-12-31", **params: Any
) -> int:
    """Number of accounts that gives about ``n_transactions`` orders with these settings.

    Uses the expected order count per account, averaged over 200,000 parameter draws
    (fixed seed), so the answer is deterministic and within about 1 % of the realised count.
    """
    p = _settings(params)
    _, _, span = _period(start, end, p["min_history_days"])
    a = _draw_accounts(np.random.default_rng(20_240_101), 200_000, span, p)
    per_account = integrated_intensity(a["rate"], a["growth"], 0.0, np.maximum(_active_days(a, span), 0.0)).mean()
    return max(1, int(round(n_transactions / per_account)))


def _settings(params: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        raise TypeError(f"unknown generator settings {unknown}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    if not 0.0 <= p["late_payer_share"] <= 1.0:
        raise ValueError(f"late_payer_share must be in [0, 1], got {p['late_payer_share']}")
    for name in ("mean_orders_per_30d", "rate_shape", "mean_lifetime_days", "order_value_median"):
        if not p[name] > 0:
            raise ValueError(f"{name} must be positive, got {p[name]}")
    for name in ("payment_terms_days", "min_history_days"):
        if int(p[name]) != p[name] or p[name] < 0:
            raise ValueError(f"{name} must be a whole number of days >= 0, got {p[name]}")
    return p


def generate_b2b(n_accounts: int, *, start: Any, end: Any, random_state: int, **params: Any) -> B2BData:
    """Generate ``n_accounts`` accounts and their orders in ``[start, end]``.

    ``params`` override ``DEFAULTS`` (``mean_orders_per_30d``, ``rate_shape``,
    ``mean_lifetime_days``, ``growth_sd``, ``order_value_median``, ``account_value_sd``,
    ``line_value_sd``, ``margin_mean``, ``margin_sd``, ``margin_size_slope``,
    ``late_payer_share``, ``late_payer_mean_days``, ``payment_terms_days``,
    ``min_history_days``); an unknown name is a ``TypeError``. The process is in the
    module docstring. Same arguments, identical frames.
    """
    if int(n_accounts) < 1:
        raise ValueError(f"n_accounts must be at least 1, got {n_accounts}")
    p = _settings(params)
    n = int(n_accounts)
    t_start, t_end, span = _period(start, end, p["min_history_days"])
    rng = np.random.default_rng(random_state)
    a = _draw_accounts(rng, n, span, p)

    # orders: Poisson count, then times by inverting the cumulative intensity on [0, active)
    active = _active_days(a, span)
    n_orders = rng.poisson(integrated_intensity(a["rate"], a["growth"], 0.0, active))
    acct = np.repeat(np.arange(n, dtype=np.int64), n_orders)  # ascending account index
    rows = len(acct)
    u = rng.random(rows)
    g, act = a["growth"][acct], active[acct]
    small = np.abs(g) < 1e-12
    safe_g = np.where(small, 1.0, g)
    t_rel = np.where(small, u * act, np.log1p(u * np.expm1(safe_g * act)) / safe_g)
    # floor(arrival + t) with t < active: on or after arrival, on or before the churn date and end
    order_day = np.minimum(np.floor(a["arrival"][acct] + t_rel), np.floor(a["churn"][acct])).astype(np.int64)
    order_day = np.clip(order_day, 0, span)

    amount = np.round(np.exp(a["value_mu"][acct] + p["line_value_sd"] * rng.standard_normal(rows)), 2)
    amount = np.maximum(amount, 0.01)
    line_margin = a["margin"][acct] + LINE_MARGIN_SD * rng.standard_normal(rows)
    cost = np.round(amount * (1.0 - line_margin), 2)
    quantity = np.maximum(1.0, np.round(amount / a["unit_price"][acct]))

    late = np.zeros(rows)
    chronic = a["late_payer"][acct]
    late[chronic] = rng.gamma(3.0, p["late_payer_mean_days"] / 3.0, size=int(chronic.sum()))
    slip = ~chronic & (rng.random(rows) < 0.2)
    late[slip] = rng.exponential(5.0, size=int(slip.sum()))
    due_day = order_day + int(p["payment_terms_days"])
    paid_day = due_day + np.round(late).astype(np.int64)

    # rows by day then account: acct is already ascending, so a stable sort on the day suffices
    day_dtype = np.int16 if span < np.iinfo(np.int16).max else np.int32
    order = np.argsort(order_day.astype(day_dtype), kind="stable")
    acct, order_day, due_day, paid_day = acct[order], order_day[order], due_day[order], paid_day[order]
    amount, cost, quantity = amount[order], cost[order], quantity[order]

    base = t_start.value  # ns since epoch

    def to_ts(days: np.ndarray) -> np.ndarray:
        return (base + days * _NS_PER_DAY).view("datetime64[ns]")

    customer_ids = _ids("B", np.arange(n), 7)
    transactions = pd.DataFrame(
        {
            "customer_id": pd.Series(customer_ids.array.take(acct)),
            "order_ts": to_ts(order_day),
            "amount": amount,
            "order_id": _ids("O", np.arange(rows), 9),
            "quantity": quantity,
            "cost": cost,
            "due_date": to_ts(due_day),
            "paid_date": np.where(paid_day <= span, base + paid_day * _NS_PER_DAY, _NAT).view("datetime64[ns]"),
        }
    )

    first_contract = to_ts(a["arrival"].astype(np.int64))
    mean_value = np.exp(a["value_mu"] + p["line_value_sd"] ** 2 / 2)
    credit_limit = np.maximum(1_000.0, np.round(a["rate"] * 91.0 * mean_value * a["limit_noise"], -2))
    customers = pd.DataFrame(
        {
            "customer_id": customer_ids,
            "industry": pd.Series(INDUSTRIES[a["industry"]], dtype="str"),
            "region": pd.Series(REGIONS[a["region"]], dtype="str"),
            "credit_limit": credit_limit,
            "first_contract_date": first_contract,
        }
    )
    accounts = pd.DataFrame(
        {
            "first_contract_date": first_contract,
            "true_churn_date": to_ts(np.floor(a["churn"]).astype(np.int64)),
            "lifetime_days": a["churn"] - a["arrival"],
            "order_rate_per_30d": a["rate"] * 30.0,
            "growth_per_year": a["growth"] * 365.25,
            "order_value_log_mean": a["value_mu"],
            "size_z": a["size_z"],
            "gross_margin": a["margin"],
            "late_payer": a["late_payer"],
            "unit_price": a["unit_price"],
            "industry": pd.Series(INDUSTRIES[a["industry"]], dtype="str"),
            "expected_orders_in_period": integrated_intensity(a["rate"], a["growth"], 0.0, np.maximum(active, 0.0)),
        },
        index=pd.Index(customer_ids, name="customer_id"),
    )
    accounts.attrs = {"line_value_sd": float(p["line_value_sd"])}
    params_used = {"n_accounts": n, "start": str(t_start.date()), "end": str(t_end.date()),
                   "random_state": random_state, **p}
    return B2BData(transactions, customers, accounts, t_start, t_end, params_used)
