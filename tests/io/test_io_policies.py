"""One test per documented bad-input policy (docs/DATA.md)."""

import pandas as pd
import pytest

from segment.io import DataContractError, format_audit, load_transactions, load_transactions_frame
from segment.io import policies as P

HEADER = "customer_id,order_id,order_ts,amount\n"


def load(write, rows, header=HEADER, **spec):
    return load_transactions({"path": str(write("t.csv", header + rows)), **spec})


def test_return_is_netted_against_its_order_by_order_id(write):
    r = load(write, "A,O1,2024-01-02 10:00,100\nA,O1,2024-03-01,-30\nA,O2,2024-02-01,5\n")
    tx = r.transactions
    assert tx["order_ts"].tolist()[1] == pd.Timestamp("2024-01-02 10:00")  # booked on its order
    assert tx.groupby("order_id")["amount"].sum().to_dict() == {"O1": 70.0, "O2": 5.0}
    assert r.changed[P.RETURN_TO_ORDER] == 1 and r.flagged[P.RETURN_LINES] == 1


def test_return_without_order_id_nets_against_the_latest_earlier_purchase(write):
    header = "customer_id,order_ts,amount\n"
    r = load(write, "A,2024-01-02,100\nA,2024-02-01,50\nA,2024-02-10,-20\nA,2024-03-01,10\n", header=header)
    tx = r.transactions
    assert tx.loc[tx["amount"] == -20, "order_ts"].iloc[0] == pd.Timestamp("2024-02-01")
    assert r.changed[P.RETURN_TO_PREVIOUS] == 1


def test_return_whose_order_is_not_in_the_data_nets_against_the_previous_purchase(write):
    r = load(write, "A,O1,2024-01-02,100\nA,C9,2024-01-05,-40\n")
    tx = r.transactions
    assert tx["order_id"].tolist() == ["O1", "O1"] and tx["order_ts"].nunique() == 1
    assert r.changed[P.RETURN_TO_PREVIOUS] == 1


def test_return_with_nothing_to_net_against_is_excluded_and_counted(write):
    r = load(write, "A,O1,2024-01-02,100\nB,O2,2024-01-03,-40\nA,O3,2024-01-01,-5\n")
    assert r.excluded == {P.ORPHAN_RETURN: 2}
    assert r.excluded_rows["line"].tolist() == [3, 4]
    assert r.rows_read == len(r.transactions) + 2


def test_zero_amounts_are_kept_and_counted(write):
    r = load(write, "A,O1,2024-01-02,0\nA,O2,2024-01-03,0.00\nB,O3,2024-01-03,5\n")
    assert len(r.transactions) == 3 and r.flagged[P.ZERO_AMOUNT] == 2 and r.excluded == {}


def test_exact_duplicate_rows_are_dropped_once_and_counted(write):
    header = "customer_id,order_id,order_ts,amount,product\n"
    rows = "A,O1,2024-01-02,5,cd\nA,O1,2024-01-02,5,cd\nA,O1,2024-01-02,5,dvd\nA,O1,2024-01-02,5,cd\n"
    r = load(write, rows, header=header)
    # the dvd line shares every mapped column but not the product: an order line, not a duplicate
    assert len(r.transactions) == 2 and r.excluded == {P.EXACT_DUPLICATE: 2}
    assert r.excluded_rows["line"].tolist() == [3, 5]
    kept = load(write, rows, header=header, exact_duplicates="keep")
    assert len(kept.transactions) == 4 and kept.excluded == {}
    assert kept.flagged == {P.DUPLICATE_KEPT_BY_SPEC: 2}  # kept, never silently


def test_identical_lines_without_an_order_id_are_kept_and_counted(write):
    # no order id: two identical lines can be two real purchases (CDNOW: the same CD twice on one day)
    header = "customer_id,order_ts,amount\n"
    rows = "A,2024-01-02,5\nA,2024-01-02,5\nA,2024-01-02,5\nB,2024-01-03,7\n"
    r = load(write, rows, header=header)
    assert len(r.transactions) == 4 and r.excluded == {}
    assert r.flagged == {P.DUPLICATE_KEPT: 2}
    assert "exact duplicate rows kept (identical lines, but no order id to tell them apart" in format_audit(r)
    dropped = load(write, rows, header=header, exact_duplicates="drop")
    assert len(dropped.transactions) == 2 and dropped.excluded == {P.EXACT_DUPLICATE: 2}
    assert dropped.excluded_rows["line"].tolist() == [3, 4]


def test_identical_lines_whose_order_id_is_missing_are_kept(write):
    # the order id column exists, but these lines have none: nothing proves them one line written twice
    r = load(write, "A,O1,2024-01-02,5\nA,O1,2024-01-02,5\nA,,2024-01-03,5\nA,,2024-01-03,5\n")
    assert r.excluded == {P.EXACT_DUPLICATE: 1} and r.excluded_rows["line"].tolist() == [3]
    assert r.flagged == {P.DUPLICATE_KEPT: 1} and len(r.transactions) == 3


def test_order_lines_share_their_order_timestamp(write):
    r = load(write, "A,O1,2024-01-02 09:00,5\nA,O1,2024-01-09 12:00,7\nA,O2,2024-01-05,1\n")
    assert r.transactions.loc[r.transactions["order_id"] == "O1", "order_ts"].unique().tolist() == [
        pd.Timestamp("2024-01-02 09:00")]
    assert r.changed[P.ORDER_REDATED] == 1


def test_missing_order_id_becomes_one_order_per_customer_day(write):
    r = load(write, "A,,2024-01-02 09:00,5\nA,,2024-01-02 17:00,7\nA,O2,2024-01-05,1\n")
    assert r.transactions["order_id"].tolist()[:2] == ["A|2024-01-02", "A|2024-01-02"]
    assert r.changed[P.ORDER_ID_FILLED] == 2


@pytest.mark.parametrize("blank", ["", "   ", "NULL", "nan", "N/A", "None", "#N/A"])
def test_missing_or_blank_ids_are_excluded(write, blank):
    r = load(write, f"A,O1,2024-01-02,5\n{blank},O2,2024-01-03,7\n")
    assert r.excluded == {P.MISSING_ID: 1} and r.transactions["customer_id"].tolist() == ["A"]


def test_whitespace_padded_ids_are_stripped(write):
    r = load(write, " A ,O1,2024-01-02,5\nA\t,O2,2024-01-03,7\n")
    assert r.transactions["customer_id"].tolist() == ["A", "A"]
    assert r.changed["customer_id: surrounding whitespace removed"] == 2


def test_float_mangled_ids(write):
    r = load(write, "17850.0,O1.0,2024-01-02,5\n17850,O2,2024-01-03,7\n00017.00,O3,2024-01-03,1\n")
    assert r.transactions["customer_id"].tolist() == ["17850", "17850", "00017"]
    assert r.transactions["order_id"].tolist() == ["O1.0", "O2", "O3"]  # not all digits: left alone
    assert r.changed["customer_id: spreadsheet float suffix removed ('17850.0' -> '17850')"] == 2
    off = load(write, "17850.0,O1,2024-01-02,5\n", fix_float_ids=False)
    assert off.transactions["customer_id"].tolist() == ["17850.0"]


def test_mixed_time_zones_become_naive_utc(write):
    rows = ("A,O1,2024-03-01T10:00:00+08:00,1\nA,O2,2024-03-01T10:00:00Z,1\nA,O3,2024-03-01 10:00,1\n"
            "A,O4,2024-03-01,1\nA,O5,2024-03-01T10:00:00-05:00,1\n")
    r = load(write, rows, timezone="Asia/Shanghai")
    assert r.transactions["order_ts"].tolist() == [
        pd.Timestamp("2024-03-01 02:00"),  # +08:00 -> UTC
        pd.Timestamp("2024-03-01 10:00"),  # already UTC
        pd.Timestamp("2024-03-01 02:00"),  # naive: taken as Asia/Shanghai
        pd.Timestamp("2024-03-01 00:00"),  # a calendar date is never shifted
        pd.Timestamp("2024-03-01 15:00"),
    ]
    assert r.changed["order_ts: timestamp with a UTC offset converted to UTC"] == 2
    assert r.changed["order_ts: local time (Asia/Shanghai) converted to UTC"] == 1
    assert str(r.transactions["order_ts"].dtype) == "datetime64[ns]"


def test_local_time_skipped_by_daylight_saving_is_a_problem(write):
    with pytest.raises(DataContractError, match="daylight-saving"):
        load(write, "A,O1,2024-03-10 02:30,1\n", timezone="America/New_York")
    ambiguous = load(write, "A,O1,2024-11-03 01:30,1\n", timezone="America/New_York")
    assert ambiguous.transactions["order_ts"].iloc[0] == pd.Timestamp("2024-11-03 05:30")  # first (EDT) occurrence


def test_impossible_dates_are_problems(write):
    with pytest.raises(DataContractError) as info:
        load(write, "A,O1,2023-02-29,1\nA,O2,2024-02-29,1\nA,O3,2024-04-31,1\n")
    assert [p.line for p in info.value.problems] == [2, 4]


@pytest.mark.parametrize(
    "text, value",
    [('"1,234.50"', 1234.5), ("¥300", 300.0), ("$12", 12.0), ('"￥1,000"', 1000.0), ("300元", 300.0),
     ("(12.00)", -12.0), ("-$5", -5.0), ("USD 7.5", 7.5), ('" 42 "', 42.0), ("1e3", 1000.0)],
)
def test_amounts_with_separators_and_currency_symbols(write, text, value):
    r = load(write, f"A,O0,2024-01-01,100\nA,O1,2024-01-02,{text}\n")
    assert r.transactions["amount"].tolist() == [100.0, value]  # (a negative one is netted as a return)


def test_thousands_separator_can_be_switched_off(write):
    with pytest.raises(DataContractError, match="line 2"):
        load(write, 'A,O1,2024-01-02,"1,234.50"\n', thousands=None)


def test_rows_after_the_as_of_date_are_kept(write):
    r = load(write, "A,O1,2024-01-02,5\nA,O2,2030-01-03,7\n")
    assert len(r.transactions) == 2  # the reader never cuts time: features ignore them, outcomes use them
    assert "rows after the as-of date 2024-06-30" in format_audit(r, as_of="2024-06-30")


def test_single_customer_loads_and_is_flagged(write):
    r = load(write, "A,O1,2024-01-02,5\nA,O2,2024-01-03,7\n")
    assert r.transactions["customer_id"].nunique() == 1
    assert "only one customer" in format_audit(r)


def test_all_identical_rows_collapse_to_one(write):
    r = load(write, "A,O1,2024-01-02,5\n" * 50)
    assert len(r.transactions) == 1 and r.excluded == {P.EXACT_DUPLICATE: 49}
    assert "every amount is 5" in format_audit(r)
    no_order_id = load(write, "A,2024-01-02,5\n" * 50, header="customer_id,order_ts,amount\n")
    assert len(no_order_id.transactions) == 50 and no_order_id.flagged[P.DUPLICATE_KEPT] == 49


def test_all_identical_values_in_distinct_rows(write):
    r = load(write, "".join(f"C{i},O{i},2024-01-02,5\n" for i in range(20)))
    audit = format_audit(r)
    assert "every amount is 5" in audit and "same timestamp" in audit


def test_payment_columns_and_days_late(write):
    header = "customer_id,order_id,order_ts,amount,due,paid\n"
    r = load(write, "A,O1,2024-01-02,5,2024-02-01,2024-02-11\nA,O2,2024-01-03,7,2024-02-02,\n", header=header,
             columns={"due_date": "due", "paid_date": "paid"})
    assert r.transactions["paid_date"].isna().tolist() == [False, True]  # blank = not paid (yet)
    header = "customer_id,order_id,order_ts,amount,days_late\n"
    r = load(write, "A,O1,2024-01-02,5,3\nA,O2,2024-01-03,7,\n", header=header, payment_terms_days=30)
    tx = r.transactions
    assert tx["due_date"].iloc[0] == pd.Timestamp("2024-02-01")
    assert tx["paid_date"].iloc[0] == pd.Timestamp("2024-02-04") and pd.isna(tx["paid_date"].iloc[1])


def test_days_late_without_a_due_date_is_a_spec_error(write):
    from segment.io import InputSpecError

    with pytest.raises(InputSpecError, match="payment_terms_days"):
        load(write, "A,O1,2024-01-02,5,3\n", header="customer_id,order_id,order_ts,amount,days_late\n")


def test_customer_table_joins_the_result(write, tmp_path):
    cust = write("c.csv", "customer_id,industry,region\nA,制造,North\nZ,零售,South\n")
    r = load(write, "A,O1,2024-01-02,5\nB,O2,2024-01-03,7\n", customers={"path": str(cust)})
    assert r.customers["customer_id"].tolist() == ["A", "Z"]
    assert r.customers_audit["customers_without_attributes"] == 1
    assert r.customers_audit["customers_without_orders"] == 1


def test_loader_never_mutates_the_callers_frame():
    df = pd.DataFrame({"customer_id": [" 001", "17850.0", None, "A", "A"],
                       "order_ts": ["2024-01-02T10:00+08:00", "2024-01-03", "2024-01-03", "2024-01-04", "2024-01-04"],
                       "amount": ["1,234.50", "¥300", "1", "-5", "-5"], "extra": [1, 2, 3, 4, 4]})
    before = df.copy(deep=True)
    r = load_transactions_frame(df)
    pd.testing.assert_frame_equal(df, before)
    # the two identical returns of A are kept (no order id), then excluded: nothing to net them against
    assert r.rows_read == 5 and r.excluded == {P.MISSING_ID: 1, P.ORPHAN_RETURN: 2} and r.flagged == {}
    assert r.transactions["customer_id"].tolist()[:2] == ["001", "17850"]


def test_frame_with_typed_columns():
    df = pd.DataFrame({"customer_id": [1, 2], "order_ts": pd.to_datetime(["2024-01-02", "2024-01-03"]),
                       "amount": [1.0, 2.5]})
    r = load_transactions_frame(df)
    assert r.transactions["customer_id"].tolist() == ["1", "2"] and r.source["format"] == "frame"


def test_load_from_config_and_manifest_ready_source(write):
    import json

    from segment.io import load_from_config

    path = write("t.csv", HEADER + "A,O1,2024-01-02,5\n,O2,2024-01-03,7\n")
    r = load_from_config({"path": str(path), "exact_duplicates": "drop"}, source="run.yaml")
    summary = json.loads(json.dumps(r.summary()))  # plain data, ready for manifest.json
    assert summary["rows_read"] == 2 and summary["rows_kept"] == 1 and summary["source"]["sha256"] == r.sha256
    assert r.data_end == "2024-01-02"
