"""The tuning section: every key checked, the out-of-time rule, infeasible constraints
named before any data is read, and RunConfig delegating to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from segment.config import ConfigError, RunConfig
from segment.horizon import Horizon
from segment.tuning.settings import TuningConfig

ROOT = Path(__file__).resolve().parents[2]
BASE = {"judged_origin": "1998-03-31", "fold_origins": ["1997-06-30", "1997-09-30", "1997-12-31"],
        "indicators": ["monetary_total", "profit", "growth_trend", "recency_days"]}
RUN = {"output_name": "x", "data": {"dataset": "cdnow_sample"}, "as_of": "1998-06-30", "horizon_days": 90,
       "methods": {"weighted": {"weights": {"profit": 1.0}}}}


def parse(**patch):
    return TuningConfig.from_dict({**BASE, **patch}, source="t.yaml", horizon_days=90, method_params={})


def test_defaults_and_round_trip():
    cfg = parse()
    assert cfg.horizon == Horizon(90) and cfg.grid_step == 0.1 and cfg.objective_metric == "top_tier_profit_capture"
    again = TuningConfig.from_dict(cfg.to_dict(), source="t.yaml", horizon_days=273)
    assert again == cfg  # the horizon is stored, not re-defaulted


def test_indicators_default_to_the_weighted_methods_weights():
    cfg = TuningConfig.from_dict({k: v for k, v in BASE.items() if k != "indicators"}, horizon_days=90,
                                 method_params={"weights": {"profit": 0.5, "recency_days": 0.5}})
    assert cfg.indicators == ("profit", "recency_days")


@pytest.mark.parametrize("patch, message", [
    ({"grid_stpe": 0.1}, r"tuning: unknown key\(s\) \['grid_stpe'\]"),
    ({"objective": {"metric": "top_tier_profit_capture", "churn_wieght": 1}}, r"objective: unknown key\(s\) \['churn_wieght'\]"),
    ({"constraints": {"max_share": {"A": 0.2}}}, r"constraints: unknown key\(s\) \['max_share'\]"),
    ({"objective": {"metric": "revenue"}}, "objective.metric='revenue' is not one of"),
    ({"judged_origin": "1998-02-30"}, "judged_origin='1998-02-30' is not a date"),
    ({"fold_origins": ["1997-06-30", 19970930]}, r"fold_origins=19970930 is not a date \(YYYY-MM-DD\)"),
    ({"fold_origins": "1997-06-30"}, "fold_origins must be a list"),
    ({"grid_step": 0.3}, "grid_step=0.3 must divide 1"),
    ({"indicators": ["profit"]}, "at least two indicators"),
    ({"indicators": ["profit", "profit"]}, "duplicates"),
    ({"constraints": {"fixed_weights": {"frequency": 0.2}}}, "fixed_weights.frequency is not one of the tuned"),
    ({"constraints": {"max_tier_share": {"D": 0.2}}}, r"max_tier_share.D is not a tier"),
    ({"n_boot": -1}, "n_boot must be an integer >= 0"),
    ({"fold_aggregate": "median"}, "fold_aggregate='median'"),
])
def test_bad_keys_and_values_are_named(patch, message):
    with pytest.raises(ConfigError, match=message):
        parse(**patch)


@pytest.mark.parametrize("key", ["judged_origin", "fold_origins"])
def test_required(key):
    with pytest.raises(ConfigError, match=f"tuning.{key} is required"):
        TuningConfig.from_dict({k: v for k, v in BASE.items() if k != key}, horizon_days=90)


def test_a_fold_whose_window_reaches_the_judged_window_is_refused():
    # 1997-12-31 + 91 days = 1998-04-01: one day inside the judged window
    with pytest.raises(ConfigError, match=r"fold at 1997-12-31 has its outcome window \(1997-12-31, 1998-04-01\] "
                                          r"ending after the judged origin 1998-03-31"):
        TuningConfig.from_dict(BASE, horizon_days=91)
    assert parse(horizon_days=90).fold_origins[-1] == "1997-12-31"  # 90 days end exactly on it: allowed


def test_a_calendar_horizon_checks_the_folds_by_calendar_arithmetic():
    # 1997-12-31 + 1Q = 1998-03-31: exactly the judged origin (91 days would reach past it)
    cfg = parse(horizon="1Q")
    assert cfg.horizon == Horizon(1, "Q") and cfg.to_dict()["horizon"] == "1Q" and "horizon_days" not in cfg.to_dict()
    assert TuningConfig.from_dict(cfg.to_dict(), source="t.yaml", horizon_days=273) == cfg  # stored, not re-defaulted
    with pytest.raises(ConfigError, match=r"fold at 1997-12-31 has its outcome window \(1997-12-31, 1998-06-30\] "
                                          r"ending after the judged origin 1998-03-31"):
        parse(horizon="2q")
    in_days = parse(horizon="90D")  # days given as text: stored as days
    assert in_days.horizon == Horizon(90) and in_days.to_dict()["horizon_days"] == 90
    run_default = TuningConfig.from_dict({**BASE, "fold_origins": ["1997-06-30", "1997-09-30"]},
                                         horizon_days=Horizon(6, "M"))
    assert run_default.horizon == Horizon(6, "M")  # the run's calendar horizon is the default


@pytest.mark.parametrize("patch, message", [
    ({"horizon": "2X"}, r"^t.yaml: tuning.horizon: '2X' is not a horizon \(allowed: a positive whole number of days"),
    ({"horizon": 0}, r"^t.yaml: tuning.horizon: 0 is not a horizon"),
    ({"horizon": "1Q", "horizon_days": 90}, r"^t.yaml: tuning: give horizon or horizon_days, not both$"),
    ({"horizon_days": "1Q"}, r"^t.yaml: tuning.horizon_days must be a positive integer, got '1Q'$"),
])
def test_bad_tuning_horizons_are_named(patch, message):
    with pytest.raises(ConfigError, match=message):
        parse(**patch)


@pytest.mark.parametrize("constraints, message", [
    ({"fixed_weights": {"profit": 0.7, "recency_days": 0.5}}, "fixed_weights sum to 1.2 > 1"),
    ({"fixed_weights": {"profit": 0.6}, "min_weight": 0.2}, r"fixed weights \(0.6\) plus the minimum weights"),
    ({"min_weight": 0.26}, r"fixed weights \(0\) plus the minimum weights of the other indicators \(1.04\) exceed 1"),
    ({"min_weight": {"profit": 0.35, "recency_days": 0.35, "growth_trend": 0.25}}, "no point of the grid"),
    ({"fixed_weights": {"monetary_total": 0.25, "profit": 0.25, "growth_trend": 0.25, "recency_days": 0.25}},
     "fix every indicator"),
    ({"fixed_weights": {"profit": 0.1}, "min_weight": {"profit": 0.2}}, "profit is fixed at 0.1, below its min_weight"),
    ({"max_tier_share": {"A": 0.15}}, r"tier A at most 0.15 is infeasible: the weighted method cuts A at the top 0.2"),
    ({"max_tier_share": {"B": 0.2}, "min_tier_share": {"B": 0.3}}, "tier B has min_tier_share 0.3 above its max"),
])
def test_infeasible_constraints_are_clear_errors(constraints, message):
    with pytest.raises(ConfigError, match=message):
        parse(constraints=constraints)


def test_a_tier_cap_below_the_cut_share_is_fine_with_fixed_cuts():
    cfg = TuningConfig.from_dict({**BASE, "constraints": {"max_tier_share": {"A": 0.1}}}, horizon_days=90,
                                 method_params={"tier_cuts": [0.8, 0.5]})
    assert cfg.max_tier_share == {"A": 0.1}


def test_too_large_a_grid_is_refused():
    with pytest.raises(ConfigError, match="use a coarser grid_step"):
        parse(grid_step=0.01)


def test_run_config_delegates_and_names_the_file():
    cfg = RunConfig.from_dict({**RUN, "tuning": BASE}, source="q.yaml")
    assert cfg.tuning["constraints"]["min_weight"] == {} and cfg.tuning["horizon_days"] == 90
    assert RunConfig.from_dict(cfg.to_dict(), source="q.yaml") == cfg
    with pytest.raises(ConfigError, match=r"q.yaml: tuning: unknown key\(s\) \['folds'\]"):
        RunConfig.from_dict({**RUN, "tuning": {**BASE, "folds": []}}, source="q.yaml")
    with pytest.raises(ConfigError, match="q.yaml: tuning.judged_origin is required"):
        RunConfig.from_dict({**RUN, "tuning": {}}, source="q.yaml")


@pytest.mark.parametrize("name", ["cdnow_tuning.yaml", "quick_cdnow_sample_tuning.yaml"])
def test_bundled_tuning_configs(name):
    cfg = RunConfig.from_yaml(ROOT / "configs" / name)
    assert cfg.tuning["judged_origin"] == "1998-03-31" and cfg.tuning["horizon_days"] == 90
