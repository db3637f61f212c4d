"""Weight candidates on the simplex, and the analysts' weight constraints.

The grid: every weight vector over ``cfg.indicators`` whose free weights (those not in
``fixed_weights``) are multiples of ``grid_step`` of the free mass ``1 − Σ fixed``,
non-negative and summing to it; fixed weights are set; points below a ``min_weight`` are
dropped. Rows come in a fixed order (the stars-and-bars enumeration, first indicator's
weight descending), which is also the tie rule of the search: of equally good
candidates the first row wins.

A leaf of ``segment.tuning``: ``settings`` imports it (to check that the constraints leave
a grid point), never the other way; ``cfg`` is any object with ``indicators`` (names),
``min_weight`` and ``fixed_weights`` (name -> weight) and ``units`` (1 / grid step), in
practice ``settings.TuningConfig``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

#: tolerance of weight and share comparisons (a weight "at" its minimum, weights summing to 1)
TOL = 1e-9


def compositions(units: int, parts: int) -> np.ndarray:
    """All vectors of ``parts`` non-negative integers summing to ``units`` (stars and bars),
    first coordinate descending."""
    rows = []
    for bars in itertools.combinations(range(units + parts - 1), parts - 1):
        edges = (-1, *bars, units + parts - 1)
        rows.append([edges[i + 1] - edges[i] - 1 for i in range(parts)])
    out = np.array(rows, dtype=np.int64).reshape(-1, parts)
    return out[np.lexsort(tuple(-out[:, j] for j in range(parts - 1, -1, -1)))]


def candidate_grid(cfg: Any) -> np.ndarray:
    """(m × d) weights, columns in ``cfg.indicators`` order, every row summing to 1."""
    d = len(cfg.indicators)
    free = [j for j, name in enumerate(cfg.indicators) if name not in cfg.fixed_weights]
    mass = 1.0 - sum(cfg.fixed_weights.values())
    grid = np.zeros((0, d))
    if free:
        parts = compositions(cfg.units, len(free)) / cfg.units
        grid = np.zeros((len(parts), d))
        grid[:, free] = parts * mass
    for j, name in enumerate(cfg.indicators):
        if name in cfg.fixed_weights:
            grid[:, j] = cfg.fixed_weights[name]
    return grid[meets_weight_constraints(grid, cfg)]


def meets_weight_constraints(weights: np.ndarray, cfg: Any) -> np.ndarray:
    """Per row: non-negative, sums to one, every minimum met, every fixed weight kept."""
    w = np.atleast_2d(weights)
    ok = (w >= -TOL).all(axis=1) & (np.abs(w.sum(axis=1) - 1.0) <= 1e-6)
    for j, name in enumerate(cfg.indicators):
        if name in cfg.min_weight:
            ok &= w[:, j] >= cfg.min_weight[name] - TOL
        if name in cfg.fixed_weights:
            ok &= np.abs(w[:, j] - cfg.fixed_weights[name]) <= 1e-6
    return ok


def project(raw: np.ndarray, cfg: Any) -> np.ndarray:
    """Non-negative ``raw`` weights made to meet the weight constraints: fixed weights set,
    the free ones scaled to the free mass, then minimums raised by water-filling (a weight
    below its minimum is set to it and the others shrink in proportion, until none is
    below). All-zero (or subnormal) free weights become equal shares of the free mass."""
    w = np.clip(np.asarray(raw, dtype=float), 0.0, None)
    names = cfg.indicators
    fixed = np.array([n in cfg.fixed_weights for n in names])
    lows = np.array([cfg.min_weight.get(n, 0.0) for n in names])
    out = np.array([cfg.fixed_weights.get(n, 0.0) for n in names])
    mass = 1.0 - out.sum()
    free = ~fixed
    # all zero (or subnormal, whose scaling would overflow): equal shares
    base = w[free] if w[free].sum() > np.finfo(float).tiny else np.ones(free.sum())
    pinned = np.zeros(free.sum(), dtype=bool)
    lo = lows[free]
    for _ in range(len(base) + 1):
        left = mass - lo[pinned].sum()
        scale = base[~pinned].sum()
        cur = np.where(pinned, lo, base * left / scale if scale > 0 else left / max((~pinned).sum(), 1))
        below = (~pinned) & (cur < lo - TOL)
        if not below.any():
            break
        pinned |= below
    out[free] = cur
    return out


def weights_text(weights: dict[str, float]) -> str:
    """``profit 0.5, recency_days 0.3, ...`` (for tables and captions)."""
    return ", ".join(f"{k} {float(v):.2f}" for k, v in weights.items())
