"""segment.reporting.leadership: the page reads validation's recommendation (decided once) and
compares it with the grading whose class says it is the usual practice."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from segment.methods import registry
from segment.reporting import leadership, leadership_tables, tables, views
from segment.validation.result import CEILING, ValidationResult, recommend

LABELS = ["A", "B", "C"]


def board(captures: dict[str, float], half_width: float = 0.03) -> pd.DataFrame:
    """A leaderboard with ``captures`` (method -> top-20 % capture), intervals of +-0.05, paired
    differences to the best with intervals of +-``half_width`` (NaN: none), and the two reference rows."""
    best = max(captures.values())
    rows = [{"method": m, "reference": False, "top20_profit_capture": c, "top20_capture_ci_low": c - 0.05,
             "top20_capture_ci_high": c + 0.05, "churn_auc": 0.7, "diff_vs_best": c - best,
             "diff_vs_best_ci_low": c - best - (half_width if c < best else 0),
             "diff_vs_best_ci_high": c - best + (half_width if c < best else 0),
             "clearly_worse_than_best": bool(c - best + half_width < 0)}
            for m, c in sorted(captures.items(), key=lambda kv: -kv[1])]
    rows += [{"method": "random (reference)", "reference": True, "top20_profit_capture": 0.2},
             {"method": CEILING, "reference": True, "top20_profit_capture": 0.9}]
    return pd.DataFrame(rows)


def check(method: str, flagged: tuple[int, int], not_flagged: tuple[int, int]) -> pd.DataFrame:
    """A ``warning_check`` table of one method from (customers, churned) per group."""
    from segment.validation.metrics import wilson_interval

    rows = []
    for group, (n, x) in (("flagged", flagged), ("not flagged", not_flagged)):
        lo, hi = wilson_interval(np.array([x]), np.array([n]))
        rows.append({"method": method, "group": group, "customers": n, "churn_rate_after": x / n,
                     "churn_ci_low": lo[0], "churn_ci_high": hi[0], "profit_per_customer_after": 1.0})
    return pd.DataFrame(rows)


def fake_result(captures: dict[str, float], labels: list[str] = LABELS, sizes: tuple[int, ...] = (10, 10, 10),
                half_width: float = 0.03, currency: str | None = "USD", provisional: bool = False) -> SimpleNamespace:
    """What the leadership page reads of a run: 30 customers graded in three tiers (``labels``,
    A/B/C, ``sizes`` customers each) by every method; amounts in ``currency``; every grade
    ``provisional`` or none."""
    ids = pd.Index([f"c{i:02d}" for i in range(sum(sizes))], name="customer_id")
    tiers = pd.Categorical(np.repeat(labels, sizes), categories=labels, ordered=True)
    lb = board(captures, half_width)
    per_tier = pd.DataFrame([{"method": m, "tier": t, "customers": sizes[i], "churn_rate": 0.1 * (i + 1),
                              "churn_ci_low": 0.1 * i, "churn_ci_high": 0.1 * (i + 2),
                              "profit_per_customer": 10.0 - i, "profit_per_customer_ci_low": 9.0 - i,
                              "profit_per_customer_ci_high": 11.0 - i}
                             for m in captures for i, t in enumerate(labels)])
    empty = pd.DataFrame()
    validation = ValidationResult(
        per_tier=per_tier, leaderboard=lb, metric_intervals=empty, model_effects=empty, model_fit=empty,
        agreement=empty, disagreements=empty, warning_check=check(next(iter(captures)), (50, 30), (50, 10)),
        early_warning=pd.DataFrame({"method": [next(iter(captures))] * 2}), curves=empty, recommended=recommend(lb))
    features = pd.DataFrame({"monetary_total": np.arange(len(ids), dtype=float),
                             "profit": np.arange(len(ids), dtype=float) - 5}, index=ids)
    return SimpleNamespace(
        config=SimpleNamespace(as_of="2024-06-30", horizon_days=90, currency=currency, decision={"follow_up": 300},
                               profit={"gross_margin": 0.25, "cost_per_order": 2.0}, provisional_days=182),
        origin="2024-03-31",
        loaded=SimpleNamespace(source={"dataset": "synthetic", "real_data": False}, rows_read=100),
        assignments={m: pd.DataFrame({"tier": tiers, "provisional": provisional}, index=ids) for m in captures},
        features=features,
        validation=validation, not_graded={}, fitted={})


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
    assert "**Recommendation: grade customers with the RFM score (recency, frequency, spend).**" in text
    assert "made **60 %** of all profit (95 % interval 55 % to 65 %)" in text  # 6 customers: no amount
    assert "even perfect hindsight only 90 %. The usual revenue-based ABC grading made 40 %." in text
    assert ("**Clearly worse** (the gap to the highest-scoring grading is beyond its interval and more than "
            "2 percentage points): ABC by revenue") in text
    assert "every other grading is clearly worse (by more than 2 percentage points)." in text
    won = leadership.headline(fake_result({"abc_revenue": 0.6, "rfm": 0.4}))
    assert "The usual" not in won and "grade customers with the ABC by revenue (Pareto 80/20)" in won


def test_key_numbers_name_the_usual_practice():
    lines = views.key_numbers(fake_result({"rfm": 0.6, "abc_revenue": 0.4})).splitlines()
    assert lines[3:] == ["leaderboard winner: rfm", "winner's top-20 % profit capture: 0.600",
                         "winner's top-tier share of customers: 0.333",
                         "recommended (the simplest not clearly worse): rfm", "abc_revenue's top-20 % profit capture: 0.400"]
    assert "profit capture" not in views.key_numbers(fake_result({"rfm": 0.6})).splitlines()[-1]


def test_tier_tables_and_early_warning_read_the_named_tables():
    r = fake_result({"rfm": 0.6, "abc_revenue": 0.4})
    table = leadership_tables.tiers_test(r, "rfm", min_tier_size=5)
    assert list(table["stopped buying in the next 90 days"]) == ["10 % (0 % to 20 %)", "20 % (10 % to 30 %)",
                                                                 "30 % (20 % to 40 %)"]
    assert leadership.early_warning_text(r, "rfm", min_tier_size=2).startswith("**2** of the 10 customers in today's top tier")


def test_what_changed_is_read_from_the_ledger_not_recomputed():
    """The page no longer derives "last quarter" from this run's data (issue 17): without a run
    folder it says there is no ledger, and ``what_changed`` is gone."""
    from segment.reporting import governance_views

    assert not hasattr(leadership, "what_changed")
    assert governance_views.since_last_run(governance_views.read_ledger(""), "USD") == governance_views.NO_RUN_DIR


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
    assumptions = to_html(tables.bullets(leadership.assumptions(r)))
    policy = leadership_tables.policy_table(labels).to_html()
    reason = to_html(leadership.not_graded_sentence({"rfm": f"RFM: {IMG} {LINK}"}))
    for page in (headline, assumptions, policy, reason):
        assert markup_from_payloads(page) == []
    assert f"the top tier {SCRIPT} holds 10 of 30" in visible_text(headline)
    for table, caption in ((leadership_tables.tiers_today(r, "rfm", 5), "today"), (leadership_tables.tiers_test(r, "rfm", 5), "test")):
        page = tables.styled(table.reset_index(), caption, caption=f"{caption} {IMG}").to_html()
        assert markup_from_payloads(page) == [] and SCRIPT in visible_text(page) and IMG in visible_text(page)
    assert f"of tier {SCRIPT} stopped buying, against 30 % of tier {LINK}." in visible_text(headline)
    assert f"Data: x{IMG}{QUOTE}.csv (real data)." in visible_text(assumptions)
    assert all(label in visible_text(policy) for label in labels)
    assert f"because {IMG} {LINK}." in visible_text(reason)


def test_clearly_worse_needs_the_interval_and_the_margin():
    """Clearly worse = the paired interval excludes zero AND the gap is beyond the margin; the
    others are about as good, and the simplest of those is recommended (issue 16, item 5), by
    validation (``recommend``); the page says why."""
    tight = board({"rfm": 0.60, "abc_revenue": 0.59, "kmeans": 0.50}, half_width=0.005)
    r = recommend(tight, practical_margin=0.02)
    assert r.best == "rfm" and r.method == "abc_revenue"  # interval excludes 0, but the gap is 1 point
    assert r.not_clearly_worse == ("rfm",) and r.clearly_worse == ("kmeans",) and r.margin == 0.02
    assert (r.capture, r.ci_low, r.ci_high) == (0.59, pytest.approx(0.54), pytest.approx(0.64))
    why = leadership.why_recommended(r)
    assert "is simpler to run and to explain" in why and "RFM score" in why
    assert recommend(tight, practical_margin=0.005).method == "rfm"
    wide = board({"rfm": 0.60, "abc_revenue": 0.50}, half_width=0.2)  # 10 points, interval crosses 0
    assert recommend(wide).method == "abc_revenue"
    no_interval = board({"rfm": 0.60, "abc_revenue": 0.50}, half_width=np.nan)
    assert recommend(no_interval).method == "rfm"  # without intervals the gap alone decides
    assert recommend(board({"rfm": 0.60, "abc_revenue": 0.59}, half_width=np.nan)).method == "abc_revenue"
    page = leadership.headline(fake_result({"rfm": 0.60, "abc_revenue": 0.59, "kmeans": 0.50}, half_width=0.005),
                               min_tier_size=5)
    assert "**Recommendation: grade customers with the ABC by revenue (Pareto 80/20).**" in page
    assert "made **159 USD** of profit in that time, **59 %** of the 270 USD all customers made" in page
    assert "**About as good** (the gap to the highest-scoring grading is within its interval or within 2 percentage points): RFM" in page


def test_small_tiers_are_never_described_by_their_own_figures():
    """A top tier of 5 with ``min_tier_size`` 10: no sentence, table cell or figure gives its
    count, share or outcomes (issue 16, item 2)."""
    from segment.reporting import plots

    r = fake_result({"rfm": 0.6, "abc_revenue": 0.4}, sizes=(5, 40, 50))
    r.validation.early_warning = pd.DataFrame({"method": ["rfm"]})
    page = leadership.headline(r, min_tier_size=10)
    assert "holds fewer than 10 customers" in page and "5 of 95" not in page
    assert "the top tier has fewer than 10 customers as of 2024-06-30, so how many of them show falling activity is not shown" in page
    assert "of tier A" not in page and "20 % of tier B stopped buying, against 30 % of tier C." in page
    warning = leadership.early_warning_text(r, "rfm", 10)
    assert "fewer than 10 customers" in warning and "**1**" not in warning and " 5 " not in warning
    for table in (leadership_tables.tiers_today(r, "rfm", 10), leadership_tables.tiers_test(r, "rfm", 10)):
        assert table.loc["A"].drop("note").isin(["", "n/a"]).all()
        assert table.loc["A", "note"] == "suppressed: fewer than 10 customers"
    fig = plots.tier_outcomes(r.validation.per_tier, method="rfm", source="s", min_tier_size=10)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["B", "C"]
    empty = leadership_tables.tiers_today(fake_result({"rfm": 0.6}, sizes=(15, 15, 0)), "rfm", 10)
    assert (empty.loc["C", "customers"], empty.loc["C", "note"]) == ("0", "no customers")  # nobody to single out
    big = fake_result({"rfm": 0.6}, sizes=(40, 40, 40))
    big.validation.early_warning = pd.DataFrame({"method": ["rfm"] * 3})
    assert leadership.early_warning_text(big, "rfm", 10).startswith("**fewer than 10** of the 40 customers")
    assert "**fewer than 10** of the 40 customers in today's top tier show falling activity" in leadership.headline(big, 10)
    big.validation.warning_check = check("rfm", (5, 5), (35, 0))  # a flagged group of 5: no lift shown
    warning = leadership.early_warning_text(big, "rfm", 10)
    assert "not reliable yet" in warning and "100 %" not in warning and "Call these first" not in warning


def test_paired_differences_chart():
    """One row per graded method, its paired difference to the best with the interval drawn as
    a line (an interval that misses the point draws, it does not raise)."""
    from segment.reporting import plots

    b = board({"rfm": 0.6, "abc_revenue": 0.5, "kmeans": 0.55})
    b.loc[b["method"] == "kmeans", "diff_vs_best_ci_high"] = -0.06  # misses the point -0.05
    fig = plots.paired_differences(b, title="t", source="s", labels=leadership.method_names(),
                                   recommended="rfm", margin=0.02)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["ABC by revenue (Pareto 80/20)", "data-driven clusters (k-means)",
                     "RFM score (recency, frequency, spend) (recommended)"]
    assert "RFM score" in fig.axes[0].get_xlabel()


def test_the_usual_practice_gets_a_decimal_when_it_rounds_like_the_recommendation():
    text = leadership.headline(fake_result({"weighted": 0.71, "rfm": 0.692, "abc_revenue": 0.686}, half_width=0.005))
    assert "grade customers with the RFM score" in text
    assert "The usual revenue-based ABC grading made 68.6 %, against 69.2 % for the recommended grading." in text
