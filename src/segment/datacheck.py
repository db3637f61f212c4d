"""The config against its data: what a run asks that the loaded data cannot serve.

Checked right after loading, before any feature is built, and reported all at once as
config problems (``segment.errors.ConfigError``, in the config check's ``file: key: message``
format): dates outside the data, a horizon the data cannot hold, method parameters naming
feature columns the data lacks. Nothing here scans the rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from segment.config import RunConfig
from segment.dates import to_date
from segment.errors import ConfigError, Problem
from segment.methods.registry import make_method
from segment.validation.origins import validation_origin


def data_problems(config: RunConfig, loaded: Any) -> list[Problem]:
    """What in ``config`` the loaded data cannot serve, found right after loading and before
    any feature is built (each a ``Problem`` on the config key, in the config check's format):

    - ``as_of`` after the last transaction (every customer would come out lost) or before the
      first (no customer to grade);
    - a ``backtest_origins`` date outside the data;
    - an outcome horizon the data cannot hold (no validation origin has a full window);
    - a method parameter naming a feature column the feature table will not have (a weight on
      ``monetary_totl``, or on ``credit_status`` in data without payment dates).

    Nothing here scans the rows: the first and last dates are the loaded table's summary
    (``first_day``, ``data_end``;
    also on Spark / Ibis engines), the feature columns those of the lazy feature expression."""
    src = config.source
    if loaded.first_day is None or loaded.data_end is None:  # no rows: the data contract reports that
        return []
    first, last = to_date(loaded.first_day, "first_day"), to_date(loaded.data_end, "data_end")
    as_of = to_date(config.as_of)
    problems = _outside_the_data(src, "as_of", as_of, first, last)
    for i, value in enumerate(config.backtest_origins):
        key = f"backtest_origins[{i}]"
        problems += _outside_the_data(src, key, to_date(value, key), first, last)
    try:
        origin = to_date(validation_origin(config.as_of, config.window, last)[0])
    except ValueError:
        origin = None
    if origin is None or origin < first:  # no origin inside the data has a full outcome window after it
        key = "horizon_days" if config.horizon is None else "horizon"  # the key the config gave
        problems.append(Problem(src, key, (
            f"an outcome horizon the data cannot hold: no quarter end on or before the grading date {as_of} "
            f"has {config.window.label} of data after it (the data runs from {first} to {last})")))
    problems += feature_column_problems(config, loaded)
    return problems


def _outside_the_data(src: str, key: str, day: dt.date, first: dt.date, last: dt.date) -> list[Problem]:
    """A grading date after the last transaction or before the first, as a problem on ``key``."""
    if day > last:
        return [Problem(src, key, f"{day} is after the last transaction ({last}): every customer would come out lost")]
    if day < first:
        return [Problem(src, key, f"{day} is before the first transaction ({first}): there is no customer to grade")]
    return []


def feature_columns(loaded: Any, as_of: Any, feature_kwargs: dict[str, Any]) -> list[str]:
    """The columns the feature table at ``as_of`` will have (customer attributes included), from
    the lazy feature expression: nothing is computed (also on Spark / Ibis engines, whose lazy
    table gives the expression its Ibis table)."""
    from segment.features import feature_expr

    expr = feature_expr(loaded.transactions, as_of=as_of, **feature_kwargs)
    columns = [c for c in expr.columns if c != "customer_id"]
    if loaded.customers is not None:
        columns += [c for c in loaded.customers.columns if c != "customer_id" and c not in columns]
    return columns


def feature_column_problems(config: RunConfig, loaded: Any) -> list[Problem]:
    """A problem per method parameter naming a feature column the data will not have (the
    columns each method needs with its parameters: ``required_features_for_params`` and, for
    methods over named indicators, ``indicator_columns``)."""
    try:
        available = feature_columns(loaded, config.as_of, config.feature_kwargs)
    except ValueError:  # e.g. no profit rule for this data: building the features says so, a moment later
        return []
    have = set(available)
    listed = ", ".join(available)
    problems: list[Problem] = []
    for name, params in config.methods.items():
        try:
            method = make_method(name, **{"provisional_days": config.provisional_days, **params})
        except (TypeError, ValueError):  # the config check's domain (it has reported them already)
            continue
        reported: set[str] = set()
        weights = getattr(method, "weights", None)
        if isinstance(weights, dict) and hasattr(method, "columns_of"):  # weights on named indicators or columns
            indicators = getattr(method, "indicators", {}) or {}
            for weight_name in weights:
                columns = method.columns_of(weight_name)
                missing = [c for c in columns if c not in have]
                if not missing:
                    continue
                reported.update(missing)
                key = f"methods.{name}.weights.{weight_name}"
                if weight_name in indicators:
                    message = (f"the indicator {weight_name} needs {', '.join(columns)}, and this data lacks "
                               f"{', '.join(missing)} (available: {listed})")
                else:
                    message = f"no such feature column in this data (available: {listed})"
                problems.append(Problem(config.source, key, message))
        needed = list(method.required_features_for_params())
        if hasattr(method, "indicator_columns"):
            needed += list(method.indicator_columns())
        for column in dict.fromkeys(needed):
            if column in have or column in reported:
                continue
            reported.add(column)
            problems.append(Problem(config.source, _param_key(name, params, method.get_params(), column),
                                    f"no such feature column in this data (available: {listed})"))
    return problems


def _param_key(name: str, given: dict[str, Any], effective: dict[str, Any], column: str) -> str:
    """The config key of the parameter that names ``column``: in what the config gave first,
    then in the defaults; the method itself when no parameter names it."""
    for params in (given, effective):
        for pname, value in params.items():
            if isinstance(value, dict):
                if column in value:
                    return f"methods.{name}.{pname}.{column}"
                for k, v in value.items():
                    if v == column or (isinstance(v, (list, tuple)) and column in v):
                        return f"methods.{name}.{pname}.{k}"
            elif isinstance(value, (list, tuple)) and column in value:
                return f"methods.{name}.{pname}"
            elif isinstance(value, str) and value == column:
                return f"methods.{name}.{pname}"
    return f"methods.{name}"


def check_data(config: RunConfig, loaded: Any) -> None:
    """Raise ``ConfigError`` listing every ``data_problems`` at once (none: return)."""
    problems = data_problems(config, loaded)
    if problems:
        raise ConfigError(problems)
