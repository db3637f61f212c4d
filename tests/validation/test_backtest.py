"""Rolling-origin backtest on a small synthetic book, and the origin helpers."""

from __future__ import annotations

import pytest

from segment.data.synthetic import generate_b2b
from segment.validation.backtest import (
    backtest_stability,
    full_horizon_origins,
    grade_at_origins,
    latest_full_horizon_origin,
    rolling_backtest,
)
from segment.validation.migration import migration

FKW = {"trend_window_days": 91}
METHODS = {"abc_revenue": {}, "abc_profit": {}, "rfm": {}}


def test_origin_helpers():
    assert full_horizon_origins("2023-01-01", "2023-12-31", 182) == ["2023-03-31", "2023-06-30"]
    assert full_horizon_origins("2023-10-01", "2023-12-31", 182) == []
    origin, note = latest_full_horizon_origin("2024-03-31", 365)
    assert origin == "2023-03-31" and "2023-03-31" in note
    # an origin whose window ends exactly on the last day of data is allowed
    assert latest_full_horizon_origin("2023-12-30", 274)[0] == "2023-03-31"


@pytest.fixture(scope="module")
def book():
    return generate_b2b(400, start="2021-01-01", end="2023-12-31", random_state=5)


def test_rolling_backtest_is_tidy_and_ranks_every_origin(book):
    origins = ["2022-06-30", "2022-12-31", "2023-09-30"]  # the last has no full 182-day window
    table = rolling_backtest(book.transactions, origins, horizon_days=182, methods=METHODS, feature_kwargs=FKW,
                             customers=book.customers, n_boot=20)
    assert sorted(table["origin"].unique()) == ["2022-06-30", "2022-12-31"]
    assert any("2023-09-30" in s for s in table.attrs["skipped"])
    methods = table[~table["reference"]]
    assert set(methods["method"]) == set(METHODS) and len(methods) == 6
    assert (methods.groupby("origin")["rank"].min() == 1).all()
    assert methods["top20_capture_ci_low"].notna().all()
    stab = backtest_stability(table)
    assert set(stab["method"]) == set(METHODS) and stab["times_best"].sum() >= 2
    assert (stab["origins"] == 2).all()


def test_migration_between_origins(book):
    g = grade_at_origins(book.transactions, ["2022-06-30", "2022-12-31"], horizon_days=182,
                         methods={"abc_profit": {}}, feature_kwargs=FKW, customers=book.customers)
    paths, summary = migration(g)
    assert len(summary) == 1
    s = summary.iloc[0]
    assert s["customers_in_both"] == len(g[0].features)
    assert s["new_customers"] == len(g[1].features) - len(g[0].features)
    assert 0 < s["stable_share"] < 1
    assert paths["customers"].sum() == len(g[1].features.index.union(g[0].features.index))
    assert paths["churn_rate_after"].notna().any()
