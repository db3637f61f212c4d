"""RFM grading (近度/频度/额度): recency, frequency and monetary scores, named segments
from a rule table, and tiers from a segment -> tier table. Rules are data, not code.

Scores: for each dimension, bin edges are the ``n_bins``-quantiles of the calibration
values, de-duplicated; a customer's score is 1 + the number of edges strictly below its
value (recency is scored on −recency_days so that higher is always better). Equal values
therefore always get equal scores and row order never matters. When many customers tie
(in real data most customers bought once), a dimension gets fewer distinct scores than
``n_bins``: ``n_distinct_scores_`` reports how many each dimension really got — the
score range is never silently shrunk without saying so.

Segments: ``segment_rules`` maps (R score range, FM score range) to a name, where FM is
the rounded-up mean of F and M; the default table is a partition of the 5 x 5 grid
(checked in ``fit``: every cell maps to exactly one segment). ``tier_map`` maps
segments to tiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods.base import GradingMethod

DEFAULT_SEGMENT_RULES: tuple[dict, ...] = (
    {"segment": "champions", "r": (4, 5), "fm": (4, 5)},
    {"segment": "loyal", "r": (3, 3), "fm": (4, 5)},
    {"segment": "at_risk", "r": (1, 2), "fm": (4, 5)},
    {"segment": "potential_loyalists", "r": (4, 5), "fm": (2, 3)},
    {"segment": "need_attention", "r": (3, 3), "fm": (2, 3)},
    {"segment": "hibernating", "r": (1, 2), "fm": (2, 3)},
    {"segment": "new_or_promising", "r": (4, 5), "fm": (1, 1)},
    {"segment": "about_to_sleep", "r": (3, 3), "fm": (1, 1)},
    {"segment": "lost", "r": (1, 2), "fm": (1, 1)},
)
DEFAULT_TIER_MAP: dict[str, str] = {
    "champions": "A", "loyal": "A", "at_risk": "A",
    "potential_loyalists": "B", "need_attention": "B", "new_or_promising": "B",
    "hibernating": "C", "about_to_sleep": "C", "lost": "C",
}
DIMENSIONS = {"r": "recency_days", "f": "frequency", "m": "monetary_total"}


def segment_grid(rules: tuple[dict, ...], n_bins: int) -> np.ndarray:
    """(n_bins+1) x (n_bins+1) array of rule indices by (r, fm); raises unless every
    cell 1..n_bins is covered exactly once."""
    grid = np.full((n_bins + 1, n_bins + 1), -1)
    for i, rule in enumerate(rules):
        for r in range(rule["r"][0], rule["r"][1] + 1):
            for fm in range(rule["fm"][0], rule["fm"][1] + 1):
                if not (1 <= r <= n_bins and 1 <= fm <= n_bins):
                    raise ValueError(f"segment rule {rule['segment']!r} covers a score outside 1..{n_bins}")
                if grid[r, fm] != -1:
                    raise ValueError(f"cell r={r}, fm={fm} is claimed by {rules[grid[r, fm]]['segment']!r} and {rule['segment']!r}")
                grid[r, fm] = i
    holes = [(r, fm) for r in range(1, n_bins + 1) for fm in range(1, n_bins + 1) if grid[r, fm] == -1]
    if holes:
        raise ValueError(f"segment rules leave score cells (r, fm) unmapped: {holes}")
    return grid


@dataclass
class RFMGrading(GradingMethod):
    n_bins: int = 5
    segment_rules: tuple[dict, ...] = DEFAULT_SEGMENT_RULES
    tier_map: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TIER_MAP))
    tier_labels: tuple[str, ...] = ("A", "B", "C")

    required_features: ClassVar[tuple[str, ...]] = ("recency_days", "frequency", "monetary_total", "tenure_days")
    description: ClassVar[str] = "RFM: recency, frequency, monetary quintile scores -> named segments -> tiers"

    def _fit(self, features: pd.DataFrame) -> None:
        self.grid_ = segment_grid(tuple(self.segment_rules), self.n_bins)
        names = [r["segment"] for r in self.segment_rules]
        unmapped = [s for s in names if s not in self.tier_map]
        bad = {s: t for s, t in self.tier_map.items() if t not in self.tier_labels}
        if unmapped or bad:
            raise ValueError(f"tier_map must map every segment to a tier label; unmapped {unmapped}, unknown tiers {bad}")
        qs = np.arange(1, self.n_bins) / self.n_bins
        self.edges_ = {}
        for dim, col in DIMENSIONS.items():
            v = self._oriented(features, dim)
            self.edges_[dim] = np.unique(np.quantile(v, qs)) if len(v) else np.array([])
        scores = self.scores(features)
        self.n_distinct_scores_ = {dim: int(scores[dim].nunique()) for dim in DIMENSIONS}

    @staticmethod
    def _oriented(features: pd.DataFrame, dim: str) -> np.ndarray:
        v = features[DIMENSIONS[dim]].to_numpy(dtype=float)
        return -v if dim == "r" else v

    def scores(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer: r, f, m scores (1 = worst), fm, the segment name and the RFM sum."""
        out = {}
        for dim in DIMENSIONS:
            out[dim] = 1 + np.searchsorted(self.edges_[dim], self._oriented(features, dim), side="left")
        fm = (out["f"] + out["m"] + 1) // 2
        seg_idx = self.grid_[np.clip(out["r"], 1, self.n_bins), np.clip(fm, 1, self.n_bins)]
        names = np.array([r["segment"] for r in self.segment_rules])
        return pd.DataFrame(
            {**out, "fm": fm, "segment": names[seg_idx], "rfm_score": out["r"] + out["f"] + out["m"]},
            index=features.index,
        )

    def _assign(self, features: pd.DataFrame):
        s = self.scores(features)
        label_code = {label: i for i, label in enumerate(self.tier_labels)}
        seg_code = {seg: label_code[t] for seg, t in self.tier_map.items()}
        codes = s["segment"].map(seg_code).to_numpy(dtype=np.int64)
        return codes, s["rfm_score"].to_numpy(dtype=float)
