"""One run, end to end, from a RunConfig: load -> features/outcomes -> grade -> judge.

This is where every number in a report comes from. The notebooks only read a saved
``PipelineResult`` (``load_result``) and draw what it holds; ``docs/ARCHITECTURE.md`` walks
the leadership headline back to its arithmetic.

Dates:
- ``config.as_of`` (T_now) is the grading date: every method is fitted on the features
  at T_now and the tiers exported to the CRM are those.
- Validation needs outcomes, so it uses the *validation origin*
  (``segment.validation.origins.validation_origin``): T_now itself when the data covers
  (T_now, H.end(T_now)], otherwise the latest quarter end T with H.end(T) inside the data (stated
  in ``result.notes``). H is ``config.window`` (``segment.horizon``: days, or calendar months
  and quarters for ``horizon: 2Q``), and every outcome window of the run uses it.

The stages are pure; the runner (``segment.runner.Runner``) makes the work of each date and
owns the cache, the thread limits and the timings. Judging (``segment.validation``,
``segment.tuning``) receives gradings and outcomes from here and imports none of this.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from segment.config import RunConfig
from segment.datacheck import check_data
from segment.decision import decision_settings
from segment.errors import NothingGraded, Problem
from segment.governance.study import keeping, run_trade_off, study_methods, study_part
from segment.grading import Grading
from segment.io.audit import LoadResult
from segment.jsonable import jsonable
from segment.methods.base import GradingMethod
from segment.runner import Runner
from segment.validation.origins import validation_origin
from segment.validation.result import ValidationResult
from segment.validation.settings import ValidationSettings


@dataclass
class PipelineResult:
    config: RunConfig
    loaded: LoadResult
    features: pd.DataFrame  # at the grading date
    fitted: dict[str, GradingMethod]
    assignments: dict[str, pd.DataFrame]  # at the grading date (exported)
    origin: str
    origin_features: pd.DataFrame
    outcomes: pd.DataFrame
    origin_assignments: dict[str, pd.DataFrame]
    validation: ValidationResult
    notes: list[str]
    timings: dict[str, float]
    #: weight tuning (``segment.tuning.search.TuningResult``) when the config has a ``tuning`` section
    tuning: Any = None
    #: plain-language notes on how a method behaved on this data (e.g. RFM scores lost to ties)
    method_notes: list[str] = field(default_factory=list)
    #: configured methods that cannot grade this data (``CannotGrade`` at the grading date or the
    #: validation origin), in config order: method -> the reason in plain words. They are in no
    #: other field (no tiers, no validation) and show as "not graded: <reason>" in the leaderboard
    not_graded: dict[str, str] = field(default_factory=dict)
    #: with a rolling backtest (3+ backtest origins): the stability rules' trade-off table
    #: (``segment.governance.study.run_trade_off``), written by the ledger step; else None
    stability_trade_off: pd.DataFrame | None = None

    def save(self, path: Path) -> Path:
        from segment.export import atomic_write

        from segment.load import saved_without_transactions  # the audit's summaries, not the table

        saved = saved_without_transactions(self)

        def write(p: Path) -> None:
            with open(p, "wb") as fh:  # streamed: no second copy of the result in memory as one bytes object
                pickle.dump(saved, fh, protocol=5)

        return atomic_write(Path(path), write)


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


def load_result(path: str | Path) -> PipelineResult:
    """A PipelineResult saved by a run (``<run>/artifacts/result.pkl``)."""
    with open(path, "rb") as fh:  # streamed, as it was written
        return pickle.load(fh)


def run_pipeline(config: RunConfig | str | Path, *, progress: Callable[[str], None] | None = None,
                 cache: Any = None, on_loaded: Callable[[LoadResult], None] | None = None) -> PipelineResult:
    """Run everything the reports show. ``progress(message)`` is called between stages, before
    and after each method's grading and before each validation step (None: silent).
    ``cache``: a ``segment.workcache.WorkCache`` shared with the other runs of this process
    (None: everything is computed). ``on_loaded(loaded)``: called once the data is loaded
    (the run folder records its input before anything else can fail).

    Right after loading, what the config asks of the data is checked (``datacheck``): all
    problems at once, as a ``ConfigError``. A method that cannot grade the data (``CannotGrade``)
    is left out and named in ``result.not_graded``; when none can, ``NothingGraded``.

    A method's warning that its scores lost range (RFM's ``ScoreRangeWarning``: heavily
    tied values) is not printed: it is stated in plain words in ``result.method_notes``
    (manifest and analyst reports), from the fitted methods' ``n_distinct_scores_``."""
    import warnings

    from segment.methods.rfm import ScoreRangeWarning

    cfg = config if isinstance(config, RunConfig) else RunConfig.from_yaml(config)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ScoreRangeWarning)
        return _run_pipeline(cfg, progress=progress, cache=cache, on_loaded=on_loaded)


def _run_pipeline(cfg: RunConfig, *, progress, cache, on_loaded) -> PipelineResult:
    import time

    from segment.validation.suite import validate_all

    say = progress or (lambda message: None)
    t0 = time.perf_counter()
    say("loading data")
    runner = Runner.load(cfg, cache=cache, progress=progress)
    loaded, timings = runner.loaded, runner.timings
    if on_loaded is not None:
        on_loaded(loaded)
    check_data(cfg, loaded)  # what the config asks of this data, before any feature is built

    say(f"features as of {cfg.as_of}")
    with runner.timed("features"):
        features = runner.features_at(cfg.as_of)

    say(f"grading with {len(cfg.methods)} methods")
    with runner.timed("grade"):
        current = runner.grade_at(cfg.as_of, features, progress=progress)
    not_graded = dict(current.not_graded)
    if not current.fitted:
        raise nothing_graded(cfg, not_graded)

    origin, note = validation_origin(cfg.as_of, cfg.window, loaded.data_end)
    if origin == cfg.as_of:
        origin_features, at_origin = features, current
    else:
        say(f"refitting at the validation origin {origin}")
        origin_features = runner.features_at(origin)
        at_origin = runner.grade_at(origin, origin_features, spec=runner.spec.only(current.fitted),
                                    progress=None if progress is None else (lambda m: progress(f"at {origin}: {m}")))
        for name, reason in at_origin.not_graded.items():  # cannot be judged, so not offered: left out at T_now too
            not_graded[name] = f"{reason} (at the validation origin {origin})"
            del current.fitted[name], current.assignments[name]
        if not current.fitted:
            raise nothing_graded(cfg, not_graded)
    not_graded = {name: not_graded[name] for name in cfg.methods if name in not_graded}  # config order
    at_origin = Grading(origin, at_origin.fitted, at_origin.assignments, outcomes=runner.outcomes_at(origin))

    say("validating against churn and profit")
    backtest = None
    studied = len(cfg.backtest_origins) >= 3  # a rolling backtest: the stability study follows validation
    # the study's methods (with the published one) are known once validation has recommended one,
    # before it reads the backtest: what the study reads of the backtest's gradings is kept for them
    chosen: list[str | None] = [cfg.publish]
    reusable: dict[str, Grading] = {}

    def recommended(recommendation: Any) -> None:
        chosen[0] = cfg.publish or (recommendation.method if recommendation is not None else None)

    if cfg.backtest_origins:  # the run's own gradings are reused: the same date twice, the origin's wins
        known = {str(cfg.as_of): Grading(str(cfg.as_of), {}, current.assignments), origin: at_origin}
        backtest = runner.gradings(cfg.backtest_origins, spec=runner.spec.only(current.fitted), known=known,
                                   keep_features=studied)
        if studied:
            backtest = keeping(backtest, reusable, lambda: study_methods(cfg, chosen[0]) if chosen[0] else [])
    with runner.timed("validate"):
        validation = validate_all(ValidationSettings(**cfg.validation), at_origin=at_origin,
                                  origin_features=origin_features, current=current, current_features=features,
                                  horizon_days=cfg.window, backtest=backtest, not_graded=not_graded,
                                  follow_up=decision_settings(cfg.decision).follow_up,
                                  key_accounts=decision_settings(cfg.decision).key_accounts,
                                  profit_before=runner.profit_before(str(cfg.as_of)), progress=progress,
                                  on_recommended=recommended)
    say(f"validated in {timings['validate']:.1f} s")

    trade_off = None
    if studied and chosen[0] in current.fitted:  # a rolling backtest: what stable grades cost
        say("stability study: flip-flops and top-tier capture under each stability rule, at every quarter end")
        methods = study_methods(cfg, chosen[0])
        reusable.update({str(cfg.as_of): study_part(current, methods, features),  # the origin's wins
                         origin: study_part(at_origin, methods, origin_features)})
        with runner.timed("stability"):
            trade_off = run_trade_off(cfg, chosen[0], runner=runner, known=reusable, progress=progress)
    del reusable

    tuning = None
    if cfg.tuning:  # weight tuning (segment.tuning): its own fold origins and judged origin, from the config
        say("tuning the weighted score's weights out of time")
        with runner.timed("tuning"):
            tuning = tune_with(cfg, runner)
    timings["total"] = time.perf_counter() - t0
    return PipelineResult(
        config=cfg, loaded=loaded, features=features, fitted=current.fitted, assignments=current.assignments,
        origin=origin, origin_features=origin_features, outcomes=at_origin.outcomes,
        origin_assignments=at_origin.assignments, tuning=tuning, validation=validation,
        notes=[note, *validation.notes], timings=timings,
        method_notes=score_range_notes({cfg.as_of: current.fitted, origin: at_origin.fitted}), not_graded=not_graded,
        stability_trade_off=trade_off,
    )


def nothing_graded(config: RunConfig, not_graded: dict[str, str]) -> NothingGraded:
    """The error of a run where no configured method can grade the data, with every reason."""
    reasons = "; ".join(f"{name}: {not_graded[name]}" for name in config.methods if name in not_graded)
    return NothingGraded([Problem(config.source, "methods", f"no method can grade this data: {reasons}")])


def params_of(result: PipelineResult) -> dict[str, dict[str, Any]]:
    """The full parameters (defaults included) of every fitted method, for the manifest."""
    return {name: {k: jsonable(v) for k, v in m.get_params().items()} for name, m in result.fitted.items()}


def tune_with(config: RunConfig, runner: Runner) -> Any:
    """The weight tuning ``config``'s ``tuning:`` section asks for (``segment.tuning.search.tune``), on
    the tables the runner builds from the run's data."""
    from segment.methods.weighted import DEFAULT_WEIGHTS
    from segment.tuning.grid import weights_text
    from segment.tuning.search import check_design, tune
    from segment.tuning.settings import TuningConfig

    params = dict(config.methods.get("weighted", {}))
    settings = TuningConfig.from_dict(config.tuning, source=config.source, horizon_days=config.window,
                                      method_params=params)
    default = params.pop("weights", None) or dict(DEFAULT_WEIGHTS)
    loaded = runner.loaded
    check_design(settings, loaded.data_end)
    folds, judged, note = runner.tuning_tables(settings.fold_origins, settings.judged_origin, settings.horizon)
    result = tune(settings=settings, fold_tables=folds, judged_tables=judged, base_params=params,
                  default_weights=default, provisional_days=config.provisional_days, notes=[note])
    result.data_source = str(loaded.source.get("file") or loaded.source.get("dataset") or config.source)
    if not loaded.source.get("real_data", True):
        result.data_source += " (synthetic)"
    if "weighted" not in config.methods:
        result.notes.append("the config has no weighted method: the default weights are the package's "
                            f"({weights_text(DEFAULT_WEIGHTS)})")
    return result


def load_or_tune(run_dir: str, config: str) -> Any:
    """The run's tuning result (``segment.tuning.search.TuningResult``), or (no run_dir: interactive
    use, nbval) the tuning of ``config`` alone (load the data and tune; the other methods are
    not run)."""
    if run_dir:
        result = getattr(load_result(Path(run_dir) / "artifacts" / "result.pkl"), "tuning", None)
        if result is None:
            raise ValueError(f"the run in {run_dir} has no tuning result: its config has no 'tuning' section")
        return result
    cfg = RunConfig.from_yaml(config)
    if not cfg.tuning:
        raise ValueError(f"{config} has no 'tuning' section")
    return tune_with(cfg, Runner.load(cfg))
