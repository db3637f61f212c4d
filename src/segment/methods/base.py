"""The common interface every grading method implements.

A method is a dataclass of keyword hyperparameters (stored unchanged, like scikit-learn's
``__init__``). ``fit(features)`` learns state on the calibration feature table and stores
it in attributes ending in ``_`` (cut points, centroids, weights), so that an analyst can
see exactly why a customer lands where it does. ``assign(features)`` may be called on a
feature table of another date: that is how a quarterly rerun applies last quarter's rules.

``assign`` returns a DataFrame aligned to ``features.index`` (customer_id) with columns

- ``tier``: ordered ``pd.Categorical`` whose categories are the tier labels, best first;
  never missing;
- ``score``: float, higher is better, NaN for methods that have no continuous score.

The provisional flag (tenure shorter than ``provisional_days``) is not the method's: the
grading stage (``segment.grading.grade``) adds it once per table. A method that learns from
an earlier period (``training_horizon`` not None) is handed its training frame there
(``set_training``) before ``fit``.

Subclasses implement ``_fit(features)`` and ``_assign(features) -> (tier_codes, score)``
where ``tier_codes`` is an integer array, 0 = best tier, and ``learned_rules()``: the fitted
rules in the sentences a person uses (the analyst report's "Learned rules").

Rules shared by every method (checked here, so no method can forget them):

- the feature table's index (customer_id) must be unique — the tie rule and the
  alignment of the output depend on it (ValueError otherwise);
- ``fit`` on an empty table is a ValueError (there is nothing to learn cut points from);
  ``assign`` on an empty table returns an empty, well-formed assignment table;
- the package-wide tie rule (tests/methods/test_contract.py states it): customers are
  ordered by value descending, then customer_id ascending. Tiers are learned as value
  thresholds, so equal values always share a tier (a tie at a boundary goes to the better
  tier) and the order of the rows never matters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from segment.methods.params import param


class NotFittedError(RuntimeError):
    """``assign`` was called before ``fit``."""


#: what a method can promise (``GradingMethod.promises``); the property tests check each
#: promise over every registered method that makes it (tests/methods/test_properties.py)
PROMISES = {
    "row_order": "the order of the rows changes no tier and no score",
    "money_scale": "multiplying every money column by the same positive number changes no tier",
}


@dataclass
class GradingMethod:
    """Base class; see the module docstring for the contract.

    Every method describes itself (``segment.methods.registry.describe`` reads it; the config
    check, the reports, docs/METHODS.md and the property tests use it): ``display_name`` and
    ``description`` (one plain sentence a leadership reader understands), its parameters
    (dataclass fields declared with ``segment.methods.params.param``: type, allowed values,
    default, help), ``simplicity`` (1 = simplest; breaks ties between methods that judge
    about as well), ``promises`` (keys of ``PROMISES``) and ``monotone_in`` (feature columns
    whose increase never lowers a customer's tier)."""

    provisional_days: int = param(182, low=0, help="customers with a shorter tenure (days) get a provisional grade")

    #: columns of the feature table the method needs (checked with a clear error); every method
    #: needs tenure_days, from which the grading stage computes the provisional flag
    required_features: ClassVar[tuple[str, ...]] = ("tenure_days",)
    #: plain name for reports (what a reader who did not build it understands)
    display_name: ClassVar[str] = ""
    #: one plain sentence: what the method ranks customers by (leadership reads it)
    description: ClassVar[str] = ""
    #: 1 = simplest to explain and run; among methods that are about as good, the simplest is preferred
    simplicity: ClassVar[int] = 99
    #: invariants the method promises (keys of ``PROMISES``)
    promises: ClassVar[frozenset[str]] = frozenset()
    #: feature columns whose increase never lowers a customer's tier (refitted or not)
    monotone_in: ClassVar[tuple[str, ...]] = ()
    #: small, fast parameters for the contract and property tests
    test_params: ClassVar[dict[str, Any]] = {}
    #: documented ``CannotGrade`` errors on degenerate input: case -> message regex
    #: (cases of tests/methods/test_contract.py: ``one_customer``, ``all_equal``)
    degenerate_errors: ClassVar[dict[str, str]] = {}
    #: kinds of report section the method offers (``segment.reporting.views.SECTION_KINDS``)
    report_sections: ClassVar[tuple[str, ...]] = ()
    #: the grading most businesses use today, in leadership's words, when the parameters match
    #: ``usual_practice_params``
    usual_practice: ClassVar[str] = ""
    usual_practice_params: ClassVar[dict[str, Any]] = {}

    # ----------------------------------------------------------------- public API
    def get_params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @property
    def labels(self) -> tuple[str, ...]:
        """Tier labels, best first."""
        return tuple(self.tier_labels)  # type: ignore[attr-defined]

    def fit(self, features: pd.DataFrame) -> "GradingMethod":
        self.fitted_ = False  # a failed refit must not leave the previous fit looking current
        self.__dict__.pop("_assigned_at_fit", None)
        self._check_params()
        self._check_features(features)
        if len(features) == 0:
            raise ValueError(f"{type(self).__name__}.fit needs at least one customer; the feature table is empty")
        self._fit(features)
        self.fitted_ = True
        return self

    def assign(self, features: pd.DataFrame) -> pd.DataFrame:
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{type(self).__name__}.assign called before fit")
        self._check_features(features)
        if len(features) == 0:
            codes, score = np.zeros(0, dtype=np.int64), np.zeros(0)
        else:
            codes, score = self._assign(features)
        return self._frame(features, codes, score)

    def _frame(self, features: pd.DataFrame, codes, score) -> pd.DataFrame:
        labels = self.labels
        codes = np.asarray(codes)
        if codes.shape != (len(features),):
            raise AssertionError(f"{type(self).__name__} returned {codes.shape} codes for {len(features)} rows")
        if len(codes) and (codes.min() < 0 or codes.max() >= len(labels)):
            raise AssertionError(f"{type(self).__name__} returned a tier code outside 0..{len(labels) - 1}")
        tier = pd.Categorical.from_codes(codes.astype(int), categories=list(labels), ordered=True)
        if score is None:
            score = np.full(len(features), np.nan)
        return pd.DataFrame({"tier": tier, "score": np.asarray(score, dtype=float)}, index=features.index.copy())

    def fit_assign(self, features: pd.DataFrame) -> pd.DataFrame:
        """``fit(features).assign(features)``. A method whose fit already computed the
        assignment of the fitted table (the supervised model's predictions) leaves it as
        ``_assigned_at_fit = (codes, score)``, exactly what ``_assign`` would return, and it
        is used instead of computing it twice."""
        self.fit(features)
        done = self.__dict__.pop("_assigned_at_fit", None)
        return self.assign(features) if done is None else self._frame(features, *done)

    def training_horizon(self, horizon_days: int) -> int | None:
        """Days of the earlier period the method learns from when grading with a run horizon of
        ``horizon_days`` (None: it learns from the graded table alone, like most methods)."""
        return None

    def set_training(self, train_features: pd.DataFrame, train_profit: pd.Series) -> "GradingMethod":
        """Give a method that learns from history its training frame (``training_horizon``)."""
        raise TypeError(f"{type(self).__name__} does not learn from an earlier period")

    # ------------------------------------------------------------ for subclasses
    def _check_features(self, features: pd.DataFrame) -> None:
        if not isinstance(features, pd.DataFrame):
            raise TypeError(f"features must be a pandas DataFrame, got {type(features).__name__}")
        check_columns(features, self.required_features_for_params(), type(self).__name__)
        if not features.index.is_unique:
            dup = features.index[features.index.duplicated()][:5].tolist()
            raise ValueError(f"the feature table's index (customer_id) has duplicates, e.g. {dup}; one row per customer")

    def param_problems(self) -> list[str]:
        """The rule between parameters that their declarations cannot say (e.g. one label per
        tier) that these parameters break, as messages; the config check reports them before
        any work, from the same ``_check_params`` that ``fit`` runs."""
        try:
            self._check_params()
        except (ValueError, TypeError) as exc:
            return [str(exc)]
        return []

    def _check_params(self) -> None:
        """Raise ValueError when the parameters break a rule between them (override)."""

    def required_features_for_params(self) -> tuple[str, ...]:
        """Feature columns needed with the current parameters (override when it depends)."""
        return tuple(self.required_features)

    def _fit(self, features: pd.DataFrame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _assign(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:  # pragma: no cover
        raise NotImplementedError

    def learned_rules(self) -> list[str]:  # pragma: no cover - abstract
        """The fitted rules as plain sentences, one per cut, weight or estimate, e.g. ``A: revenue
        to date ≥ 1,234.56 (...)``. Money has a thousands separator and 2 decimals and no currency
        symbol (the report adds it), days are whole numbers; no Python repr and no ``nan``: an
        undefined value is said in words. Call after ``fit``."""
        raise NotImplementedError


def column_values(features: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """``features[column]`` as float64; missing values are a ValueError naming the column
    (a grading by value must not quietly put unknown values in some tier)."""
    v = features[column].to_numpy(dtype=float, na_value=np.nan)
    n_missing = int(np.isnan(v).sum())
    if n_missing:
        raise ValueError(f"{what}: column {column!r} has {n_missing} missing value(s); fill or drop them first")
    return v


def thresholds_from_shares(values: pd.Series | np.ndarray, shares: tuple[float, ...]) -> np.ndarray:
    """Value thresholds that cut customers at cumulative *customer-count* shares.

    Customers are ranked by value (ties by customer_id); the threshold of a cut at share
    s is the value of the last customer inside the first ceil(s·n) ranks. Tiers are then
    assigned by value (``codes_from_thresholds``), so equal values always share a tier
    (a tie at a boundary goes to the better tier: a tier can hold more than its share
    when values tie) and last quarter's thresholds can be applied to this quarter's
    table. Missing values are a ValueError. (The threshold is a value, so it does not
    depend on how ties are ordered: a plain sort gives the same result as the tie rule.)
    """
    check_shares(shares)
    v = np.asarray(values, dtype=float)
    if np.isnan(v).any():
        raise ValueError(f"cannot cut at customer shares: {int(np.isnan(v).sum())} value(s) are missing")
    n = len(v)
    if n == 0:
        return np.full(len(shares), np.inf)
    ordered = np.sort(v)[::-1]
    idx = np.clip(np.ceil(np.asarray(shares, dtype=float) * n - 1e-9).astype(int) - 1, 0, n - 1)
    return ordered[idx]


def codes_from_thresholds(values: np.ndarray | pd.Series, thresholds: np.ndarray) -> np.ndarray:
    """Tier code = how many thresholds the value is below (thresholds best first).
    NaN values fall to the last tier (callers that cannot have NaN check beforehand)."""
    v = np.asarray(values, dtype=float)
    v = np.where(np.isnan(v), -np.inf, v)
    codes = np.zeros(len(v), dtype=np.int64)
    for thr in np.asarray(thresholds, dtype=float):
        codes += v < thr
    return codes


def check_shares(shares: tuple[float, ...]) -> None:
    s = np.asarray(shares, dtype=float)
    if s.ndim != 1 or len(s) == 0 or np.any(s <= 0) or np.any(s > 1) or np.any(np.diff(s) <= 0):
        raise ValueError(f"cut shares must be increasing numbers in (0, 1], got {shares!r}")


def check_labels(method: GradingMethod, n_tiers: int, why: str) -> None:
    """``tier_labels`` must name every tier exactly once."""
    labels = tuple(method.tier_labels)  # type: ignore[attr-defined]
    if len(labels) != n_tiers or len(set(labels)) != len(labels):
        raise ValueError(f"{type(method).__name__}.tier_labels needs {n_tiers} distinct labels ({why}), got {labels!r}")


def check_columns(features: pd.DataFrame, columns, what: str) -> None:
    """A clear error for indicator columns the feature table lacks (never a silent zero)."""
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise KeyError(f"{what}: feature column(s) {missing} are not in the feature table; available: {list(features.columns)}")


# ------------------------------------------------------- the learned rules in words
#: plain names of feature columns (docs/ARCHITECTURE.md's feature table); another column is named
#: by its own name without underscores
FEATURE_NAMES = {
    "recency_days": "days since the last order", "tenure_days": "days since the first order",
    "frequency": "orders", "monetary_total": "revenue", "avg_order_value": "average order value",
    "quantity_total": "units bought", "profit": "profit", "recent_revenue": "recent revenue",
    "prior_revenue": "prior revenue", "growth_trend": "growth trend", "mean_days_late": "mean days late",
    "late_payment_share": "share of late payments", "overdue_amount": "overdue amount",
}
#: feature columns in money (shown with 2 decimals; k-means divides them by a learned money unit)
MONEY_FEATURES = frozenset({"monetary_total", "avg_order_value", "profit", "recent_revenue", "prior_revenue",
                            "overdue_amount", "credit_limit"})


def feature_name(column: str) -> str:
    return FEATURE_NAMES.get(column, column.replace("_", " "))


def money(value: float) -> str:
    """``1,234.56``: thousands separator, 2 decimals, no currency symbol (the report adds it)."""
    return f"{value:,.2f}"


def percent(share: float) -> str:
    """``80 %``, ``7.5 %``: one decimal, none when it is 0."""
    return f"{100 * share:.1f}".removesuffix(".0") + " %"


def feature_value(column: str, value: float) -> str:
    """A value of ``column`` as a person writes it: money with 2 decimals, days whole, a count
    whole when it is one, anything else with 2 decimals; an undefined value says so."""
    if not np.isfinite(value):
        return "undefined"
    if column in MONEY_FEATURES:
        return money(value)
    whole = column.endswith("_days") or float(value).is_integer()
    return f"{value:,.0f}" if whole else f"{value:,.2f}"


def threshold_rules(labels, thresholds, what: str, shown, shares=None) -> list[str]:
    """One sentence per tier of a grading by value thresholds (best first, ``codes_from_thresholds``):
    ``A: <what> ≥ <threshold>``, ..., the last tier below the last threshold; ``shares``
    (cumulative customer shares the thresholds were learned at) say which customers each cut holds."""
    rules = []
    for i, (label, thr) in enumerate(zip(labels, thresholds)):
        held = "" if shares is None else (f" (the top {percent(shares[0])} of customers)" if i == 0
                                          else f" (up to the top {percent(shares[i])} of customers)")
        rules.append(f"{label}: {what} ≥ {shown(thr)}{held}")
    return [*rules, f"{labels[len(rules)]}: {what} below {shown(thresholds[-1])}"]
