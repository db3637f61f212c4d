"""The ``decision:`` settings of a run config, declared once: how many customers the team can
act on (docs/DECISIONS.md). The config check reads their types and ranges from here
(``segment.methods.params.check_params``); the reports read the values from
``RunConfig.decision`` with these defaults (``decision_settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from segment.methods.params import param


@dataclass(frozen=True)
class DecisionSettings:
    key_accounts: int = param(2000, low=1, help="key accounts the team can serve: each grading is judged by the "
                                                "next-period profit of its top this-many customers (capped at the "
                                                "number of graded customers)")
    follow_up: int = param(300, low=1, help="customers the team can follow up in one period: the early-warning "
                                            "list is cut to this many, most profit at risk first")


def decision_settings(decision: dict[str, Any]) -> DecisionSettings:
    """The settings of a checked ``decision:`` section, defaults filled in."""
    return DecisionSettings(**decision)
