"""Method-specific behaviour: rule tables, learned state, clear errors, recovery on
synthetic data with ground truth, and the BG/NBD reproduction of FHL (2005)."""

from __future__ import annotations

import pandas as pd
import pytest

from segment.data.cdnow import load_cdnow_sample
from segment.data.synthetic import generate_b2b
from segment.features import build_features
from segment.methods.clv_models import fit_bgnbd, fit_gamma_gamma
from segment.methods.pareto import ParetoABC
from segment.methods.pyramid import CustomerPyramid
from segment.methods.registry import make_method
from segment.methods.rfm import DEFAULT_SEGMENT_RULES, RFMGrading
from segment.methods.weighted import WeightedScore
from tests.helpers.truth import ground_truth


def test_rfm_reports_how_many_scores_each_dimension_got(features):
    one_purchase = features.assign(frequency=1)
    m = RFMGrading().fit(one_purchase)
    assert m.n_distinct_scores_["f"] == 1
    assert m.n_distinct_scores_["m"] == 5
    s = m.scores(one_purchase)
    assert set(s["segment"]) <= {r["segment"] for r in DEFAULT_SEGMENT_RULES}


def test_rfm_equal_values_equal_scores(features):
    m = RFMGrading().fit(features)
    s = m.scores(features)
    for dim, col in (("r", "recency_days"), ("f", "frequency"), ("m", "monetary_total")):
        assert (s.groupby(features[col])[dim].nunique() == 1).all()


def test_pareto_loss_group_and_8020_figure(features):
    m = ParetoABC(basis="profit").fit(features)
    out = m.assign(features)
    losses = features.index[features["profit"] < 0]
    assert len(losses) == m.n_loss_ > 0
    assert (out.loc[losses, "tier"] == "loss").all() and (out["tier"] == "loss").sum() == len(losses)
    assert 0 < m.top20_share_ <= 1


def test_pyramid_key_customers(features):
    m = CustomerPyramid().fit(features)
    out = m.assign(features)
    key = out["tier"].isin(["important", "secondary"])
    assert key.mean() == m.key_customer_share_
    assert 0.15 <= m.key_customer_share_ <= 0.25


def test_weight_on_missing_indicator_is_a_clear_error(features):
    with pytest.raises(KeyError, match="mean_days_late"):
        WeightedScore(weights={"mean_days_late": 1.0}).fit(features.drop(columns="mean_days_late"))
    with pytest.raises(ValueError, match="non-negative"):
        WeightedScore(weights={"profit": -1.0}).fit(features)


def test_cluster_tiers_are_ordered_by_mean_value_for_any_seed(features):
    for seed in (0, 1, 2):
        m = make_method("kmeans", n_clusters=4, random_state=seed).fit(features)
        assert m.profiles_["profit"].is_monotonic_decreasing


def test_kaism_quadrants(features):
    m = make_method("kaism").fit(features)
    axes = m.axis_values(features)
    out = m.assign(features)
    key = out["tier"] == "key"
    assert (axes.loc[key, "attractiveness"] >= m.split_["attractiveness"]).all()
    assert (axes.loc[key, "position"] >= m.split_["position"]).all()


def test_profit_grading_recovers_true_top_accounts_better_than_revenue():
    d = generate_b2b(6000, start="2021-01-01", end="2023-12-31", random_state=21)
    f = build_features(d.transactions, as_of="2022-12-31", customers=d.customers)
    truth = ground_truth(d, as_of="2022-12-31", horizon_days=365).loc[f.index, "future_profit"]
    top = set(truth.nlargest(len(f) // 5).index)
    recall = {}
    for basis in ("revenue", "profit"):
        a = CustomerPyramid(value_column={"revenue": "monetary_total", "profit": "profit"}[basis],
                            cut_shares=(0.1, 0.2, 0.5)).fit_assign(f)
        picked = set(a.index[a["tier"].cat.codes < 2])
        recall[basis] = len(picked & top) / len(top)
    assert recall["profit"] > recall["revenue"] + 0.05


def cdnow_calibration():
    tx = load_cdnow_sample()
    cal = tx[tx["order_ts"] <= "1997-09-30"]
    days = cal.groupby(["customer_id", "order_ts"])["amount"].sum().reset_index()
    d = days.groupby("customer_id")["order_ts"].agg(["min", "max", "count"])
    end = pd.Timestamp("1997-09-30")
    x = d["count"] - 1
    first = days.groupby("customer_id")["order_ts"].transform("min")
    repeat_spend = days[days["order_ts"] > first].groupby("customer_id")["amount"].mean().reindex(d.index)
    return x, (d["max"] - d["min"]).dt.days / 7, (end - d["min"]).dt.days / 7, repeat_spend.fillna(0)


def test_bgnbd_reproduces_fader_hardie_lee_2005():
    x, t_x, T, _ = cdnow_calibration()
    assert len(x) == 2357
    p = fit_bgnbd(x, t_x, T)
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (0.243, 4.414, 0.793, 2.426)


def test_gamma_gamma_reproduces_published_cdnow_estimates():
    x, _, _, m = cdnow_calibration()
    gg = fit_gamma_gamma(x, m)
    assert (round(gg.p, 2), round(gg.q, 2), round(gg.gamma, 2)) == (6.25, 3.74, 15.44)


def test_bgnbd_grading_on_the_feature_table_matches_the_direct_fit():
    tx = load_cdnow_sample()
    f = build_features(tx, as_of="1997-09-30", gross_margin=0.25)
    m = make_method("bgnbd").fit(f)
    assert round(m.bgnbd_.r, 3) == 0.243 and round(m.bgnbd_.b, 3) == 2.426
    ev = m.expected_value(f)
    assert (ev["prob_alive"].between(0, 1)).all() and (ev["expected_value"] >= 0).all()


def test_supervised_needs_earlier_origin_training(features):
    with pytest.raises(RuntimeError, match="earlier origin"):
        make_method("supervised").fit(features)
