"""Repository paths in one place (the bundled configs, notebooks, data and default reports
folder live in the repository the package is installed from in development mode)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
CONFIG_DIR = ROOT / "configs"
REPORTS_DIR = ROOT / "reports"
DATA_DIR = ROOT / "data" / "raw"
