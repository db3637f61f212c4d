"""RFM grading (近度/频度/额度): recency, frequency and monetary scores, named segments
from a rule table, and tiers from a segment -> tier table. Rules are data, not code.

Scores (learned in ``fit``). For each dimension the values are oriented so that higher
is better (recency is scored on −recency_days). The bin edges are the ``n_bins``-quantiles
of the calibration values (``np.quantile(..., method="inverted_cdf")``: each edge is an
observed value), with duplicates removed; a customer's score is 1 + the number of edges
strictly below its value. So:

- equal values always get equal scores and row order never matters (the tie rule);
- with distinct values each score holds 1/n_bins of the customers;
- a value equal to an edge gets the lower score, so a mass of equal values (most
  customers bought once) all share the *lowest* score their value allows;
- another date's table is scored with these edges (a value beyond the calibration
  range gets the end score).

When values tie heavily a dimension gets fewer distinct scores than ``n_bins`` (in real
data frequency is 1 for most customers: typically 2–3 distinct F scores). That is never
silent: ``n_distinct_scores_`` reports how many scores each dimension really got on the
calibration table, and ``fit`` warns (``ScoreRangeWarning``) for each short dimension.

Segments. ``segment_rules`` is a table (a sequence of dicts, or a DataFrame with these
columns): ``segment`` (name) and optional inclusive score ranges ``r``, ``f``, ``m``,
``fm`` as (low, high); a missing range means any score. ``fm`` = ceil((f + m) / 2), the
usual combined frequency-monetary score. Every (r, f, m) cell of the score cube must
match exactly one rule (``fit`` raises otherwise, naming the cells), so every customer
gets exactly one segment. Several rules may share a segment name. The default table is
the common 3 x 3 partition of the (R, FM) grid into nine named segments.

Tiers. ``tier_map`` maps each segment to a tier label (data too). Default: A = Champions,
Loyal (recent and valuable); B = At risk (valuable but not recent: win back),
Potential loyalists, Need attention, New or promising; C = About to sleep,
Hibernating, Lost.

``assign``'s ``score`` is r + f + m (3..3·n_bins).

Explaining (``explain``): the tier and segment, the cell and each score's edges in days, orders
and money, e.g. ``A (Champions), R4 F2 M5: last order 35 days ago (R4: 31–90 days), 2 orders
(F2: 2), revenue 1,200.00 (M5: above 800.00)``. A score's range follows the scoring rule (a value
equal to an edge gets the lower score): for whole-number columns (days, orders) with whole edges it
is a whole range ``31–90``, otherwise ``above 50.00, up to 120.00``; the top and bottom scores are
open on one side (``under 31 days``, ``above 800.00``, ``at most 1``). ``scores(features)`` gives the
per-customer r, f, m, fm, segment and the combined score for reports.

Degenerate input: all-equal values (or one customer) get score 1 on every dimension
(no spread, no evidence of value; ``n_distinct_scores_`` is 1), i.e. the (1, 1, 1)
cell's segment. Missing values are a ValueError.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from segment.methods.base import (GradingMethod, by_code, check_labels, column_values, feature_name, feature_phrases,
                                  feature_value, joined)
from segment.methods.params import param


class ScoreRangeWarning(UserWarning):
    """An RFM dimension got fewer distinct scores than ``n_bins`` (heavily tied values)."""


DEFAULT_SEGMENT_RULES: tuple[dict[str, Any], ...] = (
    {"segment": "Champions", "r": (4, 5), "fm": (4, 5)},
    {"segment": "Loyal", "r": (3, 3), "fm": (4, 5)},
    {"segment": "At risk", "r": (1, 2), "fm": (4, 5)},
    {"segment": "Potential loyalists", "r": (4, 5), "fm": (2, 3)},
    {"segment": "Need attention", "r": (3, 3), "fm": (2, 3)},
    {"segment": "Hibernating", "r": (1, 2), "fm": (2, 3)},
    {"segment": "New or promising", "r": (4, 5), "fm": (1, 1)},
    {"segment": "About to sleep", "r": (3, 3), "fm": (1, 1)},
    {"segment": "Lost", "r": (1, 2), "fm": (1, 1)},
)
DEFAULT_TIER_MAP: dict[str, str] = {
    "Champions": "A", "Loyal": "A",
    "At risk": "B", "Potential loyalists": "B", "Need attention": "B", "New or promising": "B",
    "About to sleep": "C", "Hibernating": "C", "Lost": "C",
}
RULE_KEYS = ("r", "f", "m", "fm")
#: columns counted in whole numbers (with ``*_days``): a score's range is then a whole range, ``2–3``
WHOLE_COLUMNS = ("frequency", "quantity_total")


def rule_records(rules: Any) -> list[dict[str, Any]]:
    """The rule table as a list of dicts (accepts a DataFrame or a sequence of dicts)."""
    if isinstance(rules, pd.DataFrame):
        records = rules.to_dict("records")
    else:
        records = [dict(r) for r in rules]
    out = []
    for rec in records:
        if "segment" not in rec:
            raise ValueError(f"segment rule {rec!r} has no 'segment' name")
        unknown = set(rec) - {"segment", *RULE_KEYS}
        if unknown:
            raise ValueError(f"segment rule {rec['segment']!r} has unknown keys {sorted(unknown)}; allowed: {RULE_KEYS}")
        clean = {"segment": str(rec["segment"])}
        for key in RULE_KEYS:
            rng = rec.get(key)
            if rng is None or (isinstance(rng, float) and np.isnan(rng)):
                continue
            lo, hi = (int(rng[0]), int(rng[1]))
            if lo > hi:
                raise ValueError(f"segment rule {clean['segment']!r}: range {key}={rng!r} is empty")
            clean[key] = (lo, hi)
        out.append(clean)
    if not out:
        raise ValueError("segment_rules is empty")
    return out


def segment_cube(rules: Any, n_bins: int) -> tuple[np.ndarray, list[str]]:
    """Lookup array ``cube[r, f, m]`` -> segment code for scores 1..n_bins, and the
    segment names (codes index them, in order of first appearance). Raises unless every
    (r, f, m) cell matches exactly one rule."""
    records = rule_records(rules)
    names = list(dict.fromkeys(r["segment"] for r in records))
    s = np.arange(1, n_bins + 1)
    r, f, m = np.meshgrid(s, s, s, indexing="ij")
    fm = (f + m + 1) // 2
    grid = {"r": r, "f": f, "m": m, "fm": fm}
    for rec in records:
        for key in RULE_KEYS:
            if key in rec and not (1 <= rec[key][0] and rec[key][1] <= n_bins):
                raise ValueError(
                    f"segment rule {rec['segment']!r} uses {key} scores {rec[key]} outside 1..{n_bins} "
                    f"(n_bins={n_bins}: give segment_rules written for {n_bins} scores)"
                )
    matches = np.zeros((len(records), *r.shape), dtype=bool)
    for i, rec in enumerate(records):
        hit = np.ones(r.shape, dtype=bool)
        for key in RULE_KEYS:
            if key in rec:
                hit &= (grid[key] >= rec[key][0]) & (grid[key] <= rec[key][1])
        matches[i] = hit
    count = matches.sum(axis=0)
    if (count != 1).any():
        def cells(mask):
            idx = np.argwhere(mask)[:10] + 1
            return [tuple(int(x) for x in c) for c in idx]
        problems = []
        if (count == 0).any():
            problems.append(f"{int((count == 0).sum())} (r, f, m) cell(s) match no rule, e.g. {cells(count == 0)}")
        if (count > 1).any():
            problems.append(f"{int((count > 1).sum())} cell(s) match several rules, e.g. {cells(count > 1)}")
        raise ValueError("segment_rules must map every (r, f, m) score cell to exactly one segment: " + "; ".join(problems))
    rule_of_cell = matches.argmax(axis=0)
    code_of_rule = np.array([names.index(rec["segment"]) for rec in records])
    cube = np.full((n_bins + 1,) * 3, -1, dtype=np.int64)
    cube[1:, 1:, 1:] = code_of_rule[rule_of_cell]
    return cube, names


@dataclass
class RFMGrading(GradingMethod):
    n_bins: int = param(5, low=2, high=20, help="scores per dimension (5 = quintiles)")
    segment_rules: tuple[dict[str, Any], ...] = param(DEFAULT_SEGMENT_RULES,
                                                      help="(score ranges -> segment) rule table; see the module "
                                                           "docstring of segment.methods.rfm")
    tier_map: dict[str, str] = param(default_factory=lambda: dict(DEFAULT_TIER_MAP), help="segment -> tier label")
    tier_labels: tuple[str, ...] = param(("A", "B", "C"), help="tier labels, best first")
    recency_column: str = param("recency_days", help="feature column scored for recency (lower is better)")
    frequency_column: str = param("frequency", help="feature column scored for frequency")
    monetary_column: str = param("monetary_total", help="feature column scored for money")

    display_name: ClassVar[str] = "RFM score (recency, frequency, spend)"
    description: ClassVar[str] = "scores customers on how recently, how often and how much they bought"
    simplicity: ClassVar[int] = 5
    explain_distinct_rows: ClassVar[bool] = True  # reasons once per distinct row (base.repeated_rows)
    promises: ClassVar[frozenset[str]] = frozenset({"row_order", "money_scale"})
    report_sections: ClassVar[tuple[str, ...]] = ("score_grid", "segments", "score_ranges")
    explains: ClassVar[str] = ("the customer's segment and R, F, M cell, with its last order, orders and revenue "
                               "and the range in days, orders and money each score stands for")

    def _check_params(self) -> None:
        if int(self.n_bins) != self.n_bins or self.n_bins < 2:
            raise ValueError(f"n_bins must be an integer >= 2, got {self.n_bins!r}")
        check_labels(self, len(self.tier_labels), "tiers named in tier_map")
        _, names = segment_cube(self.segment_rules, self.n_bins)
        unmapped = [s for s in names if s not in self.tier_map]
        bad = {s: t for s, t in self.tier_map.items() if s in names and t not in self.tier_labels}
        if unmapped or bad:
            raise ValueError(
                f"tier_map must map every segment to one of {self.tier_labels}; "
                f"unmapped segments {unmapped}, unknown tiers {bad}"
            )

    @property
    def columns(self) -> dict[str, str]:
        return {"r": self.recency_column, "f": self.frequency_column, "m": self.monetary_column}

    def required_features_for_params(self) -> tuple[str, ...]:
        return (*self.columns.values(), "tenure_days")

    def _fit(self, features: pd.DataFrame) -> None:
        cube, names = segment_cube(self.segment_rules, self.n_bins)
        self._segment_cube, self.segments_ = cube, names  # private: a lookup array, not for reports
        qs = np.arange(1, self.n_bins) / self.n_bins
        self.edges_ = {
            dim: np.unique(np.quantile(self._oriented(features, dim), qs, method="inverted_cdf"))
            for dim in self.columns
        }
        scored = {dim: self._score(features, dim) for dim in self.columns}
        self.n_distinct_scores_ = {dim: int(len(np.unique(s))) for dim, s in scored.items()}
        for dim, k in self.n_distinct_scores_.items():
            if k < self.n_bins:
                warnings.warn(
                    f"RFM: {self.columns[dim]} got only {k} distinct {dim.upper()} score(s) of {self.n_bins} "
                    f"(its values tie heavily); scores used: {sorted(np.unique(scored[dim]).tolist())}",
                    ScoreRangeWarning, stacklevel=3,
                )

    def _oriented(self, features: pd.DataFrame, dim: str) -> np.ndarray:
        v = column_values(features, self.columns[dim], type(self).__name__)
        return -v if dim == "r" else v

    def _score(self, features: pd.DataFrame, dim: str) -> np.ndarray:
        return 1 + np.searchsorted(self.edges_[dim], self._oriented(features, dim), side="left")

    def scores(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer: r, f, m scores (1 = worst), fm = ceil((f + m) / 2), the segment
        name (categorical, in rule-table order) and rfm_score = r + f + m."""
        if not getattr(self, "fitted_", False):
            raise RuntimeError("RFMGrading.scores called before fit")
        s = {dim: self._score(features, dim) for dim in self.columns}
        seg = self._segment_cube[s["r"], s["f"], s["m"]]
        return pd.DataFrame(
            {
                **s,
                "fm": (s["f"] + s["m"] + 1) // 2,
                "segment": pd.Categorical.from_codes(seg, categories=self.segments_),
                "rfm_score": s["r"] + s["f"] + s["m"],
            },
            index=features.index,
        )

    def segment_table(self) -> pd.DataFrame:
        """The rule table with each segment's tier, for reports."""
        rows = rule_records(self.segment_rules)
        table = pd.DataFrame([{k: rec.get(k) for k in ("segment", *RULE_KEYS)} for rec in rows])
        table["tier"] = table["segment"].map(self.tier_map)
        return table

    def _assign(self, features: pd.DataFrame):
        s = self.scores(features)
        label_code = {label: i for i, label in enumerate(self.tier_labels)}
        tier_of_segment = np.array([label_code[self.tier_map[name]] for name in self.segments_])
        codes = tier_of_segment[s["segment"].cat.codes.to_numpy()]
        return codes, s["rfm_score"].to_numpy(dtype=float)

    def score_range(self, dim: str, score: int) -> str:
        """The values that get ``score`` on ``dim`` in words (module docstring, "Explaining")."""
        column, e = self.columns[dim], self.edges_[dim]
        shown = lambda v: feature_value(column, v)  # noqa: E731
        whole = (column.endswith("_days") or column in WHOLE_COLUMNS) and bool(np.all(np.mod(e, 1) == 0))
        lo = e[score - 2] if score >= 2 else None  # the oriented value is above lo (exclusive) ...
        hi = e[score - 1] if score <= len(e) else None  # ... and at most hi
        if dim == "r":  # scored on −recency: recency is at least −hi and under −lo
            least, under = (None if hi is None else -hi), (None if lo is None else -lo)
            unit = " days" if column.endswith("_days") else ""
            if whole and least is not None and under is not None:
                return shown(least) + ("" if under - 1 == least else f"–{shown(under - 1)}") + unit
            if whole and under is None:
                return f"{shown(least)}{unit} or more"
            parts = ([] if least is None else [f"at least {shown(least)}"]) + \
                    ([] if under is None else [f"under {shown(under)}"])
            return ", ".join(parts) + unit
        if whole and lo is not None:
            first = lo + 1  # the whole numbers above lo
            if hi is None:
                return f"{shown(first)} or more"
            return shown(hi) if first == hi else f"{shown(first)}–{shown(hi)}"
        if whole:  # the lowest score
            return f"at most {shown(hi)}"
        parts = ([] if lo is None else [f"above {shown(lo)}"]) + ([] if hi is None else [f"up to {shown(hi)}"])
        return ", ".join(parts)

    def _explain(self, features: pd.DataFrame, codes, score):
        """Tier (segment), cell, and each value with its score's range (module docstring)."""
        s = self.scores(features)
        parts: list = [by_code([f"{label} (" for label in self.labels], codes),
                       by_code([f"{name}), " for name in self.segments_], s["segment"].cat.codes.to_numpy())]
        tail: list = [": "]
        for i, (dim, column) in enumerate(self.columns.items()):
            top = len(self.edges_[dim]) + 1
            sc = s[dim].to_numpy()
            parts += [" " if i else "", by_code([""] + [f"{dim.upper()}{k}" for k in range(1, top + 1)], sc)]
            ranges = [""] + [f" ({dim.upper()}{k}: {self.score_range(dim, k)})" for k in range(1, top + 1)]
            tail += [", " if i else "", feature_phrases(features, column), by_code(ranges, sc)]
        return joined(*parts, *tail)

    def learned_rules(self) -> list[str]:
        """Per dimension, its score from the learned edges (the first case that holds), then each
        tier's segments."""
        rules = []
        for dim, column in self.columns.items():
            shown = [feature_value(column, e) for e in (-self.edges_[dim] if dim == "r" else self.edges_[dim])]
            top = len(shown) + 1
            if dim == "r":  # scored on −recency: the most recent get the top score
                cases = [f"{top - i} if under {v}" for i, v in enumerate(reversed(shown))]
            else:
                cases = [f"{i + 1} if at most {v}" for i, v in enumerate(shown)]
            # fit learns at least one edge, so there is always a case
            rules.append(f"{dim.upper()} score ({feature_name(column)}): " + ", ".join(
                [*cases, f"otherwise {1 if dim == 'r' else top}"]))
        for label in self.tier_labels:
            segments = [name for name in self.segments_ if self.tier_map[name] == label]
            rules.append(f"{label}: segments {', '.join(segments)}" if segments else f"{label}: no segment")
        return rules
