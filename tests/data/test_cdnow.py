"""The bundled real CDNOW data: loaders, checksums, the documented zero-amount rule."""

from __future__ import annotations

import shutil

import pytest

from segment import paths
from segment.data.cdnow import ChecksumError, load_cdnow_master, load_cdnow_sample, zero_amount_rows
from segment.features import build_features


def test_master_log_shape_and_types():
    m = load_cdnow_master()
    assert len(m) == 69_659
    assert m["customer_id"].nunique() == 23_570
    assert str(m["order_ts"].min().date()) == "1997-01-01"
    assert str(m["order_ts"].max().date()) == "1998-06-30"
    assert m["customer_id"].iloc[0] == "00001"  # leading zeros kept
    assert m["amount"].dtype == "float64"


def test_sample_shape():
    s = load_cdnow_sample()
    assert len(s) == 6_919 and s["customer_id"].nunique() == 2_357
    assert set(s["customer_id"]) <= set(load_cdnow_master()["customer_id"])


def test_zero_amount_rows_are_kept_as_orders():
    m = load_cdnow_master()
    assert zero_amount_rows(m) == 80
    zero_only = m.groupby("customer_id")["amount"].sum().loc[lambda s: s == 0].index
    f = build_features(m, as_of="1998-06-30", gross_margin=0.25)
    assert len(f) == 23_570  # nobody dropped
    assert (f.loc[zero_only, "frequency"] >= 1).all()


def test_identical_lines_are_kept():
    # no order id: a repeated line may be a second purchase (docs/DATA.md 5.3); the user-file
    # reader keeps them too (tests/io/test_io_cdnow.py)
    m = load_cdnow_master()
    assert int(m.duplicated().sum()) == 255
    assert round(m["amount"].sum(), 2) == 2_500_315.63


def test_checksum_mismatch_names_the_file(tmp_path):
    bad = tmp_path / "CDNOW_master.txt"
    shutil.copy(paths.DATA_DIR / "CDNOW_master.txt", bad)
    with open(bad, "a") as fh:
        fh.write(" 99999 19980630  1   1.00\n")
    with pytest.raises(ChecksumError, match=str(bad)):
        load_cdnow_master(bad)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="data/README.md"):
        load_cdnow_sample(tmp_path / "nope.txt")


def test_bundled_files_are_looked_up_in_the_repository_data_dir():
    from segment.data import cdnow

    assert cdnow.DATA_DIR == paths.DATA_DIR  # no path of its own: segment --root moves it too
