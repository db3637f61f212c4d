"""The numeric helpers of segment.methods.base that replace a sort: the same arrays as the sort, to the bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segment.methods.base import sorted_distinct, thresholds_from_shares

# few distinct values (heavy ties, as customer features have), both zeros, NaN now and then
values = st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.0, 3.0, 1e-300, 7.25, float("nan"), 1e12]), min_size=1,
                  max_size=60) | st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(values)
def test_sorted_distinct_is_np_unique(v):
    a = np.array(v, dtype=float)
    want_u, want_inv = np.unique(a, return_inverse=True)
    got_u, got_inv = sorted_distinct(a)
    assert got_u.tobytes() == want_u.tobytes()  # bits: -0.0 and NaN included
    assert np.array_equal(got_inv, want_inv.reshape(-1))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.0, 3.0]), min_size=1, max_size=80)
       | st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=80),
       st.sets(st.floats(min_value=0.001, max_value=1.0), min_size=1, max_size=4))
def test_thresholds_from_shares_are_the_values_a_full_sort_finds(v, shares):
    a = np.array(v, dtype=float)
    shares = tuple(sorted(shares))
    idx = np.clip(np.ceil(np.asarray(shares) * len(a) - 1e-9).astype(int) - 1, 0, len(a) - 1)
    want = np.sort(a)[::-1][idx]
    assert thresholds_from_shares(a, shares).tobytes() == want.tobytes()


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_rank_normalisation_learns_np_uniques_values_and_counts(v):
    from segment.methods.normalise import apply, learn

    a = np.array(v, dtype=float)
    if np.isnan(a).all():
        return
    state = learn(a, "rank")
    want_values, want_counts = np.unique(np.sort(a[~np.isnan(a)]), return_counts=True)
    assert state["values"].tobytes() == want_values.tobytes()
    assert np.array_equal(state["below"], np.concatenate([[0], np.cumsum(want_counts)]))
    # and applying it searches each distinct value once: the mid-rank of every value among the calibration values
    ok = a[~np.isnan(a)]
    mid = [((ok < x).sum() + (ok <= x).sum()) / (2.0 * len(ok)) for x in ok]
    assert np.array_equal(apply(ok, state), np.array(mid))
