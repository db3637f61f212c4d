"""segment.governance.movement: direction and reason per customer on six hand-made customers,
the movement matrix, and a large call.

The hand computation. Percentile rank = average rank / number of customers (5 in each run);
recency is ranked on −days (more recent = higher).

            previous (tier, days, orders, revenue, profit)   current
    c1      B  30  3    120   30       A    5  4  6000  150     up
    c2      A  10  5   5000  100       B  210  5  4500   −5     down
    c3      C 200  1     20    2       C  200  1    20    2     same, nothing changed
    c4      B  60  2     80   10       B   60  3    92   10     same, orders and revenue changed
    c5      C 300  1     10    1       —                         lost
    c6      —                           C    1  1    15    0     new

    ranks   recency prev c5 .2 c3 .4 c4 .6 c1 .8 c2 1   cur c2 .2 c3 .4 c4 .6 c1 .8 c6 1
            orders  prev c3,c5 .3 c4 .6 c1 .8 c2 1      cur c3,c6 .3 c4 .6 c1 .8 c2 1
            revenue prev c5 .2 c3 .4 c4 .6 c1 .8 c2 1   cur c6 .2 c3 .4 c4 .6 c2 .8 c1 1
            profit  prev c5 .2 c3 .4 c4 .6 c1 .8 c2 1   cur c2 .2 c6 .4 c3 .6 c4 .8 c1 1

    c1: recency 0 and orders 0 (values changed), revenue +.2, profit +.2: a tie, so revenue
        (earlier in INDICATORS) first; 6000/120 − 1 = +4,900 % (profit gets no per cent).
    c2: recency −.8, profit −.8 (a tie: recency first), revenue −.2 (third, not named).
    c3: profit rank .4 → .6 but its value did not change: never named; nothing changed.
    c4: orders 0 and revenue 0 (a tie at zero: orders first); 92/80 − 1 = +15 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segment.governance.ledger import GovernanceError
from segment.governance.movement import LOST_COLUMN, NEW_ROW, movement, movement_matrix
from tests.governance.conftest import TIERS, published

PREVIOUS = published([
    ("c1", "B", False, 30, 3, 120, 30),
    ("c2", "A", False, 10, 5, 5000, 100),
    ("c3", "C", False, 200, 1, 20, 2),
    ("c4", "B", True, 60, 2, 80, 10),
    ("c5", "C", False, 300, 1, 10, 1),
])
CURRENT = published([
    ("c1", "A", False, 5, 4, 6000, 150),
    ("c2", "B", False, 210, 5, 4500, -5),
    ("c3", "C", False, 200, 1, 20, 2),
    ("c4", "B", False, 60, 3, 92, 10),
    ("c6", "C", True, 1, 1, 15, 0),
])
EXPECTED = [
    ("c1", "B", "A", "up", "revenue to date 120.00 → 6,000.00 (+4,900 %); profit to date 30.00 → 150.00"),
    ("c2", "A", "B", "down", "last order 10 → 210 days ago; profit to date 100.00 → −5.00"),
    ("c3", "C", "C", "same", "no change in the indicators"),
    ("c4", "B", "B", "same", "orders 2 → 3; revenue to date 80.00 → 92.00 (+15 %)"),
    ("c5", "C", None, "lost", "not in this run's grading"),
    ("c6", None, "C", "new", "first graded this run"),
]


def rows(moves: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in moves.itertuples(index=False)]


def test_movement_and_reasons_on_six_customers():
    moves = movement(PREVIOUS, CURRENT, TIERS)
    assert list(moves.columns) == ["customer_id", "previous_tier", "tier", "movement", "movement_reason"]
    assert rows(moves) == EXPECTED


def test_input_order_does_not_matter():
    moves = movement(PREVIOUS.iloc[::-1], CURRENT.sample(frac=1, random_state=1), TIERS)
    assert rows(moves) == EXPECTED


def test_copies_of_customers_get_the_same_rows_as_the_originals():
    # reasons are built once per distinct combination of values: copies (other ids, same values) share them
    def copies(table, k):
        return pd.concat([table.assign(customer_id=table["customer_id"] + f"-{i}") for i in range(k)],
                         ignore_index=True)

    moves = movement(copies(PREVIOUS, 3), copies(CURRENT, 3), TIERS)
    assert len(moves) == 18
    for r in rows(moves):
        name, copy = r[0].split("-")
        assert r[1:] == next(e for e in EXPECTED if e[0] == name)[1:]


def test_plain_names_can_be_overridden():
    moves = movement(PREVIOUS, CURRENT, TIERS, names={"monetary_total": "revenue in the last 12 months"})
    assert moves["movement_reason"].iloc[0].startswith("revenue in the last 12 months 120.00 → 6,000.00")


def test_only_indicators_in_both_tables_are_used():
    moves = movement(PREVIOUS.drop(columns=["monetary_total", "profit"]), CURRENT, TIERS)
    assert moves["movement_reason"].tolist()[:4] == [
        "last order 30 → 5 days ago; orders 3 → 4", "last order 10 → 210 days ago", "no change in the indicators",
        "orders 2 → 3"]
    bare = movement(PREVIOUS[["customer_id", "tier", "provisional"]], CURRENT, TIERS)
    assert bare["movement_reason"].tolist()[:4] == ["no change in the indicators"] * 4


def test_a_missing_value_is_never_named_and_minus_zero_is_zero():
    prev = published([("a", "A", False, 10, 1, np.nan, -0.001), ("b", "B", False, 10, 1, 5, 1)])
    cur = published([("a", "A", False, 10, 1, 50, 3.0), ("b", "B", False, 10, 1, 5, 1)])
    moves = movement(prev, cur, TIERS)
    assert moves["movement_reason"].tolist() == ["profit to date 0.00 → 3.00", "no change in the indicators"]


def test_a_tier_not_in_the_order_is_an_error_naming_it():
    with pytest.raises(GovernanceError, match="'D' is not one of the tiers A, B, C"):
        movement(PREVIOUS, CURRENT.assign(tier=["A", "B", "D", "B", "C"]), TIERS)
    with pytest.raises(GovernanceError, match="previous grading"):
        movement(PREVIOUS.assign(tier="gold"), CURRENT, TIERS)


def test_duplicate_customers_are_refused():
    with pytest.raises(ValueError, match="'c1' more than once"):
        movement(pd.concat([PREVIOUS, PREVIOUS.iloc[:1]]), CURRENT, TIERS)


def test_movement_matrix_counts_and_money():
    moves = movement(PREVIOUS, CURRENT, TIERS)
    counts = movement_matrix(moves, TIERS)
    assert counts.index.tolist() == ["A", "B", "C", NEW_ROW]
    assert counts.columns.tolist() == ["A", "B", "C", LOST_COLUMN]
    assert counts.to_numpy().tolist() == [[0, 1, 0, 0],   # A: c2 to B
                                          [1, 1, 0, 0],   # B: c1 to A, c4 stays
                                          [0, 0, 1, 1],   # C: c3 stays, c5 lost
                                          [0, 0, 1, 0]]   # new: c6 to C
    profit = CURRENT.set_index("customer_id")["profit"]
    both = movement_matrix(moves, TIERS, value=profit)
    assert both["customers"].equals(counts)
    assert both["value"].to_numpy().tolist() == [[0, -5, 0, 0], [150, 10, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]]


def test_movement_matrix_checks_its_input():
    moves = movement(PREVIOUS, CURRENT, TIERS)
    with pytest.raises(ValueError, match="reserved"):
        movement_matrix(moves.assign(tier=moves["tier"].cat.rename_categories({"C": NEW_ROW})), ["A", "B", NEW_ROW])
    with pytest.raises(ValueError, match="numbers"):
        movement_matrix(moves, TIERS, value=pd.Series(["x"], index=["c1"]))


@pytest.mark.slow
def test_two_million_customers():
    n = 2_000_000

    def grading(ids, seed):
        r = np.random.default_rng(seed)
        k = len(ids)
        return pd.DataFrame({"customer_id": ids, "tier": r.choice(TIERS, k), "provisional": r.random(k) < 0.1,
                             "recency_days": r.integers(0, 500, k).astype(float),
                             "frequency": pd.array(r.integers(1, 30, k), dtype="Int64"),
                             "monetary_total": np.round(r.gamma(2, 50, k), 2),
                             "profit": np.round(r.normal(10, 30, k), 2)})

    ids = pd.Series([f"{i:08d}" for i in range(n + 20_000)], dtype="str")
    moves = movement(grading(ids[:n], 1), grading(ids[20_000:], 2), TIERS)
    assert len(moves) == n + 20_000 and moves["customer_id"].is_monotonic_increasing
    counts = moves["movement"].value_counts()
    assert counts["new"] == counts["lost"] == 20_000
    assert moves["movement_reason"].notna().all()
    matrix = movement_matrix(moves, TIERS)
    assert matrix.to_numpy().sum() == n + 20_000
