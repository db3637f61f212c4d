"""The bundled synthetic B2B config runs end to end (profit from cost, credit, provisional
grades) and every report of it says the data is synthetic; the leadership page leads with it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml
from bs4 import BeautifulSoup

from segment.reporting.run import run_config

ROOT = Path(__file__).resolve().parents[2]


def test_b2b_config_runs_and_is_labelled_synthetic(tmp_path, kernels):
    cfg = yaml.safe_load((ROOT / "configs" / "b2b_synthetic.yaml").read_text())
    assert cfg["data"]["dataset"] == "synthetic_b2b"
    cfg["data"]["n_accounts"] = 600  # the bundled config, smaller: a test, not a report
    cfg["validation"]["n_boot"] = 20
    cfg["report"]["notebooks"] = ["leadership_summary", "data_audit"]
    path = tmp_path / "b2b.yaml"
    path.write_text(yaml.safe_dump(cfg))
    run = run_config(path, tmp_path / "reports", progress=lambda m: None, pool=kernels)

    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["input"]["real_data"] is False
    assert manifest["assumptions"]["profit_source"].startswith("cost column")
    tiers = pd.read_parquet(run / "tiers.parquet")
    assert tiers["provisional"].any() and not tiers["provisional"].all()
    weighted = manifest["method_parameters"]["weighted"]["weights"]
    assert "credit_status" in weighted

    lead = BeautifulSoup((run / "leadership_summary.html").read_text(), "html.parser").get_text(" ")
    assert "SYNTHETIC DATA" in lead.split("The answer")[0]  # before the answer, not only in the footnotes
    assert "real data" not in lead.replace("not real", "")
    audit = BeautifulSoup((run / "data_audit.html").read_text(), "html.parser").get_text(" ")
    assert "synthetic" in audit.lower()
