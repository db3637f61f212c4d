"""Shared fixtures: a realistic feature table and a factory for every registered method."""

from __future__ import annotations

import pandas as pd
import pytest

from segment.data.synthetic import generate_b2b
from segment.methods.registry import METHODS, make_method
from segment.outcomes import build_features_and_outcomes

AS_OF = "2022-12-31"

#: per-method keyword arguments for the contract tests (small and fast)
CONTRACT_PARAMS: dict[str, dict] = {
    "kmeans": {"n_clusters": 4, "random_state": 0},
    "supervised": {"max_iter": 30, "random_state": 0},
}


@pytest.fixture(scope="session")
def b2b():
    return generate_b2b(600, start="2021-01-01", end="2023-12-31", random_state=11)


@pytest.fixture(scope="session")
def features_and_outcomes(b2b):
    return build_features_and_outcomes(b2b.transactions, as_of=AS_OF, horizon_days=180, customers=b2b.customers)


@pytest.fixture(scope="session")
def features(features_and_outcomes):
    return features_and_outcomes[0]


@pytest.fixture(scope="session")
def training(b2b):
    """Earlier-origin training data for the supervised benchmark."""
    f, o = build_features_and_outcomes(b2b.transactions, as_of="2022-06-30", horizon_days=180, customers=b2b.customers)
    return f, o["profit_outcome"]


@pytest.fixture
def make(training):
    def factory(name: str, **params):
        method = make_method(name, **{**CONTRACT_PARAMS.get(name, {}), **params})
        if name == "supervised":
            method.set_training(*training)
        return method

    return factory


ALL_METHODS = sorted(METHODS)
