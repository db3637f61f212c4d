"""The engine part of a ``data:`` section is checked without connecting (segment.engines.spec),
and the config check that runs it imports no Ibis or Spark."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from segment.config import ConfigError, RunConfig
from segment.engines.spec import EngineConfigError, check_engine_spec, engine_of

BASE = {"output_name": "x", "as_of": "2024-06-30", "horizon_days": 30, "methods": {"abc_revenue": {}}}


@pytest.mark.parametrize("data, message", [
    ({"engine": "hadoop", "path": "x.parquet"}, "not one of"),
    ({"engine": "spark"}, "exactly one of 'path'"),
    ({"engine": "spark", "path": "a.parquet", "table": "t"}, "exactly one of 'path'"),
    ({"engine": "spark", "dataset": "cdnow_master"}, "use engine duckdb"),
    ({"engine": "spark", "path": "a.parquet", "encoding": "gbk"}, "unknown key"),
    ({"engine": "spark", "path": "a.parquet", "columns": {"customer": "id"}}, "not an input column"),
    ({"engine": "spark", "path": "a.parquet", "spark": {"conf": {"spark.sql.session.timeZone": "Asia/Shanghai"}}},
     "must be UTC"),
    ({"engine": "spark", "path": "a.parquet", "spark": {"workers": 4}}, "master, app_name and/or conf"),
    ({"engine": "ibis", "table": "t"}, "needs 'backend'"),
    ({"engine": "ibis", "backend": "duckdb", "table": "t", "customers": {"columns": {}}}, "customers must give"),
])
def test_bad_engine_sections_name_the_key(data, message):
    with pytest.raises(ConfigError, match=message) as info:
        RunConfig.from_dict({**BASE, "data": data}, source="cfg.yaml")
    assert "cfg.yaml: data" in str(info.value)
    with pytest.raises(EngineConfigError, match=message):
        check_engine_spec(data, "cfg.yaml")


def test_valid_engine_sections_pass_without_connecting():
    for data in ({"engine": "spark", "table": "sales.lines", "spark": {"master": "spark://head:7077"}},
                 {"engine": "ibis", "backend": "postgres", "connect": {"host": "db"}, "table": "lines"},
                 {"engine": "duckdb", "dataset": "cdnow_master"}):
        assert RunConfig.from_dict({**BASE, "data": data}).data == data
    assert engine_of({"path": "x.csv"}) == "duckdb"


def test_tuning_is_refused_on_a_remote_engine():
    import yaml

    raw = yaml.safe_load(open("configs/cdnow_tuning.yaml", encoding="utf-8"))
    RunConfig.from_dict(raw, source="cfg.yaml")  # a valid tuning config on the default engine
    raw["data"] = {"engine": "spark", "path": "a.parquet"}
    with pytest.raises(ConfigError, match="tuning .* does not run with data.engine spark"):
        RunConfig.from_dict(raw, source="cfg.yaml")


def test_the_engine_spec_check_imports_no_engine():
    """segment.engines (package and spec check) loads without Ibis, DuckDB or pyspark."""
    script = ("import json, sys\n"
              "import segment.engines\n"
              "from segment.engines import check_engine_spec\n"
              "check_engine_spec({'engine': 'spark', 'path': 'a.parquet'})\n"
              "print(json.dumps(sorted(m for m in ('ibis', 'duckdb', 'pyspark', 'pandas') if m in sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
