"""ParetoABC: the cut rule, loss-makers, ties, learned thresholds, degenerate input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.methods.pareto import ParetoABC


def table(values, ids=None, column="monetary_total") -> pd.DataFrame:
    ids = ids or [f"c{i:03d}" for i in range(len(values))]
    return pd.DataFrame(
        {column: np.asarray(values, dtype=float), "tenure_days": 400.0},
        index=pd.Index(ids, name="customer_id"),
    )


def tiers(out: pd.DataFrame) -> list[str]:
    return out["tier"].astype(str).tolist()


def test_hand_example_cumulative_share_before_the_customer():
    # shares above each customer: 0, .50, .80, .90, .95, .98
    f = table([50, 30, 10, 5, 3, 2])
    m = ParetoABC()
    assert tiers(m.fit_assign(f)) == ["A", "A", "B", "B", "C", "C"]
    np.testing.assert_array_equal(m.thresholds_, [30.0, 5.0])
    assert m.tier_value_share_ == pytest.approx({"A": 0.8, "B": 0.15, "C": 0.05})
    assert m.total_ == 100.0


@pytest.mark.parametrize("noise", [0.0, 1e-7])
def test_18_customers_making_exactly_80_percent_are_exactly_a(noise):
    rng = np.random.default_rng(0)
    top = rng.uniform(1, 2, 18)
    top = top / top.sum() * 80e6 * (1 + noise)  # float sums land a hair off 80 %
    rest = rng.uniform(1, 2, 82)
    rest = rest / rest.sum() * 20e6
    assert rest.max() < top.min()
    ids = [f"c{i:03d}" for i in rng.permutation(100)]
    f = table(np.concatenate([top, rest]), ids)
    out = ParetoABC().fit_assign(f)
    assert set(out.index[out["tier"] == "A"]) == set(ids[:18])


def test_loss_makers_are_their_own_group_and_never_count_toward_the_total():
    f = table([60, 30, 10, 0, -50, -5], column="profit")
    m = ParetoABC(basis="profit")
    assert tiers(m.fit_assign(f)) == ["A", "A", "B", "C", "loss", "loss"]
    assert m.total_ == 100.0  # the losses do not shrink the total the shares are taken of
    assert m.n_loss_ == 2 and m.loss_total_ == -55.0


def test_equal_values_at_a_cut_all_go_to_the_better_class():
    f = table([40, 20, 20, 20])  # the 4th has exactly 80 % above it, but ties the A customers
    assert tiers(ParetoABC().fit_assign(f)) == ["A", "A", "A", "A"]


def test_top20_share_is_the_8020_check():
    f = table(np.arange(1, 11))  # top 2 of 10 customers: 10 + 9 of 55
    m = ParetoABC().fit(f)
    assert m.top20_share_ == pytest.approx(19 / 55)


def test_assign_applies_last_quarters_value_thresholds():
    m = ParetoABC().fit(table([50, 30, 10, 5, 3, 2]))
    new = table([1000, 30, 29.99, 5, 4.99, 0, -1], ids=list("abcdefg"))
    assert tiers(m.assign(new)) == ["A", "A", "B", "B", "C", "C", "loss"]


def test_revenue_and_profit_basis():
    f = table([10, 40]).assign(profit=[5.0, -1.0])  # 40 is 80 % of the revenue
    assert tiers(ParetoABC(basis="revenue").fit_assign(f)) == ["B", "A"]
    assert tiers(ParetoABC(basis="profit").fit_assign(f)) == ["A", "loss"]
    with pytest.raises(ValueError, match="basis"):
        ParetoABC(basis="margin").fit(f)


def test_parameter_and_data_errors():
    f = table([3, 2, 1])
    with pytest.raises(ValueError, match="increasing"):
        ParetoABC(cut_shares=(0.95, 0.8)).fit(f)
    with pytest.raises(ValueError, match="tier_labels"):
        ParetoABC(tier_labels=("A", "B", "C")).fit(f)
    with pytest.raises(ValueError, match="missing"):
        ParetoABC().fit(table([3.0, np.nan]))
    with pytest.raises(KeyError, match="profit"):
        ParetoABC(basis="profit").fit(f)


def test_custom_cuts_and_labels():
    m = ParetoABC(cut_shares=(0.5, 0.8, 0.95), tier_labels=("A", "B", "C", "D", "loss-making"))
    out = m.fit_assign(table([50, 30, 10, 5, 3, 2, -1]))
    assert tiers(out) == ["A", "B", "C", "C", "D", "D", "loss-making"]


def test_degenerate_inputs():
    assert tiers(ParetoABC().fit_assign(table([7.0]))) == ["A"]
    with pytest.warns(RuntimeWarning, match="no customer has a positive"):
        assert tiers(ParetoABC().fit_assign(table([-7.0]))) == ["loss"]
    assert tiers(ParetoABC().fit_assign(table([4.0] * 5))) == ["A"] * 5
    with pytest.warns(RuntimeWarning, match="no customer has a positive"):
        out = ParetoABC().fit_assign(table([0.0, 0.0, -1.0]))
    assert tiers(out) == ["C", "C", "loss"]


def test_learned_rules_state_the_fitted_thresholds():
    f = table([5000, 1234.56, 400, 200, 100, -30])
    m = ParetoABC().fit(f)
    assert m.thresholds_.tolist() == [1234.56, 400.0]
    a, b, c, loss, check = m.learned_rules()
    assert a == ("A: revenue ≥ 1,234.56 (the customers holding the first 80 % of the positive revenue total, "
                 "6,934.56)")
    assert b.startswith("B: revenue ≥ 400.00 (") and c == "C: revenue of 0.00 or more, below 400.00"
    assert loss == "loss: revenue below 0.00 (1 customers, 30.00 lost in total)"
    assert check == f"80/20 check: the top 20 % of customers hold {100 * 6234.56 / 6934.56:.1f} % of the positive total"
    with pytest.warns(RuntimeWarning):
        nobody = ParetoABC().fit(table([0.0, -1.0]))
    assert nobody.learned_rules()[0] == "nobody is graded A or B: no customer has a positive revenue"
