"""The ``validation:`` settings of a run config, declared once: the config check reads their
types and ranges from here (``segment.methods.params.check_params``), and
``segment.validation.suite.validate_all`` their defaults."""

from __future__ import annotations

from dataclasses import dataclass

from segment.methods.params import param


@dataclass(frozen=True)
class ValidationSettings:
    n_boot: int = param(200, low=0, help="bootstrap replicates of every interval (0 = no intervals)")
    random_state: int = param(0, low=0, help="seed of the bootstrap")
    level: float = param(0.95, low=0, low_open=True, high=0.999, help="confidence level of the intervals")
    top_share: float = param(0.2, low=0, low_open=True, high=1, help="share of customers in the 'top' of a ranking "
                                                                     "(top-20 % profit capture)")
    model_max_rows: int = param(500_000, low=1, help="customers the per-tier regression models are fitted on "
                                                     "(a seeded sample above this)")
    disagreement_top_n: int = param(50, low=0, help="customers listed where two gradings disagree most")
    practical_margin: float = param(0.02, low=0, high=1, help="top-20 % capture points a method may trail the best "
                                                             "and still count as about as good (the simplest of those "
                                                             "is recommended)")
    backtest_n_boot: int = param(0, low=0, help="bootstrap replicates at each backtest origin")
    warning_max_growth: float = param(-0.5, low=-1, high=1, help="early warning: revenue trend at or below this")
    warning_gap_multiple: float = param(2.0, low=0, low_open=True,
                                        help="early warning: days since the last order at least this multiple of the "
                                             "customer's usual gap")
