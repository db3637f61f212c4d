"""Invariant: whatever the input, nothing is lost without a count:
rows_read == rows kept + sum(excluded), and every excluded row is listed with its line."""

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segment.io import DataContractError, load_transactions, load_transactions_frame

IDS = ["A", "00B", " A ", "17850.0", "17850", "", "NULL", "  "]
TIMES = ["2024-01-01", "2024-01-02 10:00", "2024-01-02T10:00:00+08:00", "2024-02-29", "2024-03-01T00:00:00Z"]
AMOUNTS = ["10", "0", "-3", "1,234.50", "¥300", "(2.50)", "7"]

row = st.tuples(st.sampled_from(IDS), st.integers(0, 3), st.sampled_from(TIMES), st.sampled_from(AMOUNTS),
                st.booleans())


def _frame(rows):
    # order ids are per customer (so never shared by two customers); some are missing
    return pd.DataFrame({
        "customer_id": [r[0] for r in rows],
        "order_id": [None if r[4] else f"{r[0].strip()}-{r[1]}" for r in rows],
        "order_ts": [r[2] for r in rows],
        "amount": [r[3] for r in rows],
    })


def _check(result, n):
    assert result.rows_read == n
    assert result.rows_read == len(result.transactions) + sum(result.excluded.values())
    assert len(result.excluded_rows) == sum(result.excluded.values())
    assert result.transactions["customer_id"].notna().all()
    assert (result.transactions["customer_id"].str.strip() == result.transactions["customer_id"]).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=1, max_size=25).flatmap(lambda rows: st.just(rows + rows[: len(rows) // 3])))
def test_exclusion_counts_add_up(rows):
    df = _frame(rows)
    try:
        result = load_transactions_frame(df)
    except DataContractError as exc:
        # e.g. every row excluded (nothing to grade): the error must say why
        assert exc.problems
        return
    _check(result, len(df))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=1, max_size=15))
def test_exclusion_counts_add_up_from_csv(rows):
    df = _frame(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        df.to_csv(path, index=False)
        try:
            result = load_transactions({"path": str(path)})
        except DataContractError as exc:
            assert exc.problems
            return
    _check(result, len(df))
    lines = result.excluded_rows["line"]
    assert ((lines >= 2) & (lines <= len(df) + 1)).all()
