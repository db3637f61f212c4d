"""One origin's data, computed once, and the fast evaluation of many weight candidates.

At an origin T the features (as of T) and outcomes (in (T, H.end(T)]) are built once, and
the weighted method's normalisation is learned once on the features at T (exactly as
``WeightedScore.fit`` learns it): ``matrix`` holds one column per tuned indicator (the
mean of its normalised columns, as ``WeightedScore.contributions`` takes it). A
candidate's score is then ``matrix @ weights`` — the weighted method's score for those
weights, to rounding — and its tiers the method's rule (cumulative customer shares, or
fixed ``tier_cuts``). The metrics come from ``segment.validation.metrics`` (the same
ordering, capture, Gini and AUC code the leaderboard uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from segment.methods.base import codes_from_thresholds, thresholds_from_shares
from segment.methods.registry import make_method
from segment.validation.metrics import Ranking, auc_influence, gini_from_order, id_permutation, order_from, top_share_capture

#: metric columns of every evaluation table, besides ``share_<tier>``
METRIC_COLUMNS = ("top_tier_profit_capture", "top20_profit_capture", "gini_profit", "churn_auc", "top_tier_share")


@dataclass
class OriginData:
    origin: str
    role: str  # "fold" (the search reads it) or "judged"
    features: pd.DataFrame
    outcomes: pd.DataFrame
    matrix: np.ndarray  # customers x indicators, normalised at this origin
    labels: tuple[str, ...]
    window_end: str

    @cached_property
    def profit(self) -> np.ndarray:
        return self.outcomes["profit_outcome"].to_numpy(dtype=float)

    @cached_property
    def churned(self) -> np.ndarray:
        return self.outcomes["churned"].to_numpy(dtype=bool)

    def summary(self) -> dict[str, Any]:
        return {"origin": self.origin, "role": self.role, "outcome_window_start": self.origin,
                "outcome_window_end": self.window_end, "customers": len(self.features),
                "churn_rate": float(self.churned.mean()) if len(self.features) else np.nan,
                "outcome_profit_total": float(self.profit.sum())}


def method_for(weights: dict[str, float], base_params: dict[str, Any], provisional_days: int):
    """The registered weighted method with ``weights`` and the run config's other parameters."""
    return make_method("weighted", **{"provisional_days": provisional_days, **base_params, "weights": weights})


def origin_data(features: pd.DataFrame, outcomes: pd.DataFrame, *, origin: str, role: str, window_end: str,
                indicators: tuple[str, ...], base_params: dict[str, Any], provisional_days: int) -> OriginData:
    """Normalise every tuned indicator at ``origin`` (once) into the indicator matrix."""
    if not features.index.equals(outcomes.index):
        raise ValueError(f"origin {origin}: features and outcomes must cover the same customers in the same order")
    method = method_for({name: 1.0 for name in indicators}, base_params, provisional_days).fit(features)
    norm = method.normalised(features)
    cols = []
    for name in indicators:
        c = method.columns_of(name)
        cols.append(norm[c[0]].to_numpy() if len(c) == 1 else norm[list(c)].to_numpy().mean(axis=1))
    matrix = np.column_stack(cols) if cols else np.zeros((len(features), 0))
    return OriginData(origin, role, features, outcomes, matrix, method.labels, window_end)


def tier_codes(score: np.ndarray, base_params: dict[str, Any]) -> np.ndarray:
    """The weighted method's tier rule on one score vector."""
    cuts = base_params.get("tier_cuts")
    if cuts is not None:
        return codes_from_thresholds(score, np.asarray(cuts, dtype=float))
    shares = tuple(base_params.get("tier_shares", (0.2, 0.5)))
    return codes_from_thresholds(score, thresholds_from_shares(score, shares))


def ranking_metrics(codes: np.ndarray, score: np.ndarray, data: OriginData, *, top_share: float,
                    by_id: np.ndarray) -> dict[str, float]:
    """The leaderboard's figures for one grading at this origin (no intervals). The
    ordering is the leaderboard's (tier, score, customer_id: ``metrics.order_from``);
    ``by_id`` is ``metrics.id_permutation`` of the outcome rows, computed once per origin."""
    labels = data.labels
    codes = np.asarray(codes, dtype=np.int64)
    r = Ranking(codes=codes, score=score, order=order_from(codes, score, by_id), labels=tuple(labels),
                provisional=np.zeros(len(codes), dtype=bool))
    profit = data.profit
    total = profit.sum()
    in_order = profit[r.order]
    counts = np.bincount(codes, minlength=len(labels))
    n = len(codes)
    out = {
        "top_tier_profit_capture": float(profit[codes == 0].sum() / total) if total else np.nan,
        "top20_profit_capture": top_share_capture(in_order, top_share),
        "gini_profit": gini_from_order(in_order),
        "churn_auc": auc_influence(r, data.churned)[0],
        "top_tier_share": counts[0] / n if n else np.nan,
    }
    out.update({f"share_{label}": counts[k] / n if n else np.nan for k, label in enumerate(labels)})
    return out


def evaluate_candidates(weights: np.ndarray, data: OriginData, *, base_params: dict[str, Any],
                        top_share: float) -> pd.DataFrame:
    """One row of metrics per candidate (rows of ``weights``, columns = the indicators of ``data.matrix``)."""
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    by_id = id_permutation(data.outcomes.index)
    columns = [np.ascontiguousarray(data.matrix[:, j]) for j in range(data.matrix.shape[1])]
    rows = []
    for w in weights:
        s = candidate_score(w, columns)
        rows.append(ranking_metrics(tier_codes(s, base_params), s, data, top_share=top_share, by_id=by_id))
    return pd.DataFrame(rows)


def candidate_score(weights: np.ndarray, columns: list[np.ndarray]) -> np.ndarray:
    """Σ (w / Σ w) × indicator, summed in indicator order — the same floating-point
    operations as ``WeightedScore.score`` (weight / Python sum of the weights, times the
    indicator, then a left-to-right row sum), so that exact ties stay exact ties and the
    tie rule orders customers as the method does."""
    w = [float(x) for x in weights]
    total = sum(w)
    out = (w[0] / total) * columns[0]
    for x, col in zip(w[1:], columns[1:]):
        out = out + (x / total) * col
    return out


def objective(table: pd.DataFrame, metric: str, churn_weight: float) -> pd.Series:
    """The stated objective per row: ``metric`` + ``churn_weight`` × churn AUC."""
    out = table[metric].astype(float)
    return out + churn_weight * table["churn_auc"].astype(float) if churn_weight else out
