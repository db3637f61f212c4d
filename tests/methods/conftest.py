"""Shared fixtures for the grading-method tests.

- ``make_feature_table``: a realistic feature table (every column of
  docs/ARCHITECTURE.md's feature table) generated with a seeded numpy RNG, vectorised so
  the benchmark can build millions of customers with it. Row order is shuffled against
  customer_id order, money is in cents, and there are deliberate ties (a common order
  value, one-time buyers, on-time payers), loss-makers and customers without invoices.
- ``features``: 500 customers of it (session-scoped; tests must not mutate it).
- ``make(name, **params)``: a registered method with the contract parameters below. A
  method whose module does not exist yet is *skipped* with a clear reason (only that:
  any other import error fails), so the contract covers every method once it lands.

A method joins the contract by being registered in ``segment.methods.registry``: its small,
fast test parameters (``test_params``) and its documented degenerate-input errors
(``degenerate_errors``) are read from the class.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pandas as pd
import pytest

from segment.errors import CannotGrade
from segment.methods.registry import METHODS, describe, make_method

AS_OF = pd.Timestamp("2022-12-31")
TREND_WINDOW_DAYS = 182
MONEY_COLUMNS = ("monetary_total", "avg_order_value", "profit", "recent_revenue", "prior_revenue", "overdue_amount",
                 "credit_limit")

#: extra kwargs for the degenerate-input tests (one customer, all-equal values)
DEGENERATE_PARAMS: dict[str, dict[str, Any]] = {
    "kmeans": {"n_clusters": None},
}


def degenerate_errors(name: str) -> dict[str, tuple[type[Exception], str]]:
    """The documented clear errors of a method on degenerate input (its ``degenerate_errors``)."""
    return {case: (CannotGrade, regex) for case, regex in describe(name).degenerate_errors.items()}


ALL_METHODS = sorted(METHODS)


def make_feature_table(n: int = 500, random_state: int = 0, *, id_prefix: str = "C", as_of=AS_OF) -> pd.DataFrame:
    """A feature table of ``n`` customers as ``segment.features.build_features`` returns
    it (whole history, so frequency >= 1; trend window 182 days)."""
    rng = np.random.default_rng(random_state)
    new = rng.random(n) < 0.15
    tenure = np.where(new, rng.integers(0, 182, n), rng.integers(182, 1461, n)).astype(float)
    # buy-till-you-die: a gamma-distributed yearly order rate while alive, an exponential lifetime
    alive_days = np.minimum(tenure, rng.exponential(700.0, n))
    frequency = 1 + rng.poisson(rng.gamma(0.6, 4.0, n) * alive_days / 365.0)
    # one-time buyers: last order = first order; repeat buyers' last order near the end of their life
    last_after_first = np.floor(alive_days * rng.beta(4.0, 1.0, n))
    recency = np.where(frequency == 1, tenure, tenure - last_after_first)
    aov = np.round(np.exp(rng.normal(4.5, 0.8, n)), 2)
    aov[rng.random(n) < 0.1] = 49.99  # a common basket value: ties in money
    monetary = np.round(frequency * aov, 2)
    margin = rng.normal(0.25, 0.12, n)
    profit = np.round(monetary * margin - 5.0 * frequency, 2)  # cost per order: small baskets lose money
    # trend windows (as_of − w, as_of] and (as_of − 2w, as_of − w]: revenue only where orders can fall
    w = TREND_WINDOW_DAYS
    one_time = frequency == 1
    recent_share = np.where(one_time, 1.0, rng.beta(2, 2, n))
    recent = np.where(recency <= w, np.round(monetary * recent_share, 2), 0.0)
    prior = np.where(one_time, np.where((recency > w) & (recency <= 2 * w), monetary, 0.0),
                     np.round((monetary - recent) * rng.uniform(0.2, 1.0, n), 2))
    prior = np.where((tenure <= w) | (recency > 2 * w), 0.0, prior)
    both = recent + prior
    growth = np.divide(recent - prior, both, out=np.zeros(n), where=both > 0)
    invoiced = rng.random(n) > 0.05  # no invoice due yet: no credit history
    late_share = np.where(rng.random(n) < 0.6, 0.0, np.round(rng.beta(0.8, 2.0, n), 3))
    mean_late = np.round(late_share * rng.exponential(40.0, n), 1)
    overdue = np.where(invoiced, np.round(monetary * late_share * rng.uniform(0, 0.3, n), 2), 0.0)
    ids = np.char.add(id_prefix, np.char.zfill(np.arange(n).astype(str), max(6, len(str(n)))))
    order = rng.permutation(n)  # rows not in customer_id order
    frame = pd.DataFrame(
        {
            "first_order_date": as_of - pd.to_timedelta(tenure, unit="D"),
            "last_order_date": as_of - pd.to_timedelta(recency, unit="D"),
            "recency_days": recency,
            "tenure_days": tenure,
            "frequency": frequency.astype(np.int64),
            "monetary_total": monetary,
            "avg_order_value": np.round(monetary / frequency, 6),
            "quantity_total": (frequency * rng.integers(1, 6, n)).astype(float),
            "profit": profit,
            "recent_revenue": recent,
            "prior_revenue": prior,
            "growth_trend": growth,
            "mean_days_late": np.where(invoiced, mean_late, np.nan),
            "late_payment_share": np.where(invoiced, late_share, np.nan),
            "overdue_amount": overdue,
            "industry": rng.choice(np.array(["retail", "logistics", "manufacturing", "services"]), n),
            "region": rng.choice(np.array(["North", "South", "East", "West", "Central"]), n),
            "credit_limit": np.round(rng.uniform(5, 50, n)) * 1000.0,
        },
        index=pd.Index(ids, name="customer_id"),
    ).iloc[order]
    frame.attrs.update({"as_of": str(as_of.date()), "lookback_months": None, "trend_window_days": TREND_WINDOW_DAYS})
    return frame


@pytest.fixture(scope="session")
def features() -> pd.DataFrame:
    return make_feature_table(500, random_state=7)


@pytest.fixture(scope="session")
def other_features() -> pd.DataFrame:
    """Another date's table: different customers, differently distributed values."""
    return make_feature_table(300, random_state=8, id_prefix="N")


# ------------------------------------------------ context for methods that need more
@pytest.fixture(scope="session")
def b2b():
    from segment.data.synthetic import generate_b2b

    return generate_b2b(600, start="2021-01-01", end="2023-12-31", random_state=11)


@pytest.fixture(scope="session")
def features_and_outcomes(b2b):
    from segment.outcomes import build_features_and_outcomes

    return build_features_and_outcomes(b2b.transactions, as_of="2022-12-31", horizon_days=180, customers=b2b.customers)


@pytest.fixture(scope="session")
def training(b2b):
    """Earlier-origin training data for the supervised benchmark (outcome window ends
    2022-12-27, before the graded tables' as-of date)."""
    from segment.outcomes import build_features_and_outcomes

    f, o = build_features_and_outcomes(b2b.transactions, as_of="2022-06-30", horizon_days=180, customers=b2b.customers)
    return f, o["profit_outcome"]


def prepare(method: Any, request: pytest.FixtureRequest) -> None:
    """Give a method that learns from history (``training_horizon``) the earlier-origin training data."""
    if method.training_horizon(180) is not None:
        method.set_training(*request.getfixturevalue("training"))


def skip_if_not_written(name: str) -> None:
    """Skip (not fail) only while the method's module does not exist yet."""
    module = METHODS[name].split(":")[0]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{name}: module {module} is not written yet (registered in registry.METHODS)")


@pytest.fixture
def make(request):
    def factory(name: str, **params):
        skip_if_not_written(name)
        method = make_method(name, **{**describe(name).test_params, **params})
        prepare(method, request)
        return method

    return factory
