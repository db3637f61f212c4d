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
    first, second = g[0].assignments["abc_profit"], g[1].assignments["abc_profit"]
    assert s["customers_in_both"] == len(first)
    assert s["new_customers"] == len(second) - len(first)
    assert 0 < s["stable_share"] < 1
    assert paths["customers"].sum() == len(second.index.union(first.index))
    assert paths["churn_rate_after"].notna().any()


def test_a_known_grading_is_used_as_it_is_and_equals_a_fresh_one(book):
    """What validate_all passes for the run's validation origin (features from build_features,
    outcomes from build_outcomes, methods fitted by the pipeline) is what the backtest would
    have computed itself."""
    import pandas as pd

    from segment.features import build_features
    from segment.outcomes import build_outcomes
    from segment.pipeline import fit_methods
    from segment.validation.backtest import OriginGrading, rolling_leaderboard, rolling_tables

    origins = ["2022-06-30", "2022-12-31", "2023-09-30"]
    kw = dict(horizon_days=182, methods=METHODS, feature_kwargs=FKW, customers=book.customers)
    fresh = grade_at_origins(book.transactions, origins, **kw)
    f = build_features(book.transactions, as_of="2022-12-31", customers=book.customers, **FKW)
    _, assigned = fit_methods(f, METHODS, 182, {})
    o = build_outcomes(book.transactions, as_of="2022-12-31", horizon_days=182,
                       data_end=book.transactions["order_ts"].max())
    known = OriginGrading("2022-12-31", o, assigned)
    reused = grade_at_origins(book.transactions, origins, **kw, known={"2022-12-31": known})
    assert reused[1] is known
    pd.testing.assert_frame_equal(rolling_leaderboard(reused), rolling_leaderboard(fresh))
    for got, expected in zip(migration(reused), migration(fresh)):
        pd.testing.assert_frame_equal(got, expected)
    rolled = rolling_tables(book.transactions, origins, **kw, known={"2022-12-31": known})  # one origin at a time
    pd.testing.assert_frame_equal(rolled["backtest"], rolling_leaderboard(fresh))
    pd.testing.assert_frame_equal(rolled["migration_paths"], migration(fresh)[0])
    pd.testing.assert_frame_equal(rolled["migration_summary"], migration(fresh)[1])
    assert rolled["origins_without_outcomes"] == ["2023-09-30"]
    with pytest.raises(ValueError, match="2023-09-30.*has outcomes"):
        grade_at_origins(book.transactions, origins, **kw, known={"2023-09-30": known})
