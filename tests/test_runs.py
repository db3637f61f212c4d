"""Run folders (segment.runs): plain names only, always inside the reports folder; a failed
run keeps its evidence (error.txt, manifest so far) as -FAILED, an interrupted one stays a
hidden .partial; no half-written *.tmp survives; an unwritable or full reports folder is the
user's ReportsFolderError."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from segment.errors import ReportsFolderError, UserError
from segment.export import atomic_write
from segment.runs import RunFolder, plain_name_problem, write_failure

STAMP = "20240101T000000"


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("name", ["../escaped", "./../escaped-run", "/abs/path", "a/b", ".hidden", "", "..", ".",
                                  "a\\b", "with space", "x\x00y", None])
def test_a_name_that_is_not_plain_is_refused(tmp_path, name):
    assert plain_name_problem(name) is not None
    with pytest.raises(ValueError, match="output_name"):
        RunFolder(tmp_path / "reports", name)
    assert entries(tmp_path) == []  # nothing created, nowhere


@pytest.mark.parametrize("name", ["quick-cdnow-sample", "run_1.2", "a..b", "Q3-2024", "客户分级"])
def test_a_plain_name_gives_a_folder_inside_the_parent(tmp_path, name):
    assert plain_name_problem(name) is None
    with RunFolder(tmp_path, name, stamp=STAMP) as run:
        assert run.tmp.parent == tmp_path and run.tmp.name.startswith(".")
    assert run.final == tmp_path / f"{name}-{STAMP}" and entries(tmp_path) == [run.final.name]


def test_the_run_folder_is_inside_the_parent_even_through_a_symlinked_parent(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with RunFolder(tmp_path / "link", "ok", stamp=STAMP) as run:
        pass
    assert run.final.resolve().parent == real.resolve()


def test_a_failure_keeps_error_txt_and_the_manifest_so_far(tmp_path):
    run = RunFolder(tmp_path, "r", stamp=STAMP).__enter__()
    (run.tmp / "tiers.csv").write_text("half")
    try:
        raise RuntimeError("planted failure\nsecond line")
    except RuntimeError as exc:
        assert run.fail(exc, {"config": {"as_of": "1997-09-30"}, "started": "2024-01-01T00:00:00"}) is exc
    assert entries(tmp_path) == [f"r-{STAMP}-FAILED"] and run.failed == tmp_path / f"r-{STAMP}-FAILED"
    text = (run.failed / "error.txt").read_text()
    assert text.startswith("planted failure\nsecond line\n") and "Traceback (most recent call last)" in text
    m = json.loads((run.failed / "manifest.json").read_text())
    assert m["status"] == "failed" and m["error"] == "RuntimeError: planted failure; second line"
    assert m["config"] == {"as_of": "1997-09-30"} and m["started"] == "2024-01-01T00:00:00" and m["stopped"]
    assert (run.failed / "tiers.csv").read_text() == "half"  # what was written is kept


def test_the_context_manager_keeps_the_evidence_too(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with RunFolder(tmp_path, "r", stamp=STAMP):
            1 / 0
    failed = tmp_path / f"r-{STAMP}-FAILED"
    assert entries(tmp_path) == [failed.name] and set(entries(failed)) == {"error.txt", "manifest.json"}
    assert "ZeroDivisionError" in (failed / "error.txt").read_text()


def test_no_tmp_file_survives_a_failure(tmp_path):
    run = RunFolder(tmp_path, "r", stamp=STAMP).__enter__()

    def half_written(path: Path) -> None:
        path.write_text("half")
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(OSError) as caught:
        atomic_write(run.tmp / "validation" / "leaderboard.csv", half_written)
    (run.tmp / ".tiers.csv.tmp.body").write_text("duckdb's half")
    run.fail(caught.value)
    assert not [p for p in tmp_path.rglob("*") if ".tmp" in p.name]
    assert (run.failed / "error.txt").is_file()


def test_an_interrupted_run_stays_a_hidden_partial_folder(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with RunFolder(tmp_path, "r", stamp=STAMP) as run:
            (run.tmp / ".tiers.csv.tmp").write_text("half")
            raise KeyboardInterrupt
    assert entries(tmp_path) == [f".r-{STAMP}.partial"] and run.failed is None
    assert "interrupted" in (run.tmp / "error.txt").read_text()
    assert json.loads((run.tmp / "manifest.json").read_text())["status"] == "interrupted"
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EDQUOT])
def test_a_full_or_read_only_disk_while_writing_is_a_reports_folder_error(tmp_path, code):
    with pytest.raises(ReportsFolderError) as caught:
        with RunFolder(tmp_path, "r", stamp=STAMP) as run:
            (run.tmp / "artifacts").mkdir()
            raise OSError(code, os.strerror(code))  # write() on an open file: no file name
    err = caught.value
    assert isinstance(err, UserError) and isinstance(err, OSError)
    failed = tmp_path / f"r-{STAMP}-FAILED"
    assert len(err.problems) == 1 and err.problems[0].where == str(failed)
    assert f"cannot write the run folder: {os.strerror(code)}" in str(err)
    assert str(err) in (failed / "error.txt").read_text() and err.run_folder == failed
    assert json.loads((failed / "manifest.json").read_text())["error"].startswith("ReportsFolderError: ")


def test_a_permission_error_on_a_file_of_the_run_folder_is_a_reports_folder_error(tmp_path):
    with pytest.raises(ReportsFolderError, match=r"Permission denied \(writing tiers.csv\)"):
        with RunFolder(tmp_path, "r", stamp=STAMP) as run:
            raise PermissionError(errno.EACCES, "Permission denied", str(run.tmp / "tiers.csv"))


def test_a_permission_error_elsewhere_is_not_the_reports_folders(tmp_path):
    """Reading an input the user may not read is not a reports-folder problem."""
    with pytest.raises(PermissionError):
        with RunFolder(tmp_path / "reports", "r", stamp=STAMP):
            raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "orders.csv"))
    assert (tmp_path / "reports" / f"r-{STAMP}-FAILED" / "error.txt").is_file()


def test_duckdbs_own_io_error_naming_the_run_folder_counts(tmp_path):
    folder = tmp_path / ".r.partial"
    exc = RuntimeError(f'IO Error: Could not write file "{folder}/.tiers.csv.tmp.body": No space left on device')
    assert write_failure(exc, folder) == ("No space left on device", "")
    assert write_failure(RuntimeError("No space left on device"), folder) is None  # not ours to say


def test_when_the_disk_cannot_take_even_error_txt_no_empty_folder_is_left(tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ReportsFolderError, match="No space left on device") as caught:
        with RunFolder(tmp_path, "r", stamp=STAMP):
            monkeypatch.setattr(Path, "write_text", full)
            raise OSError(errno.ENOSPC, "No space left on device")
    assert entries(tmp_path) == []
    assert caught.value.problems[0].where == str(tmp_path) and caught.value.run_folder is None


def test_when_the_disk_is_full_what_there_is_stays(tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ReportsFolderError):  # the first error, not a second one over it
        with RunFolder(tmp_path, "r", stamp=STAMP) as run:
            (run.tmp / "tiers.csv").write_text("written before the disk filled")
            monkeypatch.setattr(Path, "write_text", full)
            raise OSError(errno.ENOSPC, "No space left on device")
    failed = tmp_path / f"r-{STAMP}-FAILED"
    assert entries(tmp_path) == [failed.name] and entries(failed) == ["tiers.csv"]


def test_a_reports_folder_that_cannot_be_created_is_a_reports_folder_error(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the reports folder should be")
    with pytest.raises(ReportsFolderError) as caught:
        RunFolder(blocker, "r", stamp=STAMP).__enter__()
    assert caught.value.problems[0].where == str(blocker) and "cannot create the run folder" in str(caught.value)
    assert entries(tmp_path) == ["reports"]


def test_a_read_only_reports_folder_is_a_reports_folder_error(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(0o555)
    try:
        if os.access(reports, os.W_OK):
            pytest.skip("running as root: a read-only mode does not stop writing")
        with pytest.raises(ReportsFolderError, match="Permission denied"):
            RunFolder(reports, "r", stamp=STAMP).__enter__()
        assert entries(reports) == []
    finally:
        reports.chmod(0o755)


def test_a_failure_to_rename_the_finished_folder_keeps_the_evidence(tmp_path, monkeypatch):
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append(dst)
        if len(calls) == 1:  # the rename into place
            raise PermissionError(errno.EACCES, "Permission denied", str(src), str(dst))
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(ReportsFolderError, match="Permission denied"):
        with RunFolder(tmp_path, "r", stamp=STAMP) as run:
            (run.tmp / "index.html").write_text("<html></html>")
    assert run.closed and run.final is None
    assert entries(tmp_path) == [f"r-{STAMP}-FAILED"]
    assert (tmp_path / f"r-{STAMP}-FAILED" / "error.txt").is_file()


def test_when_the_failed_folder_cannot_be_renamed_the_error_names_the_hidden_one(tmp_path, monkeypatch):
    def rename(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(src), str(dst))

    with pytest.raises(ReportsFolderError) as caught:
        with RunFolder(tmp_path, "r", stamp=STAMP) as run:
            monkeypatch.setattr(os, "rename", rename)
            raise OSError(errno.ENOSPC, "No space left on device")
    assert caught.value.problems[0].where == str(run.tmp) and caught.value.run_folder == run.tmp
    assert entries(tmp_path) == [run.tmp.name] and (run.tmp / "error.txt").is_file()


def test_an_oserror_without_a_usable_file_name_is_handled(tmp_path):
    folder = tmp_path / ".r.partial"
    assert write_failure(OSError(errno.EACCES, "Permission denied", 3), folder) is None
    assert write_failure(OSError(errno.ENOSPC, "No space left on device", str(folder / "x")), folder) == (
        "No space left on device", str(folder / "x"))


def test_the_final_name_is_reserved_when_the_run_starts(tmp_path):
    """Two runs in flight at once (report-all runs one config twice) get different final names,
    each known from the start; nothing visible appears before a run succeeds."""
    (tmp_path / f".r-{STAMP}-3.partial").mkdir()  # a stopped run's folder keeps its name too
    first = RunFolder(tmp_path, "r", stamp=STAMP).__enter__()
    second = RunFolder(tmp_path, "r", stamp=STAMP).__enter__()
    third = RunFolder(tmp_path, "r", stamp=STAMP).__enter__()
    assert [run.target.name for run in (first, second, third)] == [f"r-{STAMP}", f"r-{STAMP}-2", f"r-{STAMP}-4"]
    assert [run.tmp.name for run in (first, second, third)] == [f".{run.target.name}.partial"
                                                                for run in (first, second, third)]
    assert all(name.startswith(".") for name in entries(tmp_path))
    assert second.succeed() == second.target == second.final
    assert third.succeed() == third.target and first.succeed() == first.target
    assert entries(tmp_path) == sorted([f".r-{STAMP}-3.partial", f"r-{STAMP}", f"r-{STAMP}-2", f"r-{STAMP}-4"])


def test_a_reserved_name_taken_by_something_else_is_never_overwritten(tmp_path):
    run = RunFolder(tmp_path, "r", stamp=STAMP).__enter__()
    other = RunFolder(tmp_path, "r", stamp=STAMP).__enter__()  # holds -2
    (run.tmp / "index.html").write_text("ours")
    run.target.mkdir()  # made by hand (an empty folder: a plain rename would replace it)
    (tmp_path / f"r-{STAMP}-3").write_text("a file")
    moved = []
    final = run.succeed(on_moved=lambda reserved, new: moved.append((reserved, new, (run.tmp / "index.html").exists())))
    assert moved == [(tmp_path / f"r-{STAMP}", tmp_path / f"r-{STAMP}-4", True)]  # called before the rename
    assert final == run.final == run.target == tmp_path / f"r-{STAMP}-4" and (final / "index.html").read_text() == "ours"
    assert entries(tmp_path / f"r-{STAMP}") == [] and other.tmp.is_dir()


def test_a_kept_folder_is_handed_to_on_kept_under_its_last_name(tmp_path):
    """What a stopped run wrote can be corrected to name the folder it is kept in: the -FAILED
    folder, or the hidden .partial one of an interrupted run (never the reserved final name)."""
    seen: list[Path] = []
    run = RunFolder(tmp_path, "r", stamp=STAMP).__enter__()
    (run.tmp / "notes.txt").write_text(str(run.target))
    assert run.fail(RuntimeError("planted"), on_kept=seen.append).args == ("planted",)
    assert seen == [run.failed] and (run.failed / "notes.txt").is_file() and not run.target.exists()
    interrupted = RunFolder(tmp_path, "s", stamp=STAMP).__enter__()
    interrupted.fail(KeyboardInterrupt(), on_kept=seen.append)
    assert seen[1] == interrupted.tmp and seen[1].is_dir()


def test_a_failing_on_kept_does_not_hide_the_error(tmp_path):
    def broken(folder: Path) -> None:
        raise ValueError("cannot correct")

    run = RunFolder(tmp_path, "r", stamp=STAMP).__enter__()
    exc = RuntimeError("planted")
    assert run.fail(exc, on_kept=broken) is exc and (run.failed / "error.txt").is_file()
