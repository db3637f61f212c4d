"""Rolling-origin backtest: the leaderboard at several as-of dates.

Validation is out of time: at origin T every method is fitted on the features at T and
judged on the outcomes in (T, T+H]. Only origins whose window lies inside the data can
be judged (``full_horizon_origins``; ``latest_full_horizon_origin`` is the origin a
quarterly run validates at when its own quarter has no outcome yet).

- ``grade_at_origins`` fits every method afresh at each origin (features as of that
  date; methods needing history prepared with the transactions before it) and returns
  the assignments and — when the data covers the full horizon after the origin — the
  outcomes; an origin the run has already graded (its grading date, its validation
  origin) is passed in as ``known`` and used as it is. Each origin's feature table and
  fitted methods are let go as soon as its assignments are made (memory at millions of
  customers);
- ``rolling_leaderboard`` stacks the leaderboard of every origin with a full horizon
  and ranks the methods at each; ``backtest_stability`` says how stable a lead is;
- ``rolling_tables`` makes that leaderboard and the tier migration in one pass holding
  one origin at a time (what ``validate_all`` uses); ``rolling_backtest`` makes the
  leaderboard from the transactions in one call.

Feature and outcome builders are imported inside the functions, so the metric modules
do not depend on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import pandas as pd

from segment.validation.leaderboard import HEADLINE, leaderboard
from segment.validation.migration import migration, migration_tables, pair_migration  # noqa: F401


@dataclass
class OriginGrading:
    origin: str
    outcomes: pd.DataFrame | None  # None when the horizon runs past the data
    assignments: dict[str, pd.DataFrame]


def _date(value: Any, name: str) -> dt.date:
    from segment.features import to_date

    return to_date(value, name)


def full_horizon_origins(start: Any, data_end: Any, horizon_days: int, *, freq: str = "QE") -> list[str]:
    """Period ends (``freq``, pandas alias; quarter ends by default) in [start, data_end]
    whose outcome window (T, T + horizon_days] lies inside the data."""
    last = _date(data_end, "data_end") - dt.timedelta(days=int(horizon_days))
    first = _date(start, "start")
    if last < first:
        return []
    return [str(d.date()) for d in pd.date_range(first, last, freq=freq)]


def latest_full_horizon_origin(data_end: Any, horizon_days: int, *, freq: str = "QE") -> tuple[str, str]:
    """(origin, note): the latest period end T with T + horizon_days on or before the
    data's last date — what a run whose latest quarter has no outcome yet validates at."""
    end = _date(data_end, "data_end")
    last = end - dt.timedelta(days=int(horizon_days))
    candidates = pd.date_range(last - pd.DateOffset(years=1), last, freq=freq)
    if len(candidates) == 0:
        raise ValueError(f"no {freq} period end has a full {horizon_days}-day window before {end}")
    origin = str(candidates[-1].date())
    return origin, (f"validated at {origin}: the latest {freq} period end with a full {horizon_days}-day outcome "
                    f"window inside the data (which ends {end})")


def iter_gradings(transactions: pd.DataFrame, origins: list[str], *, horizon_days: int,
                  methods: dict[str, dict[str, Any]], feature_kwargs: dict[str, Any] | None = None,
                  provisional_days: int = 182, customers: pd.DataFrame | None = None,
                  skipped: list[str] | None = None,
                  known: dict[str, OriginGrading] | None = None,
                  progress: Callable[[str], None] | None = None) -> Iterator[OriginGrading]:
    """The grading at every origin, in date order, one at a time (``grade_at_origins``);
    ``progress(message)`` is called before each origin."""
    from segment.features import build_features
    from segment.outcomes import build_features_and_outcomes
    from segment.pipeline import fit_methods

    feature_kwargs = {} if feature_kwargs is None else feature_kwargs
    known = {str(_date(o, "known origin")): g for o, g in (known or {}).items()}
    data_end = transactions["order_ts"].max().date()
    skipped = [] if skipped is None else skipped
    say = progress or (lambda message: None)
    ordered = sorted({str(_date(o, "origin")) for o in origins})
    for i, origin in enumerate(ordered, start=1):
        full = _date(origin, "origin") + dt.timedelta(days=horizon_days) <= data_end
        if origin in known:
            say(f"backtest: origin {origin} ({i} of {len(ordered)}), the run's own grading of that date")
            g = known[origin]
            if (g.outcomes is not None) != full:
                raise ValueError(f"the grading passed for origin {origin} {'lacks' if full else 'has'} outcomes, but "
                                 f"the origin {'has' if full else 'has no'} full {horizon_days}-day window")
            yield g
            continue
        say(f"backtest: origin {origin} ({i} of {len(ordered)}), grading {len(methods)} methods")
        if full:
            f, o = build_features_and_outcomes(transactions, as_of=origin, horizon_days=horizon_days,
                                               customers=customers, **feature_kwargs)
        else:
            f, o = build_features(transactions, as_of=origin, customers=customers, **feature_kwargs), None
        context = {"transactions": transactions, "customers": customers, "feature_kwargs": feature_kwargs,
                   "horizon_days": horizon_days, "as_of": origin}
        fitted, assigned = fit_methods(f, methods, provisional_days, context, skipped=skipped)
        g = OriginGrading(origin, o, assigned)
        del f, fitted, o, assigned  # let go before the next origin is built (a training table each, at millions
        yield g                     # of rows) ...
        del g                       # ... and this origin too, unless the caller keeps it


def grade_at_origins(transactions: pd.DataFrame, origins: list[str], *, horizon_days: int,
                     methods: dict[str, dict[str, Any]], feature_kwargs: dict[str, Any] | None = None,
                     provisional_days: int = 182, customers: pd.DataFrame | None = None,
                     skipped: list[str] | None = None,
                     known: dict[str, OriginGrading] | None = None) -> list[OriginGrading]:
    """Grade at every origin; methods that cannot be fitted at an early origin (no history)
    are left out there, with the reason appended to ``skipped``. ``known``: gradings the
    caller already made with the same methods and definitions, by origin (ISO date); they
    are returned as they are instead of being recomputed, and must have outcomes exactly
    when the origin has a full window."""
    return list(iter_gradings(transactions, origins, horizon_days=horizon_days, methods=methods,
                              feature_kwargs=feature_kwargs, provisional_days=provisional_days,
                              customers=customers, skipped=skipped, known=known))


def origin_leaderboard(g: OriginGrading, *, n_boot: int = 0, random_state: int = 0,
                       top_share: float = 0.2) -> pd.DataFrame | None:
    """One origin's leaderboard with its ``origin`` column; None without outcomes or methods."""
    if g.outcomes is None or not g.assignments:
        return None
    return leaderboard(g.assignments, g.outcomes, n_boot=n_boot, random_state=random_state,
                       top_share=top_share).assign(origin=g.origin)


def ranked_by_origin(parts: list[pd.DataFrame | None]) -> pd.DataFrame:
    """``origin_leaderboard`` tables stacked: ``origin`` first, ``rank`` of each method at its
    origin by the headline (1 = best; references not ranked)."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return pd.DataFrame(columns=["origin", "method", "rank"])
    table = pd.concat(parts, ignore_index=True)
    methods = ~table["reference"].astype(bool)
    table["rank"] = table[methods].groupby("origin")[HEADLINE].rank(ascending=False, method="min")
    return table[["origin", *[c for c in table.columns if c != "origin"]]]


def rolling_leaderboard(gradings: Iterable[OriginGrading], *, n_boot: int = 0, random_state: int = 0,
                        top_share: float = 0.2) -> pd.DataFrame:
    """The leaderboard at every origin with outcomes (``ranked_by_origin``); ``gradings`` may
    be ``iter_gradings``, judged one origin at a time."""
    return ranked_by_origin([origin_leaderboard(g, n_boot=n_boot, random_state=random_state, top_share=top_share)
                             for g in gradings])


def rolling_tables(transactions: pd.DataFrame, origins: list[str], *, horizon_days: int,
                   methods: dict[str, dict[str, Any]], feature_kwargs: dict[str, Any] | None = None,
                   provisional_days: int = 182, customers: pd.DataFrame | None = None,
                   skipped: list[str] | None = None, known: dict[str, OriginGrading] | None = None,
                   n_boot: int = 0, random_state: int = 0, top_share: float = 0.2,
                   progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """``rolling_leaderboard`` and ``migration`` of ``grade_at_origins`` in one pass that
    holds one origin's grading at a time: each origin is judged as soon as it is graded, and
    only its tiers are kept, for the migration to the next origin (at millions of customers
    every origin's assignments and outcomes held together take gigabytes). Returns
    {"backtest", "migration_paths", "migration_summary", "origins_without_outcomes"}.
    ``progress(message)`` is called before each origin's grading, judging and migration."""
    say = progress or (lambda message: None)
    boards, moves, without, previous = [], [], [], None
    for g in iter_gradings(transactions, origins, horizon_days=horizon_days, methods=methods,
                           feature_kwargs=feature_kwargs, provisional_days=provisional_days,
                           customers=customers, skipped=skipped, known=known, progress=progress):
        if g.outcomes is not None and g.assignments:
            say(f"backtest: judging at {g.origin}" + (f" ({n_boot} bootstrap replicates)" if n_boot else ""))
        boards.append(origin_leaderboard(g, n_boot=n_boot, random_state=random_state, top_share=top_share))
        if g.outcomes is None:
            without.append(g.origin)
        if previous is not None:
            say(f"migration: tiers from {previous.origin} to {g.origin}")
            moves.append(pair_migration(previous, g))
        previous = OriginGrading(g.origin, None, {name: a[["tier"]] for name, a in g.assignments.items()})
        del g
    paths, summary = migration_tables(moves)
    return {"backtest": ranked_by_origin(boards), "migration_paths": paths, "migration_summary": summary,
            "origins_without_outcomes": without}


def backtest_stability(table: pd.DataFrame, metric: str = HEADLINE) -> pd.DataFrame:
    """Per method over the origins of ``rolling_leaderboard``: origins judged, times
    ranked first, mean / worst rank, mean / min / max of ``metric``, and the share of
    origins where it was not clearly worse than the best (needs n_boot > 0)."""
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


def rolling_backtest(transactions: pd.DataFrame, origins: list[str], *, horizon_days: int,
                     methods: dict[str, dict[str, Any]], feature_kwargs: dict[str, Any] | None = None,
                     provisional_days: int = 182, customers: pd.DataFrame | None = None, n_boot: int = 0,
                     random_state: int = 0, top_share: float = 0.2) -> pd.DataFrame:
    """Fit every method at every origin and judge it on the following ``horizon_days``:
    the tidy ``rolling_leaderboard`` table (origin, method, rank, metrics). Origins
    without a full window are dropped (``attrs["skipped"]`` lists them and any method left
    out at an origin)."""
    data_end = transactions["order_ts"].max().date()
    window = dt.timedelta(days=int(horizon_days))
    usable = [o for o in origins if _date(o, "origin") + window <= data_end]
    skipped = [f"origin {o}: no full {horizon_days}-day outcome window (data end {data_end})"
               for o in origins if o not in usable]
    gradings = iter_gradings(transactions, usable, horizon_days=horizon_days, methods=methods,
                             feature_kwargs=feature_kwargs, provisional_days=provisional_days, customers=customers,
                             skipped=skipped)
    table = rolling_leaderboard(gradings, n_boot=n_boot, random_state=random_state, top_share=top_share)
    table.attrs["skipped"] = skipped
    return table
