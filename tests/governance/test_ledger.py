"""segment.governance.ledger: published.csv round trip, and the ledger finding the right previous
run among failed, hidden, other-series, later and tampered folders."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from segment.errors import UserError
from segment.governance.ledger import (GovernanceError, entry_of, find_previous, published_table, read_published,
                                       series_runs, write_published)
from segment.hashing import file_sha256
from tests.governance.conftest import make_run

IDS = ["007", "NA", "", "=HYPERLINK(1)", "-5", "+x", "@a", "a,b", 'q"uote', "中文", "00012"]


def grading(ids=IDS):
    n = len(ids)
    idx = pd.Index(ids, name="customer_id", dtype="str")
    tiers = pd.Categorical(np.array(["A", "B", "C"])[np.arange(n) % 3], categories=["A", "B", "C"])
    assignments = pd.DataFrame({"tier": tiers,
                                "score": np.arange(n, dtype=float),
                                "provisional": np.arange(n) % 4 == 0}, index=idx)
    features = pd.DataFrame({"recency_days": np.arange(n, dtype=float) * 7, "tenure_days": 1000.0,
                             "frequency": np.arange(n, dtype="int64") + 1,
                             "monetary_total": np.linspace(0.1, 12345.678, n),
                             "profit": np.linspace(-50.5, 0.1 + 0.2, n)}, index=idx[::-1])  # another order
    return assignments, features


def test_published_table_has_fixed_columns_sorted_ids_and_feature_values():
    assignments, features = grading()
    table = published_table(assignments, features)
    assert list(table.columns) == ["customer_id", "tier", "provisional", "recency_days", "frequency",
                                   "monetary_total", "profit"]
    assert list(table["customer_id"]) == sorted(IDS)
    row = table.set_index("customer_id").loc["-5"]
    assert row["tier"] == assignments.loc["-5", "tier"] and row["profit"] == features.loc["-5", "profit"]
    assert str(table["frequency"].dtype) == "Int64" and table["provisional"].dtype == bool


def test_published_table_without_indicators_and_with_a_customer_id_column():
    assignments, _ = grading()
    table = published_table(assignments.reset_index(), pd.DataFrame(index=assignments.index))
    assert list(table.columns) == ["customer_id", "tier", "provisional"]


def test_published_table_refuses_a_customer_missing_from_features():
    assignments, features = grading()
    with pytest.raises(ValueError, match="features lack customer"):
        published_table(assignments, features.iloc[1:])


def test_an_id_the_formula_protection_would_make_ambiguous_is_refused():
    assignments, features = grading(["c1", "'=x"])
    with pytest.raises(GovernanceError, match="'=x"):
        published_table(assignments, features)


@pytest.mark.parametrize("n", [11, 100_500])  # pandas' writer and DuckDB's (from 100,000 rows)
def test_published_csv_reads_back_exactly(tmp_path, n):
    ids = IDS if n == 11 else IDS + [f"{i:07d}" for i in range(n - len(IDS))]
    table = published_table(*grading(ids))
    sha = write_published(table, tmp_path)
    assert sha == file_sha256(tmp_path / "published.csv")
    assert (tmp_path / "published.csv").read_text(encoding="utf-8-sig").count("'=HYPERLINK") == 1  # CRM-safe
    make_run(tmp_path / "reports", "r-20261202T030000", table=table)
    back = read_published(entry_of(tmp_path / "reports" / "r-20261202T030000"))
    pd.testing.assert_frame_equal(back, table)


def test_an_id_with_a_line_break_reads_back_exactly(tmp_path):
    # a quoted line break: the file has more line feeds than rows, so it is not cut into blocks at any of them
    ids = IDS + ["line\nbreak", "cr\r\nlf"] + [f"{i:07d}" for i in range(100_500)]
    table = published_table(*grading(ids))
    make_run(tmp_path, "r-20261202T030000", table=table)
    back = read_published(entry_of(tmp_path / "r-20261202T030000"))
    pd.testing.assert_frame_equal(back, table)
    assert back["customer_id"].isin(["line\nbreak", "cr\r\nlf"]).sum() == 2


def test_an_empty_cell_outside_the_indicators_is_refused(tmp_path):
    table = published_table(*grading()).assign(stay=pd.array([1] * len(IDS), dtype="Int64"))
    table.loc[3, "stay"] = pd.NA
    folder = make_run(tmp_path, "r-20261202T030000", table=table)
    with pytest.raises(GovernanceError, match="cannot be read as a published grading: column 'stay' has empty cells"):
        read_published(entry_of(folder))


@pytest.fixture
def reports(tmp_path):
    """A reports folder with the right previous run (for a run graded at 1997-11-30) and decoys."""
    r = tmp_path / "reports"
    old = make_run(r, "q2-20261201T000000", as_of="1997-06-30", finished="2026-12-01T00:00:00")
    make_run(r, "q3-20261202T010000", as_of="1997-09-30", finished="2026-12-02T01:00:00")
    make_run(r, "q3-20261202T020000", as_of="1997-09-30", finished="2026-12-02T02:00:00",  # the rerun: latest
             headline="top tier holds 80 % of profit")
    make_run(r, "q3-20261202T030000-FAILED", as_of="1997-09-30", finished="2026-12-02T03:00:00", status="failed")
    make_run(r, ".q3-20261202T040000.partial", as_of="1997-09-30", finished="2026-12-02T04:00:00")
    make_run(r, "other-20261202T050000", series="other-series", as_of="1997-09-30", finished="2026-12-02T05:00:00")
    make_run(r, "q4-20261202T060000", as_of="1997-12-31", finished="2026-12-02T06:00:00")
    make_run(r, "now-20261202T070000", as_of="1997-11-30", finished="2026-12-02T07:00:00")  # the run being made
    (old / "published.csv").write_text("customer_id,tier,provisional\nc1,C,False\n", encoding="utf-8")  # tampered
    (r / "not-a-run").mkdir()
    (r / "broken-20261202T080000").mkdir()
    (r / "broken-20261202T080000" / "manifest.json").write_text("{not json", encoding="utf-8")
    return r


def test_find_previous_skips_failed_hidden_other_series_later_and_the_run_itself(reports):
    entry = find_previous(reports, "cdnow-quarterly", "1997-11-30", exclude=reports / "now-20261202T070000")
    assert entry.name == "q3-20261202T020000"
    assert (entry.series, str(entry.as_of), entry.method, entry.headline) == (
        "cdnow-quarterly", "1997-09-30", "rfm", "top tier holds 80 % of profit")
    assert read_published(entry)["customer_id"].tolist() == ["c1"]


def test_find_previous_without_exclude_takes_the_latest_on_or_before(reports):
    assert find_previous(reports, "cdnow-quarterly", "1997-11-30").name == "now-20261202T070000"
    assert find_previous(reports, "cdnow-quarterly", "1997-09-30").name == "q3-20261202T020000"
    assert find_previous(reports, "cdnow-quarterly", "1997-07-31").name == "q2-20261201T000000"
    assert find_previous(reports, "cdnow-quarterly", "1997-06-29") is None
    assert find_previous(reports, "no-such-series", "1999-01-01") is None
    assert find_previous(reports / "missing", "cdnow-quarterly", "1999-01-01") is None


def test_a_tampered_published_csv_is_refused(reports):
    entry = find_previous(reports, "cdnow-quarterly", "1997-07-31")
    with pytest.raises(GovernanceError, match="published.csv was changed after the run") as err:
        read_published(entry)
    assert "q2-20261201T000000" in str(err.value) and entry.sha256 in str(err.value)
    assert isinstance(err.value, UserError)


def test_a_published_file_with_the_wrong_row_count_is_refused(tmp_path):
    folder = make_run(tmp_path, "r-20261202T000000")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["published"]["customers"] = 2
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(GovernanceError, match="has 1 rows, the manifest records 2"):
        read_published(entry_of(folder))


def test_previous_run_names_the_folder(reports):
    entry = find_previous(reports, "cdnow-quarterly", "1997-11-30", previous_run="q2-20261201T000000")
    assert entry.name == "q2-20261201T000000"
    by_path = find_previous(reports, "cdnow-quarterly", "1997-11-30", previous_run=str(reports / "q3-20261202T010000"))
    assert by_path.name == "q3-20261202T010000"


@pytest.mark.parametrize("name, why", [
    ("q3-20261202T999999", "there is no such run folder"),
    ("q3-20261202T030000-FAILED", "it is a failed run"),
    (".q3-20261202T040000.partial", "hidden"),
    ("other-20261202T050000", "it is a run of series 'other-series', not 'cdnow-quarterly'"),
    ("q4-20261202T060000", "it graded at 1997-12-31, after this run's 1997-11-30"),
    ("now-20261202T070000", "it is the run being made"),
    ("broken-20261202T080000", "manifest.json cannot be read"),
    ("not-a-run", "it has no manifest.json"),
])
def test_previous_run_that_does_not_qualify_is_an_error_naming_it(reports, name, why):
    with pytest.raises(GovernanceError) as err:
        find_previous(reports, "cdnow-quarterly", "1997-11-30", previous_run=name,
                      exclude=reports / "now-20261202T070000")
    message = str(err.value)
    assert "previous_run" in message and repr(name) in message and why in message


def test_series_runs_lists_every_successful_run_newest_first(reports):
    names = [e.name for e in series_runs(reports)]
    assert names == ["q4-20261202T060000", "now-20261202T070000", "other-20261202T050000", "q3-20261202T020000",
                     "q3-20261202T010000", "q2-20261201T000000"]


@pytest.mark.parametrize("change", [
    {"status": "failed"}, {"series": None}, {"series": ""}, {"published": None},
    {"published": {"method": "rfm", "file": "published.csv", "sha256": "abc", "customers": 1}},
    {"published": {"method": "rfm", "file": "../published.csv", "sha256": "0" * 64, "customers": 1}},
    {"grading_as_of": "30/09/1997"}, {"finished": None},
])
def test_entry_of_is_none_for_what_is_not_a_successful_run_of_a_series(tmp_path, change):
    folder = make_run(tmp_path, "r-20261202T000000")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(change)
    manifest = {k: v for k, v in manifest.items() if v is not None}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert entry_of(folder) is None
