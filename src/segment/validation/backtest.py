"""Rolling-origin backtest: the leaderboard at several as-of dates, and the tier migration.

Validation is out of time: at origin T every method was fitted on the features at T and is
judged on the outcomes in (T, T+H]. This module only judges: it receives the gradings of the
origins (``segment.grading.Grading``, with outcomes when the data covers the full horizon
after the origin; the runner makes them, one at a time, ``segment.runner.Runner.gradings``).

- ``rolling_tables`` judges each origin as soon as it arrives and keeps only its tiers, for the
  migration to the next origin (at millions of customers every origin's assignments and
  outcomes held together take gigabytes): the stacked leaderboard, the migration tables, the
  origins without outcomes and a note per method left out at an origin;
- ``ranked_by_origin`` stacks the origins' leaderboards and ranks the methods at each;
  ``backtest_stability`` says how stable a lead is.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import pandas as pd

from segment.grading import Grading
from segment.validation.leaderboard import HEADLINE, leaderboard_tables
from segment.validation.migration import migration_tables, pair_migration


def ranked_by_origin(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The origins' leaderboards (each with its ``origin`` column) stacked: ``origin`` first,
    ``rank`` of each method at its origin by the headline (1 = best; references not ranked)."""
    if not parts:
        return pd.DataFrame(columns=["origin", "method", "rank"])
    table = pd.concat(parts, ignore_index=True)
    methods = ~table["reference"].astype(bool)
    table["rank"] = table[methods].groupby("origin")[HEADLINE].rank(ascending=False, method="min")
    return table[["origin", *[c for c in table.columns if c != "origin"]]]


def rolling_tables(gradings: Iterable[Grading], *, n_boot: int = 0, random_state: int = 0, top_share: float = 0.2,
                   progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The backtest of ``gradings`` (in date order) in one pass that holds one origin at a time.
    Returns {"backtest", "migration_paths", "migration_summary", "origins_without_outcomes",
    "left_out"} (``left_out``: "<method> left out at <origin>: <reason>" for every method an
    origin's grading could not make). An origin is judged when it has outcomes and graded
    methods. ``progress(message)`` before each origin's judging and migration."""
    say = progress or (lambda message: None)
    boards, moves, without, left_out, previous = [], [], [], [], None
    for g in gradings:
        left_out += [f"{name} left out at {g.as_of}: {reason}" for name, reason in g.not_graded.items()]
        if g.outcomes is None:
            without.append(g.as_of)
        elif g.assignments:
            say(f"backtest: judging at {g.as_of}" + (f" ({n_boot} bootstrap replicates)" if n_boot else ""))
            board, _ = leaderboard_tables(g.assignments, g.outcomes, n_boot=n_boot, random_state=random_state,
                                          top_share=top_share)
            boards.append(board.assign(origin=g.as_of))
        if previous is not None:
            say(f"migration: tiers from {previous.as_of} to {g.as_of}")
            moves.append(pair_migration(previous, g))
        previous = g.tiers_only()
        del g
    paths, summary = migration_tables(moves)
    return {"backtest": ranked_by_origin(boards), "migration_paths": paths, "migration_summary": summary,
            "origins_without_outcomes": without, "left_out": left_out}


def backtest_stability(table: pd.DataFrame, metric: str = HEADLINE) -> pd.DataFrame:
    """Per method over the origins of the backtest table: origins judged, times ranked first,
    mean / worst rank, mean / min / max of ``metric``, and the share of origins where it was
    not clearly worse than the best (needs n_boot > 0)."""
    t = table[~table["reference"].astype(bool)] if "reference" in table else table.iloc[:0]  # no origin judged
    if t.empty:
        return pd.DataFrame(columns=["method", "origins", "times_best", "mean_rank", "worst_rank"])
    g = t.groupby("method", sort=False)
    out = pd.DataFrame({
        "origins": g["origin"].nunique(),
        "times_best": g["rank"].apply(lambda r: int((r == 1).sum())),
        "mean_rank": g["rank"].mean(),
        "worst_rank": g["rank"].max(),
        f"mean_{metric}": g[metric].mean(),
        f"min_{metric}": g[metric].min(),
        f"max_{metric}": g[metric].max(),
    })
    if "clearly_worse_than_best" in t and t["clearly_worse_than_best"].notna().any():
        out["share_not_clearly_worse"] = g["clearly_worse_than_best"].apply(lambda s: float((s == False).mean()))  # noqa: E712
    return out.sort_values(["mean_rank", "method"]).reset_index()
