"""The runner: fits shared through the work cache by content (method, parameters,
provisional rule, the table), nothing kept above ``keep_max_rows``; the backtest's gradings
reuse the run's own; tuning reads an extract as of its judged origin."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from segment import workcache
from segment.grading import GradingSpec, MethodSpec
from segment.runner import Runner, search_extract


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
