"""Run folders built by hand for the ledger tests: a manifest.json with the keys a successful
run of a series carries, and a published.csv written by the real writer."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from segment.governance.ledger import published_record, write_published

TIERS = ["A", "B", "C"]


def published(rows: list[tuple]) -> pd.DataFrame:
    """A published table from (customer_id, tier, provisional, recency_days, frequency,
    monetary_total, profit) rows."""
    table = pd.DataFrame(rows, columns=["customer_id", "tier", "provisional", "recency_days", "frequency",
                                        "monetary_total", "profit"])
    return table.astype({"customer_id": "str", "tier": "str", "provisional": "bool", "recency_days": "float64",
                         "frequency": "Int64", "monetary_total": "float64", "profit": "float64"})


def make_run(reports: Path, name: str, *, series: str = "cdnow-quarterly", as_of: str = "1997-09-30",
             finished: str = "2026-12-02T03:00:00", status: str = "ok", table: pd.DataFrame | None = None,
             method: str = "rfm", headline: str | None = None, **extra) -> Path:
    """A run folder ``reports/name`` as a run of ``series`` graded at ``as_of`` would leave it."""
    folder = reports / name
    folder.mkdir(parents=True)
    table = published([("c1", "A", False, 10.0, 2, 100.0, 20.0)]) if table is None else table
    sha = write_published(table, folder)
    manifest = {"status": status, "output_name": name, "series": series, "grading_as_of": as_of,
                "finished": finished, "published": published_record(method, table, sha), **extra}
    if headline is not None:
        manifest["headline"] = headline
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder
