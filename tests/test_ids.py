"""Customer ids (segment.ids): the Arrow-string helpers agree with pandas, and checking a sorted
feature table's ids builds no pandas hash table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from segment.ids import id_numbers, is_unique, rows_in, same_ids, sort_order, strictly_increasing

TEXT_IDS = st.lists(st.text(alphabet="ab,\"\n中0", max_size=4), unique=True, max_size=30)


@settings(max_examples=60, deadline=None)
@given(ids=TEXT_IDS, among=TEXT_IDS, dtype=st.sampled_from(["str", "object"]))
def test_the_id_helpers_agree_with_pandas(ids, among, dtype):
    a, b = pd.Index(ids, dtype=dtype), pd.Index(among, dtype=dtype)
    assert rows_in(a, b).tolist() == pd.Index(among, dtype=object).get_indexer(pd.Index(ids, dtype=object)).tolist()
    assert strictly_increasing(a) == (a.is_monotonic_increasing and a.is_unique)
    assert is_unique(a) == a.is_unique and is_unique(a.append(a)) == (len(a) == 0)
    assert sort_order(a).tolist() == np.argsort(np.array(ids, dtype=object), kind="stable").tolist()
    assert same_ids(a, b) == (ids == among)
    assert same_ids(a, pd.Index(ids, dtype="object")) and rows_in(a, a).tolist() == list(range(len(ids)))
    both = a.append(b)  # ids repeated: the same number for the same id, numbered in order of first appearance
    assert id_numbers(both).tolist() == pd.factorize(np.array(both, dtype=object))[0].tolist()


@settings(max_examples=40, deadline=None)
@given(numbers=st.lists(st.integers(-2**40, 2**40), max_size=40))
def test_id_numbers_of_integers_are_pandas_factorize(numbers):
    for dtype in ("int64", "uint64"):
        if dtype == "uint64" and any(n < 0 for n in numbers):
            continue
        ids = pd.Index(np.array(numbers, dtype=dtype))
        assert id_numbers(ids).tolist() == pd.factorize(np.array(numbers, dtype=object))[0].tolist()


def test_a_sorted_text_index_is_checked_without_a_hash_table():
    ids = pd.Index([f"c{i:06d}" for i in range(50_000)], dtype="str")
    assert is_unique(ids)
    assert "_engine" not in ids._cache  # pandas builds its hash table on its first lookup; nothing looked up here
    assert not is_unique(ids.append(ids[:1]))
