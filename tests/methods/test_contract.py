"""One contract over every registered grading method (registry.METHODS), plus the
shared rules of ``segment.methods.base``.

A method whose module does not exist yet is skipped with its reason (conftest); every
other failure — an import error included — fails.
"""

from __future__ import annotations

import copy
import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from segment.methods.base import codes_from_thresholds, thresholds_from_shares
from segment.methods.registry import describe
from tests.methods.conftest import ALL_METHODS, DEGENERATE_PARAMS, degenerate_errors, make_feature_table

# documented and tested in test_rfm: realistic frequencies tie, and RFM says so
pytestmark = pytest.mark.filterwarnings("ignore::segment.methods.rfm.ScoreRangeWarning")


def check_output(out: pd.DataFrame, features: pd.DataFrame, method) -> None:
    assert out.index.equals(features.index) and out.index.name == features.index.name
    assert list(out.columns) == ["tier", "score"]  # the provisional flag is the grading stage's (test_grading)
    assert isinstance(out["tier"].dtype, pd.CategoricalDtype) and out["tier"].cat.ordered
    assert list(out["tier"].cat.categories) == list(method.labels)
    assert out["tier"].notna().all()
    assert out["score"].dtype == float


def degenerate(make, name: str, case: str, table: pd.DataFrame):
    """fit_assign on degenerate input: a well-formed result, or the documented clear error."""
    m = make(name, **DEGENERATE_PARAMS.get(name, {}))
    if case in degenerate_errors(name):
        exc, match = degenerate_errors(name)[case]
        with pytest.raises(exc, match=match):
            m.fit(table)
        return None
    out = m.fit_assign(table)
    check_output(out, table, m)
    return out


@pytest.mark.parametrize("name", ALL_METHODS)
def test_output_aligned_ordered_complete_and_input_untouched(name, make, features):
    m = make(name)
    before, attrs = features.copy(), copy.deepcopy(features.attrs)
    params = copy.deepcopy(m.get_params())
    out = m.fit_assign(features)
    check_output(out, features, m)
    pd.testing.assert_frame_equal(features, before)  # input not mutated
    assert features.attrs == attrs
    assert m.get_params() == params  # hyperparameters stored unchanged by fit
    fields = {f.name for f in dataclasses.fields(m)}
    learned = [k for k in vars(m) if k not in fields]
    assert learned and all(k.endswith("_") or k.startswith("_") for k in learned), learned


@pytest.mark.parametrize("name", ALL_METHODS)
def test_deterministic_and_refit_stable(name, make, features):
    a = make(name).fit_assign(features)
    b = make(name).fit_assign(features)
    pd.testing.assert_frame_equal(a, b)  # same parameters (and random_state): same result
    m = make(name)
    first = m.fit(features).assign(features)
    pd.testing.assert_frame_equal(first, m.fit(features).assign(features))
    clone = make(name, **m.get_params())  # the parameters are everything needed to reproduce it
    # ... and fit_assign (which may keep the fitted table's assignment from the fit) gives assign's bits
    pd.testing.assert_frame_equal(first, clone.fit_assign(features), check_exact=True)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_assign_on_another_table_with_different_customers(name, make, features, other_features):
    m = make(name).fit(features)
    out = m.assign(other_features)
    check_output(out, other_features, m)
    # a customer gets the same tier whatever else is in the table
    known = features.iloc[::7]
    mixed = pd.concat([other_features, known])
    mixed.attrs = dict(features.attrs)
    both = m.assign(mixed)
    check_output(both, mixed, m)
    pd.testing.assert_frame_equal(both.loc[known.index], m.assign(features).loc[known.index])
    pd.testing.assert_frame_equal(both.loc[other_features.index], out)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_row_order_changes_nothing(name, make, features):
    shuffled = features.sample(frac=1.0, random_state=3)
    a = make(name).fit_assign(features)
    b = make(name).fit_assign(shuffled).loc[features.index]
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_assign_before_fit_is_an_error(name, make, features):
    with pytest.raises(Exception, match="before fit|after fit"):
        make(name).assign(features)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_empty_table(name, make, features):
    """Fitting on nothing is a clear error; assigning nothing is an empty, typed table."""
    empty = features.iloc[:0]
    with pytest.raises(ValueError, match="at least one customer"):
        make(name).fit(empty)
    m = make(name).fit(features)
    check_output(m.assign(empty), empty, m)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_duplicate_customer_ids_are_an_error(name, make, features):
    twice = pd.concat([features.iloc[:5], features.iloc[:5]])
    twice.attrs = dict(features.attrs)
    with pytest.raises(ValueError, match="duplicates"):
        make(name).fit(twice)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_one_customer(name, make, features):
    repeat_buyer = features.index[features["frequency"].to_numpy() > 2][0]
    degenerate(make, name, "one_customer", features.loc[[repeat_buyer]])


@pytest.mark.parametrize("name", ALL_METHODS)
def test_all_equal_values_share_one_tier(name, make, features):
    same = features.copy()
    template = features.loc[features["frequency"].idxmax()]  # a repeat buyer, so BG/NBD can fit
    for col in [*same.select_dtypes("number").columns, "first_order_date", "last_order_date"]:
        same[col] = template[col]
    out = degenerate(make, name, "all_equal", same)
    if out is not None:
        assert out["tier"].nunique() == 1  # ties never split equal customers
        assert out["score"].nunique(dropna=False) == 1


@pytest.mark.parametrize("name", ALL_METHODS)
def test_customers_with_identical_features_get_identical_grades(name, make, features):
    """Ties: copy 100 customers' values onto 100 others; each pair must be graded alike."""
    tied = features.copy()
    src, dst = features.index[:100], features.index[100:200]
    for col in tied.columns:
        tied.loc[dst, col] = features.loc[src, col].to_numpy()
    pd.testing.assert_series_equal(tied.dtypes, features.dtypes)
    m = make(name)
    out = m.fit_assign(tied)
    check_output(out, tied, m)
    np.testing.assert_array_equal(out.loc[src, "tier"].to_numpy(), out.loc[dst, "tier"].to_numpy())
    np.testing.assert_array_equal(out.loc[src, "score"].to_numpy(), out.loc[dst, "score"].to_numpy())


NOT_PLAIN_WORDS = re.compile(r"\w*Params\(|array\(|\{|\bnan\b|\binf\b|\bNone\b|np\.", re.IGNORECASE)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_learned_rules_are_plain_sentences(name, make, features):
    m = make(name).fit(features)
    rules = m.learned_rules()
    assert isinstance(rules, list) and rules and all(isinstance(r, str) and r.strip() for r in rules), rules
    assert not [r for r in rules if NOT_PLAIN_WORDS.search(r)], rules  # no repr, no nan: words
    assert m.learned_rules() == rules


# ------------------------------------------------------------ shared rules (base)
def rank_order(values: pd.Series) -> np.ndarray:
    """The package-wide tie rule (``segment.methods.base``): positions that sort ``values``
    descending, ties broken by index (customer_id) ascending, independent of row order."""
    return np.lexsort((values.index.to_numpy(dtype=str), -values.to_numpy(dtype=float)))


def test_rank_order_is_value_descending_then_customer_id():
    v = pd.Series([5.0, 7.0, 5.0, 7.0, 1.0], index=pd.Index(["d", "c", "a", "b", "e"], name="customer_id"))
    assert list(v.index[rank_order(v)]) == ["b", "c", "a", "d", "e"]
    shuffled = v.iloc[[4, 2, 0, 3, 1]]
    assert list(shuffled.index[rank_order(shuffled)]) == ["b", "c", "a", "d", "e"]


def test_thresholds_from_shares_counts_exactly_and_ties_go_up():
    v = np.arange(10, 0, -1, dtype=float)  # 10..1
    # 0.7 * 10 is 7.000000000000001 in floating point: still 7 customers, not 8
    np.testing.assert_array_equal(thresholds_from_shares(v, (0.3, 0.7)), [8.0, 4.0])
    codes = codes_from_thresholds(v, thresholds_from_shares(v, (0.3, 0.7)))
    assert np.bincount(codes).tolist() == [3, 4, 3]
    tied = np.array([9.0, 8.0, 8.0, 8.0, 1.0])
    codes = codes_from_thresholds(tied, thresholds_from_shares(tied, (0.4,)))
    assert codes.tolist() == [0, 0, 0, 0, 1]  # the tie at the 40 % cut goes up, all three
    # the threshold is the value of the last customer inside the cut in the tie rule's order
    ranked = pd.Series(tied, index=pd.Index(["e", "d", "c", "b", "a"], name="customer_id"))
    assert thresholds_from_shares(tied, (0.4,)).tolist() == [ranked.iloc[rank_order(ranked)].iloc[1]]
    with pytest.raises(ValueError, match="missing"):
        thresholds_from_shares(np.array([1.0, np.nan]), (0.5,))
    with pytest.raises(ValueError, match="increasing"):
        thresholds_from_shares(v, (0.5, 0.3))


def test_make_feature_table_has_the_architecture_columns():
    f = make_feature_table(50, random_state=1)
    expected = {"first_order_date", "last_order_date", "recency_days", "tenure_days", "frequency",
                "monetary_total", "avg_order_value", "quantity_total", "profit", "recent_revenue",
                "prior_revenue", "growth_trend", "mean_days_late", "late_payment_share", "overdue_amount"}
    assert expected <= set(f.columns)
    assert f.index.name == "customer_id" and f.index.is_unique
    assert (f["recency_days"] <= f["tenure_days"]).all() and (f["frequency"] >= 1).all()
    assert f["growth_trend"].between(-1, 1).all()
    assert (f["recent_revenue"] + f["prior_revenue"] <= f["monetary_total"] + 1e-6).all()
    pd.testing.assert_frame_equal(f, make_feature_table(50, random_state=1))


#: what a reason must never show: a Python repr, an undefined number, a missing value
NOT_A_REASON = re.compile(r"\w*Params\(|array\(|\{|\bnan\b|\binf\b|\bNone\b|\bNaN\b|np\.|<NA>|dtype", re.IGNORECASE)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_every_method_explains_every_customer_in_plain_words(name, make, features, other_features):
    m = make(name).fit(features)
    assigned = m.assign(features)
    reasons = m.explain(features, assigned)
    assert isinstance(reasons, pd.Series) and reasons.name == "reason"
    assert reasons.index.equals(features.index)
    assert pd.api.types.is_string_dtype(reasons.dtype) or reasons.dtype == object
    assert reasons.map(lambda r: isinstance(r, str) and bool(r.strip())).all()
    bad = reasons[reasons.str.contains(NOT_A_REASON)]
    assert bad.empty, bad.head().tolist()
    assert describe(name).explains, f"{name} does not say how it explains (class attribute explains)"
    # recomputed when not given, the same; another date's table too; rows in another order line up
    pd.testing.assert_series_equal(m.explain(features), reasons)
    assert m.explain(other_features).index.equals(other_features.index)
    shuffled = assigned.sample(frac=1.0, random_state=1)
    pd.testing.assert_series_equal(m.explain(features, shuffled), reasons)
    # each reason starts with the customer's tier
    tiers = assigned["tier"].astype(str)
    assert all(r.startswith(f"{t}:") or r.startswith(f"{t} (") for r, t in zip(reasons, tiers))
    assert len(m.explain(features.iloc[:0])) == 0


@pytest.mark.parametrize("name", ALL_METHODS)
def test_explain_before_fit_and_on_a_foreign_assignment_are_errors(name, make, features):
    from segment.methods.base import NotFittedError

    with pytest.raises(NotFittedError, match="before fit"):
        make(name).explain(features)
    m = make(name).fit(features)
    with pytest.raises(ValueError, match="same customers"):
        m.explain(features, m.assign(features).iloc[:-1])
