"""Two runs of the small real config, shared by the report tests (each run takes ~20 s)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from segment.reporting.run import run_config

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "quick_cdnow_sample.yaml"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def two_runs(tmp_path_factory):
    """(reports dir, first run, second run, digests of the first run's files before the second)."""
    reports = tmp_path_factory.mktemp("reports")
    first = run_config(CONFIG, reports, progress=lambda m: None)
    before = {p.relative_to(first): digest(p) for p in first.rglob("*") if p.is_file()}
    second = run_config(CONFIG, reports, progress=lambda m: None)
    return reports, first, second, before
