"""BG/NBD purchase model and Gamma-Gamma spend model, fitted by maximum likelihood.

Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science
24(2): BG/NBD with parameters (r, alpha, a, b); Fader, Hardie & Lee (2005), "RFM and
CLV", JMR 42(4) / Fader & Hardie's note on the Gamma-Gamma model: (p, q, gamma).

Written here (small, vectorised, scipy) because lifetimes is unmaintained and breaks on
pandas 3, and pymc-marketing brings PyMC for what is a 4-parameter likelihood. Inputs
per customer: ``x`` repeat purchases, ``t_x`` time of the last purchase and ``T`` age,
both measured from the first purchase in the caller's time unit (FHL use weeks).
Identical (x, t_x, T) rows are collapsed with counts, so millions of customers fit in
seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special


def _collapse(*cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in cols])
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return uniq, counts.astype(float)


def bgnbd_loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood (FHL 2005, eq. 6)."""
    r, alpha, a, b = params
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    term1 = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        term2 = np.where(
            x > 0,
            special.betaln(a + 1, b + np.maximum(x, 1) - 1) - special.betaln(a, b) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return common + np.logaddexp(term1, term2)


@dataclass(frozen=True)
class BGNBDParams:
    r: float
    alpha: float
    a: float
    b: float
    loglik: float


def fit_bgnbd(x, t_x, T, *, start=(1.0, 1.0, 1.0, 1.0)) -> BGNBDParams:
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if len(x) == 0:
        raise ValueError("BG/NBD needs at least one customer")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(T < t_x):
        raise ValueError("BG/NBD inputs need x >= 0 and 0 <= t_x <= T")
    rows, w = _collapse(x, t_x, T)

    def nll(logp):
        return -np.sum(w * bgnbd_loglik(np.exp(logp), rows[:, 0], rows[:, 1], rows[:, 2]))

    res = optimize.minimize(nll, np.log(start), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000, "maxfev": 20_000})
    res = optimize.minimize(nll, res.x, method="BFGS", options={"gtol": 1e-8})
    r, alpha, a, b = np.exp(res.x)
    return BGNBDParams(float(r), float(alpha), float(a), float(b), float(-res.fun))


def bgnbd_expected_purchases(p: BGNBDParams, t: float, x, t_x, T) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005, eq. 10)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    if a == 1:
        raise ValueError("the conditional expectation is undefined at a = 1 exactly")
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    den = 1 + np.where(x > 0, a / (b + x - 1 + (x == 0)) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return num / den


def bgnbd_prob_alive(p: BGNBDParams, x, t_x, T) -> np.ndarray:
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    ratio = np.where(x > 0, p.a / (p.b + x - 1 + (x == 0)) * ((p.alpha + T) / (p.alpha + t_x)) ** (p.r + x), 0.0)
    return 1.0 / (1.0 + ratio)


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float
    loglik: float


def fit_gamma_gamma(x, m_x, *, start=(1.0, 1.0, 1.0)) -> GammaGammaParams:
    """Fit on customers with x > 0 repeat purchases and mean repeat spend m_x > 0."""
    x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
    keep = (x > 0) & (m_x > 0)
    if keep.sum() < 3:
        raise ValueError("Gamma-Gamma needs at least three customers with repeat purchases and positive spend")
    rows, w = _collapse(x[keep], m_x[keep])
    xs, ms = rows[:, 0], rows[:, 1]

    def nll(logp):
        p, q, g = np.exp(logp)
        ll = (special.gammaln(p * xs + q) - special.gammaln(p * xs) - special.gammaln(q) + q * np.log(g)
              + (p * xs - 1) * np.log(ms) + p * xs * np.log(xs) - (p * xs + q) * np.log(g + xs * ms))
        return -np.sum(w * ll)

    res = optimize.minimize(nll, np.log(start), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000, "maxfev": 20_000})
    res = optimize.minimize(nll, res.x, method="BFGS", options={"gtol": 1e-8})
    p, q, g = np.exp(res.x)
    return GammaGammaParams(float(p), float(q), float(g), float(-res.fun))


def gamma_gamma_expected_spend(gg: GammaGammaParams, x, m_x) -> np.ndarray:
    """E[mean spend | x, m_x]; the population mean p·gamma/(q − 1) when x = 0."""
    x, m_x = np.asarray(x, dtype=float), np.nan_to_num(np.asarray(m_x, dtype=float))
    return (gg.p * (gg.gamma + x * m_x)) / (gg.p * x + gg.q - 1)
