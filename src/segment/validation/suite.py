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

from dataclasses import replace
from typing import Any, Callable, Iterable

import pandas as pd

from segment.decision import DecisionSettings
from segment.grading import Grading
from segment.validation.agreement import agreement_matrix, disagreements
from segment.validation.backtest import backtest_stability, rolling_tables
from segment.validation.capacity import capacity_curve, capacity_differences, capacity_inputs, capacity_rows
from segment.validation.leaderboard import curves, leaderboard_tables, with_not_graded
from segment.validation.metrics import rank_all
from segment.validation.models import tier_models
from segment.validation.result import ValidationResult, recommend
from segment.validation.settings import ValidationSettings
from segment.validation.tiers import per_tier_all
from segment.horizon import as_horizon
from segment.validation.warning import early_warning, follow_up_list, stop_rates, warning_check


def validate_at_origin(settings: ValidationSettings, *, features: pd.DataFrame, outcomes: pd.DataFrame,
                       assignments: dict[str, pd.DataFrame], key_accounts: int = DecisionSettings.key_accounts,
                       progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The tables that need only one origin: {"tables": {...}, "curves": DataFrame, "capacity":
    CapacityInputs}. ``assignments`` must grade exactly ``outcomes``' customers (same as
    ``features``). ``key_accounts``: the team's capacity (``decision.key_accounts``), for the
    "capacity" and "capacity_curve" tables; "capacity" holds their paired replicates, from which
    ``validate_all`` takes the differences to the recommended and other gradings.
    ``progress(message)`` is called before each step."""
    n_boot, random_state, level = int(settings.n_boot), int(settings.random_state), float(settings.level)
    warn = {"max_growth": float(settings.warning_max_growth), "gap_multiple": float(settings.warning_gap_multiple)}
    say = progress or (lambda message: None)
    say(f"validating: ordering the customers of {len(assignments)} methods")
    rankings = rank_all(assignments, outcomes.index)
    tables: dict[str, pd.DataFrame] = {}
    say("validating: churn and profit per tier")
    tables["per_tier"] = per_tier_all(assignments, outcomes, level, rankings=rankings)
    say(f"validating: leaderboard ({n_boot} paired bootstrap replicates)" if n_boot
        else "validating: leaderboard (no bootstrap)")
    tables["leaderboard"], tables["metric_intervals"] = leaderboard_tables(
        assignments, outcomes, n_boot=n_boot, random_state=random_state, level=level,
        top_share=float(settings.top_share), rankings=rankings)
    say("validating: tier models (churn and profit on tier)")
    tables["model_effects"], tables["model_fit"] = tier_models(
        assignments, outcomes, max_rows=int(settings.model_max_rows), random_state=random_state, level=level,
        rankings=rankings)
    say("validating: agreement between methods")
    tables["agreement"] = agreement_matrix(assignments, rankings=rankings)
    same_rows = features.index.equals(outcomes.index)
    say("validating: customers the methods disagree on")
    tables["disagreements"] = disagreements(assignments, features, top_n=int(settings.disagreement_top_n),
                                            rankings=rankings if same_rows else None)
    say("validating: does the early warning foretell churn")
    tables["warning_check"] = pd.concat(
        [warning_check(a, features, outcomes, **warn, level=level).assign(method=name)
         for name, a in assignments.items()], ignore_index=True)
    tables["warning_check"] = tables["warning_check"][["method", *[c for c in tables["warning_check"] if c != "method"]]]
    tables["warning_reasons"] = pd.concat(
        [stop_rates(a, features, outcomes, **warn, level=level).assign(method=name) for name, a in assignments.items()],
        ignore_index=True)
    tables["warning_reasons"] = tables["warning_reasons"][
        ["method", *[c for c in tables["warning_reasons"] if c != "method"]]]
    say(f"validating: profit covered by the top {key_accounts:,} customers")
    capacity = capacity_inputs(rankings, outcomes, key_accounts=key_accounts, n_boot=n_boot, random_state=random_state,
                               level=level)
    tables["capacity"] = capacity_rows(capacity)
    tables["capacity_curve"] = capacity_curve(assignments, outcomes, key_accounts=key_accounts, rankings=rankings)
    say("validating: gain curves")
    return {"tables": tables, "curves": curves(assignments, outcomes, rankings=rankings), "capacity": capacity}


def validate_all(settings: ValidationSettings, *, at_origin: Grading, origin_features: pd.DataFrame,
                 current: Grading, current_features: pd.DataFrame, horizon_days: int,
                 backtest: Iterable[Grading] | None = None, not_graded: dict[str, str] | None = None,
                 follow_up: int = DecisionSettings.follow_up, key_accounts: int = DecisionSettings.key_accounts,
                 published: str | None = None, profit_before: Callable[[pd.Series], pd.Series] | None = None,
                 progress: Callable[[str], None] | None = None,
                 on_recommended: Callable[[Any], None] | None = None) -> ValidationResult:
    """Validation at the validation origin (``at_origin``, with its outcomes, graded on
    ``origin_features``), the rolling backtest and migration over ``backtest`` (gradings in
    date order; None: no backtest), and the early-warning list at the grading date
    (``current``, graded on ``current_features``).

    ``not_graded`` (method -> reason): configured methods that cannot grade this data. Only the
    graded methods are judged; the leaderboard gets one row per not-graded method with no
    figures and ``note`` = "not graded: <reason>" (the ``note`` column exists only then, so a
    run where every method grades keeps its table as it was). ``follow_up``: the team's capacity
    (``decision.follow_up``); the recommended method's early-warning list cut to it, most profit
    at risk first, is the ``follow_up`` table; with ``profit_before`` (customer ids -> their profit
    in the horizon-length window before ``current``'s date, by the run's profit rule:
    ``Runner.profit_before``) its last column is what each listed customer made then.
    ``key_accounts`` (``decision.key_accounts``): the profit covered by each grading's top
    that-many customers ("capacity", "capacity_curve") and its paired differences ("capacity_differences") to the recommended grading, to ``published`` (the
    method the previous run of the series published, from the ledger; None on a first run), to ABC
    by revenue (when graded) and to random. ``progress(message)`` is called before each step;
    ``on_recommended(recommendation)`` once the recommendation (a ``Recommendation`` or None) is
    decided, before ``backtest`` is read."""
    v = settings
    result = validate_at_origin(v, features=origin_features, outcomes=at_origin.outcomes,
                                assignments=at_origin.assignments, key_accounts=int(key_accounts), progress=progress)
    tables = result["tables"]
    recommended = recommend(tables["leaderboard"], float(v.practical_margin))
    if on_recommended is not None:  # before the backtest is read: its caller may keep what it needs of it
        on_recommended(recommended)
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
            notes.append(f"backtest origins without a full {as_horizon(horizon_days).adjective} outcome window are used for "
                         f"migration only: {', '.join(rolled['origins_without_outcomes'])}")
    say(f"early warning: top-tier customers with falling activity at {current.as_of}")
    ew = [early_warning(a, current_features, max_growth=float(v.warning_max_growth),
                        gap_multiple=float(v.warning_gap_multiple)).assign(method=name)
          for name, a in current.assignments.items()]
    tables["early_warning"] = pd.concat(ew, ignore_index=True)[
        ["method", *[c for c in ew[0].columns if c != "method"]]] if ew else pd.DataFrame()
    ew_all = tables["early_warning"]
    chosen = (ew_all[ew_all["method"] == recommended.method] if recommended is not None and not ew_all.empty
              else ew_all.iloc[0:0])
    tables["follow_up"] = follow_up_list(chosen, int(follow_up), check=tables["warning_check"],
                                         rates=tables["warning_reasons"], profit_before=profit_before)
    validation = ValidationResult(**tables, curves=result["curves"], notes=notes, recommended=recommended,
                                  capacity_inputs=result["capacity"])
    return with_published(validation, published)


def capacity_references(recommended: str | None, published: str | None) -> dict[str, str | None]:
    """The references of ``capacity_differences``, in their order: the recommended grading, the
    published one (the grading in use), ABC by revenue and random (None: left out)."""
    return {"recommended": recommended, "published": published, "abc": "abc_revenue", "random": None}


def with_published(validation: ValidationResult, published: str | None) -> ValidationResult:
    """``validation`` with ``published`` (the method the previous run of the series published;
    None on a first run) and its ``capacity_differences`` made against it, from the paired
    replicates the result keeps (``capacity_inputs``): the same table ``validate_all(...,
    published=published)`` makes, for a caller that reads the ledger only after the pipeline (a
    report-all run finishes the series' previous run first). A result without those replicates
    (made before they existed) only records ``published``."""
    if validation.capacity_inputs is None:
        return replace(validation, published=published)
    recommended = validation.recommended.method if validation.recommended is not None else None
    return replace(validation, published=published, capacity_differences=capacity_differences(
        validation.capacity_inputs, capacity_references(recommended, published)))
