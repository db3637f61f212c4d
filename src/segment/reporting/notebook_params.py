"""The parameters cell of each report notebook, read without starting anything.

A report notebook declares its parameters in the one cell tagged ``parameters`` (papermill's
convention), one annotated assignment per line with a help comment::

    min_tier_size: int = 10  # tiers with fewer customers are suppressed

The config check reads them (a ``report:`` key must be a parameter of some notebook, of the
declared type), and ``segment run`` passes each ``report:`` value to the notebooks that
declare it. Reading is plain JSON and ``ast`` (no papermill, no kernel): it takes
milliseconds, so a typo in ``report:`` is reported before any work.
"""

from __future__ import annotations

import ast
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segment.paths import NOTEBOOK_DIR

#: parameters every notebook has that ``segment run`` sets itself (not config keys)
RUN_PARAMETERS = ("run_dir", "config")
TYPES = {"int": int, "float": float, "str": str, "bool": bool}


@dataclass(frozen=True)
class NotebookParameter:
    notebook: str
    name: str
    type: str
    default: Any
    help: str


@functools.lru_cache(maxsize=None)
def _read(path: Path, mtime_ns: int) -> tuple[NotebookParameter, ...]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{path}: expected one cell tagged 'parameters', found {len(cells)}")
    source = "".join(cells[0]["source"]) if isinstance(cells[0]["source"], list) else cells[0]["source"]
    lines = source.splitlines()
    out = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            raise ValueError(f"{path}: the parameters cell must hold only annotated assignments (name: type = value)")
        line = lines[node.lineno - 1]
        help_text = line.split("#", 1)[1].strip() if "#" in line else ""
        out.append(NotebookParameter(path.stem, node.target.id, ast.unparse(node.annotation),
                                     ast.literal_eval(node.value) if node.value is not None else None, help_text))
    return tuple(out)


def notebook_parameters(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> tuple[NotebookParameter, ...]:
    """The parameters declared by ``notebooks/<name>.ipynb`` (a missing notebook is a
    ``ConfigError`` naming it: e.g. ``segment --root`` pointing at a folder without notebooks)."""
    path = Path(notebook_dir) / f"{name}.ipynb"
    if not path.is_file():
        from segment.errors import ConfigError, Problem

        raise ConfigError([Problem(str(path), "", "the report notebook is not there (segment --root, or "
                                                  "SEGMENT_ROOT, must name the repository with its notebooks/)")])
    return _read(path, path.stat().st_mtime_ns)


def report_parameters(names: list[str], notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, list[NotebookParameter]]:
    """Parameter name -> its declarations in the given notebooks (the run's own parameters left out)."""
    out: dict[str, list[NotebookParameter]] = {}
    for nb in names:
        for p in notebook_parameters(nb, notebook_dir):
            if p.name not in RUN_PARAMETERS:
                out.setdefault(p.name, []).append(p)
    return out


def parameters_for(notebook: str, report: dict[str, Any], notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, Any]:
    """The ``report:`` values that ``notebook`` declares as parameters (what papermill is given)."""
    declared = {p.name for p in notebook_parameters(notebook, notebook_dir)} - set(RUN_PARAMETERS)
    return {k: v for k, v in report.items() if k in declared}


def type_matches(value: Any, type_name: str) -> bool:
    tp = TYPES.get(type_name)
    if tp is None:
        return True
    if isinstance(value, bool) and tp is not bool:
        return False
    return isinstance(value, (int, float)) if tp is float else isinstance(value, tp)
