"""`segment run` with a tuning section: result.tuning, the tuning notebook, its tables and
the tuned-weights fragment in the run folder (a small config: the CDNOW sample, two
methods, a coarse grid)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from segment.config import RunConfig
from segment.pipeline import load_result
from segment.reporting.run import notebooks_for, run_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tuning_run(tmp_path_factory, kernels):
    raw = yaml.safe_load((ROOT / "configs" / "quick_cdnow_sample_tuning.yaml").read_text())
    raw["validation"] = {"n_boot": 20, "random_state": 0}
    raw["tuning"].update(grid_step=0.25, n_boot=20, sensitivity_points=5)
    raw["report"] = {"notebooks": ["tuning"]}
    folder = tmp_path_factory.mktemp("tuning-run")
    path = folder / "tuning.yaml"
    path.write_text(yaml.safe_dump(raw))
    return run_config(path, folder / "reports", progress=lambda m: None, pool=kernels)


def test_the_run_folder_holds_the_tuning(tuning_run):
    for name in ("tuning.html", "tuning/tuned_weights.yaml", "tuning/comparison.csv", "tuning/grid.csv",
                 "tuning/sensitivity.csv", "tuning/differences.csv", "tuning/regression.csv", "tuning/folds.csv"):
        assert (tuning_run / name).is_file(), name
    assert not list(tuning_run.rglob(".*.tmp"))  # atomic writes leave no temporary file
    result = load_result(tuning_run / "artifacts" / "result.pkl")
    frag = yaml.safe_load((tuning_run / "tuning" / "tuned_weights.yaml").read_text())
    assert frag["methods"]["weighted"]["weights"] == result.tuning.chosen
    assert result.timings["tuning"] > 0
    grid = pd.read_csv(tuning_run / "tuning" / "grid.csv")
    assert len(grid) == 35  # four indicators, step 0.25
    executed = nbformat.read(tuning_run / "notebooks" / "tuning.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["run_dir"]
    html = (tuning_run / "tuning.html").read_text()
    assert "Tuned weights" in html and "hindsight optimum" in html and "tuned_weights.yaml" in html
    assert "tuning/tuned_weights.yaml" in (tuning_run / "index.html").read_text()


def test_the_tuning_notebook_joins_a_run_only_when_asked():
    assert "tuning" in notebooks_for(RunConfig.from_yaml(ROOT / "configs" / "cdnow_tuning.yaml"))
    assert "tuning" not in notebooks_for(RunConfig.from_yaml(ROOT / "configs" / "quick_cdnow_sample.yaml"))
