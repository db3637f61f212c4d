"""``LazyTransactions``: the transaction table left on its engine, as a plain lazy handle."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis

_LOADS = itertools.count()


class LazyTransactions:
    """The transaction table of one load, left on its engine (Spark, another Ibis backend).

    ``ibis_table()`` gives the expression the feature/outcome builders aggregate;
    ``summary`` holds the figures of the engine's one aggregate query (``rows``,
    ``customers``, ``first_order``, ``last_order``, ``zero_amount_rows``, the missing-value
    counts and ``columns``); ``len()`` is the row count. It is not a DataFrame: the first and
    last order dates are on the load result (``LoadResult.first_day``/``data_end``), and any
    other figure is an Ibis expression on ``ibis_table()``. Pickling keeps the summary and
    drops the engine table (a live session cannot be pickled).
    """

    def __init__(self, table: ibis.Table | None, summary: Mapping[str, Any], engine: str):
        self._table = table
        self.summary = dict(summary)
        self.engine = engine
        self.columns = list(table.columns) if table is not None else list(self.summary.get("columns", []))
        self.summary["columns"] = self.columns
        self._load_number = next(_LOADS)

    def fingerprint(self) -> str:
        """Identity for ``segment.workcache``: this load of this source (the rows are not hashed:
        they are on the engine). Two loads are never taken for one, even of the same table."""
        described = json.dumps({k: str(v) for k, v in self.summary.items()}, sort_keys=True)
        return f"{self.engine}:{self._load_number}:" + hashlib.sha256(described.encode()).hexdigest()

    def ibis_table(self) -> ibis.Table:
        """The Ibis expression of the internal transaction table, on its engine."""
        if self._table is None:
            raise TypeError(f"these transactions were on engine {self.engine} and are not kept in a saved result; "
                            "rerun the pipeline to compute new per-customer tables")
        return self._table

    def __len__(self) -> int:
        return int(self.summary["rows"])

    def __getstate__(self) -> dict[str, Any]:
        return {"summary": self.summary, "engine": self.engine, "columns": self.columns}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._table = None
        self._load_number = next(_LOADS)
        self.summary, self.engine, self.columns = state["summary"], state["engine"], state["columns"]

    def __repr__(self) -> str:
        return f"LazyTransactions(engine={self.engine!r}, rows={len(self):,}, columns={self.columns})"
