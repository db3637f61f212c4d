"""The validation-origin rule: the grading date when its window is inside the data, else the
latest quarter end on or before it whose window is."""

from __future__ import annotations

from segment.horizon import Horizon
from segment.validation.origins import quarter_ends, validation_origin


def test_the_grading_date_when_its_window_is_inside_the_data():
    assert validation_origin("1997-09-30", 273, "1998-06-30")[0] == "1997-09-30"  # the window ends on the last day


def test_else_the_latest_quarter_end_with_a_full_window():
    origin, note = validation_origin("1998-06-30", 182, "1998-06-30")
    assert origin == "1997-09-30" and "latest quarter end" in note  # 1997-12-31 + 182 d is past the data
    assert validation_origin("1998-05-15", 90, "1998-06-30")[0] == "1998-03-31"
    assert validation_origin("1998-01-15", 170, "1998-06-30")[0] == "1997-12-31"  # never after the grading date


def test_quarter_ends():
    assert [str(d) for d in quarter_ends("2023-01-01", "2023-12-31")] == ["2023-03-31", "2023-06-30", "2023-09-30",
                                                                          "2023-12-31"]


def test_a_calendar_horizon_validates_at_the_freshest_quarter_end():
    """The issue's case: data ending 1998-06-30. 1997-12-31 + 2Q = 1998-06-30 fits the data;
    1997-12-31 + 182 days = 1998-07-01 does not (one day past it), so days fall back to 1997-09-30."""
    two_quarters = Horizon(2, "Q")
    assert validation_origin("1997-12-31", two_quarters, "1998-06-30") == (
        "1997-12-31", "validated at the grading date 1997-12-31 (outcomes up to 1998-06-30)")
    origin, note = validation_origin("1998-06-30", two_quarters, "1998-06-30")
    assert origin == "1997-12-31"  # 1998-03-31 + 2Q = 1998-09-30 is past the data
    assert note == ("the grading date 1998-06-30 has no full 2-quarter outcome yet (data ends 1998-06-30); "
                    "validation uses the latest quarter end with a full window, 1997-12-31")
    assert validation_origin("1998-03-31", two_quarters, "1998-06-30")[0] == "1997-12-31"
    assert validation_origin("1998-06-30", 182, "1998-06-30")[0] == "1997-09-30"
    assert validation_origin("1998-06-30", Horizon(182), "1998-06-30")[0] == "1997-09-30"  # a Horizon in days: the same


def test_month_ends_and_leap_years():
    # 1996-02-29 + 12M = 1997-02-28: a window ending on the last day of February
    assert validation_origin("1996-02-29", Horizon(12, "M"), "1997-02-28")[0] == "1996-02-29"
    # 1995-12-31 + 2M = 1996-02-29 (leap year): the data ending on the leap day holds it ...
    assert validation_origin("1995-12-31", Horizon(2, "M"), "1996-02-29")[0] == "1995-12-31"
    # ... and the grading date 1996-01-15 (+2M = 1996-03-15) falls back to the quarter end 1995-12-31
    assert validation_origin("1996-01-15", Horizon(2, "M"), "1996-02-29")[0] == "1995-12-31"
    # one day short of it, 1995-12-31 + 2M no longer fits: back to 1995-09-30 (+2M = 1995-11-30)
    assert validation_origin("1995-12-31", Horizon(2, "M"), "1996-02-28")[0] == "1995-09-30"
    # a month end that is not a quarter end: 1997-11-30 + 1M = 1997-12-31 fits exactly
    assert validation_origin("1997-11-30", Horizon(1, "M"), "1997-12-31")[0] == "1997-11-30"
    assert validation_origin("1997-11-30", Horizon(1, "M"), "1997-12-30")[0] == "1997-09-30"


def test_the_note_says_the_horizon_in_its_unit():
    _, note = validation_origin("1998-06-30", Horizon(1, "M"), "1998-06-29")
    assert "no full 1-month outcome yet" in note and note.endswith("1998-03-31")
