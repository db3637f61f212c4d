"""Rolling-origin backtest on a small synthetic book: the runner grades the origins one at a
time, the backtest only judges them."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from segment.data.synthetic import generate_b2b
from segment.grading import Grading, GradingSpec, MethodSpec
from segment.runner import Runner
from segment.validation.backtest import backtest_stability, rolling_tables
from segment.validation.migration import migration_tables, pair_migration

FKW = {"trend_window_days": 91}
METHODS = {"abc_revenue": {}, "abc_profit": {}, "rfm": {}}
ORIGINS = ["2022-06-30", "2022-12-31", "2023-09-30"]  # the last has no full 182-day window


@pytest.fixture(scope="module")
def book():
    return generate_b2b(400, start="2021-01-01", end="2023-12-31", random_state=5)


def migration(g):
    """(paths, summary) over consecutive gradings, as the backtest makes them."""
    return migration_tables([pair_migration(a, b) for a, b in zip(g, g[1:])])


def runner(book, methods=METHODS) -> Runner:
    tx = book.transactions
    loaded = SimpleNamespace(transactions=tx, customers=book.customers, first_day=tx["order_ts"].min().date(),
                             data_end=tx["order_ts"].max().date())
    spec = GradingSpec({n: MethodSpec(n, p) for n, p in methods.items()}, horizon_days=182, feature_kwargs=FKW)
    return Runner(loaded, spec)


def test_the_backtest_is_tidy_and_ranks_every_origin_with_outcomes(book):
    rolled = rolling_tables(runner(book).gradings(ORIGINS), n_boot=20)
    table = rolled["backtest"]
    assert sorted(table["origin"].unique()) == ["2022-06-30", "2022-12-31"]
    assert rolled["origins_without_outcomes"] == ["2023-09-30"] and rolled["left_out"] == []
    methods = table[~table["reference"]]
    assert set(methods["method"]) == set(METHODS) and len(methods) == 6
    assert (methods.groupby("origin")["rank"].min() == 1).all()
    assert methods["top20_capture_ci_low"].notna().all()
    stab = backtest_stability(table)
    assert set(stab["method"]) == set(METHODS) and stab["times_best"].sum() >= 2
    assert (stab["origins"] == 2).all()


def test_migration_between_origins(book):
    g = list(runner(book, {"abc_profit": {}}).gradings(["2022-06-30", "2022-12-31"]))
    paths, summary = migration(g)
    assert len(summary) == 1
    s = summary.iloc[0]
    first, second = g[0].assignments["abc_profit"], g[1].assignments["abc_profit"]
    assert s["customers_in_both"] == len(first)
    assert s["new_customers"] == len(second) - len(first)
    assert 0 < s["stable_share"] < 1
    assert paths["customers"].sum() == len(second.index.union(first.index))
    assert paths["churn_rate_after"].notna().any()


def test_a_known_grading_is_used_as_it_is_and_equals_a_fresh_one(book):
    """What the pipeline passes for the run's validation origin (features and outcomes built
    separately, methods graded by the runner) is what the backtest would have made itself."""
    r = runner(book)
    fresh = list(r.gradings(ORIGINS))
    f = r.features_at("2022-12-31")
    known = Grading("2022-12-31", {}, r.grade_at("2022-12-31", f).assignments, outcomes=r.outcomes_at("2022-12-31"))
    reused = list(r.gradings(ORIGINS, known={"2022-12-31": known}))
    assert reused[1] is known
    for got, expected in zip(migration(reused), migration(fresh)):
        pd.testing.assert_frame_equal(got, expected)
    a, b = rolling_tables(iter(reused)), rolling_tables(iter(fresh))
    for name in ("backtest", "migration_paths", "migration_summary"):
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    with pytest.raises(ValueError, match="2023-09-30.*has outcomes"):
        list(r.gradings(ORIGINS, known={"2023-09-30": known}))
