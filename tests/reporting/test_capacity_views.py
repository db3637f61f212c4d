"""The capacity sentence, table and figure on hand-made validation results."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from segment.reporting.capacity_views import capacity_figure, capacity_sentence, capacity_table_view
from segment.validation.capacity import DIFFERENCE_COLUMNS, capacity_curve, capacity_table
from tests.validation.conftest import assignments_from_codes, outcomes_from

RFM, ABC = "RFM score (recency, frequency, spend)", "ABC by revenue (Pareto 80/20)"
OPENING = (f"With room for 2,000 key accounts, the {RFM} would have covered 412,300 USD of the next 2 quarters' "
           "profit (95 % interval 398,100 to 427,000 USD), ")


def capacity(method="rfm", covered=412_300.0, low=398_100.0, high=427_000.0, served=2000, note=""):
    rows = [(method, covered, low, high), ("hindsight", 500_000.0, 480_000.0, 520_000.0),
            ("random", 90_000.0, 85_000.0, 95_000.0)]
    return pd.DataFrame([{"method": m, "key_accounts": served, "customers": 23_570, "profit_covered": c,
                          "profit_low": lo, "profit_high": hi, "share_of_hindsight": c / 500_000.0, "note": note}
                         for m, c, lo, hi in rows])


def differences(*rows):
    """(reference, reference_method, difference, low, high) rows of the method rfm."""
    def clearly(low, high):
        return "better" if low > 0 else "worse" if high < 0 else ""

    return pd.DataFrame([{"method": "rfm", "reference": ref, "reference_method": m, "difference": d, "low": lo,
                          "high": hi, "clearly": clearly(lo, hi)} for ref, m, d, lo, hi in rows],
                        columns=DIFFERENCE_COLUMNS)


def result(diffs, *, published=None, cap=None, recommended="rfm", key_accounts=2000, currency="USD", curve=None):
    validation = SimpleNamespace(recommended=SimpleNamespace(method=recommended), capacity=capacity() if cap is None
                                 else cap, capacity_differences=diffs, capacity_curve=curve, published=published)
    config = SimpleNamespace(currency=currency, decision={"key_accounts": key_accounts}, horizon="2Q",
                             horizon_days=182, as_of="1998-03-31")
    return SimpleNamespace(validation=validation, config=config, origin="1997-12-31",
                           loaded=SimpleNamespace(source={"dataset": "cdnow", "real_data": True}))


def assert_plain(sentence: str):
    for bad in ("nan", "None", "**", "<", "[", "'rfm'", "abc_revenue"):
        assert bad not in sentence, bad


def test_clearly_more_than_the_grading_in_use():
    r = result(differences(("recommended", "rfm", 0, 0, 0), ("published", "abc_revenue", 35_200, 20_100, 50_400),
                           ("abc", "abc_revenue", 35_200, 20_100, 50_400), ("random", "random", 322_300, 300_000, 340_000)),
               published="abc_revenue")
    sentence = capacity_sentence(r)
    assert sentence == OPENING + f"35,200 USD more than the {ABC} now in use (interval 20,100 to 50,400 USD)."
    assert_plain(sentence)


def test_about_the_same_when_the_interval_includes_zero():
    r = result(differences(("published", "kmeans", 2_500, -3_000, 8_000)), published="kmeans")
    sentence = capacity_sentence(r)
    assert sentence == OPENING + ("about the same as the data-driven clusters (k-means) now in use "
                                  "(the difference, -3,000 to 8,000 USD, includes zero).")
    assert "more" not in sentence and "less" not in sentence


def test_clearly_less_is_said_as_less():
    r = result(differences(("published", "kmeans", -9_000, -12_000, -4_000)), published="kmeans")
    assert capacity_sentence(r).endswith("9,000 USD less than the data-driven clusters (k-means) now in use "
                                         "(interval 4,000 to 12,000 USD).")


def test_a_first_run_compares_with_abc_by_revenue_and_says_so():
    r = result(differences(("recommended", "rfm", 0, 0, 0), ("abc", "abc_revenue", 35_200, 20_100, 50_400),
                           ("random", "random", 322_300, 300_000, 340_000)))
    sentence = capacity_sentence(r)
    assert sentence == OPENING + (f"35,200 USD more than the {ABC} (interval 20,100 to 50,400 USD). No earlier run "
                                  "of this series published a grading, so the comparison is with the usual "
                                  "revenue-based ABC grading.")
    assert_plain(sentence)


def test_a_first_run_recommending_abc_compares_with_random():
    cap = capacity(method="abc_revenue")
    diffs = differences(("abc", "abc_revenue", 0, 0, 0), ("random", "random", 322_300, 300_000, 340_000))
    diffs["method"] = "abc_revenue"
    sentence = capacity_sentence(result(diffs, cap=cap, recommended="abc_revenue"))
    assert sentence.endswith("322,300 USD more than customers chosen at random (interval 300,000 to 340,000 USD). "
                             "No earlier run of this series published a grading, so the comparison is with a random "
                             "choice of customers.")


def test_the_grading_in_use_itself_and_one_not_judged_now():
    same = result(differences(("published", "rfm", 0, 0, 0), ("abc", "abc_revenue", 5, -1, 9)), published="rfm")
    assert capacity_sentence(same) == OPENING[:-2] + ": the same grading as the one in use."
    gone = result(differences(("abc", "abc_revenue", 35_200, 20_100, 50_400)), published="bgnbd")
    assert capacity_sentence(gone).endswith(
        "The grading in use, the purchase-probability model (BG/NBD), could not be judged in this run, so the "
        "comparison is with the usual revenue-based ABC grading.")


def test_a_capacity_above_the_customers_and_a_run_without_intervals():
    cap = capacity(served=23_570, low=np.nan, high=np.nan, note="capped")
    r = result(differences(("abc", "abc_revenue", 35_200, np.nan, np.nan)), cap=cap, key_accounts=50_000,
               currency=None)
    sentence = capacity_sentence(r)
    assert sentence.startswith(f"With room for all 23,570 customers (the capacity of 50,000 key accounts is more "
                               f"than the customers graded), the {RFM} would have covered 412,300 of the next")
    assert "interval" not in sentence.split("(no interval")[0] and "35,200 more than" in sentence
    assert_plain(sentence)


def test_a_run_made_before_capacity_has_no_sentence_and_no_views():
    r = result(None)
    r.validation.capacity = None
    assert capacity_sentence(r) == "" and capacity_table_view(r).empty and capacity_figure(r) is None


def small_run():
    """A hand-made result whose capacity tables come from ``capacity_table`` on six customers."""
    outcomes = outcomes_from([10.0, 50.0, 0.0, 30.0, -5.0, 20.0], [False] * 6)
    gradings = {"rfm": assignments_from_codes([0] * 6, score=[1, 5, 0, 3, -1, 2]),
                "abc_revenue": assignments_from_codes([0] * 6)}
    refs = {"recommended": "rfm", "published": "abc_revenue", "abc": "abc_revenue", "random": None}
    cap, diffs = capacity_table(gradings, outcomes, key_accounts=2, references=refs, n_boot=50, random_state=0)
    curve = capacity_curve(gradings, outcomes, key_accounts=2, points=4)
    return result(diffs, published="abc_revenue", cap=cap, key_accounts=2, curve=curve)


def test_the_table_view_has_plain_headers_money_and_intervals_in_one_cell():
    view = capacity_table_view(small_run())
    assert list(view.columns) == ["grading", "profit covered (USD)", "share of hindsight",
                                  "against the recommended grading (USD)", "against the grading in use (USD)",
                                  "against ABC by revenue (USD)", "against a random choice (USD)", "note"]
    assert list(view["grading"]) == [RFM, ABC, "perfect hindsight (the ceiling)", "random choice (expected)"]
    rfm = view.iloc[0]
    assert rfm["profit covered (USD)"].startswith("80.00 [") and rfm["share of hindsight"] == "100.0 %"
    assert rfm["against the recommended grading (USD)"] == "0.00 [0.00, 0.00]"
    assert rfm["against the grading in use (USD)"].startswith("20.00 [")
    assert view.iloc[2]["against the grading in use (USD)"] == ""  # no difference for a reference row
    text = view.to_string()
    assert "nan" not in text and "None" not in text and "rfm" not in text


def test_the_figure_marks_the_capacity_with_plain_labels():
    fig = capacity_figure(small_run())
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == [RFM, ABC, "perfect hindsight (the ceiling)", "random choice (expected)",
                      "capacity: 2 key accounts"]
    dashed = {line.get_label(): line.get_linestyle() for line in ax.get_lines()}
    assert dashed["perfect hindsight (the ceiling)"] == "--" and dashed["random choice (expected)"] == "--"
    assert list(ax.get_lines()[-1].get_xdata()) == [2, 2]
    assert "(USD)" in ax.get_ylabel() and "2 quarters" in ax.get_ylabel()
