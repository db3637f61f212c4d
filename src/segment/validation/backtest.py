"""Rolling-origin backtest and tier migration across as-of dates.

``grade_at_origins`` fits every method afresh at each origin (features as of that date,
methods needing history prepared with the transactions before it) and returns the
assignments, the features and — when the data covers the full horizon after the origin
— the outcomes. ``rolling_leaderboard`` stacks the leaderboard of every origin with a
full horizon; ``migration`` cross-tabulates each method's tiers between consecutive
origins, with the churn and profit (after the later origin) of every transition path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from segment.features import build_features, to_date
from segment.methods.base import GradingMethod
from segment.outcomes import build_features_and_outcomes
from segment.validation.leaderboard import leaderboard


@dataclass
class OriginGrading:
    origin: str
    features: pd.DataFrame
    outcomes: pd.DataFrame | None  # None when the horizon runs past the data
    assignments: dict[str, pd.DataFrame]


def grade_at_origins(transactions: pd.DataFrame, origins: list[str], *, horizon_days: int,
                     methods: dict[str, dict[str, Any]], feature_kwargs: dict[str, Any], provisional_days: int,
                     customers: pd.DataFrame | None = None, skipped: list[str] | None = None) -> list[OriginGrading]:
    """Grade at every origin; methods that cannot be fitted at an early origin (no history)
    are left out there, with the reason appended to ``skipped``."""
    from segment.pipeline import fit_methods

    data_end = transactions["order_ts"].max().date()
    out = []
    skipped = [] if skipped is None else skipped
    for origin in sorted(set(origins)):
        full = to_date(origin) + dt.timedelta(days=horizon_days) <= data_end
        if full:
            f, o = build_features_and_outcomes(transactions, as_of=origin, horizon_days=horizon_days,
                                               customers=customers, **feature_kwargs)
        else:
            f, o = build_features(transactions, as_of=origin, customers=customers, **feature_kwargs), None
        context = {"transactions": transactions, "customers": customers, "feature_kwargs": feature_kwargs,
                   "horizon_days": horizon_days, "as_of": origin}
        _, assigned = fit_methods(f, methods, provisional_days, context, skipped=skipped)
        out.append(OriginGrading(str(to_date(origin)), f, o, assigned))
    return out


def rolling_leaderboard(gradings: list[OriginGrading], *, n_boot: int, random_state: int) -> pd.DataFrame:
    parts = [leaderboard(g.assignments, g.outcomes, n_boot=n_boot, random_state=random_state).assign(origin=g.origin)
             for g in gradings if g.outcomes is not None]
    if not parts:
        return pd.DataFrame(columns=["origin", "method"])
    table = pd.concat(parts, ignore_index=True)
    table["rank"] = table.groupby("origin")["top20_profit_capture"].rank(ascending=False, method="min")
    return table[["origin", *[c for c in table.columns if c != "origin"]]]


def migration(gradings: list[OriginGrading]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(paths, summary). paths: origin_from, origin_to, method, tier_from ('new' if not yet
    a customer), tier_to, customers, share of tier_from, and the later origin's churn rate
    and profit per customer when known. summary: share of customers whose tier is unchanged."""
    paths, summary = [], []
    for a, b in zip(gradings, gradings[1:]):
        for name in b.assignments:
            if name not in a.assignments:
                continue
            to = b.assignments[name]["tier"].astype(str)
            frm = a.assignments[name]["tier"].astype(str).reindex(to.index).fillna("new")
            df = pd.DataFrame({"tier_from": frm, "tier_to": to})
            if b.outcomes is not None:
                df = df.join(b.outcomes[["churned", "profit_outcome"]])
            g = df.groupby(["tier_from", "tier_to"], observed=True)
            part = g.size().rename("customers").reset_index()
            if b.outcomes is not None:
                part["churn_rate_after"] = g["churned"].mean().to_numpy()
                part["profit_per_customer_after"] = g["profit_outcome"].mean().to_numpy()
            part["share_of_tier_from"] = part["customers"] / part.groupby("tier_from")["customers"].transform("sum")
            part.insert(0, "method", name)
            part.insert(0, "origin_to", b.origin)
            part.insert(0, "origin_from", a.origin)
            paths.append(part)
            known = frm != "new"
            summary.append({"origin_from": a.origin, "origin_to": b.origin, "method": name,
                            "customers_in_both": int(known.sum()),
                            "stable_share": float((frm[known] == to[known]).mean()) if known.any() else float("nan"),
                            "new_customers": int((~known).sum())})
    cols = ["origin_from", "origin_to", "method"]
    return (pd.concat(paths, ignore_index=True) if paths else pd.DataFrame(columns=cols),
            pd.DataFrame(summary, columns=[*cols, "customers_in_both", "stable_share", "new_customers"]))
