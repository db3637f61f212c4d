"""The catalogue of broken configs and inputs (issue 14): each gives exit status 2, one line per
problem naming the file and the key (or row and column), no traceback, and no run folder when
nothing ran. The config-only cases are also run in one fresh process that must not have imported
the heavy libraries (DuckDB, Ibis, scikit-learn, papermill): the check runs before they load.
How long that takes from the command's start is a ``make bench`` case (config_error_seconds)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from segment.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((ROOT / "configs" / "quick_cdnow_sample.yaml").read_text(encoding="utf-8"))


def patched(*edits) -> dict:
    """BASE with each (dotted key, value) set; value ``DELETE`` removes the key."""
    raw = copy.deepcopy(BASE)
    for key, value in edits:
        *parents, last = key.split(".")
        node = raw
        for part in parents:
            node = node.setdefault(part, {})
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return raw


DELETE = object()

#: name -> (config mapping or raw text, extra CLI arguments, the key each expected line names)
CASES: dict[str, tuple[object, list[str], list[str]]] = {
    "method parameter typo": (patched(("methods.weighted.weigths", {"profit": 1})), [], ["methods.weighted.weigths: unknown parameter (allowed: provisional_days, weights"]),
    "validation key typo": (patched(("validation.n_bot", 5)), [], ["validation.n_bot: unknown setting"]),
    "n_bins not a number": (patched(("methods.rfm.n_bins", "five")), [], ["methods.rfm.n_bins: expected int, got 'five'"]),
    "negative weight": (patched(("methods.weighted.weights.profit", -0.4)), [], ["methods.weighted.weights.profit: -0.4 is out of range"]),
    "month 13": (patched(("as_of", "1998-13-30")), [], ["as_of: '1998-13-30' is not a date"]),
    "unknown k-means parameter": (patched(("methods.kmeans.n_clusterz", 5)), [], ["methods.kmeans.n_clusterz: unknown parameter"]),
    "report key typo": (patched(("report.min_tier_sze", 10)), [], ["report.min_tier_sze: not a parameter of the report notebooks"]),
    "report key of a notebook that does not run": (patched(("report.notebooks", ["data_audit"]), ("report.min_tier_size", 10)), [], ["report.min_tier_size: a parameter of leadership_summary only, which this config does not run"]),
    "report value of the wrong type": (patched(("report.min_tier_size", "ten")), [], ["report.min_tier_size: expected int"]),
    "unknown report notebook": (patched(("report.notebooks", ["leadership", "validation"])), [], ["report.notebooks: 'leadership' is not a report notebook"]),
    "unknown top-level key": (patched(("horizn", 90)), [], ["horizn: unknown key"]),
    "horizon given twice": (patched(("horizon", "2Q")), [], ["horizon: give the outcome horizon once"]),
    "calendar horizon typo": (patched(("horizon_days", DELETE), ("horizon", "2X")), [], ["horizon: '2X' is not a horizon"]),
    "stability setting typo": (patched(("stability", {"min_stai": 2})), [], ["stability.min_stai: unknown setting"]),
    "stability margin too wide": (patched(("stability", {"margin": 0.7})), [], ["stability.margin: 0.7 is out of range"]),
    "output_name with ../": (patched(("output_name", "./../escaped-run")), [], ["output_name: './../escaped-run' is not a plain name"]),
    "output_name absolute": (patched(("output_name", "/tmp/escaped")), [], ["output_name: '/tmp/escaped' is not a plain name"]),
    "output_name hidden": (patched(("output_name", ".hidden")), [], ["output_name: '.hidden' is not a plain name"]),
    "output_name with a slash": (patched(("output_name", "a/b")), [], ["output_name: 'a/b' is not a plain name"]),
    "horizon zero": (patched(("horizon_days", 0)), [], ["horizon_days: 0 is out of range"]),
    "horizon text": (patched(("horizon_days", "ninety")), [], ["horizon_days: expected int, got 'ninety'"]),
    "as_of missing": (patched(("as_of", DELETE)), [], ["as_of: is required"]),
    "methods not a mapping": (patched(("methods", ["rfm"])), [], ["methods: must map a method name"]),
    "unknown method": (patched(("methods.rfn", {})), [], ["methods.rfn: not a registered method"]),
    "gross margin above one": (patched(("profit.gross_margin", 25)), [], ["profit.gross_margin: 25 must be a share"]),
    "profit key typo": (patched(("profit.cost_per_ordr", 2.0)), [], ["profit.cost_per_ordr: unknown key"]),
    "bad backtest origin": (patched(("backtest_origins", ["1997-03-31", "1997-06-31"])), [], ["backtest_origins[1]: '1997-06-31' is not a date"]),
    "dataset and path": (patched(("data", {"dataset": "cdnow_sample", "path": "x.csv"})), [], ["data: give exactly one of"]),
    "unknown dataset": (patched(("data", {"dataset": "cdnow_full"})), [], ["data.dataset: 'cdnow_full' is not one of"]),
    "input spec typo": (patched(("data", {"path": "orders.csv", "encodng": "gbk"})), [], ["encodng"]),
    "split quantiles outside (0, 1)": (patched(("methods.kaism.split_quantiles", [0.5, 1.5])), [], ["methods.kaism.split_quantiles[1]: 1.5 is out of range"]),
    "cut shares decreasing": (patched(("methods.abc_revenue.cut_shares", [0.95, 0.8])), [], ["methods.abc_revenue: cut shares must be increasing"]),
    "lifecycle days crossed": (patched(("methods.lifecycle.active_days", 200)), [], ["methods.lifecycle: need 0 < active_days <= lapsing_days"]),
    "pyramid labels short": (patched(("methods.pyramid.tier_labels", ["top", "rest"])), [], ["methods.pyramid: CustomerPyramid.tier_labels needs 4 distinct labels"]),
    "validation level above one": (patched(("validation.level", 1.5)), [], ["validation.level: 1.5 is out of range"]),
    "lookback zero": (patched(("lookback_months", 0)), [], ["lookback_months: 0 is out of range"]),
    "tuning key typo": (patched(("tuning", {"judged_origin": "1997-09-30", "fold_origins": ["1997-06-30"],
                                            "indicators": ["profit", "monetary_total"], "grid_stepp": 0.1})), [], ["grid_stepp"]),
    "YAML syntax": ("as_of: [1997-09-30\n", [], ["not valid YAML"]),
    "not a mapping": ("- a\n- b\n", [], ["a run config must be a mapping"]),
    "--set without =": (patched(), ["--set", "methods.rfm.n_bins"], ["expected KEY=VALUE"]),
    "--set a bad value": (patched(), ["--set", "methods.rfm.n_bins=five"], ["methods.rfm.n_bins: expected int, got 'five'"]),
    "--set a typo": (patched(), ["--set", "methods.weighted.weigths.profit=1"], ["methods.weighted.weigths: unknown parameter"]),
    "--as-of not a date": (patched(), ["--as-of", "1998-02-30"], ["as_of: '1998-02-30' is not a date"]),
    "--output-name traversal": (patched(), ["--output-name", "../up"], ["output_name: '../up' is not a plain name"]),
}


def write_config(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / (name.replace(" ", "_").replace("/", "_").replace("-", "") + ".yaml")
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8")
    return path


def test_the_catalogue_has_at_least_thirty_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_broken_config_is_one_line_per_problem_exit_2_and_no_folder(name, tmp_path, capsys):
    content, extra, expected = CASES[name]
    config = write_config(tmp_path, name, content)
    reports = tmp_path / "reports"
    code = main(["run", "--config", str(config), "--reports-dir", str(reports), "--quiet", *extra])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    for want in expected:
        assert any(want in line for line in lines), (want, err)
    source = "--set" if "--set" in extra and "KEY=VALUE" in "".join(expected) else str(config)
    assert all(line.startswith(f"{source}: ") for line in lines), err  # every line names the file (or --set)
    assert not reports.exists() or not any(reports.iterdir())  # an error before any work leaves no folder


def test_every_problem_of_a_config_is_reported_at_once(tmp_path, capsys):
    config = write_config(tmp_path, "many", patched(("methods.weighted.weigths", {}), ("validation.n_bot", 5),
                                                    ("as_of", "1998-13-30"), ("report.min_tier_sze", 1)))
    assert main(["run", "--config", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 4, err


def test_debug_adds_the_traceback(tmp_path, capsys):
    config = write_config(tmp_path, "debug", patched(("validation.n_bot", 5)))
    assert main(["run", "--config", str(config), "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_report_all_checks_every_config_before_running_any(tmp_path, capsys):
    good = write_config(tmp_path, "good", patched())
    bad = write_config(tmp_path, "bad", patched(("methods.rfm.n_bins", "five")))
    reports = tmp_path / "reports"
    assert main(["report-all", "--configs", str(good), str(bad), "--reports-dir", str(reports), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: methods.rfm.n_bins: expected int" in err and "Traceback" not in err
    assert not reports.exists()


def test_config_errors_come_before_the_heavy_imports(tmp_path):
    """In a fresh process, every config-only case fails without DuckDB, Ibis, scikit-learn, scipy,
    papermill or a notebook kernel having been imported: the check is the first thing a run does."""
    configs = {name: (str(write_config(tmp_path, name, content)), extra) for name, (content, extra, _) in CASES.items()}
    script = f"""
import contextlib, io, json, sys
from segment.cli import main
codes = {{}}
for name, (config, extra) in {configs!r}.items():
    with contextlib.redirect_stderr(io.StringIO()):
        codes[name] = main(["run", "--config", config, "--reports-dir", {str(tmp_path / "reports")!r}, "--quiet", *extra])
heavy = sorted(m for m in ("duckdb", "ibis", "sklearn", "scipy", "papermill", "nbconvert", "jupyter_client", "pandera")
               if m in sys.modules)
print(json.dumps({{"codes": codes, "heavy": heavy}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(report["codes"].values()) == {2}, report["codes"]
    assert report["heavy"] == [], report["heavy"]


def test_version_and_help_texts(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("segment ")
    for command in ("run", "check-data", "report-all"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert "(default: None)" not in out and not re.search(r"\(default: [^)]*\) \(default:", out), out
