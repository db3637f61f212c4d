"""What validation found, as named tables: ``ValidationResult`` and the recommendation.

Every table is an attribute (its columns: docs/VALIDATION.md); ``tables()`` gives them by the
name their CSV has under ``<run>/validation/``. ``recommended`` is decided here, once, from the
leaderboard (``recommend``), and every report reads it:

- the *best* is the graded method with the highest headline figure (top-20 % profit capture);
- another method is *clearly worse* only when its paired difference to the best is beyond the
  practical margin (``validation: {practical_margin: ...}``, capture points) AND its paired
  interval excludes zero (without intervals, ``n_boot: 0``, the difference alone decides);
- of the methods that are not clearly worse (the best included), the *simplest* is recommended
  (``simplicity`` in the method's metadata; ties: the higher figure, then the name);
- another method *ranks churn clearly better* than the recommendation when it has the highest
  churn AUC and the recommendation's paired AUC difference to it (DeLong, the leaderboard's
  ``churn_auc_diff_ci_*``) lies below zero; without paired columns, when its own AUC interval
  lies above the recommendation's AUC (``better_at_churn``; empty: none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segment.validation.capacity import CapacityInputs
from segment.validation.leaderboard import HEADLINE, method_rows

#: the leaderboard row of the perfect-hindsight ceiling
CEILING = "perfect hindsight (reference)"


@dataclass(frozen=True)
class Recommendation:
    """The recommended method (the simplest not clearly worse than the best), its headline figure
    with interval, the best, the ceiling, and the other graded methods that are / are not
    clearly worse than the best."""

    method: str
    capture: float
    ci_low: float
    ci_high: float
    churn_auc: float
    ceiling: float
    #: other graded methods not clearly worse than the best (``best`` among them unless it is
    #: ``method``), simplest first
    not_clearly_worse: tuple[str, ...]
    clearly_worse: tuple[str, ...]
    #: every graded method's headline figure, best first
    captures: dict[str, float] = field(default_factory=dict)
    #: the graded method with the highest headline figure
    best: str = ""
    #: the practical margin used (capture points)
    margin: float = 0.0
    #: the graded method that ranks churn clearly better (module docstring; "" when none), its
    #: churn AUC and its AUC minus the recommendation's with the paired 95 % interval
    better_at_churn: str = ""
    better_churn_auc: float = float("nan")
    churn_auc_gap: float = float("nan")
    churn_auc_gap_ci_low: float = float("nan")
    churn_auc_gap_ci_high: float = float("nan")


def is_clearly_worse(diff: float, high: float, margin: float) -> bool:
    """Clearly worse than the best: the difference is beyond ``margin`` and its paired interval
    excludes zero (``high < 0``; no interval: the difference alone decides)."""
    if pd.isna(diff):
        return False
    return bool(diff < -margin and (pd.isna(high) or high < 0))


def better_at_churn(methods: pd.DataFrame, chosen: str) -> dict[str, float | str]:
    """The ``Recommendation`` fields of the method that ranks churn clearly better than
    ``chosen`` (module docstring); {} when none does. ``methods``: graded rows by method."""
    auc = methods["churn_auc"].astype(float) if "churn_auc" in methods else pd.Series(dtype=float)
    if auc.notna().sum() < 2:
        return {}
    leader = str(auc.idxmax())
    if leader == chosen or not auc[leader] > auc[chosen]:
        return {}
    row, gap = methods.loc[chosen], float(auc[leader] - auc[chosen])
    if "churn_auc_diff_ci_high" in methods and pd.notna(row["churn_auc_diff_ci_high"]):
        # the chosen method minus the AUC leader, paired: its interval below zero = clearly worse
        low, high = -float(row["churn_auc_diff_ci_high"]), -float(row["churn_auc_diff_ci_low"])
        clearly = low > 0
    else:
        low = high = float("nan")
        clearly = bool(float(methods.loc[leader].get("churn_auc_ci_low", np.nan)) > auc[chosen])
    if not clearly:
        return {}
    return {"better_at_churn": leader, "better_churn_auc": float(auc[leader]), "churn_auc_gap": gap,
            "churn_auc_gap_ci_low": low, "churn_auc_gap_ci_high": high}


def _simplicity(name: str) -> int:
    from segment.methods.registry import METHODS, describe

    return describe(name).simplicity if name in METHODS else 10**6


def recommend(board: pd.DataFrame, practical_margin: float = 0.02) -> Recommendation | None:
    """The recommendation of a leaderboard (module docstring); None when no method was graded."""
    methods = method_rows(board).sort_values(HEADLINE, ascending=False).set_index("method")
    if methods.empty:
        return None
    best = str(methods.index[0])
    capture = methods[HEADLINE].astype(float)
    diff = methods["diff_vs_best"].astype(float) if "diff_vs_best" in methods else capture - capture[best]
    high = methods["diff_vs_best_ci_high"].astype(float) if "diff_vs_best_ci_high" in methods \
        else pd.Series(np.nan, index=methods.index)
    worse = [m for m in methods.index if m != best and is_clearly_worse(diff[m], high[m], practical_margin)]
    about = sorted((m for m in methods.index if m not in worse), key=lambda m: (_simplicity(m), -capture[m], m))
    chosen = methods.loc[about[0]]
    ceiling = board.loc[board["method"] == CEILING, HEADLINE]
    return Recommendation(
        method=str(about[0]), capture=float(chosen[HEADLINE]), ci_low=float(chosen["top20_capture_ci_low"]),
        ci_high=float(chosen["top20_capture_ci_high"]), churn_auc=float(chosen["churn_auc"]),
        ceiling=float(ceiling.iloc[0]) if len(ceiling) else float("nan"),
        not_clearly_worse=tuple(str(m) for m in about[1:]), clearly_worse=tuple(str(m) for m in worse),
        captures={str(m): float(v) for m, v in capture.items()}, best=best, margin=float(practical_margin),
        **better_at_churn(methods, str(about[0])))


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
    #: the recommended method's early-warning list cut to the follow-up capacity, most profit at
    #: risk first (``warning.follow_up_list``; None in a run made before it existed)
    follow_up: pd.DataFrame | None = None
    #: churn after the origin per reason for the flag, per method (``warning.stop_rates``); None in older runs
    warning_reasons: pd.DataFrame | None = None
    #: profit covered by each grading's top ``decision.key_accounts`` customers, with hindsight and
    #: random (``capacity.capacity_table``); its paired differences to the recommended, published,
    #: ABC-by-revenue gradings and random; and profit covered against the customers served (None in
    #: a run made before they existed)
    capacity: pd.DataFrame | None = None
    capacity_differences: pd.DataFrame | None = None
    capacity_curve: pd.DataFrame | None = None
    #: the method the previous run of the series published (the grading in use), the reference
    #: "published" of ``capacity_differences``; None on a series' first run
    published: str | None = None
    #: the capacity tables' paired replicates (``capacity.CapacityInputs``; not a table): what
    #: ``suite.with_published`` makes the differences to the grading in use from
    capacity_inputs: CapacityInputs | None = None

    #: the tables, in the order they are written (``<run>/validation/<name>.csv``)
    TABLES = ("per_tier", "leaderboard", "metric_intervals", "model_effects", "model_fit", "agreement",
              "disagreements", "warning_check", "backtest", "backtest_stability", "migration_paths",
              "migration_summary", "early_warning", "follow_up", "warning_reasons", "capacity", "capacity_differences",
              "capacity_curve")

    def tables(self) -> dict[str, pd.DataFrame]:
        """name -> table, for every table this run has (the backtest's only with origins)."""
        return {name: getattr(self, name) for name in self.TABLES if getattr(self, name) is not None}
