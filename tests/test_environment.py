"""requirements.lock is the one source of truth; environment.yml must repeat its pins."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return {p.split("==")[0].lower(): p.split("==")[1] for p in pip_section}


def test_environment_yml_agrees_with_lock():
    lock, conda = lock_pins(), conda_pins()
    disagree = {k: (v, lock.get(k)) for k, v in conda.items() if lock.get(k) != v}
    assert not disagree, f"environment.yml vs requirements.lock: {disagree}"


def test_every_direct_dependency_is_pinned_in_both():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    names = {d.split("[")[0].lower() for d in direct}
    lock, conda = lock_pins(), conda_pins()
    assert names <= set(lock), names - set(lock)
    assert names <= set(conda), names - set(conda)


def test_owner_fixed_packages_present():
    for name in ["jupyterlab", "pandas", "scikit-learn", "seaborn", "statsmodels", "papermill", "nbval"]:
        assert name in lock_pins()
