"""`segment report-all` shares work between configs (segment.workcache) without changing a
single number: a config run after another one, from the shared cache, gives byte-identical
tier and validation tables to a run alone; each run still gets its own folder."""

from __future__ import annotations

import yaml

from segment.reporting.run import run_config, run_configs
from tests.reporting.conftest import CONFIG, digest


def test_cached_runs_equal_a_run_alone(tmp_path, kernels):
    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["report"]["notebooks"] = ["leadership_summary"]  # the tables do not depend on the notebooks
    path = tmp_path / "quick.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))  # same order: the weighted score sums weights in order
    alone = run_config(path, tmp_path / "alone", progress=lambda m: None, pool=kernels)  # its own cache
    outcomes = run_configs([path, path], tmp_path / "reports", progress=lambda m: None, pool=kernels)
    assert [e for _, _, e in outcomes] == [None, None]
    first, second = (final for _, final, _ in outcomes)
    assert first != second and first.exists() and second.exists()
    names = ["tiers.csv", "tiers.parquet", *[f"validation/{p.name}" for p in (alone / "validation").glob("*.csv")]]
    for name in names:
        assert digest(second / name) == digest(alone / name), name  # second: every fit reused
        assert digest(first / name) == digest(alone / name), name


def test_report_all_goes_on_after_a_broken_config(tmp_path, kernels):
    bad = tmp_path / "bad.yaml"
    bad.write_text("output_name: x\n")
    outcomes = run_configs([bad], tmp_path / "reports", progress=lambda m: None, pool=kernels)
    assert outcomes[0][1] is None and "is required" in str(outcomes[0][2])
