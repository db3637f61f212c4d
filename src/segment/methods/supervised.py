"""Supervised benchmark: a gradient-boosting model of future profit, trained out of time.

Design (no leakage): the model learns from an *earlier origin*. With T the as-of date
of the table being graded and h = ``training_horizon_days`` (default: the run's
horizon), the training rows are the features at T − h and the target is the profit each
customer made in (T − h, T]. The training outcome window ends on the grading date, so
nothing after T is ever read. ``fit(features)`` checks this: the training outcome window
must end on or before ``features.attrs["as_of"]`` (ValueError otherwise; a warning when
either date is unknown, e.g. hand-built tables without ``attrs``).

How the training data arrive (``fit`` only receives the table to grade): the grading
stage (``segment.grading.grade``) asks ``training_horizon(run horizon)`` and hands in the
frame the runner built (``segment.outcomes.training_frame``: same feature options as the
graded table) through ``set_training(train_features, train_profit)``; any other caller does
the same, e.g. ``set_training(*training_frame(tx, as_of=T, horizon_days=91, first_day=...))``.

``fit(features)`` then trains the model and learns tier thresholds on the predictions
for ``features``; ``assign`` can grade another date's table with the same model.

Model: scikit-learn's HistGradientBoostingRegressor (squared error, deterministic for a
``random_state``), small trees (``max_leaf_nodes``) and a fixed number of boosting
rounds (``early_stopping=False``: scikit-learn's default switches early stopping on
above 10,000 rows, which would make the model depend on the data size). It is trained on
a seeded sample of ``max_train_rows`` customers (drawn after sorting by customer_id, when
the training data are given: the ranker keeps the sample, not the whole table).
Inputs: every numeric column the training and graded tables share (dates are left out:
tenure and recency carry them), plus the text columns named in ``categorical_columns``
(e.g. ("industry", "region")) as native categories — categories learned from the
training table, unseen or missing ones treated as missing; at most 255 categories. Tiers: A = top 20 % of customers by predicted profit, B the next 30 %, C the
rest (``tier_shares``, thresholds learned in fit, equal predictions share a tier).

Explaining (``explain``): which inputs raise or lower a customer's predicted profit, by a what-if
per input (``input_effects``): the prediction minus the prediction with that one input replaced by
a typical training customer's value (``reference_values_``, learned in fit: the median of a numeric
input over the training sample, the most frequent category of a categorical one). The input with
the largest positive change is named as raising it most, the most negative as lowering it most,
each with its size in money: ``A: predicted profit 512.30, at or above A's cut 120.00; raised most
by 14 orders (typical: 2 orders): +310.25; lowered most by last order 200 days ago (typical: last
order 45 days ago): -40.10``. A change under half a cent is not named ("no input raises it above a
typical customer's"). The changes are one input at a time, so they need not add up to the
difference from a typical customer. The what-if is run for the ``EXPLAINED_INPUTS`` (3) inputs
with the largest share of the trees' split gain (those ``learned_rules`` lists first): each costs
one prediction of the customers it can change (a customer whose value lies between the same split
thresholds as the typical value cannot change and is not predicted again, and customers whose other
inputs lie between the same thresholds as each other share one prediction: ``input_effects``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa

from segment.errors import CannotGrade
from segment.methods.base import (MONEY, GradingMethod, check_labels, check_shares, chosen, codes_from_thresholds,
                                  feature_name, feature_phrase, feature_phrases, group_rows, joined, money, percent,
                                  signed_money_texts, subset, threshold_reasons, threshold_rules,
                                  thresholds_from_shares)
from segment.methods.params import param
from segment.process import every_core

MAX_CATEGORIES = 255  # HistGradientBoosting's limit (max_bins)
#: customers predicted per block: the model's input matrix is built a block at a time (a tree's
#: prediction for a customer depends on that customer's row only, so blocks change nothing), not as
#: one float matrix of every customer (~0.5 GB at 2.4 M customers, twice while it is assembled)
PREDICT_BLOCK_ROWS = 250_000
#: inputs whose effect ``explain`` measures: the ones with the largest share of the trees' split gain
#: (each costs a prediction of the customers it can change; 2.36 M customers must take seconds)
EXPLAINED_INPUTS = 3


@dataclass
class SupervisedProfitRanker(GradingMethod):
    training_horizon_days: int | None = param(None, low=1, help="length of the training outcome window (days); none = "
                                                                "the run's horizon. The training origin is the grading "
                                                                "date minus this, so there must be history before it")
    max_train_rows: int | None = param(300_000, low=2, help="train on a seeded sample of at most this many customers "
                                                            "(none = all)")
    max_iter: int = param(100, low=1, help="boosting rounds (fixed: no early stopping)")
    max_leaf_nodes: int = param(15, low=2, help="leaves per tree; small trees generalise better on noisy profit")
    learning_rate: float = param(0.1, low=0, low_open=True, high=1, help="boosting learning rate")
    categorical_columns: tuple[str, ...] = param((), help="text columns to use as categorical inputs (opt-in: numeric "
                                                          "columns only by default)")
    tier_shares: tuple[float, ...] = param((0.2, 0.5), low=0, low_open=True, high=1,
                                           help="cumulative customer shares closing A, B, ... by predicted profit")
    tier_labels: tuple[str, ...] = param(("A", "B", "C"), help="tier labels, best first")
    random_state: int = param(0, low=0, help="seed of the training sample and the model")

    display_name: ClassVar[str] = "profit prediction model (machine learning)"
    description: ClassVar[str] = ("predicts each customer's next-period profit from how similar customers "
                                  "behaved before")
    simplicity: ClassVar[int] = 10
    explain_distinct_rows: ClassVar[bool] = True  # reasons once per distinct row (base.repeated_rows)
    test_params: ClassVar[dict] = {"max_iter": 30, "random_state": 0}
    explains: ClassVar[str] = ("the predicted profit against the tier's cuts, and which of its three most important "
                               "inputs raises and which lowers it most: the change in the prediction when that one "
                               "input is set to a typical training customer's value, in money")

    def _check_params(self) -> None:
        check_shares(self.tier_shares)
        check_labels(self, len(self.tier_shares) + 1, "one more than tier_shares")

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a run's ``result.pkl``) without the training table: reports read the fit,
        not its input, which is a feature table of its own (~0.3 GB at 2.4 M customers) for
        every notebook kernel to load. An unpickled ranker assigns as before; to refit it,
        call ``set_training`` again."""
        state = dict(self.__dict__)
        state.pop("_train", None)
        state.pop("_train_sample", None)
        return state

    # ------------------------------------------------------------- training data
    def training_horizon(self, horizon_days: Any) -> Any:
        """The training outcome window: ``training_horizon_days``, or the run's horizon (days or a
        calendar ``segment.horizon.Horizon``, as the run gives it)."""
        return int(self.training_horizon_days) if self.training_horizon_days else horizon_days

    def set_training(self, train_features: pd.DataFrame, train_profit: pd.Series, *,
                     outcome_end: Any = None) -> "SupervisedProfitRanker":
        """Give the earlier-origin training data. ``outcome_end`` (the last day of the
        training outcome window) defaults to ``train_profit.attrs["outcome_window"][1]``."""
        if not isinstance(train_features, pd.DataFrame) or not isinstance(train_profit, pd.Series):
            raise TypeError("set_training needs a feature DataFrame and a profit Series")
        if not train_features.index.equals(train_profit.index):
            raise ValueError("training features and target must have the same customer index")
        if train_profit.isna().any():
            raise ValueError("the training target has missing values")
        if outcome_end is None:
            window = train_profit.attrs.get("outcome_window")
            outcome_end = window[1] if window else None
        origin = train_features.attrs.get("as_of")
        # the seeded sample is drawn here, not in fit: a ranker holds max_train_rows rows, not the whole
        # training table (~0.3 GB at 2.4 M customers); ``_train_sample`` records how it was drawn
        order = np.argsort(train_features.index.to_numpy(dtype=str), kind="stable")  # row order changes nothing
        if self.max_train_rows is not None and len(train_features) > self.max_train_rows:
            rng = np.random.default_rng(self.random_state)
            order = order[np.sort(rng.choice(len(order), self.max_train_rows, replace=False))]
        self._train = (train_features.iloc[order], train_profit.iloc[order],
                       None if outcome_end is None else pd.Timestamp(outcome_end), origin)
        self._train_sample = (self.max_train_rows, self.random_state)
        return self

    def _check_no_leakage(self, features: pd.DataFrame, outcome_end: pd.Timestamp | None) -> None:
        graded = features.attrs.get("as_of")
        if outcome_end is None or graded is None:
            warnings.warn(
                "SupervisedProfitRanker cannot check for leakage: "
                + ("the training outcome window end is unknown (pass outcome_end to set_training)"
                   if outcome_end is None else "the graded feature table has no attrs['as_of']"),
                UserWarning, stacklevel=4,
            )
            return
        if outcome_end > pd.Timestamp(graded):
            raise ValueError(
                f"leakage: the training outcome window ends {outcome_end.date()}, after the as-of date "
                f"{pd.Timestamp(graded).date()} of the table being graded; train on an earlier origin"
            )

    # ---------------------------------------------------------------- model
    def _select_columns(self, features: pd.DataFrame, train: pd.DataFrame) -> None:
        wanted = tuple(self.categorical_columns)
        for c in wanted:
            if c not in features.columns or c not in train.columns:
                raise KeyError(f"categorical column {c!r} is not in both the training and the graded feature table")
        numeric = [c for c in features.columns if c in train.columns and c not in wanted
                   and all(pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s)
                           for s in (features[c], train[c]))]
        categories = {}
        for c in wanted:
            cats = sorted(pd.unique(train[c].dropna().astype(str)))
            if len(cats) > MAX_CATEGORIES:
                raise ValueError(f"categorical column {c!r} has {len(cats)} categories; at most {MAX_CATEGORIES}")
            categories[c] = cats
        self.columns_ = [*numeric, *wanted]
        self.categories_ = categories

    def _design(self, features: pd.DataFrame) -> np.ndarray:
        x = np.empty((len(features), len(self.columns_)))
        for j in range(len(self.columns_)):
            x[:, j] = self._design_column(features, j)
        return x

    def _design_column(self, features: pd.DataFrame, j: int) -> np.ndarray:
        """Model input ``j`` of every customer (a category as its code, NaN when unseen or missing)."""
        c = self.columns_[j]
        if c in self.categories_:
            values = features[c].astype("string").to_numpy(dtype=object, na_value=None)
            codes = pd.Index(self.categories_[c]).get_indexer(values).astype(float)
            codes[codes < 0] = np.nan  # unseen or missing category
            return codes
        return features[c].to_numpy(dtype=float, na_value=np.nan)

    def _fit(self, features: pd.DataFrame) -> None:
        if not hasattr(self, "_train"):
            raise RuntimeError("SupervisedProfitRanker needs training data from an earlier origin: "
                               "call set_training(...) before fit")
        if self._train_sample != (self.max_train_rows, self.random_state):
            raise RuntimeError("max_train_rows or random_state changed after the training data were given "
                               "(the sample is drawn then): call set_training(...) again")
        train_f, train_y, outcome_end, origin = self._train
        self._check_no_leakage(features, outcome_end)
        self.train_origin_ = origin
        self.train_outcome_end_ = None if outcome_end is None else str(outcome_end.date())
        self.n_train_ = len(train_f)
        if self.n_train_ < 2:
            raise CannotGrade(f"the supervised benchmark needs at least two training customers at the training "
                              f"origin {origin}, and has {self.n_train_}")
        self._select_columns(features, train_f)
        if not self.columns_:
            raise ValueError("the training and graded feature tables share no usable column")
        is_cat = np.array([c in self.categories_ for c in self.columns_])
        from sklearn.ensemble import HistGradientBoostingRegressor  # when fitting: the class's description stays cheap

        model = HistGradientBoostingRegressor(
            max_iter=self.max_iter, max_leaf_nodes=self.max_leaf_nodes, learning_rate=self.learning_rate,
            early_stopping=False, categorical_features=is_cat if is_cat.any() else None,
            random_state=self.random_state,
        )
        self.model_ = model.fit(self._design(train_f), train_y.to_numpy(dtype=float))
        self.reference_values_ = self._reference_values(train_f)  # a typical customer, for explain
        predicted = self.predict_profit(features).to_numpy()
        self.thresholds_ = thresholds_from_shares(predicted, self.tier_shares)
        self._assigned_at_fit = (codes_from_thresholds(predicted, self.thresholds_), predicted)  # for fit_assign

    def predict_profit(self, features: pd.DataFrame) -> pd.Series:
        """Predicted profit over a training-horizon-long window after the table's as-of date."""
        missing = [c for c in self.columns_ if c not in features.columns]
        if missing:
            raise KeyError(f"SupervisedProfitRanker was trained with columns {missing} this table lacks")
        pred = np.empty(len(features))
        with every_core(len(features)):  # each customer's prediction alone: the same bits on any number of threads
            for start in range(0, len(features), PREDICT_BLOCK_ROWS):
                block = features.iloc[start:start + PREDICT_BLOCK_ROWS]
                pred[start:start + len(block)] = self.model_.predict(self._design(block))
        return pd.Series(pred, index=features.index, name="predicted_profit")

    def _assign(self, features: pd.DataFrame):
        v = self.predict_profit(features).to_numpy()
        return codes_from_thresholds(v, self.thresholds_), v

    def _split_gain(self) -> np.ndarray | None:
        """Per model input, the total gain of the trees' splits on it (None when unknown)."""
        # HistGradientBoosting keeps no importances; each tree's nodes record the gain of their split
        # (a private attribute of scikit-learn, pinned in environment.yml: without it, said in words)
        trees = getattr(self.model_, "_predictors", None)
        if trees is None:
            return None
        gain = np.zeros(len(self.columns_))
        for (tree,) in trees:
            split = tree.nodes[~tree.nodes["is_leaf"].astype(bool)]
            np.add.at(gain, split["feature_idx"], split["gain"])
        return gain

    def _reference_values(self, train: pd.DataFrame) -> np.ndarray:
        """Per model input, a typical training customer's value: the median of a numeric input, the
        most frequent category of a categorical one (NaN, the model's "missing", when it has no value)."""
        x = self._design(train)
        ref = np.full(x.shape[1], np.nan)
        for j, c in enumerate(self.columns_):
            v = x[:, j][~np.isnan(x[:, j])]
            if len(v):
                ref[j] = np.bincount(v.astype(np.int64)).argmax() if c in self.categories_ else np.median(v)
        return ref

    def input_effects(self, features: pd.DataFrame, predicted: np.ndarray | None = None) -> pd.DataFrame:
        """Per customer and model input: predicted profit minus the prediction with that one input set
        to a typical training customer's value (``reference_values_``). Positive: the customer's value
        of that input raises its predicted profit; negative: it lowers it. Tried for the inputs that
        matter most (``explained_inputs``); 0 for the others.

        Only what can change is predicted again: an input the trees never split on changes nothing
        (0), and neither does it for a customer whose value falls between the same split thresholds
        as the typical value (every split on it sends both the same way, so the trees' paths are
        the same); the other customers are predicted with the typical value, one input at a time,
        and of those only one per *path*: customers whose every other input lies between the same
        split thresholds (``_path_codes``) take the same path through every tree once that input is
        typical, so they get the same prediction, to the last bit (a tree adds its leaf's value, row
        by row, in the same order)."""
        base = self.predict_profit(features).to_numpy() if predicted is None else np.asarray(predicted, dtype=float)
        tried = self.explained_inputs()
        split = self._split_thresholds()
        thresholds = {j: t for j, t in split.items() if j in tried}
        effect = np.zeros((len(features), len(self.columns_)))
        paths = self._path_codes(features, split) if thresholds else []
        for j, thr in thresholds.items():
            ref = self.reference_values_[j]
            changed = np.flatnonzero(_other_side(self._design_column(features, j), ref, thr))
            if not len(changed):
                continue
            path, first = group_rows([p[changed] for k, p in enumerate(paths) if k != j], len(changed))
            pred = np.empty(len(first))
            for start in range(0, len(first), PREDICT_BLOCK_ROWS):
                moved = self._design(features.iloc[changed[first[start:start + PREDICT_BLOCK_ROWS]]])
                moved[:, j] = ref
                pred[start:start + len(moved)] = self._predict_design(moved)
            effect[changed, j] = base[changed] - pred[path]
        return pd.DataFrame(effect, index=features.index, columns=self.columns_)

    def _predict_design(self, x: np.ndarray) -> np.ndarray:
        """``model_.predict(x)`` of model-input rows ``x``, to the bit, about 1.7 times faster: when no
        input is categorical, the rows are binned by the model's own bin mapper and every tree walks the
        byte matrix, as scikit-learn predicts its training rows while fitting (``_predict_iterations``
        with ``is_binned``): a value lies at or below a split's threshold exactly when its bin lies at
        or below the split's bin, and a missing value is in the missing bin, so every row reaches the
        same leaf and the leaves' values are added in the same order (tested). With a categorical input,
        or when this scikit-learn's model cannot be read so, ``model_.predict``."""
        model = self.model_
        if self.categories_ or not all(hasattr(model, a) for a in (
                "_bin_mapper", "_predictors", "_baseline_prediction", "_predict_iterations", "_loss")):
            return model.predict(x)
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

        binned = np.ascontiguousarray(model._bin_mapper.transform(np.asarray(x, dtype=np.float64)))
        raw = np.zeros((len(x), model.n_trees_per_iteration_), dtype=model._baseline_prediction.dtype, order="F")
        raw += model._baseline_prediction
        model._predict_iterations(binned, model._predictors, raw, True, _openmp_effective_n_threads())
        return model._loss.link.inverse(raw.ravel())

    def _path_codes(self, features: pd.DataFrame, split: dict[int, np.ndarray | None]) -> list[np.ndarray]:
        """Per model input, a small integer per customer that is equal for two customers only if every
        split of the trees on that input sends both the same way: 0 for every customer when the trees
        never split on it; else the number of its split thresholds below the value (``_other_side``'s
        rule; 0 when missing, the thresholds counted from 1), or, where the thresholds are unknown (a
        categorical input), the distinct value itself."""
        codes = []
        for j in range(len(self.columns_)):
            if j not in split:
                codes.append(np.zeros(len(features), dtype=np.uint8))
                continue
            x = self._design_column(features, j)
            if split[j] is None:
                code = pd.factorize(x)[0] + 1  # NaN is -1 in factorize: 0 here
            else:
                missing = np.isnan(x)
                code = np.where(missing, 0, np.searchsorted(split[j], np.where(missing, 0.0, x), side="left") + 1)
            codes.append(code.astype(np.min_scalar_type(int(code.max(initial=0)))))
        return codes

    def explained_inputs(self) -> list[int]:
        """The inputs ``input_effects`` tries: the ``EXPLAINED_INPUTS`` with the largest share of the
        trees' split gain (ties: input order), never one the trees do not split on; all inputs when
        the gain cannot be read."""
        gain = self._split_gain()
        if gain is None:
            return list(range(len(self.columns_)))
        top = np.argsort(-gain, kind="stable")[:EXPLAINED_INPUTS]
        return sorted(int(j) for j in top if gain[j] > 0)

    def _split_thresholds(self) -> dict[int, np.ndarray | None]:
        """Per input the trees split on, the sorted thresholds of its numeric splits (None: some split
        on it is categorical, or the trees cannot be read: every customer may change)."""
        trees = getattr(self.model_, "_predictors", None)
        if trees is None:
            return {j: None for j in range(len(self.columns_))}
        found: dict[int, list] = {}
        for (tree,) in trees:
            split = tree.nodes[~tree.nodes["is_leaf"].astype(bool)]
            for j, thr, cat in zip(split["feature_idx"], split["num_threshold"], split["is_categorical"]):
                found.setdefault(int(j), []).append(None if cat else float(thr))
        return {j: None if None in t else np.unique(t) for j, t in sorted(found.items())}

    def _typical(self, j: int) -> str:
        c, ref = self.columns_[j], self.reference_values_[j]
        if c in self.categories_:
            return f"{feature_name(c)} {self.categories_[c][int(ref)] if np.isfinite(ref) else 'unknown'}"
        return feature_phrase(c, float(ref))

    def _explain(self, features: pd.DataFrame, codes, score):
        """Predicted profit against the cuts, then the input that raises it most and the one that
        lowers it most, with their effect in money (``input_effects``; module docstring)."""
        effect = self.input_effects(features, score).to_numpy()
        phrases: dict[int, pa.Array] = {}

        def named(pick: np.ndarray, size: np.ndarray, lead: str, none: str) -> pa.Array:
            def make(j: int, rows: np.ndarray) -> pa.Array:
                if j < 0:
                    return pa.array([none] * len(rows), type=pa.string())
                if j not in phrases:
                    phrases[j] = feature_phrases(features, self.columns_[j])
                return joined(lead, subset(phrases[j], rows), f" (typical: {self._typical(j)}): ",
                              signed_money_texts(size[rows]))
            return chosen(pick, make)

        rows = np.arange(len(effect))
        up, down = np.argmax(effect, axis=1), np.argmin(effect, axis=1)  # ties: the first input
        raised, lowered = effect[rows, up], effect[rows, down]
        return joined(threshold_reasons(self.tier_labels, self.thresholds_, codes, score, "predicted profit", MONEY),
                      named(np.where(raised >= 0.005, up, -1), raised, "; raised most by ",
                            "; no input raises it above a typical customer's"),
                      named(np.where(lowered <= -0.005, down, -1), lowered, "; lowered most by ",
                            "; no input lowers it below a typical customer's"))

    def learned_rules(self) -> list[str]:
        """The model and its training data, its five most important inputs (by their share of the
        trees' split gain) and the tier cuts."""
        gain = self._split_gain()
        if gain is None:
            important = "not available from this version of scikit-learn"
        else:
            top = np.argsort(-gain, kind="stable")[:5]
            important = ", ".join(f"{feature_name(self.columns_[j])} {percent(gain[j] / gain.sum())}" for j in top
                                  if gain[j] > 0) or "none (no tree split: every prediction is the same)"
        window = (f"their profit up to {self.train_outcome_end_}" if self.train_outcome_end_
                  else "their profit over the training window")
        return [f"model: gradient-boosted trees ({self.max_iter} rounds, at most {self.max_leaf_nodes} leaves each), "
                f"trained on {self.n_train_:,} customers as of {self.train_origin_ or 'an unknown date'}, learning {window}",
                f"most important inputs (share of the split gain): {important}",
                *threshold_rules(self.tier_labels, self.thresholds_, "predicted profit", money, self.tier_shares)]


def _other_side(values: np.ndarray, reference: float, thresholds: np.ndarray | None) -> np.ndarray:
    """Whether a split could send each value another way than ``reference``: the number of
    thresholds below it differs (a split goes left when the value is at most its threshold), or
    exactly one of the two is missing. ``thresholds`` None: every value may."""
    if thresholds is None:
        return np.ones(len(values), dtype=bool)
    missing = np.isnan(values)
    if np.isnan(reference):
        return ~missing
    where = np.searchsorted(thresholds, np.where(missing, 0.0, values), side="left")
    return missing | (where != np.searchsorted(thresholds, reference, side="left"))
