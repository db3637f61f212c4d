"""Everything the validation notebook and the reports show, from one call.

``validate_all`` judges the gradings the pipeline hands it: the grading at the validation
origin with its outcomes, the grading at the grading date (for the early-warning list) and,
with ``backtest_origins``, the gradings of every backtest origin (an iterable the runner fills
one origin at a time). It returns a ``ValidationResult``, whose ``tables()`` are written to
``<run>/validation/<name>.csv`` (columns: docs/VALIDATION.md). Each method's ordering is
computed once (``rank_all``) and shared by every table. The settings (``validation:`` in a
config) and their defaults are ``segment.validation.settings.ValidationSettings``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import pandas as pd

from segment.grading import Grading
from segment.validation.agreement import agreement_matrix, disagreements
from segment.validation.backtest import backtest_stability, rolling_tables
from segment.validation.leaderboard import curves, leaderboard_tables, with_not_graded
from segment.validation.metrics import rank_all
from segment.validation.models import tier_models
from segment.validation.result import ValidationResult, recommend
from segment.validation.settings import ValidationSettings
from segment.validation.tiers import per_tier_all
from segment.validation.warning import early_warning, warning_check


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


def validate_all(settings: ValidationSettings, *, at_origin: Grading, origin_features: pd.DataFrame,
                 current: Grading, current_features: pd.DataFrame, horizon_days: int,
                 backtest: Iterable[Grading] | None = None, not_graded: dict[str, str] | None = None,
                 progress: Callable[[str], None] | None = None) -> ValidationResult:
    """Validation at the validation origin (``at_origin``, with its outcomes, graded on
    ``origin_features``), the rolling backtest and migration over ``backtest`` (gradings in
    date order; None: no backtest), and the early-warning list at the grading date
    (``current``, graded on ``current_features``).

    ``not_graded`` (method -> reason): configured methods that cannot grade this data. Only the
    graded methods are judged; the leaderboard gets one row per not-graded method with no
    figures and ``note`` = "not graded: <reason>" (the ``note`` column exists only then, so a
    run where every method grades keeps its table as it was). ``progress(message)`` is called
    before each step."""
    v = settings
    result = validate_at_origin(
        features=origin_features, outcomes=at_origin.outcomes, assignments=at_origin.assignments,
        n_boot=int(v.n_boot), random_state=int(v.random_state), level=float(v.level), top_share=float(v.top_share),
        model_max_rows=int(v.model_max_rows), disagreement_top_n=int(v.disagreement_top_n),
        warning_max_growth=float(v.warning_max_growth), warning_gap_multiple=float(v.warning_gap_multiple),
        progress=progress)
    tables = result["tables"]
    recommended = recommend(tables["leaderboard"], float(v.practical_margin))
    if not_graded:
        tables["leaderboard"] = with_not_graded(tables["leaderboard"], dict(not_graded))
    notes: list[str] = []
    say = progress or (lambda message: None)
    if backtest is not None:
        rolled = rolling_tables(backtest, n_boot=int(v.backtest_n_boot), random_state=int(v.random_state),
                                top_share=float(v.top_share), progress=progress)
        notes += rolled["left_out"]
        say("backtest: how stable each method's lead is")
        tables["backtest"] = rolled["backtest"]
        tables["backtest_stability"] = backtest_stability(tables["backtest"])
        tables["migration_paths"], tables["migration_summary"] = rolled["migration_paths"], rolled["migration_summary"]
        if rolled["origins_without_outcomes"]:
            notes.append(f"backtest origins without a full {horizon_days}-day outcome window are used for "
                         f"migration only: {', '.join(rolled['origins_without_outcomes'])}")
    say(f"early warning: top-tier customers with falling activity at {current.as_of}")
    ew = [early_warning(a, current_features, max_growth=float(v.warning_max_growth),
                        gap_multiple=float(v.warning_gap_multiple)).assign(method=name)
          for name, a in current.assignments.items()]
    tables["early_warning"] = pd.concat(ew, ignore_index=True)[
        ["method", *[c for c in ew[0].columns if c != "method"]]] if ew else pd.DataFrame()
    return ValidationResult(**tables, curves=result["curves"], notes=notes, recommended=recommended)
