"""The expected outputs nbval checks: stored only on ``# NBVAL_CHECK_OUTPUT`` cells.

Notebooks are stored without outputs, except the few cells marked ``# NBVAL_CHECK_OUTPUT``
whose key figures must not drift: they keep the output of a run with the notebook's
default (small, fast) parameters, and ``pytest --nbval-lax notebooks`` (``make test``)
fails when a rerun prints anything else. After a deliberate change (a new method, a
changed default), refresh them:

    python -m segment.reporting.checked_outputs notebooks/validation.ipynb

which executes the notebook with its defaults (papermill, in a temporary folder) and
copies the outputs of the marked cells -- and only those -- into the stored notebook.
``segment run`` never shows a stored output: it clears them before executing.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

MARK = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell) -> bool:
    return cell.get("cell_type") == "code" and MARK in cell.get("source", "")


def refresh(path: str | Path) -> list[int]:
    """Execute ``path`` with its default parameters and store the marked cells' outputs;
    returns the indices of the cells updated."""
    import nbformat
    import papermill as pm

    path = Path(path).resolve()
    stored = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        pm.execute_notebook(str(path), str(out), kernel_name="python3", cwd=str(path.parent), progress_bar=False)
        executed = nbformat.read(out, as_version=4)
    # papermill may inject a parameters cell: match cells by source
    by_source = {c.source: c for c in executed.cells if is_checked(c)}
    updated = []
    for i, cell in enumerate(stored.cells):
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            cell.outputs = [o for o in by_source[cell.source].outputs if o.get("output_type") == "stream"]
            cell.execution_count = 1  # nbval treats a cell with outputs but no count as never run
            updated.append(i)
        else:
            cell.outputs, cell.execution_count = [], None
    nbformat.write(stored, path)
    return updated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="notebooks (.ipynb) whose checked outputs to refresh")
    args = parser.parse_args(argv)
    for nb in args.notebooks:
        print(f"{nb}: refreshed cells {refresh(nb)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
