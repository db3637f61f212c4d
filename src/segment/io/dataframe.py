"""Reading an in-memory pandas DataFrame into a ``RawTable`` (the caller's frame is only read)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from segment.io.columns import mapping_with_extras
from segment.io.config import TableSpec
from segment.io.rawtable import Locator, RawTable


def read_frame(df: pd.DataFrame, spec: TableSpec, wanted: Sequence[str], required: Sequence[str],
               extras: bool = False) -> RawTable:
    """An in-memory table; the caller's frame is only read (selected columns are copies)."""
    label = "<DataFrame>"
    names = [str(c) for c in df.columns]  # 1 and "1" are one name here: a duplicate too
    mapping = mapping_with_extras(spec, names, wanted, required, label, extras, "the DataFrame's columns")
    labels = dict(zip(names, df.columns))
    frame = pd.DataFrame({internal: df[labels[src]].to_numpy(copy=True) if df[labels[src]].dtype == object
                          else df[labels[src]].copy(deep=True) for internal, src in mapping.items()})
    frame = frame.reset_index(drop=True)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = _object_to_text(frame[col])
    try:
        row_hash = pd.util.hash_pandas_object(df, index=False).to_numpy()
    except TypeError:  # unhashable cells (lists, dicts): judge duplicates on the mapped columns
        row_hash = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    info = {"file": None, "format": "frame", "columns": list(labels)}
    return RawTable(frame, row_hash, mapping, Locator("row", 1), info, label)


def _object_to_text(values: pd.Series) -> pd.Series:
    """Python objects -> text; None/NaN/NaT stay missing; a column of Timestamps stays a datetime column."""
    non_null = values.dropna()
    if len(non_null) and all(isinstance(v, pd.Timestamp) for v in non_null.head(1000)):
        try:
            return pd.to_datetime(values)
        except (TypeError, ValueError):
            pass
    text = values.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT else str(v))
    return text.astype("str")
