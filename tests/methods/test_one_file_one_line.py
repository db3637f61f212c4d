"""A new grading method is one file plus one line.

The file: tests/methods/fixtures/toy_method.py, a complete small method that declares everything
about itself on its class. The line: its entry in ``registry.METHODS`` (here set by
``monkeypatch.setitem``, the same one line a real method adds to registry.py). With nothing else
edited, the method is found by the contract checks, the property tests' selection and checks,
the leadership page's names, the grading comparison's method sections, the method reference
(docs/METHODS.md) and the config check.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from segment.methods import params, registry
from segment.methods.reference import code, methods_markdown, text

ROOT = Path(__file__).resolve().parents[2]
NAME = "toy"
TARGET = "tests.methods.fixtures.toy_method:ToyGrading"
DISPLAY = "toy grading by order count"

MINIMAL_CONFIG = {
    "output_name": "x",
    "data": {"dataset": "cdnow_master"},
    "as_of": "1997-09-30",
    "horizon_days": 273,
}


def _clear_caches() -> None:
    """Whatever caches what the registry says (lru_cache on describe, param_infos, ...) must not
    hide a method registered, or keep one unregistered, during a test."""
    from segment.reporting import leadership

    for fn in (registry.describe, registry.method_class, registry.make_method, registry.display_name,
               params.param_infos, leadership.method_names, leadership.plain):
        clear = getattr(fn, "cache_clear", None)
        if clear is not None:
            clear()


@pytest.fixture
def toy(monkeypatch):
    assert NAME not in registry.METHODS
    _clear_caches()
    monkeypatch.setitem(registry.METHODS, NAME, TARGET)  # the one line
    yield NAME
    monkeypatch.undo()
    _clear_caches()


def test_it_describes_itself(toy):
    info = registry.describe(toy)
    assert info.display_name == DISPLAY
    assert info.description and info.simplicity == 4
    assert info.promises == {"row_order", "money_scale"} and info.monotone_in == ("frequency",)
    assert [p.name for p in info.params] == ["provisional_days", "quantile", "tier_labels"]
    quantile = next(p for p in info.params if p.name == "quantile")
    assert quantile.type is float and quantile.default == 0.5 and quantile.allowed_text == "0 to 1"
    assert quantile.help


# ------------------------------------------------------------------ contract
def contract_tests() -> list:
    """Every test of tests/methods/test_contract.py that runs over the registered methods."""
    from tests.methods import test_contract

    found = [fn for fn_name, fn in sorted(vars(test_contract).items())
             if fn_name.startswith("test_") and callable(fn) and "name" in inspect.signature(fn).parameters]
    assert len(found) >= 8, [fn.__name__ for fn in found]
    return found


def test_contract_parametrises_over_the_registry():
    from tests.methods import conftest

    assert conftest.ALL_METHODS == sorted(registry.METHODS)  # collected from the registry, no list of its own
    for fn in contract_tests():
        marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
        assert any(m.args[0] == "name" and list(m.args[1]) == conftest.ALL_METHODS for m in marks), fn.__name__


@pytest.mark.parametrize("contract_test", contract_tests(), ids=lambda fn: fn.__name__)
def test_every_contract_test_passes_on_it(toy, contract_test, request):
    """The contract tests themselves, called on the new method with their own fixtures."""
    kwargs = {p: (toy if p == "name" else request.getfixturevalue(p))
              for p in inspect.signature(contract_test).parameters}
    contract_test(**kwargs)


def test_contract_checks_on_it(toy, make, features):
    from tests.methods.test_contract import check_output, degenerate

    method = make(toy)
    out = method.fit_assign(features)
    check_output(out, features, method)
    assert set(out["tier"].astype(str)) == {"many", "few"}
    one = features.iloc[[0]]
    assert list(degenerate(make, toy, "one_customer", one)["tier"].astype(str)) == ["many"]


def test_the_contract_file_collects_and_passes_it():
    """tests/methods/test_contract.py run on its own, in a fresh interpreter in which the method is
    registered by the one line before collection: every contract test is collected for it and passes."""
    expected = sorted(fn.__name__ for fn in contract_tests())
    program = (
        "import sys, pytest\n"
        "from segment.methods import registry\n"
        f"registry.METHODS[{NAME!r}] = {TARGET!r}\n"
        "sys.exit(pytest.main(['-v', '-p', 'no:cacheprovider', '-k', sys.argv[1], 'tests/methods/test_contract.py']))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    done = subprocess.run([sys.executable, "-c", program, NAME], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    passed = sorted(re.findall(rf"::(test_\w+)\[{NAME}\] PASSED", output))
    assert passed == expected, output[-4000:]


# ------------------------------------------------------------------ property tests
def test_the_property_tests_select_it(toy):
    from tests.methods import test_properties

    assert toy in test_properties.promising("money_scale")
    assert toy in test_properties.promising("row_order")
    assert (toy, "frequency") in test_properties.monotone_cases()


def test_the_property_checks_pass_on_it(toy):
    from tests.methods import test_properties

    test_properties.test_scaling_all_money_changes_no_tier(name=toy)
    test_properties.test_row_order_changes_nothing(name=toy)
    test_properties.test_raising_a_customers_value_never_lowers_its_tier(name=toy, column="frequency")


# ------------------------------------------------------------------ leadership page
def test_the_leadership_page_names_it(toy):
    from segment.reporting import leadership

    assert leadership.method_names()[toy] == DISPLAY
    assert DISPLAY in leadership.plain(toy)


def test_nothing_knew_it_before_the_line():
    from segment.reporting import leadership

    _clear_caches()
    assert NAME not in leadership.method_names()
    assert NAME not in re.findall(r"`(\w+)`", methods_markdown())


# ------------------------------------------------------------------ grading comparison
def test_the_grading_comparison_shows_its_sections(toy, make, features):
    """The section kinds its class offers (``report_sections``) show, under its plain name."""
    from types import SimpleNamespace

    from matplotlib.figure import Figure

    from segment.reporting import views

    assert registry.describe(toy).report_sections == ("tier_pyramids",)
    method = make(toy).fit(features)
    result = SimpleNamespace(fitted={toy: method}, assignments={toy: method.assign(features)}, features=features)
    (heading, shown), = views.method_sections(result, source="toy data")
    assert heading.startswith("### Customer pyramid") and DISPLAY in heading and f"`{toy}`" in heading
    assert isinstance(shown, Figure) and shown.axes[0].get_title() == "Customers per level"


# ------------------------------------------------------------------ method reference
def test_the_method_reference_lists_it(toy):
    page = methods_markdown()
    assert any(line.startswith(f"| {code(toy)} | {text(DISPLAY)} |") for line in page.splitlines())
    section = page.split(f"## {text(DISPLAY)} ({code(toy)})\n", 1)[1].split("\n## ", 1)[0]
    for p in ("provisional_days", "quantile", "tier_labels"):
        assert f"| {code(p)} |" in section
    assert "`[many, few]`" in section and "`0.5`" in section


# ------------------------------------------------------------------ config check
def test_the_config_check_accepts_it(toy):
    from segment.config import RunConfig

    cfg = RunConfig.from_dict({**MINIMAL_CONFIG, "methods": {toy: {}}}, source="q.yaml")
    assert cfg.methods == {toy: {}}


@pytest.mark.parametrize("bad, key", [({"quantil": 0.5}, "methods.toy.quantil"),
                                       ({"quantile": 2}, "methods.toy.quantile"),
                                       ({"tier_labels": "many"}, "methods.toy.tier_labels")])
def test_the_config_check_reads_its_parameters(toy, bad, key):
    from segment.config import RunConfig

    with pytest.raises(ValueError, match=re.escape(key)):
        RunConfig.from_dict({**MINIMAL_CONFIG, "methods": {toy: bad}}, source="q.yaml")
