"""Outcome horizons: parsing, the month-end rule forwards and backwards, labels and config text."""

from __future__ import annotations

import datetime as dt

import pytest

from segment.horizon import Horizon, add_months, as_horizon, parse_horizon

D = dt.date.fromisoformat


@pytest.mark.parametrize("value, expected", [
    (182, Horizon(182, "D")), ("182", Horizon(182, "D")), ("182D", Horizon(182, "D")), (" 182d ", Horizon(182, "D")),
    ("6M", Horizon(6, "M")), ("6m", Horizon(6, "M")), ("2Q", Horizon(2, "Q")), (" 2 q", Horizon(2, "Q")),
    ("1Q", Horizon(1, "Q")),
])
def test_parse(value, expected):
    assert parse_horizon(value) == expected


@pytest.mark.parametrize("value", [0, -5, "0", "0Q", "-2Q", "2X", "1.5Q", 1.5, 182.0, True, False, None, "", "Q", "2QQ",
                                   [2]])
def test_bad_horizons_name_the_key_and_the_value(value):
    with pytest.raises(ValueError, match=r"^tuning.horizon: .* is not a horizon \(allowed: a positive whole number "
                                         r"of days \(182 or 182D\), of months \(6M\) or of quarters \(2Q\)\)$"):
        parse_horizon(value, key="tuning.horizon")


def test_as_horizon_takes_a_horizon_or_days():
    h = Horizon(2, "Q")
    assert as_horizon(h) is h and as_horizon(91) == Horizon(91, "D") and as_horizon("6M") == Horizon(6, "M")
    with pytest.raises(ValueError, match="^horizon_days: 0 is not a horizon"):
        as_horizon(0)


@pytest.mark.parametrize("as_of, horizon, end", [
    ("1998-01-31", "1M", "1998-02-28"),   # the last day of a month goes to the last day of the target month
    ("1997-02-28", "1M", "1997-03-31"),
    ("1996-02-29", "12M", "1997-02-28"),  # leap day + a year
    ("1995-02-28", "12M", "1996-02-29"),  # the last day of February goes to a leap day
    ("1998-01-30", "1M", "1998-02-28"),   # the same day, clamped to the month's last day
    ("1998-01-15", "1M", "1998-02-15"),
    ("1997-12-31", "2Q", "1998-06-30"),   # the case: 182 days would end on 1998-07-01
    ("1997-09-30", "2Q", "1998-03-31"),
    ("1998-03-31", "2Q", "1998-09-30"),
    ("1997-11-30", "1Q", "1998-02-28"),
    ("1997-12-31", "182", "1998-07-01"),  # days: plain day arithmetic
    ("1996-02-28", "1D", "1996-02-29"),
])
def test_end(as_of, horizon, end):
    assert parse_horizon(horizon).end(as_of) == D(end)


@pytest.mark.parametrize("end, horizon, start", [
    ("1998-06-30", "2Q", "1997-12-31"),
    ("1998-02-28", "1M", "1998-01-31"),
    ("1997-02-28", "12M", "1996-02-29"),  # the last day of February goes back to a leap day
    ("1996-02-29", "12M", "1995-02-28"),
    ("1998-02-15", "1M", "1998-01-15"),
    ("1998-03-30", "1M", "1998-02-27"),   # 1998-02-28 + 1M = 1998-03-31 would run past the end
    ("1996-03-29", "1M", "1996-02-28"),   # likewise the leap day
    ("1998-07-01", "182", "1997-12-31"),
])
def test_start_is_the_latest_origin_whose_window_ends_by_then(end, horizon, start):
    h = parse_horizon(horizon)
    assert h.start(end) == D(start)
    assert h.end(h.start(end)) <= D(end) < h.end(h.start(end) + dt.timedelta(days=1))


def test_start_and_end_agree_over_a_leap_year():
    """For every day of 1996-1997 and each horizon: start(E) is the latest origin ending by E."""
    for text in ("1M", "2Q", "12M", "30"):
        h = parse_horizon(text)
        day = D("1996-01-01")
        while day < D("1998-01-01"):
            origin = h.start(day)
            assert h.end(origin) <= day < h.end(origin + dt.timedelta(days=1)), (text, day)
            day += dt.timedelta(days=1)


def test_add_months_backwards_and_across_years():
    assert add_months(D("1998-03-31"), -1) == D("1998-02-28")
    assert add_months(D("1998-01-15"), -2) == D("1997-11-15")
    assert add_months(D("1997-11-30"), 3) == D("1998-02-28")


def test_days_from_labels_and_config_text():
    assert Horizon(2, "Q").days_from("1997-12-31") == 181 and Horizon(2, "Q").days_from("1997-09-30") == 182
    assert Horizon(182).days_from("1997-12-31") == 182
    assert [Horizon(182).label, Horizon(1).label, Horizon(6, "M").label, Horizon(1, "M").label,
            Horizon(2, "Q").label, Horizon(1, "Q").label] == [
        "182 days", "1 day", "6 months", "1 month", "2 quarters", "1 quarter"]
    assert [str(Horizon(182)), str(Horizon(6, "M")), str(Horizon(2, "Q"))] == ["182", "6M", "2Q"]
    assert Horizon(182).config_value == 182 and Horizon(2, "Q").config_value == "2Q"
    assert parse_horizon(str(Horizon(2, "Q"))) == Horizon(2, "Q")


def test_horizon_checks_its_fields():
    with pytest.raises(ValueError, match="unit 'W'"):
        Horizon(2, "W")
    with pytest.raises(ValueError, match="positive whole number"):
        Horizon(0, "Q")
