"""Runs shared by the report tests: two of the small real config (each takes ~20 s), and the
hostile-input run (``test_hostile_input``)."""

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


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory, kernels) -> Path:
    """The run folder of ``test_hostile_input.hostile_inputs``: payloads in every input."""
    from tests.reporting.test_hostile_input import hostile_inputs

    tmp = tmp_path_factory.mktemp("hostile")
    return run_config(hostile_inputs(tmp), tmp / "reports", progress=lambda m: None, pool=kernels)
