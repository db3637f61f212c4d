"""No outcome row feeds a tier, and the whole validation suite runs on a real config."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from types import SimpleNamespace

from segment.data.synthetic import generate_b2b
from segment.grading import Grading, GradingSpec, MethodSpec
from segment.methods.registry import METHODS
from segment.pipeline import run_pipeline
from segment.runner import Runner
from segment.validation.settings import ValidationSettings
from segment.validation.suite import validate_all, with_published

AS_OF = "2022-09-30"
FKW = {"lookback_months": None, "trend_window_days": 91, "gross_margin": None, "cost_per_order": 0.0}
METHOD_PARAMS = {name: ({"n_clusters": 4} if name == "kmeans" else {"max_iter": 30} if name == "supervised" else {})
                 for name in METHODS}


def grade(tx):
    spec = GradingSpec({name: MethodSpec(name, p) for name, p in METHOD_PARAMS.items()}, horizon_days=180,
                       feature_kwargs=FKW)
    loaded = SimpleNamespace(transactions=tx, customers=None, first_day=tx["order_ts"].min().date(),
                             data_end=tx["order_ts"].max().date())
    runner = Runner(loaded, spec)
    return runner.grade_at(AS_OF, runner.features_at(AS_OF)).assignments


def test_perturbing_outcome_window_rows_changes_no_tier():
    tx = generate_b2b(500, start="2021-01-01", end="2023-12-31", random_state=13).transactions
    before = grade(tx)
    after_cut = tx["order_ts"] > pd.Timestamp(AS_OF) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    perturbed = tx.copy()
    perturbed.loc[after_cut, "amount"] *= 10
    perturbed.loc[after_cut, "cost"] = 0.0
    perturbed.loc[after_cut, "paid_date"] = pd.NaT
    extra = perturbed[after_cut].head(200).assign(order_id=lambda d: "X" + d["order_id"])
    after = grade(pd.concat([perturbed, extra], ignore_index=True))
    assert after_cut.sum() > 1000
    for name in METHODS:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)


def test_suite_on_the_quick_real_config():
    r = run_pipeline("configs/quick_cdnow_sample.yaml")
    t = r.validation.tables()
    board = t["leaderboard"].set_index("method")
    methods = [m for m in board.index if not board.loc[m, "reference"]]
    assert set(methods) == set(r.config.methods)
    assert (board.loc[methods, "top20_capture_ci_low"] <= board.loc[methods, "top20_profit_capture"]).all()
    assert (board.loc[methods, "top20_profit_capture"] <= board.loc["perfect hindsight (reference)", "top20_profit_capture"]).all()
    for name in ("per_tier", "metric_intervals", "model_effects", "model_fit", "agreement", "disagreements",
                 "backtest", "backtest_stability", "migration_paths", "migration_summary", "early_warning",
                 "warning_check"):
        assert len(t[name]) > 0, name
    assert set(t["backtest"]["origin"]) == {"1997-03-31", "1997-06-30", "1997-09-30"}
    assert set(r.validation.curves["method"]) >= set(methods)
    per = t["per_tier"]
    assert (per.groupby("method")["customers"].sum() == len(r.outcomes)).all()
    assert np.isfinite(t["model_fit"]["profit_aic"]).all()
    capacity = t["capacity"].set_index("method")
    assert list(capacity.index) == [*capacity.index[:-2], "hindsight", "random"]
    assert set(capacity.index[:-2]) == set(methods) and (capacity["key_accounts"] == 2000).all()
    served = t["capacity_curve"][t["capacity_curve"]["customers_served"] == 2000].set_index("method")
    assert served["profit_covered"].to_dict() == pytest.approx(capacity["profit_covered"].to_dict())
    diffs = t["capacity_differences"]
    assert list(dict.fromkeys(diffs["reference"])) == ["recommended", "abc", "random"]  # nothing published yet
    assert (diffs.loc[diffs["reference"] == "recommended", "reference_method"] == r.validation.recommended.method).all()
    assert (diffs.loc[diffs["reference"] == "abc", "reference_method"] == "abc_revenue").all()


def test_capacity_against_the_published_grading():
    """``validate_all`` compares with the grading the previous run published, at the capacity given;
    ``with_published`` adds that comparison afterwards, to the same table."""
    r = run_pipeline("configs/quick_cdnow_sample.yaml")
    graded = {"at_origin": Grading(r.origin, {}, r.origin_assignments, outcomes=r.outcomes),
              "origin_features": r.origin_features, "current": Grading(r.config.as_of, {}, r.assignments),
              "current_features": r.features, "horizon_days": r.config.horizon_days, "key_accounts": 300}
    v = validate_all(ValidationSettings(n_boot=20), **graded, published="rfm")
    first = validate_all(ValidationSettings(n_boot=20), **graded)
    assert first.published is None and "published" not in set(first.capacity_differences["reference"])
    later = with_published(first, "rfm")
    assert later.published == "rfm"
    pd.testing.assert_frame_equal(later.capacity_differences, v.capacity_differences)
    assert (v.capacity["key_accounts"] == 300).all()
    d = v.capacity_differences.set_index(["method", "reference"])
    assert set(d.index.get_level_values("reference")) == {"recommended", "published", "abc", "random"}
    assert d.loc[("rfm", "published"), ["difference", "low", "high"]].tolist() == [0.0, 0.0, 0.0]
    covered = v.capacity.set_index("method")["profit_covered"]
    assert d.loc[("kmeans", "published"), "difference"] == covered["kmeans"] - covered["rfm"]
