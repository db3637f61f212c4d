"""Repository paths in one place: the bundled configs, notebooks, data and the default reports
folder, all under one root.

The root is ``$SEGMENT_ROOT`` when set (``segment --root DIR`` sets it before anything reads
these paths), otherwise the repository the package is installed from in development mode.
The values are fixed when this module is first imported; modules import them from here and
compute no repository path of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

#: environment variable naming the repository root (a relative path is read from the working directory)
ROOT_ENV = "SEGMENT_ROOT"

ROOT = Path(os.environ.get(ROOT_ENV) or Path(__file__).resolve().parents[2]).resolve()
NOTEBOOK_DIR = ROOT / "notebooks"
CONFIG_DIR = ROOT / "configs"
REPORTS_DIR = ROOT / "reports"
DATA_DIR = ROOT / "data" / "raw"
