"""segment.explain: every method's reasons side by side (the CRM export's ``reason_<method>``) and
the examples per tier of the analyst report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.explain import EXAMPLE_COLUMNS, examples_per_tier, explanations, spaced_ranks, tier_order
from segment.methods.lifecycle import LifecycleStatus
from segment.methods.pareto import ParetoABC
from tests.methods.conftest import make_feature_table


def hand_assignment(tiers: list[str], scores: list[float], ids: list[str], labels=("A", "B", "C")) -> pd.DataFrame:
    return pd.DataFrame({"tier": pd.Categorical(tiers, categories=list(labels), ordered=True),
                         "score": np.asarray(scores, dtype=float)}, index=pd.Index(ids, name="customer_id"))


@pytest.fixture(scope="module")
def graded():
    f = make_feature_table(120, random_state=9)
    methods = {"abc_revenue": ParetoABC(basis="revenue").fit(f), "lifecycle": LifecycleStatus().fit(f)}
    return f, methods, {name: m.assign(f) for name, m in methods.items()}


def test_one_reason_column_per_method_in_order_indexed_by_customer(graded):
    f, methods, assignments = graded
    out = explanations(methods, f, assignments)
    assert list(out.columns) == ["reason_abc_revenue", "reason_lifecycle"]
    assert out.index.equals(f.index) and out.index.name == "customer_id"
    pd.testing.assert_series_equal(out["reason_abc_revenue"], methods["abc_revenue"].explain(f), check_names=False)
    # without an assignment the method assigns first: the same reasons
    pd.testing.assert_frame_equal(explanations(methods, f, {}), out)


def test_tier_order_is_tier_then_score_then_customer_id():
    a = hand_assignment(["B", "A", "B", "A", "B"], [1.0, 5.0, 3.0, 5.0, 3.0], ["e", "d", "c", "b", "a"])
    order = tier_order(a["tier"].cat.codes.to_numpy(), a["score"].to_numpy(), a.index.to_numpy(dtype=str))
    assert list(a.index[order]) == ["b", "d", "a", "c", "e"]


def reference_tier_order(codes, score, ids):
    """The rule by numpy and pandas: lexsort by tier, minus the score (NaN as -inf) and the ids' sorted ranks."""
    id_rank = pd.factorize(np.asarray(ids, dtype=object), sort=True)[0]
    return np.lexsort((id_rank, -np.where(np.isnan(score), -np.inf, score), codes))


@pytest.mark.parametrize("seed", range(20))
def test_tier_order_is_the_rule_on_ties_nan_infinities_signed_zeros_and_any_text(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    codes = rng.integers(0, 4, n)
    score = rng.choice([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 1e-300, 7.25], n)
    alphabet = np.array(list("aAzZ09_- ") + ["é", "ß", "中", "文", "\U0001F600", "\u00e9", "e\u0301"])
    ids = np.unique(["".join(rng.choice(alphabet, rng.integers(1, 5))) for _ in range(2 * n)])[:n]
    ids = rng.permutation(ids)
    n = len(ids)
    codes, score = codes[:n], score[:n]
    expected = reference_tier_order(codes, score, ids)
    np.testing.assert_array_equal(tier_order(codes, score, ids), expected)
    np.testing.assert_array_equal(tier_order(codes, score, pd.Index(ids).array), expected)
    surrogate = ids.astype(object)
    surrogate[0] = "\ud800" + surrogate[0]  # not UTF-8: ranked in Python instead
    np.testing.assert_array_equal(tier_order(codes, score, surrogate), reference_tier_order(codes, score, surrogate))


@pytest.mark.parametrize("n, k, expected", [(1, 3, [0]), (2, 3, [0, 1]), (3, 3, [0, 1, 2]), (4, 3, [0, 2, 3]),
                                            (10, 3, [0, 5, 9]), (10, 1, [0]), (10, 5, [0, 2, 5, 7, 9])])
def test_spaced_ranks(n, k, expected):
    assert spaced_ranks(n, k).tolist() == expected


def test_examples_are_each_tiers_top_middle_and_bottom_customer():
    ids = [f"c{i:02d}" for i in range(9)]
    tiers = ["A", "A", "A", "A", "A", "B", "B", "A", "A"]
    scores = [9.0, 8.0, 7.0, 7.0, 6.0, 2.0, 1.0, 5.0, 4.0]  # A: c00 > c01 > c02 = c03 > c04 > c07 > c08
    a = hand_assignment(tiers, scores, ids)
    reasons = pd.DataFrame({"reason_m": [f"why {i}" for i in ids]}, index=pd.Index(ids, name="customer_id"))
    ex = examples_per_tier(reasons.iloc[::-1], {"m": a}, "m")  # rows of the reasons in another order
    assert list(ex.columns) == list(EXAMPLE_COLUMNS)
    assert ex["customer_id"].tolist() == ["c00", "c03", "c08", "c05", "c06"]  # A: ranks 1, 4, 7; B: 1, 2; C empty
    assert ex["rank_in_tier"].tolist() == [1, 4, 7, 1, 2]
    assert ex["customers_in_tier"].tolist() == [7, 7, 7, 2, 2]
    assert ex["reason"].tolist() == ["why c00", "why c03", "why c08", "why c05", "why c06"]
    assert list(ex["tier"].cat.categories) == ["A", "B", "C"] and ex["tier"].astype(str).tolist() == list("AAABB")
    # deterministic: the same whatever the row order of the assignment
    shuffled = a.sample(frac=1.0, random_state=4)
    pd.testing.assert_frame_equal(examples_per_tier(reasons, {"m": shuffled}, "m"), ex)


def test_examples_without_a_score_go_by_customer_id():
    ids = ["d", "b", "a", "c", "e"]
    a = hand_assignment(["A"] * 5, [np.nan] * 5, ids, labels=("A",))
    reasons = pd.DataFrame({"reason_km": ids}, index=pd.Index(ids, name="customer_id"))
    assert examples_per_tier(reasons, {"km": a}, "km")["customer_id"].tolist() == ["a", "c", "e"]


def test_examples_on_real_reasons_and_the_errors(graded):
    f, methods, assignments = graded
    out = explanations(methods, f, assignments)
    ex = examples_per_tier(out, assignments, "abc_revenue", per_tier=2)
    for _, row in ex.iterrows():
        assert row["reason"].startswith(f"{row['tier']}:")
        assert assignments["abc_revenue"].loc[row["customer_id"], "tier"] == row["tier"]
    with pytest.raises(KeyError, match="no reasons for method 'rfm'"):
        examples_per_tier(out, assignments, "rfm")
    with pytest.raises(KeyError, match="no assignment"):
        examples_per_tier(out, {}, "lifecycle")
    with pytest.raises(ValueError, match="per_tier"):
        examples_per_tier(out, assignments, "lifecycle", per_tier=0)
    with pytest.raises(ValueError, match="no reason for customer"):
        examples_per_tier(out.iloc[:10], assignments, "lifecycle")


def test_method_examples_explain_only_the_chosen_customers_and_match_the_full_table():
    from segment.explain import method_examples

    f = make_feature_table(60)
    m = ParetoABC().fit(f)
    assigned = m.assign(f)
    full = examples_per_tier(explanations({"abc_revenue": m}, f, {"abc_revenue": assigned}),
                             {"abc_revenue": assigned}, "abc_revenue")
    pd.testing.assert_frame_equal(method_examples("abc_revenue", m, f, assigned), full)
