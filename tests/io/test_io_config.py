import pytest
import yaml

from segment.io import CustomerSpec, InputSpec, InputSpecError


def test_spec_from_yaml_dict_round_trips():
    raw = yaml.safe_load("""
path: orders.csv
encoding: gb18030
columns: {customer_id: 客户编号, order_ts: 下单时间, amount: 金额, order_id: 订单号}
date_format: "%Y/%m/%d %H:%M"
thousands: ","
timezone: Asia/Shanghai
customers:
  path: customers.csv
  columns: {customer_id: 客户编号, industry: 行业}
""")
    spec = InputSpec.from_dict(raw)
    assert spec.kind == "csv" and spec.encoding == "gb18030"
    assert spec.columns["customer_id"] == "客户编号"
    assert isinstance(spec.customers, CustomerSpec)
    assert spec.customers.encoding == "gb18030"  # parsing options are inherited
    assert spec.customers.timezone == "Asia/Shanghai"
    again = InputSpec.from_dict(spec.to_dict())
    assert again == spec


@pytest.mark.parametrize(
    "raw, words",
    [
        ({"path": "a.csv", "encodng": "gbk"}, "unknown key(s) ['encodng']"),
        ({"path": "a.csv", "query": "select 1"}, "not both"),
        ({"path": "a.csv", "encoding": "klingon"}, "not a known text encoding"),
        ({"path": "a.csv", "encoding": "utf-16"}, "not ASCII-compatible"),
        ({"path": "a.csv", "timezone": "China"}, "not an IANA time zone"),
        ({"path": "a.csv", "columns": {"cost": "c", "margin": "m"}}, "either cost or margin"),
        ({"path": "a.csv", "columns": {"revenue": "x"}}, "columns.revenue is not an input column"),
        ({"path": "a.csv", "columns": {"customer_id": "x", "order_id": "x"}}, "more than one internal column"),
        ({"path": "a.csv", "columns": {"amount": None}}, "cannot be left out"),
        ({"path": "a.csv", "decimal": ",", "thousands": ","}, "thousands"),
        ({"path": "a.csv", "exact_duplicates": "sometimes"}, "exact_duplicates"),
    ],
)
def test_invalid_spec_names_the_key(raw, words):
    with pytest.raises(InputSpecError, match=None) as info:
        InputSpec.from_dict(raw, origin="run.yaml")
    assert words in str(info.value)
    assert str(info.value).startswith("run.yaml")


def test_format_inferred_from_path_or_query():
    assert InputSpec.from_dict({"path": "x.parquet"}).kind == "parquet"
    assert InputSpec.from_dict({"path": "x.txt"}).kind == "csv"
    assert InputSpec.from_dict({"query": "select 1"}).kind == "sql"
