"""The validation-origin rule: the grading date when its window is inside the data, else the
latest quarter end on or before it whose window is."""

from __future__ import annotations

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
