"""The weight grid and the constraint projection."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from segment.tuning.settings import TuningConfig
from segment.tuning.grid import candidate_grid, compositions, meets_weight_constraints, project

BASE = {"judged_origin": "1998-03-31", "fold_origins": ["1997-09-30"], "indicators": ["a", "b", "c", "d"]}


def cfg(**constraints) -> TuningConfig:
    return TuningConfig.from_dict({**BASE, "constraints": constraints}, horizon_days=90)


@pytest.mark.parametrize("units, parts", [(10, 2), (10, 3), (10, 4), (20, 3), (4, 5)])
def test_compositions_cover_the_simplex_once(units, parts):
    c = compositions(units, parts)
    assert len(c) == math.comb(units + parts - 1, parts - 1)
    assert (c.sum(axis=1) == units).all() and (c >= 0).all()
    assert len({tuple(r) for r in c}) == len(c)
    assert (np.diff(c[:, 0]) <= 0).all()  # first weight descending: the documented tie order


def test_grid_with_fixed_and_minimum_weights():
    g = candidate_grid(cfg(fixed_weights={"d": 0.2}, min_weight={"a": 0.1}))
    assert np.allclose(g.sum(axis=1), 1) and np.allclose(g[:, 3], 0.2) and (g[:, 0] >= 0.1 - 1e-9).all()
    # free weights are multiples of 0.1 of the free mass 0.8
    assert np.allclose(np.round(g[:, :3] / 0.08), g[:, :3] / 0.08)
    # a >= 0.1 of weight = at least 2 of the 10 units of 0.08: the other 8 units over a, b, c
    assert len(g) == math.comb(8 + 2, 2) and len(candidate_grid(cfg(fixed_weights={"d": 0.2}))) == math.comb(10 + 2, 2)
    assert meets_weight_constraints(g, cfg(fixed_weights={"d": 0.2}, min_weight={"a": 0.1})).all()


def test_default_grid_size():
    assert len(candidate_grid(cfg())) == 286


@hsettings(max_examples=60, deadline=None)
@given(raw=st.lists(st.floats(-1, 5, allow_nan=False), min_size=4, max_size=4),
       fixed=st.floats(0, 0.4), low=st.floats(0, 0.15))
def test_projection_always_meets_the_weight_constraints(raw, fixed, low):
    c = cfg(fixed_weights={"b": round(fixed, 3)}, min_weight={"a": round(low, 3), "c": round(low, 3)})
    w = project(np.array(raw), c)
    assert meets_weight_constraints(w[None, :], c)[0], w


def test_projection_keeps_proportions_when_nothing_binds():
    w = project(np.array([3.0, 1.0, 0.0, 0.0]), cfg())
    assert np.allclose(w, [0.75, 0.25, 0, 0])
    assert np.allclose(project(np.zeros(4), cfg()), 0.25)  # nothing positive: equal shares
