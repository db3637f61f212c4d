"""Why each customer is where it is, for every graded method: the CRM export's ``reason_<method>``
columns and the analyst report's examples per tier.

``explanations(methods, features, assignments)``: one column ``reason_<method>`` per fitted method
(``GradingMethod.explain``, vectorised), index customer_id, in the order of ``methods``. A method
with an assignment in ``assignments`` reuses it; one without is assigned first.

``examples_per_tier(explanations, assignments, method, per_tier=3)``: a few customers of each tier
with their reasons, chosen deterministically: the tier's customers ranked by score, best first
(ties and methods without a score — k-means — by customer_id ascending), and of those the ones at
evenly spaced ranks from the first to the last (3: the tier's top, middle and bottom customer;
of an even count the later of the two middle ones). A tier with fewer customers shows them all; an
empty tier shows none. Tiers in the method's order, best first.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segment.methods.base import GradingMethod

PREFIX = "reason_"
EXAMPLE_COLUMNS = ("tier", "rank_in_tier", "customers_in_tier", "customer_id", "score", "reason")


def explanations(methods: Mapping[str, GradingMethod], features: pd.DataFrame,
                 assignments: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per customer of ``features``, each method's reason (column ``reason_<method>``)."""
    columns = {f"{PREFIX}{name}": method.explain(features, assignments.get(name))
               for name, method in methods.items()}
    out = pd.DataFrame(columns, index=features.index.copy())
    out.index.name = features.index.name or "customer_id"
    return out


def tier_order(codes: np.ndarray, score: np.ndarray, ids) -> np.ndarray:
    """Positions sorted by tier (best first), then score (highest first; NaN last, with -inf), then
    customer_id (as text, by code point: Arrow compares UTF-8 bytes, which orders as code points)."""
    key = np.where(np.isnan(score), -np.inf, np.asarray(score, dtype=float))
    try:
        text = pa.array(ids, type=pa.string())
    except (pa.ArrowException, UnicodeEncodeError):  # not UTF-8 (a lone surrogate): rank them in Python
        text = pa.array(pd.factorize(np.asarray(ids, dtype=object), sort=True)[0])
    table = pa.table({"tier": np.asarray(codes, dtype=np.int64), "score": key, "id": text})
    return pc.sort_indices(table, sort_keys=[("tier", "ascending"), ("score", "descending"),
                                             ("id", "ascending")]).to_numpy()


def spaced_ranks(n: int, k: int) -> np.ndarray:
    """``min(k, n)`` evenly spaced ranks from 0 to n − 1 (k = 3: first, middle, last; of an even
    count the later of the two middle ones)."""
    return np.unique(np.floor(np.linspace(0, n - 1, min(k, n)) + 0.5).astype(np.int64))


def examples_per_tier(explanations: pd.DataFrame, assignments: Mapping[str, pd.DataFrame], method: str,
                      per_tier: int = 3) -> pd.DataFrame:
    """A few customers of each tier of ``method`` with their reasons (module docstring): columns
    tier, rank_in_tier (1 = the tier's best), customers_in_tier, customer_id, score, reason."""
    column = f"{PREFIX}{method}"
    if column not in explanations.columns:
        raise KeyError(f"no reasons for method {method!r} in the explanations; they have "
                       f"{[c.removeprefix(PREFIX) for c in explanations.columns if c.startswith(PREFIX)]}")
    if method not in assignments:
        raise KeyError(f"no assignment for method {method!r}; assigned: {sorted(assignments)}")
    return _examples(method, assignments[method], per_tier, lambda ids: explanations[column].reindex(ids))


def _examples(method: str, assigned: pd.DataFrame, per_tier: int, reasons_of) -> pd.DataFrame:
    """``examples_per_tier`` of ``assigned``, the reasons of the chosen customers from
    ``reasons_of(ids)`` (a Series indexed by those ids)."""
    if int(per_tier) < 1:
        raise ValueError(f"per_tier must be at least 1, got {per_tier!r}")
    rows, ranks, sizes = example_rows(assigned, int(per_tier))
    labels = list(assigned["tier"].cat.categories)
    codes = assigned["tier"].cat.codes.to_numpy().astype(np.int64)
    score = assigned["score"].to_numpy(dtype=float, na_value=np.nan)
    reasons = reasons_of(assigned.index[rows])
    if reasons.isna().any():
        raise ValueError(f"the explanations have no reason for customer(s) {list(reasons.index[reasons.isna()][:5])} "
                         f"of the {method!r} assignment: explain the same feature table that was assigned")
    return pd.DataFrame({
        "tier": pd.Categorical.from_codes(codes[rows], categories=labels, ordered=True),
        "rank_in_tier": ranks,
        "customers_in_tier": sizes,
        "customer_id": assigned.index[rows].to_numpy(),
        "score": score[rows],
        "reason": reasons.to_numpy(),
    }, columns=list(EXAMPLE_COLUMNS))


def example_rows(assigned: pd.DataFrame, per_tier: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row positions, rank in tier from 1, tier size) of ``examples_per_tier``' customers."""
    codes = assigned["tier"].cat.codes.to_numpy().astype(np.int64)
    score = assigned["score"].to_numpy(dtype=float, na_value=np.nan)
    ids = assigned.index
    order = tier_order(codes, score, ids.array if ids.dtype == "str" else ids.astype(str).array)
    bounds = np.searchsorted(codes[order], np.arange(len(assigned["tier"].cat.categories) + 1))
    rows, ranks, sizes = [], [], []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        r = spaced_ranks(int(stop - start), per_tier)
        rows.append(order[start + r])
        ranks.append(r + 1)
        sizes.append(np.full(len(r), stop - start))
    return np.concatenate(rows), np.concatenate(ranks), np.concatenate(sizes)


def method_examples(name: str, method: GradingMethod, features: pd.DataFrame, assigned: pd.DataFrame,
                    per_tier: int = 3) -> pd.DataFrame:
    """``examples_per_tier`` of one fitted method, explaining only the chosen customers (the
    reasons of a customer depend on its own row and the fit alone), for the analyst report."""
    return _examples(name, assigned, per_tier, lambda ids: explanations(
        {name: method}, features.loc[ids], {name: assigned.loc[ids]})[f"{PREFIX}{name}"])
