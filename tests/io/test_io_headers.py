"""Column names are the source's own (docs/DATA.md 3): a name given to two columns is an error
naming the file and the columns, and so is a mapping to a name the source does not have, such
as the ``amount_1`` a reader invents for a second ``amount``."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segment.io import DataContractError, load_customers, load_transactions, load_transactions_frame

DUP = "customer_id,order_ts,amount,amount\nA,2024-01-02,1,200\nB,2024-01-03,2,300\n"


def _message(call) -> str:
    with pytest.raises(DataContractError) as info:
        call()
    return str(info.value)


def test_duplicate_header_in_a_csv_is_an_error_naming_file_and_columns(write):
    path = write("dup.csv", DUP)
    message = _message(lambda: load_transactions({"path": str(path)}))
    assert message.startswith(f"{path}: ")
    assert "duplicate column names in the header: 'amount' (columns 3 and 4)" in message


def test_mapping_the_name_a_reader_invents_for_the_second_column_is_an_error(write):
    # DuckDB reads the second 'amount' as 'amount_1': the file has no such column
    path = write("dup.csv", DUP)
    message = _message(lambda: load_transactions({"path": str(path), "columns": {"amount": "amount_1"}}))
    assert "duplicate column names in the header: 'amount' (columns 3 and 4)" in message  # both problems at once
    assert "column 'amount_1' for amount (mapped in the input spec) is not in the source" in message
    assert "it has ['customer_id', 'order_ts', 'amount', 'amount']" in message
    assert "how a reader renames a second 'amount' column" in message


@pytest.mark.parametrize("name", ["amount_1", "amount.1", "Amount", "total"])
def test_mapping_to_a_column_the_file_does_not_have_names_the_columns(write, name):
    path = write("one.csv", "customer_id,order_ts,amount\nA,2024-01-02,1\n")
    message = _message(lambda: load_transactions({"path": str(path), "columns": {"amount": name}}))
    assert message.startswith(f"{path}: ")
    assert f"column {name!r} for amount (mapped in the input spec) is not in the source" in message
    assert "it has ['customer_id', 'order_ts', 'amount']" in message
    assert "duplicate" not in message


def test_an_unmapped_duplicate_is_an_error_too(write):
    path = write("notes.csv", "customer_id,note,order_ts,amount,note,note\nA,x,2024-01-02,1,y,z\n")
    message = _message(lambda: load_transactions({"path": str(path)}))
    assert "notes.csv" in message and "'note' (columns 2, 5 and 6)" in message


def test_duplicate_header_in_a_whitespace_file(write):
    # pandas, which reads these files, would call the second one 'dollar_value.1'
    path = write("cdnow_like.txt", " customer_id date dollar_value dollar_value\n 00001 19970101 11.77 1.00\n")
    spec = {"path": str(path), "delimiter": "whitespace", "date_format": "%Y%m%d",
            "columns": {"order_ts": "date", "amount": "dollar_value.1"}}
    message = _message(lambda: load_transactions(spec))
    assert "cdnow_like.txt" in message
    assert "duplicate column names in the header: 'dollar_value' (columns 3 and 4)" in message
    assert "column 'dollar_value.1' for amount (mapped in the input spec) is not in the source" in message


def test_duplicate_header_in_a_gb18030_file_is_read_in_its_encoding(write):
    path = write("订单.csv", "客户编号,下单日期,金额,金额\n001,2024-01-02,1,2\n", encoding="gb18030")
    spec = {"path": str(path), "encoding": "gb18030",
            "columns": {"customer_id": "客户编号", "order_ts": "下单日期", "amount": "金额"}}
    message = _message(lambda: load_transactions(spec))
    assert "订单.csv" in message and "'金额' (columns 3 and 4)" in message


def test_header_names_are_mapped_by_position_not_by_the_readers_renaming(write):
    # spaces around a name are ignored (as before); a quoted name may hold the delimiter; a trailing
    # delimiter gives an unnamed column, which is no duplicate and cannot be mapped under DuckDB's 'column4'
    path = write("odd.csv", 'customer_id, order_ts ,"amount, USD",,\nA,2024-01-02,1.5,,\n')
    result = load_transactions({"path": str(path), "columns": {"amount": "amount, USD"}})
    assert result.transactions["amount"].tolist() == [1.5]
    assert result.source["columns"] == {"customer_id": "customer_id", "order_ts": "order_ts", "amount": "amount, USD"}
    message = _message(lambda: load_transactions({"path": str(path), "columns": {"amount": "column4"}}))
    assert "column 'column4' for amount (mapped in the input spec) is not in the source" in message


def test_duplicate_names_in_a_parquet_schema(tmp_path):
    # pyarrow writes a schema with a repeated name without complaint; readers then rename or pick one
    path = tmp_path / "dup.parquet"
    table = pa.Table.from_arrays([pa.array(["A", "B"]), pa.array(["2024-01-02", "2024-01-03"]),
                                  pa.array([1.0, 2.0]), pa.array([200.0, 300.0])],
                                 names=["customer_id", "order_ts", "amount", "amount"])
    pq.write_table(table, path)
    assert pq.ParquetFile(path).schema_arrow.names.count("amount") == 2
    message = _message(lambda: load_transactions({"path": str(path)}))
    assert message.startswith(f"{path}: ")
    assert "duplicate column names in the Parquet schema: 'amount' (columns 3 and 4)" in message
    message = _message(lambda: load_transactions({"path": str(path), "columns": {"amount": "amount_1"}}))
    assert "column 'amount_1' for amount (mapped in the input spec) is not in the source" in message


def test_duplicate_header_in_the_customer_table(write):
    orders = write("orders.csv", "customer_id,order_ts,amount\nA,2024-01-02,1\n")
    customers = write("customers.csv", "customer_id,region,region\nA,North,South\n")
    message = _message(lambda: load_customers({"path": str(customers)}))
    assert message.startswith(f"{customers}: ")
    assert "duplicate column names in the header: 'region' (columns 2 and 3)" in message
    message = _message(lambda: load_transactions({"path": str(orders), "customers": {"path": str(customers)}}))
    assert "customers.csv" in message and "'region' (columns 2 and 3)" in message


def test_duplicate_names_in_a_query_result_and_a_dataframe(write):
    path = write("raw.csv", "cust,day,value\n001,2024-01-02,5\n")
    query = (f"SELECT cust AS customer_id, day AS order_ts, value AS amount, value AS amount "
             f"FROM read_csv('{path}', all_varchar=true)")
    message = _message(lambda: load_transactions({"query": query}))
    assert "duplicate column names in the query's result: 'amount' (columns 3 and 4)" in message
    df = pd.DataFrame([["A", "2024-01-02", "1", "2"]], columns=["customer_id", "order_ts", "amount", "amount"])
    message = _message(lambda: load_transactions_frame(df))
    assert "<DataFrame>" in message and "'amount' (columns 3 and 4)" in message


def test_check_data_reports_a_duplicate_header_without_a_traceback(write, capsys):
    from segment.cli import main

    path = write("dup.csv", DUP)
    code = main(["check-data", str(path), "--column", "amount=amount_1"])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code != 0 and "Traceback" not in text
    assert "dup.csv" in text and "'amount' (columns 3 and 4)" in text and "'amount_1'" in text
