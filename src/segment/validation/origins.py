"""The validation-origin rule: at which date a run's grading can be judged.

A grading at T_now can be judged once its outcome window (T_now, T_now + H] is inside the
data. When it is not yet (the latest quarter), the run validates at the latest calendar
quarter end T <= T_now whose window T + H is inside the data, and says so in a note.
One rule, used by the pipeline and by the check of a config against its data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from segment.dates import to_date


def quarter_ends(start: Any, end: Any) -> list[dt.date]:
    """Calendar quarter ends in [start, end]."""
    return [d.date() for d in pd.date_range(to_date(start, "start"), to_date(end, "end"), freq="QE")]


def validation_origin(as_of: Any, horizon_days: int, data_end: Any) -> tuple[str, str]:
    """(origin, note): as_of if its outcome window is inside the data, else the latest
    quarter end on or before it whose window is (ValueError when none in the year before is)."""
    t_now, end = to_date(as_of), to_date(data_end, "data_end")
    if t_now + dt.timedelta(days=horizon_days) <= end:
        return str(t_now), f"validated at the grading date {t_now} (outcomes up to {t_now + dt.timedelta(days=horizon_days)})"
    latest = end - dt.timedelta(days=horizon_days)
    candidates = [q for q in quarter_ends(dt.date(latest.year - 1, 1, 1), latest) if q <= t_now]
    if not candidates:
        raise ValueError(
            f"no origin on or before {t_now} has a full {horizon_days}-day outcome window inside the data "
            f"(which ends {end}); validation is impossible"
        )
    origin = candidates[-1]
    return str(origin), (
        f"the grading date {t_now} has no full {horizon_days}-day outcome yet (data ends {end}); "
        f"validation uses the latest quarter end with a full window, {origin}"
    )
