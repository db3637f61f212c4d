"""Notebooks are stored without outputs, paired with jupytext text files, thin, and parameterised
with one typed, commented `parameters` cell."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import nbformat
import pytest


NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_text_file_matches(path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{path.name} has no jupytext twin {twin.name}"
    a = [(c.cell_type, c.source.strip()) for c in nbformat.read(path, as_version=4).cells]
    b = [(c.cell_type, c.source.strip()) for c in jupytext.read(twin).cells]
    assert a == b, f"{path.name} and {twin.name} differ: run `jupytext --sync {twin}`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_outputs_and_thin_cells(path):
    """No stored outputs (reports carry outputs, the repository does not), and no function or
    class defined in a notebook."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.get("outputs"), f"{path.name} stores outputs: clear them (jupytext --sync from the .py twin)"
        assert cell.get("execution_count") is None
        tree = ast.parse(cell.source)
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
        assert not defs, f"{path.name} defines a function or class: move it into src/segment"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameters_cell_with_types_and_help(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    lines = [l for l in tagged[0].source.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    assert "run_dir" in tagged[0].source
    for line in lines:
        node = ast.parse(line).body[0]
        assert isinstance(node, ast.AnnAssign), f"{path.name}: parameter without a type: {line}"
        assert isinstance(node.value, ast.Constant), f"{path.name}: parameter default is not a primitive: {line}"
        assert "#" in line, f"{path.name}: parameter without a help comment: {line}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_method_name_and_no_string_key_into_validation(path):
    """A notebook knows methods only through the package (no registry name in its code), and
    reads validation's tables by attribute (``result.validation.leaderboard``), not by key."""
    from segment.methods.registry import METHODS

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        named = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in METHODS}
        assert not named, f"{path.name} names the method(s) {sorted(named)}: {cell.source[:80]}"
        keyed = [n for n in ast.walk(tree) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute)
                 and n.value.attr == "validation"]
        assert not keyed, f"{path.name} reads result.validation by key: use its attribute"
