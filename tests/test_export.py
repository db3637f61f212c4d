"""segment.export: the CSV a run hands to a CRM. Its format is pandas' ``to_csv``; the DuckDB
writer used for large tables must give the same bytes, checked here against pandas on
generated tables (text with delimiters, quotes, line breaks and formulas; extreme floats;
missing values of every kind)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segment import export
from segment.export import neutralise_formulas, write_csv, write_table

TEXT = st.text(st.sampled_from(list("ab,\"\n\r\t =+-@'#; 中é\x00")), max_size=6)
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e16, 1e15, 1e-5, 1e-4, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, 9007199254740993.0])


def pandas_csv(df: pd.DataFrame, path, *, index: bool) -> bytes:
    """The reference: what the writer promises (pandas, formulas neutralised)."""
    neutralise_formulas(df).to_csv(path, index=index, encoding="utf-8-sig", lineterminator="\n")
    return path.read_bytes()


@st.composite
def tables(draw):
    n = draw(st.integers(0, 12))
    kinds = draw(st.lists(st.sampled_from(["float", "int", "Int64", "bool", "boolean", "str", "object", "category"]),
                          min_size=1, max_size=5))
    data = {}
    for i, kind in enumerate(kinds):
        if kind == "float":
            col = pd.Series(draw(st.lists(FLOATS, min_size=n, max_size=n)), dtype="float64")
        elif kind == "int":
            col = pd.Series(draw(st.lists(st.integers(-2**63, 2**63 - 1), min_size=n, max_size=n)), dtype="int64")
        elif kind == "Int64":
            col = pd.Series(draw(st.lists(st.none() | st.integers(-10**6, 10**6), min_size=n, max_size=n)), dtype="Int64")
        elif kind == "bool":
            col = pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        elif kind == "boolean":
            col = pd.Series(draw(st.lists(st.none() | st.booleans(), min_size=n, max_size=n)), dtype="boolean")
        else:
            values = draw(st.lists(st.none() | TEXT, min_size=n, max_size=n))
            col = pd.Series(values, dtype={"str": "str", "object": object, "category": "category"}[kind])
            if kind == "category" and draw(st.booleans()):
                col = col.cat.as_ordered()
        data[draw(st.sampled_from(["", "a", "b,c", 'q"', "中文", "=x"])) + str(i)] = col
    df = pd.DataFrame(data)
    index_values = draw(st.lists(TEXT, min_size=n, max_size=n))
    df.index = pd.Index(index_values, dtype="str", name=draw(st.sampled_from([None, "customer_id", "id,x"])))
    return df


@settings(max_examples=300, deadline=None)
@given(tables(), st.booleans())
def test_the_duckdb_writer_gives_pandas_bytes(tmp_path_factory, df, index):
    tmp = tmp_path_factory.mktemp("csv")
    expected = pandas_csv(df, tmp / "pandas.csv", index=index)
    written = export._write_csv_duckdb(neutralise_formulas(df), tmp / "duckdb.csv", index=index)
    if df.shape[1] + index < 2:  # a lone empty cell is quoted by Python's csv: left to pandas
        assert not written
        return
    assert written, "every generated column type is covered"
    assert (tmp / "duckdb.csv").read_bytes() == expected
    assert not (tmp / "duckdb.csv.body").exists()


def test_types_it_does_not_cover_are_left_to_pandas(tmp_path):
    covered = pd.DataFrame({"a": [1.5, 2.0], "b": ["x", None]})
    assert export._write_csv_duckdb(covered, tmp_path / "ok.csv", index=False)
    for other in ({"when": pd.to_datetime(["2026-01-01", "2026-01-02"])},  # pandas writes dates without a time
                  {"mixed": pd.Series([1, "x"], dtype=object)},
                  {"f32": np.array([0.1, 0.2], dtype="float32")},
                  {"cats": pd.Categorical([1, 2])}):
        df = covered.assign(**other)
        assert not export._write_csv_duckdb(df, tmp_path / "no.csv", index=False)
        assert not (tmp_path / "no.csv").exists()
    assert not export._write_csv_duckdb(covered.rename(columns={"a": 0}), tmp_path / "no.csv", index=False)


def test_large_tables_go_through_duckdb_and_keep_the_format(tmp_path, monkeypatch):
    """write_csv switches writer at FAST_CSV_MIN_ROWS; the file is the same either way."""
    rng = np.random.default_rng(0)
    n = 500
    df = pd.DataFrame({"tier_abc": pd.Categorical(rng.choice(["A", "B", "=C"], n)), "score": rng.normal(size=n),
                       "provisional": rng.random(n) < 0.1},
                      index=pd.Index([f"{i:05d}" if i % 7 else f"-{i}" for i in range(n)], name="customer_id"))
    calls = []
    real = export._write_csv_duckdb
    monkeypatch.setattr(export, "_write_csv_duckdb", lambda *a, **k: calls.append(1) or real(*a, **k))
    write_csv(df, tmp_path / "small.csv")
    monkeypatch.setattr(export, "FAST_CSV_MIN_ROWS", n)
    write_csv(df, tmp_path / "large.csv")
    assert calls == [1]
    assert (tmp_path / "small.csv").read_bytes() == (tmp_path / "large.csv").read_bytes()
    text = (tmp_path / "large.csv").read_text(encoding="utf-8-sig")
    assert "'=C" in text and "'-7," in text and "False" in text


@pytest.mark.parametrize("parquet", [True, False])
def test_write_table_leaves_no_temporary_files(tmp_path, parquet):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    files = write_table(df, tmp_path / "t", parquet=parquet, index=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files)


def test_a_failed_atomic_write_leaves_no_temporary_file(tmp_path):
    from segment.export import atomic_write

    def half_written(p):
        p.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(tmp_path / "t.csv", half_written)
    assert list(tmp_path.iterdir()) == []
