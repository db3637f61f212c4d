"""One truth per file: data/raw/CDNOW_master.txt read by the bundled loader and read as a user
file (``data: {path: ...}``, as ``segment check-data`` reads it) gives the same transactions.

The log has no order id, and 255 of its lines repeat an earlier line exactly; both paths keep
them (docs/DATA.md 5.3), so every published CDNOW figure stays what the bundled loader gives."""

import pandas as pd
import pytest

from segment.data.cdnow import SHA256, load_cdnow_master
from segment.io import load_transactions
from segment.io import policies as P
from segment.paths import DATA_DIR

MASTER = DATA_DIR / "CDNOW_master.txt"
# the header line is "customer_id  date number_of_cds  dollar_value"; values are runs of blanks apart
CHECK_DATA_ARGS = ["--delimiter", "whitespace", "--date-format", "%Y%m%d", "--column", "order_ts=date",
                   "--column", "quantity=number_of_cds", "--column", "amount=dollar_value"]
SPEC = {"path": str(MASTER), "delimiter": "whitespace", "date_format": "%Y%m%d",
        "columns": {"order_ts": "date", "quantity": "number_of_cds", "amount": "dollar_value"}}


@pytest.fixture(scope="module")
def both():
    return load_cdnow_master(), load_transactions(SPEC)


def test_the_bundled_loader_and_the_user_file_reader_give_the_same_rows(both):
    bundled, result = both
    user = result.transactions
    assert len(user) == len(bundled) == 69_659
    assert result.rows_read == 69_659 and result.excluded == {}
    pd.testing.assert_frame_equal(user, bundled)  # same ids, dates, amounts, quantities, order and dtypes
    assert user["customer_id"].nunique() == 23_570
    assert round(user["amount"].sum(), 2) == round(bundled["amount"].sum(), 2) == 2_500_315.63
    assert user["quantity"].sum() == bundled["quantity"].sum()
    assert result.sha256 == SHA256["CDNOW_master.txt"]


def test_identical_lines_are_kept_and_counted(both):
    _, result = both
    assert result.flagged[P.DUPLICATE_KEPT] == 255
    assert result.flagged[P.ZERO_AMOUNT] == 80  # the zero-amount rule is the same on both paths


def test_check_data_reads_the_same_totals(capsys):
    from segment.cli import main

    assert main(["check-data", str(MASTER), *CHECK_DATA_ARGS]) == 0
    out = capsys.readouterr().out
    assert "rows excluded" in out and "rows kept" in out
    kept = next(line for line in out.splitlines() if line.startswith("rows kept"))
    assert kept.split()[-1] == "69,659"
    assert "2,500,315.63" in out
    assert "exact duplicate rows kept (identical lines, but no order id to tell them apart: each line counts): 255" in out
