"""The synthetic B2B data set as one value: ``B2BData`` (made by ``segment.data.synthetic``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class B2BData:
    """What ``generate_b2b`` returns.

    ``transactions`` (internal schema, sorted by ``order_ts`` then ``customer_id``),
    ``customers`` (one row per account, including accounts that never ordered),
    ``accounts`` (the true per-account parameters, index ``customer_id``), the period
    ``start``..``end`` (inclusive) and the generator settings in ``params``.
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame
    accounts: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    params: dict[str, Any] = field(default_factory=dict)
