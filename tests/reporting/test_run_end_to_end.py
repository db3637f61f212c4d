"""`segment run` end to end on the small real config: every output, the manifest, the
never-overwrite rule, reproducibility by hash, the ledger across reruns of a series, and the
failure path."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from segment.cli import main
from segment.reporting import execute as execute_module
from segment.pipeline import load_result
from segment.reporting.run import NotebookFailed, run_config
from segment.reporting.views import key_numbers
from tests.reporting.conftest import CONFIG, digest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_FIELDS = {"input", "rows_read", "rows_excluded", "config", "method_parameters", "packages", "git",
                   "started", "finished", "grading_as_of", "validation_origin", "assumptions", "notes", "method_notes",
                   "timings_seconds"}


def test_every_output_file_is_there(two_runs):
    _, first, _, _ = two_runs
    for name in ("index.html", "manifest.json", "tiers.csv", "tiers.parquet", "leadership_summary.html",
                 "data_audit.html", "grading_comparison.html", "validation.html",
                 "validation/leaderboard.csv", "validation/per_tier.csv", "artifacts/result.pkl", "published.csv"):
        assert (first / name).is_file(), name
    for nb in ("leadership_summary", "data_audit", "grading_comparison", "validation"):
        executed = nbformat.read(first / "notebooks" / f"{nb}.ipynb", as_version=4)
        assert executed.metadata["papermill"]["parameters"]["run_dir"]  # records its own parameters
    index = (first / "index.html").read_text()
    assert "leadership_summary.html" in index and "validation/leaderboard.csv" in index
    tiers = pd.read_parquet(first / "tiers.parquet")
    assert tiers.index.name == "customer_id" and "tier_abc_revenue" in tiers.columns


def test_manifest_fields(two_runs):
    _, first, _, _ = two_runs
    m = json.loads((first / "manifest.json").read_text())
    assert MANIFEST_FIELDS <= set(m)
    assert m["input"]["sha256"] == "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a"
    assert m["rows_read"] == 6919 and m["customers_graded"] == 2357
    assert set(m["git"]) >= {"commit", "dirty"}
    assert m["method_parameters"]["abc_revenue"]["cut_shares"] == [0.8, 0.95]
    assert m["status"] == "ok" and isinstance(m["not_graded"], dict)
    # the ledger: the quick config names no series, so nothing before it and every customer new
    assert m["series"] is None and m["previous"] is None and m["headline"].startswith("Recommended grading: ")
    assert m["published"] == {"method": m["published"]["method"], "file": "published.csv", "customers": 2357,
                              "sha256": digest(first / "published.csv"),
                              "stability": {"rules": {}, "held": 0, "review": 0}}
    published = pd.read_csv(first / "published.csv", keep_default_na=False)
    assert set(published["movement"]) == {"new"} and (published["raw_tier"] == published["tier"]).all()
    reason = published[f"reason_{m['published']['method']}"]  # the sales rep's why, for every customer
    assert (reason.str.len() > 0).all() and reason.str.startswith(tuple(published["tier"].unique())).all()
    # no previous run: no movement files; its rolling backtest (3 origins) measures the stability trade-off
    assert sorted(p.name for p in (first / "governance").iterdir()) == ["stability_tradeoff.csv"]


def test_a_rerun_never_overwrites(two_runs):
    reports, first, second, before = two_runs
    assert first != second and first.exists() and second.exists()
    after = {p.relative_to(first): digest(p) for p in first.rglob("*") if p.is_file()}
    assert after == before
    assert not list(reports.glob(".*partial"))  # nothing half-written left behind


def test_reruns_are_reproducible(two_runs):
    """Two runs of a config without a series (so neither sees the other as its previous run)
    give the same bytes; reruns of a series: ``test_a_rerun_of_a_series_is_identical_to_the_run_before``."""
    reports, first, second, _ = two_runs
    for name in ["tiers.csv", "tiers.parquet", "published.csv",
                 *[f"validation/{p.name}" for p in (first / "validation").glob("*.csv")]]:
        assert digest(first / name) == digest(second / name), name
    # the HTML differs only in recorded times: the run folder's timestamp (shown in the
    # analyst versions' parameter cell)
    def without_times(path: Path) -> str:
        return re.sub(r"\d{8}T\d{6}(-\d+)?", "<time>", path.read_text())

    for html in ("leadership_summary.html", "validation.html", "grading_comparison.html", "data_audit.html"):
        assert without_times(first / html) == without_times(second / html), html
    index = (reports / "index.html").read_text(encoding="utf-8")  # the reports index lists both, newest first
    assert index.index(f">{second.name}<") < index.index(f">{first.name}<")


def test_a_rerun_of_a_series_is_identical_to_the_run_before(two_runs, tmp_path, kernels):
    """With a series the second run's previous run is the first: it says identical, publishes
    the same grading (tiers, flags, indicators) and reproduces every other table; a third run
    (whose run before is a rerun too) reproduces the second's published.csv byte for byte."""
    import yaml

    _, alone, _, _ = two_runs
    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["series"] = "quick-series"
    cfg["report"]["notebooks"] = ["leadership_summary"]  # the tables do not depend on the notebooks
    config = tmp_path / "quick.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    reports = tmp_path / "reports"
    runs = [run_config(config, reports, progress=lambda m: None, pool=kernels) for _ in range(3)]
    manifests = [json.loads((r / "manifest.json").read_text()) for r in runs]
    assert manifests[0]["previous"] is None and manifests[0]["series"] == "quick-series"
    assert digest(runs[0] / "published.csv") == digest(alone / "published.csv")  # first of its series: all new
    for before, after, m in zip(runs, runs[1:], manifests[1:]):
        assert m["previous"] == {"run": before.name, "as_of": "1997-09-30", "sha256": digest(before / "published.csv"),
                                 "method": m["published"]["method"], "identical": True, "comparable": True}
        for name in ["tiers.csv", *[f"validation/{p.name}" for p in (alone / "validation").glob("*.csv")
                                    if p.name != "capacity_differences.csv"]]:
            assert digest(after / name) == digest(alone / name), name
        # a run with a run before compares with the grading in use too: the same rows plus 'published'
        diffs = [pd.read_csv(r / "validation" / "capacity_differences.csv") for r in (alone, after)]
        assert "published" not in set(diffs[0]["reference"]) and "published" in set(diffs[1]["reference"])
        pd.testing.assert_frame_equal(diffs[1][diffs[1]["reference"] != "published"].reset_index(drop=True), diffs[0])
    grading = ["customer_id", "tier", "provisional", "recency_days", "frequency", "monetary_total", "profit"]
    first, second = (pd.read_csv(r / "published.csv", dtype=str, keep_default_na=False) for r in runs[:2])
    assert first[grading].equals(second[grading]) and set(second["movement"]) == {"same"}
    assert digest(runs[2] / "published.csv") == digest(runs[1] / "published.csv")
    drift = pd.read_csv(runs[1] / "governance" / "drift.csv")
    assert set(drift["level"]) == {"stable"} and drift["psi"].max() < 1e-9
    matrix = pd.read_csv(runs[1] / "governance" / "movement_matrix.csv", keep_default_na=False)
    labels = matrix["previous_tier"].nunique() - 1  # the method's tier labels (an empty tier included)
    assert matrix["customers"].sum() == 2357 and len(matrix) == (labels + 1) ** 2  # zero cells, (new), (lost) too
    moved = matrix[matrix["customers"] > 0]
    assert (moved["previous_tier"] == moved["tier"]).all() and len(moved) == second["tier"].nunique()  # nobody moved
    page = html.unescape((runs[1] / "leadership_summary.html").read_text(encoding="utf-8"))  # read from the ledger
    assert f"identical to {runs[0].name}" in page
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "Series quick-series" in index and f"identical to {runs[1].name}" in index
    assert index.index(f">{runs[2].name}<") < index.index(f">{runs[1].name}<") < index.index(f">{runs[0].name}<")


def test_a_ledger_error_is_the_users_and_keeps_the_run_failed(tmp_path, capsys):
    """A previous published.csv changed after its run: one line naming the file, exit status 2,
    the run kept as -FAILED with error.txt, and no new run in the reports index."""
    from tests.governance.conftest import make_run

    reports = tmp_path / "reports"
    old = make_run(reports, "quick-cdnow-sample-old", series="quick-series", as_of="1997-06-30")
    with open(old / "published.csv", "a", encoding="utf-8") as fh:
        fh.write("c9,A,False,1,1,1,1\n")
    code = main(["run", "--config", str(CONFIG), "--reports-dir", str(reports), "--quiet", "--set", "series=quick-series",
                 "--set", "report={notebooks: [data_audit]}"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip() == (f"{old / 'published.csv'}: sha256: published.csv was changed after the run: the manifest "
                           f"records sha256 {json.loads((old / 'manifest.json').read_text())['published']['sha256']}, "
                           f"the file has {digest(old / 'published.csv')}")
    failed = list(reports.glob("*-FAILED"))
    assert len(failed) == 1 and "published.csv was changed" in (failed[0] / "error.txt").read_text()
    assert json.loads((failed[0] / "manifest.json").read_text())["status"] == "failed"


EXPECTED_KEY_NUMBERS = Path(__file__).with_name("expected_key_numbers.txt")


def test_key_numbers_do_not_drift(two_runs):
    """The validation report's key figures for the quick CDNOW config equal the pinned ones;
    after a deliberate change (a new method, a changed default) update
    tests/reporting/expected_key_numbers.txt with what the validation report now prints."""
    _, first, _, _ = two_runs
    got = key_numbers(load_result(first / "artifacts" / "result.pkl"))
    assert got == EXPECTED_KEY_NUMBERS.read_text(encoding="utf-8").rstrip("\n")
    printed = nbformat.read(first / "notebooks" / "validation.ipynb", as_version=4)
    assert any(got in "".join(o.get("text", "") for o in c.get("outputs", [])) for c in printed.cells)


def test_csv_cells_cannot_run_as_formulas():
    from segment.export import neutralise_formulas

    df = pd.DataFrame({"customer_id": ["=HYPERLINK(1)", "+1", "-2", "@x", "ok", None], "n": [1, 2, 3, 4, 5, 6]})
    out = neutralise_formulas(df)
    assert list(out["customer_id"][:5]) == ["'=HYPERLINK(1)", "'+1", "'-2", "'@x", "ok"]
    assert pd.isna(out["customer_id"].iloc[5]) and list(out["n"]) == [1, 2, 3, 4, 5, 6]
    tiers = pd.DataFrame({"tier": pd.Categorical(["=A", "B", "=A"], categories=["=A", "B"], ordered=True)},
                         index=pd.Index(["=cmd|' /C calc'!A0", "ok", "+3"], name="customer_id"))
    out = neutralise_formulas(tiers)
    assert list(out["tier"].astype(str)) == ["'=A", "B", "'=A"] and out["tier"].cat.ordered
    assert list(out.index) == ["'=cmd|' /C calc'!A0", "ok", "'+3"] and out.index.name == "customer_id"


def test_a_failing_notebook_stops_the_run_and_keeps_the_evidence(tmp_path, monkeypatch, kernels):
    nbdir = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", nbdir)
    nb = nbformat.read(nbdir / "leadership_summary.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('planted failure')"))
    nbformat.write(nb, nbdir / "leadership_summary.ipynb")
    monkeypatch.setattr(execute_module, "NOTEBOOK_DIR", nbdir)
    reports = tmp_path / "reports"
    with pytest.raises(NotebookFailed, match="leadership_summary failed in cell .*planted failure.*-FAILED"):
        run_config(CONFIG, reports, progress=lambda m: None, pool=kernels)
    failed = list(reports.glob("*-FAILED"))
    assert len(failed) == 1 and not list(reports.glob("quick-cdnow-sample-2*[0-9]"))
    kept = nbformat.read(failed[0] / "notebooks" / "leadership_summary.ipynb", as_version=4)
    assert any(o.get("ename") == "RuntimeError" for c in kept.cells for o in c.get("outputs", []))
    error = (failed[0] / "error.txt").read_text()  # the message (naming the kept folder), then the traceback
    assert "planted failure" in error and str(failed[0]) in error and "Traceback (most recent call last)" in error
    m = json.loads((failed[0] / "manifest.json").read_text())
    assert m["status"] == "failed" and "planted failure" in m["error"] and m["rows_read"] == 6919
    # every kept notebook (the failed one too) records the folder it is in, which exists
    for path in sorted((failed[0] / "notebooks").glob("*.ipynb")):
        executed = nbformat.read(path, as_version=4)
        assert executed.metadata["papermill"]["parameters"]["run_dir"] == str(failed[0]), path.name
        injected = [c.source for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert f'run_dir = "{failed[0]}"\n' in injected[0], path.name
    page = (failed[0] / "data_audit.html").read_text(encoding="utf-8")
    assert str(failed[0]) in html.unescape(page) and ".partial" not in page
    import papermill as pm  # a kept notebook of the failed run runs again where it is

    kept = failed[0] / "notebooks" / "data_audit.ipynb"
    pm.execute_notebook(str(kept), str(tmp_path / "again.ipynb"), kernel_name="python3", cwd=str(tmp_path),
                        parameters=dict(nbformat.read(kept, as_version=4).metadata["papermill"]["parameters"]),
                        progress_bar=False)
    assert main(["run", "--config", str(CONFIG), "--reports-dir", str(reports), "--quiet"]) == 1


def test_cli_help_and_bad_config(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--help"])
    assert exc.value.code == 0 and "--config" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("output_name: x\n")
    assert main(["run", "--config", str(bad), "--reports-dir", str(tmp_path)]) == 2
    assert "is required" in capsys.readouterr().err


def test_freed_memory_goes_back_to_the_system():
    """What a run relies on after its pipeline, with glibc's own allocation policy (no forced
    mmap threshold since 2026-12-03): columns of a few million values, freed, are not kept by the
    process once release_freed_memory has run -- also after glibc's mmap threshold has grown past
    their size (a column that size was freed first, as in a run), when they come from its heap."""
    import platform

    import numpy as np
    import psutil

    from segment.process import release_freed_memory

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    first = np.ones(2_400_000)
    del first  # freed once: later columns of this size go to the heap
    me = psutil.Process()
    before = me.memory_info().rss
    columns = [np.ones(2_300_000) for _ in range(40)]  # 40 columns of 18 MB, under the grown threshold
    held = me.memory_info().rss
    del columns
    release_freed_memory()
    assert held - before > 600 * 2**20
    assert me.memory_info().rss - before < 100 * 2**20


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text of <title>, of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.title, self._in_title = "", False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def test_every_report_is_offline_and_titled(two_runs):
    """Opening a report makes no network request (no src/href to another host, no CSS import
    from one), and its <title> names the report and the run."""
    from segment.reporting.notebooks import NOTEBOOKS

    _, first, _, _ = two_runs
    pages = sorted(first.glob("*.html"))
    assert {p.stem for p in pages} == {"index", "leadership_summary", "data_audit", "grading_comparison", "validation"}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        parsed = _Page()
        parsed.feed(text)
        external = [(tag, k, v) for tag, attrs in parsed.tags for k, v in attrs
                    if k in ("src", "href", "data") and v and re.match(r"\s*(https?:)?//", v, re.I)]
        assert external == [], (page.name, external)
        assert not re.search(r"@import\s+(url\()?\s*['\"]?(https?:)?//", text, re.I), page.name
        title = "segment run: quick-cdnow-sample" if page.stem == "index" else \
            f"{NOTEBOOKS[page.stem][0]} — quick-cdnow-sample"
        assert parsed.title == title, page.name


def _texts(notebook) -> list[str]:
    """The text every cell printed or displayed, in order (figures left out; object addresses
    in a repr, ``<Styler at 0x…>``, differ from one kernel to the next)."""
    return [re.sub(r" at 0x[0-9a-f]+>", " at 0x…>", o.get("text", "") if o.get("output_type") == "stream" else
                   "".join(str(v) for k, v in sorted(o.get("data", {}).items()) if k.startswith("text/")))
            for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_a_kept_notebook_runs_again_on_the_finished_folder(two_runs, tmp_path):
    """The executed notebooks record the finished folder as run_dir, not the hidden .partial
    folder they ran in (renamed at the end); the analyst pages show that value, and a kept
    notebook runs again, with the parameters it records, on the finished folder."""
    import html

    import papermill as pm

    _, first, _, _ = two_runs
    for path in sorted((first / "notebooks").glob("*.ipynb")):
        executed = nbformat.read(path, as_version=4)
        assert executed.metadata["papermill"]["parameters"]["run_dir"] == str(first), path.name
        assert executed.metadata["papermill"]["output_path"] == str(path), path.name
        injected = [c.source for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and f'run_dir = "{first}"\n' in injected[0], path.name
        assert ".partial" not in path.read_text(encoding="utf-8"), path.name
    for page in ("data_audit", "grading_comparison", "validation"):  # analyst pages show the injected cell
        text = html.unescape(re.sub(r"<[^>]+>", "", (first / f"{page}.html").read_text(encoding="utf-8")))
        assert f'run_dir = "{first}"' in text and ".partial" not in text, page
    kept = first / "notebooks" / "leadership_summary.ipynb"
    recorded = nbformat.read(kept, as_version=4)
    again = tmp_path / "leadership_summary.ipynb"
    pm.execute_notebook(str(kept), str(again), parameters=dict(recorded.metadata["papermill"]["parameters"]),
                        kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    rerun = nbformat.read(again, as_version=4)
    assert rerun.metadata["papermill"]["parameters"]["run_dir"] == str(first)
    assert _texts(rerun) == _texts(recorded)  # the same result, read from the finished folder


def test_a_final_name_taken_meanwhile_is_recorded_where_the_run_went(tmp_path, monkeypatch, kernels):
    """Something other than a run takes the reserved name before the end: the run goes to a
    free name, and its notebooks and pages record that one (nothing is overwritten)."""
    import html

    import yaml

    from segment.reporting import run as run_module

    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["report"] = {"notebooks": ["data_audit"]}  # (data_audit takes no other report: setting)
    config = tmp_path / "quick.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    real_write_index = run_module.write_index

    def write_index_then_take_the_name(folder, *args):
        real_write_index(folder, *args)
        (folder.parent / folder.name.removeprefix(".").removesuffix(".partial")).mkdir()  # made by hand

    monkeypatch.setattr(run_module, "write_index", write_index_then_take_the_name)
    final = run_config(config, tmp_path / "reports", progress=lambda m: None, pool=kernels)
    taken = [p for p in (tmp_path / "reports").iterdir() if p not in (final, tmp_path / "reports" / "index.html")]
    assert len(taken) == 1 and list(taken[0].iterdir()) == [] and final.name == f"{taken[0].name}-2"
    executed = nbformat.read(final / "notebooks" / "data_audit.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["run_dir"] == str(final)
    text = html.unescape(re.sub(r"<[^>]+>", "", (final / "data_audit.html").read_text(encoding="utf-8")))
    assert f'run_dir = "{final}"' in text and f'run_dir = "{taken[0]}"' not in text


def test_report_all_makes_the_runs_of_a_series_in_order(tmp_path, kernels):
    """In one process the next config computes while the last one's notebooks run; a run of a
    series still finds the run started before it (that one is finished first), and both show
    in the reports index."""
    import yaml

    from segment.reporting.run import run_configs

    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["series"] = "quick-series"
    cfg["report"] = {"notebooks": ["data_audit"]}
    config = tmp_path / "quick.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    outcomes = run_configs([config, config], tmp_path / "reports", progress=lambda m: None, pool=kernels)
    assert [e for _, _, e in outcomes] == [None, None]
    first, second = (final for _, final, _ in outcomes)
    previous = json.loads((second / "manifest.json").read_text())["previous"]
    assert previous["run"] == first.name and previous["identical"] is True
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert f"identical to {first.name}" in index


def test_the_validation_page_lists_the_first_flagged_customers_and_says_how_many_there_are(two_runs):
    """The recommended method's early-warning list on the analyst page: at most ``LIST_ROWS`` rows,
    the most profitable first, and when there are more, a sentence with the count and the CSV."""
    from segment.reporting.tables import LIST_ROWS

    _, first, _, _ = two_runs
    recommended = load_result(first / "artifacts" / "result.pkl").validation.recommended.method
    flagged = pd.read_csv(first / "validation" / "early_warning.csv", keep_default_na=False, dtype={"customer_id": str})
    flagged = flagged[flagged["method"] == recommended]

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.rows = False, []

        def handle_starttag(self, tag, attrs):
            if tag == "table" and dict(attrs).get("id") == "T_early_warning":
                self.inside = True
            elif self.inside and tag == "tr":
                self.rows.append([])

        def handle_endtag(self, tag):
            self.inside = self.inside and tag != "table"

        def handle_data(self, data):
            if self.inside and self.rows and data.strip():
                self.rows[-1].append(data.strip())

    page = (first / "validation.html").read_text(encoding="utf-8")
    parser = Rows()
    parser.feed(page)
    body = parser.rows[1:]  # the header row first
    assert len(flagged) > 0 and len(body) == min(LIST_ROWS, len(flagged))
    assert [r[1] for r in body] == flagged["customer_id"].head(LIST_ROWS).tolist()
    said = f"The first {LIST_ROWS:,} of {len(flagged):,} rows, most profit first"
    assert (said in html.unescape(page)) == (len(flagged) > LIST_ROWS)
