"""Files a run hands to other systems: CRM-ready tier tables and the validation tables.

CSV cells that a spreadsheet would execute as a formula (text starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) are prefixed with an apostrophe, the OWASP
rule against CSV injection; numbers are written as numbers and left alone. Every file
is written to a temporary name in the same folder and renamed into place, so a reader
never sees half a file.

The CSV format is pandas' ``to_csv`` (UTF-8 with BOM, ``\n`` line ends, floats as Python's
``repr``, ``True``/``False``, missing values empty, Python ``csv`` minimal quoting). A table
of ``FAST_CSV_MIN_ROWS`` rows or more whose columns are all numbers, booleans or text is
written by DuckDB instead, byte for byte the same (tests/test_export.py checks it against
pandas): for the 2.36 M-customer tier table pandas took 43 s, DuckDB 10 s.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: tables with fewer rows are written by pandas (a DuckDB connection costs more than it saves)
FAST_CSV_MIN_ROWS = 100_000


def _neutralised(s: pd.Series) -> pd.Series | None:
    """``s`` with formula-like text prefixed, or None when nothing needs it. A categorical is
    checked (and renamed) by its categories: a tier column of millions of rows has three labels."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = pd.Series(s.cat.categories.astype("str"))
        risky = cats.str.startswith(FORMULA_PREFIXES)
        return s.cat.rename_categories(list(cats.where(~risky, "'" + cats))) if risky.any() else None
    if pd.api.types.is_string_dtype(s) or s.dtype == object:
        text = s.astype("str")
        risky = s.notna() & text.str.startswith(FORMULA_PREFIXES)
        if risky.any():
            return text.where(~risky, "'" + text).where(s.notna(), None)
    return None


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text cells -- and index labels (customer ids) -- that start like a
    formula get a leading apostrophe."""
    out = df.copy()
    for col in out.columns:
        fixed = _neutralised(out[col])
        if fixed is not None:
            out[col] = fixed
    fixed = _neutralised(out.index.to_series())
    if fixed is not None:
        out.index = pd.Index(fixed, name=out.index.name)
    return out


def atomic_write(path: Path, write) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``; a failed write
    leaves no temporary file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _csv_text_sql(col: str, s: pd.Series) -> str | None:
    """The DuckDB expression that turns column ``col`` (holding ``s``) into the text pandas'
    ``to_csv`` writes for it, quoting included; None for a type it does not cover."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):  # numpy bool or pandas' nullable boolean
        return f"CASE WHEN {col} THEN 'True' WHEN NOT {col} THEN 'False' END"
    if pd.api.types.is_integer_dtype(dtype) or (pd.api.types.is_float_dtype(dtype) and dtype.itemsize == 8):
        return f"CAST({col} AS VARCHAR)"  # a double's text in DuckDB is Python's repr; NaN arrives as NULL
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories  # none at all: every cell missing
        text = len(cats) == 0 or pd.api.types.infer_dtype(cats, skipna=True) in ("string", "empty")
    else:
        text = pd.api.types.is_string_dtype(dtype) and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    if not text:
        return None
    value = f"CAST({col} AS VARCHAR)"  # Python's csv quotes a cell holding the delimiter, the quote or a \n
    return (f"CASE WHEN {value} = '' THEN NULL "
            f"WHEN contains({value}, ',') OR contains({value}, '\"') OR contains({value}, chr(10)) "
            f"THEN '\"' || replace({value}, '\"', '\"\"') || '\"' ELSE {value} END")


def _write_csv_duckdb(df: pd.DataFrame, path: Path, *, index: bool) -> bool:
    """Write ``df`` as pandas' ``to_csv(path, index=index, encoding="utf-8-sig", lineterminator="\\n")``
    would, by DuckDB; False (nothing written) when a column's type is not covered, a label is not
    text, or there are fewer than two columns (Python's csv quotes a lone empty cell)."""
    import duckdb
    import pyarrow as pa

    from segment.features import duckdb_settings

    names = [*(df.index.names if index else []), *df.columns]
    if len(names) < 2 or not all(n is None or isinstance(n, str) for n in names) or df.columns.nlevels != 1:
        return False
    series = [*(df.index.get_level_values(i).to_series() for i in range(df.index.nlevels) if index),
              *(df.iloc[:, j] for j in range(df.shape[1]))]
    exprs = [_csv_text_sql(f"c{i}", s) for i, s in enumerate(series)]
    if any(e is None for e in exprs):
        return False
    table = pa.table({f"c{i}": pa.Array.from_pandas(s) for i, s in enumerate(series)})
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(["" if n is None else n for n in names])
    body = path.with_name(f"{path.name}.body")
    try:
        with duckdb.connect(config=duckdb_settings()) as con:
            con.execute("SET enable_progress_bar = false")
            con.register("t", table)
            target = str(body).replace("'", "''")
            con.execute(f"COPY (SELECT {', '.join(exprs)} FROM t) TO '{target}' "
                        "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER ',', NULLSTR '')")
        with open(path, "wb") as out, open(body, "rb") as fh:
            out.write(header.getvalue().encode("utf-8-sig"))
            shutil.copyfileobj(fh, out, 16 << 20)
    finally:
        body.unlink(missing_ok=True)
    return True


def write_csv(df: pd.DataFrame, path: Path, *, index: bool = True) -> None:
    """``df`` (formulas neutralised) as CSV at ``path``: pandas' format, by DuckDB when the table
    is large and its columns are covered (the same bytes either way)."""
    df = neutralise_formulas(df)
    if len(df) < FAST_CSV_MIN_ROWS or not _write_csv_duckdb(df, Path(path), index=index):
        df.to_csv(path, index=index, encoding="utf-8-sig", lineterminator="\n")


def write_table(df: pd.DataFrame, path_without_suffix: Path, *, parquet: bool = True, index: bool = True) -> list[Path]:
    """Write ``df`` as CSV (formula-safe, UTF-8 with BOM so Excel reads Chinese text) and Parquet."""
    base = Path(path_without_suffix)
    written = [atomic_write(base.with_suffix(".csv"), lambda p: write_csv(df, p, index=index))]
    if parquet:
        written.append(atomic_write(base.with_suffix(".parquet"), lambda p: df.to_parquet(p, index=index)))
    return written


def tiers_table(assignments: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per customer, one tier and score column per method (CRM import)."""
    parts = []
    for name, a in assignments.items():
        parts.append(a["tier"].rename(f"tier_{name}"))  # categorical: labels in the CSV, dictionary in Parquet
        if a["score"].notna().any():
            parts.append(a["score"].rename(f"score_{name}"))
    first = next(iter(assignments.values()))
    parts.append(first["provisional"].rename("provisional"))
    out = pd.concat(parts, axis=1)
    out.index.name = "customer_id"
    return out
