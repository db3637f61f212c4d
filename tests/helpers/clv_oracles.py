"""Plain per-customer BG/NBD and Gamma-Gamma formulas: the test oracles that
``segment.methods.clv_models``' grouped, fast objectives and predictions are checked against."""

from __future__ import annotations

import numpy as np
from scipy import special

from segment.methods.clv_models import BGNBDParams


def _as_float(*cols) -> list[np.ndarray]:
    return [np.asarray(c, dtype=float) for c in cols]


def bgnbd_loglik(params, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood (FHL 2005a, eq. 6), vectorised over customers."""
    r, alpha, a, b = params
    x, t_x, T = _as_float(x, t_x, T)
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    alive = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        # the customer dropped out just after the last purchase (possible only when x > 0)
        dropped = np.where(
            x > 0,
            special.betaln(a + 1, b + np.maximum(x, 1) - 1) - special.betaln(a, b) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return common + np.logaddexp(alive, dropped)


def bgnbd_expected_purchases_new(p: BGNBDParams, t) -> np.ndarray:
    """E[X(t)]: purchases in (0, t] of a customer who has just made a first purchase
    (FHL 2005a, eq. 9)."""
    t = np.asarray(t, dtype=float)
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))


def gamma_gamma_loglik(params, n, m) -> np.ndarray:
    """Per-customer log-likelihood of the mean ``m`` of ``n`` transactions (Fader &
    Hardie 2013, eq. 5)."""
    p, q, g = params
    n, m = _as_float(n, m)
    return (special.gammaln(p * n + q) - special.gammaln(p * n) - special.gammaln(q) + q * np.log(g)
            + (p * n - 1) * np.log(m) + p * n * np.log(n) - (p * n + q) * np.log(g + n * m))
