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
