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

from typing import Any

import pandas as pd

from segment.validation.agreement import agreement_matrix, disagreements
from segment.validation.backtest import OriginGrading, backtest_stability, rolling_tables
from segment.validation.leaderboard import curves, leaderboard_tables
from segment.validation.metrics import rank_all
from segment.validation.models import tier_models
from segment.validation.tiers import per_tier_all
from segment.validation.warning import early_warning, warning_check

KNOWN_KEYS = {"n_boot", "random_state", "level", "top_share", "model_max_rows", "disagreement_top_n",
              "backtest_n_boot", "warning_max_growth", "warning_gap_multiple"}


def validate_at_origin(*, features: pd.DataFrame, outcomes: pd.DataFrame, assignments: dict[str, pd.DataFrame],
                       n_boot: int = 200, random_state: int = 0, level: float = 0.95, top_share: float = 0.2,
                       model_max_rows: int = 500_000, disagreement_top_n: int = 50, warning_max_growth: float = -0.5,
                       warning_gap_multiple: float = 2.0) -> dict[str, Any]:
    """The tables that need only one origin: {"tables": {...}, "curves": DataFrame}.
    ``assignments`` must grade exactly ``outcomes``' customers (same as ``features``)."""
    rankings = rank_all(assignments, outcomes.index)
    tables: dict[str, pd.DataFrame] = {}
    tables["per_tier"] = per_tier_all(assignments, outcomes, level, rankings=rankings)
    tables["leaderboard"], tables["metric_intervals"] = leaderboard_tables(
        assignments, outcomes, n_boot=n_boot, random_state=random_state, level=level, top_share=top_share,
        rankings=rankings)
    tables["model_effects"], tables["model_fit"] = tier_models(assignments, outcomes, max_rows=model_max_rows,
                                                               random_state=random_state, level=level,
                                                               rankings=rankings)
    tables["agreement"] = agreement_matrix(assignments, rankings=rankings)
    same_rows = features.index.equals(outcomes.index)
    tables["disagreements"] = disagreements(assignments, features, top_n=disagreement_top_n,
                                            rankings=rankings if same_rows else None)
    tables["warning_check"] = pd.concat(
        [warning_check(a, features, outcomes, max_growth=warning_max_growth, gap_multiple=warning_gap_multiple,
                       level=level).assign(method=name) for name, a in assignments.items()], ignore_index=True)
    tables["warning_check"] = tables["warning_check"][["method", *[c for c in tables["warning_check"] if c != "method"]]]
    return {"tables": tables, "curves": curves(assignments, outcomes, rankings=rankings)}


def validate_all(*, config, transactions: pd.DataFrame, customers: pd.DataFrame | None, origin: str,
                 features: pd.DataFrame, outcomes: pd.DataFrame, assignments: dict[str, pd.DataFrame],
                 fitted: dict, current_features: pd.DataFrame, current_assignments: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Validation at the validation origin ``origin`` (``features``/``outcomes``/``assignments``),
    the rolling backtest and migration over ``config.backtest_origins``, and the early-warning
    list at the grading date ``config.as_of`` (``current_*``). Returns {"tables", "curves",
    "notes"}. A backtest origin equal to the validation origin or the grading date reuses
    that grading instead of fitting every method again."""
    v = dict(config.validation)
    unknown = set(v) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"unknown validation settings {sorted(unknown)}; known: {sorted(KNOWN_KEYS)}")
    seed = int(v.get("random_state", 0))
    max_growth, gap_multiple = float(v.get("warning_max_growth", -0.5)), float(v.get("warning_gap_multiple", 2.0))
    result = validate_at_origin(
        features=features, outcomes=outcomes, assignments=assignments, n_boot=int(v.get("n_boot", 200)),
        random_state=seed, level=float(v.get("level", 0.95)), top_share=float(v.get("top_share", 0.2)),
        model_max_rows=int(v.get("model_max_rows", 500_000)), disagreement_top_n=int(v.get("disagreement_top_n", 50)),
        warning_max_growth=max_growth, warning_gap_multiple=gap_multiple)
    tables = result["tables"]
    notes: list[str] = []
    origins = list(config.backtest_origins)
    if origins:
        known = {str(config.as_of): OriginGrading(str(config.as_of), None, current_assignments),
                 str(origin): OriginGrading(str(origin), outcomes, assignments)}  # the same date twice: origin wins
        rolled = rolling_tables(transactions, origins, horizon_days=config.horizon_days, methods=config.methods,
                                feature_kwargs=config.feature_kwargs, provisional_days=config.provisional_days,
                                customers=customers, skipped=notes, known=known,
                                n_boot=int(v.get("backtest_n_boot", 0)), random_state=seed,
                                top_share=float(v.get("top_share", 0.2)))
        tables["backtest"] = rolled["backtest"]
        tables["backtest_stability"] = backtest_stability(tables["backtest"])
        tables["migration_paths"], tables["migration_summary"] = rolled["migration_paths"], rolled["migration_summary"]
        if rolled["origins_without_outcomes"]:
            notes.append(f"backtest origins without a full {config.horizon_days}-day outcome window are used for "
                         f"migration only: {', '.join(rolled['origins_without_outcomes'])}")
    ew = [early_warning(a, current_features, max_growth=max_growth, gap_multiple=gap_multiple).assign(method=name)
          for name, a in current_assignments.items()]
    tables["early_warning"] = pd.concat(ew, ignore_index=True)[
        ["method", *[c for c in ew[0].columns if c != "method"]]] if ew else pd.DataFrame()
    return {"tables": tables, "curves": result["curves"], "notes": notes}
