"""The package's import graph, read from the source (no import is executed): no cycles, and the
judging stages (validation, tuning) never reach into the pipeline, features, outcomes, work
cache or runner.

Every ``import`` / ``from ... import`` statement anywhere in a module is an arrow, including
the ones inside functions or under ``if TYPE_CHECKING:``: a lazy import only hides a cycle
until the function runs. Relative imports are resolved; ``from pkg import name`` is an arrow
to ``pkg`` and, when ``name`` is a module, to ``pkg.name``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: judging (validation, tuning) receives gradings and outcomes; it may read the grading types
JUDGING = ("segment.validation", "segment.tuning")
NOT_FROM_JUDGING = ("segment.pipeline", "segment.features", "segment.outcomes", "segment.orderbook", "segment.workcache",
                    "segment.runner")

Graph = dict[str, dict[str, int]]  # module -> {imported module: line of the first such import}


def module_files(src: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package`` under ``src``."""
    out = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph(src: Path, package: str) -> Graph:
    """module -> the modules of the package it imports (an arrow per import statement)."""
    files = module_files(src, package)
    graph: Graph = {m: {} for m in files}
    for module, path in files.items():
        here = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                if target in files and target != module:
                    graph[module].setdefault(target, node.lineno)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def describe(component: list[str], graph: Graph) -> str:
    arrows = [f"    {a} -> {b} (line {graph[a][b]})" for a in component for b in sorted(graph[a]) if b in component]
    return " <-> ".join(component) + "\n" + "\n".join(arrows)


def _inside(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


# ---------------------------------------------------------------------- the package
def test_no_import_cycle():
    graph = import_graph(SRC, "segment")
    found = cycles(graph)
    assert not found, f"{len(found)} import cycle(s):\n" + "\n".join(describe(c, graph) for c in found)


def test_judging_does_not_import_the_pipeline_features_outcomes_or_cache():
    graph = import_graph(SRC, "segment")
    bad = [f"{m} -> {t} (line {line})" for m, targets in sorted(graph.items()) if _inside(m, JUDGING)
           for t, line in sorted(targets.items()) if _inside(t, NOT_FROM_JUDGING)]
    assert not bad, "judging (validation, tuning) reaches into the pipeline stages:\n" + "\n".join(bad)


def test_config_and_tuning_settings_point_one_way():
    """config -> tuning.settings -> tuning.grid; errors and dates are leaves."""
    graph = import_graph(SRC, "segment")
    assert "segment.tuning.settings" in graph["segment.config"]
    assert "segment.tuning.grid" in graph["segment.tuning.settings"]
    assert "segment.config" not in graph["segment.tuning.settings"]
    assert not set(graph["segment.tuning.grid"]) & {"segment.tuning.settings", "segment.config"}
    for leaf in ("segment.errors", "segment.dates", "segment.paths"):
        assert graph[leaf] == {}, (leaf, graph[leaf])


# ---------------------------------------------------------------------- the reader itself
def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_reader_sees_every_kind_of_import(tmp_path):
    src = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "import pkg.b\n",
        "b.py": "from .sub import c\n",
        "sub/__init__.py": "",
        "sub/c.py": "def f():\n    from ..d import x\n",
        "d.py": "from pkg import a\nx = 1\n",
        "e.py": "import os\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub.c import f\n",
    })
    graph = import_graph(src, "pkg")
    assert graph["pkg.a"] == {"pkg.b": 1}
    assert graph["pkg.b"] == {"pkg.sub": 1, "pkg.sub.c": 1}
    assert graph["pkg.sub.c"] == {"pkg.d": 2}
    assert graph["pkg.d"] == {"pkg": 1, "pkg.a": 1}
    assert graph["pkg.e"] == {"pkg.sub.c": 4}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.d", "pkg.sub.c"]]


@pytest.mark.parametrize("edges, expected", [
    ({"a": ["b"], "b": []}, []),
    ({"a": ["b"], "b": ["a"], "c": ["a"]}, [["a", "b"]]),
    ({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["e"], "e": ["d"]}, [["a", "b", "c"], ["d", "e"]]),
])
def test_tarjan_finds_each_component(edges, expected):
    assert cycles({v: dict.fromkeys(ws, 1) for v, ws in edges.items()}) == expected
