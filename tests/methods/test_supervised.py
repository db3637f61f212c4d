"""SupervisedProfitRanker: out-of-time training data, the no-leakage rule, ranking by
predicted profit, determinism, categorical inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from segment.grading import GradingSpec, MethodSpec, grade
from segment.methods.supervised import SupervisedProfitRanker
from segment.outcomes import build_features_and_outcomes
from segment.outcomes import training_frame as _training_frame
from tests.helpers import tx


def training_frame(transactions, **kw):
    """``segment.outcomes.training_frame`` with the data's own first day."""
    return _training_frame(transactions, first_day=transactions["order_ts"].min().date(), **kw)

FAST = {"max_iter": 30, "random_state": 0}


def ranker(**params) -> SupervisedProfitRanker:
    return SupervisedProfitRanker(**{**FAST, **params})


@pytest.fixture(scope="module")
def b2b_tables(b2b):
    """Graded table at 2022-12-31 (outcomes over the next 180 days) and the training
    table from the origin 2022-07-04, outcome window (2022-07-04, 2022-12-31]."""
    graded, outcomes = build_features_and_outcomes(b2b.transactions, as_of="2022-12-31", horizon_days=180,
                                                   customers=b2b.customers)
    train_f, train_y = training_frame(b2b.transactions, as_of="2022-12-31", horizon_days=180, customers=b2b.customers)
    return graded, outcomes, train_f, train_y


def test_training_frame_hand_checked():
    t = tx([
        ("a", "2024-01-05", 100.0), ("a", "2024-03-01", 40.0), ("a", "2024-03-31", 10.0), ("a", "2024-04-01", 999.0),
        ("b", "2024-02-20", 30.0), ("c", "2024-03-15", 70.0),
    ])
    f, y = training_frame(t, as_of="2024-03-31", horizon_days=60, gross_margin=1.0)
    # origin 2024-01-31: only customers seen by then; target = profit in (2024-01-31, 2024-03-31]
    assert f.attrs["as_of"] == "2024-01-31" and list(f.index) == ["a"]
    assert y.loc["a"] == 50.0  # 40 + 10; the order of 2024-04-01 is after the grading date
    assert y.attrs["outcome_window"] == ["2024-02-01", "2024-03-31"]
    with pytest.raises(ValueError, match="no earlier history"):
        training_frame(t, as_of="2024-02-01", horizon_days=60)


def test_the_grading_stage_hands_in_the_earlier_origin(b2b, b2b_tables):
    graded = b2b_tables[0]

    def training(h):
        return training_frame(b2b.transactions, as_of="2022-12-31", horizon_days=h, customers=b2b.customers)

    spec = GradingSpec({"h91": MethodSpec("supervised", {**FAST, "training_horizon_days": 91}),
                        "run": MethodSpec("supervised", FAST)}, horizon_days=180)  # None: the run's horizon
    g = grade(spec, graded, as_of="2022-12-31", training=training)
    assert g.fitted["h91"].train_origin_ == "2022-10-01" and g.fitted["h91"].train_outcome_end_ == "2022-12-31"
    assert g.fitted["run"].train_origin_ == "2022-07-04"


def test_no_leakage_training_window_must_end_by_the_grading_date(b2b_tables):
    graded, _, train_f, train_y = b2b_tables
    earlier = graded.copy()
    earlier.attrs = {**graded.attrs, "as_of": "2022-12-30"}  # a day before the training window ends
    with pytest.raises(ValueError, match="leakage"):
        ranker().set_training(train_f, train_y).fit(earlier)
    with pytest.raises(ValueError, match="leakage"):  # an explicit end overrides the attrs
        ranker().set_training(train_f, train_y, outcome_end="2023-01-15").fit(graded)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ranker().set_training(train_f, train_y).fit(graded)  # ends exactly on the grading date: fine


def test_unknown_dates_warn_that_leakage_cannot_be_checked(b2b_tables):
    graded, _, train_f, train_y = b2b_tables
    bare_y = pd.Series(train_y.to_numpy(), index=train_y.index)
    with pytest.warns(UserWarning, match="cannot check for leakage"):
        ranker().set_training(train_f, bare_y).fit(graded)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ranker().set_training(train_f, bare_y, outcome_end="2022-12-31").fit(graded)


def test_ranks_by_a_learnable_profit_signal():
    """Future profit = 2 x past profit + noise: the model's tiers follow past profit."""
    rng = np.random.default_rng(0)
    n = 2000

    def table(prefix, as_of):
        f = pd.DataFrame({"profit": rng.gamma(1.0, 100.0, n), "frequency": rng.integers(1, 10, n),
                          "tenure_days": rng.integers(30, 900, n).astype(float)},
                         index=pd.Index([f"{prefix}{i:05d}" for i in range(n)], name="customer_id"))
        f.attrs = {"as_of": as_of}
        return f

    train, graded = table("T", "2023-06-30"), table("G", "2023-12-31")
    target = 2 * train["profit"] + rng.normal(0, 10, n)
    m = ranker(max_iter=100).set_training(train, target, outcome_end="2023-12-31")
    out = m.fit(graded).assign(graded)
    pred = m.predict_profit(graded)
    assert np.corrcoef(pred, 2 * graded["profit"])[0, 1] > 0.98
    mean_profit = graded.groupby(out["tier"], observed=True)["profit"].mean()
    assert mean_profit.is_monotonic_decreasing
    top = set(graded["profit"].nlargest(int(0.2 * n)).index)
    assert len(top & set(out.index[out["tier"] == "A"])) / len(top) > 0.9
    assert out["tier"].value_counts(normalize=True)["A"] == pytest.approx(0.2, abs=0.02)


def test_same_seed_same_model_and_training_row_order_changes_nothing(b2b_tables):
    graded, _, train_f, train_y = b2b_tables
    a = ranker(max_train_rows=150).set_training(train_f, train_y).fit_assign(graded)
    shuffled = train_f.sample(frac=1.0, random_state=5)
    b = ranker(max_train_rows=150).set_training(shuffled, train_y.loc[shuffled.index]).fit_assign(graded)
    pd.testing.assert_frame_equal(a, b)
    m = ranker(max_train_rows=150).set_training(train_f, train_y)
    m.fit(graded)
    assert m.n_train_ == 150 < len(train_f)


def test_categorical_columns_are_opt_in(b2b_tables):
    graded, _, train_f, train_y = b2b_tables
    plain = ranker().set_training(train_f, train_y).fit(graded)
    assert "industry" not in plain.columns_ and "first_order_date" not in plain.columns_
    m = ranker(categorical_columns=("industry", "region")).set_training(train_f, train_y).fit(graded)
    assert m.columns_[-2:] == ["industry", "region"]
    assert m.categories_["region"] == sorted(train_f["region"].unique())
    unseen = graded.iloc[:3].assign(industry="shipbuilding")  # unseen category: treated as missing
    assert np.isfinite(m.predict_profit(unseen)).all()
    with pytest.raises(KeyError, match="no_such"):
        ranker(categorical_columns=("no_such",)).set_training(train_f, train_y).fit(graded)


def test_clear_errors(b2b_tables):
    graded, _, train_f, train_y = b2b_tables
    with pytest.raises(RuntimeError, match="earlier origin"):
        ranker().fit(graded)
    with pytest.raises(ValueError, match="same customer index"):
        ranker().set_training(train_f, train_y.iloc[1:])
    with pytest.raises(ValueError, match="missing values"):
        ranker().set_training(train_f, train_y.where(train_y.index != train_y.index[0]))
    m = ranker().set_training(train_f, train_y).fit(graded)
    with pytest.raises(KeyError, match="lacks"):
        m.predict_profit(graded.drop(columns="profit"))


def test_a_pickled_ranker_assigns_the_same_without_its_training_table():
    import pickle

    from segment.data.synthetic import generate_b2b
    from segment.features import build_features

    book = generate_b2b(300, start="2021-01-01", end="2023-12-31", random_state=3)
    m = SupervisedProfitRanker(training_horizon_days=91, random_state=0)
    m.set_training(*training_frame(book.transactions, as_of="2023-06-30", horizon_days=91, customers=book.customers,
                                   trend_window_days=91))
    f = build_features(book.transactions, as_of="2023-06-30", customers=book.customers, trend_window_days=91)
    expected = m.fit_assign(f)
    back = pickle.loads(pickle.dumps(m))
    assert "_train" in m.__dict__ and "_train" not in back.__dict__
    pd.testing.assert_frame_equal(back.assign(f), expected)
    with pytest.raises(RuntimeError, match="set_training"):
        back.fit(f)


def test_the_training_sample_is_drawn_when_the_data_are_given():
    from segment.data.synthetic import generate_b2b

    book = generate_b2b(300, start="2021-01-01", end="2023-12-31", random_state=3)
    f, y = training_frame(book.transactions, as_of="2023-03-31", horizon_days=91, customers=book.customers,
                          trend_window_days=91)
    m = SupervisedProfitRanker(max_train_rows=50, random_state=0).set_training(f, y)
    assert len(m._train[0]) == 50  # the ranker holds the sample only
    m.max_train_rows = 80
    g = f.copy()
    g.attrs = {**f.attrs, "as_of": "2023-06-30"}
    with pytest.raises(RuntimeError, match="set_training"):
        m.fit(g)


def test_prediction_in_blocks_is_the_one_matrix_prediction(b2b_tables, monkeypatch):
    """predict_profit builds the model's input a block of customers at a time (memory at
    millions of customers); the predictions are those of the whole matrix at once."""
    from segment.methods import supervised

    graded, _, train_f, train_y = b2b_tables
    m = ranker(categorical_columns=("industry",)).set_training(train_f, train_y).fit(graded)
    whole = m.model_.predict(m._design(graded))
    monkeypatch.setattr(supervised, "PREDICT_BLOCK_ROWS", 7)
    assert len(graded) > 7 * 3 and len(graded) % 7
    np.testing.assert_array_equal(m.predict_profit(graded).to_numpy(), whole)
    assert len(m.predict_profit(graded.iloc[:0])) == 0


def test_the_binned_prediction_is_the_models_to_the_bit(b2b_tables):
    """input_effects predicts its what-ifs through the trees' binned walk (_predict_design): the same
    numbers as model_.predict to the last bit, also for values exactly at a split's threshold, just
    beside it, missing or infinite; with a categorical input it is model_.predict itself."""
    graded, _, train_f, train_y = b2b_tables
    m = ranker().set_training(train_f, train_y).fit(graded)
    x = m._design(graded)
    rng = np.random.default_rng(0)
    rows = [x]
    for (tree,) in m.model_._predictors[:10]:  # rows moved onto, and just beside, split thresholds
        for node in tree.nodes[~tree.nodes["is_leaf"].astype(bool)][:5]:
            for value in (node["num_threshold"], np.nextafter(node["num_threshold"], np.inf), np.nan, np.inf, -np.inf):
                moved = x[rng.choice(len(x), 20)].copy()
                moved[:, node["feature_idx"]] = value
                rows.append(moved)
    x = np.vstack(rows)
    assert np.array_equal(m._predict_design(x), m.model_.predict(x))
    c = ranker(categorical_columns=("industry",)).set_training(train_f, train_y).fit(graded)
    xc = c._design(graded)
    assert np.array_equal(c._predict_design(xc), c.model_.predict(xc))


def test_predictions_have_the_same_bits_on_one_thread_and_on_every_core():
    """predict_profit lifts the caller's thread limit (each customer is predicted alone): on a
    table above the threshold the predictions equal, to the bit, those made on one thread."""
    import os

    from threadpoolctl import threadpool_info

    from segment.process import every_core, thread_limits

    rng = np.random.default_rng(1)
    n = 60_000

    def table(prefix, as_of):
        f = pd.DataFrame({"profit": rng.gamma(1.0, 100.0, n), "frequency": rng.integers(1, 10, n).astype(float),
                          "tenure_days": rng.integers(30, 900, n).astype(float)},
                         index=pd.Index([f"{prefix}{i:05d}" for i in range(n)], name="customer_id"))
        f.attrs = {"as_of": as_of}
        return f

    train, graded = table("T", "2023-06-30"), table("G", "2023-12-31")
    m = ranker(max_iter=20).set_training(train, 2 * train["profit"] + rng.normal(0, 10, n), outcome_end="2023-12-31")
    m.fit(graded)
    with thread_limits(1):
        with every_core(n):
            lifted = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]
        with every_core(100):
            kept = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]
        pred = m.predict_profit(graded).to_numpy()
        one = np.concatenate([m.model_.predict(m._design(graded.iloc[i:i + 1000])) for i in range(0, n, 1000)])
    assert lifted and set(lifted) == {os.cpu_count()} and kept == [1] * len(kept)
    assert np.array_equal(pred, one)  # one thread (blocks of 1,000 rows, below the threshold) vs every core
