"""segment.governance.publish: the run-level ledger step on hand-made results and run folders:
first run all new, a rerun identical, movement and money with a previous run, the runs the
ledger must ignore, a previous run of other tiers, and the user's errors."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from segment.errors import GovernanceError, UserError
from segment.governance.ledger import entry_of, published_record, read_published
from segment.governance.publish import NOT_COMPARABLE, publish_run
from segment.hashing import file_sha256
from segment.methods.registry import display_name
from tests.governance.conftest import make_run


def fake_result(grades: dict[str, str], *, series: str | None = "shop", as_of: str = "1997-12-31",
                method: str = "rfm", labels=("A", "B", "C"), profit: dict[str, float] | None = None,
                provisional: set[str] = frozenset(), previous_run: str | None = None, publish: str | None = None,
                lookback_months: int | None = None, recency: dict[str, float] | None = None,
                orders: dict[str, int] | None = None, stability: dict | None = None):
    """A pipeline result as publish_run reads it: one method's assignments and the features."""
    ids = sorted(grades)
    idx = pd.Index(ids, name="customer_id", dtype="str")
    assignments = pd.DataFrame({"tier": pd.Categorical([grades[c] for c in ids], categories=list(labels)),
                                "score": np.arange(len(ids), dtype=float),
                                "provisional": [c in provisional for c in ids]}, index=idx)
    profit = profit or {}
    recency, orders = recency or {}, orders or {}
    features = pd.DataFrame({"recency_days": [recency.get(c, 10.0) for c in ids],
                             "frequency": np.array([orders.get(c, 2) for c in ids], dtype="int64"),
                             "monetary_total": np.full(len(ids), 100.0),
                             "profit": [profit.get(c, 1.0) for c in ids]}, index=idx)
    config = SimpleNamespace(series=series, as_of=as_of, previous_run=previous_run, publish=publish,
                             lookback_months=lookback_months, source="/configs/shop.yaml", stability=stability or {},
                             backtest_origins=())
    return SimpleNamespace(config=config, assignments={method: assignments}, features=features,
                           validation=SimpleNamespace(recommended=SimpleNamespace(method=method)), not_graded={},
                           stability_trade_off=None, fitted={})


def run(reports, name, result, *, finished="2026-12-02T03:00:00"):
    """Publish ``result`` into a new run folder ``reports/name`` and close it as a successful run."""
    folder = reports / name
    folder.mkdir(parents=True)
    pub = publish_run(result, folder, reports_dir=reports, final=folder)
    manifest = {"status": "ok", "grading_as_of": result.config.as_of, "finished": finished, **pub.fields}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder, pub


def csv(folder, name):
    return pd.read_csv(folder / "governance" / f"{name}.csv", keep_default_na=False, na_values={"profit": [""]})


GRADES = {"c1": "A", "c2": "B", "c3": "C", "c4": "C"}


def test_a_first_run_is_all_new_and_writes_no_movement_files(tmp_path):
    folder, pub = run(tmp_path, "q1", fake_result(GRADES))
    assert pub.fields["previous"] is None and pub.fields["series"] == "shop"
    assert pub.fields["published"] == {"method": "rfm", "file": "published.csv", "customers": 4,
                                       "sha256": file_sha256(folder / "published.csv"),
                                       "stability": {"rules": {}, "held": 0, "review": 0}}
    table = pd.read_csv(folder / "published.csv", keep_default_na=False)
    assert list(table.columns[-3:]) == ["previous_tier", "movement", "movement_reason"]
    assert set(table["movement"]) == {"new"} and set(table["movement_reason"]) == {"first graded this run"}
    assert set(table["previous_tier"]) == {""} and list(table["tier"]) == ["A", "B", "C", "C"]
    assert not (folder / "governance").exists()
    back = read_published(entry_of(folder))  # the ledger reads its own columns back
    assert list(back["customer_id"]) == ["c1", "c2", "c3", "c4"]


def test_a_rerun_says_identical_and_reproduces_the_grading(tmp_path):
    first, _ = run(tmp_path, "q1", fake_result(GRADES))
    second, pub = run(tmp_path, "q1-again", fake_result(GRADES), finished="2026-12-02T04:00:00")
    previous = pub.fields["previous"]
    assert previous == {"run": "q1", "as_of": "1997-12-31", "sha256": file_sha256(first / "published.csv"),
                        "method": "rfm", "identical": True, "comparable": True}
    table = pd.read_csv(second / "published.csv", keep_default_na=False)
    assert set(table["movement"]) == {"same"} and set(table["movement_reason"]) == {"no change in the indicators"}
    assert list(table["previous_tier"]) == list(table["tier"])
    assert read_published(entry_of(second)).equals(read_published(entry_of(first)))  # the grading, exactly
    third, pub3 = run(tmp_path, "q1-third", fake_result(GRADES), finished="2026-12-02T05:00:00")
    assert pub3.fields["previous"]["run"] == "q1-again" and pub3.fields["previous"]["identical"]
    assert pub3.fields["published"]["sha256"] == pub.fields["published"]["sha256"]  # a rerun of a rerun: same bytes
    drift = csv(second, "drift")
    assert set(drift["level"]) == {"stable"} and drift["psi"].abs().max() < 1e-12


def test_a_changed_provisional_flag_is_not_identical(tmp_path):
    run(tmp_path, "q1", fake_result(GRADES))
    _, pub = run(tmp_path, "q2", fake_result(GRADES, provisional={"c4"}), finished="2026-12-02T04:00:00")
    assert pub.fields["previous"]["identical"] is False


def test_movement_files_count_customers_and_money(tmp_path):
    run(tmp_path, "q1", fake_result(GRADES, as_of="1997-09-30", profit={"c4": 7.5}))
    now = {"c1": "B", "c2": "A", "c3": "C", "c5": "A"}  # c1 down, c2 up, c3 same, c4 lost, c5 new
    folder, pub = run(tmp_path, "q2", fake_result(now, profit={"c1": 10.0, "c2": 20.0, "c3": 30.0, "c5": 50.0},
                                                   recency={"c1": 200.0}))
    assert pub.fields["previous"]["identical"] is False and pub.fields["previous"]["as_of"] == "1997-09-30"
    table = pd.read_csv(folder / "published.csv", keep_default_na=False).set_index("customer_id")
    assert table.loc[["c1", "c2", "c3", "c5"], "movement"].tolist() == ["down", "up", "same", "new"]
    assert table.loc["c5", "previous_tier"] == "" and table.loc["c1", "previous_tier"] == "A"
    assert table.loc["c1", "movement_reason"].startswith("last order 10 → 200 days ago")
    summary = csv(folder, "movement_summary").set_index("movement")
    assert list(summary.index) == ["up", "down", "same", "new", "lost"]
    assert summary["customers"].tolist() == [1, 1, 1, 1, 1]
    assert summary["profit"].tolist() == [20.0, 10.0, 30.0, 50.0, 7.5]  # lost: its profit at the previous run
    matrix = csv(folder, "movement_matrix")
    assert list(matrix.columns) == ["previous_tier", "tier", "customers", "profit"] and len(matrix) == 16
    cell = matrix.set_index(["previous_tier", "tier"])
    assert cell.loc[("A", "B"), "customers"] == 1 and cell.loc[("A", "B"), "profit"] == 10.0
    assert cell.loc[("(new)", "A"), "profit"] == 50.0 and cell.loc[("C", "(lost)"), "customers"] == 1
    assert cell.loc[("B", "C"), "customers"] == 0  # zero cells are rows too
    assert matrix["customers"].sum() == 5


def test_the_ledger_ignores_failed_hidden_later_and_other_series_runs(tmp_path):
    right, _ = run(tmp_path, "q1", fake_result(GRADES, as_of="1997-09-30"))
    make_run(tmp_path, "q1-FAILED", series="shop", as_of="1997-09-30", finished="2026-12-02T09:00:00")
    make_run(tmp_path, ".q1b.partial", series="shop", as_of="1997-09-30", finished="2026-12-02T09:00:00")
    make_run(tmp_path, "other", series="elsewhere", as_of="1997-12-31", finished="2026-12-02T09:00:00")
    make_run(tmp_path, "later", series="shop", as_of="1998-03-31", finished="2026-12-02T09:00:00")
    make_run(tmp_path, "crashed", series="shop", as_of="1997-12-31", status="failed")
    _, pub = run(tmp_path, "q2", fake_result(GRADES), finished="2026-12-02T10:00:00")
    assert pub.fields["previous"]["run"] == right.name


def test_a_run_without_a_series_has_no_previous(tmp_path):
    run(tmp_path, "q1", fake_result(GRADES))
    folder, pub = run(tmp_path, "loose", fake_result(GRADES, series=None))
    assert pub.fields["previous"] is None and pub.fields["series"] is None
    assert set(pd.read_csv(folder / "published.csv")["movement"]) == {"new"}


def test_a_previous_run_of_other_tiers_is_not_comparable(tmp_path):
    run(tmp_path, "q1", fake_result({"c1": "Top", "c2": "Low", "c9": "Low"}, method="kmeans",
                                    labels=("Top", "Low")))
    folder, pub = run(tmp_path, "q2", fake_result(GRADES), finished="2026-12-02T04:00:00")
    previous = pub.fields["previous"]
    assert previous["comparable"] is False and previous["identical"] is False and previous["method"] == "kmeans"
    table = pd.read_csv(folder / "published.csv", keep_default_na=False).set_index("customer_id")
    assert table.loc[["c1", "c2"], "previous_tier"].tolist() == ["Top", "Low"]
    assert table.loc[["c1", "c2"], "movement"].tolist() == [NOT_COMPARABLE] * 2
    assert table.loc["c1", "movement_reason"] == f"the last run published {display_name('kmeans')}"
    assert table.loc["c3", "movement"] == "new" and table.loc["c3", "previous_tier"] == ""
    assert not (folder / "governance" / "movement_matrix.csv").exists()
    assert not (folder / "governance" / "movement_summary.csv").exists()
    assert csv(folder, "drift")["item"].tolist()[0] == "tier"


def test_a_tampered_previous_file_is_the_users_error(tmp_path):
    first, _ = run(tmp_path, "q1", fake_result(GRADES))
    with open(first / "published.csv", "a", encoding="utf-8") as fh:
        fh.write("c9,A,False,1,1,1,1,,new,x\n")
    with pytest.raises(GovernanceError, match=r"q1/published\.csv: sha256: published\.csv was changed") as err:
        run(tmp_path, "q2", fake_result(GRADES))
    assert isinstance(err.value, UserError)


def test_a_named_previous_run_that_is_missing_names_it(tmp_path):
    run(tmp_path, "q1", fake_result(GRADES))
    with pytest.raises(GovernanceError, match=r"previous_run: 'q0' cannot be the previous run: there is no such"):
        run(tmp_path, "q2", fake_result(GRADES, previous_run="q0"))
    _, pub = run(tmp_path, "q2b", fake_result(GRADES, previous_run="q1"))
    assert pub.fields["previous"]["run"] == "q1"


def test_publishing_a_method_that_could_not_grade_names_the_config_key(tmp_path):
    result = fake_result(GRADES, publish="bgnbd")
    result.not_graded = {"bgnbd": "no customer bought twice"}
    with pytest.raises(GovernanceError, match=r"shop\.yaml: publish: 'bgnbd' cannot be published: .*bought twice"):
        run(tmp_path, "q1", result)
    folder, pub = run(tmp_path, "q1b", fake_result(GRADES, method="abc_revenue", publish=None))
    assert pub.fields["published"]["method"] == "abc_revenue"


def test_a_lookback_window_names_the_windowed_indicators(tmp_path):
    run(tmp_path, "q1", fake_result(GRADES, lookback_months=12, profit={"c1": 1.0}))
    folder, _ = run(tmp_path, "q2", fake_result({**GRADES, "c1": "B"}, lookback_months=12, profit={"c1": -5.0}))
    reasons = pd.read_csv(folder / "published.csv").set_index("customer_id")["movement_reason"]
    assert reasons["c1"] == "profit in the last 12 months 1.00 → −5.00"


def test_the_published_record_matches_the_ledger(tmp_path):
    folder, pub = run(tmp_path, "q1", fake_result(GRADES))
    table = pd.read_csv(folder / "published.csv")
    assert pub.fields["published"] == {**published_record("rfm", table, file_sha256(folder / "published.csv")),
                                       "stability": {"rules": {}, "held": 0, "review": 0}}
    assert pub.files[0] == folder / "published.csv"


def test_a_provisional_customer_who_reaches_six_months_is_confirmed_in_the_ledger(tmp_path):
    run(tmp_path, "q1", fake_result(GRADES, provisional={"c2", "c3"}))
    second, _ = run(tmp_path, "q2", fake_result(GRADES, provisional={"c3"}, as_of="1998-03-31"),
                    finished="2026-12-02T04:00:00")
    table = pd.read_csv(second / "published.csv", keep_default_na=False).set_index("customer_id")
    assert table.loc["c2", "movement_reason"].startswith("provisional → confirmed; ")
    assert not table.loc["c3", "movement_reason"].startswith("provisional")  # still provisional
    assert not table.loc["c1", "movement_reason"].startswith("provisional")  # never was


# ------------------------------------------------------------------ stable grades (stability:)
def _published(folder):
    return pd.read_csv(folder / "published.csv", keep_default_na=False).set_index("customer_id")


def test_without_rules_the_published_tier_is_the_methods_and_the_stay_counts_runs(tmp_path):
    first, _ = run(tmp_path, "q1", fake_result(GRADES, as_of="1997-09-30"))
    second, pub = run(tmp_path, "q2", fake_result({**GRADES, "c2": "A"}, as_of="1997-12-31"))
    table = _published(second)
    assert list(table.columns[-7:-3]) == ["raw_tier", "stay", "review", "unprofitable_periods"]
    assert (table["raw_tier"] == table["tier"]).all() and not table["review"].any()
    assert table["stay"].to_dict() == {"c1": 2, "c2": 1, "c3": 2, "c4": 2}  # c2 moved: its stay restarts
    assert pub.fields["published"]["stability"] == {"rules": {}, "held": 0, "review": 0}


def test_min_stay_holds_a_move_and_the_ledger_says_why(tmp_path):
    rules = {"min_stay": 2}
    run(tmp_path, "q1", fake_result(GRADES, as_of="1997-06-30", stability=rules))
    second, pub = run(tmp_path, "q2", fake_result({**GRADES, "c2": "A"}, as_of="1997-09-30", stability=rules))
    table = _published(second)
    assert table.loc["c2", "tier"] == "B" and table.loc["c2", "raw_tier"] == "A"  # stayed 1 run in B: held
    assert table.loc["c2", "movement"] == "same"
    assert table.loc["c2", "movement_reason"].startswith("held in B by the stability rules (graded A this run); ")
    assert pub.fields["published"]["stability"] == {"rules": {"min_stay": 2}, "held": 1, "review": 0}
    third, _ = run(tmp_path, "q3", fake_result({**GRADES, "c2": "A"}, as_of="1997-12-31", stability=rules))
    assert _published(third).loc["c2", "tier"] == "A"  # two runs in B: now it may move


def test_review_flags_customers_who_ordered_at_a_loss_in_consecutive_runs_only(tmp_path):
    rules = {"review_after": 2}
    # profit and orders to date per run: c1 orders at a loss twice running; c2 stops ordering (no loss)
    runs = [("q1", "1997-06-30", {"c1": 10.0, "c2": 5.0}, {"c1": 1, "c2": 1}),
            ("q2", "1997-09-30", {"c1": 8.0, "c2": 5.0}, {"c1": 2, "c2": 1}),
            ("q3", "1997-12-31", {"c1": 6.0, "c2": 5.0}, {"c1": 3, "c2": 1})]
    flags = {}
    for name, as_of, profit, orders in runs:
        folder, pub = run(tmp_path, name, fake_result({"c1": "A", "c2": "B"}, as_of=as_of, profit=profit,
                                                      orders=orders, stability=rules))
        table = _published(folder)
        flags[name] = (table["review"].to_dict(), table["unprofitable_periods"].to_dict())
    assert flags["q2"] == ({"c1": False, "c2": False}, {"c1": 1, "c2": 0})
    assert flags["q3"] == ({"c1": True, "c2": False}, {"c1": 2, "c2": 0})
    assert pub.fields["published"]["stability"]["review"] == 1
    assert _published(folder).loc["c1", "tier"] == "A"  # flagged, not dropped or demoted


def test_a_rerun_with_rules_reproduces_the_earlier_reruns_grades_stays_and_flags(tmp_path):
    rules = {"min_stay": 2, "review_after": 1}
    run(tmp_path, "q1", fake_result(GRADES, as_of="1997-06-30", stability=rules, orders={"c3": 1}))
    kw = {"as_of": "1997-09-30", "stability": rules, "profit": {"c3": -4.0}, "orders": {"c3": 2}}
    first, _ = run(tmp_path, "q2", fake_result({**GRADES, "c2": "A"}, **kw))
    again, pub = run(tmp_path, "q2-again", fake_result({**GRADES, "c2": "A"}, **kw), finished="2026-12-02T04:00:00")
    assert read_published(entry_of(again)).equals(read_published(entry_of(first)))  # not another period
    assert pub.fields["previous"]["identical"] and pub.fields["published"]["stability"] == {
        "rules": rules, "held": 1, "review": 1}
