"""segment.reporting.leadership: the page reads validation's recommendation (decided once) and
compares it with the grading whose class says it is the usual practice."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from segment.methods import registry
from segment.reporting import leadership, views
from segment.validation.result import CEILING, ValidationResult, recommend

LABELS = ["A", "B", "C"]


def board(captures: dict[str, float]) -> pd.DataFrame:
    """A leaderboard with ``captures`` (method -> top-20 % capture), intervals of +-0.05, nothing
    clearly worse, and the two reference rows."""
    rows = [{"method": m, "reference": False, "top20_profit_capture": c, "top20_capture_ci_low": c - 0.05,
             "top20_capture_ci_high": c + 0.05, "churn_auc": 0.7, "clearly_worse_than_best": False}
            for m, c in sorted(captures.items(), key=lambda kv: -kv[1])]
    rows += [{"method": "random (reference)", "reference": True, "top20_profit_capture": 0.2},
             {"method": CEILING, "reference": True, "top20_profit_capture": 0.9}]
    return pd.DataFrame(rows)


def fake_result(captures: dict[str, float], labels: list[str] = LABELS) -> SimpleNamespace:
    """What the leadership page reads of a run: 30 customers graded in three tiers (``labels``,
    A/B/C) by every method."""
    ids = pd.Index([f"c{i:02d}" for i in range(30)], name="customer_id")
    tiers = pd.Categorical(np.repeat(labels, 10), categories=labels, ordered=True)
    lb = board(captures)
    per_tier = pd.DataFrame([{"method": m, "tier": t, "customers": 10, "churn_rate": 0.1 * (i + 1),
                              "profit_per_customer": 10.0 - i} for m in captures for i, t in enumerate(labels)])
    empty = pd.DataFrame()
    validation = ValidationResult(
        per_tier=per_tier, leaderboard=lb, metric_intervals=empty, model_effects=empty, model_fit=empty,
        agreement=empty, disagreements=empty, warning_check=empty,
        early_warning=pd.DataFrame({"method": [next(iter(captures))] * 2}), curves=empty, recommended=recommend(lb))
    features = pd.DataFrame({"monetary_total": np.arange(30.0), "profit": np.arange(30.0) - 5}, index=ids)
    return SimpleNamespace(
        config=SimpleNamespace(as_of="2024-06-30", horizon_days=90), origin="2024-03-31",
        loaded=SimpleNamespace(source={"dataset": "synthetic", "real_data": False}, rows_read=100),
        assignments={m: pd.DataFrame({"tier": tiers}, index=ids) for m in captures}, features=features,
        validation=validation, not_graded={})


def test_the_recommendation_is_validations():
    r = fake_result({"rfm": 0.6, "abc_revenue": 0.4, "abc_profit": 0.5})
    assert leadership.recommendation(r) is r.validation.recommended
    assert r.validation.recommended.method == "rfm"


def test_no_recommendation_is_a_clear_error():
    r = fake_result({"rfm": 0.6})
    r.validation.recommended = None
    with pytest.raises(ValueError, match="no method was graded"):
        leadership.recommendation(r)


def test_the_usual_practice_comes_from_the_class():
    """ABC by revenue and ABC by profit are one class, equally simple: the class's
    ``usual_practice_params`` make abc_revenue, not abc_profit, the usual grading."""
    assert registry.describe("abc_revenue").usual_practice == "revenue-based ABC grading"
    assert [n for n in registry.METHODS if registry.describe(n).usual_practice] == ["abc_revenue"]
    r = fake_result({"rfm": 0.6, "abc_revenue": 0.4, "abc_profit": 0.5})
    assert leadership.usual_practice(r) == ("abc_revenue", 0.4)
    assert leadership.usual_practice(fake_result({"rfm": 0.6, "abc_profit": 0.5})) is None


def test_headline_compares_with_the_usual_practice_unless_it_wins():
    text = leadership.headline(fake_result({"rfm": 0.6, "abc_revenue": 0.4}))
    assert "**Recommendation: grade customers with the RFM score (recency, frequency, spend) (`rfm`).**" in text
    assert "made **60 %** of all profit in that time (95 % interval 55 % to 65 %)" in text
    assert "even perfect hindsight only 90 %. The usual revenue-based ABC grading made 40 %." in text
    assert "**Equally good within the interval** (choose among these on simplicity): ABC by revenue" in text
    won = leadership.headline(fake_result({"abc_revenue": 0.6, "rfm": 0.4}))
    assert "The usual" not in won and "grade customers with the ABC by revenue (Pareto 80/20)" in won


def test_key_numbers_name_the_usual_practice():
    lines = views.key_numbers(fake_result({"rfm": 0.6, "abc_revenue": 0.4})).splitlines()
    assert lines[3:] == ["leaderboard winner: rfm", "winner's top-20 % profit capture: 0.600",
                         "winner's top-tier share of customers: 0.333", "abc_revenue's top-20 % profit capture: 0.400"]
    assert "profit capture" not in views.key_numbers(fake_result({"rfm": 0.6})).splitlines()[-1]


def test_tier_summary_and_early_warning_read_the_named_tables():
    r = fake_result({"rfm": 0.6, "abc_revenue": 0.4})
    table = leadership.tier_summary(r, "rfm", min_tier_size=5)
    assert list(table["stopped buying (test window)"]) == ["10 %", "20 %", "30 %"]
    assert leadership.early_warning_count(r, "rfm").startswith("**2** of the 10 customers in the top tier")
    assert leadership.what_changed(r, "rfm") == "No earlier quarter in this run to compare with."


def test_labels_file_names_and_reasons_are_text_on_the_page():
    """Tier labels, the data file's name and a method's reason carry payloads: the page shows
    them as text, and none becomes an element or attribute (issue 16, item 1)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune as to_html

    from tests.reporting.test_hostile_input import IMG, LINK, QUOTE, SCRIPT, markup_from_payloads, visible_text

    labels = [SCRIPT, IMG, LINK]
    r = fake_result({"rfm": 0.6, "abc_revenue": 0.4}, labels=labels)
    r.loaded = SimpleNamespace(source={"file": f"x{IMG}{QUOTE}.csv", "real_data": True}, data_end="2024-12-31")
    r.notes = []
    headline = to_html(leadership.headline(r, min_tier_size=5))
    assumptions = to_html(views.bullets(leadership.assumptions(r)))
    policy = leadership.policy_table(labels).to_html()
    reason = to_html(leadership.not_graded_sentence({"rfm": f"RFM: {IMG} {LINK}"}))
    for page in (headline, assumptions, policy, reason):
        assert markup_from_payloads(page) == []
    assert f"the top tier {SCRIPT} holds 10 of 30" in visible_text(headline)
    assert f"of tier {SCRIPT} stopped buying, against 30 % of tier {LINK}." in visible_text(headline)
    assert f"Data: x{IMG}{QUOTE}.csv (real data)." in visible_text(assumptions)
    assert all(label in visible_text(policy) for label in labels)
    assert f"because {IMG} {LINK}." in visible_text(reason)
