"""Plain JSON/YAML values from the package's parameter values: one rule for the manifest and
the tuned-weights fragment (tuples -> lists, dict keys -> text, dataclasses -> dicts, numpy
scalars -> Python numbers)."""

from __future__ import annotations

import dataclasses
from typing import Any


def jsonable(v: Any) -> Any:
    """``v`` with every tuple, dict, dataclass and numpy scalar made plain, recursively."""
    if isinstance(v, (tuple, list)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return jsonable(dataclasses.asdict(v))
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        return v.item()
    return v
