"""One test per reader and encoding: UTF-8, UTF-8 with BOM, GBK / GB18030 with Chinese
names, undecodable bytes, empty and header-only files, Parquet, DuckDB SQL, whitespace."""

import duckdb
import pandas as pd
import pytest

from segment.hashing import file_sha256
from segment.io import DataContractError, load_customers, load_transactions

CN_COLUMNS = {"customer_id": "客户编号", "order_ts": "下单日期", "amount": "金额"}


def test_utf8_csv_keeps_leading_zeros(write):
    path = write("a.csv", "customer_id,order_ts,amount\n00042,2024-01-02,10.5\n00042,2024-02-03,4\n7,2024-02-03,1\n")
    result = load_transactions({"path": str(path)})
    tx = result.transactions
    assert list(tx["customer_id"]) == ["00042", "00042", "7"]
    assert str(tx["customer_id"].dtype) == "str"
    assert str(tx["order_ts"].dtype) == "datetime64[ns]" and str(tx["amount"].dtype) == "float64"
    assert result.rows_read == 3 and result.excluded == {}
    assert result.sha256 == file_sha256(path)
    assert result.source["format"] == "csv" and result.source["encoding"] == "utf-8"


def test_utf8_with_bom(write):
    path = write("bom.csv", "\ufeffcustomer_id,order_ts,amount\nA,2024-01-02,1\n")
    for encoding in ("utf-8", "utf-8-sig"):
        result = load_transactions({"path": str(path), "encoding": encoding})
        assert list(result.transactions["customer_id"]) == ["A"]  # the BOM is not part of the header


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_chinese_encodings_with_chinese_headers_and_names(write, encoding):
    text = "客户编号,客户名称,下单日期,金额\n000123,张三贸易有限公司,2024-01-02,\"1,234.50\"\n000456,李四,2024-01-03,￥300\n"
    path = write(f"orders_{encoding}.csv", text, encoding=encoding)
    result = load_transactions({"path": str(path), "encoding": encoding, "columns": CN_COLUMNS})
    tx = result.transactions
    assert list(tx["customer_id"]) == ["000123", "000456"]
    assert list(tx["amount"]) == [1234.5, 300.0]
    assert result.source["columns"]["customer_id"] == "客户编号"


def test_gb18030_characters_outside_gbk(write):
    text = "客户编号,下单日期,金额\n𠀀公司,2024-01-02,1\n"  # U+20000 exists only in GB18030
    path = write("ext.csv", text, encoding="gb18030")
    result = load_transactions({"path": str(path), "encoding": "gb18030", "columns": CN_COLUMNS})
    assert result.transactions["customer_id"].iloc[0] == "𠀀公司"
    with pytest.raises(DataContractError, match="line 2"):
        load_transactions({"path": str(path), "encoding": "gbk", "columns": CN_COLUMNS})


def test_undecodable_bytes_name_the_line_and_are_never_replaced(write):
    path = write("bad.csv", b"customer_id,order_ts,amount\nA,2024-01-02,1\nB,2024-01-03,1\nC\xff\xfe,2024-01-04,1\n")
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path)})
    message = str(info.value)
    assert "bad.csv, line 4" in message
    assert "\\xff" in message and "utf-8" in message


def test_gbk_file_read_as_utf8_suggests_the_encoding(write):
    path = write("gbk.csv", "客户编号,下单日期,金额\n张三,2024-01-02,1\n", encoding="gbk")
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path), "columns": CN_COLUMNS})
    assert "line 1" in str(info.value) and "gb18030" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf", b"   \n"])
def test_empty_file_is_a_clear_error(write, content):
    path = write("empty.csv", content)
    with pytest.raises(DataContractError, match="the file is empty"):
        load_transactions({"path": str(path)})


def test_header_only_file_is_a_clear_error(write):
    path = write("header.csv", "customer_id,order_ts,amount\n")
    with pytest.raises(DataContractError, match="header but no data rows"):
        load_transactions({"path": str(path)})


def test_missing_column_lists_what_the_file_has(write):
    path = write("cols.csv", "Customer ID,order_ts,amount\nA,2024-01-02,1\n")
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path)})
    message = str(info.value)
    assert "'customer_id'" in message and "Customer ID" in message and "required" in message


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_transactions({"path": str(tmp_path / "nope.csv")})


def test_parquet_typed_columns(tmp_path):
    path = tmp_path / "tx.parquet"
    pd.DataFrame({
        "cid": ["007", "008"],
        "ts": pd.to_datetime(["2024-01-02 10:00", "2024-01-03 11:00"]).tz_localize("Asia/Shanghai"),
        "amt": [1.5, 2.0],
        "unused": [1, 2],
    }).to_parquet(path)
    result = load_transactions({"path": str(path), "columns": {"customer_id": "cid", "order_ts": "ts", "amount": "amt"}})
    tx = result.transactions
    assert list(tx["customer_id"]) == ["007", "008"]
    assert tx["order_ts"].iloc[0] == pd.Timestamp("2024-01-02 02:00")  # converted to UTC
    assert result.source["format"] == "parquet" and result.sha256 == file_sha256(path)


def test_parquet_float_ids_and_contract_rows(tmp_path):
    path = tmp_path / "f.parquet"
    pd.DataFrame({"customer_id": [17850.0, 12.5], "order_ts": pd.to_datetime(["2024-01-02", "2024-01-03"]),
                  "amount": [1.0, float("inf")]}).to_parquet(path)
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path)})
    message = str(info.value)
    assert "f.parquet, row 2, column 'customer_id': value '12.5'" in message
    assert "f.parquet, row 2, column 'amount': value 'inf'" in message


def test_sql_query_through_duckdb(tmp_path, write):
    csv_path = write("raw.csv", "cust,day,value,region\n001,2024-01-02,5,N\n002,2024-01-03,7,S\n")
    query = f"SELECT cust, CAST(day AS DATE) AS day, value FROM read_csv('{csv_path}', all_varchar=true) WHERE region = 'N'"
    result = load_transactions({"query": query, "columns": {"customer_id": "cust", "order_ts": "day", "amount": "value"}})
    assert list(result.transactions["customer_id"]) == ["001"]
    assert result.source["format"] == "sql" and result.sha256 is None


def test_sql_against_a_database_file(tmp_path):
    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders AS SELECT '0001' AS customer_id, TIMESTAMP '2024-01-02 10:00' AS order_ts, "
                "12.5::DECIMAL(10,2) AS amount, 'O1' AS order_id")
    con.close()
    before = file_sha256(db)
    result = load_transactions({"query": "SELECT * FROM orders;", "database": str(db)})
    assert result.transactions["amount"].iloc[0] == 12.5
    assert result.source["database_sha256"] == before == file_sha256(db)


def test_whitespace_separated_file(write):
    path = write("cdnow.txt", "customer_id  order_ts  qty amount\n00001 2024-01-01  1   11.77\n\n00002 2024-01-12 5 77.00\n")
    result = load_transactions({"path": str(path), "delimiter": "whitespace", "columns": {"quantity": "qty"}})
    assert list(result.transactions["customer_id"]) == ["00001", "00002"]
    assert list(result.transactions["quantity"]) == [1.0, 5.0]


def test_line_numbers_stay_right_with_blank_lines_and_quoted_newlines(write):
    path = write("multi.csv", 'customer_id,note,order_ts,amount\nA,"two\nlines",2024-01-02,1\n\nB,x,2024-01-03,oops\n')
    with pytest.raises(DataContractError) as info:
        load_transactions({"path": str(path)})
    assert "multi.csv, line 5, column 'amount': value 'oops'" in str(info.value)


def test_semicolon_delimiter_and_decimal_comma(write):
    path = write("eu.csv", "customer_id;order_ts;amount\nA;2024-01-02;1.234,50\nB;2024-01-02;€12,5\n")
    result = load_transactions({"path": str(path), "delimiter": ";", "decimal": ",", "thousands": "."})
    assert list(result.transactions["amount"]) == [1234.5, 12.5]


def test_ragged_row_is_a_contract_error(write):
    path = write("ragged.csv", "customer_id,order_ts,amount\nA,2024-01-02,1\nB,2024-01-02,1,extra\n")
    with pytest.raises(DataContractError, match="line 3|Line: 3"):
        load_transactions({"path": str(path)})


def test_input_file_is_never_modified(write):
    path = write("keep.csv", " 001 ,2024-01-02,\"1,234.50\"\n".join(["customer_id,order_ts,amount\n", ""]) +
                 "\n002,2024-01-02,¥3\n")
    before, mtime = file_sha256(path), path.stat().st_mtime_ns
    load_transactions({"path": str(path)})
    assert file_sha256(path) == before and path.stat().st_mtime_ns == mtime


def test_customer_table_with_extras(write):
    path = write("cust.csv", "id,行业,region,credit_limit,first_contract_date,segment_note\n"
                             "001,制造,North,\"10,000\",2020-05-01,vip\n002,,South,0,2021-01-01,\n")
    customers, audit = load_customers({"path": str(path), "columns": {"customer_id": "id", "industry": "行业"}})
    assert list(customers.columns) == ["customer_id", "industry", "region", "credit_limit", "first_contract_date",
                                       "segment_note"]
    assert list(customers["customer_id"]) == ["001", "002"]
    assert customers["credit_limit"].tolist() == [10000.0, 0.0]
    assert pd.isna(customers["industry"].iloc[1])
    assert audit["rows_read"] == 2 and audit["sha256"] == file_sha256(path)


def test_customer_table_duplicate_ids_with_different_rows_fail(write):
    path = write("cust.csv", "customer_id,region\n001,North\n001,South\n002,East\n002,East\n")
    with pytest.raises(DataContractError) as info:
        load_customers({"path": str(path)})
    assert "line 2" in str(info.value) and "line 3" in str(info.value) and "one row per customer" in str(info.value)


def test_trailing_blank_lines_keep_the_fast_line_mapping(write):
    from segment.io.csvfile import read_csv
    from segment.io.config import InputSpec

    path = write("tail.csv", "customer_id,order_ts,amount\nA,2024-01-02,1\nB,2024-01-03,x\n\n\n")
    raw = read_csv(InputSpec(path=str(path)), ("customer_id", "order_ts", "amount"), ("customer_id",))
    assert raw.locate.exact and raw.locate([1])[0] == 3
    with pytest.raises(DataContractError, match="line 3, column 'amount': value 'x'"):
        load_transactions({"path": str(path)})
