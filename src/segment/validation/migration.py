"""Tier migration between two gradings of the same method at consecutive origins.

An A grade is not for life: the sources ask to track upgrades and downgrades. For every
(tier at the earlier origin, tier at the later origin) path: how many customers, the
share of the earlier tier they are, whether they stayed, moved up or down, entered (a
customer first seen after the earlier origin: ``tier_from = "new"``) or left (graded at
the earlier origin, not at the later one: ``tier_to = "left"``), and — when the later
origin has a full outcome window — their churn rate and profit per customer *after* the
later origin (what the path was worth).

Up/down are defined when both gradings use the same tier labels in the same order;
otherwise ``direction`` is ``changed`` for any move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segment.validation.metrics import wilson_interval

NEW, LEFT = "new", "left"


def tier_migration(earlier: pd.DataFrame, later: pd.DataFrame, outcomes_after: pd.DataFrame | None = None,
                   level: float = 0.95) -> tuple[pd.DataFrame, dict]:
    """(paths, summary) for one method between two origins; ``earlier``/``later`` are
    assignments tables, ``outcomes_after`` the outcome table of the later origin (or None)."""
    frm = earlier["tier"].astype(str)
    to = later["tier"].astype(str)
    ids = frm.index.union(to.index)
    f = frm.reindex(ids).fillna(NEW).astype(object)
    t = to.reindex(ids).fillna(LEFT).astype(object)
    df = pd.DataFrame({"tier_from": f, "tier_to": t}, index=ids)
    same_scale = list(earlier["tier"].cat.categories) == list(later["tier"].cat.categories)
    rank = {str(c): i for i, c in enumerate(later["tier"].cat.categories)}
    direction = np.where(f == NEW, "entered", np.where(t == LEFT, "left", np.where(f == t, "stayed", "changed")))
    if same_scale:
        moved = direction == "changed"
        rf = f[moved].map(rank).to_numpy()
        rt = t[moved].map(rank).to_numpy()
        direction[moved] = np.where(rt < rf, "up", "down")
    df["direction"] = direction
    has_outcome = outcomes_after is not None
    if has_outcome:
        o = outcomes_after.reindex(ids)
        df["churned"] = o["churned"].astype("float")
        df["profit_outcome"] = o["profit_outcome"]
    order = {**{str(c): i for i, c in enumerate(earlier["tier"].cat.categories)}, NEW: 10_000}
    order_to = {**rank, LEFT: 10_000}
    g = df.groupby(["tier_from", "tier_to", "direction"], sort=False)
    paths = g.size().rename("customers").reset_index()
    paths["share_of_tier_from"] = paths["customers"] / paths.groupby("tier_from")["customers"].transform("sum")
    if has_outcome:
        with_o = g["churned"].count().to_numpy()
        x = g["churned"].sum().to_numpy()
        paths["churn_rate_after"] = np.where(with_o > 0, x / np.maximum(with_o, 1), np.nan)
        paths["churn_ci_low"], paths["churn_ci_high"] = wilson_interval(x, with_o, level)
        paths["profit_per_customer_after"] = g["profit_outcome"].mean().to_numpy()
        paths["profit_total_after"] = g["profit_outcome"].sum(min_count=1).to_numpy()
    paths = paths.assign(_a=paths["tier_from"].map(order), _b=paths["tier_to"].map(order_to))
    paths = paths.sort_values(["_a", "_b"], kind="stable").drop(columns=["_a", "_b"]).reset_index(drop=True)
    both = (f != NEW) & (t != LEFT)
    n_both = int(both.sum())
    summary = {
        "customers_in_both": n_both,
        "stable_share": float((direction == "stayed").sum() / n_both) if n_both else np.nan,
        "up_share": float((direction == "up").sum() / n_both) if n_both and same_scale else np.nan,
        "down_share": float((direction == "down").sum() / n_both) if n_both and same_scale else np.nan,
        "new_customers": int((f == NEW).sum()),
        "left_customers": int((t == LEFT).sum()),
        "same_tier_labels": same_scale,
    }
    return paths, summary


def transition_matrix(paths: pd.DataFrame, value: str = "customers") -> pd.DataFrame:
    """One method's paths (one origin pair) as a matrix: rows tier_from, columns tier_to;
    ``value`` "customers" or "share_of_tier_from"."""
    rows = list(dict.fromkeys(paths["tier_from"]))
    cols = list(dict.fromkeys(c for c in paths["tier_to"] if c != LEFT)) + ([LEFT] if (paths["tier_to"] == LEFT).any() else [])
    return paths.pivot_table(index="tier_from", columns="tier_to", values=value, aggfunc="sum",
                             fill_value=0, sort=False).reindex(index=rows, columns=cols, fill_value=0)


def migration(gradings: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(paths, summary) over consecutive origins of ``backtest.grade_at_origins`` output,
    for every method graded at both. paths: origin_from, origin_to, method, then
    ``tier_migration``'s columns; summary: one row per (origin pair, method)."""
    paths, summary = [], []
    for a, b in zip(gradings, gradings[1:]):
        for name in b.assignments:
            if name not in a.assignments:
                continue
            p, s = tier_migration(a.assignments[name], b.assignments[name], b.outcomes)
            p.insert(0, "method", name)
            p.insert(0, "origin_to", b.origin)
            p.insert(0, "origin_from", a.origin)
            paths.append(p)
            summary.append({"origin_from": a.origin, "origin_to": b.origin, "method": name, **s})
    cols = ["origin_from", "origin_to", "method"]
    return (pd.concat(paths, ignore_index=True) if paths else pd.DataFrame(columns=[*cols, "tier_from", "tier_to"]),
            pd.DataFrame(summary, columns=[*cols, "customers_in_both", "stable_share", "up_share", "down_share",
                                           "new_customers", "left_customers", "same_tier_labels"]))
