"""BG/NBD + Gamma-Gamma: the FHL (2005) reproduction on the CDNOW sample, hand-checked
formulas, parameter recovery from simulated data, numerics at extreme values, and the
grading method on the feature table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special

from segment.data.cdnow import load_cdnow_sample
from segment.features import build_features
from segment.methods.bgnbd import BGNBDGrading
from segment.methods.clv_models import (
    BGNBDParams,
    GammaGammaParams,
    _bgnbd_objective,
    _expected_purchases_if_alive,
    _expected_purchases_if_alive_quadrature,
    bgnbd_expected_purchases,
    bgnbd_prob_alive,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)
from tests.helpers.clv_oracles import bgnbd_expected_purchases_new, bgnbd_loglik, gamma_gamma_loglik

CAL_END = pd.Timestamp("1997-09-30")  # FHL's calibration: 39 weeks, 1997-01-01 .. 1997-09-30
FHL = BGNBDParams(0.243, 4.414, 0.793, 2.426, loglik=np.nan, n_customers=2357)


@pytest.fixture(scope="module")
def cdnow_calibration() -> pd.DataFrame:
    """Per customer of the 2,357 sample: x, t_x, T in weeks, mean repeat and all-order spend.

    FHL's conventions, which reproduce their estimates exactly: purchases on the same
    day are one purchase (the file has no order id; 146 same-day rows merge); x = purchase
    days − 1; t_x = (last − first purchase day) / 7; T = (1997-09-30 − first purchase day) / 7.
    """
    tx = load_cdnow_sample()
    cal = tx[tx["order_ts"] <= CAL_END]
    days = cal.groupby(["customer_id", "order_ts"], as_index=False)["amount"].sum()
    g = days.groupby("customer_id")["order_ts"]
    first = days.groupby("customer_id")["order_ts"].transform("min")
    repeat = days[days["order_ts"] > first].groupby("customer_id")["amount"]
    out = pd.DataFrame({
        "x": g.size() - 1,
        "t_x": (g.max() - g.min()).dt.days / 7,
        "T": (CAL_END - g.min()).dt.days / 7,
        "repeat_spend": repeat.mean(),
        "all_spend": days.groupby("customer_id")["amount"].mean(),
    })
    out["repeat_spend"] = out["repeat_spend"].fillna(0.0)
    return out


# ------------------------------------------------------------ FHL reproduction
def test_cdnow_sample_matches_the_papers_data(cdnow_calibration):
    c = cdnow_calibration
    assert len(c) == 2357
    assert c["x"].sum() == 2457  # repeat purchases in the calibration period
    assert (c["T"] >= 39 - 12).all() and c["T"].max() <= 39  # all first purchases in the first 12 weeks


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_calibration):
    c = cdnow_calibration
    p = fit_bgnbd(c["x"], c["t_x"], c["T"])
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert round(p.loglik, 1) == -9582.4  # FHL report LL = -9582.4
    assert p.n_customers == 2357


def test_the_conventions_matter(cdnow_calibration):
    """Counting T to the day after the cut does not reproduce FHL (same-day merging is
    checked by the repeat-purchase count above)."""
    c = cdnow_calibration
    p = fit_bgnbd(c["x"], c["t_x"], c["T"] + 1 / 7)
    assert (round(p.r, 3), round(p.alpha, 3)) != (0.243, 4.414)


def test_grading_on_the_feature_table_reproduces_fhl_and_uses_all_order_spend():
    f = build_features(load_cdnow_sample(), as_of="1997-09-30", gross_margin=0.25)
    m = BGNBDGrading().fit(f)
    p = m.bgnbd_
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    gg = fit_gamma_gamma(f["frequency"], f["avg_order_value"])
    assert m.gamma_gamma_ == gg
    assert m.gamma_gamma_.n_customers == (f["avg_order_value"] > 0).sum()


def test_gamma_gamma_reproduces_published_cdnow_estimates(cdnow_calibration):
    """FHL (2005b) / Fader & Hardie (2013): p = 6.25, q = 3.74, gamma = 15.44, fitted on
    the 946 repeat buyers' mean *repeat* spend (published to two decimals)."""
    c = cdnow_calibration
    gg = fit_gamma_gamma(c["x"], c["repeat_spend"])
    assert gg.n_customers == 946
    assert (round(gg.p, 2), round(gg.q, 2), round(gg.gamma, 2)) == (6.25, 3.74, 15.44)
    assert gg.population_mean_spend == pytest.approx(gg.p * gg.gamma / (gg.q - 1))


def test_gamma_gamma_on_all_order_means(cdnow_calibration):
    """The feature table's avg_order_value averages all orders (n = x + 1): the fit is
    sane and its population mean close to FHL's repeat-only fit."""
    c = cdnow_calibration
    gg = fit_gamma_gamma(c["x"] + 1, c["all_spend"])
    assert gg.n_customers == (c["all_spend"] > 0).sum() == 2349  # 8 customers only ever spent $0
    assert 1 < gg.p < 20 and gg.q > 1
    assert gg.population_mean_spend == pytest.approx(35.2, rel=0.1)  # FHL's: 6.25·15.44/2.74 = 35.2


def test_gamma_gamma_fit_does_not_stall_on_the_ridge(cdnow_calibration):
    """From (1, 1, 1) a local search can slide along p -> inf, gamma -> 0 (a scipy
    Nelder-Mead from there ends at p ~ 1e10 with a log-likelihood ~4.7 lower); the
    multi-start fit finds the maximum."""
    c = cdnow_calibration
    gg = fit_gamma_gamma(c["x"], c["all_spend"])
    assert gg.p < 100
    ridge = gamma_gamma_loglik((1.4e10, 3.37, 6.0e-9), c["x"][c["x"] > 0], c["all_spend"][c["x"] > 0]).sum()
    assert gg.loglik > ridge + 4


# ------------------------------------------------------------ hand-checked formulas
def test_loglik_hand_values():
    r, alpha, a, b = 0.5, 2.0, 0.8, 3.0
    # x = 0: no purchase after the first, alive throughout -> (alpha/(alpha+T))^r
    assert bgnbd_loglik((r, alpha, a, b), [0], [0], [10.0])[0] == pytest.approx(r * np.log(alpha / 12.0))
    # x = 1: r·alpha^r·[b/(a+b)·(alpha+T)^-(r+1) + a/(a+b)·(alpha+t_x)^-(r+1)]
    T, t_x = 10.0, 4.0
    hand = r * alpha**r * (b / (a + b) * (alpha + T) ** -(r + 1) + a / (a + b) * (alpha + t_x) ** -(r + 1))
    assert bgnbd_loglik((r, alpha, a, b), [1], [t_x], [T])[0] == pytest.approx(np.log(hand))


def test_grouped_objective_equals_the_plain_likelihood_and_its_gradient(cdnow_calibration):
    c = cdnow_calibration
    fun, n = _bgnbd_objective(c["x"].to_numpy(float), c["t_x"].to_numpy(float), c["T"].to_numpy(float))
    logp = np.log([0.3, 3.0, 0.9, 2.0])
    value, grad = fun(logp)
    assert value * n == pytest.approx(-bgnbd_loglik(np.exp(logp), c["x"], c["t_x"], c["T"]).sum(), rel=1e-12)
    eps = 1e-6
    numeric = [(fun(logp + eps * e)[0] - fun(logp - eps * e)[0]) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-9)


def test_prob_alive_and_expected_purchases_hand_values():
    p = FHL
    assert bgnbd_prob_alive(p, [0], [0], [30.0])[0] == 1.0  # no repeat purchase: cannot have dropped out
    x, t_x, T = 1, 10.0, 30.0
    hand = 1 / (1 + p.a / p.b * ((p.alpha + T) / (p.alpha + t_x)) ** (p.r + x))
    assert bgnbd_prob_alive(p, [x], [t_x], [T])[0] == pytest.approx(hand)
    # the worked example (x = 2, t_x = 30.43, T = 38.86, next 39 weeks) of the FHL papers
    assert bgnbd_expected_purchases(p, 39, [2], [30.43], [38.86])[0] == pytest.approx(1.226, abs=5e-4)
    # a customer with no history is a new customer: eq. (10) at x = t_x = T = 0 is eq. (9)
    assert bgnbd_expected_purchases(p, 39, [0], [0], [0])[0] == pytest.approx(bgnbd_expected_purchases_new(p, 39))
    assert bgnbd_expected_purchases(p, 0, [3], [5.0], [9.0])[0] == 0.0


def test_expected_purchases_grow_with_recency_and_horizon():
    p = FHL
    recent = bgnbd_expected_purchases(p, 52, [4, 4, 4], [10.0, 20.0, 30.0], [30.0, 30.0, 30.0])
    assert np.all(np.diff(recent) > 0)  # the more recent the last purchase, the more likely alive
    horizon = [bgnbd_expected_purchases(p, t, [4], [25.0], [30.0])[0] for t in (13, 26, 52)]
    assert np.all(np.diff(horizon) > 0)


def test_quadrature_form_agrees_with_the_closed_form():
    cases = [  # (r, alpha, a, b, x, T, t): FHL values, large counts, a < 1, a near bounds
        (0.243, 4.414, 0.793, 2.426, 2, 38.86, 39), (0.243, 4.414, 0.793, 2.426, 0, 0, 400),
        (5, 100, 1.5, 10, 1000, 50, 52), (1.2, 5.4, 0.5, 11.27, 494, 104, 52), (0.05, 0.45, 0.3, 0.68, 30, 20, 52),
    ]
    for r, alpha, a, b, x, T, t in cases:
        p = BGNBDParams(r, alpha, a, b, np.nan, 0)
        closed = _expected_purchases_if_alive(p, t, np.array([float(x)]), np.array([float(T)]))
        quad = _expected_purchases_if_alive_quadrature(p, t, np.array([float(x)]), np.array([float(T)]))
        assert quad == pytest.approx(closed, rel=1e-8)


def test_expected_purchases_stay_finite_at_extreme_parameters():
    """Where the hypergeometric series fails (a = 1 divides by zero; huge r) the quadrature
    form gives the value."""
    x, t_x, T = np.array([0.0, 3, 400]), np.array([0.0, 2, 99]), np.array([5.0, 10, 100])
    for params in [(0.5, 5.0, 1.0, 2.0), (22026.0, 22026.0, 0.5, 2.0), (2.0, 0.01, 0.3, 0.6)]:
        n = bgnbd_expected_purchases(BGNBDParams(*params, np.nan, 0), 1000, x, t_x, T)
        assert np.all(np.isfinite(n)) and np.all(n >= 0)


def test_gamma_gamma_hand_values():
    gg = GammaGammaParams(p=6.25, q=3.74, gamma=15.44, loglik=np.nan, n_customers=0)
    # weighted mean of the population mean p·gamma/(q−1) and the customer's own mean
    n, m = 4.0, 50.0
    w = gg.p * n / (gg.p * n + gg.q - 1)
    hand = (1 - w) * gg.p * gg.gamma / (gg.q - 1) + w * m
    assert gamma_gamma_expected_spend(gg, [n], [m])[0] == pytest.approx(hand)
    assert gamma_gamma_expected_spend(gg, [0], [np.nan])[0] == pytest.approx(gg.population_mean_spend)
    # n = 1: the density of one Gamma(p, nu) spend with nu ~ Gamma(q, gamma), numerically
    nu = np.linspace(1e-4, 3, 300_001)
    prior = np.exp(gg.q * np.log(gg.gamma) + (gg.q - 1) * np.log(nu) - gg.gamma * nu - special.gammaln(gg.q))
    dens = np.exp(gg.p * np.log(nu) + (gg.p - 1) * np.log(m) - nu * m - special.gammaln(gg.p))
    numeric = np.trapezoid(prior * dens, nu)
    assert np.exp(gamma_gamma_loglik((gg.p, gg.q, gg.gamma), [1.0], [m])[0]) == pytest.approx(numeric, rel=1e-6)


# ------------------------------------------------------------ recovery from simulated data
def simulate_bgnbd(n, r, alpha, a, b, T, rng):
    """FHL's story: Poisson purchases at rate lambda ~ Gamma(r, alpha); after each purchase
    the customer drops out with probability p ~ Beta(a, b)."""
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = rng.exponential(1 / lam[i])
        while t <= T[i]:
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break
            t += rng.exponential(1 / lam[i])
    return x, t_x


def test_bgnbd_recovers_simulated_parameters():
    rng = np.random.default_rng(2005)
    T = rng.uniform(26, 78, 8000)
    truth = (0.5, 5.0, 0.8, 2.5)
    x, t_x = simulate_bgnbd(8000, *truth, T, rng)
    p = fit_bgnbd(x, t_x, T)
    np.testing.assert_allclose([p.r, p.alpha, p.a, p.b], truth, rtol=0.25)
    # the time unit only rescales alpha: the same data in days
    d = fit_bgnbd(x, t_x * 7, T * 7)
    np.testing.assert_allclose([d.r, d.alpha / 7, d.a, d.b], [p.r, p.alpha, p.a, p.b], rtol=1e-5)


def test_gamma_gamma_recovers_simulated_parameters_and_ignores_the_currency():
    rng = np.random.default_rng(7)
    p_true, q_true, g_true = 6.0, 4.0, 20.0
    nu = rng.gamma(q_true, 1 / g_true, 20_000)
    n = rng.integers(1, 8, 20_000).astype(float)
    m = rng.gamma(p_true * n, 1 / (nu * n))  # the mean of n Gamma(p, nu) spends
    gg = fit_gamma_gamma(n, m)
    np.testing.assert_allclose([gg.p, gg.q, gg.gamma], [p_true, q_true, g_true], rtol=0.2)
    cents = fit_gamma_gamma(n, m * 100)
    np.testing.assert_allclose([cents.p, cents.q, cents.gamma / 100], [gg.p, gg.q, gg.gamma], rtol=1e-5)


# ------------------------------------------------------------ the grading method
@pytest.fixture(scope="module")
def cdnow_features():
    return build_features(load_cdnow_sample(), as_of="1997-09-30", gross_margin=0.25)


def test_tiers_by_expected_value_shares(cdnow_features):
    f = cdnow_features
    m = BGNBDGrading(horizon_days=273).fit(f)
    out = m.assign(f)
    ev = m.expected_value(f)
    assert (ev["expected_value"] == ev["expected_purchases"] * ev["expected_spend"]).all()
    assert ev["prob_alive"].between(0, 1).all() and (ev["expected_value"] >= 0).all()
    np.testing.assert_array_equal(out["score"], ev["expected_value"])
    share = out["tier"].value_counts(normalize=True, sort=False)
    assert share["A"] == pytest.approx(0.2, abs=0.01) and share["B"] == pytest.approx(0.3, abs=0.01)
    assert out.groupby("tier", observed=True)["score"].min().is_monotonic_decreasing


def test_horizon_and_time_unit(cdnow_features):
    f = cdnow_features
    weeks = BGNBDGrading(horizon_days=182).fit(f)
    days = BGNBDGrading(horizon_days=182, time_unit_days=1.0).fit(f)
    assert days.bgnbd_.alpha == pytest.approx(weeks.bgnbd_.alpha * 7, rel=1e-5)
    np.testing.assert_allclose(days.expected_value(f)["expected_value"], weeks.expected_value(f)["expected_value"],
                               rtol=1e-4)
    year = BGNBDGrading(horizon_days=365).fit(f).expected_value(f)["expected_purchases"]
    assert (year >= weeks.expected_value(f)["expected_purchases"]).all()


def test_refuses_a_windowed_feature_table(cdnow_features):
    windowed = cdnow_features.copy()
    windowed.attrs = {**cdnow_features.attrs, "lookback_months": 6}
    with pytest.raises(ValueError, match="lookback_months=None"):
        BGNBDGrading().fit(windowed)


def test_degenerate_input_errors_and_warnings(cdnow_features):
    f = cdnow_features
    with pytest.raises(ValueError, match="at least three customers"), pytest.warns(RuntimeWarning, match="bound"):
        BGNBDGrading().fit(f[f["frequency"] > 1].iloc[:1])  # BG/NBD alone is not identified by one customer
    one_timers = f[f["frequency"] == 1]
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        BGNBDGrading().fit(one_timers)
    same = f.iloc[:30].copy()
    template = f.loc[f["frequency"].idxmax()]
    for col in ["frequency", "first_order_date", "last_order_date", "tenure_days", "avg_order_value"]:
        same[col] = template[col]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = BGNBDGrading().fit_assign(same)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any(m.startswith("BG/NBD") and "bound" in m for m in messages)
    assert any(m.startswith("Gamma-Gamma") and "bound" in m for m in messages)
    assert out["tier"].nunique() == 1 and out["score"].nunique() == 1 and np.isfinite(out["score"]).all()


def test_no_warning_on_real_data(cdnow_features):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BGNBDGrading().fit(cdnow_features)
