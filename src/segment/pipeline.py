"""One run, end to end, from a RunConfig: load -> features/outcomes -> grade -> validate.

This is where every number in a report comes from. The notebooks only call
``run_pipeline`` (or ``load_result`` of a run folder) and draw what it returns.

Dates:
- ``config.as_of`` (T_now) is the grading date: every method is fitted on the features
  at T_now and the tiers exported to the CRM are those.
- Validation needs outcomes, so it uses the *validation origin*: T_now itself when the data
  covers (T_now, T_now + H], otherwise the latest quarter end T with T + H inside the data
  (stated in ``result.notes``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from segment.config import RunConfig
from segment.errors import CannotGrade, ConfigError, NothingGraded, Problem
from segment.features import build_features, to_date
from segment.methods.base import GradingMethod
from segment.methods.registry import make_method
from segment.outcomes import build_outcomes


@dataclass
class LoadedData:
    transactions: pd.DataFrame
    customers: pd.DataFrame | None
    source: dict[str, Any]
    rows_read: int
    excluded: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    @property
    def data_end(self) -> str:
        return str(self.transactions["order_ts"].max().date())


def load_data(config: RunConfig) -> LoadedData:
    """The internal transaction table named by ``config.data``."""
    data = dict(config.data)
    if data.get("engine", "duckdb") != "duckdb":  # transactions stay on Spark / another Ibis backend
        from segment.engines import load_engine_data

        return load_engine_data(data, source=config.source)
    data.pop("engine", None)
    if "dataset" in data:
        name = data.pop("dataset")
        if name in ("cdnow_master", "cdnow_sample"):
            from segment.data import cdnow

            if data:
                raise ValueError(f"{config.source}: data.{sorted(data)} not used by dataset {name}")
            loader = cdnow.load_cdnow_master if name == "cdnow_master" else cdnow.load_cdnow_sample
            tx = loader()
            fname = "CDNOW_master.txt" if name == "cdnow_master" else "CDNOW_sample.txt"
            return LoadedData(
                tx,
                None,
                {"dataset": name, "file": f"data/raw/{fname}", "sha256": cdnow.SHA256[fname], "real_data": True,
                 "zero_amount_rows_kept": cdnow.zero_amount_rows(tx)},
                rows_read=len(tx),
            )
        from segment.data.synthetic import generate_b2b

        b2b = generate_b2b(**data)
        return LoadedData(
            b2b.transactions,
            b2b.customers,
            {"dataset": "synthetic_b2b", "real_data": False, "generator_params": data},
            rows_read=len(b2b.transactions),
        )
    from segment.io import load_from_config

    return load_from_config(data, source=config.source)


def quarter_ends(start: Any, end: Any) -> list[dt.date]:
    """Calendar quarter ends in [start, end]."""
    return [d.date() for d in pd.date_range(to_date(start, "start"), to_date(end, "end"), freq="QE")]


def validation_origin(as_of: Any, horizon_days: int, data_end: Any) -> tuple[str, str]:
    """(origin, note): as_of if its outcome window is inside the data, else the latest
    quarter end whose window is."""
    t_now, end = to_date(as_of), to_date(data_end, "data_end")
    if t_now + dt.timedelta(days=horizon_days) <= end:
        return str(t_now), f"validated at the grading date {t_now} (outcomes up to {t_now + dt.timedelta(days=horizon_days)})"
    latest = end - dt.timedelta(days=horizon_days)
    candidates = [q for q in quarter_ends(dt.date(latest.year - 1, 1, 1), latest) if q <= t_now]
    if not candidates:
        raise ValueError(
            f"no origin on or before {t_now} has a full {horizon_days}-day outcome window inside the data "
            f"(which ends {end}); validation is impossible"
        )
    origin = candidates[-1]
    return str(origin), (
        f"the grading date {t_now} has no full {horizon_days}-day outcome yet (data ends {end}); "
        f"validation uses the latest quarter end with a full window, {origin}"
    )


def data_problems(config: RunConfig, loaded: LoadedData) -> list[Problem]:
    """What in ``config`` the loaded data cannot serve, found right after loading and before
    any feature is built (each a ``Problem`` on the config key, in the config check's format):

    - ``as_of`` after the last transaction (every customer would come out lost) or before the
      first (no customer to grade);
    - a ``backtest_origins`` date outside the data;
    - an outcome horizon the data cannot hold (no validation origin has a full window);
    - a method parameter naming a feature column the feature table will not have (a weight on
      ``monetary_totl``, or on ``credit_status`` in data without payment dates).

    Nothing here scans the rows: the first and last dates are the loaded table's summary
    (also on Spark / Ibis engines), the feature columns those of the lazy feature expression."""
    src = config.source
    tx = loaded.transactions
    problems: list[Problem] = []
    first_ts, last_ts = tx["order_ts"].min(), tx["order_ts"].max()
    if pd.isna(first_ts) or pd.isna(last_ts):  # no rows: the data contract reports that
        return problems
    first, last = pd.Timestamp(first_ts).date(), pd.Timestamp(last_ts).date()
    as_of = to_date(config.as_of)
    if as_of > last:
        problems.append(Problem(src, "as_of", f"{as_of} is after the last transaction ({last}): every customer "
                                              "would come out lost"))
    elif as_of < first:
        problems.append(Problem(src, "as_of", f"{as_of} is before the first transaction ({first}): there is no "
                                              "customer to grade"))
    for i, value in enumerate(config.backtest_origins):
        origin = to_date(value, f"backtest_origins[{i}]")
        if origin > last:
            problems.append(Problem(src, f"backtest_origins[{i}]", f"{origin} is after the last transaction "
                                                                  f"({last}): every customer would come out lost"))
        elif origin < first:
            problems.append(Problem(src, f"backtest_origins[{i}]", f"{origin} is before the first transaction "
                                                                  f"({first}): there is no customer to grade"))
    try:
        origin = to_date(validation_origin(config.as_of, config.horizon_days, last)[0])
    except ValueError:
        origin = None
    if origin is None or origin < first:  # no origin inside the data has a full outcome window after it
        problems.append(Problem(src, "horizon_days", (
            f"an outcome horizon the data cannot hold: no quarter end on or before the grading date {as_of} "
            f"has {config.horizon_days} days of data after it (the data runs from {first} to {last})")))
    problems += feature_column_problems(config, loaded)
    return problems


def feature_columns(loaded: LoadedData, as_of: Any, feature_kwargs: dict[str, Any]) -> list[str]:
    """The columns the feature table at ``as_of`` will have (customer attributes included), from
    the lazy feature expression: nothing is computed (also on Spark / Ibis engines, whose
    ``LazyTransactions`` give the expression their table)."""
    from segment.features import feature_expr

    expr = feature_expr(loaded.transactions, as_of=as_of, **feature_kwargs)
    columns = [c for c in expr.columns if c != "customer_id"]
    if loaded.customers is not None:
        columns += [c for c in loaded.customers.columns if c != "customer_id" and c not in columns]
    return columns


def feature_column_problems(config: RunConfig, loaded: LoadedData) -> list[Problem]:
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


def check_data(config: RunConfig, loaded: LoadedData) -> None:
    """Raise ``ConfigError`` listing every ``data_problems`` at once (none: return)."""
    problems = data_problems(config, loaded)
    if problems:
        raise ConfigError(problems)


def fit_methods(
    features: pd.DataFrame,
    methods: dict[str, dict[str, Any]],
    provisional_days: int,
    context: dict[str, Any],
    skipped: list[str] | None = None,
    not_graded: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, GradingMethod], dict[str, pd.DataFrame]]:
    """Fit every configured method on ``features`` and assign it (same table).

    A method that cannot grade this data raises ``CannotGrade`` (from ``prepare``, e.g. no
    history before its training origin, or from ``fit``, e.g. BG/NBD with no repeat buyer).
    Without ``skipped`` or ``not_graded`` that error propagates; with ``skipped`` (backtests
    at early origins) the method is left out at this date and the reason appended to the
    list; with ``not_graded`` (the run's grading date and validation origin) it is left out
    and its reason recorded there (method -> the method's own words). Any other exception
    propagates: it is a fault, never hidden. ``progress(message)``: a line before and after
    each method.
    """
    import time

    from segment import workcache  # reuse of identical fits across runs in one process (segment.workcache)
    from segment.methods.registry import method_class

    cache = workcache.active()
    if cache is not None and not cache.keeps(features):
        cache = None  # millions of customers: fits are not kept (segment.workcache), so not hashed either
    features_key = None if cache is None else workcache.frame_fingerprint(features)  # once per table, not per method
    fitted, assigned = {}, {}
    for i, (name, params) in enumerate(methods.items(), start=1):
        def compute(name: str = name, params: dict[str, Any] = params) -> "workcache.FitOutcome":
            method = make_method(name, **{"provisional_days": provisional_days, **params})
            try:
                prepare = getattr(method, "prepare", None)
                if prepare is not None:  # methods that need more than the feature table (history)
                    prepare(**context)
                return workcache.FitOutcome(method, method.fit_assign(features))
            except CannotGrade as exc:  # only this: any other error is a fault and propagates
                return workcache.FitOutcome(error=exc)

        if progress is not None:
            progress(f"grading {name} ({i} of {len(methods)})")
        t = time.perf_counter()
        if cache is None:
            out = compute()
        else:
            needs_history = hasattr(method_class(name), "prepare")
            out = cache.fit(name, params, provisional_days, features_key, context if needs_history else None, compute)
        if out.error is not None:
            if progress is not None:
                progress(f"{name} cannot grade this data: {out.error}")
            if skipped is not None:
                skipped.append(f"{name} left out at {context.get('as_of')}: {out.error}")
            elif not_graded is not None:
                not_graded[name] = str(out.error)
            else:
                raise out.error
            continue
        if progress is not None:
            progress(f"{name} graded in {time.perf_counter() - t:.1f} s")
        assigned[name] = out.assignment
        fitted[name] = out.method
    return fitted, assigned


@dataclass
class PipelineResult:
    config: RunConfig
    loaded: LoadedData
    features: pd.DataFrame  # at the grading date
    fitted: dict[str, GradingMethod]
    assignments: dict[str, pd.DataFrame]  # at the grading date (exported)
    origin: str
    origin_features: pd.DataFrame
    outcomes: pd.DataFrame
    origin_assignments: dict[str, pd.DataFrame]
    validation: dict[str, Any]
    notes: list[str]
    timings: dict[str, float]
    #: weight tuning (``segment.tuning.TuningResult``) when the config has a ``tuning`` section
    tuning: Any = None
    #: plain-language notes on how a method behaved on this data (e.g. RFM scores lost to ties)
    method_notes: list[str] = field(default_factory=list)
    #: configured methods that cannot grade this data (``CannotGrade`` at the grading date or the
    #: validation origin), in config order: method -> the reason in plain words. They are in no
    #: other field (no tiers, no validation) and show as "not graded: <reason>" in the leaderboard
    not_graded: dict[str, str] = field(default_factory=dict)

    def save(self, path: Path) -> Path:
        from segment.export import atomic_write

        from segment.engines import saved_without_transactions  # the audit's summaries, not the table

        saved = saved_without_transactions(self)

        def write(p: Path) -> None:
            with open(p, "wb") as fh:  # streamed: no second copy of the result in memory as one bytes object
                pickle.dump(saved, fh, protocol=5)

        return atomic_write(Path(path), write)


def load_result(path: str | Path) -> PipelineResult:
    """A PipelineResult saved by a run (``<run>/artifacts/result.pkl``)."""
    with open(path, "rb") as fh:  # streamed, as it was written
        return pickle.load(fh)


def run_pipeline(config: RunConfig | str | Path, *, progress=None) -> PipelineResult:
    """Run everything the reports show. ``progress(message)`` is called between stages, before
    and after each method's grading and before each validation step (None: silent).

    Right after loading, what the config asks of the data is checked (``data_problems``): all
    problems at once, as a ``ConfigError``. A method that cannot grade the data (``CannotGrade``)
    is left out and named in ``result.not_graded``; when none can, ``NothingGraded``.

    A method's warning that its scores lost range (RFM's ``ScoreRangeWarning``: heavily
    tied values) is not printed: it is stated in plain words in ``result.method_notes``
    (manifest and analyst reports), from the fitted methods' ``n_distinct_scores_``."""
    import warnings

    from segment.methods.rfm import ScoreRangeWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ScoreRangeWarning)
        return _run_pipeline(config, progress=progress)


def score_range_notes(fitted_at: dict[str, dict[str, GradingMethod]]) -> list[str]:
    """One sentence per (date, method, dimension) whose scores cover fewer than ``n_bins``
    values (the method's learned ``n_distinct_scores_``); dates in the given order, each once."""
    notes = []
    for as_of, fitted in fitted_at.items():
        for name, method in fitted.items():
            distinct = getattr(method, "n_distinct_scores_", None) or {}
            n_bins = getattr(method, "n_bins", None)
            columns = getattr(method, "columns", {})
            for dim, k in distinct.items():
                if n_bins and k < n_bins:
                    notes.append(
                        f"{name} graded at {as_of}: {columns.get(dim, dim)} takes only {k} of the {n_bins} "
                        f"{dim.upper()} scores, because many customers share exactly the same value (equal values "
                        f"always get the same score); on that dimension customers are told apart only as finely "
                        f"as the data allows.")
    return notes


def _run_pipeline(config: RunConfig | str | Path, *, progress=None) -> PipelineResult:
    import time

    from segment.validation.suite import validate_all

    cfg = config if isinstance(config, RunConfig) else RunConfig.from_yaml(config)
    say = progress or (lambda message: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    from segment import workcache  # work shared by runs in one process (segment.workcache)

    cache = workcache.active()
    say("loading data")
    loaded = load_data(cfg) if cache is None else cache.loaded(
        {"data": cfg.data, "config_dir": str(Path(cfg.source).resolve().parent)}, lambda: load_data(cfg))
    timings["load"] = time.perf_counter() - t0
    check_data(cfg, loaded)  # what the config asks of this data, before any feature is built
    fkw = cfg.feature_kwargs

    def features_at(as_of: str) -> pd.DataFrame:
        def compute() -> pd.DataFrame:
            return build_features(loaded.transactions, as_of=as_of, customers=loaded.customers, **fkw)

        if cache is None:
            return compute()
        return cache.features(cache.data_key(loaded.transactions, loaded.customers), as_of, fkw, compute)

    context = {"transactions": loaded.transactions, "customers": loaded.customers, "feature_kwargs": fkw,
               "horizon_days": cfg.horizon_days}

    say(f"features as of {cfg.as_of}")
    t = time.perf_counter()
    features = features_at(cfg.as_of)
    timings["features"] = time.perf_counter() - t

    say(f"grading with {len(cfg.methods)} methods")
    t = time.perf_counter()
    not_graded: dict[str, str] = {}
    fitted, assignments = fit_methods(features, cfg.methods, cfg.provisional_days, {**context, "as_of": cfg.as_of},
                                      not_graded=not_graded, progress=progress)
    timings["grade"] = time.perf_counter() - t
    if not fitted:
        raise nothing_graded(cfg, not_graded)

    origin, note = validation_origin(cfg.as_of, cfg.horizon_days, loaded.data_end)
    notes = [note]
    if origin == cfg.as_of:
        origin_features, origin_fitted, origin_assignments = features, fitted, assignments
    else:
        say(f"refitting at the validation origin {origin}")
        origin_features = features_at(origin)
        at_origin: dict[str, str] = {}
        origin_fitted, origin_assignments = fit_methods(
            origin_features, {name: p for name, p in cfg.methods.items() if name in fitted}, cfg.provisional_days,
            {**context, "as_of": origin}, not_graded=at_origin,
            progress=None if progress is None else (lambda message: progress(f"at {origin}: {message}")))
        for name, reason in at_origin.items():  # cannot be judged, so not offered: left out at the grading date too
            not_graded[name] = f"{reason} (at the validation origin {origin})"
            del fitted[name], assignments[name]
        if not fitted:
            raise nothing_graded(cfg, not_graded)
    not_graded = {name: not_graded[name] for name in cfg.methods if name in not_graded}  # config order
    outcomes = build_outcomes(
        loaded.transactions, as_of=origin, horizon_days=cfg.horizon_days, data_end=loaded.data_end, **cfg.profit_kwargs
    )

    say("validating against churn and profit")
    t = time.perf_counter()
    validation = validate_all(
        config=cfg,
        transactions=loaded.transactions,
        customers=loaded.customers,
        origin=origin,
        features=origin_features,
        outcomes=outcomes,
        assignments=origin_assignments,
        fitted=origin_fitted,
        current_features=features,
        current_assignments=assignments,
        not_graded=not_graded,
        progress=progress,
    )
    timings["validate"] = time.perf_counter() - t
    say(f"validated in {timings['validate']:.1f} s")

    tuning = None
    if cfg.tuning:  # weight tuning (segment.tuning): its own fold origins and judged origin, from the config
        from segment.tuning import tune_from_config

        say("tuning the weighted score's weights out of time")
        t = time.perf_counter()
        tuning = tune_from_config(cfg, loaded)
        timings["tuning"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return PipelineResult(
        config=cfg, loaded=loaded, features=features, fitted=fitted, assignments=assignments, origin=origin,
        origin_features=origin_features, outcomes=outcomes, origin_assignments=origin_assignments, tuning=tuning,
        validation=validation, notes=notes + validation.get("notes", []), timings=timings,
        method_notes=score_range_notes({cfg.as_of: fitted, origin: origin_fitted}), not_graded=not_graded,
    )


def nothing_graded(config: RunConfig, not_graded: dict[str, str]) -> NothingGraded:
    """The error of a run where no configured method can grade the data, with every reason."""
    reasons = "; ".join(f"{name}: {not_graded[name]}" for name in config.methods if name in not_graded)
    return NothingGraded([Problem(config.source, "methods", f"no method can grade this data: {reasons}")])


def params_of(result: PipelineResult) -> dict[str, dict[str, Any]]:
    """The full parameters (defaults included) of every fitted method, for the manifest."""
    return {name: {k: _jsonable(v) for k, v in m.get_params().items()} for name, m in result.fitted.items()}


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if dataclasses.is_dataclass(v):
        return _jsonable(dataclasses.asdict(v))
    return v
