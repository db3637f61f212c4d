"""Files a run hands to other systems: CRM-ready tier tables and the validation tables.

CSV cells that a spreadsheet would execute as a formula (text starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) are prefixed with an apostrophe, the OWASP
rule against CSV injection; numbers are written as numbers and left alone. Every file
is written to a temporary name in the same folder and renamed into place, so a reader
never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)
    return path


def write_table(df: pd.DataFrame, path_without_suffix: Path, *, parquet: bool = True, index: bool = True) -> list[Path]:
    """Write ``df`` as CSV (formula-safe, UTF-8 with BOM so Excel reads Chinese text) and Parquet."""
    base = Path(path_without_suffix)
    written = [
        atomic_write(base.with_suffix(".csv"), lambda p: neutralise_formulas(df).to_csv(p, index=index, encoding="utf-8-sig"))
    ]
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
