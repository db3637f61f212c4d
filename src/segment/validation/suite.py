"""Everything the validation notebook and the reports show, from one call.

``validate_all`` is called by ``segment.pipeline.run_pipeline``; its ``tables`` are
written to ``<run>/validation/<name>.csv`` (columns: docs/VALIDATION.md). Each method's
ordering is computed once (``rank_all``) and shared by every table.

``config.validation`` keys (all optional): ``n_boot`` (200), ``random_state`` (0),
``level`` (0.95), ``top_share`` (0.2), ``model_max_rows`` (500,000),
``disagreement_top_n`` (50), ``backtest_n_boot`` (0), ``warning_max_growth`` (−0.5),
``warning_gap_multiple`` (2.0).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import pandas as pd

from segment.validation.agreement import agreement_matrix, disagreements
from segment.validation.backtest import OriginGrading, backtest_stability, rolling_tables
from segment.validation.leaderboard import curves, leaderboard_tables, with_not_graded
from segment.validation.metrics import rank_all
from segment.validation.models import tier_models
from segment.validation.settings import ValidationSettings
from segment.validation.tiers import per_tier_all
from segment.validation.warning import early_warning, warning_check

#: the ``validation:`` settings, declared once with their defaults, types and ranges
KNOWN_KEYS = {f.name for f in dataclasses.fields(ValidationSettings)}


def validate_at_origin(*, features: pd.DataFrame, outcomes: pd.DataFrame, assignments: dict[str, pd.DataFrame],
                       n_boot: int = 200, random_state: int = 0, level: float = 0.95, top_share: float = 0.2,
                       model_max_rows: int = 500_000, disagreement_top_n: int = 50, warning_max_growth: float = -0.5,
                       warning_gap_multiple: float = 2.0,
                       progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The tables that need only one origin: {"tables": {...}, "curves": DataFrame}.
    ``assignments`` must grade exactly ``outcomes``' customers (same as ``features``).
    ``progress(message)`` is called before each step."""
    say = progress or (lambda message: None)
    say(f"validating: ordering the customers of {len(assignments)} methods")
    rankings = rank_all(assignments, outcomes.index)
    tables: dict[str, pd.DataFrame] = {}
    say("validating: churn and profit per tier")
    tables["per_tier"] = per_tier_all(assignments, outcomes, level, rankings=rankings)
    say(f"validating: leaderboard ({n_boot} paired bootstrap replicates)" if n_boot
        else "validating: leaderboard (no bootstrap)")
    tables["leaderboard"], tables["metric_intervals"] = leaderboard_tables(
        assignments, outcomes, n_boot=n_boot, random_state=random_state, level=level, top_share=top_share,
        rankings=rankings)
    say("validating: tier models (churn and profit on tier)")
    tables["model_effects"], tables["model_fit"] = tier_models(assignments, outcomes, max_rows=model_max_rows,
                                                               random_state=random_state, level=level,
                                                               rankings=rankings)
    say("validating: agreement between methods")
    tables["agreement"] = agreement_matrix(assignments, rankings=rankings)
    same_rows = features.index.equals(outcomes.index)
    say("validating: customers the methods disagree on")
    tables["disagreements"] = disagreements(assignments, features, top_n=disagreement_top_n,
                                            rankings=rankings if same_rows else None)
    say("validating: does the early warning foretell churn")
    tables["warning_check"] = pd.concat(
        [warning_check(a, features, outcomes, max_growth=warning_max_growth, gap_multiple=warning_gap_multiple,
                       level=level).assign(method=name) for name, a in assignments.items()], ignore_index=True)
    tables["warning_check"] = tables["warning_check"][["method", *[c for c in tables["warning_check"] if c != "method"]]]
    say("validating: gain curves")
    return {"tables": tables, "curves": curves(assignments, outcomes, rankings=rankings)}


def validate_all(*, config, transactions: pd.DataFrame, customers: pd.DataFrame | None, origin: str,
                 features: pd.DataFrame, outcomes: pd.DataFrame, assignments: dict[str, pd.DataFrame],
                 fitted: dict, current_features: pd.DataFrame, current_assignments: dict[str, pd.DataFrame],
                 not_graded: dict[str, str] | None = None,
                 progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Validation at the validation origin ``origin`` (``features``/``outcomes``/``assignments``),
    the rolling backtest and migration over ``config.backtest_origins``, and the early-warning
    list at the grading date ``config.as_of`` (``current_*``). Returns {"tables", "curves",
    "notes"}. A backtest origin equal to the validation origin or the grading date reuses
    that grading instead of fitting every method again.

    ``not_graded`` (method -> reason): configured methods that cannot grade this data. Only the
    graded methods are judged (here and in the backtest); the leaderboard gets one row per
    not-graded method with no figures and ``note`` = "not graded: <reason>" (the ``note``
    column exists only then, so a run where every method grades keeps its table as it was).
    ``progress(message)`` is called before each step."""
    unknown = set(config.validation) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"unknown validation settings {sorted(unknown)}; known: {sorted(KNOWN_KEYS)}")
    v = dataclasses.asdict(ValidationSettings(**config.validation))  # the defaults, from segment.validation.settings
    seed = int(v["random_state"])
    max_growth, gap_multiple = float(v["warning_max_growth"]), float(v["warning_gap_multiple"])
    result = validate_at_origin(
        features=features, outcomes=outcomes, assignments=assignments, n_boot=int(v["n_boot"]),
        random_state=seed, level=float(v["level"]), top_share=float(v["top_share"]),
        model_max_rows=int(v["model_max_rows"]), disagreement_top_n=int(v["disagreement_top_n"]),
        warning_max_growth=max_growth, warning_gap_multiple=gap_multiple, progress=progress)
    tables = result["tables"]
    not_graded = dict(not_graded or {})
    if not_graded:
        tables["leaderboard"] = with_not_graded(tables["leaderboard"], not_graded)
    methods = {name: params for name, params in config.methods.items() if name not in not_graded}
    notes: list[str] = []
    origins = list(config.backtest_origins)
    say = progress or (lambda message: None)
    if origins:
        known = {str(config.as_of): OriginGrading(str(config.as_of), None, current_assignments),
                 str(origin): OriginGrading(str(origin), outcomes, assignments)}  # the same date twice: origin wins
        rolled = rolling_tables(transactions, origins, horizon_days=config.horizon_days, methods=methods,
                                feature_kwargs=config.feature_kwargs, provisional_days=config.provisional_days,
                                customers=customers, skipped=notes, known=known,
                                n_boot=int(v["backtest_n_boot"]), random_state=seed,
                                top_share=float(v["top_share"]), progress=progress)
        say("backtest: how stable each method's lead is")
        tables["backtest"] = rolled["backtest"]
        tables["backtest_stability"] = backtest_stability(tables["backtest"])
        tables["migration_paths"], tables["migration_summary"] = rolled["migration_paths"], rolled["migration_summary"]
        if rolled["origins_without_outcomes"]:
            notes.append(f"backtest origins without a full {config.horizon_days}-day outcome window are used for "
                         f"migration only: {', '.join(rolled['origins_without_outcomes'])}")
    say(f"early warning: top-tier customers with falling activity at {config.as_of}")
    ew = [early_warning(a, current_features, max_growth=max_growth, gap_multiple=gap_multiple).assign(method=name)
          for name, a in current_assignments.items()]
    tables["early_warning"] = pd.concat(ew, ignore_index=True)[
        ["method", *[c for c in ew[0].columns if c != "method"]]] if ew else pd.DataFrame()
    return {"tables": tables, "curves": result["curves"], "notes": notes}
