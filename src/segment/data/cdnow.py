"""The real CDNOW transaction logs bundled in ``data/raw/`` (provenance: data/README.md).

``load_cdnow_master()``: 69,659 rows, 23,570 customers, 1997-01-01 to 1998-06-30.
``load_cdnow_sample()``: the 2,357-customer sample of Fader, Hardie & Lee (2005), 6,919 rows.

Both return the internal transaction table (``segment.schema``): ``customer_id`` (str,
leading zeros kept, e.g. "00002"), ``order_ts`` (the purchase date at midnight),
``amount`` (dollars), ``quantity`` (number of CDs). There is no order id, so an order is
one customer's purchases on one calendar day (the convention of Fader & Hardie).

Zero amounts: the master log has 80 rows with a dollar value of 0 (the sample has some
too). They are kept as orders with zero revenue — a purchase event did happen, and
dropping them would change frequency and recency — and ``zero_amount_rows`` counts them.

Identical lines: the master log has 255 lines that repeat an earlier line exactly. With no
order id nothing tells a repeated line from a second purchase of the same CD on the same day,
so they are kept, as the user-file reader keeps them (docs/DATA.md 5.3): reading
``CDNOW_master.txt`` with ``segment.io.load_transactions`` (5.9) gives exactly this table.

The file's SHA-256 is checked before parsing; a mismatch is an error naming the file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from segment.hashing import file_sha256
from segment.paths import DATA_DIR  # data/raw/ of the repository

SHA256 = {
    "CDNOW_master.txt": "eff6889ed364c5199d6eacbbeb7a6d559971df4406ac876f322c373f00a072ef",
    "CDNOW_sample.txt": "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a",
}


class ChecksumError(ValueError):
    """A bundled data file does not have the SHA-256 recorded in data/README.md."""


def _verified_path(name: str, path: str | Path | None) -> Path:
    p = Path(path) if path is not None else DATA_DIR / name
    if not p.exists():
        raise FileNotFoundError(f"CDNOW file not found: {p} (see data/README.md for how to fetch it)")
    actual = file_sha256(p)
    if actual != SHA256[name]:
        raise ChecksumError(f"{p}: SHA-256 is {actual}, expected {SHA256[name]} (see data/README.md)")
    return p


def _read(name: str, path: str | Path | None, names: list[str], skiprows: int = 0) -> pd.DataFrame:
    """A CDNOW file (whitespace-separated, checksum verified) as the internal transaction table."""
    raw = pd.read_csv(_verified_path(name, path), sep=r"\s+", skiprows=skiprows, header=None, names=names,
                      dtype={c: str for c in names if c not in ("quantity", "amount")})
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("str"),
            "order_ts": pd.to_datetime(raw["date"], format="%Y%m%d").astype("datetime64[ns]"),
            "amount": raw["amount"].astype("float64"),
            "quantity": raw["quantity"].astype("float64"),
        }
    )


def load_cdnow_master(path: str | Path | None = None) -> pd.DataFrame:
    """The full CDNOW master log as the internal transaction table."""
    return _read("CDNOW_master.txt", path, ["customer_id", "date", "quantity", "amount"], skiprows=1)  # a header line


def load_cdnow_sample(path: str | Path | None = None) -> pd.DataFrame:
    """The 2,357-customer CDNOW sample (FHL 2005); ``customer_id`` is the master id."""
    return _read("CDNOW_sample.txt", path, ["customer_id", "sample_id", "date", "quantity", "amount"])


def zero_amount_rows(transactions: pd.DataFrame) -> int:
    """How many rows have a zero amount (kept as zero-revenue orders)."""
    return int((transactions["amount"] == 0).sum())
