"""LifecycleStatus: the rules at their boundaries, new = provisional, parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.grading import provisional_flag
from segment.methods.lifecycle import LifecycleStatus


def table(rows) -> pd.DataFrame:
    """rows: (customer_id, tenure_days, recency_days)"""
    ids, tenure, recency = zip(*rows)
    return pd.DataFrame({"tenure_days": np.asarray(tenure, dtype=float), "recency_days": np.asarray(recency, dtype=float)},
                        index=pd.Index(ids, name="customer_id"))


ROWS = [
    ("new_0", 0, 0),
    ("new_181", 181, 181),        # first order 181 days ago: still new, even though not recent
    ("active_182", 182, 0),       # six months: graded properly now
    ("active_90", 400, 90),
    ("lapsing_91", 400, 91),
    ("lapsing_180", 400, 180),
    ("lost_181", 400, 181),
]


def test_rules_at_their_boundaries():
    f = table(ROWS)
    m = LifecycleStatus()
    out = m.fit_assign(f)
    assert out["tier"].astype(str).tolist() == [cid.split("_")[0] for cid in f.index]
    assert list(out["tier"].cat.categories) == ["active", "new", "lapsing", "lost"]
    np.testing.assert_array_equal(out["score"], -f["recency_days"])


def test_new_is_exactly_provisional_by_default():
    f = table(ROWS)
    out = LifecycleStatus(provisional_days=30).fit_assign(f)
    assert (out["tier"] == "new").tolist() == provisional_flag(f, 30).tolist() == [True] + [False] * 6
    explicit = LifecycleStatus(new_days=10, provisional_days=182).fit_assign(f)
    assert (explicit["tier"] == "new").sum() == 1 and provisional_flag(f, 182).sum() == 2  # the flag is the stage's


def test_parameters_are_checked():
    f = table(ROWS)
    with pytest.raises(ValueError, match="active_days <= lapsing_days"):
        LifecycleStatus(active_days=200, lapsing_days=100).fit(f)
    with pytest.raises(ValueError, match="tier_labels"):
        LifecycleStatus(tier_labels=("a", "b")).fit(f)
    with pytest.raises(ValueError, match="missing"):
        LifecycleStatus().fit(table([("x", 100, np.nan)]))


def test_degenerate_inputs():
    assert LifecycleStatus().fit_assign(table([("x", 500, 500)]))["tier"].tolist() == ["lost"]
    assert set(LifecycleStatus().fit_assign(table([(f"c{i}", 300, 10) for i in range(5)]))["tier"]) == {"active"}
