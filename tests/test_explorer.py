"""The weight explorer (segment.explorer): the update against a full run, hand-computed captures
on a small table, the paired intervals against the leaderboard's, bad input as a message, and
the fragment back through the config check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from segment import explorer as ex_module
from segment.config import check_config, read_yaml
from segment.errors import ConfigError
from segment.explorer import CAPACITY, CAPTURE, DEFAULTS, IN_CONFIG, THESE, TUNED, Explorer, read_tuned_weights
from segment.tuning.evaluate import method_for
from segment.validation.leaderboard import paired_differences

QUICK = Path(__file__).resolve().parents[1] / "configs" / "quick_cdnow_sample.yaml"

# ten customers; profit to date 10, 20, ..., 100 (c9 best); outcome profit hand-chosen
PROFIT_TO_DATE = [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100]
REVENUE = [100.0, 90, 80, 70, 60, 50, 40, 30, 20, 10]  # the reverse order
OUTCOME_PROFIT = [1.0, 0, 2, 0, 5, 0, 10, 20, 30, 32]  # total 100


def small_tables(copies: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ten customers; ``copies`` > 1: that many customers like each (ids ``c<i>_<copy>``)."""
    ids = [f"c{i}" if copies == 1 else f"c{i}_{k:02d}" for i in range(10) for k in range(copies)]
    idx = pd.Index(ids, name="customer_id")

    def rep(values):
        return np.repeat(np.asarray(values, dtype=float), copies)

    features = pd.DataFrame({"monetary_total": rep(REVENUE), "profit": rep(PROFIT_TO_DATE),
                             "recency_days": rep([5.0] * 10), "tenure_days": rep([400.0] * 10)}, index=idx)
    outcomes = pd.DataFrame({"churned": rep(OUTCOME_PROFIT) == 0, "profit_outcome": rep(OUTCOME_PROFIT)}, index=idx)
    return features, outcomes


def small(copies: int = 1, **kw) -> Explorer:
    features, outcomes = small_tables(copies)
    args = {"origin": "2020-12-31", "window_end": "2021-06-30", "method_params": {"weights": {"profit": 1.0}},
            "key_accounts": 3, "n_boot": 200, "random_state": 0, **kw}
    return Explorer(features, outcomes, **args)


# ------------------------------------------------------------------ against a full run
@pytest.fixture(scope="module")
def quick_run():
    from segment.pipeline import run_pipeline

    return run_pipeline(QUICK)


@pytest.fixture(scope="module")
def quick_explorer():
    return Explorer.from_config(QUICK)


def test_the_configs_weights_give_the_runs_tiers_and_top_tier_capture(quick_run, quick_explorer):
    ex = quick_explorer
    assert ex.origin == quick_run.origin
    view = ex.update(ex.config_weights, ex.tier_shares)
    assert view.message is None
    run_tiers = quick_run.origin_assignments["weighted"]["tier"]
    pd.testing.assert_series_equal(view.tiers, run_tiers, check_names=False)
    board = quick_run.validation.leaderboard.set_index("method")
    assert view.figures.iloc[0][CAPTURE] == board.loc["weighted", "top_tier_profit_capture"]  # exactly
    sizes = run_tiers.value_counts(sort=False)
    assert view.tier_sizes.set_index("tier")["customers"].to_dict() == {str(k): int(v) for k, v in sizes.items()}


def test_the_configs_weights_give_the_runs_capacity_figure(quick_run, quick_explorer):
    from segment.validation.capacity import capacity_table

    ex = quick_explorer
    view = ex.update(ex.config_weights, ex.tier_shares)
    table, _ = capacity_table({"weighted": quick_run.origin_assignments["weighted"]}, quick_run.outcomes,
                              key_accounts=ex.key_accounts, references={}, n_boot=0, random_state=0)
    assert view.figures.iloc[0][CAPACITY] == table.set_index("method").loc["weighted", "profit_covered"]  # exactly


def test_other_weights_match_a_run_with_those_weights(quick_explorer):
    """The fast path (precomputed normalised columns) grades as the weighted method itself does."""
    ex = quick_explorer
    weights, shares = {"monetary_total": 0.25, "growth_trend": 0.25, "profit": 0.5}, (0.1, 0.4)
    view = ex.update(weights, shares)
    from segment.runner import Runner
    from segment.config import RunConfig

    cfg = RunConfig.from_yaml(QUICK)
    runner = Runner.load(cfg)
    features = runner.features_at(ex.origin)
    own = method_for(weights, {"tier_shares": shares}, cfg.provisional_days).fit_assign(features)
    pd.testing.assert_series_equal(view.tiers, own["tier"], check_names=False)


def test_difference_against_itself_is_zero_with_a_zero_width_interval(quick_explorer):
    ex = quick_explorer
    d = ex.update(ex.config_weights, ex.tier_shares).differences
    assert set(d["reference"]) == {IN_CONFIG, DEFAULTS}  # the quick config weighs the defaults; nothing tuned
    assert (d[["difference", "low", "high"]] == 0).all().all()
    assert not d["clearly_better"].any() and not d["clearly_worse"].any()


def test_the_fragment_parses_back_and_passes_the_config_check(quick_explorer):
    weights, shares = {"monetary_total": 0.5, "profit": 0.25, "growth_trend": 0.25}, (0.15, 0.45)
    view = quick_explorer.update({**weights, "recency_days": 0.0}, shares)
    entry = yaml.safe_load(view.fragment)["weighted"]
    assert entry["weights"] == weights  # the zero weight is left out: it does nothing
    assert entry["tier_shares"] == list(shares)
    raw = read_yaml(QUICK)
    raw["methods"]["weighted"] = entry
    assert check_config(raw, str(QUICK))["methods"]["weighted"]["weights"] == weights


# ------------------------------------------------------------------ hand computations
def test_captures_by_hand():
    """Weights on profit to date only: A = the top 20 % (c9, c8), B = the next 30 % (c7, c6, c5).
    A made 32 + 30 of 100 outcome profit; the 3 key accounts (c9, c8, c7) made 82."""
    view = small().update({"profit": 1.0}, (0.2, 0.5))
    row = view.figures.set_index("weight_set").loc[THESE]
    assert row[CAPTURE] == pytest.approx(0.62)
    assert row[CAPACITY] == pytest.approx(82.0)
    assert row["key_account_profit_share"] == pytest.approx(0.82)
    assert list(view.tiers[view.tiers == "A"].index) == ["c8", "c9"]
    assert view.tier_sizes["customers"].tolist() == [2, 3, 5]
    assert view.tier_sizes["profit_share"].tolist() == pytest.approx([0.62, 0.30, 0.08])


def test_differences_by_hand_and_their_sign():
    """Revenue alone ranks the reverse way. 20 customers like each of the ten: A = the copies of
    c0, c1 (outcome profit 20 × 1 of 2,000); the 60 key accounts are the copies of c0, c1, c2
    (20 × 3). Against the config (profit: A and key accounts = c9, c8 and c9, c8, c7): capture
    0.01 − 0.62 and capacity 60 − 1,640, both clearly worse."""
    view = small(copies=20, key_accounts=60).update({"monetary_total": 1.0}, (0.2, 0.5))
    d = view.differences.set_index(["reference", "metric"])
    assert d.loc[(IN_CONFIG, CAPTURE), "difference"] == pytest.approx(0.01 - 0.62)
    assert d.loc[(IN_CONFIG, CAPACITY), "difference"] == pytest.approx(60.0 - 1640.0)
    for metric in (CAPTURE, CAPACITY):
        row = d.loc[(IN_CONFIG, metric)]
        assert row["low"] < row["difference"] < row["high"] < 0
        assert bool(row["clearly_worse"]) and not bool(row["clearly_better"])


def test_intervals_are_the_leaderboards_paired_intervals():
    """The same replicates as the leaderboard (validation.random_state): the interval of a
    difference in top-tier capture equals ``paired_differences``' for the same two gradings."""
    features, outcomes = small_tables()
    ex = small(random_state=7)
    a, b = {"profit": 0.5, "monetary_total": 0.5}, {"profit": 1.0}
    view = ex.update(a, (0.2, 0.5))
    mine = view.differences.set_index(["reference", "metric"]).loc[(IN_CONFIG, CAPTURE)]
    assignments = {"a": method_for(a, {}, 182).fit_assign(features), "b": method_for(b, {}, 182).fit_assign(features)}
    theirs = paired_differences(assignments, outcomes, "b", metrics=("top_tier_profit_capture",), n_boot=200,
                                random_state=7).iloc[0]
    assert mine["difference"] == pytest.approx(theirs["difference"], abs=1e-12)
    assert (mine["low"], mine["high"]) == pytest.approx((theirs["ci_low"], theirs["ci_high"]), abs=1e-5)


def test_replicates_redrawn_per_update_give_the_same_intervals(monkeypatch):
    kept = small().update({"monetary_total": 1.0}, (0.2, 0.5)).differences
    monkeypatch.setattr(ex_module, "KEEP_WEIGHTS_MB", 0)
    redrawn_explorer = small()
    assert redrawn_explorer._replicates is None
    redrawn = redrawn_explorer.update({"monetary_total": 1.0}, (0.2, 0.5)).differences
    pd.testing.assert_frame_equal(kept, redrawn)


def test_no_replicates_no_intervals():
    view = small(n_boot=0).update({"monetary_total": 1.0}, (0.2, 0.5))
    assert view.differences["low"].isna().all() and view.differences["clearly_better"].isna().all()
    assert "no interval" in set(view.differences_text()["verdict"])


def test_key_accounts_are_capped_at_the_customers():
    ex = small(key_accounts=50)
    assert ex.key_accounts == 10
    view = ex.update({"profit": 1.0})
    assert view.figures.iloc[0][CAPACITY] == pytest.approx(100.0)
    assert any("all 10 are served" in n for n in view.notes)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("weights, shares, words", [
    ({"profit": -0.2, "monetary_total": 1.0}, (0.2, 0.5), "cannot be negative"),
    ({"profit": 0.0, "monetary_total": 0.0}, (0.2, 0.5), "above zero"),
    ({"credit_status": 1.0}, (0.2, 0.5), "no indicator called credit_status"),
    ({"profit": "lots"}, (0.2, 0.5), "not a number"),
    ({"profit": float("nan")}, (0.2, 0.5), "not a number"),
    ({}, (0.2, 0.5), "at least one weight"),
    ({"profit": 1.0}, (0.5, 0.2), "above the one before"),
    ({"profit": 1.0}, (0.2, 1.5), "at most 100 %"),
    ({"profit": 1.0}, (0.2,), "Give 2 tier shares"),
])
def test_bad_input_gives_a_plain_message(weights, shares, words):
    view = small().update(weights, shares)
    assert view.message is not None and words.lower() in view.message.lower()
    assert view.figures.empty and view.differences.empty and view.fragment == "" and view.tiers is None
    assert "{" not in view.message and "nan" not in view.message.lower()  # no Python repr
    assert view.headline() == view.message


def test_the_sliders_start_at_the_configs_weights_and_shares():
    ex = small()
    settings = ex.slider_settings()
    weights, shares = ex.values_from({key: s["value"] for key, s in settings.items()})
    assert {k: v for k, v in weights.items() if v} == {"profit": 1.0}
    assert set(weights) == {"monetary_total", "profit", "recency_days"}  # what this table offers
    assert shares == (0.2, 0.5)
    assert all(s["min"] <= s["value"] <= s["max"] for s in settings.values())


# ------------------------------------------------------------------ tuned weights
def test_tuned_weights_from_a_run_folder(tmp_path):
    folder = tmp_path / "run" / "tuning"
    folder.mkdir(parents=True)
    (folder / "tuned_weights.yaml").write_text(
        "# tuned\nmethods:\n  weighted:\n    weights: {monetary_total: 0.3, profit: 0.7}\n", encoding="utf-8")
    assert read_tuned_weights(folder / "tuned_weights.yaml") == {"monetary_total": 0.3, "profit": 0.7}
    ex = small(tuned=read_tuned_weights(folder / "tuned_weights.yaml"))
    d = ex.update({"profit": 1.0}).differences
    assert TUNED in set(d["reference"])


def test_tuned_weights_from_the_configs_tuning_section():
    ex = Explorer.from_config(QUICK.with_name("quick_cdnow_sample_tuning.yaml"))
    assert set(ex.references) == {IN_CONFIG, DEFAULTS, TUNED}
    tuned = ex.references[TUNED].weights
    d = ex.update(tuned).differences
    assert (d.loc[d["reference"] == TUNED, ["difference", "low", "high"]] == 0).all().all()
    assert any("tuning: section" in n for n in ex.notes)


def test_without_tuned_weights_the_view_says_so():
    view = small().update({"profit": 1.0})
    assert TUNED not in set(view.differences["reference"])
    assert any("no tuned weights" in n for n in view.notes)


def test_a_file_without_tuned_weights_is_a_config_error(tmp_path):
    path = tmp_path / "tuned_weights.yaml"
    path.write_text("methods: {weighted: {}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="methods.weighted.weights"):
        read_tuned_weights(path)


def test_the_view_displays_escaped_text():
    view = small(currency="USD").update({"profit": 1.0})
    shown = view.displayables()
    assert "Tested at 2020-12-31" in shown[0].data
    html = shown[1].to_html()
    assert "nan" not in html.lower() and "82.00" in view.figures_text().iloc[0, 5]
    assert "(USD)" in view.figures_text().columns[5]
    assert np.isfinite(view.figures[CAPTURE]).all()
