"""The contract: one DataContractError, raised before any computation, listing every problem
with file, line, column and value (the first N per check, and a count of the rest)."""

import pandas as pd
import pytest

from segment.io import DataContractError, load_transactions, load_transactions_frame


def test_error_names_file_line_column_and_value(write):
    path = write("orders.csv", "客户,日期,金额\nA,2024-01-02,12\nB,2024-02-30,13\nC,2024-01-04,abc\n")
    spec = {"path": str(path), "columns": {"customer_id": "客户", "order_ts": "日期", "amount": "金额"}}
    with pytest.raises(DataContractError) as info:
        load_transactions(spec)
    err = info.value
    message = str(err)
    assert "orders.csv, line 3, column '日期' (order_ts): value '2024-02-30'" in message
    assert "orders.csv, line 4, column '金额' (amount): value 'abc'" in message
    assert isinstance(err, ValueError) and err.total == 2
    assert {(p.line, p.value) for p in err.problems} == {(3, "2024-02-30"), (4, "abc")}
    assert "nothing was computed" in message


def test_first_n_values_then_a_count_of_the_rest(write):
    rows = "".join(f"C{i},2024-01-{i % 28 + 1:02d},x{i}\n" for i in range(25))
    path = write("many.csv", "customer_id,order_ts,amount\n" + rows)
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path), "max_errors_shown": 3})
    message = str(info.value)
    assert "25 rows" in message and "... and 22 more" in message
    assert "line 2," in message and "line 4," in message and "line 5," not in message


def test_missing_required_values_are_listed(write):
    path = write("blank.csv", "customer_id,order_ts,amount\nA,,1\nB,2024-01-02,\nC,NULL,1\n")
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path)})
    message = str(info.value)
    assert "line 2, column 'order_ts': missing value" in message
    assert "line 3, column 'amount': missing value" in message
    assert "line 4, column 'order_ts': value 'NULL'" in message


def test_rows_without_customer_id_are_not_judged(write):
    # a footer line ("total") has no customer id: it is excluded by policy, not a contract error
    path = write("footer.csv", "customer_id,order_ts,amount\nA,2024-01-02,1\n,,TOTAL 1\n")
    result = load_transactions({"path": str(path)})
    assert result.rows_read == 2 and len(result.transactions) == 1


@pytest.mark.parametrize(
    "rows, words",
    [
        ("A,2024-01-02,$12\nB,2024-01-02,¥30\nC,2024-01-02,¥31\n", "one currency in the whole column"),
        ("1.7850E+04,2024-01-02,1\n", "scientific notation"),
        ("A,1899-12-31,1\n", "a date between 1900-01-01 and 2100-12-31"),
        ("A,2024-13-01,1\n", "exists in the calendar"),
        ("A,2024-01-02,inf\n", "a number"),
        ("A,2024-01-02,nan\n", "a value in every row"),
        ("A,2024-01-02,\"1,23\"\n", "in groups of three"),
        ("A,02/01/2024,1\n", "ISO 8601"),
    ],
)
def test_each_check(write, rows, words):
    path = write("c.csv", "customer_id,order_ts,amount\n" + rows)
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path)})
    assert words in str(info.value)


def test_order_id_shared_by_two_customers(write):
    path = write("o.csv", "customer_id,order_id,order_ts,amount\nA,O1,2024-01-02,1\nB,O1,2024-01-02,1\nC,O2,2024-01-02,1\n")
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path)})
    message = str(info.value)
    assert "line 2, column 'order_id': value 'O1'" in message and "line 3" in message and "line 4" not in message


def test_margin_above_one_and_percent_strings(write):
    path = write("m.csv", "customer_id,order_ts,amount,margin\nA,2024-01-02,10,30%\nB,2024-01-02,10,30\n")
    with pytest.raises(DataContractError, match="line 3, column 'margin': value '30'"):
        load_transactions({"path": str(path)})
    ok = write("m2.csv", "customer_id,order_ts,amount,margin\nA,2024-01-02,10,30%\nB,2024-01-02,10,0.25\n")
    assert load_transactions({"path": str(ok)}).transactions["margin"].tolist() == [0.3, 0.25]


def test_date_format_option(write):
    path = write("d.csv", "customer_id,order_ts,amount\nA,31/01/2024,1\nB,31/02/2024,1\n")
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path), "date_format": "%d/%m/%Y"})
    assert "line 3" in str(info.value) and "'%d/%m/%Y'" in str(info.value)


def test_all_problems_of_all_columns_in_one_error():
    df = pd.DataFrame({"customer_id": ["A", "1e5", "C"], "order_ts": ["2024-01-01", "x", "2024-01-03"],
                       "amount": ["1", "2", "y"]})
    with pytest.raises(DataContractError) as info:
        load_transactions_frame(df)
    assert {p.column for p in info.value.problems} == {"'customer_id'", "'order_ts'", "'amount'"}
    assert "<DataFrame>, row 2, column 'order_ts': value 'x'" in str(info.value)
