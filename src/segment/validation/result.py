"""What validation found, as named tables: ``ValidationResult`` and the recommendation.

Every table is an attribute (its columns: docs/VALIDATION.md); ``tables()`` gives them by the
name their CSV has under ``<run>/validation/``. ``recommended`` is decided here, once, from the
leaderboard: the graded method with the highest headline figure (top-20 % profit capture), and
which others are, or are not, clearly worse (their paired interval to the best excludes zero).
Reports read it; none decides again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from segment.validation.leaderboard import HEADLINE, method_rows

#: the leaderboard row of the perfect-hindsight ceiling
CEILING = "perfect hindsight (reference)"


@dataclass(frozen=True)
class Recommendation:
    """The leaderboard's best graded method, its headline figure with interval, the ceiling,
    and the other graded methods that are / are not clearly worse than it."""

    method: str
    capture: float
    ci_low: float
    ci_high: float
    churn_auc: float
    ceiling: float
    not_clearly_worse: tuple[str, ...]
    clearly_worse: tuple[str, ...]
    #: every graded method's headline figure, best first
    captures: dict[str, float] = field(default_factory=dict)


def recommend(board: pd.DataFrame) -> Recommendation | None:
    """The recommendation of a leaderboard (None when no method was graded)."""
    methods = method_rows(board).sort_values(HEADLINE, ascending=False)
    if methods.empty:
        return None
    worse_flag = methods["clearly_worse_than_best"].fillna(False).astype(bool)  # no intervals (n_boot 0): unknown
    best = methods.iloc[0]
    ceiling = board.loc[board["method"] == CEILING, HEADLINE]
    return Recommendation(
        method=str(best["method"]), capture=float(best[HEADLINE]), ci_low=float(best["top20_capture_ci_low"]),
        ci_high=float(best["top20_capture_ci_high"]), churn_auc=float(best["churn_auc"]),
        ceiling=float(ceiling.iloc[0]) if len(ceiling) else float("nan"),
        not_clearly_worse=tuple(methods[(methods["method"] != best["method"]) & ~worse_flag]["method"]),
        clearly_worse=tuple(methods[worse_flag]["method"]),
        captures={str(m): float(v) for m, v in zip(methods["method"], methods[HEADLINE])})


@dataclass
class ValidationResult:
    """The validation tables of a run (one attribute per table) and what they recommend."""

    #: churn and profit per tier, per method, at the validation origin
    per_tier: pd.DataFrame
    #: one row per method (and reference): headline figures with intervals
    leaderboard: pd.DataFrame
    metric_intervals: pd.DataFrame
    model_effects: pd.DataFrame
    model_fit: pd.DataFrame
    agreement: pd.DataFrame
    disagreements: pd.DataFrame
    warning_check: pd.DataFrame
    #: top-tier customers with falling activity at the grading date
    early_warning: pd.DataFrame
    #: capture (gain) curves; not written as a table
    curves: pd.DataFrame
    #: the rolling backtest (None without ``backtest_origins``)
    backtest: pd.DataFrame | None = None
    backtest_stability: pd.DataFrame | None = None
    migration_paths: pd.DataFrame | None = None
    migration_summary: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    recommended: Recommendation | None = None

    #: the tables, in the order they are written (``<run>/validation/<name>.csv``)
    TABLES = ("per_tier", "leaderboard", "metric_intervals", "model_effects", "model_fit", "agreement",
              "disagreements", "warning_check", "backtest", "backtest_stability", "migration_paths",
              "migration_summary", "early_warning")

    def tables(self) -> dict[str, pd.DataFrame]:
        """name -> table, for every table this run has (the backtest's only with origins)."""
        return {name: getattr(self, name) for name in self.TABLES if getattr(self, name) is not None}
