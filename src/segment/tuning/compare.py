"""Weight sets judged with the weighted method itself, in sample and out of time.

At every origin each weight set is graded with the registered weighted method (the
grading stage on the features there, the run config's other parameters) and judged by ``validation.leaderboard.leaderboard_tables`` — the leaderboard's own
figures and intervals (paired Poisson bootstrap for the captures, influence-function
intervals for Gini and churn AUC). At the fold origins that is the search's own,
in-sample view; at the judged origin it is out of time.

``paired_differences`` is each set minus a chosen reference set (the default weights,
equal weights) at one origin: ``validation.leaderboard.paired_differences``, the
leaderboard's own paired rule, tagged with the origin.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from segment.errors import CannotGrade
from segment.grading import GradingSpec, MethodSpec, grade
from segment.tuning.evaluate import OriginData
from segment.validation.leaderboard import leaderboard_tables
from segment.validation.leaderboard import paired_differences as method_differences

DIFF_METRICS = ("top_tier_profit_capture", "top20_profit_capture", "gini_profit", "churn_auc")


def assign_sets(weight_sets: dict[str, dict[str, float]], data: OriginData, base_params: dict[str, Any],
                provisional_days: int) -> dict[str, pd.DataFrame]:
    """Each weight set's grading of this origin: the weighted method with those weights and the
    config's other parameters, graded by the grading stage (``segment.grading.grade``)."""
    spec = GradingSpec({name: MethodSpec("weighted", {**base_params, "weights": w}) for name, w in weight_sets.items()},
                       provisional_days=provisional_days)
    graded = grade(spec, data.features, as_of=data.origin)
    if graded.not_graded:  # every weight set must grade: a tuning that drops one would compare fewer
        name, reason = next(iter(graded.not_graded.items()))
        raise CannotGrade(f"the weight set {name!r} cannot grade the data at {data.origin}: {reason}")
    return graded.assignments


def judge(assignments: dict[str, pd.DataFrame], data: OriginData, *, n_boot: int, random_state: int, level: float,
          top_share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leaderboard (method rows only) and its long interval table, tagged with the origin."""
    board, intervals = leaderboard_tables(assignments, data.outcomes, n_boot=n_boot, random_state=random_state,
                                          level=level, top_share=top_share)
    board = board[~board["reference"].astype(bool)].rename(columns={"method": "weight_set"})
    intervals = intervals.rename(columns={"method": "weight_set"})
    for t in (board, intervals):
        t.insert(0, "role", data.role)
        t.insert(0, "origin", data.origin)
    return board.reset_index(drop=True), intervals


def paired_differences(assignments: dict[str, pd.DataFrame], data: OriginData, reference: str, *, n_boot: int,
                       random_state: int, level: float, top_share: float) -> pd.DataFrame:
    """Each weight set minus ``reference`` at this origin, with paired intervals
    (``validation.leaderboard.paired_differences``), tagged with the origin."""
    out = method_differences(assignments, data.outcomes, reference, metrics=DIFF_METRICS, n_boot=n_boot,
                             random_state=random_state, level=level, top_share=top_share)
    out = out.rename(columns={"name": "weight_set"})
    out.insert(0, "role", data.role)
    out.insert(0, "origin", data.origin)
    out["level"], out["n_boot"] = level, n_boot
    return out
