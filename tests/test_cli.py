"""The ``segment`` command line: check-data (run and report-all are tested end to end elsewhere)."""

import subprocess
import sys

import pytest

from segment.cli import build_parser, main


def test_parser_has_one_subcommand_per_function():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"run", "report-all", "check-data"} <= set(sub.choices)


def test_check_data_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check-data", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for words in ("--encoding", "--column", "--timezone", "--as-of", "file, line, column and value"):
        assert words in out


def test_check_data_prints_the_audit(tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_bytes("客户,日期,金额\n001,2024-01-02,\"1,234.50\"\n001,2024-01-02,\"1,234.50\"\n,2024-01-03,5\n"
                     "002,2024-02-01,￥300\n".encode("gb18030"))
    code = main(["check-data", str(path), "--encoding", "gb18030", "--column", "customer_id=客户",
                 "--column", "order_ts=日期", "--column", "amount=金额", "--as-of", "2024-01-31", "--show-excluded", "5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "rows read" in out and " 4" in out
    assert "exact duplicate row" in out and "missing customer_id" in out
    assert "customers" in out and "2024-01-02" in out and "2024-02-01" in out
    assert "Checks passed:" in out and "ok  " in out
    assert "rows after the as-of date 2024-01-31" in out


def test_check_data_reports_contract_problems(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("customer_id,order_ts,amount\nA,2024-02-30,1\n", encoding="utf-8")
    assert main(["check-data", str(path)]) == 2  # the user's input: exit 2
    out = capsys.readouterr().out
    assert "bad.csv, line 2, column 'order_ts': value '2024-02-30'" in out


def test_check_data_with_config(tmp_path, capsys):
    data = tmp_path / "o.csv"
    data.write_text("cid;ts;amt\nA;2024-01-02;1,5\n", encoding="utf-8")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"output_name: x\ndata:\n  path: {data}\n  delimiter: ';'\n  decimal: ','\n  thousands: null\n"
                   "  columns: {customer_id: cid, order_ts: ts, amount: amt}\n", encoding="utf-8")
    assert main(["check-data", "--config", str(cfg)]) == 0
    assert "1.50" in capsys.readouterr().out


def test_check_data_bad_spec_exits_2(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text("customer_id,order_ts,amount\nA,2024-01-02,1\n", encoding="utf-8")
    assert main(["check-data", str(path), "--timezone", "Mars/Olympus"]) == 2
    assert "IANA" in capsys.readouterr().err


def test_console_script_entry_point_help():
    # the installed `segment` script is `segment.cli:main`; run the same through the interpreter
    out = subprocess.run([sys.executable, "-c", "from segment.cli import main; raise SystemExit(main())", "check-data",
                          "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "check-data" in out.stdout


def _segment(*args, cwd, env=None):
    """``segment ARGS`` in a fresh process (``--root`` is read before segment.paths is imported)."""
    import os

    environ = {k: v for k, v in os.environ.items() if k != "SEGMENT_ROOT"} | (env or {})
    return subprocess.run([sys.executable, "-c", "from segment.cli import main; raise SystemExit(main())", *args],
                          cwd=cwd, env=environ, capture_output=True, text=True, timeout=120)


def test_root_option_is_documented():
    out = " ".join(_segment("--help", cwd=".").stdout.split())  # argparse wraps the lines
    assert "--root DIR" in out and "configs/, notebooks/, data/raw/ and reports/" in out and "SEGMENT_ROOT" in out


def test_root_option_moves_the_default_configs_and_reports(tmp_path):
    root = tmp_path / "other repo"
    root.mkdir()
    done = _segment("--root", "other repo", "report-all", "--quiet", cwd=tmp_path)  # relative to the working folder
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 7 and all(line.startswith(str(root / "configs")) for line in lines), lines
    assert f"{root / 'configs' / 'cdnow_backtest.yaml'}: config file not found" in lines
    assert not (root / "reports").exists()


def test_root_option_moves_the_notebooks_the_config_check_reads(tmp_path):
    """A notebook under --root that declares one more parameter: the config check reads that one."""
    import json
    import shutil
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    root = tmp_path / "root"
    shutil.copytree(repo / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints"))
    path = root / "notebooks" / "leadership_summary.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    cell["source"] = "".join(cell["source"]).rstrip("\n") + "\nroot_marker: int = 1  # only in the notebooks under --root\n"
    path.write_text(json.dumps(nb), encoding="utf-8")
    config = tmp_path / "run.yaml"
    config.write_text((repo / "configs" / "quick_cdnow_sample.yaml").read_text(encoding="utf-8").replace(
        "report: {min_tier_size: 10}", "report: {min_tier_size: 10, root_marker: many}"), encoding="utf-8")

    done = _segment("--root", str(root), "run", "--config", str(config), "--quiet", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "report.root_marker: expected int (leadership_summary: only in the notebooks under --root), got 'many'" \
        in done.stderr
    without = _segment("run", "--config", str(config), "--quiet", cwd=tmp_path)  # the repository's notebooks
    assert without.returncode == 2 and "report.root_marker: not a parameter of the report notebooks" in without.stderr
    assert not (root / "reports").exists()


def test_root_must_be_a_folder(tmp_path):
    done = _segment("--root", str(tmp_path / "missing"), "report-all", cwd=tmp_path)
    assert done.returncode == 2 and "not a folder" in done.stderr


def test_a_root_without_the_notebooks_is_a_config_error_naming_the_notebook(tmp_path):
    from pathlib import Path

    config = tmp_path / "run.yaml"
    config.write_text((Path(__file__).resolve().parents[1] / "configs" / "quick_cdnow_sample.yaml").read_text(
        encoding="utf-8"), encoding="utf-8")
    done = _segment("--root", str(tmp_path), "run", "--config", str(config), "--quiet", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"{tmp_path / 'notebooks' / 'leadership_summary.ipynb'}: the report notebook is not there" in done.stderr


def test_only_the_process_own_command_freezes_the_garbage_collector_at_its_end(monkeypatch, capsys):
    """As the process's command (argv None) ``main`` ends with gc.freeze() (the exit's collections
    walk every object of the run for nothing); called with arguments (tests, other code) it does not."""
    import gc

    gc.unfreeze()
    try:
        with pytest.raises(SystemExit):
            main(["--version"])
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr(sys, "argv", ["segment", "--version"])
        with pytest.raises(SystemExit):
            main()
        assert gc.get_freeze_count() > 0
        assert capsys.readouterr().out.startswith("segment ")
    finally:
        gc.unfreeze()
