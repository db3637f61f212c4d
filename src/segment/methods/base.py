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
where ``tier_codes`` is an integer array, 0 = best tier, ``learned_rules()``: the fitted
rules in the sentences a person uses (the analyst report's "Learned rules"), and
``_explain(features, codes, score)``: one plain sentence per customer saying why it is in its
tier (``explain``; the CRM export's ``reason_<method>``), built by vectorised string operations
(the helpers at the end of this module: each number is formatted once per distinct value, then
per-tier template parts and per-customer values are joined by pyarrow, no per-customer loop; a
method with ``explain_distinct_rows`` explains a large table whose rows often repeat once per
distinct row, ``repeated_rows``: a reason depends on the customer's row, tier and score alone).

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
from typing import Any, Callable, ClassVar, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segment.ids import is_unique
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
    #: whether ``explain`` builds the reasons once per distinct row of a large table whose rows often
    #: repeat (``repeated_rows``); worth it where a reason costs more than finding the repeats
    explain_distinct_rows: ClassVar[bool] = False
    #: one plain sentence: what a customer's reason (``explain``) says (docs/METHODS.md shows it)
    explains: ClassVar[str] = ""

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

    def explain(self, features: pd.DataFrame, assigned: pd.DataFrame | None = None) -> pd.Series:
        """Why each customer is in its tier: one plain sentence per customer a sales rep can read
        (index ``features.index``, string dtype, name ``reason``), e.g. ``B: revenue 812.40, below
        A's cut 1,050.00 and at or above B's cut 310.20``. Call after ``fit``. ``assigned`` is the
        table ``assign`` returned for these features (tier, score; other columns such as
        ``provisional`` are ignored): given, it is not recomputed; its rows may be in another
        order but must be the same customers (ValueError otherwise). Numbers follow
        ``learned_rules``' style: money with a thousands separator and 2 decimals, no currency
        symbol, days whole; no Python repr and no ``nan`` (an unknown value is said in words)."""
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{type(self).__name__}.explain called before fit")
        self._check_features(features)
        assigned = self.assign(features) if assigned is None else self._aligned(features, assigned)
        if len(features) == 0:
            return pd.Series(pd.array([], dtype="str"), index=features.index.copy(), name="reason")
        codes = assigned["tier"].cat.codes.to_numpy().astype(np.int64)
        score = assigned["score"].to_numpy(dtype=float, na_value=np.nan)
        repeats = repeated_rows(features, codes, score) if self.explain_distinct_rows else None
        if repeats is None:
            text = self._explain(features, codes, score)
        else:  # a reason depends on the customer's row, tier and score alone: one per distinct row
            group, first = repeats
            text = repeated(self._explain(features.iloc[first], codes[first], score[first]), group)
        if len(text) != len(features):
            raise AssertionError(f"{type(self).__name__} explained {len(text)} customers of {len(features)}")
        return pd.Series(pd.array(text, dtype="str"), index=features.index.copy(), name="reason")

    def _aligned(self, features: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
        """``assigned`` in the order of ``features`` (the same customers, tiers of this method)."""
        if not isinstance(assigned, pd.DataFrame) or not {"tier", "score"} <= set(assigned.columns):
            raise ValueError(f"{type(self).__name__}.explain: assigned must be the table assign returned "
                             "(columns tier and score)")
        if not isinstance(assigned["tier"].dtype, pd.CategoricalDtype) or \
                list(assigned["tier"].cat.categories) != list(self.labels):
            raise ValueError(f"{type(self).__name__}.explain: assigned's tiers are not this method's "
                             f"({', '.join(map(str, self.labels))})")
        if assigned.index.equals(features.index):
            return assigned
        if len(assigned) != len(features) or not assigned.index.is_unique or \
                not assigned.index.isin(features.index).all():
            raise ValueError(f"{type(self).__name__}.explain: assigned is not for the same customers as features")
        return assigned.reindex(features.index)

    def _explain(self, features: pd.DataFrame, codes: np.ndarray, score: np.ndarray) -> pa.Array:  # pragma: no cover
        """One sentence per row of ``features`` (a pyarrow string array, in row order) from the
        customer's tier code (0 = best) and score, vectorised (abstract)."""
        raise NotImplementedError

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
        if not is_unique(features.index):  # no pandas hash table on millions of ids (segment.ids)
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


#: ``repeated_rows``: tables of fewer customers are explained row by row
REPEATS_MIN_ROWS = 100_000
#: ``repeated_rows``: rows of the sample that decides whether looking for repeats can pay
REPEATS_SAMPLE_ROWS = 50_000


def repeated_rows(features: pd.DataFrame, codes: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows of a large table grouped by equal values (to the bit) in every feature column, tier
    code and score: (per row its group, numbered in order of first appearance; the position of each
    group's first row). None when the table has fewer than ``REPEATS_MIN_ROWS`` rows, when a sample
    of it (``REPEATS_SAMPLE_ROWS`` rows spread over the table) has almost no repeated row (under
    0.5 %), or when more than 70 % of the rows are distinct: then grouping costs more than it saves.
    Whether the rows are grouped changes no reason, only how long they take."""
    n = len(features)
    if n < REPEATS_MIN_ROWS:
        return None
    sample = np.unique(np.arange(REPEATS_SAMPLE_ROWS, dtype=np.int64) * 2_654_435_761 % n)  # spread, no seed
    columns = [features.iloc[sample, k] for k in range(features.shape[1])]
    _, first = group_rows([_exact(c) for c in columns] + [_exact(codes[sample]), _exact(score[sample])], len(sample))
    if len(first) > 0.995 * len(sample):
        return None
    columns = [features.iloc[:, k] for k in range(features.shape[1])]
    group, first = group_rows([_exact(c) for c in columns] + [_exact(codes), _exact(score)], n)
    return None if len(first) > 0.7 * n else (group, first)


def repeated(text: pa.Array, group: np.ndarray) -> pa.Array:
    """``text[group]``: each group's text on each of its rows (decoded as a dictionary: pyarrow's take
    is several times slower for a long output; large strings beyond 2 GB)."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    total = int(pc.binary_length(text).to_numpy(zero_copy_only=False)[group].sum())
    as_type = pa.string() if total < 2 ** 31 - 1 else pa.large_string()
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(group, dtype=np.int32)), text).cast(as_type)


def _exact(values) -> np.ndarray:
    """Per row a non-negative integer, equal for two rows only if their values are the same: numbers
    and dates to the bit (-0.0 is not 0.0), anything else as ``pd.factorize`` finds them equal."""
    a = values.to_numpy() if isinstance(values, pd.Series) and isinstance(values.dtype, np.dtype) else values
    if isinstance(a, np.ndarray) and a.dtype.kind in "biufmM":
        bits = a.astype(np.float64 if a.dtype.kind == "f" else a.dtype, copy=False)
        bits = bits.view(np.int64) if bits.dtype.itemsize == 8 else bits.astype(np.int64)
        return pd.factorize(bits)[0]
    return pd.factorize(pd.Series(values) if isinstance(values, np.ndarray) else values)[0] + 1


def group_rows(columns: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` rows grouped by equal values in every column (non-negative integers): per row its
    group (0, 1, ... in order of first appearance), and the position of each group's first row."""
    key, size = np.zeros(n, dtype=np.int64), 1
    for column in columns:
        radix = int(column.max(initial=0)) + 1
        if size * radix >= 2 ** 62:  # the combined key would overflow: number the groups so far 0, 1, ...
            key = pd.factorize(key)[0].astype(np.int64)
            size = int(key.max(initial=-1)) + 1
        key = key * radix + column.astype(np.int64)
        size *= radix
    group = pd.factorize(key)[0]
    first = np.flatnonzero(np.diff(np.maximum.accumulate(group), prepend=-1) > 0)  # a new group's first row
    return group, first


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
    idx = np.clip(np.ceil(np.asarray(shares, dtype=float) * n - 1e-9).astype(int) - 1, 0, n - 1)
    if both_zeros(v):  # which of -0.0 and 0.0 lands at a cut is the sort's choice: keep the full sort's
        return np.sort(v)[::-1][idx]
    at = n - 1 - idx  # the idx-th largest, in ascending order: a partial sort finds exactly those values
    return np.partition(v, np.unique(at))[at]


def both_zeros(v: np.ndarray) -> bool:
    """Whether the float array holds both -0.0 and 0.0 (equal, but not the same bits)."""
    zero = v == 0
    return bool((zero & np.signbit(v)).any() and (zero & ~np.signbit(v)).any())


def sorted_distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of a float array (the sorted distinct values, and each
    value's position among them), found by hashing (``pd.factorize``), which sorts only the distinct
    values: the same arrays, several times faster on millions of customers. Where the two could differ
    (NaN, or both zeros: which of -0.0 and 0.0 np.unique keeps depends on its sort) it is np.unique."""
    v = np.asarray(values, dtype=float)
    if np.isnan(v).any() or both_zeros(v):
        uniques, inverse = np.unique(v, return_inverse=True)
        return uniques, inverse.reshape(-1)
    inverse, uniques = pd.factorize(v, sort=True)
    return uniques, inverse


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


# ------------------------------------------------------- the reasons in words (explain)
#: said after a value equal to the cut it passed (the package's tie rule, ``codes_from_thresholds``)
TIE_WORDS = " (equal to the cut, which counts as reaching it)"
#: a value below the better tier's cut that the shown decimals round up to it ("profit 0.00, below
#: break-even 0.00" of a customer at -0.0025)
ROUNDED_WORDS = " (below the cut before rounding)"


def number(value: float, decimals: int = 2) -> str:
    """``value`` with a thousands separator and ``decimals`` decimals; never ``-0.00``."""
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def signed_money(value: float) -> str:
    """``+40.12`` / ``-12.00`` (a change in money)."""
    text = money(abs(value))
    return text if text == "0.00" else ("+" if value > 0 else "-") + text


class Decimals:
    """A number format: ``number(value, places)`` (thousands separator, ``places`` decimals, never
    ``-0.00``; a missing value is ``unknown``). ``texts`` formats a whole column with it in
    vectorised arithmetic instead of once per distinct value (money columns have about as many
    distinct values as customers)."""

    def __init__(self, places: int) -> None:
        self.places = int(places)

    def __call__(self, value: float) -> str:
        return number(value, self.places) if np.isfinite(value) else "unknown"


MONEY = Decimals(2)
WHOLE = Decimals(0)
#: the largest magnitude formatted in integer arithmetic (beyond it, once per distinct value)
_EXACT_LIMIT = 2.0 ** 52


#: the digits of 0..999 as three ASCII bytes each ("000".."999"): a group of three digits per lookup
_TRIPLES = np.frombuffer("".join(f"{i:03d}" for i in range(1000)).encode(), dtype=np.uint8).reshape(1000, 3)
_THOUSANDS = 1000 ** np.arange(7, dtype=np.int64)


def decimal_texts(values, places: int) -> pa.Array:
    """``number(v, places)`` of every value, in vectorised arithmetic; null where a value is missing
    or infinite. The value is rounded to ``places`` decimals from its binary value times
    10**places; where that product lies within 1e-6 of a half (where it could round otherwise than
    Python's exact decimal rounding), Python formats it, once per distinct such value.

    The text is written as bytes: every value right-aligned in one row of a byte matrix (digits
    three at a time from a table, the commas and the decimal point at fixed columns, the sign just
    before the first digit), then each row's used tail is cut out into one pyarrow string buffer."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    ok = np.isfinite(v) & (np.abs(v) * 10.0 ** places < _EXACT_LIMIT)
    scaled = np.abs(np.where(ok, v, 0.0)) * 10.0 ** places
    units = np.rint(scaled).astype(np.int64)
    whole, fraction = np.divmod(units, 10 ** places)
    groups = 1 + np.searchsorted(_THOUSANDS[1:], whole, side="right")  # groups of three digits
    n_groups = int(groups.max(initial=1))
    top = whole // _THOUSANDS[groups - 1]  # the first group of digits (1 to 3 of them, no leading zero)
    negative = (v < 0) & (units > 0)
    point = places + 1 if places else 0  # the decimals and their point
    length = np.where(ok, negative + 4 * (groups - 1) + 1 + (top >= 10) + (top >= 100) + point, 0)
    width = 4 * n_groups - 1 + point + 1
    chars = np.zeros((n, width), dtype=np.uint8)
    end = width  # columns are filled from the right
    if 0 < places <= 3:
        chars[:, end - places:end] = np.take(_TRIPLES, fraction, axis=0)[:, 3 - places:]
        end -= places + 1
        chars[:, end] = ord(".")
    elif places:
        rest = fraction
        for _ in range(places):
            rest, digit = np.divmod(rest, 10)
            end -= 1
            chars[:, end] = digit + 48
        end -= 1
        chars[:, end] = ord(".")
    rest = whole
    for g in range(n_groups):
        if g:
            end -= 1
            chars[:, end] = ord(",")
        rest, three = np.divmod(rest, 1000)
        chars[:, end - 3:end] = np.take(_TRIPLES, three, axis=0)
        end -= 3
    signed = np.flatnonzero(negative)
    chars[signed, width - length[signed]] = ord("-")
    column = np.uint8 if width < 256 else np.int64  # a byte compares fastest
    first = (width - length).astype(column)
    data = chars[np.arange(width, dtype=column)[None, :] >= first[:, None]]  # each row's text, row after row
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(length, out=offsets[1:])
    valid = None if ok.all() else pa.py_buffer(np.packbits(ok, bitorder="little"))
    text = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), valid, int(n - ok.sum()))
    near_half = ok & (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    big = np.isfinite(v) & ~ok
    redo = np.flatnonzero(near_half | big)
    if len(redo):
        distinct, which = np.unique(v[redo], return_inverse=True)
        exact = pa.array([number(float(x), places) for x in distinct] + [None], type=pa.string())
        pick = np.full(n, len(distinct), dtype=np.int64)
        pick[redo] = which.reshape(-1)
        text = pc.if_else(pa.array(pick < len(distinct)), exact.take(pa.array(pick)), text)
    return text


def texts(values, show: Callable[[float], str]) -> pa.Array:
    """``show(value)`` for every value, as a pyarrow string array in row order. A ``Decimals``
    format is applied in vectorised arithmetic (``decimal_texts``); any other ``show`` runs once per
    *distinct* value (days and counts have few), NaN included (``show`` is then given NaN and must
    say it in words); -0.0 counts as 0.0."""
    if isinstance(show, Decimals):
        return pc.fill_null(decimal_texts(values, show.places), "unknown")
    v = np.asarray(values, dtype=float) + 0.0
    codes, uniques = pd.factorize(v)
    words = [show(float(u)) for u in uniques]
    if (codes < 0).any():
        words.append(show(float("nan")))
        codes = np.where(codes < 0, len(uniques), codes)
    return pa.array(words, type=pa.string()).take(pa.array(codes.astype(np.int64)))


def by_code(words: Sequence[str], codes) -> pa.Array:
    """``words[code]`` per row: the per-tier (or per-cell) parts of a template."""
    return pa.array(list(words), type=pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def joined(*parts) -> pa.Array:
    """Per row, the parts one after the other; a part is a string (the same for every row) or a
    string array; a null counts as empty. At least one part must be an array."""
    return pc.binary_join_element_wise(*parts, "", null_handling="replace", null_replacement="")


def chosen(choice: np.ndarray, make: Callable[[int, np.ndarray], pa.Array]) -> pa.Array:
    """Per row, the text of the option it chose: ``make(k, rows)`` gives the text of the rows
    (positions, ascending) whose ``choice`` is k, so each option's text is built only for its rows."""
    choice = np.asarray(choice, dtype=np.int64)
    where = np.empty(len(choice), dtype=np.int64)
    pieces, start = [], 0
    for k in np.unique(choice):
        rows = np.flatnonzero(choice == k)
        pieces.append(make(int(k), rows))
        where[rows] = start + np.arange(len(rows))
        start += len(rows)
    if not pieces:
        return pa.array([], type=pa.string())
    return pa.concat_arrays([p.combine_chunks() if isinstance(p, pa.ChunkedArray) else p for p in pieces]).take(
        pa.array(where))


def subset(text: pa.Array, rows: np.ndarray) -> pa.Array:
    return text.take(pa.array(np.asarray(rows, dtype=np.int64)))


def cut_tails(labels: Sequence[str], thresholds, shown: Callable[[float], str],
              cut_names: Sequence[str] | None = None) -> list[str]:
    """Per tier of a grading by value thresholds (best first, ``codes_from_thresholds``): ``,
    below <better tier>'s cut <t> and at or above <its> cut <t>`` (the top tier only "at or
    above", the last only "below"). A cut nobody can reach (infinite) is left out."""
    thr = np.asarray(thresholds, dtype=float)
    names = list(cut_names) if cut_names is not None else [f"{labels[i]}'s cut" for i in range(len(thr))]
    tails = []
    for i in range(len(thr) + 1):
        parts = []
        if i > 0 and np.isfinite(thr[i - 1]):
            parts.append(f"below {names[i - 1]} {shown(thr[i - 1])}")
        if i < len(thr) and np.isfinite(thr[i]):
            parts.append(f"at or above {names[i]} {shown(thr[i])}")
        tails.append(", " + " and ".join(parts) if parts else "")
    return tails


def at_a_cut(values: np.ndarray, codes: np.ndarray, thresholds) -> np.ndarray:
    """Whether each value equals the cut of its own tier (the tie rule put it in the better tier)."""
    thr = np.append(np.asarray(thresholds, dtype=float), np.nan)  # the last tier has no cut of its own
    return np.asarray(values, dtype=float) == thr[np.minimum(codes, len(thr) - 1)]


def threshold_reasons(labels: Sequence[str], thresholds, codes: np.ndarray, values: np.ndarray, what: str,
                      shown: Callable[[float], str], cut_names: Sequence[str] | None = None) -> pa.Array:
    """``<tier>: <what> <value>, below <better tier>'s cut <t> and at or above <tier>'s cut <t>``
    per customer of a grading by value thresholds (``cut_tails``). A value equal to its tier's
    cut says that the tie went to the better tier (``TIE_WORDS``)."""
    v = np.asarray(values, dtype=float)
    shown_values = texts(v, shown)
    return joined(by_code([f"{label}: {what} " for label in labels], codes), shown_values,
                  by_code(cut_tails(labels, thresholds, shown, cut_names), codes),
                  by_code(["", TIE_WORDS], at_a_cut(v, codes, thresholds)),
                  by_code(["", ROUNDED_WORDS], rounded_to_the_cut_above(shown_values, v, codes, thresholds, shown)))


def rounded_to_the_cut_above(shown_values: pa.Array, values: np.ndarray, codes: np.ndarray, thresholds,
                             shown: Callable[[float], str]) -> np.ndarray:
    """Whether each value lies below the better tier's cut while it is shown as that cut's text
    (its tier is not the top one; the shown decimals round it up to the cut)."""
    thr = np.asarray(thresholds, dtype=float)
    codes = np.asarray(codes)
    above = np.concatenate([[np.nan], thr])[np.clip(codes, 0, len(thr))]  # the better tier's cut (none for the top)
    cut_text = by_code(["", *(shown(t) if np.isfinite(t) else "" for t in thr)], np.clip(codes, 0, len(thr)))
    same_text = pc.fill_null(pc.equal(shown_values, cut_text), False).to_numpy(zero_copy_only=False)
    return (np.asarray(values, dtype=float) < above) & same_text


def _days_ago(days: float) -> str:
    if days == 0:
        return "today"
    return f"{number(days, 0)} day{'' if abs(days) == 1 else 's'} ago"


def _count(value: float, noun: str) -> str:
    shown = number(value, 0) if float(value).is_integer() else number(value, 1)
    return f"{shown} {noun}{'' if value == 1 else 's'}"


DAYS_PER_MONTH = 365.25 / 12


def _days_late(days: float) -> str:
    if days == 0:
        return "pays on time"
    if days < 0.5:
        return "pays less than a day late on average"
    months = f" (about {number(days / DAYS_PER_MONTH, 0)} months)" if days >= 60 else ""
    return f"pays {number(days, 0)} day{'' if round(days) == 1 else 's'}{months} late on average"


#: a customer's value in the words a sales rep uses, per feature column (others: name and value)
_PHRASES: dict[str, Callable[[float], str]] = {
    "recency_days": lambda v: f"last order {_days_ago(v)}",
    "tenure_days": lambda v: f"first order {_days_ago(v)}",
    "frequency": lambda v: _count(v, "order"),
    "quantity_total": lambda v: _count(v, "unit"),
    "mean_days_late": _days_late,
    "late_payment_share": lambda v: "pays every invoice on time" if v == 0 else f"pays {percent(v)} of invoices late",
    "overdue_amount": lambda v: "nothing overdue" if v == 0 else f"{money(v)} overdue",
    "growth_trend": lambda v: f"growth trend {'+' if v > 0 else ''}{number(v)}",
}
#: a missing value, per feature column (credit columns are missing when no invoice is due yet)
_UNKNOWN: dict[str, str] = {"mean_days_late": "no invoice due yet", "late_payment_share": "no invoice due yet"}


def feature_phrase(column: str, value: float) -> str:
    """A customer's value of ``column`` as a sales rep says it: ``last order 35 days ago``, ``2
    orders``, ``revenue 1,200.00``, ``pays 180 days late on average``, ``pays on time``; a missing
    value in words (``no invoice due yet``, ``revenue unknown``)."""
    if not np.isfinite(value):
        return _UNKNOWN.get(column, f"{feature_name(column)} unknown")
    phrase = _PHRASES.get(column)
    if phrase:
        return phrase(value)
    return f"{feature_name(column)} {value_format(column)(value)}"


def value_format(column: str) -> Decimals:
    """How ``column``'s values are shown in a sentence: money with 2 decimals, days and counts whole,
    anything else with 2 decimals."""
    if column in MONEY_FEATURES:
        return MONEY
    return WHOLE if column.endswith("_days") or column in ("frequency", "quantity_total") else Decimals(2)


def signed_money_texts(values) -> pa.Array:
    """``signed_money`` of every value, vectorised."""
    v = np.asarray(values, dtype=float)
    shown = texts(np.abs(v), MONEY)
    sign = pc.if_else(pa.array(v > 0), "+", "-")
    return pc.if_else(pc.equal(shown, "0.00"), shown, joined(sign, shown))


def _named_values(column: str, v: np.ndarray) -> pa.Array:
    """``<plain name> <value>`` (``value_format``), ``<plain name> unknown`` when missing."""
    name = feature_name(column)
    return pc.fill_null(joined(f"{name} ", decimal_texts(v, value_format(column).places)), f"{name} unknown")


def _overdue(v: np.ndarray) -> pa.Array:
    text = pc.if_else(pa.array(v == 0), "nothing overdue", joined(decimal_texts(v, 2), " overdue"))
    return pc.fill_null(text, _UNKNOWN.get("overdue_amount", "overdue amount unknown"))


def _growth(v: np.ndarray) -> pa.Array:
    shown = decimal_texts(v, 2)
    plus = pc.if_else(pc.and_(pa.array(v > 0), pc.not_equal(shown, "0.00")), "+", "")
    return pc.fill_null(joined("growth trend ", plus, shown), "growth trend unknown")


#: columns with (nearly) as many distinct values as customers: their phrases in vectorised arithmetic
_VECTOR_PHRASES: dict[str, Callable[[np.ndarray], pa.Array]] = {"overdue_amount": _overdue, "growth_trend": _growth}


def feature_phrases(features: pd.DataFrame, column: str) -> pa.Array:
    """``feature_phrase`` of every customer's value of ``column`` (a text column: ``<name> <value>``).
    Vectorised: money and other plain ``<name> <value>`` columns in arithmetic (``decimal_texts``),
    the worded ones (days, orders, days late) once per distinct value."""
    col = features[column]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        v = col.to_numpy(dtype=float, na_value=np.nan)
        if column in _VECTOR_PHRASES:
            return _VECTOR_PHRASES[column](v)
        if column not in _PHRASES and (column in MONEY_FEATURES or not np.all(np.mod(v[np.isfinite(v)], 1) == 0)):
            return _named_values(column, v)
        return texts(v, lambda x: feature_phrase(column, x))
    codes, uniques = pd.factorize(col.astype("string"))
    words = [f"{feature_name(column)} {u}" for u in uniques] + [f"{feature_name(column)} unknown"]
    return by_code(words, np.where(codes < 0, len(uniques), codes))
