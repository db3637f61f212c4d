"""A method that cannot grade the data does not sink the run (issue 14, item 5), the checks
that need the data run right after loading (item 2), and progress has a line per method (item 10).

The small data: customers who each bought once (no repeat buyer, so BG/NBD cannot grade) over
two years, read from a CSV by the ``data: {path: ...}`` reader."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from segment.config import RunConfig
from segment.errors import CannotGrade, ConfigError, NothingGraded
from segment.pipeline import run_pipeline
from segment.reporting import leadership, tables, views

AS_OF = "1998-03-31"


def one_order_each(tmp_path, n: int = 300):
    """A CSV of ``n`` customers who each bought once up to ``AS_OF`` (first orders spread over
    1997-01-01 .. AS_OF); four in ten buy again after it, up to the data's last day, 1998-12-31."""
    rng = np.random.default_rng(0)
    first = np.sort(rng.integers(0, (dt.date.fromisoformat(AS_OF) - dt.date(1997, 1, 1)).days + 1, n))
    again = rng.random(n) < 0.4
    later = rng.integers(1, (dt.date(1998, 12, 31) - dt.date.fromisoformat(AS_OF)).days + 1, n)
    ids = [f"c{i:04d}" for i in range(n)]
    day = [str(dt.date(1997, 1, 1) + dt.timedelta(days=int(d))) for d in first]
    after = [str(dt.date.fromisoformat(AS_OF) + dt.timedelta(days=int(d))) for d in later]
    tx = pd.DataFrame({"customer_id": ids + [c for c, a in zip(ids, again) if a],
                       "order_ts": day + [d for d, a in zip(after, again) if a],
                       "amount": np.round(rng.lognormal(3, 1, n + int(again.sum())), 2)})
    tx.loc[len(tx) - 1, "order_ts"] = "1998-12-31"  # the data's last day, whatever the draw
    path = tmp_path / "orders.csv"
    tx.to_csv(path, index=False)
    return path


def config(tmp_path, methods=None, **over) -> RunConfig:
    raw = {"output_name": "tiny", "data": {"path": str(one_order_each(tmp_path))}, "as_of": AS_OF,
           "horizon_days": 180, "profit": {"gross_margin": 0.25, "cost_per_order": 1.0}, "trend_window_days": 91,
           "methods": methods if methods is not None else {"abc_revenue": {}, "rfm": {}, "bgnbd": {}},
           "validation": {"n_boot": 20, "random_state": 0}}
    return RunConfig.from_dict({**raw, **over}, source=str(tmp_path / "tiny.yaml"))


def test_a_method_that_cannot_grade_is_left_out_and_the_run_finishes(tmp_path):
    lines: list[str] = []
    r = run_pipeline(config(tmp_path, backtest_origins=["1997-09-30", AS_OF]), progress=lines.append)
    assert list(r.not_graded) == ["bgnbd"]
    assert "no customer has a repeat purchase" in r.not_graded["bgnbd"]
    assert set(r.fitted) == set(r.assignments) == set(r.origin_assignments) == {"abc_revenue", "rfm"}

    t = r.validation.tables()
    board = t["leaderboard"]
    row = board[board["method"] == "bgnbd"]
    assert len(row) == 1 and not row["reference"].iloc[0]
    assert row["note"].iloc[0] == f"not graded: {r.not_graded['bgnbd']}"
    assert row["top20_profit_capture"].isna().all() and row["customers"].isna().all()
    graded = board[~board["reference"] & (board["method"] != "bgnbd")]
    assert (graded["note"] == "").all() and graded["top20_profit_capture"].notna().all()
    assert board["customers"].dtype == "Int64"  # counts stay counts next to a row without figures
    assert list(board["method"].iloc[-2:]) == ["random (reference)", "perfect hindsight (reference)"]
    for name in ("per_tier", "metric_intervals", "model_fit", "warning_check", "early_warning", "backtest"):
        assert "bgnbd" not in set(t[name]["method"]), name  # validation judges only the graded methods
    assert not any(n.startswith("bgnbd left out") for n in r.notes)  # not tried again at backtest origins

    advice = leadership.recommendation(r)
    assert advice.method in ("abc_revenue", "rfm") and "bgnbd" not in advice.clearly_worse
    assert "bgnbd" not in advice.not_clearly_worse
    text = leadership.headline(r)
    sentence = [line for line in text.splitlines() if "Not graded" in line]
    assert len(sentence) == 1
    assert "purchase-probability model (BG/NBD) could not grade this data" in sentence[0]
    assert "no customer has a repeat purchase" in sentence[0]
    assert "not graded: " in tables.leaderboard_view(board)["note"].str.cat()
    views.key_numbers(r)  # the recommendation's figures read the graded rows only
    from segment.pipeline import load_result

    saved = load_result(r.save(tmp_path / "result.pkl"))
    assert saved.not_graded == r.not_graded and leadership.headline(saved) == text

    from segment.reporting import plots

    fig = plots.leaderboard_intervals(board, title="t", source="s")
    labels = [tick.get_text() for tick in fig.axes[0].get_yticklabels()]
    assert "bgnbd" not in labels and set(labels) == {"abc_revenue", "rfm"}

    assert "grading bgnbd (3 of 3)" in lines and any(re.fullmatch(r"rfm graded in \d+\.\d s", m) for m in lines)
    assert any(m.startswith("bgnbd cannot grade this data") for m in lines)


def test_no_method_can_grade_is_an_error_naming_every_reason(tmp_path):
    with pytest.raises(NothingGraded) as err:
        run_pipeline(config(tmp_path, methods={"bgnbd": {}}))
    (p,) = err.value.problems
    assert p.key == "methods" and p.where.endswith("tiny.yaml")
    assert p.message.startswith("no method can grade this data: bgnbd: ")
    assert "no customer has a repeat purchase" in p.message


def test_only_cannot_grade_is_caught(tmp_path, monkeypatch):
    """Any other error of a method is a fault: it propagates, never turned into "not graded"."""
    from segment.methods.rfm import RFMGrading

    def broken(self, features):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(RFMGrading, "fit_assign", broken)
    with pytest.raises(ZeroDivisionError, match="a bug"):
        run_pipeline(config(tmp_path))

    def broken_value(self, features):
        raise ValueError("another bug")

    monkeypatch.setattr(RFMGrading, "fit_assign", broken_value)
    with pytest.raises(ValueError, match="another bug"):
        run_pipeline(config(tmp_path))


def test_cannot_grade_at_the_validation_origin_leaves_the_method_out_everywhere(tmp_path, monkeypatch):
    """A method that grades at the grading date but not at the validation origin cannot be
    judged: it is not offered either (no tiers), with the origin in its reason."""
    from segment.methods.rfm import RFMGrading

    real = RFMGrading.fit_assign

    def only_late(self, features):
        if features.attrs["as_of"] != "1998-12-31":
            raise CannotGrade("RFM: not at this date")
        return real(self, features)

    monkeypatch.setattr(RFMGrading, "fit_assign", only_late)
    lines: list[str] = []
    r = run_pipeline(config(tmp_path, as_of="1998-12-31", methods={"abc_revenue": {}, "rfm": {}}),
                     progress=lines.append)
    assert r.origin != r.config.as_of
    assert r.not_graded == {"rfm": f"RFM: not at this date (at the validation origin {r.origin})"}
    assert set(r.assignments) == set(r.origin_assignments) == {"abc_revenue"}
    assert f"at {r.origin}: rfm cannot grade this data: RFM: not at this date" in lines


def test_as_of_after_the_data_names_both_dates(tmp_path):
    with pytest.raises(ConfigError) as err:
        run_pipeline(config(tmp_path, as_of="1999-06-30", backtest_origins=["1996-06-30", "1997-06-30", "2000-03-31"]))
    lines = str(err.value).splitlines()
    src = str(tmp_path / "tiny.yaml")
    assert f"{src}: as_of: 1999-06-30 is after the last transaction (1998-12-31): every customer would come out lost" \
        in lines
    assert any(line.startswith(f"{src}: backtest_origins[0]: 1996-06-30 is before the first transaction (1997-01-0")
               for line in lines)
    assert any(line.startswith(f"{src}: backtest_origins[2]: 2000-03-31 is after the last transaction (1998-12-31)")
               for line in lines)
    assert not any("backtest_origins[1]" in line for line in lines)


def test_as_of_before_the_data_and_a_horizon_the_data_cannot_hold(tmp_path):
    with pytest.raises(ConfigError) as err:
        run_pipeline(config(tmp_path, as_of="1996-12-31", horizon_days=900))
    keys = [p.key for p in err.value.problems]
    assert keys == ["as_of", "horizon_days"]
    as_of, horizon = err.value.problems
    assert "1996-12-31 is before the first transaction (1997-01-0" in as_of.message
    assert horizon.message.startswith("an outcome horizon the data cannot hold")
    assert "1997-01-0" in horizon.message and "1998-12-31" in horizon.message


def test_a_weight_on_a_column_the_data_lacks(tmp_path):
    methods = {"abc_revenue": {}, "weighted": {"weights": {"monetary_totl": 0.5, "profit": 0.5}},
               "pyramid": {"value_column": "margin_total"}}
    with pytest.raises(ConfigError) as err:
        run_pipeline(config(tmp_path, methods=methods))
    by_key = {p.key: p.message for p in err.value.problems}
    assert set(by_key) == {"methods.weighted.weights.monetary_totl", "methods.pyramid.value_column"}
    assert by_key["methods.weighted.weights.monetary_totl"].startswith(
        "no such feature column in this data (available: first_order_date, ")
    assert "monetary_total" in by_key["methods.weighted.weights.monetary_totl"]


def test_credit_status_on_cdnow_names_the_missing_columns():
    raw = {"output_name": "x", "data": {"dataset": "cdnow_sample"}, "as_of": "1997-09-30", "horizon_days": 273,
           "profit": {"gross_margin": 0.25, "cost_per_order": 2.0},
           "methods": {"weighted": {"weights": {"profit": 0.5, "credit_status": 0.5}},
                       "kaism": {"position": {"mean_days_late": 1.0}}}}
    with pytest.raises(ConfigError) as err:
        run_pipeline(RunConfig.from_dict(raw, source="cdnow.yaml"))
    by_key = {p.key: p.message for p in err.value.problems}
    assert set(by_key) == {"methods.weighted.weights.credit_status", "methods.kaism.position.mean_days_late"}
    assert by_key["methods.weighted.weights.credit_status"].startswith(
        "the indicator credit_status needs mean_days_late, late_payment_share, overdue_amount, and this data lacks "
        "mean_days_late, late_payment_share, overdue_amount (available: ")
    assert str(err.value).startswith("cdnow.yaml: methods.weighted.weights.credit_status: ")


def test_the_data_checks_pass_on_every_bundled_config():
    """No bundled config trips a data check (their runs are unchanged by them)."""
    from pathlib import Path

    from segment.datacheck import data_problems
    from segment.load import load_data

    seen = {}
    for path in sorted(Path("configs").glob("*.yaml")):
        cfg = RunConfig.from_yaml(path)
        key = repr(cfg.data)
        if key not in seen:
            seen[key] = load_data(cfg)
        assert data_problems(cfg, seen[key]) == [], path


def test_the_data_checks_run_on_a_remote_engine(tmp_path):
    """On the Ibis / Spark engines the transactions stay on the engine: the checks read its
    summaries and the lazy feature expression, not the rows."""
    import duckdb

    from segment.engines import LazyTransactions
    from segment.datacheck import data_problems
    from segment.load import load_data

    path = str(tmp_path / "warehouse.duckdb")
    con = duckdb.connect(path)
    con.execute("CREATE TABLE lines AS SELECT * FROM (VALUES ('a', TIMESTAMP '2024-01-10', 10.0), "
                "('b', TIMESTAMP '2024-03-01', 20.0), ('a', TIMESTAMP '2024-06-30', 5.0)) t(customer_id, order_ts, amount)")
    con.close()
    raw = {"output_name": "x", "as_of": "2024-09-30", "horizon_days": 30, "profit": {"gross_margin": 0.5},
           "data": {"engine": "ibis", "backend": "duckdb", "connect": {"database": path, "read_only": True},
                    "table": "lines"},
           "methods": {"weighted": {"weights": {"monetary_totl": 1.0}}}}
    cfg = RunConfig.from_dict(raw, source="remote.yaml")
    loaded = load_data(cfg)
    assert isinstance(loaded.transactions, LazyTransactions)
    problems = {p.key: p.message for p in data_problems(cfg, loaded)}
    assert problems["as_of"].startswith("2024-09-30 is after the last transaction (2024-06-30)")
    assert problems["methods.weighted.weights.monetary_totl"].startswith("no such feature column in this data")


def test_progress_has_a_line_per_validation_step_and_none_prints_nothing(tmp_path, capfd):
    lines: list[str] = []
    run_pipeline(config(tmp_path, methods={"abc_revenue": {}, "rfm": {}}, backtest_origins=["1997-09-30", AS_OF]),
                 progress=lines.append)
    for expected in ("validating: churn and profit per tier", "validating: leaderboard (20 paired bootstrap replicates)",
                     "validating: tier models (churn and profit on tier)", "validating: agreement between methods",
                     "backtest: origin 1997-09-30 (1 of 2), grading 2 methods",
                     f"backtest: origin {AS_OF} (2 of 2), the run's own grading of that date",
                     f"migration: tiers from 1997-09-30 to {AS_OF}",
                     f"early warning: top-tier customers with falling activity at {AS_OF}"):
        assert expected in lines, expected
    assert any(re.fullmatch(r"validated in \d+\.\d s", m) for m in lines)
    capfd.readouterr()
    run_pipeline(config(tmp_path, methods={"abc_revenue": {}}))
    assert capfd.readouterr().out == ""


def test_the_grading_stage_records_a_method_that_cannot_grade(tmp_path):
    """``grading.grade`` leaves out a method that cannot grade the data, with its reason, and
    grades the others; the backtest's note is written from that reason."""
    from segment.features import build_features
    from segment.grading import GradingSpec, MethodSpec, grade
    from segment.io import load_from_config
    from segment.validation.backtest import rolling_tables

    loaded = load_from_config({"path": str(one_order_each(tmp_path))}, source="x")
    f = build_features(loaded.transactions, as_of=AS_OF, gross_margin=0.25)
    g = grade(GradingSpec({"bgnbd": MethodSpec("bgnbd"), "abc_revenue": MethodSpec("abc_revenue")}), f, as_of=AS_OF)
    assert g.assignments.keys() == g.fitted.keys() == {"abc_revenue"}
    reason = "BG/NBD: no customer has a repeat purchase, so the dropout process cannot be estimated"
    assert g.not_graded == {"bgnbd": reason}
    assert rolling_tables([g])["left_out"] == [f"bgnbd left out at {AS_OF}: {reason}"]
