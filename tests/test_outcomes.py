"""Outcomes after the as-of date (segment.outcomes)."""

from __future__ import annotations

import pandas as pd
import pytest

from segment.outcomes import build_outcomes
from tests.helpers import tx

AS_OF = "2024-06-30"


@pytest.fixture
def log():
    return tx(
        [
            ("c1", "2024-01-10", 100.0),
            ("c1", "2024-07-01", 40.0),  # first day of the window
            ("c1", "2024-07-01", 10.0),  # same day: same order
            ("c1", "2024-09-28", 5.0),  # day 90: last day of a 90-day window
            ("c1", "2024-09-29", 999.0),  # outside
            ("c2", "2023-03-01", 20.0),  # churned
            ("c3", "2024-08-01", 70.0),  # first seen after the cut
            ("c4", "2024-08-02", 7.0),  # first seen after the cut
        ]
    )


def test_hand_checked_outcomes(log):
    o = build_outcomes(log, as_of=AS_OF, horizon_days=90, gross_margin=0.5, cost_per_order=1.0)
    assert list(o.index) == ["c1", "c2"]
    assert not o.loc["c1", "churned"] and o.loc["c2", "churned"]
    assert o.loc["c1", "orders_outcome"] == 2
    assert o.loc["c1", "revenue_outcome"] == 55.0
    assert o.loc["c1", "profit_outcome"] == pytest.approx(55 * 0.5 - 2)
    assert o.loc["c2", "revenue_outcome"] == 0.0 and o.loc["c2", "profit_outcome"] == 0.0
    assert o.attrs["customers_first_seen_after_as_of"] == 2
    assert o.attrs["outcome_window"] == ["2024-07-01", "2024-09-28"]


def test_population_matches_features(log):
    from segment.features import build_features

    f = build_features(log, as_of=AS_OF, gross_margin=0.5)
    o = build_outcomes(log, as_of=AS_OF, horizon_days=90, gross_margin=0.5)
    assert f.index.equals(o.index)


def test_window_past_end_of_data_is_an_error(log):
    with pytest.raises(ValueError, match="runs past the end of the data"):
        build_outcomes(log, as_of=AS_OF, horizon_days=90, gross_margin=0.5, data_end="2024-09-01")


def test_horizon_and_as_of_required(log):
    with pytest.raises(TypeError):
        build_outcomes(log, as_of=AS_OF, gross_margin=0.5)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="horizon_days"):
        build_outcomes(log, as_of=AS_OF, horizon_days=0, gross_margin=0.5)
    with pytest.raises(TypeError, match="as_of is required"):
        build_outcomes(log, as_of=None, horizon_days=10, gross_margin=0.5)


def test_one_scan_version_equals_the_separate_builders():
    from segment.data.synthetic import generate_b2b
    from segment.features import build_features
    from segment.outcomes import build_features_and_outcomes

    d = generate_b2b(400, start="2021-01-01", end="2023-12-31", random_state=5)
    kw = {"as_of": "2022-09-30", "lookback_months": 12, "trend_window_days": 91}
    f, o = build_features_and_outcomes(d.transactions, horizon_days=180, customers=d.customers, **kw)
    pd.testing.assert_frame_equal(f, build_features(d.transactions, customers=d.customers, **kw))
    pd.testing.assert_frame_equal(o, build_outcomes(d.transactions, as_of=kw["as_of"], horizon_days=180))
    assert o.attrs["customers_first_seen_after_as_of"] > 0


def test_a_calendar_horizon_ends_on_the_month_end(log):
    """2024-06-30 + 1Q = 2024-09-30 (92 days): the order of 2024-09-29 is inside, unlike with 90 days."""
    from segment.horizon import Horizon

    o = build_outcomes(log, as_of=AS_OF, horizon_days=Horizon(1, "Q"), gross_margin=0.5, cost_per_order=1.0)
    assert o.loc["c1", "orders_outcome"] == 3 and o.loc["c1", "revenue_outcome"] == 55.0 + 999.0
    assert o.attrs["outcome_window"] == ["2024-07-01", "2024-09-30"]
    assert o.attrs["horizon_days"] == 92 and o.attrs["horizon"] == "1Q"
    assert "horizon" not in build_outcomes(log, as_of=AS_OF, horizon_days=90, gross_margin=0.5).attrs  # days: as before
    with pytest.raises(ValueError, match=r"the outcome window \(2024-06-30, 2024-09-30\] runs past the end of the data "
                                         r"\(2024-09-29\)"):
        build_outcomes(log, as_of=AS_OF, horizon_days=Horizon(1, "Q"), gross_margin=0.5, data_end="2024-09-29")


def test_a_calendar_training_frame_starts_a_horizon_before(log):
    """Grading at 2024-09-30 with 1Q: features at 2024-06-30, profit in (2024-06-30, 2024-09-30]."""
    from segment.horizon import Horizon
    from segment.outcomes import training_frame

    f, y = training_frame(log, as_of="2024-09-30", horizon_days=Horizon(1, "Q"), first_day="2023-03-01",
                          gross_margin=0.5, cost_per_order=1.0)
    assert f.attrs["as_of"] == "2024-06-30" and list(y.index) == ["c1", "c2"]
    assert y["c1"] == pytest.approx((55 + 999) * 0.5 - 3)
    days, _ = training_frame(log, as_of="2024-09-30", horizon_days=92, first_day="2023-03-01", gross_margin=0.5)
    assert days.attrs["as_of"] == "2024-06-30"  # 92 days back: the same origin here
