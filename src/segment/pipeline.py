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
from typing import Any

import pandas as pd

from segment.config import RunConfig
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


def fit_methods(
    features: pd.DataFrame,
    methods: dict[str, dict[str, Any]],
    provisional_days: int,
    context: dict[str, Any],
    skipped: list[str] | None = None,
) -> tuple[dict[str, GradingMethod], dict[str, pd.DataFrame]]:
    """Fit every configured method on ``features`` and assign it (same table).

    A method that needs history (``prepare``) and has none before this date raises —
    unless a ``skipped`` list is given (backtests at early origins), where the method is
    left out at this date and the reason appended to ``skipped``.
    """
    from segment import workcache  # reuse of identical fits across runs in one process (segment.workcache)
    from segment.methods.registry import method_class

    cache = workcache.active()
    if cache is not None and not cache.keeps(features):
        cache = None  # millions of customers: fits are not kept (segment.workcache), so not hashed either
    features_key = None if cache is None else workcache.frame_fingerprint(features)  # once per table, not per method
    fitted, assigned = {}, {}
    for name, params in methods.items():
        def compute(name: str = name, params: dict[str, Any] = params) -> "workcache.FitOutcome":
            method = make_method(name, **{"provisional_days": provisional_days, **params})
            prepare = getattr(method, "prepare", None)
            if prepare is not None:  # methods that need more than the feature table (history)
                try:
                    prepare(**context)
                except ValueError as exc:
                    return workcache.FitOutcome(error=exc)
            return workcache.FitOutcome(method, method.fit_assign(features))

        if cache is None:
            out = compute()
        else:
            needs_history = hasattr(method_class(name), "prepare")
            out = cache.fit(name, params, provisional_days, features_key, context if needs_history else None, compute)
        if out.error is not None:
            if skipped is None:
                raise out.error
            skipped.append(f"{name} left out at {context.get('as_of')}: {out.error}")
            continue
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
    """Run everything the reports show. ``progress(message)`` is called between stages.

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
    fitted, assignments = fit_methods(features, cfg.methods, cfg.provisional_days, {**context, "as_of": cfg.as_of})
    timings["grade"] = time.perf_counter() - t

    origin, note = validation_origin(cfg.as_of, cfg.horizon_days, loaded.data_end)
    notes = [note]
    if origin == cfg.as_of:
        origin_features, origin_fitted, origin_assignments = features, fitted, assignments
    else:
        say(f"refitting at the validation origin {origin}")
        origin_features = features_at(origin)
        origin_fitted, origin_assignments = fit_methods(
            origin_features, cfg.methods, cfg.provisional_days, {**context, "as_of": origin}
        )
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
    )
    timings["validate"] = time.perf_counter() - t

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
        method_notes=score_range_notes({cfg.as_of: fitted, origin: origin_fitted}),
    )


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
