"""segment.reporting.stability_views: stable grades as the reports show them, read from hand-made
run folders (manifest.json's published.stability, governance/stability_tradeoff.csv)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from IPython.display import Markdown
from nbconvert.filters.markdown_mistune import markdown2html_mistune as to_html

from segment.errors import GovernanceError
from segment.methods.registry import display_name
from segment.reporting import stability_views as sv
from tests.reporting.test_hostile_input import SCRIPT, markup_from_payloads, visible_text

#: (rule_set, method, flip-flop rate, top-tier capture, top-tier share, held share, review customers)
ROWS = [("none", "rfm", 0.024, 0.673, 0.207, 0.0, 0), ("none", "abc_revenue", 0.047, 0.835, 0.401, 0.0, 0),
        ("margin 0.05", "rfm", 0.019, 0.665, 0.203, 0.0239, 0), ("margin 0.05", "abc_revenue", 0.015, 0.846, 0.435,
                                                                 0.077, 0),
        ("review_after 2", "rfm", 0.024, 0.673, 0.207, 0.0, 1234)]


def run_folder(tmp_path: Path, rules: dict | None, *, held: int = 0, review: int = 0, rows=ROWS,
               drop: str | None = None) -> Path:
    run = tmp_path / "run"
    run.mkdir(parents=True)
    published = {"method": "rfm"} if rules is None else {"method": "rfm", "stability": {
        "rules": rules, "held": held, "review": review}}
    (run / "manifest.json").write_text(json.dumps({"status": "ok", "published": published}), encoding="utf-8")
    if rows is not None:
        table = pd.DataFrame(rows, columns=["rule_set", "method", "flip_flop_rate", "mean_top_tier_capture",
                                            "mean_top_tier_share", "held_share", "review_customers"])
        (run / "governance").mkdir()
        table.drop(columns=[drop] if drop else []).to_csv(run / sv.TRADE_OFF_FILE, index=False, encoding="utf-8-sig")
    return run


def shown(parts) -> str:
    return " ".join(visible_text(to_html(p.data) if isinstance(p, Markdown) else p.to_html()) for p in parts)


def test_the_leadership_sentence_only_when_a_rule_is_on(tmp_path):
    assert sv.stability_sentence(None) is None
    assert sv.stability_sentence(run_folder(tmp_path / "off", {})) is None
    assert sv.stability_sentence(run_folder(tmp_path / "old", None)) is None  # a run made before the rules
    on = sv.stability_sentence(run_folder(tmp_path / "on", {"margin": 0.05, "review_after": 2}, held=1500, review=7))
    assert on.startswith("**Stable grades are on:** a customer keeps last run's tier unless it moved more than 5 % ")
    assert "This run, 1,500 customers kept their previous tier because of these rules. 7 customers are flagged" in on
    no_review = sv.stability_sentence(run_folder(tmp_path / "m", {"min_stay": 2}, held=3))
    assert "kept for at least 2 runs" in no_review and "flagged" not in no_review


def test_the_trade_off_keeps_a_grading_together_and_reads_plainly(tmp_path):
    parts = sv.stable_grades(run_folder(tmp_path, {}))
    assert "Stable grades are off (the default)" in parts[0].data
    table = parts[1].data
    assert list(table.columns) == ["grading", "rules", "customers who flip-flopped",
                                   "top-tier share of next-period profit", "customers in the top tier",
                                   "grades changed by the rules", "flagged for review"]
    rfm, abc = display_name("rfm"), display_name("abc_revenue")
    assert list(zip(table["grading"], table["rules"])) == [
        (rfm, "none"), (rfm, "margin 0.05"), (rfm, "review_after 2"), (abc, "none"), (abc, "margin 0.05")]
    assert list(table["customers who flip-flopped"])[:2] == ["2.4 %", "1.9 %"]
    assert list(table["flagged for review"]) == ["0", "0", "1,234", "0", "0"]
    page = shown(parts)
    assert "Read a rule against the same grading's row without rules" in page
    css = parts[1].to_html().split("</style>")[0]
    assert "#T_stability_tradeoff th.col0 {\n  text-align: left;" in css
    assert "#T_stability_tradeoff_row4_col1 {\n  text-align: left;" in css  # the names read from the left


def test_no_run_folder_no_trade_off_and_a_broken_file(tmp_path):
    assert shown(sv.stable_grades(None)).startswith("This page was made without a run folder")
    parts = sv.stable_grades(run_folder(tmp_path / "a", {"margin": 0.1}, held=12, rows=None))
    assert "They held 12 customers in their previous tier" in parts[0].data
    assert "three or more backtest_origins" in shown(parts)
    with pytest.raises(GovernanceError, match="stability_tradeoff.csv.*lacks the column.*held_share"):
        sv.stable_grades(run_folder(tmp_path / "b", {}, drop="held_share"))


def test_names_from_the_file_are_text(tmp_path):
    rows = [("none", SCRIPT, 0.1, 0.5, 0.2, 0.0, 0), (f"margin {SCRIPT}", "rfm", 0.1, 0.5, 0.2, 0.0, 0)]
    parts = sv.stable_grades(run_folder(tmp_path, {}, rows=rows))
    page = parts[1].to_html()
    assert markup_from_payloads(page) == []
    assert SCRIPT in visible_text(page)
