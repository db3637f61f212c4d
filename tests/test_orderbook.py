"""The order book (segment.orderbook): a run's transactions at the order grain, built once,
give every table the lines give, to the bit."""

from __future__ import annotations

import pandas as pd
import pytest

from segment.data.cdnow import load_cdnow_master
from segment.features import build_features
from segment.orderbook import OrderBook, order_book
from segment.outcomes import build_features_and_outcomes, build_outcomes, training_frame

PROFIT = {"gross_margin": 0.25, "cost_per_order": 2.0}


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_master()


@pytest.fixture(scope="module")
def lines_with_order_ids():
    """Synthetic B2B lines without their credit columns: orders with ids, several lines each, margins, quantities."""
    from segment.data.synthetic import generate_b2b

    t = generate_b2b(300, start="2021-01-01", end="2023-12-31", random_state=3).transactions
    t = t.drop(columns=["due_date", "paid_date"])
    return pd.concat([t, t.assign(amount=t["amount"] / 3)]).reset_index(drop=True)  # two lines per order


def test_the_book_holds_one_row_per_order(cdnow):
    book = OrderBook(cdnow, gross_margin=0.25)
    days = cdnow.assign(day=cdnow["order_ts"].dt.normalize())[["customer_id", "day"]].drop_duplicates()
    assert len(book) == len(days) < len(cdnow)  # CDNOW has several lines on some customer-days
    assert book.columns == list(cdnow.columns)


@pytest.mark.parametrize("as_of", ["1997-03-31", "1997-09-30", "1998-03-31"])
def test_features_and_outcomes_from_the_book_equal_those_from_the_lines(cdnow, as_of):
    book = order_book(cdnow, gross_margin=0.25)
    assert isinstance(book, OrderBook)
    kw = {"as_of": as_of, "horizon_days": 91, "trend_window_days": 91, **PROFIT}
    f_book, o_book = build_features_and_outcomes(book, lookback_months=6, **kw)
    f_lines, o_lines = build_features_and_outcomes(cdnow, lookback_months=6, **kw)
    pd.testing.assert_frame_equal(f_book, f_lines, check_exact=True)
    pd.testing.assert_frame_equal(o_book, o_lines, check_exact=True)
    assert f_book.attrs == f_lines.attrs and o_book.attrs == o_lines.attrs
    pd.testing.assert_frame_equal(build_features(book, as_of=as_of, **PROFIT), build_features(cdnow, as_of=as_of, **PROFIT),
                                  check_exact=True)
    pd.testing.assert_frame_equal(build_outcomes(book, as_of=as_of, horizon_days=91, **PROFIT),
                                  build_outcomes(cdnow, as_of=as_of, horizon_days=91, **PROFIT), check_exact=True)


def test_order_ids_margins_and_quantities(lines_with_order_ids):
    t = lines_with_order_ids
    book = order_book(t, gross_margin=None)
    assert isinstance(book, OrderBook) and len(book) == t["order_id"].nunique() < len(t)
    kw = {"as_of": "2022-09-30", "horizon_days": 180, "trend_window_days": 91, "cost_per_order": 5.0}
    for a, b in zip(build_features_and_outcomes(book, **kw), build_features_and_outcomes(t, **kw)):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    first = t["order_ts"].min()
    pd.testing.assert_series_equal(
        training_frame(book, as_of="2022-09-30", horizon_days=91, first_day=first, cost_per_order=5.0)[1],
        training_frame(t, as_of="2022-09-30", horizon_days=91, first_day=first, cost_per_order=5.0)[1], check_exact=True)


def test_a_book_asked_for_another_gross_margin_reads_the_lines(cdnow):
    book = OrderBook(cdnow, gross_margin=0.25)
    other = {"gross_margin": 0.4, "cost_per_order": 2.0}
    got = build_features(book, as_of="1997-09-30", **other)
    pd.testing.assert_frame_equal(got, build_features(cdnow, as_of="1997-09-30", **other), check_exact=True)
    assert not got["profit"].equals(build_features(book, as_of="1997-09-30", **PROFIT)["profit"])


def test_no_book_for_credit_data_or_data_left_on_an_engine(tmp_path):
    from segment.data.synthetic import generate_b2b

    credit = generate_b2b(20, start="2021-01-01", end="2021-12-31", random_state=1).transactions
    assert "due_date" in credit.columns and order_book(credit, gross_margin=None) is credit
    path = tmp_path / "t.parquet"
    credit.drop(columns=["due_date", "paid_date"]).to_parquet(path)
    assert order_book(str(path), gross_margin=None) == str(path)


def test_the_runner_aggregates_from_its_book_once(cdnow):
    from pathlib import Path

    from segment.config import RunConfig
    from segment.runner import Runner

    lines: list[str] = []
    config = RunConfig.from_yaml(Path(__file__).resolve().parents[1] / "configs" / "cdnow_backtest.yaml")
    runner = Runner.load(config, progress=lines.append)
    book = runner.transactions
    assert isinstance(book, OrderBook) and runner.transactions is book  # built once
    said = [line for line in lines if line.startswith("order book:")]
    assert len(said) == 1 and f"{len(book):,} orders of {len(cdnow):,} lines" in said[0]
    f = runner.features_at("1997-06-30")
    assert runner.outcomes_at("1997-06-30") is not None
    want = build_features_and_outcomes(cdnow, as_of="1997-06-30", horizon_days=runner.spec.horizon_days,
                                       **runner.spec.feature_kwargs)[0]
    pd.testing.assert_frame_equal(f, want, check_exact=True)
