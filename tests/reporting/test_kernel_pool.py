"""Pooled kernels: a notebook run on a reused kernel starts as in a fresh one (no names
from the notebook before, execution count 1, warnings shown again), and a notebook that
fails leaves the kernel usable for the next one. Interrupting the pool interrupts each running
cell once (again only if it still runs a while later), so the notebook keeps its KeyboardInterrupt
traceback however often ``interrupt`` is called."""

from __future__ import annotations

import threading
import time

import nbformat
import pytest

from segment.reporting import execute as execute_module
from segment.reporting import kernels as kernels_module
from segment.reporting.execute import NotebookFailed, execute_notebook
from segment.reporting.kernels import REPEAT_INTERRUPT_AFTER, KernelPool

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


def test_a_notebook_interrupted_again_and_again_keeps_its_keyboard_interrupt_traceback(tmp_path, pool):
    """Calling interrupt() every 10 ms (the run calls it until its notebooks stop) signals the
    sleeping cell once: a second signal while IPython formats the traceback would leave only a
    bare "KeyboardInterrupt" line on stderr in the kept notebook."""
    started = tmp_path / "started"
    nbformat.write(notebook(f"import time\nopen({str(started)!r}, 'w').close()\ntime.sleep(120)", "print('after')"),
                   tmp_path / "nbs" / "sleeps.ipynb")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    raised: list[BaseException] = []

    def run() -> None:
        try:
            execute_notebook("sleeps", run_dir, lambda m: None, pool)
        except BaseException as exc:  # noqa: BLE001 -- looked at below
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 240
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    t = time.monotonic()
    while thread.is_alive() and time.monotonic() - t < 60:
        pool.interrupt()
        time.sleep(0.01)
    thread.join(timeout=60)
    assert not thread.is_alive() and time.monotonic() - t < 60  # the sleep was cut short
    assert isinstance(raised[0], NotebookFailed) and "KeyboardInterrupt" in str(raised[0])
    cells = outputs(run_dir / "notebooks" / "sleeps.ipynb")
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["KeyboardInterrupt"] and errors[0].traceback
    assert not any(o.get("name") == "stderr" for c in cells for o in c.outputs)
    assert cells[-1].outputs == []  # no cell ran after the interrupted one


class FakeKernel:
    def __init__(self) -> None:
        self.signals = 0

    def interrupt_kernel(self) -> None:
        self.signals += 1


def test_interrupt_signals_a_running_cell_once_and_again_only_after_the_repeat_delay(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(kernels_module.time, "monotonic", lambda: now[0])
    pool = KernelPool(1)
    km = FakeKernel()
    pool._busy.append(km)
    pool._cells[id(km)] = None
    hooks = pool.cell_hooks(km)
    pool.interrupt()
    assert km.signals == 0  # between two cells (here: before the first) a kernel ignores it: wait for the cell
    hooks["on_cell_execute"](cell=None, cell_index=1)
    for _ in range(5):
        pool.interrupt()
    assert km.signals == 1
    now[0] += REPEAT_INTERRUPT_AFTER - 0.01
    pool.interrupt()
    assert km.signals == 1
    now[0] += 0.01  # still in the same cell: the first signal came before the cell began, and was lost
    pool.interrupt()
    assert km.signals == 2
    hooks["on_cell_executed"](cell=None, cell_index=1, execute_reply={})
    pool.interrupt()
    assert km.signals == 2  # the cell ended: not while the kernel sends its reply
    hooks["on_cell_execute"](cell=None, cell_index=2)
    pool.interrupt()
    assert km.signals == 3  # the next cell is interrupted at once
    assert pool._stopped
