"""Work shared between runs in one process: the same input, date and parameters are
computed once.

``segment report-all`` runs seven CDNOW configs over the same transactions; their grading
dates and backtest origins overlap (a quarter end is the grading date of one config, the
validation origin of another and a backtest origin of two more), and the methods and
their parameters are the same. Refitting every method at every date for every config is
most of a report's time, and gives the same answer: every fit is deterministic (seeded
through ``random_state``). So the runner (``segment.runner.Runner``, given a ``WorkCache`` by its caller) asks it for

- the loaded data, by the config's ``data`` mapping (read once per process);
- features at a date, by (data fingerprint, as_of, feature keyword arguments);
- each method's fit and assignment, by (method name, its parameters, provisional_days,
  a content hash of the feature table it is fitted on, computed once per table by the
  runner: ``frame_fingerprint``) -- plus, for methods that learn from history (the training frame
  is built from the transactions), the data fingerprint, the date, the horizon and the
  feature keyword arguments.

Memory: features and fits of tables with more than ``keep_max_rows`` customers (default
500,000) are computed and handed out but not kept. Sharing pays off where one process runs
many configs over a book of that size or smaller (``make report``: 23,570 customers); at
millions of customers a date's feature table and ten fits take about a gigabyte, more than
a refit costs in time, and one run reuses its own work explicitly (the grading date as
validation origin, the backtest reusing both).

Keys are content, not object identity: a feature table built another way (the backtest
builds features and outcomes in one scan) reuses a fit only if its content hash is equal.
A fit that cannot grade (``CannotGrade``: no history before an early origin) is cached as
that failure, so the skip note is the same on every run. The loaded data, feature tables, fitted
methods and assignments are handed out as the same objects to every run that asks: they
are read-only once the pipeline has built them (no stage changes them; the report-all test
checks that cached runs equal a run alone byte for byte), and copies would cost gigabytes
at millions of customers. ``clear()`` lets go of everything (a single run does, once its
pipeline is done). Nothing is
written to disk: every run still computes, saves and reports its own result, and a
rerun in a new process computes everything afresh (reproducibility is tested across
processes and across cached/uncached runs).

``segment run`` and ``segment report-all`` keep one per process
(``segment.reporting.run.Reporter``); without one, every run computes everything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def frame_fingerprint(df: pd.DataFrame | None) -> str:
    """SHA-256 of a table's content: index, columns, dtypes, values and attrs."""
    if df is None:
        return "none"
    if hasattr(df, "fingerprint"):  # segment.engines.table.LazyTransactions: rows left on their engine
        return df.fingerprint()
    h = hashlib.sha256()
    h.update(_canonical([list(map(str, df.columns)), [str(t) for t in df.dtypes], df.attrs]).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    return h.hexdigest()


@dataclass
class WorkCache:
    #: (kind, key) -> value; counts of hits and misses per kind, for the manifest's timings
    store: dict[tuple[str, str], Any] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    misses: dict[str, int] = field(default_factory=dict)
    _data_keys: dict[tuple[int, int], tuple[Any, str]] = field(default_factory=dict)
    #: features and fits of tables with more rows than this are not kept (module docstring)
    keep_max_rows: int = 500_000

    def _get(self, kind: str, key: str, compute: Callable[[], Any], keep: Callable[[Any], bool] = lambda v: True) -> Any:
        if (kind, key) in self.store:
            self.hits[kind] = self.hits.get(kind, 0) + 1
            return self.store[(kind, key)]
        self.misses[kind] = self.misses.get(kind, 0) + 1
        value = compute()
        if keep(value):
            self.store[(kind, key)] = value
        return value

    # ------------------------------------------------------------------ the three kinds
    def loaded(self, data_spec: dict[str, Any], load: Callable[[], Any]) -> Any:
        """The ``LoadResult`` (``segment.load.load_data``) for a config's ``data`` mapping (callers must not change it)."""
        return self._get("load", _canonical(data_spec), load)

    def data_key(self, transactions: pd.DataFrame, customers: pd.DataFrame | None) -> str:
        """Fingerprint of the transactions and customer table (computed once per object)."""
        ident = (id(transactions), id(customers))
        if ident in self._data_keys:
            return self._data_keys[ident][1]
        key = frame_fingerprint(transactions) + ":" + frame_fingerprint(customers)
        self._data_keys[ident] = ((transactions, customers), key)  # holds the objects: their ids stay unique
        return key

    def features(self, data_key: str, as_of: str, feature_kwargs: dict[str, Any],
                 compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        # shared, read-only like the loaded data (no stage changes a feature table; a copy per
        # run would cost ~0.4 GB at 2.4 M customers)
        return self._get("features", _canonical([data_key, str(as_of), feature_kwargs]), compute, keep=self.keeps)

    def keeps(self, table: pd.DataFrame) -> bool:
        """Whether work on ``table`` is kept (callers skip the cache, and hashing, otherwise)."""
        return len(table) <= self.keep_max_rows

    def fit(self, parts: list[Any], compute: Callable[[], Any]) -> Any:
        """A method's fit (``segment.grading.FitOutcome``) by its key ``parts`` (the runner's:
        method, parameters, the table's ``frame_fingerprint`` and what its training frame is
        built from). Shared and read-only: nothing refits a method or changes an assignment."""
        return self._get("fit", _canonical(parts), compute)

    def clear(self) -> None:
        """Forget every stored value (the counts stay, for the manifest)."""
        self.store.clear()
        self._data_keys.clear()

    def summary(self) -> dict[str, dict[str, int]]:
        kinds = sorted(set(self.hits) | set(self.misses))
        return {k: {"computed": self.misses.get(k, 0), "reused": self.hits.get(k, 0)} for k in kinds}
