"""Outcome horizons in days or in calendar units: ``Horizon`` and ``parse_horizon``.

A horizon is written as a number of days (``182``, ``182D``), of months (``6M``) or of
quarters (``2Q``, a quarter being three months); case does not matter and blanks around the
text are ignored. Anything else (zero, a negative number, ``1.5Q``, ``2X``, true/false) is a
``ValueError`` naming the key and the value.

The window of a horizon H after a date T is (T, ``H.end(T)``]:

- **days**: ``T + n`` days;
- **months and quarters**, by calendar arithmetic (the month-end rule): when T is the last
  day of its month the window ends on the last day of the month n months later; otherwise on
  the same day of the month, clamped to that month's last day. So 1998-01-31 + 1M =
  1998-02-28, 1997-02-28 + 1M = 1997-03-31, 1996-02-29 + 12M = 1997-02-28 and
  1995-02-28 + 12M = 1996-02-29; a quarter end plus whole quarters is always a quarter end
  (1997-12-31 + 2Q = 1998-06-30, where 182 days would end on 1998-07-01).

``H.start(E)`` goes back: the latest origin whose window ends on or before E (days:
``E − n``; months: the same rule backwards, one day earlier where the rule would give an
origin whose window runs past E, e.g. 1998-03-30 − 1M = 1998-02-27, as 1998-02-28 + 1M =
1998-03-31). A training frame at E uses it, so its outcomes never reach past E.

A leaf module (standard library and ``segment.dates`` only).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from segment.dates import to_date

__all__ = ["Horizon", "add_months", "as_horizon", "horizon_of", "horizon_problem", "parse_horizon"]

#: unit -> (singular, plural) of its label
UNITS = {"D": ("day", "days"), "M": ("month", "months"), "Q": ("quarter", "quarters")}
#: months per calendar unit
MONTHS = {"M": 1, "Q": 3}
ALLOWED = ("a positive whole number of days (182 or 182D), of months (6M) or of quarters (2Q)")
_TEXT = re.compile(r"(\d+)\s*([DMQ]?)", re.IGNORECASE)


@dataclass(frozen=True)
class Horizon:
    """An outcome horizon: ``count`` days (``unit`` "D"), months ("M") or quarters ("Q")."""

    count: int
    unit: str = "D"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"horizon unit {self.unit!r} is not one of {', '.join(UNITS)}")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count <= 0:
            raise ValueError(f"horizon count {self.count!r} must be a positive whole number")

    @property
    def in_days(self) -> bool:
        return self.unit == "D"

    @property
    def months(self) -> int:
        """Calendar months of the horizon (0 for a horizon in days)."""
        return self.count * MONTHS.get(self.unit, 0)

    def end(self, as_of: Any) -> dt.date:
        """The last day of the window (as_of, end] (the module's rule)."""
        cut = to_date(as_of)
        if self.in_days:
            return cut + dt.timedelta(days=self.count)
        return add_months(cut, self.months)

    def start(self, end: Any) -> dt.date:
        """The latest origin whose window ends on or before ``end`` (the module's rule)."""
        last = to_date(end, "end")
        if self.in_days:
            return last - dt.timedelta(days=self.count)
        origin = add_months(last, -self.months)
        return origin if self.end(origin) <= last else origin - dt.timedelta(days=1)

    def days_from(self, as_of: Any) -> int:
        """Days in the window after ``as_of`` (a calendar horizon's length depends on the date)."""
        return (self.end(as_of) - to_date(as_of)).days

    @property
    def label(self) -> str:
        """Plain words: "182 days", "6 months", "1 quarter"."""
        one, many = UNITS[self.unit]
        return f"{self.count:,} {one if self.count == 1 else many}"

    @property
    def adjective(self) -> str:
        """The label as an adjective: "182-day", "6-month", "2-quarter" (a 182-day window)."""
        return f"{self.count:,}-{UNITS[self.unit][0]}"

    @property
    def config_value(self) -> int | str:
        """How a config stores it: a number of days stays a number (182), else the text ("2Q")."""
        return self.count if self.in_days else str(self)

    def __str__(self) -> str:
        """The config text: "182", "6M", "2Q"."""
        return str(self.count) if self.in_days else f"{self.count}{self.unit}"


def add_months(day: dt.date, n: int) -> dt.date:
    """``day`` moved by ``n`` calendar months (negative: back), by the month-end rule: the last
    day of a month goes to the last day of the target month, any other day to the same day,
    clamped to the target month's last day."""
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return dt.date(year, month, last)
    return dt.date(year, month, min(day.day, last))


def horizon_problem(value: Any) -> str | None:
    """Why ``value`` is not a horizon, in a sentence (None: it is one)."""
    try:
        _parse(value)
    except ValueError:
        return f"{value!r} is not a horizon (allowed: {ALLOWED})"
    return None


def parse_horizon(value: Any, key: str = "horizon") -> Horizon:
    """The ``Horizon`` written ``value`` (an int is days; text as in the module docstring);
    ValueError naming ``key`` and the value otherwise."""
    try:
        return _parse(value)
    except ValueError:
        raise ValueError(f"{key}: {horizon_problem(value)}") from None


def as_horizon(value: Horizon | int | str, key: str = "horizon_days") -> Horizon:
    """``value`` as a ``Horizon``: a Horizon is itself, an int a number of days, text as
    ``parse_horizon`` reads it (what the public functions that take a horizon accept)."""
    return value if isinstance(value, Horizon) else parse_horizon(value, key)


def horizon_of(config: Any) -> Horizon:
    """The outcome horizon of a run config: its ``horizon`` text when it has one, else its
    ``horizon_days``. Only those two attributes are read, so a config saved by an earlier
    version (days only) reads as it always did."""
    text = getattr(config, "horizon", None)
    return parse_horizon(text, "horizon") if text is not None else as_horizon(config.horizon_days)


def _parse(value: Any) -> Horizon:
    if isinstance(value, bool):  # YAML's yes/no: never a number of days
        raise ValueError(value)
    if isinstance(value, int):
        return Horizon(value, "D")
    if isinstance(value, str):
        found = _TEXT.fullmatch(value.strip())
        if found:
            return Horizon(int(found.group(1)), found.group(2).upper() or "D")
    raise ValueError(value)
