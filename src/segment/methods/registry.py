"""Name -> grading method class. A new method is one file plus one line here.

Entries are "module:Class" strings imported on first use, so importing the registry is
cheap and a broken method module fails loudly when asked for, not silently.

``describe(name)`` is what every other part reads about a method (plain name, plain
description, parameters, simplicity, promises): the config check, the reports, the
property tests and docs/METHODS.md. Nothing else keeps a list of methods.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from segment.methods.base import GradingMethod
from segment.methods.params import ParamInfo, param_infos

METHODS: dict[str, str] = {
    "abc_revenue": "segment.methods.pareto:ParetoABC",
    "abc_profit": "segment.methods.pareto:ParetoABC",
    "pyramid": "segment.methods.pyramid:CustomerPyramid",
    "rfm": "segment.methods.rfm:RFMGrading",
    "kmeans": "segment.methods.cluster:ClusterGrading",
    "weighted": "segment.methods.weighted:WeightedScore",
    "kaism": "segment.methods.kaism:KAISMMatrix",
    "lifecycle": "segment.methods.lifecycle:LifecycleStatus",
    "supervised": "segment.methods.supervised:SupervisedProfitRanker",
    "bgnbd": "segment.methods.bgnbd:BGNBDGrading",
}

#: default keyword parameters per registry name (a name may reuse a class)
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "abc_revenue": {"basis": "revenue"},
    "abc_profit": {"basis": "profit"},
}


def method_class(name: str) -> type[GradingMethod]:
    try:
        target = METHODS[name]
    except KeyError:
        raise KeyError(f"unknown grading method {name!r}; known: {sorted(METHODS)}") from None
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def make_method(name: str, **params: Any) -> GradingMethod:
    """Instantiate a registered method; ``params`` override the registry defaults."""
    return method_class(name)(**{**DEFAULT_PARAMS.get(name, {}), **params})


@dataclass(frozen=True)
class MethodInfo:
    """What a registered method says of itself (read from its class, with the registry defaults)."""

    name: str
    display_name: str
    description: str
    simplicity: int
    promises: frozenset[str]
    monotone_in: tuple[str, ...]
    params: tuple[ParamInfo, ...]
    defaults: dict[str, Any]
    test_params: dict[str, Any]
    degenerate_errors: dict[str, str]
    needs_history: bool
    #: kinds of report section the method offers (its ``report_sections``; the kinds and what
    #: each needs of a fitted method: ``segment.reporting.views.SECTION_KINDS``)
    report_sections: tuple[str, ...] = ()
    #: the grading most businesses use today, in leadership's words, when this name is it
    #: (its class's ``usual_practice``, given its ``usual_practice_params``); empty otherwise
    usual_practice: str = ""
    #: what a customer's reason (``GradingMethod.explain``) says, in one plain sentence (its class's ``explains``)
    explains: str = ""


def describe(name: str) -> MethodInfo:
    cls = method_class(name)
    method = make_method(name)  # instance attributes: a class may say different things per registry name
    return MethodInfo(
        name=name, display_name=method.display_name or name, description=method.description,
        simplicity=int(method.simplicity), promises=frozenset(method.promises), monotone_in=tuple(method.monotone_in),
        params=param_infos(cls), defaults=dict(DEFAULT_PARAMS.get(name, {})), test_params=dict(method.test_params),
        degenerate_errors=dict(method.degenerate_errors),
        needs_history=cls.training_horizon is not GradingMethod.training_horizon,  # it learns from an earlier period
        report_sections=tuple(cls.report_sections),
        usual_practice=cls.usual_practice if all(
            getattr(method, k) == v for k, v in cls.usual_practice_params.items()) else "",
        explains=method.explains,
    )


def display_name(name: str) -> str:
    """A method's plain name; a name that is not registered (a reference row) is returned as it is."""
    return describe(name).display_name if name in METHODS else name


def by_simplicity(names) -> list[str]:
    """``names`` simplest first (ties by name)."""
    return sorted(names, key=lambda n: (describe(n).simplicity if n in METHODS else 10**6, n))
