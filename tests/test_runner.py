"""The runner: fits shared through the work cache by content (method, parameters,
provisional rule, the table), nothing kept above ``keep_max_rows``; the backtest's gradings
reuse the run's own; tuning reads an extract as of its judged origin."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from segment import workcache
from segment.config import RunConfig
from segment.grading import GradingSpec, MethodSpec
from segment.horizon import Horizon
from segment.runner import Runner, search_extract
from tests.helpers import tx


@pytest.fixture()
def features():
    idx = pd.Index([f"c{i}" for i in range(40)], name="customer_id")
    f = pd.DataFrame({"monetary_total": [float(i % 7 + 1) for i in range(40)], "tenure_days": 400.0}, index=idx)
    f["profit"] = f["monetary_total"] * 0.25
    return f


def spec(provisional_days: int = 182, **params) -> GradingSpec:
    return GradingSpec({"abc_revenue": MethodSpec("abc_revenue", params)}, provisional_days=provisional_days)


def runner(cache=None) -> Runner:
    loaded = SimpleNamespace(transactions=None, customers=None, first_day="2023-01-01", data_end="2024-01-01")
    return Runner(loaded, spec(), cache=cache)


def test_a_fit_is_reused_only_for_the_same_method_parameters_and_table(features):
    cache = workcache.WorkCache()
    r = runner(cache)
    a1 = r.grade_at("2024-01-01", features).assignments
    a2 = r.grade_at("2024-01-01", features.copy()).assignments  # equal content, another object: reused
    assert cache.summary()["fit"] == {"computed": 1, "reused": 1}
    r.grade_at("2024-01-01", features, spec=spec(cut_shares=(0.5, 0.9)))  # other parameters
    r.grade_at("2024-01-01", features, spec=spec(90))  # other provisional_days
    changed = features.copy()
    changed.iloc[0, 0] += 1.0
    r.grade_at("2024-01-01", changed)  # other content
    assert cache.summary()["fit"] == {"computed": 4, "reused": 1}
    pd.testing.assert_frame_equal(a1["abc_revenue"], a2["abc_revenue"])


def test_work_on_tables_above_keep_max_rows_is_not_kept(features):
    cache = workcache.WorkCache(keep_max_rows=len(features) - 1)
    r = runner(cache)
    a1 = r.grade_at("2024-01-01", features).assignments
    a2 = r.grade_at("2024-01-01", features).assignments  # computed again: nothing was kept
    assert cache.store == {} and "fit" not in cache.summary()
    f1 = cache.features("data", "2024-01-01", {}, lambda: features)
    f2 = cache.features("data", "2024-01-01", {}, lambda: features.copy())
    assert f1 is features and f2 is not features and cache.summary()["features"] == {"computed": 2, "reused": 0}
    pd.testing.assert_frame_equal(a1["abc_revenue"], a2["abc_revenue"])
    cache = workcache.WorkCache(keep_max_rows=len(features))
    r = runner(cache)
    r.grade_at("2024-01-01", features)
    r.grade_at("2024-01-01", features)
    assert cache.summary()["fit"] == {"computed": 1, "reused": 1}  # at the limit: kept


def test_without_a_cache_every_fit_is_made(features):
    r = runner()
    a = r.grade_at("2024-01-01", features).assignments["abc_revenue"]
    b = r.grade_at("2024-01-01", features).assignments["abc_revenue"]
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["tier", "score", "provisional"]


def test_search_extract_hides_orders_and_payments_after_the_judged_origin():
    t = pd.DataFrame({"customer_id": ["a", "a", "b"],
                      "order_ts": pd.to_datetime(["2024-01-10 00:00", "2024-03-31 23:00", "2024-04-01 00:00"]),
                      "paid_date": pd.to_datetime(["2024-01-20", "2024-04-15", "2024-04-02"])})
    e = search_extract(t, "2024-03-31")
    assert list(e["order_ts"].dt.date.astype(str)) == ["2024-01-10", "2024-03-31"]  # the day itself is in
    assert e["paid_date"].isna().tolist() == [False, True]  # paid after the judged origin: unknown then


def test_a_calendar_config_gives_the_spec_its_horizon():
    raw = {"output_name": "x", "data": {"dataset": "cdnow_sample"}, "as_of": "1997-12-31",
           "methods": {"abc_revenue": {}}, "provisional_days": 90}
    calendar = GradingSpec.from_config(RunConfig.from_dict({**raw, "horizon": "2Q"}))
    assert calendar.horizon_days == Horizon(2, "Q") and calendar.provisional_days == 90
    days_config = RunConfig.from_dict({**raw, "horizon_days": 182})
    assert GradingSpec.from_config(days_config).horizon_days == 182  # days: an int, as it always was
    assert calendar.methods == GradingSpec.from_config(days_config).methods
    assert calendar.feature_kwargs == GradingSpec.from_config(days_config).feature_kwargs


@pytest.mark.parametrize("horizon, judged", [(Horizon(2, "Q"), ["1997-09-30", "1997-12-31"]),
                                             (182, ["1997-09-30"])])
def test_backtest_outcomes_where_the_whole_calendar_window_is_in_the_data(horizon, judged):
    """Data to 1998-06-30: 1997-12-31 + 2Q = 1998-06-30 has its outcomes; + 182 days = 1998-07-01 has not."""
    log = tx([(c, d, 10.0) for c in ("a", "b", "c") for d in ("1997-01-15", "1997-11-02", "1998-02-10", "1998-06-30")])
    loaded = SimpleNamespace(transactions=log, customers=None, first_day="1997-01-15", data_end="1998-06-30")
    r = Runner(loaded, GradingSpec({"abc_revenue": MethodSpec("abc_revenue")}, horizon_days=horizon,
                                   feature_kwargs={"gross_margin": 0.25}))
    graded = {g.as_of: g for g in r.gradings(["1997-09-30", "1997-12-31", "1998-03-31"])}
    assert [d for d, g in graded.items() if g.outcomes is not None] == judged
    last = graded[judged[-1]].outcomes
    assert last.attrs["outcome_window"][1] == {"1997-09-30": "1998-03-31", "1997-12-31": "1998-06-30"}[judged[-1]]
    assert last["orders_outcome"].tolist() == [2, 2, 2]  # 1997-12-31 + 2Q: 1998-02-10 and the last day, 1998-06-30


def test_profit_before_is_the_horizon_window_ending_at_the_date_by_the_runs_profit_rule():
    """2Q before 1998-03-31 is (1997-09-30, 1998-03-31]; profit = 25 % of revenue − 2 per order."""
    log = tx([("a", "1997-09-30", 100.0), ("a", "1997-10-01", 40.0), ("a", "1998-03-31", 20.0),
              ("a", "1998-04-01", 500.0), ("b", "1998-01-05", 8.0)])
    loaded = SimpleNamespace(transactions=log, customers=None, first_day="1997-09-30", data_end="1998-06-30")
    r = Runner(loaded, GradingSpec({"abc_revenue": MethodSpec("abc_revenue")}, horizon_days=Horizon(2, "Q"),
                                   feature_kwargs={"gross_margin": 0.25, "cost_per_order": 2.0, "trend_window_days": 91}))
    got = r.profit_before("1998-03-31")(pd.Series(["b", "a", "c"]))
    assert got.to_dict() == pytest.approx({"b": 0.25 * 8 - 2, "a": 0.25 * 60 - 2 * 2, "c": 0.0})


def test_a_grading_carries_its_feature_table_only_when_asked():
    """keep_features: each grading holds the table it was graded on, the runner's own features_at
    table (one scan with the outcomes where the window is in the data, else the features alone)."""
    log = tx([(c, d, 10.0 + i) for i, c in enumerate("abc") for d in ("1997-01-15", "1997-11-02", "1998-02-10")])
    loaded = SimpleNamespace(transactions=log, customers=None, first_day="1997-01-15", data_end="1998-06-30")
    r = Runner(loaded, GradingSpec({"abc_revenue": MethodSpec("abc_revenue")}, horizon_days=Horizon(2, "Q"),
                                   feature_kwargs={"gross_margin": 0.25}))
    origins = ["1997-09-30", "1998-03-31"]  # with outcomes, without
    assert all(g.features is None for g in r.gradings(origins))
    kept = list(r.gradings(origins, keep_features=True))
    assert [g.outcomes is not None for g in kept] == [True, False]
    for g in kept:
        pd.testing.assert_frame_equal(g.features, r.features_at(g.as_of))


def test_outcomes_of_a_date_with_its_window_in_the_data_come_from_the_features_scan(monkeypatch):
    """features_at builds the outcomes in the same scan when the data covers the horizon after the
    date (identical to build_outcomes); outcomes_at takes them once; a date without a full window,
    or asked again, is scanned for its outcomes alone."""
    import segment.runner as runner_module
    from segment.outcomes import build_outcomes

    log = tx([(c, d, 10.0 + i) for i, c in enumerate("abc") for d in ("1997-01-15", "1997-11-02", "1998-02-10")])
    loaded = SimpleNamespace(transactions=log, customers=None, first_day="1997-01-15", data_end="1998-06-30")
    spec = GradingSpec({"abc_revenue": MethodSpec("abc_revenue")}, horizon_days=Horizon(2, "Q"),
                       feature_kwargs={"gross_margin": 0.25, "cost_per_order": 1.0})
    r = Runner(loaded, spec)
    alone = {d: build_outcomes(log, as_of=d, horizon_days=Horizon(2, "Q"), data_end="1998-06-30", gross_margin=0.25,
                               cost_per_order=1.0) for d in ("1997-09-30", "1997-12-31")}
    scans = []
    monkeypatch.setattr(runner_module, "build_outcomes", lambda *a, **k: scans.append(k["as_of"]) or build_outcomes(*a, **k))
    r.features_at("1997-09-30")
    pd.testing.assert_frame_equal(r.outcomes_at("1997-09-30"), alone["1997-09-30"])
    assert scans == []  # from the features' scan
    pd.testing.assert_frame_equal(r.outcomes_at("1997-09-30"), alone["1997-09-30"])
    r.features_at("1998-03-31")  # 1998-03-31 + 2Q is after the data: the features alone
    pd.testing.assert_frame_equal(r.outcomes_at("1997-12-31"), alone["1997-12-31"])
    assert scans == ["1997-09-30", "1997-12-31"]
