"""The one date parser: every cut-off date (as-of, origins, data end) goes through ``to_date``.

The rule: a ``datetime.date`` is itself; a datetime, ``pandas.Timestamp`` or
``numpy.datetime64`` is its calendar date; a string must be exactly ``YYYY-MM-DD`` (ISO,
surrounding blanks ignored): ``1997-9-30``, ``19970930`` or a time part are refused, so a
config and a function call agree on what a date is. A number is not a date, and ``None`` is
refused rather than read as 'today'. A leaf module (standard library only; pandas is
imported for datetime and numpy values alone), so the config check stays fast.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

__all__ = ["iso_date", "to_date"]

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def to_date(value: Any, name: str = "as_of") -> dt.date:
    """The calendar date of ``value`` (the rule above). TypeError for None, ValueError (naming
    ``name``) for anything else that is not a date."""
    if value is None:
        raise TypeError(f"{name} is required (a date such as '1997-09-30'); there is no default")
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _ISO.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass  # month 13, 30 February: the message below
        raise ValueError(f"{name}={value!r} is not a date")
    import numpy as np
    import pandas as pd

    ts = pd.Timestamp(value) if isinstance(value, (dt.datetime, np.datetime64)) else pd.NaT  # a number is no date
    if pd.isna(ts):  # NaT, too
        raise ValueError(f"{name}={value!r} is not a date")
    return ts.date()


def iso_date(value: Any, name: str = "date") -> str:
    """``YYYY-MM-DD`` text of ``to_date(value, name)`` (how a config stores its dates)."""
    return to_date(value, name).isoformat()
