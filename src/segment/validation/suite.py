"""Everything the validation notebook and the reports show, from one call.

``validate_all`` is called by ``segment.pipeline.run_pipeline``; its ``tables`` are
written to ``<run>/validation/<name>.csv`` (columns: docs/VALIDATION.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from segment.config import RunConfig
from segment.validation.agreement import agreement_matrix, disagreements
from segment.validation.backtest import grade_at_origins, migration, rolling_leaderboard
from segment.validation.leaderboard import leaderboard
from segment.validation.metrics import capture_curve, ordering
from segment.validation.models import tier_models
from segment.validation.tiers import per_tier_all
from segment.validation.warning import early_warning


def curves(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame) -> pd.DataFrame:
    """Gain (capture) curves of outcome profit, per method plus the hindsight ceiling."""
    profit = outcomes["profit_outcome"]
    parts = []
    for name, a in assignments.items():
        a = a.loc[outcomes.index]
        parts.append(capture_curve(profit.to_numpy()[ordering(a)]).assign(method=name))
    parts.append(capture_curve(np.sort(profit.to_numpy())[::-1]).assign(method="perfect hindsight (reference)"))
    return pd.concat(parts, ignore_index=True)


def validate_all(*, config: RunConfig, transactions: pd.DataFrame, customers: pd.DataFrame | None,
                 features: pd.DataFrame, outcomes: pd.DataFrame, assignments: dict[str, pd.DataFrame],
                 fitted: dict, current_features: pd.DataFrame, current_assignments: dict[str, pd.DataFrame]) -> dict[str, Any]:
    v = config.validation
    n_boot, seed = int(v.get("n_boot", 200)), int(v.get("random_state", 0))
    tables: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    tables["per_tier"] = per_tier_all(assignments, outcomes)
    tables["leaderboard"] = leaderboard(assignments, outcomes, n_boot=n_boot, random_state=seed)
    tables["model_effects"], tables["model_fit"] = tier_models(assignments, outcomes,
                                                               max_rows=int(v.get("model_max_rows", 200_000)),
                                                               random_state=seed)
    tables["agreement"] = agreement_matrix(assignments)
    tables["disagreements"] = disagreements(assignments, features, top_n=int(v.get("disagreement_top_n", 50)))
    origins = [o for o in config.backtest_origins]
    if origins:
        gradings = grade_at_origins(transactions, origins, horizon_days=config.horizon_days, methods=config.methods,
                                    feature_kwargs=config.feature_kwargs, provisional_days=config.provisional_days,
                                    customers=customers, skipped=notes)
        tables["backtest"] = rolling_leaderboard(gradings, n_boot=int(v.get("backtest_n_boot", 0)), random_state=seed)
        tables["migration_paths"], tables["migration_summary"] = migration(gradings)
        skipped = [g.origin for g in gradings if g.outcomes is None]
        if skipped:
            notes.append(f"backtest origins without a full {config.horizon_days}-day outcome window are used for "
                         f"migration only: {', '.join(skipped)}")
    tables["early_warning"] = pd.concat(
        [early_warning(a, current_features).assign(method=name) for name, a in current_assignments.items()],
        ignore_index=True,
    )
    return {"tables": tables, "curves": curves(assignments, outcomes), "notes": notes}
