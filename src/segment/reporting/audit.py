"""Data audit of the bundled CDNOW log, written as a new folder under reports/.

``python -m segment.reporting.audit --out reports`` (what ``make report`` runs until the
notebook reports land): rows, customers, date range, zero-amount rows, and the 80/20
concentration (share of revenue made by the top 20 % of customers, ties by customer_id).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from segment.data.cdnow import SHA256, load_cdnow_master, zero_amount_rows
from segment.reporting.views import top_share
from segment.runs import RunFolder


def audit_transactions(transactions: pd.DataFrame) -> dict:
    revenue = transactions.groupby("customer_id")["amount"].sum().sort_index()
    return {
        "rows": int(len(transactions)),
        "customers": int(transactions["customer_id"].nunique()),
        "first_date": str(transactions["order_ts"].min().date()),
        "last_date": str(transactions["order_ts"].max().date()),
        "zero_amount_rows": zero_amount_rows(transactions),
        "total_revenue": round(float(transactions["amount"].sum()), 2),
        "top20_revenue_share": round(top_share(revenue, 0.2), 4),
        "customers_with_one_purchase_day": int(
            (transactions.groupby("customer_id")["order_ts"].nunique() == 1).sum()
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="reports", help="parent folder of the new run folder")
    args = parser.parse_args(argv)
    tx = load_cdnow_master()
    audit = audit_transactions(tx)
    audit["source"] = {"file": "data/raw/CDNOW_master.txt", "sha256": SHA256["CDNOW_master.txt"]}
    with RunFolder(Path(args.out), "cdnow-data-audit") as run:
        (run.tmp / "audit.json").write_text(json.dumps(audit, indent=2) + "\n")
        lines = ["# CDNOW data audit (real data, bundled)", ""]
        lines += [f"- {k}: {v}" for k, v in audit.items() if k != "source"]
        (run.tmp / "audit.md").write_text("\n".join(lines) + "\n")
    print(f"data audit written to {run.final / 'audit.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
