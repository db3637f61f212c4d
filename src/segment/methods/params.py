"""Method parameters that describe themselves, and the check of a config's values against them.

A method's hyperparameters are dataclass fields declared with ``param(default, help=...,
low=..., high=..., choices=...)``; the field's type annotation is its type. The config
check (``check_params``), the generated method reference (docs/METHODS.md) and the
reports read them from there (``param_infos``), so a parameter is described in one place.

Types understood by the check: ``int``, ``float`` (an int is a float), ``str``, ``bool``,
``None`` in a union (``int | None``), ``tuple[X, ...]`` and fixed ``tuple[X, Y]`` (a YAML
list), ``dict[K, V]`` and ``Any``. A bool is never taken for a number.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any

_MISSING = dataclasses.MISSING


def param(default: Any = _MISSING, *, help: str, default_factory: Any = _MISSING, low: float | None = None,
          high: float | None = None, low_open: bool = False, choices: tuple[Any, ...] | None = None,
          ) -> Any:
    """A dataclass field with its help line and allowed values (``low``/``high`` bound a number
    and every number inside a tuple or dict value; ``low_open`` excludes ``low`` itself;
    ``choices`` lists the allowed values)."""
    meta = {"help": help, "low": low, "high": high, "low_open": low_open, "choices": choices}
    if default_factory is not _MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class ParamInfo:
    name: str
    type: Any
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[Any, ...] | None = None

    @property
    def allowed_text(self) -> str:
        """The allowed values in words: ``one of a, b``, ``> 0``, ``0 to 1``, or ``""``."""
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        low = None if self.low is None else f"{self.low:g}"
        high = None if self.high is None else f"{self.high:g}"
        if low is not None and high is not None:
            return f"{low} to {high}" + (f" (not {low})" if self.low_open else "")
        if low is not None:
            return f"> {low}" if self.low_open else f">= {low}"
        return f"<= {high}" if high is not None else ""


@functools.lru_cache(maxsize=None)
def param_infos(cls: type) -> tuple[ParamInfo, ...]:
    """Every hyperparameter of a method class, in declaration order."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        default = f.default if f.default is not _MISSING else (
            f.default_factory() if f.default_factory is not _MISSING else None)
        out.append(ParamInfo(f.name, hints.get(f.name, Any), default, meta.get("help", ""), meta.get("low"),
                             meta.get("high"), bool(meta.get("low_open")), meta.get("choices")))
    return tuple(out)


def type_text(tp: Any) -> str:
    """A short readable name of a type: ``int``, ``float or none``, ``list of float``, ..."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is type(None):
        return "none"
    if tp is Any:
        return "any"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_text(a) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of {type_text(args[0])}"
        return f"list of {len(args)} ({', '.join(type_text(a) for a in args)})"
    if origin is dict:
        return f"mapping of {type_text(args[0])} to {type_text(args[1])}" if args else "mapping"
    return getattr(tp, "__name__", str(tp))


def check_value(value: Any, tp: Any, key: str, info: ParamInfo | None = None) -> list[tuple[str, str]]:
    """(key, message) for every way ``value`` does not fit ``tp`` and the bounds of ``info``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return []
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return []
        alternatives = [a for a in args if a is not type(None)]
        results = [check_value(value, a, key, info) for a in alternatives]
        if any(not r for r in results):
            return []
        # report the alternative that got furthest (same container kind), else a type message
        for a, r in zip(alternatives, results):
            if _kind_matches(value, a):
                return r
        return [(key, f"expected {type_text(tp)}, got {_show(value)}")]
    if tp is type(None):
        return [] if value is None else [(key, f"expected none, got {_show(value)}")]
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return [(key, f"expected {type_text(tp)}, got {_show(value)}")]
        if len(args) == 2 and args[1] is Ellipsis:
            return [p for i, v in enumerate(value) for p in check_value(v, args[0], f"{key}[{i}]", info)]
        if len(value) != len(args):
            return [(key, f"expected {type_text(tp)}, got {len(value)} value(s)")]
        return [p for i, (v, a) in enumerate(zip(value, args)) for p in check_value(v, a, f"{key}[{i}]", info)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            return [(key, f"expected {type_text(tp)}, got {_show(value)}")]
        if not args:
            return []
        out = []
        for k, v in value.items():
            out += check_value(k, args[0], f"{key}.{k}", None)
            out += check_value(v, args[1], f"{key}.{k}", info)
        return out
    if tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif tp is str:
        ok = isinstance(value, str)
    else:
        ok = isinstance(value, tp) if isinstance(tp, type) else True
    if not ok:
        return [(key, f"expected {type_text(tp)}, got {_show(value)}")]
    if info is None:
        return []
    if info.choices is not None and value not in info.choices:
        return [(key, f"{_show(value)} is not allowed ({info.allowed_text})")]
    if tp in (int, float) and value == value:  # NaN fails every bound below
        if (info.low is not None and (value < info.low or (info.low_open and value == info.low))) or (
                info.high is not None and value > info.high):
            return [(key, f"{_show(value)} is out of range (allowed: {info.allowed_text})")]
    if tp is float and value != value:
        return [(key, "NaN is not a number this parameter can take")]
    return []


def _kind_matches(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    if origin is tuple:
        return isinstance(value, (list, tuple))
    if origin is dict:
        return isinstance(value, dict)
    if origin in (int, float):  # a number of the right kind out of range: report the range, not the type
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return False


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_params(cls: type, params: dict[str, Any], key: str) -> list[tuple[str, str]]:
    """(key, message) for every unknown parameter and every value that does not fit its
    declaration; ``key`` is the config path of the method (``methods.weighted``)."""
    infos = {i.name: i for i in param_infos(cls)}
    out = []
    for name, value in params.items():
        if name not in infos:
            out.append((f"{key}.{name}", f"unknown parameter (allowed: {', '.join(infos)})"))
            continue
        out += check_value(value, infos[name].type, f"{key}.{name}", infos[name])
    return out
