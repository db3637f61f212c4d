"""segment.reporting.series_index: reports/index.html lists every successful run by series,
newest first, escaped, with relative percent-encoded links; failed, hidden and broken folders
are left out."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from segment.methods.registry import display_name
from segment.reporting.series_index import indexed_runs, write_series_index
from tests.governance.conftest import make_run
from tests.reporting.test_hostile_input import IMG, QUOTE, SCRIPT, markup_from_payloads, visible_text


class _Index(HTMLParser):
    """The page's title, its h2 headings, and per table the rows' cell texts and links."""

    def __init__(self) -> None:
        super().__init__()
        self.title, self.headings, self.tables, self.links = "", [], [], []
        self._where: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("title", "h2"):
            self._where = tag
            if tag == "h2":
                self.headings.append("")
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag == "td":
            self._cell = []
        elif tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("title", "h2"):
            self._where = None
        elif tag == "td" and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._where == "title":
            self.title += data
        elif self._where == "h2":
            self.headings[-1] += data
        if self._cell is not None:
            self._cell.append(data)


def summary(folder, up=1, down=2, same=3, new=4, lost=5):
    (folder / "governance").mkdir()
    rows = "\n".join(f"{m},{n},{n * 10.0}" for m, n in
                     (("up", up), ("down", down), ("same", same), ("new", new), ("lost", lost)))
    (folder / "governance" / "movement_summary.csv").write_text(f"movement,customers,profit\n{rows}\n",
                                                                encoding="utf-8")


def previous(run, identical=False, comparable=True, method="rfm"):
    return {"run": run, "as_of": "1997-09-30", "sha256": "0" * 64, "method": method, "identical": identical,
            "comparable": comparable}


def reports_folder(tmp_path):
    reports = tmp_path / "reports"
    make_run(reports, "q1", as_of="1997-03-31", headline="First headline.", previous=None,
             notebooks=["leadership_summary", "validation"])
    (reports / "q1" / "leadership_summary.html").write_text("x")
    q2 = make_run(reports, "q2", as_of="1997-06-30", headline="Second headline.", previous=previous("q1"))
    summary(q2)
    make_run(reports, "q2-rerun", as_of="1997-06-30", finished="2026-12-02T05:00:00", headline="Rerun.",
             previous=previous("q2", identical=True))
    make_run(reports, "q3-FAILED", as_of="1997-09-30", headline="failed")
    make_run(reports, ".q3.partial", as_of="1997-09-30", headline="hidden")
    make_run(reports, "q3-crashed", as_of="1997-09-30", status="failed", headline="crashed")
    make_run(reports, f"odd{IMG}{QUOTE}", series=f"s{SCRIPT}", method="kmeans", headline=f"H{QUOTE}",
             previous=previous("x", comparable=False, method="abc_revenue"), git={"dirty": True})
    loose = make_run(reports, "loose", series="cdnow-quarterly", as_of="1998-03-31", previous=None)
    manifest = json.loads((loose / "manifest.json").read_text())
    manifest["series"] = None
    (loose / "manifest.json").write_text(json.dumps(manifest))
    (reports / "broken").mkdir()
    (reports / "broken" / "manifest.json").write_text("{not json")
    return reports


def test_runs_by_series_newest_first_and_no_series_last(tmp_path):
    reports = reports_folder(tmp_path)
    by_series = indexed_runs(reports)
    assert list(by_series) == ["cdnow-quarterly", f"s{SCRIPT}", None]
    assert [r.name for r in by_series["cdnow-quarterly"]] == ["q2-rerun", "q2", "q1"]
    assert [r.movement for r in by_series["cdnow-quarterly"]] == ["identical to q2", "1 up, 2 down, 4 new, 5 lost",
                                                                  "first run of the series"]
    assert by_series[None][0].movement == "no series"
    odd = by_series[f"s{SCRIPT}"][0]
    assert odd.movement == f"not comparable: the run before published {display_name('abc_revenue')}"
    assert odd.status == "ok, made from uncommitted code"
    assert by_series["cdnow-quarterly"][2].pages == (("Leadership summary", "leadership_summary.html"),)


def test_the_page_is_escaped_titled_offline_and_links_relative(tmp_path):
    reports = reports_folder(tmp_path)
    path = write_series_index(reports)
    assert path == reports / "index.html" and not list(reports.glob(".*.tmp"))
    text = path.read_text(encoding="utf-8")
    assert markup_from_payloads(text) == []
    parsed = _Index()
    parsed.feed(text)
    assert parsed.title == "segment runs by series"
    assert parsed.headings == ["Series cdnow-quarterly", f"Series s{SCRIPT}", "(no series)"]
    quarterly = parsed.tables[0][1:]  # (the first row is the header)
    assert [row[0].split("Leadership")[0] for row in quarterly] == ["q2-rerun", "q2", "q1"]
    assert quarterly[1][1:] == ["1997-06-30", display_name("rfm"), "Second headline.", "1 up, 2 down, 4 new, 5 lost",
                                "ok"]
    assert parsed.tables[1][1][0] == f"odd{IMG}{QUOTE}" and parsed.tables[1][1][3] == f"H{QUOTE}"
    assert all(not link.startswith(("/", "http", "javascript")) and ":" not in link for link in parsed.links)
    assert "odd%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%22%20onmouseover%3D%22alert%281%29/index.html" in parsed.links
    assert "q1/leadership_summary.html" in parsed.links and "q1/validation.html" not in parsed.links  # not made
    assert "failed" not in visible_text(text).split() and "hidden" not in text and "crashed" not in text


def test_an_empty_or_missing_reports_folder(tmp_path):
    assert indexed_runs(tmp_path / "none") == {}
    assert "No successful run yet." in write_series_index(tmp_path / "empty").read_text(encoding="utf-8")


def test_the_movement_says_when_the_run_before_published_another_method(tmp_path):
    reports = tmp_path / "reports"
    make_run(reports, "q1", as_of="1997-03-31", method="abc_revenue", previous=None)
    q2 = make_run(reports, "q2", as_of="1997-06-30", method="rfm", previous=previous("q1", method="abc_revenue"))
    summary(q2)
    q3 = make_run(reports, "q3", as_of="1997-09-30", method="rfm", previous=previous("q2", method="rfm"))
    summary(q3)
    moves = [r.movement for r in indexed_runs(reports)["cdnow-quarterly"]]
    assert moves == ["1 up, 2 down, 4 new, 5 lost",
                     f"1 up, 2 down, 4 new, 5 lost (the run before published {display_name('abc_revenue')})",
                     "first run of the series"]
