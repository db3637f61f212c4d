"""The validation-origin rule: at which date a run's grading can be judged.

A grading at T_now can be judged once its outcome window (T_now, H.end(T_now)] is inside the
data. When it is not yet (the latest quarter), the run validates at the latest calendar
quarter end T <= T_now whose whole window (T, H.end(T)] is inside the data, and says so in a
note. The window is computed by ``segment.horizon`` (days, or calendar months and quarters:
1997-12-31 + 2Q = 1998-06-30, where 182 days end on 1998-07-01). One rule, used by the
pipeline and by the check of a config against its data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from segment.dates import to_date
from segment.horizon import Horizon, as_horizon


def quarter_ends(start: Any, end: Any) -> list[dt.date]:
    """Calendar quarter ends in [start, end]."""
    return [d.date() for d in pd.date_range(to_date(start, "start"), to_date(end, "end"), freq="QE")]


def validation_origin(as_of: Any, horizon: Horizon | int, data_end: Any) -> tuple[str, str]:
    """(origin, note): as_of if its outcome window is inside the data, else the latest quarter
    end on or before it whose window is (``horizon``: a ``Horizon``, or an int number of days).
    ValueError when no quarter end from the year before the latest possible origin on is."""
    window = as_horizon(horizon, "horizon")
    t_now, end = to_date(as_of), to_date(data_end, "data_end")
    if window.end(t_now) <= end:
        return str(t_now), f"validated at the grading date {t_now} (outcomes up to {window.end(t_now)})"
    latest = window.start(end)  # the latest origin whose window ends by the data's end (before t_now, here)
    candidates = [q for q in quarter_ends(dt.date(latest.year - 1, 1, 1), latest) if window.end(q) <= end]
    if not candidates:
        raise ValueError(
            f"no origin on or before {t_now} has a full {window.adjective} outcome window inside the data "
            f"(which ends {end}); validation is impossible"
        )
    origin = candidates[-1]
    return str(origin), (
        f"the grading date {t_now} has no full {window.adjective} outcome yet (data ends {end}); "
        f"validation uses the latest quarter end with a full window, {origin}"
    )
