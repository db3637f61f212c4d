"""The grading stage: the gradings of one date, from a feature table and a ``GradingSpec``.

Every grading in the package is made by ``grade``: the run's grading date, its validation
origin, each backtest origin, and tuning's weight sets. For each method of the spec it makes
the method, hands it its training frame if it learns from an earlier period, fits it and
assigns the same table; then it adds the provisional flag, computed once per table
(``tenure_days < provisional_days``: the sources' rule that new customers get a provisional
grade until they have six months of history).

- **Training frames are handed in.** A method that learns from an earlier period says so
  (``GradingMethod.training_horizon``: the supervised benchmark). ``grade`` then calls
  ``training(h)``, which returns the features at T − h and the profit each customer made in
  (T − h, T]; the caller builds it (``segment.runner``), so this module reads no
  transactions.
- **Cannot grade.** A method that cannot grade this data raises ``CannotGrade`` (from its
  training frame or its fit); it is left out and its reason recorded in
  ``Grading.not_graded``. Any other error is a fault and propagates.
- **Plumbing is the caller's.** ``fit`` (default ``fit_method``) makes one method's fit; the
  runner passes a cached, thread-limited one. Nothing here caches, times or pins threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from segment.errors import CannotGrade
from segment.methods.base import GradingMethod
from segment.methods.registry import make_method

#: ``training(h)`` -> (features at T − h, profit in (T − h, T]) for a method that learns from history
Training = Callable[[int], "tuple[pd.DataFrame, pd.Series]"]


@dataclass(frozen=True)
class MethodSpec:
    """One grading to make: the registered method ``name`` with ``params`` (the config's, or a
    tuning weight set's)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GradingSpec:
    """What every grading of a run is made with: the methods by label (a config's method names,
    or tuning's weight-set names), the provisional rule, and the feature options and horizon
    the training frames and feature tables are built with (read by ``segment.runner``)."""

    methods: Mapping[str, MethodSpec]
    provisional_days: int = 182
    horizon_days: int = 182
    feature_kwargs: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Any) -> "GradingSpec":
        """The spec of a ``segment.config.RunConfig``: its methods under their own names."""
        return cls({name: MethodSpec(name, dict(params)) for name, params in config.methods.items()},
                   provisional_days=int(config.provisional_days),
                   horizon_days=int(config.horizon_days) if config.horizon_days is not None else config.window,
                   feature_kwargs=dict(config.feature_kwargs))

    def only(self, labels: Any) -> "GradingSpec":
        """The same spec with only the methods in ``labels`` (in the spec's order)."""
        keep = set(labels)
        return replace(self, methods={k: m for k, m in self.methods.items() if k in keep})

    def make(self, label: str) -> GradingMethod:
        """The unfitted method of ``label``."""
        m = self.methods[label]
        return make_method(m.name, **{"provisional_days": self.provisional_days, **m.params})


@dataclass
class FitOutcome:
    """One method's fit on one table: the fitted method and its assignment (tier, score), or the
    ``CannotGrade`` error that says why it cannot grade this data."""

    method: GradingMethod | None = None
    assignment: pd.DataFrame | None = None
    error: CannotGrade | None = None


@dataclass
class Grading:
    """The gradings of one date: per graded method, the fitted method and its assignment (tier,
    score, provisional; one row per customer of the feature table). ``outcomes``: what happened
    in the horizon after ``as_of``, when the caller judges this date (None otherwise).
    ``features``: the feature table it was graded on, when the caller asked to keep it."""

    as_of: str
    fitted: dict[str, GradingMethod]
    assignments: dict[str, pd.DataFrame]
    not_graded: dict[str, str] = field(default_factory=dict)
    outcomes: pd.DataFrame | None = None
    features: pd.DataFrame | None = None

    def tiers_only(self) -> "Grading":
        """This date's tiers alone (no fits, scores or outcomes): what a migration needs of it."""
        return Grading(self.as_of, {}, {name: a[["tier"]] for name, a in self.assignments.items()})


def provisional_flag(features: pd.DataFrame, provisional_days: int) -> np.ndarray:
    """True for customers whose tenure is shorter than ``provisional_days``."""
    if "tenure_days" not in features.columns:
        raise KeyError("feature table lacks 'tenure_days', needed for the provisional flag")
    return features["tenure_days"].to_numpy(dtype=float) < provisional_days


def fit_method(method: GradingMethod, features: pd.DataFrame, training: Training | None,
               horizon_days: int) -> FitOutcome:
    """Fit ``method`` on ``features`` and assign the same table; ``CannotGrade`` (from the
    training frame or the fit) is returned as the outcome's error."""
    try:
        h = method.training_horizon(horizon_days)
        if h is not None:
            if training is None:
                raise ValueError(f"{type(method).__name__} learns from an earlier period: pass training=")
            method.set_training(*training(h))
        return FitOutcome(method, method.fit_assign(features))
    except CannotGrade as exc:  # only this: any other error is a fault and propagates
        return FitOutcome(error=exc)


#: ``fit(label, method, features, training, horizon_days)``: the runner's cached ``fit_method``
Fit = Callable[[str, GradingMethod, pd.DataFrame, "Training | None", int], FitOutcome]


def grade(spec: GradingSpec, features: pd.DataFrame, *, as_of: str, training: Training | None = None,
          fit: Fit | None = None, progress: Callable[[str], None] | None = None) -> Grading:
    """Grade ``features`` (the feature table at ``as_of``) with every method of ``spec``.

    ``training``: builds the training frame of methods that learn from history (see the
    module docstring). ``fit``: one method's fit (default: ``fit_method``). ``progress``: a
    line before each method and after it (graded, or why it cannot grade)."""
    import time

    say = progress or (lambda message: None)
    flags: dict[int, np.ndarray] = {}  # by provisional_days: once per table (a method's params may set its own)
    out = Grading(str(as_of), {}, {})
    for i, label in enumerate(spec.methods, start=1):
        say(f"grading {label} ({i} of {len(spec.methods)})")
        t = time.perf_counter()
        method = spec.make(label)
        done = (fit(label, method, features, training, spec.horizon_days) if fit is not None
                else fit_method(method, features, training, spec.horizon_days))
        if done.error is not None:
            say(f"{label} cannot grade this data: {done.error}")
            out.not_graded[label] = str(done.error)
            continue
        say(f"{label} graded in {time.perf_counter() - t:.1f} s")
        out.fitted[label] = done.method
        days = int(done.method.provisional_days)
        if days not in flags:
            flags[days] = provisional_flag(features, days)
        out.assignments[label] = done.assignment.assign(provisional=flags[days])
    return out
