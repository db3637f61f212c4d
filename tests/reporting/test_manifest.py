"""segment.reporting.manifest: the run's index page (headline result, what each file holds)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from segment.reporting.manifest import FILE_NOTES, file_note, headline, write_index
from segment.validation.result import Recommendation, ValidationResult
from tests.reporting.test_hostile_input import IMG, LINK, QUOTE, SCRIPT, markup_from_payloads, visible_text


def recommendation(method: str = "rfm") -> Recommendation:
    return Recommendation(method=method, capture=0.6862, ci_low=0.6475, ci_high=0.7363, churn_auc=0.75,
                          ceiling=0.96, not_clearly_worse=(), clearly_worse=())


def test_headline_names_the_method_plainly_with_its_interval():
    line = headline(recommendation())
    assert "RFM score (recency, frequency, spend)" in line and "`rfm`" not in line
    assert "68.6 %" in line and "64.8 % to 73.6 %" in line
    assert "no recommendation" in headline(None)
    assert line.count(". ") == 0 and line.endswith(").")  # one sentence: the manifest's and the index's headline


def test_every_validation_table_has_a_note():
    assert {f"validation/{name}" for name in ValidationResult.TABLES} <= set(FILE_NOTES)
    assert file_note(Path("validation/leaderboard.csv")).endswith("(CSV)")
    assert file_note(Path("tuning/folds.csv")) == "weight tuning: the folds table (CSV)"
    assert file_note(Path("other/unknown.txt")) == "txt"


def test_the_index_shows_the_headline_and_each_file_escaped(tmp_path):
    hostile = f"{IMG}{LINK}{QUOTE}"
    config = SimpleNamespace(output_name=SCRIPT, as_of="1997-09-30", horizon_days=273,
                             source=str(tmp_path / f"run{IMG}.yaml"))
    files = [tmp_path / "tiers.csv", tmp_path / "validation" / "leaderboard.csv", tmp_path / f"{hostile}.csv"]
    page = write_index(tmp_path, config, [(SCRIPT, f"{QUOTE}.html", IMG)], files,
                       recommendation(method=SCRIPT)).read_text(encoding="utf-8")
    assert markup_from_payloads(page) == []
    text = visible_text(page)
    assert f"Recommended grading: {SCRIPT}, whose top 20 %" in text and "68.6 %" in text
    assert "validation/leaderboard.csv: one row per method and reference" in text
    assert "tiers.csv: every customer's tier" in text and f"{hostile}.csv: CSV" in text
    assert write_index(tmp_path, config, [], files, None).read_text(encoding="utf-8").count("no recommendation") == 1


def test_the_index_shows_the_ledger_escaped(tmp_path):
    config = SimpleNamespace(output_name="q2", as_of="1997-12-31", horizon_days=182, source=str(tmp_path / "q2.yaml"))
    governance = {"series": SCRIPT, "published": {"method": "rfm", "file": "published.csv", "sha256": "0" * 64,
                                                  "customers": 3},
                  "previous": {"run": IMG, "as_of": "1997-09-30", "sha256": "1" * 64, "method": "rfm",
                               "identical": True, "comparable": True}}
    page = write_index(tmp_path, config, [], [tmp_path / "published.csv"], recommendation(),
                       governance).read_text(encoding="utf-8")
    assert markup_from_payloads(page) == []
    text = visible_text(page)
    assert "Published grading (the tiers that go to the CRM, published.csv): RFM score" in text
    assert f"Series {SCRIPT}: identical to {IMG}" in text and "published.csv: the published grading" in text
    different = {**governance, "previous": {**governance["previous"], "identical": False, "comparable": False,
                                            "method": "kmeans"}}
    text = visible_text(write_index(tmp_path, config, [], [], None, different).read_text(encoding="utf-8"))
    assert "whose tiers are not this run's" in text
    first = visible_text(write_index(tmp_path, config, [], [], None, {**governance, "previous": None})
                         .read_text(encoding="utf-8"))
    assert "The first run of series" in first
    loose = visible_text(write_index(tmp_path, config, [], [], None, {**governance, "series": None, "previous": None})
                         .read_text(encoding="utf-8"))
    assert "belongs to no series" in loose
