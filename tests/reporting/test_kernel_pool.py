"""Pooled kernels: a notebook run on a reused kernel starts as in a fresh one (no names
from the notebook before, execution count 1, warnings shown again), and a notebook that
fails leaves the kernel usable for the next one."""

from __future__ import annotations

import nbformat
import pytest

from segment.reporting import execute as execute_module
from segment.reporting.execute import NotebookFailed, execute_notebook
from segment.reporting.kernels import KernelPool

WARNS = "import warnings\n\ndef f():\n    warnings.warn('shown once per location', UserWarning)\n"


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('run_dir = ""  # run folder', metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture()
def pool(tmp_path, monkeypatch):
    (tmp_path / "nbs").mkdir()
    (tmp_path / "nbs" / "warnmod.py").write_text(WARNS)
    monkeypatch.setattr(execute_module, "NOTEBOOK_DIR", tmp_path / "nbs")
    p = KernelPool(1, cwd=tmp_path / "nbs")
    yield p
    p.close()


def outputs(path):
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def test_reused_kernel_starts_fresh(tmp_path, pool):
    first = notebook("leaked = 1\nimport warnmod\nwarnmod.f()", "import matplotlib.pyplot as plt\nfig = plt.figure()")
    second = notebook("print('leaked' in globals(), 'plt' in globals())\nimport warnmod\nwarnmod.f()",
                      "import matplotlib.pyplot as plt\nprint(len(plt.get_fignums()))")
    nbformat.write(first, tmp_path / "nbs" / "first.ipynb")
    nbformat.write(second, tmp_path / "nbs" / "second.ipynb")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    execute_notebook("first", run_dir, lambda m: None, pool)
    execute_notebook("second", run_dir, lambda m: None, pool)
    assert pool._started == 1  # the same kernel ran both
    cells = outputs(run_dir / "notebooks" / "second.ipynb")
    text = "".join(o.get("text", "") for c in cells for o in c.outputs)
    assert "False False" in text  # nothing from the first notebook's namespace
    assert "shown once per location" in text  # the warning shows again, as in a new kernel
    assert text.strip().endswith("0")  # no figure left open
    assert cells[0].execution_count == 1


def test_a_failed_notebook_leaves_the_kernel_usable(tmp_path, pool):
    nbformat.write(notebook("raise ValueError('planted')"), tmp_path / "nbs" / "bad.ipynb")
    nbformat.write(notebook("print('fine')"), tmp_path / "nbs" / "good.ipynb")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with pytest.raises(NotebookFailed, match="bad failed in cell .*planted"):
        execute_notebook("bad", run_dir, lambda m: None, pool)
    execute_notebook("good", run_dir, lambda m: None, pool)
    assert "fine" in "".join(o.get("text", "") for c in outputs(run_dir / "notebooks" / "good.ipynb") for o in c.outputs)
