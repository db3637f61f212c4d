"""Synthetic B2B data with known value drivers, and one tuning of it shared by the tests.

Design: folds at the quarter ends 2022-03-31, 2022-06-30 and 2022-09-30, judged at
2022-12-31, 91-day horizon (the last fold's window ends 2022-12-30). Indicators: the
textbook four (order amount, profit contribution, credit status, development prospects).
In the generator, future profit is driven by order rate, value and a persistent margin
that falls with size; lateness is independent of value.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from segment.data.synthetic import generate_b2b
from segment.grading import GradingSpec
from segment.runner import Runner
from segment.tuning.search import check_design, tune
from segment.tuning.settings import TuningConfig

JUDGED, FOLDS, HORIZON, DATA_END = "2022-12-31", ["2022-03-31", "2022-06-30", "2022-09-30"], 91, "2023-12-31"
INDICATORS = ["order_amount", "profit_contribution", "credit_status", "development_prospects"]
DEFAULT = {"order_amount": 0.4, "profit_contribution": 0.2, "credit_status": 0.2, "development_prospects": 0.2}


def settings(method_params: dict | None = None, **changes) -> TuningConfig:
    raw = {"judged_origin": JUDGED, "fold_origins": FOLDS, "indicators": INDICATORS, "n_boot": 50, **changes}
    return TuningConfig.from_dict(raw, horizon_days=HORIZON, method_params={"weights": DEFAULT, **(method_params or {})})


def run(data, cfg: TuningConfig | None = None, transactions=None, **kw):
    """Tune on ``data`` as a run does: the runner builds the fold and judged tables, ``tune``
    judges them."""
    cfg = cfg or settings()
    tx = data.transactions if transactions is None else transactions
    runner = Runner(SimpleNamespace(transactions=tx, customers=data.customers, first_day=None, data_end=DATA_END),
                    GradingSpec({}))
    check_design(cfg, DATA_END)
    folds, judged, note = runner.tuning_tables(cfg.fold_origins, cfg.judged_origin, cfg.horizon)
    return tune(settings=cfg, fold_tables=folds, judged_tables=judged, base_params=kw.pop("base_params", {}),
                default_weights=DEFAULT, notes=[note], **kw)


@pytest.fixture(scope="session")
def b2b():
    return generate_b2b(2500, start="2021-01-01", end=DATA_END, random_state=11)


@pytest.fixture(scope="session")
def tuned(b2b):
    return run(b2b)
