"""BG/NBD purchase model and Gamma-Gamma spend model, fitted by maximum likelihood.

Fader, Hardie & Lee (2005a), "Counting your customers the easy way: an alternative to
the Pareto/NBD model", Marketing Science 24(2): BG/NBD with parameters (r, alpha, a, b).
Fader, Hardie & Lee (2005b), "RFM and CLV: using iso-value curves for customer base
analysis", JMR 42(4), and Fader & Hardie (2013), "The Gamma-Gamma model of monetary
value": spend model with parameters (p, q, gamma).

Written here (small, vectorised, scipy) because lifetimes is unmaintained and breaks on
pandas 3, and pymc-marketing brings PyMC for what are 4- and 3-parameter likelihoods.

Inputs per customer: ``x`` repeat purchases, ``t_x`` time of the last purchase and ``T``
age, both measured from the first purchase in the caller's time unit (FHL use weeks).
How the fit stays fast on millions of customers: identical input rows are collapsed
with counts, and every term that depends on one input only (x, t_x or T — day counts,
so a few hundred distinct values each) is computed once per distinct value and gathered.
The log-likelihood comes with its analytic gradient (the tests check both against plain
per-customer formulas, tests/helpers/clv_oracles.py); parameters are optimised on the log
scale (bounded to e^±20) by L-BFGS-B from a few fixed starting points, and the best end
point is kept (a single start can stall on the likelihood's ridges, e.g. Gamma-Gamma's
p -> infinity, gamma -> 0). The reproduction of FHL's published estimates on the CDNOW
sample is in tests/methods/test_bgnbd.py.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from segment.errors import CannotGrade
from segment.methods.base import sorted_distinct

_LOG_BOUND = 10.0


def _as_float(*cols) -> list[np.ndarray]:
    return [np.asarray(c, dtype=float) for c in cols]


def _grouped(*cols: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Distinct values of each column, and for each distinct *row* the index of its value
    in every column plus the row's count: (uniques, codes, counts)."""
    uniques, inverse = zip(*(sorted_distinct(c) for c in cols))
    inverse = [inv.astype(np.int64) for inv in inverse]
    if np.prod([float(len(u)) for u in uniques]) < 2.0**62:  # one int64 key per row: a fast 1-D unique
        key = np.zeros(len(inverse[0]), dtype=np.int64)
        for u, inv in zip(uniques, inverse):
            key = key * len(u) + inv
        code, rows = pd.factorize(key, sort=True)  # np.unique(key, return_counts=True), by hashing
        counts = np.bincount(code, minlength=len(rows))
        codes = []
        for u in reversed(uniques):
            codes.append(rows % len(u))
            rows = rows // len(u)
        codes = codes[::-1]
    else:
        stacked, counts = np.unique(np.column_stack(inverse), axis=0, return_counts=True)
        codes = list(stacked.T)
    return list(uniques), codes, counts.astype(float)


def _wsum(w: np.ndarray, v: np.ndarray) -> float:
    # not w @ v: a BLAS dot product wakes BLAS threads, which costs more than it saves here
    return float(np.sum(w * v))


def _minimise(fun_and_grad, starts) -> tuple[np.ndarray, float]:
    """Minimise a mean negative log-likelihood over log-parameters from each start;
    return the best end point (log scale) and its value."""
    best_x, best_f = None, np.inf
    for start in starts:
        x0 = np.log(np.asarray(start, dtype=float))
        # one BLAS thread: L-BFGS-B's small linear algebra only pays thread start-up costs;
        # errstate: far-off trial points over/underflow (they come back as +inf)
        with threadpool_limits(limits=1, user_api="blas"), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            res = optimize.minimize(fun_and_grad, x0, jac=True, method="L-BFGS-B",
                                    bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(x0),
                                    options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5_000})
        if np.isfinite(res.fun) and res.fun < best_f:
            best_x, best_f = res.x, float(res.fun)
    if best_x is None:
        raise RuntimeError("maximum likelihood did not reach a finite log-likelihood from any start")
    return best_x, best_f


# ---------------------------------------------------------------------------- BG/NBD

@dataclass(frozen=True)
class BGNBDParams:
    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    n_customers: int


def check_bgnbd_inputs(x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, T = _as_float(x, t_x, T)
    if not (x.shape == t_x.shape == T.shape) or x.ndim != 1:
        raise ValueError("x, t_x and T must be one-dimensional and of equal length")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ValueError("BG/NBD inputs must be finite (no NaN)")
    if np.any(x < 0) or np.any(x != np.round(x)) or np.any(t_x < 0) or np.any(T < t_x):
        raise ValueError("BG/NBD inputs need integer x >= 0 and 0 <= t_x <= T")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("BG/NBD inputs: t_x must be 0 for customers with no repeat purchase")
    return x, t_x, T


def _bgnbd_objective(x, t_x, T):
    """Mean negative log-likelihood and its gradient w.r.t. the log-parameters, on
    grouped data (see the module docstring); returns (function, n_customers)."""
    (ux, ut, uT), (ix, it, iT), w = _grouped(x, t_x, T)
    n = w.sum()
    w = w / n
    xr = ux[ix]
    repeat = ux > 0
    ux_d = np.where(repeat, ux, 1.0)  # a safe stand-in where the dropped-out term does not exist

    def fun(logp):
        r, alpha, a, b = np.exp(logp)
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + ux)
        g_x = special.gammaln(r + ux) - special.gammaln(r)
        dg_x = special.digamma(r + ux) - special.digamma(r)
        beta_ab = special.betaln(a, b)
        bA = special.betaln(a, b + ux) - beta_ab
        dA_a = psi_ab - psi_abx
        dA_b = special.digamma(b + ux) - psi_abx - special.digamma(b) + psi_ab
        bD = np.where(repeat, special.betaln(a + 1, b + ux_d - 1) - beta_ab, -np.inf)
        dD_a = np.where(repeat, special.digamma(a + 1) - psi_abx - special.digamma(a) + psi_ab, 0.0)
        dD_b = np.where(repeat, special.digamma(b + ux_d - 1) - psi_abx - special.digamma(b) + psi_ab, 0.0)
        lT, lt = np.log(alpha + uT), np.log(alpha + ut)
        rx = r + xr
        A = bA[ix] - rx * lT[iT]
        D = bD[ix] - rx * lt[it]
        L = np.logaddexp(A, D)
        wA = np.exp(A - L)
        wD = 1.0 - wA
        ll = g_x[ix] + r * np.log(alpha) + L
        grad = np.array([
            r * (_wsum(w, dg_x[ix] + np.log(alpha) - wA * lT[iT] - wD * lt[it])),
            alpha * (_wsum(w, r / alpha - rx * (wA / (alpha + uT)[iT] + wD / (alpha + ut)[it]))),
            a * (_wsum(w, wA * dA_a[ix] + wD * dD_a[ix])),
            b * (_wsum(w, wA * dA_b[ix] + wD * dD_b[ix])),
        ])
        value = -_wsum(w, ll)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros(4)
        return value, -grad

    return fun, n


#: starting points (r, alpha, a, b), alpha in units of the mean age; the best end point wins
BGNBD_STARTS = ((1.0, 1.0, 1.0, 1.0), (0.5, 0.2, 0.5, 2.0), (2.0, 5.0, 2.0, 5.0))


def _warn_at_bound(model: str, names: tuple[str, ...], logp: np.ndarray) -> None:
    at = [n for n, v in zip(names, logp) if abs(v) >= _LOG_BOUND - 1e-3]
    if at:
        warnings.warn(
            f"{model}: the estimate of {', '.join(at)} is at the optimiser's bound (e^±{_LOG_BOUND:g}, in "
            "data-scaled units): the data do not identify the model (e.g. all customers alike); "
            "predictions use the bounded values",
            RuntimeWarning,
            stacklevel=3,
        )


def fit_bgnbd(x, t_x, T) -> BGNBDParams:
    """Maximum-likelihood (r, alpha, a, b).

    Time is divided by the mean age before fitting (alpha scales with the time unit; r,
    a, b do not), so the bounds and starting points do not depend on the unit. Needs at
    least one customer with a repeat purchase (otherwise the dropout process a, b cannot
    be estimated: ValueError). Data that cannot identify the parameters (e.g. all
    customers alike) end at the bounds with a RuntimeWarning.
    """
    x, t_x, T = check_bgnbd_inputs(x, t_x, T)
    if len(x) == 0:
        raise ValueError("BG/NBD needs at least one customer")
    if not np.any(x > 0):
        raise CannotGrade("BG/NBD: no customer has a repeat purchase, so the dropout process cannot be estimated")
    scale = float(T.mean()) if T.mean() > 0 else 1.0
    fun, n = _bgnbd_objective(x, t_x / scale, T / scale)
    logp, value = _minimise(fun, BGNBD_STARTS)
    _warn_at_bound("BG/NBD", ("r", "alpha", "a", "b"), logp)
    r, alpha, a, b = np.exp(logp)
    # rescaling time by 1/scale multiplies each customer's likelihood by scale^x
    loglik = -value * n - np.log(scale) * float(x.sum())
    return BGNBDParams(float(r), float(alpha * scale), float(a), float(b), float(loglik), len(x))


def bgnbd_prob_alive(p: BGNBDParams, x, t_x, T) -> np.ndarray:
    """P(alive at T | x, t_x, T) (FHL 2005a, appendix; Fader, Hardie & Lee 2008 note), computed
    as expit(−log odds of having dropped out); the odds are 0 when x = 0 (FHL's model lets a
    customer drop out only right after a repeat purchase)."""
    x, t_x, T = _as_float(x, t_x, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (np.log(p.a) - np.log(np.maximum(p.b + x - 1, 1e-300))
                + (p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + t_x)))
    return special.expit(-np.where(x > 0, odds, -np.inf))


def bgnbd_expected_purchases(p: BGNBDParams, t: float, x, t_x, T) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005a, eq. 10) = P(alive) · E[purchases
    in the next t | alive], the second factor by ``_expected_purchases_if_alive``."""
    x, t_x, T = _as_float(x, t_x, T)
    t = float(t)
    if t < 0:
        raise ValueError("the prediction horizon must be >= 0")
    return _expected_purchases_if_alive(p, t, x, T) * bgnbd_prob_alive(p, x, t_x, T)


#: Gauss-Jacobi nodes for the quadrature form (relative error ~1e-10 in the tests)
QUADRATURE_NODES = 64


def _expected_purchases_if_alive(p: BGNBDParams, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[(1 − exp(−lambda·q·t))/q] over the posterior of an alive customer, lambda ~
    Gamma(r + x, alpha + T) and dropout probability q ~ Beta(a, b + x).

    Closed form (FHL 2005a, eq. 10): (a + b + x − 1)/(a − 1) · [1 − ((alpha + T)/(alpha +
    T + t))^(r+x) · 2F1(r + x, b + x; a + b + x − 1; t/(alpha + T + t))]. Where it is not
    finite (the hypergeometric series over/underflows for extreme parameters, e.g. a fit
    at the optimiser's bound, and a = 1 divides by zero) the same expectation is computed
    by Gauss-Jacobi quadrature over q, whose weight (1 − q)^(b+x−1)·q^(a−1) is the Beta
    density; the expectation over lambda is closed, 1 − ((alpha + T)/(alpha + T + q·t))^(r+x).
    Both forms agree to ~1e-9 where both are finite (tested).
    """
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    if t == 0:
        return np.zeros_like(x)
    with np.errstate(all="ignore"):
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        out = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    bad = ~np.isfinite(out) | (out < 0)
    if bad.any():
        out[bad] = _expected_purchases_if_alive_quadrature(p, t, x[bad], T[bad])
    if not np.all(np.isfinite(out)):
        raise FloatingPointError(f"BG/NBD expected purchases are not finite for parameters {p}")
    return out


def _expected_purchases_if_alive_quadrature(p: BGNBDParams, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    pairs, inverse = np.unique(np.column_stack([x, T]), axis=0, return_inverse=True)  # distinct (x, T)
    value = np.empty(len(pairs))
    for xv in np.unique(pairs[:, 0]):
        rows = np.flatnonzero(pairs[:, 0] == xv)
        with np.errstate(all="ignore"):  # a failure shows as NaN and is reported by the caller
            u, w = special.roots_jacobi(QUADRATURE_NODES, b + xv - 1, a - 1)
            q = (1 + u) / 2
            w = w / w.sum()
            Tv = pairs[rows, 1][:, None]
            value[rows] = (-np.expm1((r + xv) * (np.log(alpha + Tv) - np.log(alpha + Tv + q * t))) / q) @ w
    return value[inverse.reshape(-1)]


# ---------------------------------------------------------------------- Gamma-Gamma

@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float
    loglik: float
    n_customers: int

    @property
    def population_mean_spend(self) -> float:
        """E[spend per transaction] across customers, p·gamma/(q − 1) (infinite if q <= 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


def _gamma_gamma_objective(n, m):
    (un, um), (i_n, i_m), w = _grouped(n, m)
    total = w.sum()
    w = w / total
    nr, mr = un[i_n], um[i_m]
    log_m, log_n = np.log(um)[i_m], np.log(un)[i_n]

    def fun(logp):
        p, q, g = np.exp(logp)
        pn = p * un
        lgm = np.log(g + nr * mr)
        ll = ((special.gammaln(pn + q) - special.gammaln(pn))[i_n] - special.gammaln(q) + q * np.log(g)
              + (p * nr - 1) * log_m + p * nr * log_n - (p * nr + q) * lgm)
        psi_pnq = special.digamma(pn + q)
        grad = np.array([
            p * (_wsum(w, nr * ((psi_pnq - special.digamma(pn))[i_n] + log_m + log_n - lgm))),
            q * (_wsum(w, psi_pnq[i_n] - special.digamma(q) + np.log(g) - lgm)),
            g * (_wsum(w, q / g - (p * nr + q) / (g + nr * mr))),
        ])
        value = -_wsum(w, ll)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros(3)
        return value, -grad

    return fun, total


def fit_gamma_gamma(n, m) -> GammaGammaParams:
    """Fit on customers with ``n`` > 0 transactions averaging ``m`` > 0 per transaction.

    ``n`` must be the number of transactions that ``m`` averages: FHL fit repeat
    transactions only (n = x, m = mean repeat spend); averaging all orders goes with
    n = x + 1 (the weight of a customer's own mean grows with n). Customers with n = 0 or m <= 0 are left out of
    the fit (the model needs positive spend). Spend is divided by its mean before
    fitting (gamma scales with the currency unit), so bounds and starts do not depend on
    the currency. Data that cannot identify the model (e.g. spend that never varies
    within a customer: p -> infinity) end at the bounds with a RuntimeWarning.
    """
    n, m = _as_float(n, m)
    if n.shape != m.shape or n.ndim != 1:
        raise ValueError("n and m must be one-dimensional and of equal length")
    keep = (n > 0) & (m > 0) & np.isfinite(m)
    if keep.sum() < 3:
        raise CannotGrade("Gamma-Gamma needs at least three customers with purchases and positive spend")
    scale = float(np.mean(m[keep]))  # gamma scales with the currency unit; p and q do not
    fun, total = _gamma_gamma_objective(n[keep], m[keep] / scale)
    logp, value = _minimise(fun, ((1.0, 1.0, 1.0), (2.0, 3.0, 2.0)))
    _warn_at_bound("Gamma-Gamma", ("p", "q", "gamma"), logp)
    p, q, g = np.exp(logp)
    if q <= 1:
        warnings.warn(f"Gamma-Gamma: q = {q:.3g} <= 1, so the population mean spend is infinite",
                      RuntimeWarning, stacklevel=2)
    # rescaling spend by 1/scale multiplies each customer's density by scale
    loglik = -value * total - np.log(scale) * total
    return GammaGammaParams(float(p), float(q), float(g * scale), float(loglik), int(keep.sum()))


def gamma_gamma_expected_spend(gg: GammaGammaParams, n, m) -> np.ndarray:
    """E[spend per transaction | n transactions averaging m] = (p·gamma + p·n·m)/(p·n + q − 1),
    a weighted mean of the population mean and the customer's own mean; the population
    mean p·gamma/(q − 1) when n = 0 (m is then ignored)."""
    n = np.asarray(n, dtype=float)
    m = np.where(n > 0, np.nan_to_num(np.asarray(m, dtype=float)), 0.0)
    return gg.p * (gg.gamma + n * m) / (gg.p * n + gg.q - 1)
