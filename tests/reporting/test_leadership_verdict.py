"""The leadership verdict a sceptical reader checks (issue 16, item 5): money with its currency
and the profit assumption, plain names only, two tier tables with their own dates, the early
warning with its measured lift, the all-provisional warning first, the churn sentence."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
from nbconvert.filters.markdown_mistune import markdown2html_mistune as to_html

from segment.methods.registry import METHODS
from segment.reporting import governance_views, leadership, leadership_tables, tables
from tests.reporting.test_hostile_input import visible_text
from tests.reporting.test_leadership import check, fake_result

SIZES = (30, 30, 30)  # top 20 % = 18 customers: not a small cell at min_tier_size 10


def page_text(r, min_tier_size: int = 10, ledger=None) -> str:
    """What a reader sees of every text and table the page shows, through a real HTML parser
    (``ledger``: the run folder's, for "Since the last run")."""
    m = leadership.recommendation(r).method
    r.loaded.data_end, r.notes = "2024-12-31", []
    parts = [leadership.opening(r), leadership.headline(r, min_tier_size), leadership_tables.tiers_note(r, m, min_tier_size),
             leadership.early_warning_text(r, m, min_tier_size),
             governance_views.since_last_run(ledger, leadership.currency(r), min_tier_size),
             tables.bullets(leadership.assumptions(r))]
    pages = [to_html(p) for p in parts if p]
    pages += [tables.styled(leadership_tables.tiers_today(r, m, min_tier_size).reset_index(), "a",
                            caption=leadership_tables.tiers_today_caption(r, m)).to_html(),
              tables.styled(leadership_tables.tiers_test(r, m, min_tier_size).reset_index(), "b",
                            caption=leadership_tables.tiers_test_caption(r, m)).to_html()]
    return " ".join(visible_text(p) for p in pages)


class Captions(HTMLParser):
    """The text of every ``caption`` element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._inside = True
            self.found.append("")

    def handle_endtag(self, tag):
        self._inside = self._inside and tag != "caption"

    def handle_data(self, data):
        if self._inside:
            self.found[-1] += data


def captions(html: str) -> list[str]:
    parsed = Captions()
    parsed.feed(html)
    parsed.close()
    return [" ".join(c.split()) for c in parsed.found]


def test_the_headline_figure_is_money_with_its_currency_and_the_profit_assumption():
    r = fake_result({"rfm": 0.6, "abc_revenue": 0.4}, sizes=SIZES)
    text = visible_text(to_html(leadership.headline(r, 10)))
    # profit per customer in the test: 10, 9, 8 -> 810 in all; the top 20 % made 60 % of it
    assert "made 486 USD of profit in that time, 60 % of the 810 USD all customers made" in text
    assert "Profit is estimated as 25 % of revenue minus 2.00 USD per order (the data has no costs); amounts in USD." in text
    unstated = visible_text(to_html(leadership.headline(fake_result({"rfm": 0.6}, sizes=SIZES, currency=None), 10)))
    assert "made 486 of profit" in unstated and "USD" not in unstated
    assert "amounts in the data's own currency, which the config does not state" in unstated
    tables = leadership_tables.tiers_today(r, "rfm", 10), leadership_tables.tiers_test(r, "rfm", 10)
    assert tables[0].loc["A", "revenue to date"] == "435 USD"  # revenue 0..29 summed: one format everywhere
    assert tables[1].loc["A", "profit per customer in the next 90 days"] == "10.00 USD"


def test_the_page_has_no_code_names_and_no_origin(tmp_path):
    from tests.reporting.test_governance_views import previous, run_folder

    r = fake_result({"rfm": 0.6, "abc_revenue": 0.59, "kmeans": 0.5, "bgnbd": 0.58}, sizes=SIZES)
    ledger = governance_views.read_ledger(run_folder(tmp_path, previous=previous()))
    text = page_text(r, ledger=ledger)
    assert "Since the last run, cdnow_1997q1-20241201T000000 (graded on 1997-03-31)" in text
    assert "Upgrades: 40 customers moved up a tier; their profit to date is 12,345 USD." in text
    assert not re.search(r"\.(csv|json)\b|movement_summary|manifest|_tier\b", text)  # no file or code names
    words = set(re.findall(r"[A-Za-z_]+", text))
    assert not words & set(METHODS), words & set(METHODS)
    assert "origin" not in text.lower() and "`" not in text
    assert "purchase-probability model (BG/NBD)" in text and "data-driven clusters (k-means)" in text
    assert "/" not in leadership.figure_source(r).replace("BG/NBD", "")  # no file path under a figure


def test_two_tier_tables_each_labelled_with_its_dates():
    r = fake_result({"rfm": 0.6}, sizes=SIZES)
    today = tables.styled(leadership_tables.tiers_today(r, "rfm", 10).reset_index(), "t",
                          caption=leadership_tables.tiers_today_caption(r, "rfm"))
    test = tables.styled(leadership_tables.tiers_test(r, "rfm", 10).reset_index(), "u",
                         caption=leadership_tables.tiers_test_caption(r, "rfm"))
    (c_today,), (c_test,) = captions(today.to_html()), captions(test.to_html())
    assert c_today.startswith("Today, 2024-06-30: the tiers of the RFM score") and "2024-03-31" not in c_today
    assert "on 2024-03-31 (the test date)" in c_test and "to 2024-06-29 (90 days" in c_test
    assert "2024-06-30" not in c_test
    assert list(today.data.columns) == ["tier", "customers", "share of customers", "revenue to date", "profit to date",
                                        "share of profit", "note"]
    assert list(test.data.columns) == ["tier", "customers at the test date", "stopped buying in the next 90 days",
                                       "profit per customer in the next 90 days", "note"]


def test_an_all_provisional_page_says_so_first():
    r = fake_result({"rfm": 0.6}, sizes=SIZES, provisional=True)
    r.loaded.source = {"dataset": "cdnow_master", "real_data": True}
    first = visible_text(to_html(leadership.opening(r)))
    assert first.startswith("⚠ EVERY GRADE ON THIS PAGE IS PROVISIONAL. All 90 customers first bought less than "
                            "182 days before 2024-06-30")
    synthetic = fake_result({"rfm": 0.6}, sizes=SIZES, provisional=True)  # both warnings, the data's first
    assert visible_text(to_html(leadership.opening(synthetic))).startswith("⚠ SYNTHETIC DATA")
    assert "EVERY GRADE ON THIS PAGE IS PROVISIONAL" in leadership.opening(synthetic)
    real = fake_result({"rfm": 0.6}, sizes=SIZES)
    real.loaded.source = {"dataset": "cdnow_master", "real_data": True}
    assert leadership.opening(real) == ""
    some = fake_result({"rfm": 0.6}, sizes=SIZES)
    some.assignments["rfm"]["provisional"] = np.arange(90) < 20
    assert "Today 20 of the 90 grades are provisional" in leadership_tables.tiers_note(some, "rfm", 10)
    some.assignments["rfm"]["provisional"] = np.arange(90) < 3
    assert "Today fewer than 10 of the 90 grades are provisional" in leadership_tables.tiers_note(some, "rfm", 10)


def test_the_early_warning_with_its_measured_lift_reliable_or_not():
    r = fake_result({"rfm": 0.6}, sizes=SIZES)
    r.validation.early_warning = r.validation.early_warning.iloc[[0] * 12]
    reliable = visible_text(to_html(leadership.early_warning_text(r, "rfm", 10)))
    assert reliable.startswith("12 of the 30 customers in today's top tier (2024-06-30) show falling activity")
    assert ("at the test date (2024-03-31) flagged top-tier customers stopped buying in the next 90 days at 60 %, "
            "against 20 % of the others: +40.0 percentage points (95 % interval +21.0 to +55.2)") in reliable
    assert "Call these first: the analyst report lists them; start with the 12 with the most profit at risk" in reliable
    assert "as many as the team can follow up in a period (300)" in reliable
    assert "how often customers flagged for the same reason stopped buying" in reliable
    r.validation.follow_up = r.validation.early_warning.head(3)
    r.config.decision = {"follow_up": 3}
    capped = visible_text(to_html(leadership.early_warning_text(r, "rfm", 2)))
    assert "the follow-up list that comes with this report holds the 3 of them" in capped
    r.validation.warning_check = check("rfm", (50, 12), (50, 10))  # +4 points, interval across zero
    unsure = visible_text(to_html(leadership.early_warning_text(r, "rfm", 10)))
    assert "The list is not reliable yet: at the test date" in unsure and "Call these first" not in unsure
    assert "Do not use it to choose whom to call" in unsure
    assert "not reliable yet" in leadership.headline(r, 10) and "call them" not in leadership.headline(r, 10)


def test_another_method_that_ranks_churn_clearly_better_gets_one_sentence():
    r = fake_result({"rfm": 0.6, "abc_revenue": 0.59}, sizes=SIZES)
    advice = leadership.recommendation(r)
    assert advice.method == "abc_revenue" and advice.better_at_churn == ""
    assert leadership.churn_sentence(advice) == ""
    advice = replace(advice, better_at_churn="rfm", better_churn_auc=0.78, churn_auc=0.74, churn_auc_gap=0.04,
                     churn_auc_gap_ci_low=0.03, churn_auc_gap_ci_high=0.05)
    r.validation.recommended = advice
    text = visible_text(to_html(leadership.headline(r, 10)))
    assert ("The RFM score (recency, frequency, spend) is clearly better at telling who will stop buying: it puts a "
            "customer who later left below one who stayed in 78 % of pairs, against 74 % for the recommended "
            "grading; the gap is +4.0 points, 95 % paired interval +3.0 to +5.0.") in text


def test_the_weights_are_on_the_page_with_where_they_come_from():
    from types import SimpleNamespace

    import pandas as pd

    from segment.methods.weighted import DEFAULT_WEIGHTS_SOURCE, WeightedScore

    rng = np.random.default_rng(1)
    f = pd.DataFrame({"monetary_total": rng.gamma(2, 50, 40), "profit": rng.normal(10, 5, 40),
                      "recency_days": rng.integers(1, 300, 40).astype(float), "tenure_days": 400.0},
                     index=pd.Index([f"c{i}" for i in range(40)], name="customer_id"))

    def result(method, dataset, origin):
        return SimpleNamespace(fitted={"weighted": method.fit(f)}, origin=origin,
                               loaded=SimpleNamespace(source={"dataset": dataset, "real_data": True}))

    cdnow_early = leadership.weights_used(result(WeightedScore(), "cdnow_master", "1997-09-30"))
    assert cdnow_early[0] == (f"The weighted score weighs revenue 0.60, profit 0.10, days since the last order 0.30: "
                              f"{DEFAULT_WEIGHTS_SOURCE}.")
    assert "not fully out of time" in cdnow_early[1] and "1998-03-31" in cdnow_early[1]
    assert len(leadership.weights_used(result(WeightedScore(), "cdnow_master", "1998-03-31"))) == 1
    assert len(leadership.weights_used(result(WeightedScore(), "own_file", "1997-09-30"))) == 1
    own = leadership.weights_used(result(WeightedScore(weights={"profit": 1, "monetary_total": 1}), "cdnow_master",
                                         "1997-09-30"))
    assert own == ["The weighted score weighs profit 0.50, revenue 0.50 (the weights in the config)."]
    assert leadership.weights_used(SimpleNamespace(fitted={})) == []


def test_the_follow_up_sentence_says_what_the_listed_customers_made_before():
    """With a reliable flag and the follow-up list: the sum of the list's ``profit_before`` over
    the horizon-length window before the grading date, in the page's money; a list under
    ``min_tier_size`` gets no sum; currency text is escaped."""
    import pandas as pd

    r = fake_result({"rfm": 0.6}, sizes=SIZES)
    r.validation.early_warning = r.validation.early_warning.iloc[[0] * 12]
    amounts = np.array([1000.25, 2500.0, -120.5, 0.0, 333.0, 4000.0, 10.0, 20.0, 30.0, 40.0, 50.0, 4062.25])
    r.validation.follow_up = pd.DataFrame({"method": "rfm", "customer_id": [f"c{i:02d}" for i in range(12)],
                                           "profit_before": amounts})
    r.config.decision = {"follow_up": 12}
    said = visible_text(to_html(leadership.early_warning_text(r, "rfm", 10)))
    assert round(amounts.sum()) == 11925  # by hand: 1000.25 + 2500 - 120.5 + 333 + 4000 + 150 + 4062.25
    assert "The 12 customers on it made 11,925 USD of profit in the 90 days before 2024-06-30." in said
    headline = leadership.headline(r, 10)
    assert "11,925" not in headline  # the headline's short version has no list
    # a small list is not described by its own figures
    r.validation.follow_up = r.validation.follow_up.head(4)
    said = visible_text(to_html(leadership.early_warning_text(r, "rfm", 10)))
    assert "It holds fewer than 10 customers, so what they made in the 90 days before 2024-06-30 is not shown" in said
    assert "3,380" not in said and "customers on it" not in said  # 1000.25 + 2500 - 120.5 + 0
    # another method's rows, or a list saved before the column: no sentence
    full = pd.DataFrame({"method": "rfm", "profit_before": amounts})
    assert leadership.made_before_sentence(r, "abc_revenue", full, 10) == ""
    assert leadership.made_before_sentence(r, "rfm", full, 10).startswith(" The 12 customers on it made")
    r.validation.follow_up = pd.DataFrame({"method": "rfm", "customer_id": ["c00"] * 12})
    assert "customers on it" not in leadership.early_warning_text(r, "rfm", 10)
    # the currency is the config's text: escaped, shown as written
    r.config.currency = "<b>US$</b> *x*"
    r.validation.follow_up = pd.DataFrame({"method": "rfm", "customer_id": [f"c{i:02d}" for i in range(12)],
                                           "profit_before": amounts})
    html = to_html(leadership.early_warning_text(r, "rfm", 10))
    assert "<b>US$" not in html and "11,925 <b>US$</b> *x* of profit" in visible_text(html)
