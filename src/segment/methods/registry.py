"""Name -> grading method class. A new method is one file plus one line here.

Entries are "module:Class" strings imported on first use, so importing the registry is
cheap and a broken method module fails loudly when asked for, not silently.
"""

from __future__ import annotations

import importlib
from typing import Any

from segment.methods.base import GradingMethod

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
