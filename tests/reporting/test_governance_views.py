"""segment.reporting.governance_views: the ledger's movement, drift and "identical" as the reports
show them, read from hand-made run folders in the agreed layout (manifest.json's "series",
"published", "previous"; governance/movement_summary.csv, movement_matrix.csv, drift.csv)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from IPython.display import Markdown
from nbconvert.filters.markdown_mistune import markdown2html_mistune as to_html

from segment.governance import GovernanceError
from segment.reporting import governance_views as gv
from tests.reporting.test_hostile_input import IMG, LINK, QUOTE, SCRIPT, markup_from_payloads, visible_text

TIERS = ["A", "B", "C"]
#: (movement, customers, profit): 40 up, 25 down, 3 new (a small cell), 12 lost, 200 same
SUMMARY = [("up", 40, 12345.0), ("down", 25, -678.5), ("same", 200, 99999.0), ("new", 3, 50.0), ("lost", 12, 4321.0)]


def matrix_rows(tiers: list[str]) -> list[dict]:
    """Every cell of a 3-tier matrix with (new) and (lost); cell (i, j) holds 10 i + j customers."""
    rows = []
    for i, p in enumerate([*tiers, "(new)"]):
        for j, t in enumerate([*tiers, "(lost)"]):
            n = 10 * i + j
            rows.append({"previous_tier": p, "tier": t, "customers": n, "profit": 0.0 if t == "(lost)" else 100.5 * n})
    return rows


def run_folder(tmp_path: Path, name: str = "cdnow_1997q2-20250101T000000", *, series: str | None = "cdnow-quarterly",
               previous: dict | None = None, summary=SUMMARY, tiers=TIERS, drift=True, matrix=True,
               published: bool = True) -> Path:
    """A run folder in the agreed layout; governance files only with a previous run."""
    run = tmp_path / name
    run.mkdir(parents=True)
    manifest = {"status": "ok", "series": series, "headline": "h", "previous": previous}
    if published:
        manifest["published"] = {"method": "rfm", "file": "published.csv", "sha256": "0" * 64, "customers": 280}
    (run / "manifest.json").write_text(json.dumps(manifest))
    if previous is not None:
        g = run / "governance"
        g.mkdir()
        pd.DataFrame(summary, columns=["movement", "customers", "profit"]).to_csv(g / "movement_summary.csv", index=False)
        if matrix:
            pd.DataFrame(matrix_rows(tiers)).to_csv(g / "movement_matrix.csv", index=False)
        if drift:
            pd.DataFrame({"item": ["tier", "recency_days", "profit"], "psi": [0.02, 0.15, 0.31],
                          "level": ["stable", "watch", "shifted"]}).to_csv(g / "drift.csv", index=False)
    return run


def previous(run: str = "cdnow_1997q1-20241201T000000", identical: bool = False, **more) -> dict:
    return {"run": run, "as_of": "1997-03-31", "sha256": "1" * 64, "method": "rfm", "identical": identical, **more}


def shown(ledger, unit="USD") -> str:
    """What a reader sees of the analyst section, through a real HTML parser."""
    parts = gv.since_previous_run(ledger, unit)
    pages = [to_html(p.data) if isinstance(p, Markdown) else p.to_html() for p in parts]
    return " ".join(visible_text(p) for p in pages)


def test_leadership_counts_money_and_small_cells(tmp_path):
    ledger = gv.read_ledger(run_folder(tmp_path, previous=previous()))
    page = visible_text(to_html(gv.since_last_run(ledger, "USD", min_tier_size=10)))
    assert "Since the last run, cdnow_1997q1-20241201T000000 (graded on 1997-03-31):" in page
    assert "Upgrades: 40 customers moved up a tier; their profit to date is 12,345 USD." in page
    assert "Downgrades: 25 customers moved down a tier; their profit to date is -678 USD." in page
    assert "Lost customers: 12 customers graded last time are no longer graded; at the last run their profit to date was 4,321 USD." in page
    assert "New customers: fewer than 10 customers are graded for the first time (their profit is not shown" in page
    assert "50 USD" not in page and " 3 " not in page  # the small cell: neither its count nor its money
    assert "Unchanged: 200 customers kept their tier" in page
    no_unit = visible_text(to_html(gv.since_last_run(ledger, None, min_tier_size=10)))
    assert "their profit to date is 12,345." in no_unit and "USD" not in no_unit
    for word in ("csv", "movement_summary", "manifest", "rfm", "`"):
        assert word not in page


def test_a_change_of_published_grading_is_said_on_the_leadership_page(tmp_path):
    same = visible_text(to_html(gv.since_last_run(gv.read_ledger(run_folder(tmp_path / "a", previous=previous())),
                                                  "USD", 10)))
    assert "The grading changed" not in same  # rfm then, rfm now
    ledger = gv.read_ledger(run_folder(tmp_path / "b", previous=previous(method="abc_revenue")))
    assert ledger.comparable  # the same labels: still compared, customer by customer
    page = visible_text(to_html(gv.since_last_run(ledger, "USD", 10)))
    assert ("The grading changed: the last run published the ABC by revenue (Pareto 80/20), this run the RFM score "
            "(recency, frequency, spend), so part of these moves comes from the change of rule") in page
    assert "Upgrades: 40 customers moved up a tier" in page  # the moves are still shown
    hostile = gv.read_ledger(run_folder(tmp_path / "c", previous=previous(method=SCRIPT)))
    assert markup_from_payloads(to_html(gv.since_last_run(hostile, "USD", 10))) == []  # a name from a file is text


def test_a_movement_without_customers_says_no_customer(tmp_path):
    summary = [("up", 0, 0.0), ("down", 25, 1.0), ("same", 200, 2.0)]  # new and lost absent: 0
    ledger = gv.read_ledger(run_folder(tmp_path, previous=previous(), summary=summary))
    page = visible_text(to_html(gv.since_last_run(ledger, "USD", 10)))
    assert "Upgrades: no customer moved up a tier." in page
    assert "New customers: no customer is new." in page
    assert "Lost customers: every customer graded last time is still graded." in page


def test_identical_to_the_previous_run(tmp_path):
    summary = [("up", 0, 0.0), ("down", 0, 0.0), ("same", 280, 5.0), ("new", 0, 0.0), ("lost", 0, 0.0)]
    ledger = gv.read_ledger(run_folder(tmp_path, previous=previous(identical=True), summary=summary))
    assert ledger.identical and ledger.comparable
    page = visible_text(to_html(gv.since_last_run(ledger, "USD", 10)))
    assert "identical to cdnow_1997q1-20241201T000000" in page
    assert "identical to cdnow_1997q1-20241201T000000" in shown(ledger)


def test_no_previous_run_and_no_series_and_no_run_dir(tmp_path):
    first = gv.read_ledger(run_folder(tmp_path, previous=None))
    assert not (tmp_path / "cdnow_1997q2-20250101T000000" / "governance").exists()
    assert "no earlier run of this series (cdnow-quarterly)" in gv.since_last_run(first, "USD")
    parts = gv.since_previous_run(first, "USD")
    assert len(parts) == 1 and "no earlier run of this series" in parts[0].data  # nothing but one sentence
    alone = gv.read_ledger(run_folder(tmp_path / "x", series=None, previous=None))
    assert "no earlier run of this series" in gv.since_last_run(alone, "USD")
    for empty in ("", None):
        assert gv.read_ledger(empty) is None
    assert gv.since_last_run(None, "USD") == gv.NO_RUN_DIR
    (sentence,) = gv.since_previous_run(None, "USD")
    assert "no ledger" in sentence.data
    old = gv.read_ledger(run_folder(tmp_path / "old", previous=None, published=False))
    assert not old.recorded and "records no ledger" in gv.since_last_run(old, "USD")


def test_not_comparable(tmp_path):
    prev = previous(method="abc_revenue", comparable=False)
    ledger = gv.read_ledger(run_folder(tmp_path, previous=prev, matrix=False))
    assert not ledger.comparable and ledger.matrix is None
    page = visible_text(to_html(gv.since_last_run(ledger, "USD", 10)))
    assert "the previous run published a different grading (the ABC by revenue (Pareto 80/20))" in page
    assert "Upgrades" not in page
    analyst = shown(ledger)
    assert "published a different grading" in analyst and "no movement matrix" in analyst
    assert "days since the last order" in analyst  # the drift table is still shown


def test_the_analyst_matrix_summary_and_drift(tmp_path):
    ledger = gv.read_ledger(run_folder(tmp_path, previous=previous()))
    m = gv.matrix_view(ledger.matrix, "USD")
    assert list(m.columns) == ["previous tier", "A", "B", "C", "(lost)"]
    assert list(m["previous tier"]) == ["A", "B", "C", "(new)"]
    assert m.loc[1, "C"] == "12 (1,206 USD)"  # B -> C: 12 customers, 100.5 * 12
    assert m.loc[1, "(lost)"] == "13"  # counts only: no profit at this run's date
    assert m.loc[0, "A"] == "0"  # zero cells shown
    s = gv.summary_view(ledger.summary, "USD")
    assert s.loc[4].tolist() == ["lost: graded last time, not now", "12", "4,321 USD (at the previous run)"]
    d = gv.drift_view(ledger.drift)
    assert d.values.tolist() == [["tier shares", "0.020", "stable"], ["days since the last order", "0.150", "watch"],
                                 ["profit to date", "0.310", "shifted"]]
    page = shown(ledger)
    assert "stable below 0.10, watch from 0.10 to below 0.25, shifted from 0.25" in page
    assert "Compared with the previous run of the series, cdnow_1997q1-20241201T000000 (graded on 1997-03-31), " \
           "which published the RFM score" in page
    html = [p.to_html() for p in gv.since_previous_run(ledger, "USD") if not isinstance(p, Markdown)]
    assert 'id="T_movement_matrix"' in html[0] and 'id="T_drift"' in html[-1]
    assert html == [p.to_html() for p in gv.since_previous_run(gv.read_ledger(ledger.run_dir), "USD")
                    if not isinstance(p, Markdown)]  # fixed uuids: byte-identical again
    assert max(len(c) for c in m.columns) <= 20 and m.shape[1] <= 8  # fits a 1280 px page


def test_payloads_in_run_names_and_tier_labels_stay_text(tmp_path):
    tiers = [SCRIPT, IMG, f"={LINK}"]  # a formula-looking label: the CSV may protect it with an apostrophe
    ledger_dir = run_folder(tmp_path, previous=previous(run=f"q1{IMG}{QUOTE}"), tiers=tiers)
    matrix = ledger_dir / "governance" / "movement_matrix.csv"
    table = pd.read_csv(matrix, dtype=str, keep_default_na=False)
    table[["previous_tier", "tier"]] = table[["previous_tier", "tier"]].replace({f"={LINK}": f"'={LINK}"})
    table.to_csv(matrix, index=False)
    ledger = gv.read_ledger(ledger_dir)
    assert list(dict.fromkeys(ledger.matrix["tier"]))[:3] == tiers  # the apostrophe is taken off again
    leadership = to_html(gv.since_last_run(ledger, "USD", 10))
    parts = gv.since_previous_run(ledger, "USD")
    analyst = [to_html(p.data) if isinstance(p, Markdown) else p.to_html() for p in parts]
    for page in (leadership, *analyst):
        assert markup_from_payloads(page) == []
    assert f"q1{IMG}{QUOTE}" in visible_text(leadership)
    seen = " ".join(visible_text(p) for p in analyst)
    assert SCRIPT in seen and IMG in seen and f"={LINK}" in seen and f"q1{IMG}{QUOTE}" in seen


def test_missing_files_and_bad_values_name_the_file(tmp_path):
    run = run_folder(tmp_path, previous=previous(), drift=False)
    with pytest.raises(GovernanceError, match=r"drift\.csv.*missing"):
        gv.read_ledger(run)
    run = run_folder(tmp_path / "b", previous=previous())
    pd.DataFrame({"movement": ["up"], "count": [1]}).to_csv(run / "governance" / "movement_summary.csv", index=False)
    with pytest.raises(GovernanceError, match=r"movement_summary\.csv: columns: lacks the column\(s\) customers, profit"):
        gv.read_ledger(run)
    run = run_folder(tmp_path / "c", previous={"run": "x", "as_of": "1997-03-31", "identical": "yes"})
    with pytest.raises(GovernanceError, match=r"manifest\.json: previous\.identical: must be a bool; got 'yes'"):
        gv.read_ledger(run)
    (run / "manifest.json").write_text("{not json")
    with pytest.raises(GovernanceError, match="cannot be read as JSON"):
        gv.read_ledger(run)
