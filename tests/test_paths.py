"""Repository paths (``segment.paths``): one root, overridable with ``$SEGMENT_ROOT``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from segment import cli, paths

REPO = Path(__file__).resolve().parents[1]
SHOW = ("import json; from segment import paths; print(json.dumps({k: str(getattr(paths, k)) for k in "
        "('ROOT', 'NOTEBOOK_DIR', 'CONFIG_DIR', 'REPORTS_DIR', 'DATA_DIR')}))")


def _paths(cwd: Path, root: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != paths.ROOT_ENV}
    if root is not None:
        env[paths.ROOT_ENV] = root
    done = subprocess.run([sys.executable, "-c", SHOW], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_default_root_is_the_repository(tmp_path):
    found = _paths(tmp_path, None)
    assert found["ROOT"] == str(REPO) and (REPO / "pyproject.toml").exists()
    assert found["CONFIG_DIR"] == str(REPO / "configs")


def test_environment_variable_moves_every_path(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    found = _paths(tmp_path, "elsewhere")  # relative: read from the working folder, stored absolute
    root = tmp_path / "elsewhere"
    assert found == {"ROOT": str(root), "NOTEBOOK_DIR": str(root / "notebooks"), "CONFIG_DIR": str(root / "configs"),
                     "REPORTS_DIR": str(root / "reports"), "DATA_DIR": str(root / "data" / "raw")}


def test_the_cli_sets_the_variable_paths_reads():
    assert cli.ROOT_ENV == paths.ROOT_ENV
