"""Run configs: required keys, clear errors naming file and key, bundled configs parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from segment.config import ConfigError, RunConfig
from segment.horizon import Horizon

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = {
    "output_name": "x",
    "data": {"dataset": "cdnow_master"},
    "as_of": "1997-09-30",
    "horizon_days": 273,
    "methods": {"abc_revenue": {}},
}


def test_minimal_config_round_trips():
    cfg = RunConfig.from_dict(MINIMAL)
    assert cfg.as_of == "1997-09-30" and cfg.methods == {"abc_revenue": {}}
    assert RunConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("key", ["output_name", "data", "as_of", "methods"])
def test_required_keys(key):
    raw = {k: v for k, v in MINIMAL.items() if k != key}
    with pytest.raises(ConfigError, match=f"^q.yaml: {key}: is required$"):
        RunConfig.from_dict(raw, source="q.yaml")


def test_a_horizon_is_required():
    raw = {k: v for k, v in MINIMAL.items() if k != "horizon_days"}
    with pytest.raises(ConfigError, match=r"^q.yaml: horizon: is required: the outcome window after the grading "
                                          r"date, as horizon: 2Q, 6M or a number of days, or as horizon_days"):
        RunConfig.from_dict(raw, source="q.yaml")


def test_a_calendar_horizon():
    raw = {k: v for k, v in MINIMAL.items() if k != "horizon_days"}
    cfg = RunConfig.from_dict({**raw, "horizon": "2q"})
    assert cfg.horizon == "2Q" and cfg.horizon_days is None and cfg.window == Horizon(2, "Q")
    assert cfg.to_dict()["horizon"] == "2Q" and cfg.to_dict()["horizon_days"] is None
    assert RunConfig.from_dict(cfg.to_dict()) == cfg


def test_a_horizon_in_days_is_stored_as_horizon_days():
    """``horizon: 182`` or ``182D`` runs exactly as ``horizon_days: 182``: same config, same dict."""
    raw = {k: v for k, v in MINIMAL.items() if k != "horizon_days"}
    days = RunConfig.from_dict(MINIMAL)
    for text in (273, "273", " 273D "):
        assert RunConfig.from_dict({**raw, "horizon": text}) == days
    assert "horizon" not in days.to_dict() and days.to_dict()["horizon_days"] == 273  # the dict a days config had
    assert days.window == Horizon(273)


@pytest.mark.parametrize("patch, message", [
    ({"horizon": "2Q"}, r"^q.yaml: horizon: give the outcome horizon once: horizon \(2Q, 6M or a number of days\) "
                        r"or horizon_days \(days\), not both$"),
    ({"horizon_days": None, "horizon": "2X"}, r"^q.yaml: horizon: '2X' is not a horizon \(allowed: a positive whole "
                                              r"number of days \(182 or 182D\), of months \(6M\) or of quarters \(2Q\)\)$"),
    ({"horizon_days": None, "horizon": "1.5Q"}, r"^q.yaml: horizon: '1.5Q' is not a horizon"),
    ({"horizon_days": None, "horizon": 0}, r"^q.yaml: horizon: 0 is not a horizon"),
    ({"horizon_days": None, "horizon": True}, r"^q.yaml: horizon: True is not a horizon"),
])
def test_bad_horizons_are_one_line_each(patch, message):
    with pytest.raises(ConfigError, match=message) as err:
        RunConfig.from_dict({**MINIMAL, **patch}, source="q.yaml")
    assert len(err.value.problems) == 1


@pytest.mark.parametrize(
    "patch, message",
    [
        ({"as_of": "1997-13-01"}, "^q.yaml: as_of: '1997-13-01' is not a date"),
        ({"as_of": "19970930"}, r"^q.yaml: as_of: '19970930' is not a date \(YYYY-MM-DD\)"),  # strict ISO
        ({"backtest_origins": ["1997-06-30", None]}, r"^q.yaml: backtest_origins\[1\]: None is not a date"),
        ({"horizon_days": -5}, r"^q.yaml: horizon_days: -5 is out of range \(allowed: >= 1\)"),
        ({"methods": {"nope": {}}}, "^q.yaml: methods.nope: not a registered method"),
        ({"data": {"dataset": "x"}}, "^q.yaml: data.dataset: 'x' is not one of"),
        ({"data": {}}, "^q.yaml: data: is required"),
        ({"wieghts": {}}, r"^q.yaml: wieghts: unknown key \(allowed: output_name, data, as_of"),
        ({"currency": "usd"}, r"^q.yaml: currency: 'usd' is not a currency code \(three capital letters"),
        ({"currency": "US$"}, r"^q.yaml: currency: 'US\$' is not a currency code"),
        ({"decision": {"follow_up": 0}}, r"^q.yaml: decision.follow_up: 0 is out of range"),
        ({"decision": {"folow_up": 10}}, r"^q.yaml: decision.folow_up: unknown setting"),
        ({"decision": [300]}, r"^q.yaml: decision: expected a mapping"),
        ({"series": "../x"}, r"^q.yaml: series: '../x' is not a plain name"),
        ({"series": "s", "previous_run": "a/b"}, r"^q.yaml: previous_run: 'a/b' is not a plain name"),
        ({"previous_run": "run-1"}, r"^q.yaml: previous_run: needs a series"),
        ({"publish": "rfm"}, r"^q.yaml: publish: 'rfm' is not one of this config's methods \(abc_revenue\)"),
    ],
)
def test_bad_values_are_named(patch, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict({**MINIMAL, **patch}, source="q.yaml")


def test_currency_and_decision_defaults():
    from segment.decision import decision_settings

    cfg = RunConfig.from_dict(MINIMAL)
    assert cfg.currency is None and decision_settings(cfg.decision).follow_up == 300
    cfg = RunConfig.from_dict({**MINIMAL, "currency": "CNY", "decision": {"follow_up": 25}})
    assert cfg.currency == "CNY" and decision_settings(cfg.decision).follow_up == 25


def test_yaml_errors_name_the_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("as_of: [unclosed\n")
    with pytest.raises(ConfigError, match=str(p)):
        RunConfig.from_yaml(p)
    with pytest.raises(ConfigError, match="not found"):
        RunConfig.from_yaml(tmp_path / "missing.yaml")


def test_bundled_configs_parse():
    paths = sorted((ROOT / "configs").glob("*.yaml"))
    assert paths, "no bundled configs"
    for p in paths:
        RunConfig.from_yaml(p)
