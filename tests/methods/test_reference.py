"""docs/METHODS.md is generated from the methods' own descriptions and must be current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from segment.methods import params as params_module
from segment.methods import registry
from segment.methods.reference import REGENERATE, cell, code, methods_markdown, show, text

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "METHODS.md"


def test_docs_methods_md_is_current():
    assert DOC.exists(), f"docs/METHODS.md is missing; generate it with `{REGENERATE}`"
    current = DOC.read_text(encoding="utf-8")
    assert current == methods_markdown(), (
        f"docs/METHODS.md is out of date with the method classes; regenerate it with `{REGENERATE}`")


def test_the_page_says_it_is_generated_and_how_to_regenerate_it():
    head = methods_markdown().splitlines()[:5]
    assert any("Generated" in line and REGENERATE in line for line in head), head


def test_module_main_prints_the_page():
    done = subprocess.run([sys.executable, "-m", "segment.methods.reference"], cwd=ROOT, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout.decode("utf-8").replace("\r\n", "\n") == methods_markdown()


def test_output_is_deterministic():
    assert methods_markdown() == methods_markdown()


def table_rows(page: str, header: str) -> list[list[str]]:
    """The rows of every Markdown table whose header row starts with ``| <header> |``,
    split on unescaped ``|``."""
    rows, inside = [], False
    for line in page.splitlines():
        if line.startswith(f"| {header} |"):
            inside = True
            continue
        if inside and line.startswith("| ---"):
            continue
        if inside and line.startswith("|"):
            parts = [p.strip() for p in _split_row(line)]
            rows.append(parts)
        else:
            inside = False
    return rows


def _split_row(line: str) -> list[str]:
    cells, buf, escaped = [], "", False
    for ch in line.strip()[1:-1]:
        if ch == "|" and not escaped:
            cells.append(buf)
            buf = ""
        else:
            buf += ch
        escaped = ch == "\\" and not escaped
    return [*cells, buf]


@pytest.mark.parametrize("name", sorted(registry.METHODS))
def test_every_method_appears_with_its_display_name_and_every_parameter(name):
    page = methods_markdown()
    info = registry.describe(name)
    summary = {r[0]: r for r in table_rows(page, "method")}
    assert code(name) in summary, f"{name} missing from the summary table"
    assert summary[code(name)][1] == text(info.display_name)
    assert summary[code(name)][3] == str(info.simplicity)
    heading = f"## {text(info.display_name)} ({code(name)})"
    assert heading in page.splitlines()
    section = page.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    params = {r[0]: r for r in table_rows(section, "parameter")}
    assert list(params) == [code(p.name) for p in info.params]  # every parameter, in declaration order
    for p in info.params:
        _, type_text, allowed, default, help_text = params[code(p.name)]
        assert type_text == cell(text(params_module.type_text(p.type)))
        assert allowed == cell(text(p.allowed_text))
        assert default == cell(code(show(info.defaults.get(p.name, p.default))))
        assert help_text == cell(text(p.help))


def test_registry_defaults_are_the_defaults_shown():
    # abc_profit and abc_revenue share one class; each name's table shows the basis it gets
    page = methods_markdown()
    for name, defaults in registry.DEFAULT_PARAMS.items():
        if name not in registry.METHODS:
            continue
        heading = f"## {text(registry.describe(name).display_name)} ({code(name)})"
        section = page.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
        params = {r[0]: r for r in table_rows(section, "parameter")}
        for key, value in defaults.items():
            assert params[code(key)][3] == cell(code(show(value)))


def test_defaults_are_shown_readably():
    assert show((0.8, 0.95)) == "[0.8, 0.95]"
    assert show({"profit": 0.4, "growth_trend": 0.3}) == "{profit: 0.4, growth_trend: 0.3}"
    assert show(None) == "none"
    assert show(True) == "true"
    assert show(("A", "none", "")) == '[A, "none", ""]'  # strings YAML would misread are quoted
    assert show(1 / 3) == "0.333333"
    assert show(frozenset({"b", "a"})) == "[a, b]"


def test_text_from_the_classes_is_escaped_for_markdown():
    assert cell(text("a | b")) == "a \\| b"
    assert cell(code("x|y")) == "`x\\|y`"
    assert text("<script>") == "&lt;script>"
    assert text("*bold* _it_ monetary_total [link](x)") == "\\*bold\\* \\_it\\_ monetary_total \\[link\\](x)"
    assert text("two\nlines") == "two lines"
    assert code("a`b") == "``a`b``"
    assert _split_row("| `a\\|b` | c |") == [" `a\\|b` ", " c "]
