"""`segment report-all` shares work between configs (segment.workcache) without changing a
single number: a config run after another one, from the shared cache, gives byte-identical
tier and validation tables to a run alone; each run still gets its own folder."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from segment import workcache
from segment.pipeline import fit_methods
from segment.reporting.run import run_configs
from tests.reporting.conftest import CONFIG, digest


def test_cached_runs_equal_a_run_alone(two_runs, tmp_path):
    _, alone, _, _ = two_runs
    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["report"]["notebooks"] = ["leadership_summary"]  # the tables do not depend on the notebooks
    path = tmp_path / "quick.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))  # same order: the weighted score sums weights in order
    outcomes = run_configs([path, path], tmp_path / "reports", progress=lambda m: None)
    assert [e for _, _, e in outcomes] == [None, None]
    first, second = (final for _, final, _ in outcomes)
    assert first != second and first.exists() and second.exists()
    names = ["tiers.csv", "tiers.parquet", *[f"validation/{p.name}" for p in (alone / "validation").glob("*.csv")]]
    for name in names:
        assert digest(second / name) == digest(alone / name), name  # second: every fit reused
        assert digest(first / name) == digest(alone / name), name


def test_report_all_goes_on_after_a_broken_config(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("output_name: x\n")
    outcomes = run_configs([bad], tmp_path / "reports", progress=lambda m: None)
    assert outcomes[0][1] is None and "is required" in str(outcomes[0][2])


@pytest.fixture()
def features():
    idx = pd.Index([f"c{i}" for i in range(40)], name="customer_id")
    f = pd.DataFrame({"monetary_total": [float(i % 7 + 1) for i in range(40)], "tenure_days": 400.0}, index=idx)
    f["profit"] = f["monetary_total"] * 0.25
    return f


def test_a_fit_is_reused_only_for_the_same_method_parameters_and_table(features):
    methods = {"abc_revenue": {}}
    with workcache.using() as cache:
        _, a1 = fit_methods(features, methods, 182, {})
        _, a2 = fit_methods(features.copy(), methods, 182, {})  # equal content, another object: reused
        assert cache.summary()["fit"] == {"computed": 1, "reused": 1}
        fit_methods(features, {"abc_revenue": {"cut_shares": (0.5, 0.9)}}, 182, {})  # other parameters
        fit_methods(features, methods, 90, {})  # other provisional_days
        changed = features.copy()
        changed.iloc[0, 0] += 1.0
        fit_methods(changed, methods, 182, {})  # other content
        assert cache.summary()["fit"] == {"computed": 4, "reused": 1}
    pd.testing.assert_frame_equal(a1["abc_revenue"], a2["abc_revenue"])


def test_work_on_tables_above_keep_max_rows_is_not_kept(features):
    methods = {"abc_revenue": {}}
    with workcache.using(workcache.WorkCache(keep_max_rows=len(features) - 1)) as cache:
        _, a1 = fit_methods(features, methods, 182, {})
        _, a2 = fit_methods(features, methods, 182, {})  # computed again: nothing was kept
        assert cache.store == {} and "fit" not in cache.summary()
        f1 = cache.features("data", "2024-01-01", {}, lambda: features)
        f2 = cache.features("data", "2024-01-01", {}, lambda: features.copy())
        assert f1 is features and f2 is not features and cache.summary()["features"] == {"computed": 2, "reused": 0}
    pd.testing.assert_frame_equal(a1["abc_revenue"], a2["abc_revenue"])
    with workcache.using(workcache.WorkCache(keep_max_rows=len(features))) as cache:
        fit_methods(features, methods, 182, {})
        fit_methods(features, methods, 182, {})
        assert cache.summary()["fit"] == {"computed": 1, "reused": 1}  # at the limit: kept
