"""`segment run` / `report-all` when something goes wrong: a config error leaves no folder; a
run that fails once its folder exists leaves `-FAILED` with error.txt and the manifest so
far; an interrupt (SIGINT, during the pipeline or the notebooks) leaves only the hidden
`.partial` folder; a full or read-only reports folder is a ReportsFolderError naming the
folder; no `*.tmp` survives. And the config's `report:` settings reach the notebooks."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from segment import export, runner
from segment.config import RunConfig
from segment.errors import ReportsFolderError, UserError
from segment.reporting import execute as execute_module
from segment.reporting import run as run_module
from segment.reporting.run import run_config, run_configs
from tests.reporting.conftest import CONFIG

ROOT = Path(__file__).resolve().parents[2]
QUIET = {"progress": lambda m: None}


def everything(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


def leftovers(folder: Path) -> list[Path]:
    return [p for p in everything(folder) if p.name.endswith((".tmp", ".tmp.body"))]


def config_file(tmp_path: Path, name: str = "quick.yaml", **changes) -> Path:
    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["report"] = {**cfg["report"], "notebooks": ["leadership_summary"]}
    for key, value in changes.items():
        cfg[key] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.fixture()
def sigint_raises():
    """SIGINT raises KeyboardInterrupt in the main thread, as in `segment run` at a terminal."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach only the main thread")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_config_error_leaves_no_folder(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("output_name: x\n")
    with pytest.raises(UserError):
        run_config(bad, tmp_path / "reports", **QUIET)
    assert everything(tmp_path / "reports") == []


@pytest.mark.parametrize("name", ["../escaped", "./../escaped-run", "/abs/path", "a/b", ".hidden", ""])
def test_the_run_folder_is_never_outside_the_reports_folder(tmp_path, name):
    """The config check refuses such names; the run folder refuses them too, before any work."""
    config = dataclasses.replace(RunConfig.from_yaml(CONFIG), output_name=name)
    (tmp_path / "reports").mkdir()
    with pytest.raises(ValueError, match="output_name"):
        run_config(config, tmp_path / "reports", **QUIET)
    assert [p.name for p in everything(tmp_path)] == ["reports"]
    assert not Path("/abs").exists()


def test_a_failure_after_loading_leaves_failed_with_error_txt_and_the_manifest_so_far(tmp_path, monkeypatch, kernels):
    def planted(*args, **kwargs):
        raise RuntimeError("planted failure in the features")

    monkeypatch.setattr(runner, "build_features", planted)
    reports = tmp_path / "reports"
    with pytest.raises(RuntimeError, match="planted failure"):
        run_config(config_file(tmp_path), reports, **QUIET, pool=kernels)
    [failed] = list(reports.iterdir())
    assert failed.name.endswith("-FAILED")
    text = (failed / "error.txt").read_text()
    assert text.startswith("planted failure in the features\n") and "Traceback (most recent call last)" in text
    m = json.loads((failed / "manifest.json").read_text())
    assert m["status"] == "failed" and m["error"] == "RuntimeError: planted failure in the features"
    assert m["config"]["as_of"] == "1997-09-30" and m["started"] and m["output_name"] == "quick-cdnow-sample"
    assert m["input"]["sha256"] == "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a"
    assert m["rows_read"] == 6919


def test_a_full_disk_while_writing_the_tables_is_a_reports_folder_error(tmp_path, monkeypatch, kernels):
    real_write_csv = export.write_csv

    def fills_the_disk(df, path, **kwargs):
        if Path(path).name.startswith(".tiers.csv"):
            Path(path).write_text("customer_id,tier_abc\nc1,A\n")  # part of the file, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write_csv(df, path, **kwargs)

    monkeypatch.setattr(export, "write_csv", fills_the_disk)
    reports = tmp_path / "reports"
    with pytest.raises(ReportsFolderError) as caught:
        run_config(config_file(tmp_path), reports, **QUIET, pool=kernels)
    err = caught.value
    [failed] = list(reports.iterdir())
    assert failed.name.endswith("-FAILED") and err.problems[0].where == str(failed)
    assert "cannot write the run folder: No space left on device" in str(err)
    assert not leftovers(tmp_path)  # the half-written .tiers.csv.tmp is gone
    assert str(err) in (failed / "error.txt").read_text()
    m = json.loads((failed / "manifest.json").read_text())
    assert m["status"] == "failed" and m["rows_read"] == 6919
    assert (failed / "artifacts" / "result.pkl").is_file()  # written before the disk filled: kept


def test_a_read_only_reports_folder_is_a_reports_folder_error(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(0o555)
    try:
        if os.access(reports, os.W_OK):
            pytest.skip("running as root: a read-only mode does not stop writing (tests/test_runs.py "
                        "covers the failure by raising it)")
        with pytest.raises(ReportsFolderError, match=f"{reports}: cannot create the run folder"):
            run_config(config_file(tmp_path), reports, **QUIET)
        assert everything(reports) == []
    finally:
        reports.chmod(0o755)


def test_a_reports_folder_that_cannot_be_made_is_a_reports_folder_error(tmp_path, kernels):
    (tmp_path / "reports").write_text("a file, not a folder")
    with pytest.raises(ReportsFolderError, match="cannot create the run folder"):
        run_config(config_file(tmp_path), tmp_path / "reports", **QUIET, pool=kernels)


def test_sigint_during_the_pipeline_leaves_only_the_hidden_partial_folder(tmp_path, monkeypatch, sigint_raises):
    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(30)  # the signal arrives here
        raise AssertionError("SIGINT did not interrupt")

    monkeypatch.setattr(run_module, "run_pipeline", interrupted)
    reports = tmp_path / "reports"
    with pytest.raises(KeyboardInterrupt):
        run_config(config_file(tmp_path), reports, **QUIET)
    [partial] = list(reports.iterdir())
    assert partial.name.startswith(".quick-cdnow-sample-") and partial.name.endswith(".partial")
    assert "interrupted" in (partial / "error.txt").read_text()
    assert json.loads((partial / "manifest.json").read_text())["status"] == "interrupted"


def test_sigint_during_the_notebooks_interrupts_them_and_leaves_only_the_partial_folder(
        tmp_path, monkeypatch, sigint_raises):
    nbdir = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", nbdir)
    started = tmp_path / "notebook-started"
    nb = nbformat.read(nbdir / "leadership_summary.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"import time\nopen({str(started)!r}, 'w').close()\ntime.sleep(300)"))
    nbformat.write(nb, nbdir / "leadership_summary.ipynb")
    monkeypatch.setattr(execute_module, "NOTEBOOK_DIR", nbdir)
    sent: list[float] = []

    def press_ctrl_c() -> None:
        deadline = time.monotonic() + 240
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    reports = tmp_path / "reports"
    with pytest.raises(KeyboardInterrupt):
        run_config(config_file(tmp_path), reports, **QUIET)
    assert started.exists() and time.monotonic() - sent[0] < 60  # the sleeping cell was interrupted
    [partial] = list(reports.iterdir())
    assert partial.name.startswith(".") and partial.name.endswith(".partial")
    assert "interrupted" in (partial / "error.txt").read_text()
    assert json.loads((partial / "manifest.json").read_text())["status"] == "interrupted"
    assert (partial / "tiers.csv").is_file() and not leftovers(reports)
    kept = nbformat.read(partial / "notebooks" / "leadership_summary.ipynb", as_version=4)
    assert any(o.get("ename") == "KeyboardInterrupt" for c in kept.cells for o in c.get("outputs", []))


def test_report_settings_reach_the_notebooks_and_report_all_goes_on_after_a_failing_run(tmp_path, monkeypatch, kernels):
    real = run_module.run_pipeline

    def fails_for_broken(config, **kwargs):
        if config.output_name == "broken":
            raise RuntimeError("planted failure of one config")
        return real(config, **kwargs)

    monkeypatch.setattr(run_module, "run_pipeline", fails_for_broken)
    broken = config_file(tmp_path, "broken.yaml", output_name="broken")
    cfg = yaml.safe_load(CONFIG.read_text())
    good = config_file(tmp_path, "good.yaml", report={"min_tier_size": 12345, "notebooks": ["leadership_summary"]})
    assert cfg["report"]["min_tier_size"] != 12345
    reports = tmp_path / "reports"
    outcomes = run_configs([broken, good], reports, **QUIET, pool=kernels)
    (_, none, error), (_, final, ok) = outcomes
    assert none is None and "planted failure of one config" in str(error) and ok is None
    [failed] = reports.glob("broken-*-FAILED")
    assert "planted failure of one config" in (failed / "error.txt").read_text()
    executed = nbformat.read(final / "notebooks" / "leadership_summary.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["min_tier_size"] == 12345
    assert executed.metadata["papermill"]["parameters"]["run_dir"]
    assert "notebooks" not in executed.metadata["papermill"]["parameters"]
    m = json.loads((final / "manifest.json").read_text())
    assert m["status"] == "ok" and isinstance(m["not_graded"], dict) and m["config"]["report"]["min_tier_size"] == 12345
    assert not leftovers(reports) and not list(reports.glob(".*partial"))


def test_sigint_in_report_all_leaves_every_started_run_hidden_and_saying_so(tmp_path, sigint_raises):
    first, second = config_file(tmp_path, "first.yaml"), config_file(tmp_path, "second.yaml", output_name="second")
    reports = tmp_path / "reports"

    def progress(message: str) -> None:
        if "run second: working in" in message:  # the first run's notebooks are queued or running
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)
            raise AssertionError("SIGINT did not interrupt")

    with pytest.raises(KeyboardInterrupt):
        run_configs([first, second, first], reports, progress=progress)
    folders = sorted(reports.iterdir())
    assert [f.name.split("-")[0] for f in folders] == [".quick", ".second"]
    assert all(f.name.endswith(".partial") for f in folders)
    for folder in folders:
        assert "interrupted" in (folder / "error.txt").read_text()
        assert json.loads((folder / "manifest.json").read_text())["status"] == "interrupted"
    assert (folders[0] / "tiers.csv").is_file() and not leftovers(reports)
