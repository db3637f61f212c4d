"""Run configuration: one YAML file per quarter or dataset (see configs/).

``data.engine`` picks where features and outcomes are computed: ``duckdb`` (default,
embedded), ``spark`` or ``ibis`` (any Ibis backend with a user-supplied connection); see
``segment.engines`` and docs/SCALING.md.

Everything a run needs is in the file; nothing is read from the environment and no date
defaults to 'today'. Unknown keys are an error naming the file and the key, so a typo
never silently falls back to a default. Example (configs/cdnow_backtest.yaml)::

    output_name: cdnow-backtest          # run folder prefix under reports/
    data: {dataset: cdnow_master}        # or {dataset: synthetic_b2b, ...}, or {path: ..., ...}
                                         # or {engine: spark, path|table: ..., spark: {master: ...}}
                                         # or {engine: ibis, backend: ..., connect: {...}, table: ...}
    as_of: 1997-09-30                    # required: features up to and including this date
    horizon_days: 273                    # required: outcome window (as_of, as_of + horizon]
    profit: {gross_margin: 0.25, cost_per_order: 2.0}   # assumptions when data has no cost
    methods: {abc_revenue: {}, weighted: {weights: {profit: 0.5, monetary_total: 0.5}}}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from segment.methods.registry import METHODS

DATASETS = ("cdnow_master", "cdnow_sample", "synthetic_b2b")


class ConfigError(ValueError):
    """The run configuration is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class RunConfig:
    output_name: str
    data: dict[str, Any]
    as_of: str
    horizon_days: int
    methods: dict[str, dict[str, Any]]
    profit: dict[str, Any] = field(default_factory=dict)
    lookback_months: int | None = None
    trend_window_days: int = 182
    provisional_days: int = 182
    #: as-of dates of the rolling backtest / migration (each needs a full horizon)
    backtest_origins: tuple[str, ...] = ()
    validation: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    tuning: dict[str, Any] | None = None
    source: str = "<dict>"

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "<dict>") -> "RunConfig":
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: a run config must be a mapping, got {type(raw).__name__}")
        names = {f.name for f in dataclasses.fields(cls)} - {"source"}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {unknown}; allowed: {sorted(names)}")
        for key in ("output_name", "data", "as_of", "horizon_days", "methods"):
            if raw.get(key) in (None, "", {}):
                raise ConfigError(f"{source}: '{key}' is required")
        values = dict(raw)
        for key in ("as_of",):
            values[key] = _date_string(values[key], source, key)
        values["backtest_origins"] = tuple(
            _date_string(d, source, "backtest_origins") for d in values.get("backtest_origins", ())
        )
        if not isinstance(values["horizon_days"], int) or values["horizon_days"] <= 0:
            raise ConfigError(f"{source}: horizon_days must be a positive integer, got {values['horizon_days']!r}")
        methods = values["methods"]
        if not isinstance(methods, dict):
            raise ConfigError(f"{source}: methods must map a method name to its parameters")
        for name, params in methods.items():
            if name not in METHODS:
                raise ConfigError(f"{source}: methods.{name} is not a registered method; known: {sorted(METHODS)}")
            if params is not None and not isinstance(params, dict):
                raise ConfigError(f"{source}: methods.{name} must be a mapping of parameters")
        values["methods"] = {k: dict(v or {}) for k, v in methods.items()}
        if values.get("tuning") is not None:  # weight tuning (issue 7): validated by segment.tuning.settings
            from segment.tuning.settings import validate_tuning

            values["tuning"] = validate_tuning(values["tuning"], source=source, horizon_days=values["horizon_days"],
                                               methods=values["methods"])
        data = values["data"]
        if isinstance(data, dict) and data.get("engine", "duckdb") != "duckdb":  # spark / ibis: segment.engines
            from segment.engines import EngineConfigError, check_engine_spec

            try:
                check_engine_spec(data, source)
            except EngineConfigError as exc:
                raise ConfigError(str(exc)) from None
            if values.get("tuning") is not None:
                raise ConfigError(f"{source}: tuning reads the transactions in memory and does not run with "
                                  f"data.engine {data['engine']} yet; tune on an extract with the default engine")
            return cls(**values, source=source)
        if not isinstance(data, dict) or ("dataset" in data) == ("path" in data):
            raise ConfigError(f"{source}: data must give exactly one of 'dataset' ({', '.join(DATASETS)}) or 'path'")
        if "dataset" in data and data["dataset"] not in DATASETS:
            raise ConfigError(f"{source}: data.dataset={data['dataset']!r} is not one of {DATASETS}")
        return cls(**values, source=source)

    @classmethod
    def from_yaml(cls, path: str | Path) -> "RunConfig":
        p = Path(path)
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: config file not found") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from None
        return cls.from_dict(raw, source=str(p))

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("source")
        out["backtest_origins"] = list(self.backtest_origins)
        return out

    @property
    def feature_kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by build_features (minus as_of)."""
        return {
            "lookback_months": self.lookback_months,
            "trend_window_days": self.trend_window_days,
            **self.profit_kwargs,
        }

    @property
    def profit_kwargs(self) -> dict[str, Any]:
        unknown = set(self.profit) - {"gross_margin", "cost_per_order"}
        if unknown:
            raise ConfigError(f"{self.source}: unknown profit key(s) {sorted(unknown)}")
        return {"gross_margin": self.profit.get("gross_margin"), "cost_per_order": float(self.profit.get("cost_per_order", 0.0))}


def _date_string(value: Any, source: str, key: str) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ConfigError(f"{source}: {key}={value!r} is not a date (YYYY-MM-DD)") from None
