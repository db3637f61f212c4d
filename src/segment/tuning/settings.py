"""The ``tuning:`` section of a run config, validated before any data is read.

Every key (docs/TUNING.md has the full list)::

    tuning:
      judged_origin: 1998-03-31            # required: the origin that judges the tuned weights
      fold_origins: [1997-06-30, 1997-09-30, 1997-12-31]   # required: where the weights are chosen
      horizon_days: 90                     # outcome window per origin (default: the run's), or
                                           # horizon: 1Q (calendar units or days, as the run's horizon:)
      indicators: [monetary_total, profit, growth_trend, recency_days]  # default: the weighted method's
      objective: {metric: top_tier_profit_capture, churn_weight: 0.0}
      fold_aggregate: mean                 # or min (the worst fold)
      grid_step: 0.1                       # the weight grid over the simplex
      constraints:
        min_weight: 0.05                   # one number for every indicator, or {indicator: minimum}
        fixed_weights: {growth_trend: 0.1}
        max_tier_share: {A: 0.2}           # at every fold origin, on the tiers as fitted there
        min_tier_share: {}
      sensitivity_points: 11
      n_boot: 200
      random_state: 0
      level: 0.95
      top_share: 0.2
      baseline_outcome: profit_outcome     # what the statsmodels baseline regresses

The horizon H is the run's unless the section gives its own, as ``horizon_days`` (days) or
``horizon`` (``2Q``, ``6M`` or days, read by ``segment.horizon.parse_horizon``), not both.
Calendar horizons follow the month-end rule (1997-12-31 + 1Q = 1998-03-31). The out-of-time
rule is checked here: every fold's outcome window (F, H.end(F)] must end on or before the
judged origin J, so nothing the search reads lies in the judged window.
Infeasible constraints (fixed weights over 1, minimums that leave no grid point, a tier
cap below the share the tiers are cut at) are a ``ConfigError`` naming the key.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from segment.dates import iso_date
from segment.errors import ConfigError
from segment.horizon import Horizon, as_horizon, horizon_problem, parse_horizon
from segment.tuning.grid import TOL, candidate_grid

METRICS = ("top_tier_profit_capture", "top20_profit_capture", "gini_profit")
AGGREGATES = ("mean", "min")
OUTCOMES = ("profit_outcome", "revenue_outcome")
KEYS = {"judged_origin", "fold_origins", "horizon_days", "horizon", "indicators", "objective", "fold_aggregate", "grid_step",
        "constraints", "sensitivity_points", "n_boot", "random_state", "level", "top_share", "baseline_outcome"}
OBJECTIVE_KEYS = {"metric", "churn_weight"}
CONSTRAINT_KEYS = {"min_weight", "fixed_weights", "max_tier_share", "min_tier_share"}
#: a larger grid is an error: a finer step or fewer indicators
MAX_CANDIDATES = 20_000


@dataclass(frozen=True)
class TuningConfig:
    judged_origin: str
    fold_origins: tuple[str, ...]
    #: the outcome window at every origin (days or calendar units)
    horizon: Horizon
    indicators: tuple[str, ...]
    objective_metric: str = "top_tier_profit_capture"
    churn_weight: float = 0.0
    fold_aggregate: str = "mean"
    grid_step: float = 0.1
    min_weight: dict[str, float] = field(default_factory=dict)
    fixed_weights: dict[str, float] = field(default_factory=dict)
    max_tier_share: dict[str, float] = field(default_factory=dict)
    min_tier_share: dict[str, float] = field(default_factory=dict)
    sensitivity_points: int = 11
    n_boot: int = 200
    random_state: int = 0
    level: float = 0.95
    top_share: float = 0.2
    baseline_outcome: str = "profit_outcome"

    @property
    def units(self) -> int:
        """Grid units per unit of weight (1 / grid_step)."""
        return int(round(1.0 / self.grid_step))

    @property
    def objective_text(self) -> str:
        churn = f" + {self.churn_weight:g} x churn_auc" if self.churn_weight else ""
        return f"{self.fold_aggregate} over folds of {self.objective_metric}{churn}"

    def to_dict(self) -> dict[str, Any]:
        """The section as YAML would write it (round-trips through ``from_dict``): a horizon in
        days as ``horizon_days`` (a number), one in calendar units as ``horizon`` (``2Q``)."""
        window = {"horizon_days": self.horizon.count} if self.horizon.in_days else {"horizon": str(self.horizon)}
        return {
            "judged_origin": self.judged_origin, "fold_origins": list(self.fold_origins),
            **window, "indicators": list(self.indicators),
            "objective": {"metric": self.objective_metric, "churn_weight": self.churn_weight},
            "fold_aggregate": self.fold_aggregate, "grid_step": self.grid_step,
            "constraints": {"min_weight": dict(self.min_weight), "fixed_weights": dict(self.fixed_weights),
                            "max_tier_share": dict(self.max_tier_share), "min_tier_share": dict(self.min_tier_share)},
            "sensitivity_points": self.sensitivity_points, "n_boot": self.n_boot, "random_state": self.random_state,
            "level": self.level, "top_share": self.top_share, "baseline_outcome": self.baseline_outcome,
        }

    @classmethod
    def from_dict(cls, raw: Any, *, source: str = "<dict>", horizon_days: Horizon | int | None = None,
                  method_params: dict[str, Any] | None = None) -> "TuningConfig":
        """Validate ``raw`` (the ``tuning:`` mapping). ``horizon_days`` is the run's horizon (the
        default; a ``Horizon`` or an int number of days), ``method_params`` the weighted method's
        parameters in the run config (default indicators, tier labels and cut shares)."""
        return _parse(raw, source, horizon_days, dict(method_params or {}))


def validate_tuning(raw: Any, *, source: str, horizon_days: Horizon | int,
                    methods: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """For ``RunConfig.from_dict``: the validated, normalised ``tuning`` section."""
    return TuningConfig.from_dict(raw, source=source, horizon_days=horizon_days,
                                  method_params=methods.get("weighted", {})).to_dict()


# ---------------------------------------------------------------------- parsing
def _parse(raw: Any, source: str, run_horizon: Horizon | int | None, params: dict[str, Any]) -> TuningConfig:
    where = f"{source}: tuning"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(raw).__name__}")
    _no_unknown(raw, KEYS, where)
    for key in ("judged_origin", "fold_origins"):
        if raw.get(key) in (None, "", []):
            raise ConfigError(f"{where}.{key} is required")
    judged = _date(raw["judged_origin"], f"{where}.judged_origin")
    folds_raw = raw["fold_origins"]
    if not isinstance(folds_raw, (list, tuple)):
        raise ConfigError(f"{where}.fold_origins must be a list of dates")
    folds = tuple(sorted({_date(d, f"{where}.fold_origins") for d in folds_raw}))
    horizon = _horizon(raw, run_horizon, where)
    for f in folds:
        end = horizon.end(f)
        if end > dt.date.fromisoformat(judged):
            raise ConfigError(
                f"{where}.fold_origins: the fold at {f} has its outcome window ({f}, {end}] ending after the judged "
                f"origin {judged}: the search would see the judged window. Use an earlier fold or a shorter horizon")

    default_weights = params.get("weights")
    if default_weights is None:
        from segment.methods.weighted import DEFAULT_WEIGHTS

        default_weights = DEFAULT_WEIGHTS
    indicators = raw.get("indicators", list(default_weights))
    if not isinstance(indicators, (list, tuple)) or not all(isinstance(i, str) and i for i in indicators):
        raise ConfigError(f"{where}.indicators must be a list of indicator or feature column names")
    if len(set(indicators)) != len(indicators):
        raise ConfigError(f"{where}.indicators has duplicates: {list(indicators)}")
    if len(indicators) < 2:
        raise ConfigError(f"{where}.indicators needs at least two indicators to weigh, got {list(indicators)}")
    indicators = tuple(indicators)

    objective = raw.get("objective", {}) or {}
    if not isinstance(objective, dict):
        raise ConfigError(f"{where}.objective must be a mapping with 'metric' and 'churn_weight'")
    _no_unknown(objective, OBJECTIVE_KEYS, f"{where}.objective")
    metric = objective.get("metric", "top_tier_profit_capture")
    if metric not in METRICS:
        raise ConfigError(f"{where}.objective.metric={metric!r} is not one of {METRICS}")
    churn_weight = _number(objective.get("churn_weight", 0.0), f"{where}.objective.churn_weight", low=0.0)
    aggregate = raw.get("fold_aggregate", "mean")
    if aggregate not in AGGREGATES:
        raise ConfigError(f"{where}.fold_aggregate={aggregate!r} is not one of {AGGREGATES}")
    step = _number(raw.get("grid_step", 0.1), f"{where}.grid_step", low=TOL, high=0.5)
    units = round(1.0 / step)
    if abs(units * step - 1.0) > 1e-6:
        raise ConfigError(f"{where}.grid_step={step!r} must divide 1 (e.g. 0.1, 0.05, 0.25)")

    cons = raw.get("constraints", {}) or {}
    if not isinstance(cons, dict):
        raise ConfigError(f"{where}.constraints must be a mapping")
    _no_unknown(cons, CONSTRAINT_KEYS, f"{where}.constraints")
    min_weight = _min_weights(cons.get("min_weight", 0.0), indicators, f"{where}.constraints.min_weight")
    fixed = _weights_map(cons.get("fixed_weights", {}) or {}, indicators, f"{where}.constraints.fixed_weights")
    labels = tuple(params.get("tier_labels", ("A", "B", "C")))
    max_share = _share_map(cons.get("max_tier_share", {}) or {}, labels, f"{where}.constraints.max_tier_share")
    min_share = _share_map(cons.get("min_tier_share", {}) or {}, labels, f"{where}.constraints.min_tier_share")

    cfg = TuningConfig(
        judged_origin=judged, fold_origins=folds, horizon=horizon, indicators=indicators,
        objective_metric=metric, churn_weight=churn_weight, fold_aggregate=aggregate, grid_step=float(step),
        min_weight=min_weight, fixed_weights=fixed, max_tier_share=max_share, min_tier_share=min_share,
        sensitivity_points=_integer(raw.get("sensitivity_points", 11), f"{where}.sensitivity_points", low=3),
        n_boot=_integer(raw.get("n_boot", 200), f"{where}.n_boot", low=0),
        random_state=_integer(raw.get("random_state", 0), f"{where}.random_state", low=0),
        level=_number(raw.get("level", 0.95), f"{where}.level", low=0.5, high=0.999),
        top_share=_number(raw.get("top_share", 0.2), f"{where}.top_share", low=TOL, high=1.0),
        baseline_outcome=_choice(raw.get("baseline_outcome", "profit_outcome"), OUTCOMES, f"{where}.baseline_outcome"),
    )
    _check_feasible(cfg, params, where)
    return cfg


def _check_feasible(cfg: TuningConfig, params: dict[str, Any], where: str) -> None:
    """Constraints that no weights can meet are errors now, not an empty search later."""
    fixed_sum = sum(cfg.fixed_weights.values())
    if fixed_sum > 1 + TOL:
        raise ConfigError(f"{where}.constraints.fixed_weights sum to {fixed_sum:g} > 1: weights sum to one")
    free = [i for i in cfg.indicators if i not in cfg.fixed_weights]
    if not free and abs(fixed_sum - 1) > TOL:
        raise ConfigError(f"{where}.constraints.fixed_weights fix every indicator but sum to {fixed_sum:g}, not 1")
    if not free:
        raise ConfigError(f"{where}.constraints.fixed_weights fix every indicator: there is nothing to tune")
    for name, w in cfg.fixed_weights.items():
        if name in cfg.min_weight and w < cfg.min_weight[name] - TOL:
            raise ConfigError(f"{where}.constraints: {name} is fixed at {w:g}, below its min_weight "
                              f"{cfg.min_weight[name]:g}")
    need = fixed_sum + sum(cfg.min_weight.get(i, 0.0) for i in free)
    if need > 1 + TOL:
        raise ConfigError(f"{where}.constraints are infeasible: fixed weights ({fixed_sum:g}) plus the minimum "
                          f"weights of the other indicators ({need - fixed_sum:g}) exceed 1")
    n_grid = math.comb(cfg.units + len(free) - 1, len(free) - 1)
    if n_grid > MAX_CANDIDATES:
        raise ConfigError(f"{where}: grid_step {cfg.grid_step:g} over {len(free)} free indicators gives {n_grid:,} "
                          f"candidates (at most {MAX_CANDIDATES:,}): use a coarser grid_step or fewer indicators")
    if len(candidate_grid(cfg)) == 0:
        raise ConfigError(f"{where}.constraints: no point of the grid (grid_step {cfg.grid_step:g}) meets the minimum "
                          f"weights {cfg.min_weight}; lower a minimum or use a finer grid_step")
    for label in set(cfg.max_tier_share) & set(cfg.min_tier_share):
        if cfg.min_tier_share[label] > cfg.max_tier_share[label] + TOL:
            raise ConfigError(f"{where}.constraints: tier {label} has min_tier_share {cfg.min_tier_share[label]:g} "
                              f"above its max_tier_share {cfg.max_tier_share[label]:g}")
    if params.get("tier_cuts") is None:
        # tiers cut at cumulative customer shares: tier k holds at least its share (ties go up),
        # and the first tier can only grow
        labels = tuple(params.get("tier_labels", ("A", "B", "C")))
        shares = tuple(params.get("tier_shares", (0.2, 0.5)))
        first = labels[0]
        if first in cfg.max_tier_share and cfg.max_tier_share[first] < shares[0] - TOL:
            raise ConfigError(
                f"{where}.constraints.max_tier_share: tier {first} at most {cfg.max_tier_share[first]:g} is "
                f"infeasible: the weighted method cuts {first} at the top {shares[0]:g} of customers (tier_shares "
                f"{list(shares)}), ties can only add to it; lower tier_shares or use tier_cuts")


def _horizon(raw: dict, run_horizon: Horizon | int | None, where: str) -> Horizon:
    """The section's ``horizon_days`` (days) or ``horizon`` (calendar units or days), else the run's."""
    if "horizon_days" in raw and "horizon" in raw:
        raise ConfigError(f"{where}: give horizon or horizon_days, not both")
    if "horizon" in raw:
        problem = horizon_problem(raw["horizon"])
        if problem is not None:
            raise ConfigError(f"{where}.horizon: {problem}")
        return parse_horizon(raw["horizon"])
    days = raw.get("horizon_days", run_horizon)
    if isinstance(days, Horizon):
        return days
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        raise ConfigError(f"{where}.horizon_days must be a positive integer, got {days!r}")
    return as_horizon(days)


# ---------------------------------------------------------------------- helpers
def _no_unknown(raw: dict, known: set[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(known)}")


def _date(value: Any, where: str) -> str:
    try:
        return iso_date(value, where)
    except (ValueError, TypeError):
        raise ConfigError(f"{where}={value!r} is not a date (YYYY-MM-DD)") from None


def _number(value: Any, where: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{where}={value!r} must be in [{low if low is not None else '-inf'}, "
                          f"{high if high is not None else 'inf'}]")
    return float(value)


def _integer(value: Any, where: str, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where} must be an integer >= {low}, got {value!r}")
    return int(value)


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{where}={value!r} is not one of {allowed}")
    return value


def _weights_map(raw: Any, indicators: tuple[str, ...], where: str) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must map an indicator to a weight")
    out = {}
    for name, w in raw.items():
        if name not in indicators:
            raise ConfigError(f"{where}.{name} is not one of the tuned indicators {list(indicators)}")
        out[str(name)] = _number(w, f"{where}.{name}", low=0.0, high=1.0)
    return out


def _min_weights(raw: Any, indicators: tuple[str, ...], where: str) -> dict[str, float]:
    if isinstance(raw, dict):
        return _weights_map(raw, indicators, where)
    w = _number(raw, where, low=0.0, high=1.0)
    return {i: w for i in indicators} if w > 0 else {}


def _share_map(raw: Any, labels: tuple[str, ...], where: str) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must map a tier label to a share of customers")
    out = {}
    for label, s in raw.items():
        if str(label) not in labels:
            raise ConfigError(f"{where}.{label} is not a tier of the weighted method {list(labels)}")
        out[str(label)] = _number(s, f"{where}.{label}", low=0.0, high=1.0)
    return out
