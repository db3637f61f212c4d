"""segment.reporting.views: figures the reports print."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from segment.reporting.views import top_share


def top_share_by_definition(values: pd.Series, customer_share: float = 0.2) -> float:
    """Highest value first, ties by customer_id, the top ceil(share * n) summed."""
    frame = pd.DataFrame({"v": values.to_numpy(dtype=float), "k": values.index.astype(str)})
    frame = frame.sort_values(["v", "k"], ascending=[False, True])
    total = float(frame["v"].sum())
    if len(frame) == 0 or total == 0:
        return float("nan")
    return float(frame["v"].iloc[:math.ceil(customer_share * len(frame))].sum() / total)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 1.0, 2.5, -3.0, 1e9, 0.1, float("nan")]) | st.floats(-1e6, 1e6),
                max_size=40),
       st.sampled_from([0.2, 0.5, 0.01, 1.0]), st.randoms(use_true_random=False))
def test_top_share_is_the_definition_bit_for_bit_and_ignores_row_order(values, share, rnd):
    ids = [f"c{i:03d}" for i in range(len(values))]
    rnd.shuffle(ids)
    s = pd.Series(values, index=pd.Index(ids, name="customer_id"), dtype=float)
    expected = top_share_by_definition(s, share)
    got = top_share(s, share)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected
    shuffled = s.sample(frac=1.0, random_state=rnd.randrange(1000))
    again = top_share(shuffled, share)
    assert (math.isnan(again) and math.isnan(got)) or again == got


def test_top_share_of_a_pareto_table():
    s = pd.Series([80.0] + [20.0 / 9] * 9, index=[f"c{i}" for i in range(10)])
    assert top_share(s) == np.float64((80.0 + 20.0 / 9) / s.sum())
