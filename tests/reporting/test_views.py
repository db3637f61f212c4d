"""segment.reporting.views: figures the reports print."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segment.reporting.views import top_share


def top_share_by_definition(values: pd.Series, customer_share: float = 0.2) -> float:
    """Highest value first, ties by customer_id, the top ceil(share * n) summed."""
    frame = pd.DataFrame({"v": values.to_numpy(dtype=float), "k": values.index.astype(str)})
    frame = frame.sort_values(["v", "k"], ascending=[False, True])
    total = float(frame["v"].sum())
    if len(frame) == 0 or total == 0:
        return float("nan")
    return float(frame["v"].iloc[:math.ceil(customer_share * len(frame))].sum() / total)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 1.0, 2.5, -3.0, 1e9, 0.1, float("nan")]) | st.floats(-1e6, 1e6),
                max_size=40),
       st.sampled_from([0.2, 0.5, 0.01, 1.0]), st.randoms(use_true_random=False))
def test_top_share_is_the_definition_bit_for_bit_and_ignores_row_order(values, share, rnd):
    ids = [f"c{i:03d}" for i in range(len(values))]
    rnd.shuffle(ids)
    s = pd.Series(values, index=pd.Index(ids, name="customer_id"), dtype=float)
    expected = top_share_by_definition(s, share)
    got = top_share(s, share)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected
    shuffled = s.sample(frac=1.0, random_state=rnd.randrange(1000))
    again = top_share(shuffled, share)
    assert (math.isnan(again) and math.isnan(got)) or again == got


def test_top_share_of_a_pareto_table():
    s = pd.Series([80.0] + [20.0 / 9] * 9, index=[f"c{i}" for i in range(10)])
    assert top_share(s) == np.float64((80.0 + 20.0 / 9) / s.sum())


# ------------------------------------------------------------------ a method's own sections
def graded(names: list[str]):
    """What ``method_sections`` reads of a run: ``names`` fitted on a small feature table."""
    from types import SimpleNamespace

    from segment.methods.registry import describe, make_method
    from tests.methods.conftest import make_feature_table

    features = make_feature_table(300)
    fitted = {n: make_method(n, **describe(n).test_params).fit(features) for n in names}
    return SimpleNamespace(fitted=fitted, assignments={n: m.assign(features) for n, m in fitted.items()},
                           features=features, method_notes=[])


def test_every_registered_section_kind_is_known():
    from segment.methods.registry import METHODS, describe
    from segment.reporting.views import SECTION_KINDS

    offered = {name: describe(name).report_sections for name in METHODS}
    assert {k for kinds in offered.values() for k in kinds} <= set(SECTION_KINDS)
    assert set(SECTION_KINDS) <= {k for kinds in offered.values() for k in kinds}  # no kind nobody offers
    assert not set(SECTION_KINDS) & set(METHODS)  # kinds, not method names


@pytest.mark.filterwarnings("ignore:RFM. .* got only:UserWarning")  # the small table ties; said in the notes
def test_method_sections_come_from_each_class_in_config_order():
    from IPython.display import Markdown
    from matplotlib.figure import Figure
    from pandas.io.formats.style import Styler

    from segment.reporting.views import method_sections

    sections = list(method_sections(graded(["abc_revenue", "kaism", "rfm", "kmeans", "pyramid"]), source="s"))
    headings = [h.splitlines()[0] for h, _ in sections]
    assert headings == [
        "### Two-axis matrix — key-account matrix (KAISM) (`kaism`)",
        "### Score grid — RFM score (recency, frequency, spend) (`rfm`)",
        "### Segments and the tier each maps to — RFM score (recency, frequency, spend) (`rfm`)",
        "### Score ranges — RFM score (recency, frequency, spend) (`rfm`)",
        "### Cluster profiles — data-driven clusters (k-means) (`kmeans`)",
        "### Customer pyramid and the inverted profit pyramid — customer pyramid by profit (`pyramid`)",
    ]
    assert sections[4][0].endswith("clusters are ordered by mean profit, so A is the most profitable.")
    kinds = [type(shown) for _, shown in sections]
    assert kinds == [Figure, Figure, Styler, Markdown, Styler, Figure]  # tables without a pandas index column
    assert sections[3][1].data == "Every dimension of the RFM score (recency, frequency, spend) uses its full score range."
    assert {"segment", "customers", "revenue", "profit", "tier", "customer_share"} <= set(sections[2][1].data.columns)
    assert "tier" in sections[4][1].data.columns and "row_heading" not in sections[4][1].to_html()


def test_a_run_whose_methods_offer_no_section_says_so():
    from segment.reporting.views import method_sections

    ((heading, shown),) = method_sections(graded(["abc_revenue"]), source="s")
    assert heading == "" and "No graded method" in shown.data


def test_an_unknown_section_kind_is_a_clear_error(monkeypatch):
    from segment.methods.registry import method_class
    from segment.reporting.views import method_sections

    monkeypatch.setattr(method_class("pyramid"), "report_sections", ("sankey",))
    with pytest.raises(ValueError, match=r"'pyramid' offers the report section 'sankey'"):
        list(method_sections(graded(["pyramid"]), source="s"))


def test_no_report_module_names_a_registered_method():
    """The reports know methods only through the registry: no string constant in views,
    leadership or plots is a registry name."""
    import ast
    from pathlib import Path

    from segment.methods.registry import METHODS
    from segment.reporting import leadership, plots, views

    for module in (views, leadership, plots):
        tree = ast.parse(Path(module.__file__).read_text())
        named = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in METHODS}
        assert not named, f"{module.__name__} names {sorted(named)}"


# ------------------------------------------------------------------ text, not markup
def test_bullets_show_every_line_as_text():
    """Whatever a note or assumption holds, each line is one list item that reads as the line:
    no tag, link, math, strike-through, heading, quote or numbered list comes from it."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune as to_html

    from segment.reporting.tables import bullets
    from tests.reporting.test_hostile_input import PAYLOADS, Elements, markup_from_payloads

    lines = [*PAYLOADS, "$x$ and ~~y~~ at http://evil.example/", "# heading", "> quote", "1. item", "a & b &amp; <c>",
             "*not* _emphasis_ `code` \\ back", "monetary_total, US$ 5"]
    page = to_html(bullets(lines))
    assert markup_from_payloads(page) == []
    parsed = Elements()
    parsed.feed(page)
    assert [tag for tag, _ in parsed.tags] == ["ul"] + ["li"] * len(lines)
    items = [t for t in parsed.text if t.strip()]
    assert items == lines


def test_styled_tables_escape_cells_and_column_labels():
    from segment.reporting.tables import styled
    from tests.reporting.test_hostile_input import IMG, LINK, QUOTE, SCRIPT, markup_from_payloads, visible_text

    table = pd.DataFrame({IMG: [SCRIPT, QUOTE], "share": [0.25, 0.5]})
    page = styled(table, "t", {"share": "{:.0%}"}).to_html()
    assert markup_from_payloads(page) == []
    assert all(p in visible_text(page) for p in (IMG, SCRIPT, QUOTE)) and "25%" in page
    assert markup_from_payloads(pd.DataFrame({LINK: [IMG]}, index=[SCRIPT])._repr_html_()) == []  # pandas escapes


# ------------------------------------------------------------------ validation report tables
def test_styled_tables_show_missing_values_as_blank_cells():
    from segment.reporting.tables import styled

    table = pd.DataFrame({"x": [0.1234567, np.nan], "ok": pd.array([True, pd.NA], dtype="boolean"),
                          "s": pd.array(["a", pd.NA], dtype="string")})
    page = styled(table, "t", precision=3).to_html()
    assert "0.123<" in page and "nan" not in page.lower() and "&lt;NA&gt;" not in page
    assert "row_heading" not in page  # no index column
    assert page == styled(table, "t", precision=3).to_html()  # a fixed uuid: the same bytes every time


def intervals_table() -> pd.DataFrame:
    rows = []
    for metric in ("top20_profit_capture", "churn_auc"):
        for method, est, diff, worse in (("b", 0.7, 0.0, False), ("a", 0.6, -0.1, True)):
            rows.append({"method": method, "metric": metric, "estimate": est, "interval_method": "bootstrap",
                         "best_method": "b", "diff_vs_best": diff, "se": 0.01, "ci_low": est - 0.05,
                         "ci_high": est + 0.05, "diff_ci_low": diff - 0.02, "diff_ci_high": diff + 0.02 if diff else 0.0,
                         "clearly_worse_than_best": worse, "n_boot": 10, "level": 0.95})
    return pd.DataFrame(rows)


def test_metric_intervals_view_has_every_metric_with_its_interval():
    from segment.reporting.tables import interval_notes, metric_intervals_view

    view = metric_intervals_view(intervals_table(), order=["a", "b"])
    assert list(view["method"]) == ["a", "b"]
    assert list(view.columns) == ["method", "top-20 % profit capture", "top-20 % profit capture: difference to the best",
                                  "churn AUC", "churn AUC: difference to the best"]
    assert view.iloc[0].tolist()[1:3] == ["0.600 [0.550, 0.650]", "-0.100 [-0.120, -0.080] *"]
    assert view.iloc[1, 2] == "best"
    assert interval_notes(intervals_table()) == ["top-20 % profit capture: bootstrap, 95% interval",
                                                 "churn AUC: bootstrap, 95% interval"]


def test_disagreements_view_shows_why_first_and_in_full():
    from segment.reporting.tables import disagreement_tiers_view, disagreements_view, styled

    why = "x" * 120
    table = pd.DataFrame({"customer_id": ["c1"], "tier_m1": ["A"], "tier_m2": ["C"], "pct_m1": [1.0], "pct_m2": [0.0],
                          "tier_rank_spread": [1.0], "spread": [1.0], "best_by": ["m1"], "worst_by": ["m2"],
                          "profit": [5.0], "conflict": [why]})
    view = disagreements_view(table)
    assert list(view.columns) == ["customer", "spread", "ranked best by", "ranked worst by", "why they disagree",
                                  "tier spread", "profit to date"]
    assert why in styled(view, "d").to_html()  # not cut to "…"
    tiers = disagreement_tiers_view(table)
    assert list(tiers.columns) == ["customer", "m1", "m2"] and tiers.iloc[0].tolist() == ["c1", "A", "C"]


def test_readable_tables_have_plain_headers_intervals_in_one_cell_and_no_missing_marks():
    from segment.reporting.tables import COLUMNS, TABLES, legend, readable, styled

    board = pd.DataFrame({"method": ["b", "a", "random (reference)"], "top20_profit_capture": [0.7, 0.6, 0.2],
                          "top20_capture_ci_low": [0.65, 0.55, np.nan], "top20_capture_ci_high": [0.75, 0.65, np.nan],
                          "clearly_worse_than_best": pd.array([False, True, pd.NA], dtype="boolean"),
                          "churn_trend_p": [1e-9, 0.2, np.nan], "tiers_used": [3.0, 4.0, np.nan],
                          "note": ["", "not graded: x", None]}, index=[7, 3, 9])
    view = readable(board, TABLES["leaderboard"] + ["churn_trend_p", "tiers_used"])
    assert list(view.columns) == ["method", "top-20 % profit capture", "clearly worse", "note", "churn trend p", "tiers"]
    assert view.iloc[:, 1].tolist() == ["0.700 [0.650, 0.750]", "0.600 [0.550, 0.650]", "0.200"]
    assert view["clearly worse"].tolist() == ["no", "yes", ""] and view["churn trend p"].tolist() == ["< 0.001", "0.200", ""]
    assert view["tiers"].tolist() == ["3", "4", ""] and list(view.index) == [0, 1, 2]
    page = styled(view, "t").to_html()
    assert "nan" not in page.lower() and "&lt;NA&gt;" not in page and "None" not in page and "row_heading" not in page
    assert all("_" not in c for c in view.columns)  # words that wrap: the table fits the page
    assert legend(["top20_profit_capture", "method"]) == f"- top-20 % profit capture: {COLUMNS['top20_profit_capture'][1]}"
    every = {c for cols in TABLES.values() for c in cols}
    headers = readable(pd.DataFrame({c: [1.0] for c in sorted(every)}), sorted(every)).columns
    assert not [h for h in headers if "_" in h], "a column without a plain header"


def test_learned_rules_list_each_method_by_plain_name_with_its_sentences_escaped():
    from types import SimpleNamespace

    from nbconvert.filters.markdown_mistune import markdown2html_mistune as to_html

    from segment.reporting.views import learned_rules
    from tests.reporting.test_hostile_input import SCRIPT, markup_from_payloads, visible_text

    class Fitted:
        def __init__(self, rules):
            self.rules = rules

        def learned_rules(self):
            return self.rules

    result = SimpleNamespace(fitted={"abc_revenue": Fitted(["A = revenue at least 1,234.50 (top 80 % of revenue)",
                                                            f"label {SCRIPT} costs $5 to $10"]),
                                     "rfm": Fitted([])})
    markdown = learned_rules(result)
    page = to_html(markdown)
    assert markup_from_payloads(page) == []
    shown = visible_text(page)
    assert "ABC by revenue" in shown or "abc_revenue" in shown
    assert "A = revenue at least 1,234.50 (top 80 % of revenue)" in shown and f"label {SCRIPT} costs $5 to $10" in shown
    assert "thresholds_" not in markdown and "(no rules learned)" in shown


def test_figure_text_with_two_dollar_signs_renders_literally():
    """The report style reads "$...$" as text: the label is drawn as written (one text element in
    SVG), not as math with the dollars gone and the words in italics."""
    import io

    import matplotlib
    import matplotlib.pyplot as plt

    from segment.reporting.views import FIGURE_STYLE, use_report_style

    label = "revenue from $5 to $10 per order"
    with matplotlib.rc_context():
        use_report_style()
        assert matplotlib.rcParams["text.parse_math"] is False and FIGURE_STYLE["text.parse_math"] is False
        fig, ax = plt.subplots()
        ax.set_title(label)
        buffer = io.StringIO()
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            fig.savefig(buffer, format="svg")
        plt.close(fig)
    assert f">{label}<" in buffer.getvalue()


def test_log_axes_are_numbered_plainly_in_the_report_style():
    import matplotlib
    import matplotlib.pyplot as plt

    from segment.reporting.views import plain_log_ticks, use_report_style

    with matplotlib.rc_context():
        use_report_style()
        fig, ax = plt.subplots()
        ax.set_xscale("log")
        ax.plot([0.5, 10, 5000], [1, 2, 3])
        plain_log_ticks(fig).canvas.draw()
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        plt.close(fig)
    assert "1,000" in labels and "0.1" in labels and not [t for t in labels if "$" in t]



@pytest.mark.filterwarnings("ignore:RFM. .* got only:UserWarning")  # the small table ties; said in the notes
def test_reason_tables_read_from_the_left_and_show_every_reason_as_text():
    import re
    from html.parser import HTMLParser

    from segment.reporting.views import reason_examples

    tables = reason_examples(graded(["abc_revenue", "rfm"]))
    assert len(tables) == 2
    for table in tables:
        page, cells = table.to_html(), {}

        class Cells(HTMLParser):
            def handle_starttag(self, tag, attrs):
                self.at = dict(attrs).get("id") if tag == "td" else None

            def handle_data(self, data):
                if getattr(self, "at", None):
                    cells[self.at] = cells.get(self.at, "") + data

        Cells(convert_charrefs=True).feed(page)
        assert list(table.data.columns) == ["tier", "place in tier", "customer", "why"]
        why = {k: v.strip() for k, v in cells.items() if k.endswith("_col3")}
        assert sorted(why.values()) == sorted(table.data["why"])  # every reason, as text
        rules = dict(re.findall(r"([^{}]+)\{([^}]*)\}", page.split("</style>")[0].split(">", 1)[1]))
        left = {sel.strip() for sels, props in rules.items() if "text-align: left" in props for sel in sels.split(",")}
        assert {f"#{k}" for k in why} <= left  # each reason cell reads from the left ...
        assert any(s.endswith("th.col3") for s in left)  # ... under a left-aligned header
        assert not any(s.endswith(("_col0", "_col1", "_col2")) for s in left)  # the others as before
        assert any("caption" in s for s in left)  # the caption keeps its style


def test_tier_outcomes_of_every_method_are_one_figure_of_small_multiples():
    from segment.reporting import plots

    rows = []
    for method, tiers in (("rfm", ["A", "B", "C"]), ("pyramid", ["important", "small"]), ("x$y$", ["A", "empty"])):
        for i, tier in enumerate(tiers):
            rows.append({"method": method, "tier": tier, "customers": 0 if tier == "empty" else 10 + i,
                         "churn_rate": 0.2 * (i + 1), "churn_ci_low": 0.1 * (i + 1), "churn_ci_high": 0.3 * (i + 1),
                         "profit_per_customer": (p := 100.0 / (i + 1) * (10 if method == "pyramid" else 1)),
                         "profit_per_customer_ci_low": 0.8 * p, "profit_per_customer_ci_high": 1.2 * p})
    fig = plots.tier_outcomes_grid(pd.DataFrame(rows), ["pyramid", "rfm", "x$y$"], source="s",
                                   labels={"rfm": "RFM score"}, window="the 2 quarters after 1997-09-30")
    axes = np.array(fig.axes).reshape(3, 2)
    assert [a.get_title(loc="left") for a in axes[:, 0]] == ["pyramid", "RFM score", r"x\$y\$"]  # "$" drawn as it is
    assert [[t.get_text() for t in a.get_xticklabels()] for a in axes[:, 0]] == [["important", "small"], ["A", "B", "C"],
                                                                                   ["A"]]  # an empty tier is not drawn
    churn = {a.get_ylim() for a in axes[:, 0]}
    assert len(churn) == 1  # churn on one scale for every grading ...
    assert axes[0, 1].get_ylim() != axes[1, 1].get_ylim()  # ... profit per customer on each one's own
    assert "the 2 quarters after 1997-09-30" in fig._suptitle.get_text()


def test_a_long_list_shows_its_first_rows_and_says_where_the_rest_are():
    from IPython.display import Markdown

    from segment.reporting.tables import table

    early = pd.DataFrame({"method": "rfm", "customer_id": [f"c{i}" for i in range(250)], "tier": "A",
                          "reason": "falling_revenue", "profit": np.arange(250.0)[::-1]})
    note, shown, legend = table(early, "early_warning", first=100, rest=", most profit first; all in x.csv")
    assert isinstance(note, Markdown) and note.data == "The first 100 of 250 rows, most profit first; all in x.csv."
    assert shown.data["customer"].tolist() == [f"c{i}" for i in range(100)]  # the first rows, in order
    assert isinstance(legend, Markdown)
    whole = table(early.head(100), "early_warning", first=100)  # not more than first: the table as it was
    assert len(whole) == 2 and len(whole[0].data) == 100
