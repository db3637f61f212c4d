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
    horizon_days: 273                    # required (or horizon:): outcome window (as_of, as_of + horizon]
                                         # horizon: 2Q (or 6M, 182): calendar units, segment.horizon
    profit: {gross_margin: 0.25, cost_per_order: 2.0}   # assumptions when data has no cost
    currency: USD                        # ISO code of the money in the data (reports show it)
    decision: {follow_up: 300}           # capacity: customers the team can follow up a period
    series: cdnow-quarterly              # reruns of one series form a ledger; publish: rfm fixes the
                                         # published method (default: the run's recommendation)
    stability: {margin: 0.05}            # stable published grades (margin, min_stay, review_after; all off)
    methods: {abc_revenue: {}, weighted: {weights: {profit: 0.5, monetary_total: 0.5}}}
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from segment.dates import iso_date
from segment.errors import ConfigError, Problem
from segment.horizon import Horizon, horizon_of, horizon_problem, parse_horizon
from segment.methods.params import check_params, check_value
from segment.runs import plain_name_problem

DATASETS = ("cdnow_master", "cdnow_sample", "synthetic_b2b")
PROFIT_KEYS = ("gross_margin", "cost_per_order")

__all__ = ["ConfigError", "RunConfig", "apply_overrides", "check_config"]


@dataclass(frozen=True)
class RunConfig:
    output_name: str
    data: dict[str, Any]
    as_of: str
    #: the outcome horizon in days; None when ``horizon`` gives it in calendar units
    horizon_days: int | None
    methods: dict[str, dict[str, Any]]
    #: the outcome horizon in calendar units (``6M``, ``2Q``; ``segment.horizon``); None: ``horizon_days``.
    #: Exactly one of the two is given; ``horizon: 182`` (days) is stored as ``horizon_days: 182``
    horizon: str | None = None
    profit: dict[str, Any] = field(default_factory=dict)
    lookback_months: int | None = None
    trend_window_days: int = 182
    provisional_days: int = 182
    #: as-of dates of the rolling backtest / migration (each needs a full horizon)
    backtest_origins: tuple[str, ...] = ()
    validation: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    tuning: dict[str, Any] | None = None
    #: ISO 4217 code of the money in the data (``USD``); None: the reports say it is not stated
    currency: str | None = None
    #: capacity settings (``segment.decision.DecisionSettings``)
    decision: dict[str, Any] = field(default_factory=dict)
    #: the series of reruns this run belongs to (``cdnow-quarterly``): its ledger (``segment.governance``)
    series: str | None = None
    #: the run folder (name under the reports folder) whose published grades are "last quarter";
    #: None: the latest successful run of the series graded on or before ``as_of``
    previous_run: str | None = None
    #: the method whose tiers are published (go to the CRM); None: the run's recommendation
    publish: str | None = None
    #: stable grades for the published tiers (``segment.governance.stability.StabilitySettings``; all off)
    stability: dict[str, Any] = field(default_factory=dict)
    source: str = "<dict>"

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "<dict>") -> "RunConfig":
        """The checked config; every problem at every depth is reported at once (``check_config``)."""
        values = check_config(raw, source)
        return cls(**values, source=source)

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: list[tuple[str, Any]] = ()) -> "RunConfig":
        """Read and check ``path``; ``overrides`` ((dotted key, value), e.g. from ``--set``) are
        applied to the file's mapping first and checked exactly as the file is."""
        p = Path(path)
        raw = read_yaml(p)
        if overrides:
            raw = apply_overrides(raw, overrides, str(p))
        return cls.from_dict(raw, source=str(p))

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("source")
        if out["horizon"] is None:  # a config in days reads as it always did (manifests, hashes)
            out.pop("horizon")
        out["backtest_origins"] = list(self.backtest_origins)
        return out

    @property
    def window(self) -> Horizon:
        """The outcome horizon every window of the run is computed with (``segment.horizon``)."""
        return horizon_of(self)

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
        return {"gross_margin": self.profit.get("gross_margin"), "cost_per_order": float(self.profit.get("cost_per_order", 0.0))}


class _Loader(yaml.SafeLoader):
    """YAML's safe loader with dates left as text: ``as_of: 1998-13-30`` is then a config problem
    naming its key (``segment.dates``), not a traceback from inside the YAML library."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml_text(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 -- a SafeLoader subclass


def read_yaml(path: Path) -> Any:
    try:
        return load_yaml_text(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), "", "config file not found")]) from None
    except IsADirectoryError:
        raise ConfigError([Problem(str(path), "", "is a folder, not a config file")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(str(path), "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError([Problem(str(path), where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]) from None


def apply_overrides(raw: Any, overrides: list[tuple[str, Any]], source: str) -> dict[str, Any]:
    """A copy of ``raw`` with each dotted key set (``methods.weighted.weights.recency_days``);
    intermediate mappings are created. Setting inside a value that is not a mapping is an error."""
    import copy

    if not isinstance(raw, dict):
        raise ConfigError([Problem(source, "", f"a run config must be a mapping, got {type(raw).__name__}")])
    out = copy.deepcopy(raw)
    for key, value in overrides:
        parts = [k for k in str(key).split(".")]
        if not all(parts):
            raise ConfigError([Problem(source, str(key), "--set needs a dotted key such as methods.rfm.n_bins")])
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError([Problem(source, ".".join(parts[:i + 1]),
                                           f"is {child!r}, not a mapping: cannot set {key} inside it")])
            node = child
        node[parts[-1]] = value
    return out


class _Problems:
    """Collects the problems of one config file."""

    def __init__(self, source: str) -> None:
        self.source, self.items = source, []

    def add(self, key: str, message: str) -> None:
        self.items.append(Problem(self.source, key, message))

    def add_message(self, text: str) -> None:
        """A message from a sub-check that already starts with the file name (tuning, input spec)."""
        prefix = f"{self.source}: "
        text = str(text)
        body = text[len(prefix):] if text.startswith(prefix) else text
        key, sep, rest = body.partition(": ")
        if sep and " " not in key:
            self.add(key, rest)
        else:
            self.add("", body)


#: top-level keys: (type, low bound, help); methods, data, validation, report and tuning have their own checks
TOP_LEVEL: dict[str, tuple[Any, float | None]] = {
    "horizon_days": (int, 1),
    "lookback_months": (int | None, 1),
    "trend_window_days": (int, 1),
    "provisional_days": (int, 0),
}


def check_config(raw: Any, source: str = "<dict>") -> dict[str, Any]:
    """Check a run config whole (every key at every depth, types, ranges, dates) and return its
    normalised values; a ``ConfigError`` lists every problem, one line each
    (``<file>: <key>: <message>``). Nothing here reads the data: the checks that need it run
    right after loading (``segment.pipeline``)."""
    problems = _Problems(source)
    if not isinstance(raw, dict):
        raise ConfigError([Problem(source, "", f"a run config must be a mapping, got {type(raw).__name__}")])
    names = [f.name for f in dataclasses.fields(RunConfig) if f.name != "source"]
    for key in raw:
        if key not in names:
            problems.add(str(key), f"unknown key (allowed: {', '.join(names)})")
    for key in ("output_name", "data", "as_of", "methods"):
        if raw.get(key) in (None, "", {}):
            problems.add(key, "is required")
    values = {k: v for k, v in raw.items() if k in names}
    window = _check_horizon(raw, values, problems)

    name = raw.get("output_name")
    if name not in (None, "") and plain_name_problem(name) is not None:  # the run folder stays in the reports folder
        problems.add("output_name", plain_name_problem(name))
    if raw.get("as_of") not in (None, ""):
        values["as_of"] = _date(raw["as_of"], "as_of", problems)
    origins = raw.get("backtest_origins", ())
    if not isinstance(origins, (list, tuple)):
        problems.add("backtest_origins", f"expected a list of dates, got {origins!r}")
        origins = ()
    values["backtest_origins"] = tuple(_date(d, f"backtest_origins[{i}]", problems) for i, d in enumerate(origins))
    for key, (tp, low) in TOP_LEVEL.items():
        if key in raw and not (key == "horizon_days" and raw[key] in (None, "")):
            for k, message in check_value(raw[key], tp, key):
                problems.add(k, message)
            if isinstance(raw[key], int) and not isinstance(raw[key], bool) and low is not None and raw[key] < low:
                problems.add(key, f"{raw[key]!r} is out of range (allowed: >= {low})")
    _check_profit(raw.get("profit", {}), problems)
    values["methods"] = _check_methods(raw.get("methods"), problems, raw.get("provisional_days", 182))
    from segment.decision import DecisionSettings
    from segment.governance.stability import StabilitySettings
    from segment.validation.settings import ValidationSettings

    _check_settings("validation", raw.get("validation", {}), ValidationSettings, problems)
    _check_currency(raw.get("currency"), problems)
    _check_settings("decision", raw.get("decision", {}), DecisionSettings, problems)
    _check_settings("stability", raw.get("stability", {}), StabilitySettings, problems)
    stability = raw.get("stability")
    if isinstance(stability, dict) and stability.get("review_after") is not None and raw.get("lookback_months"):
        problems.add("stability.review_after", "needs the indicators to date (the orders and profit since the last "
                                               "run), and lookback_months makes them a moving window: drop one")
    _check_series(raw, problems)
    _check_report(raw.get("report", {}), problems, bool(raw.get("tuning")))
    _check_data(raw.get("data"), problems, tuning=raw.get("tuning") is not None)
    if raw.get("tuning") is not None and not problems.items:  # its own check, on a config that is otherwise sound
        from segment.tuning.settings import validate_tuning

        try:
            values["tuning"] = validate_tuning(raw["tuning"], source=source, horizon_days=window,
                                               methods=values["methods"])
        except ConfigError as exc:
            for p in exc.problems:
                problems.add_message(str(p))
    if problems.items:
        raise ConfigError(problems.items)
    return values


def _check_horizon(raw: dict[str, Any], values: dict[str, Any], problems: _Problems) -> Horizon | None:
    """Exactly one of ``horizon`` (calendar units or days) and ``horizon_days`` (days; its type
    and range are ``TOP_LEVEL``'s check); sets both in ``values``: a ``horizon`` in days becomes
    ``horizon_days``, so it runs and reads exactly as one. The run's horizon (None: a problem)."""
    days, text = (raw.get(k) for k in ("horizon_days", "horizon"))
    given_days, given_text = days not in (None, ""), text not in (None, "")
    values["horizon_days"], values["horizon"] = (days if given_days else None), None
    if given_days and given_text:
        problems.add("horizon", "give the outcome horizon once: horizon (2Q, 6M or a number of days) "
                                "or horizon_days (days), not both")
        return None
    if not given_text:
        if not given_days:
            problems.add("horizon", "is required: the outcome window after the grading date, as horizon: 2Q, 6M "
                                    "or a number of days, or as horizon_days: a number of days")
        ok = isinstance(days, int) and not isinstance(days, bool) and days >= 1  # else TOP_LEVEL says why
        return Horizon(days) if ok else None
    if horizon_problem(text) is not None:
        problems.add("horizon", horizon_problem(text))
        return None
    window = parse_horizon(text)
    if window.in_days:
        values["horizon_days"] = window.count
    else:
        values["horizon"] = str(window)
    return window


def _date(value: Any, key: str, problems: _Problems) -> str:
    try:
        return iso_date(value, key)
    except (ValueError, TypeError):
        problems.add(key, f"{value!r} is not a date (YYYY-MM-DD)")
        return str(value)


def _check_profit(profit: Any, problems: _Problems) -> None:
    if not isinstance(profit, dict):
        problems.add("profit", f"expected a mapping (gross_margin, cost_per_order), got {profit!r}")
        return
    for key in profit:
        if key not in PROFIT_KEYS:
            problems.add(f"profit.{key}", f"unknown key (allowed: {', '.join(PROFIT_KEYS)})")
    margin = profit.get("gross_margin")
    if margin is not None:
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin <= 1:
            problems.add("profit.gross_margin", f"{margin!r} must be a share between 0 and 1 (0.25 = 25 %)")
    cost = profit.get("cost_per_order", 0.0)
    if isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost < 0:
        problems.add("profit.cost_per_order", f"{cost!r} must be a number >= 0 (money per order)")


def _check_methods(methods: Any, problems: _Problems, provisional_days: Any) -> dict[str, dict[str, Any]]:
    from segment.methods.registry import DEFAULT_PARAMS, METHODS, make_method, method_class

    if methods in (None, "", {}):
        return {}
    if not isinstance(methods, dict):
        problems.add("methods", "must map a method name to its parameters, e.g. {abc_revenue: {}}")
        return {}
    out = {}
    for name, params in methods.items():
        key = f"methods.{name}"
        if name not in METHODS:
            problems.add(key, f"not a registered method (known: {', '.join(sorted(METHODS))})")
            continue
        if params is not None and not isinstance(params, dict):
            problems.add(key, f"must be a mapping of parameters, got {params!r}")
            continue
        params = dict(params or {})
        out[name] = params
        found = check_params(method_class(name), params, key)
        for k, message in found:
            problems.add(k, message)
        if found:
            continue
        extra = {} if "provisional_days" in params or not isinstance(provisional_days, int) else {
            "provisional_days": provisional_days}
        try:
            method = make_method(name, **{**DEFAULT_PARAMS.get(name, {}), **extra, **params})
        except (TypeError, ValueError) as exc:
            problems.add(key, str(exc))
            continue
        for message in method.param_problems():
            problems.add(key, message)
    return out


def _check_settings(section: str, value: Any, settings: type, problems: _Problems) -> None:
    """A settings section (``validation:``, ``decision:``) against the dataclass that declares it."""
    if not isinstance(value, dict):
        problems.add(section, f"expected a mapping, got {value!r}")
        return
    for key, message in check_params(settings, value, section):
        problems.add(key, message.replace("unknown parameter", "unknown setting"))


def _check_currency(currency: Any, problems: _Problems) -> None:
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3 and currency.isascii()
                                     and currency.isalpha() and currency.isupper()):
        problems.add("currency", f"{currency!r} is not a currency code (three capital letters: USD, CNY, EUR)")


def _check_series(raw: dict[str, Any], problems: _Problems) -> None:
    for key in ("series", "previous_run"):  # names of folders and ledger entries: plain names only
        value = raw.get(key)
        if value is not None and plain_name_problem(value) is not None:
            problems.add(key, plain_name_problem(value))
    publish, methods = raw.get("publish"), raw.get("methods")
    if publish is not None and isinstance(methods, dict) and publish not in methods:
        problems.add("publish", f"{publish!r} is not one of this config's methods ({', '.join(map(str, methods))})")
    if raw.get("previous_run") is not None and raw.get("series") is None:
        problems.add("previous_run", "needs a series (series: <name>): the previous run is of the same series")


def _check_report(report: Any, problems: _Problems, has_tuning: bool) -> None:
    """``report.notebooks`` (which reports to make) and every other key against the parameters
    cells of the notebooks that run (``segment.reporting.notebook_params``)."""
    from segment.reporting.notebook_params import report_parameters, type_matches
    from segment.reporting.notebooks import NOTEBOOKS, default_notebooks

    if not isinstance(report, dict):
        problems.add("report", f"expected a mapping, got {report!r}")
        return
    chosen = report.get("notebooks")
    if chosen is not None:
        if not isinstance(chosen, (list, tuple)) or not chosen:
            problems.add("report.notebooks", f"expected a list of notebook names ({', '.join(NOTEBOOKS)})")
            chosen = None
        else:
            for nb in chosen:
                if nb not in NOTEBOOKS:
                    problems.add("report.notebooks", f"{nb!r} is not a report notebook (known: {', '.join(NOTEBOOKS)})")
    names = [n for n in (chosen or default_notebooks(has_tuning)) if n in NOTEBOOKS]
    declared = report_parameters(names)
    for key, value in report.items():
        if key == "notebooks":
            continue
        if key not in declared:
            every = report_parameters(list(NOTEBOOKS))
            if key in every:  # declared by a notebook this config does not run
                owners = ", ".join(p.notebook for p in every[key])
                problems.add(f"report.{key}", f"a parameter of {owners} only, which this config does not run "
                                              "(report.notebooks)")
            else:
                problems.add(f"report.{key}", "not a parameter of the report notebooks that run "
                                              f"(allowed: notebooks, {', '.join(sorted(every))})")
            continue
        for p in declared[key]:
            if not type_matches(value, p.type):
                problems.add(f"report.{key}", f"expected {p.type} ({p.notebook}: {p.help}), got {value!r}")
                break
        else:
            if key == "min_tier_size" and value < 1:
                problems.add(f"report.{key}", f"{value!r} is out of range (allowed: >= 1)")


def _check_data(data: Any, problems: _Problems, *, tuning: bool) -> None:
    if data in (None, "", {}):
        return
    if not isinstance(data, dict):
        problems.add("data", f"expected a mapping with 'dataset' ({', '.join(DATASETS)}) or 'path', got {data!r}")
        return
    engine = data.get("engine", "duckdb")
    if engine != "duckdb":  # spark / ibis: segment.engines checks the section without connecting
        from segment.engines.spec import EngineConfigError, check_engine_spec

        try:
            check_engine_spec(data, problems.source)
        except EngineConfigError as exc:
            problems.add_message(str(exc))
        if tuning:
            problems.add("tuning", f"tuning reads the transactions in memory and does not run with data.engine "
                                   f"{engine} yet; tune on an extract with the default engine")
        return
    rest = {k: v for k, v in data.items() if k != "engine"}
    if ("dataset" in rest) == ("path" in rest or "query" in rest):
        problems.add("data", f"give exactly one of 'dataset' ({', '.join(DATASETS)}) or 'path'")
        return
    if "dataset" in rest:
        name = rest.pop("dataset")
        if name not in DATASETS:
            problems.add("data.dataset", f"{name!r} is not one of {', '.join(DATASETS)}")
        elif name != "synthetic_b2b" and rest:
            problems.add("data", f"key(s) {', '.join(map(str, rest))} are not used by dataset {name}")
        elif name == "synthetic_b2b":
            _check_generator(rest, problems)
        return
    from segment.io.config import InputSpec, InputSpecError

    try:
        InputSpec.from_dict(rest, origin=f"{problems.source}: data")
    except InputSpecError as exc:
        for p in exc.problems:
            problems.add_message(str(p).replace(f"{problems.source}: data: ", f"{problems.source}: data."))


def _check_generator(params: dict[str, Any], problems: _Problems) -> None:
    import inspect

    from segment.data.synthetic import DEFAULTS, generate_b2b

    allowed = [p for p in inspect.signature(generate_b2b).parameters if p != "params"] + list(DEFAULTS)
    for key in params:
        if key not in allowed:
            problems.add(f"data.{key}", f"not a parameter of the synthetic generator (allowed: {', '.join(allowed)})")
