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


class _Pair:
    """Two origins' customers on their union (``ids``), where each origin's customers sit in
    it, and the later origin's outcomes on it: computed once per origin pair and shared by
    every method graded at both (the union of millions of ids is the slow part)."""

    def __init__(self, earlier: pd.Index, later: pd.Index, outcomes_after: pd.DataFrame | None) -> None:
        self.earlier, self.later = earlier, later
        self.ids = earlier.union(later)
        self.positions = {"earlier": self.ids.get_indexer(earlier), "later": self.ids.get_indexer(later)}
        self.churned = self.profit = None
        if outcomes_after is not None:
            o = outcomes_after.reindex(self.ids)
            self.churned = o["churned"].astype("float").to_numpy()
            self.profit = o["profit_outcome"].to_numpy(dtype=float)

    def codes(self, tier: pd.Series, side: str, missing: int) -> np.ndarray:
        """The codes of ``tier`` (graded on the ``side`` origin's customers) on ``ids``;
        ``missing`` where a customer is not graded there."""
        out = np.full(len(self.ids), missing, dtype=np.int64)
        out[self.positions[side]] = tier.cat.codes.to_numpy()
        return out


def _tier_paths(earlier: pd.Series, later: pd.Series, pair: _Pair, level: float) -> tuple[pd.DataFrame, dict]:
    """(paths, summary) for one method between two origins (``earlier``/``later``: its tiers).

    Counted on tier codes (one ``bincount`` per column over path numbers), not on labels:
    millions of customers take well under a second. Paths are listed in tier order (best
    first, then ``new`` / ``left``); paths no customer took are left out."""
    from_labels = [str(c) for c in earlier.cat.categories] + [NEW]
    to_labels = [str(c) for c in later.cat.categories] + [LEFT]
    ids = pair.ids
    f = pair.codes(earlier, "earlier", missing=len(from_labels) - 1)
    t = pair.codes(later, "later", missing=len(to_labels) - 1)
    n_to = len(to_labels)
    path = f * n_to + t
    n_paths = len(from_labels) * n_to
    customers = np.bincount(path, minlength=n_paths)
    taken = np.flatnonzero(customers)
    pf, pt = taken // n_to, taken % n_to
    same_scale = from_labels[:-1] == to_labels[:-1]

    def direction(i: int, j: int) -> str:
        if i == len(from_labels) - 1:
            return "entered"
        if j == n_to - 1:
            return "left"
        if from_labels[i] == to_labels[j]:
            return "stayed"
        return ("up" if j < i else "down") if same_scale else "changed"

    paths = pd.DataFrame({
        "tier_from": pd.array([from_labels[i] for i in pf], dtype=object),
        "tier_to": pd.array([to_labels[j] for j in pt], dtype=object),
        "direction": pd.array([direction(i, j) for i, j in zip(pf, pt)], dtype=object),
        "customers": customers[taken].astype(np.int64),
    })
    from_totals = np.bincount(f, minlength=len(from_labels))
    paths["share_of_tier_from"] = paths["customers"] / from_totals[pf]
    if pair.churned is not None:
        churned, profit = pair.churned, pair.profit
        with_o = np.bincount(path, weights=~np.isnan(churned), minlength=n_paths)[taken].astype(np.int64)
        x = np.bincount(path, weights=np.nan_to_num(churned), minlength=n_paths)[taken]
        paths["churn_rate_after"] = np.where(with_o > 0, x / np.maximum(with_o, 1), np.nan)
        paths["churn_ci_low"], paths["churn_ci_high"] = wilson_interval(x, with_o, level)
        n_profit = np.bincount(path, weights=~np.isnan(profit), minlength=n_paths)[taken]
        total = np.bincount(path, weights=np.nan_to_num(profit), minlength=n_paths)[taken]
        paths["profit_per_customer_after"] = np.where(n_profit > 0, total / np.maximum(n_profit, 1), np.nan)
        paths["profit_total_after"] = np.where(n_profit > 0, total, np.nan)
    per_kind = paths.groupby("direction")["customers"].sum().to_dict()  # customers per direction
    n_new, n_left = int(per_kind.get("entered", 0)), int(per_kind.get("left", 0))
    n_both = len(ids) - n_new - n_left
    summary = {
        "customers_in_both": n_both,
        "stable_share": float(per_kind.get("stayed", 0) / n_both) if n_both else np.nan,
        "up_share": float(per_kind.get("up", 0) / n_both) if n_both and same_scale else np.nan,
        "down_share": float(per_kind.get("down", 0) / n_both) if n_both and same_scale else np.nan,
        "new_customers": n_new,
        "left_customers": n_left,
        "same_tier_labels": same_scale,
    }
    return paths, summary


def pair_migration(a, b) -> tuple[list[pd.DataFrame], list[dict]]:
    """The paths and summaries of every method graded at both of two consecutive
    ``segment.grading.Grading``s (``a`` earlier; ``b``'s outcomes, if any, are "after")."""
    paths, summary, pair = [], [], None
    for name in b.assignments:
        if name not in a.assignments:
            continue
        earlier, later = a.assignments[name], b.assignments[name]
        if pair is None or not (earlier.index.equals(pair.earlier) and later.index.equals(pair.later)):
            pair = _Pair(earlier.index, later.index, b.outcomes)
        p, s = _tier_paths(earlier["tier"], later["tier"], pair, 0.95)
        p.insert(0, "method", name)
        p.insert(0, "origin_to", b.as_of)
        p.insert(0, "origin_from", a.as_of)
        paths.append(p)
        summary.append({"origin_from": a.as_of, "origin_to": b.as_of, "method": name, **s})
    return paths, summary


def migration_tables(pairs: list[tuple[list[pd.DataFrame], list[dict]]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``pair_migration`` outputs, in origin order, as the (paths, summary) tables."""
    paths = [p for ps, _ in pairs for p in ps]
    summary = [s for _, ss in pairs for s in ss]
    cols = ["origin_from", "origin_to", "method"]
    return (pd.concat(paths, ignore_index=True) if paths else pd.DataFrame(columns=[*cols, "tier_from", "tier_to"]),
            pd.DataFrame(summary, columns=[*cols, "customers_in_both", "stable_share", "up_share", "down_share",
                                           "new_customers", "left_customers", "same_tier_labels"]))
