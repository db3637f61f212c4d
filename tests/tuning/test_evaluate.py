"""The fast path (indicator matrix x weights) gives the weighted method's own scores and
tiers, and the leaderboard's own figures."""

from __future__ import annotations

import numpy as np
import pytest

from segment.outcomes import build_features_and_outcomes
from segment.tuning.evaluate import candidate_score, evaluate_candidates, method_for, origin_data
from segment.validation.leaderboard import leaderboard_tables
from tests.tuning.conftest import DATA_END, INDICATORS

WEIGHTS = np.array([[0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0], [0.1, 0.6, 0.0, 0.3], [0.5, 0.0, 0.5, 0.0]])


@pytest.fixture(scope="module")
def origin(b2b):
    f, o = build_features_and_outcomes(b2b.transactions, as_of="2022-06-30", horizon_days=91, data_end=DATA_END,
                                       customers=b2b.customers)
    return f, o


@pytest.mark.parametrize("base", [{}, {"normalisation": "minmax", "tier_shares": (0.1, 0.4, 0.8),
                                       "tier_labels": ("A", "B", "C", "D")},
                                  {"tier_cuts": (0.7, 0.45)}])
def test_fast_path_equals_the_method_and_the_leaderboard(origin, base):
    f, o = origin
    data = origin_data(f, o, origin="2022-06-30", role="fold", window_end="2022-09-29", indicators=tuple(INDICATORS),
                       base_params=base, provisional_days=182)
    fast = evaluate_candidates(WEIGHTS, data, base_params=base, top_share=0.2)
    assignments = {}
    for j, w in enumerate(WEIGHTS):
        m = method_for(dict(zip(INDICATORS, w)), base, 182).fit(f)
        np.testing.assert_array_equal(candidate_score(w, list(data.matrix.T)), m.score(f).to_numpy())
        assignments[f"c{j}"] = m.assign(f)
    board = leaderboard_tables(assignments, o, n_boot=0)[0].set_index("method")
    for j in range(len(WEIGHTS)):
        row = board.loc[f"c{j}"]
        for metric in ("top_tier_profit_capture", "top20_profit_capture", "gini_profit", "churn_auc",
                       "top_tier_share"):
            assert fast.loc[j, metric] == pytest.approx(row[metric], abs=1e-9), (j, metric)
        shares = assignments[f"c{j}"]["tier"].value_counts(normalize=True, sort=False)
        for label, share in shares.items():
            assert fast.loc[j, f"share_{label}"] == pytest.approx(share)
