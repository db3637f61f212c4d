"""The one date parser (``segment.dates``): what is a date, and the messages when it is not."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from segment.dates import iso_date, to_date

D = dt.date(1997, 9, 30)


@pytest.mark.parametrize("value", [D, dt.datetime(1997, 9, 30, 23, 59), pd.Timestamp("1997-09-30 12:00"),
                                   np.datetime64("1997-09-30"), "1997-09-30", " 1997-09-30\n"])
def test_dates_datetimes_timestamps_and_iso_strings(value):
    assert to_date(value) == D and type(to_date(value)) is dt.date
    assert iso_date(value) == "1997-09-30"


def test_none_is_refused_not_today():
    with pytest.raises(TypeError, match=r"^as_of is required \(a date such as '1997-09-30'\); there is no default$"):
        to_date(None)
    with pytest.raises(TypeError, match="^data_end is required"):
        to_date(None, "data_end")


@pytest.mark.parametrize("value", ["1997-13-01", "1998-02-30", "19970930", "1997-9-30", "1997-W40-2",
                                   "1997-09-30 00:00", "1997-09-30T00:00", "30/09/1997", "", "today", pd.NaT,
                                   np.datetime64("NaT"), float("nan"), 19970930, True, [D]])
def test_anything_else_is_not_a_date(value):
    with pytest.raises(ValueError, match=r"^origin=.* is not a date$"):
        to_date(value, "origin")


def test_the_feature_modules_use_the_same_parser():
    from segment import features

    assert features.to_date is to_date


def test_importing_it_loads_no_pandas():
    done = subprocess.run([sys.executable, "-c", "import sys, segment.dates; print('pandas' in sys.modules)"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
