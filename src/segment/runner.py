"""The runner: the plumbing around the stages of one run, so the stages stay pure.

The stages (load -> features/outcomes -> grading -> judging) are functions of their inputs.
What a run needs around them lives here, once:

- **the order book** (``transactions``, ``segment.orderbook``): the transactions at the order grain,
  aggregated once, which every date's features, outcomes and training frame are built from;
- **the work of a date**: the feature table at a date (``features_at``), the outcomes after it
  (``outcomes_at``), the training frame of a method that learns from history (``training``),
  and the gradings (``grade_at``: ``segment.grading.grade`` with the cached, thread-limited fit);
  for the backtest, the gradings of its origins one at a time (``gradings``);
- **the work cache** (``segment.workcache``, when the caller passes one): the loaded data,
  feature tables and fits shared by the runs of one process, by content;
- **thread limits**: a fit on fewer than ``SINGLE_THREAD_ROWS`` customers runs its numeric
  libraries on one thread (thread start-up costs more than it saves; the process-wide limit is
  the caller's: ``segment.reporting.run.Reporter`` runs the pipeline on one thread);
- **timings** per stage (``timed``), for the manifest.

Every outcome window is the spec's horizon (``GradingSpec.horizon_days``: an int number of
days, or a ``segment.horizon.Horizon`` in calendar units for a config with ``horizon: 2Q``):
(T, H.end(T)] after each date T.

The judging stage (``segment.validation``, ``segment.tuning``) never calls this module: the
pipeline hands it the gradings the runner made.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable, Iterable, Iterator

import pandas as pd

from segment import grading, process
from segment.dates import to_date
from segment.features import build_features
from segment.grading import FitOutcome, Grading, GradingSpec
from segment.horizon import Horizon, as_horizon
from segment.methods.base import GradingMethod
from segment.orderbook import order_book
from segment.outcomes import build_features_and_outcomes, build_outcomes, profit_before, training_frame
from segment.workcache import frame_fingerprint

#: fits on fewer customers than this run on one thread (``segment.process``)
SINGLE_THREAD_ROWS = process.SINGLE_THREAD_ROWS


class Runner:
    """The work of one run over its loaded data (``segment.io.LoadResult``), made with ``spec``.

    ``cache``: a ``segment.workcache.WorkCache`` shared with other runs of the process, or None.
    ``progress(message)``: lines while grading (None: silent)."""

    def __init__(self, loaded: Any, spec: GradingSpec, *, cache: Any = None,
                 progress: Callable[[str], None] | None = None) -> None:
        self.loaded = loaded
        self.spec = spec
        self.cache = cache
        self.say = progress or (lambda message: None)
        self.timings: dict[str, float] = {}
        self._data_key: str | None = None
        #: outcomes built in the same scan as a date's features (``features_at``), until ``outcomes_at`` takes them
        self._scanned: dict[str, pd.DataFrame] = {}
        self._transactions: Any = None

    @classmethod
    def load(cls, config: Any, *, cache: Any = None, progress: Callable[[str], None] | None = None) -> "Runner":
        """Load ``config``'s data (once per process with a cache) and make its runner."""
        from pathlib import Path

        from segment.load import load_data

        t = time.perf_counter()
        if cache is None:
            loaded = load_data(config)
        else:
            spec = {"data": config.data, "config_dir": str(Path(config.source).resolve().parent)}
            loaded = cache.loaded(spec, lambda: load_data(config))
        runner = cls(loaded, GradingSpec.from_config(config), cache=cache, progress=progress)
        runner.timings["load"] = time.perf_counter() - t
        return runner

    @contextlib.contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the block's wall time to ``timings[stage]``."""
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - t

    # ------------------------------------------------------------------ the work of a date
    @property
    def transactions(self) -> Any:
        """What the aggregations read: the order book of the loaded transactions (``segment.orderbook``),
        built on first use, or the transactions themselves where its rules allow no book."""
        if self._transactions is None:
            t = time.perf_counter()
            self._transactions = order_book(self.loaded.transactions, gross_margin=self.spec.feature_kwargs.get("gross_margin"))
            if self._transactions is not self.loaded.transactions:
                self.say(f"order book: {len(self._transactions):,} orders of {len(self.loaded.transactions):,} lines "
                         f"({time.perf_counter() - t:.1f} s)")
        return self._transactions

    @property
    def data_key(self) -> str:
        if self._data_key is None:
            self._data_key = self.cache.data_key(self.loaded.transactions, self.loaded.customers)
        return self._data_key

    def features_at(self, as_of: str) -> pd.DataFrame:
        """The feature table at ``as_of`` (shared through the cache: callers must not change it).
        When the data covers the horizon after ``as_of``, the outcomes there come from the same scan
        (``build_features_and_outcomes``, identical to the two apart) and wait for ``outcomes_at``."""
        fkw = dict(self.spec.feature_kwargs)

        def compute() -> pd.DataFrame:
            tx, customers = self.transactions, self.loaded.customers
            if not self._full_window(as_of):
                return build_features(tx, as_of=as_of, customers=customers, **fkw)
            f, self._scanned[str(as_of)] = build_features_and_outcomes(
                tx, as_of=as_of, horizon_days=self.spec.horizon_days, data_end=self.loaded.data_end,
                customers=customers, **fkw)
            return f

        if self.cache is None:
            return compute()
        return self.cache.features(self.data_key, as_of, fkw, compute)

    def _full_window(self, as_of: str) -> bool:
        return as_horizon(self.spec.horizon_days).end(to_date(as_of, "as_of")) <= to_date(self.loaded.data_end, "data_end")

    def outcomes_at(self, as_of: str) -> pd.DataFrame:
        """What each customer graded at ``as_of`` did in the window of the spec's horizon after it
        (from ``features_at``'s scan of that date when it made them)."""
        scanned = self._scanned.pop(str(as_of), None)
        if scanned is not None:
            return scanned
        return build_outcomes(self.transactions, as_of=as_of, horizon_days=self.spec.horizon_days,
                              data_end=self.loaded.data_end, **self._profit_rule)

    @property
    def _profit_rule(self) -> dict[str, Any]:
        """The profit rule's settings of the spec's feature options (gross_margin, cost_per_order)."""
        return {k: v for k, v in self.spec.feature_kwargs.items() if k in ("gross_margin", "cost_per_order")}

    def profit_before(self, as_of: str) -> Callable[[Any], pd.Series]:
        """``ids -> their profit in the horizon-length window ending at as_of`` (by the run's
        profit rule; ``segment.outcomes.profit_before``), for the follow-up list."""
        profit = self._profit_rule
        return lambda ids: profit_before(self.loaded.transactions, ids, as_of=as_of,
                                         horizon_days=self.spec.horizon_days, **profit)

    def training(self, as_of: str) -> grading.Training:
        """``h -> (features at as_of − h, profit in (as_of − h, as_of])``, for methods that learn
        from history (``segment.outcomes.training_frame``)."""
        def frame(h: Horizon | int) -> tuple[pd.DataFrame, pd.Series]:
            return training_frame(self.transactions, as_of=as_of, horizon_days=h,
                                  first_day=self.loaded.first_day, customers=self.loaded.customers,
                                  **self.spec.feature_kwargs)

        return frame

    def grade_at(self, as_of: str, features: pd.DataFrame, *, spec: GradingSpec | None = None,
                 progress: Callable[[str], None] | None = None) -> Grading:
        """``grading.grade`` of ``features`` (the table at ``as_of``), each fit cached by content
        (method, parameters, the table's hash; for methods that learn from history also the data
        and the training horizon) and run on one thread below ``SINGLE_THREAD_ROWS`` customers."""
        spec = self.spec if spec is None else spec
        cache = self.cache if self.cache is not None and self.cache.keeps(features) else None
        features_key = None if cache is None else frame_fingerprint(features)  # once per table, not per method

        def fit(label: str, method: GradingMethod, table: pd.DataFrame, training: Any,
                horizon: Horizon | int) -> FitOutcome:
            def compute() -> FitOutcome:
                with process.thread_limits(1 if len(table) < SINGLE_THREAD_ROWS else None):
                    return grading.fit_method(method, table, training, horizon)

            if cache is None:
                return compute()
            parts: list[Any] = [spec.methods[label].name, dict(spec.methods[label].params),
                                int(spec.provisional_days), features_key]
            h = method.training_horizon(horizon)
            if h is not None:
                parts += [self.data_key, {"as_of": str(as_of), "feature_kwargs": dict(spec.feature_kwargs),
                                          "horizon_days": as_horizon(horizon).config_value}]
            return cache.fit(parts, compute)

        return grading.grade(spec, features, as_of=as_of, training=self.training(as_of), fit=fit,
                             progress=progress)

    def gradings(self, origins: Iterable[str], *, spec: GradingSpec | None = None,
                 known: dict[str, Grading] | None = None, keep_features: bool = False) -> Iterator[Grading]:
        """The grading at every origin, in date order, one at a time, with its outcomes when the
        data covers the full horizon after it (else ``outcomes`` None). An origin in ``known``
        (the run's grading date, its validation origin) is yielded as it is. Each origin's
        feature table and fits are let go before the next is built (memory at millions of
        customers); with ``keep_features`` each grading made here carries its feature table
        (``features``), let go with it (a ``known`` one is yielded as it was given)."""
        spec = self.spec if spec is None else spec
        window = as_horizon(spec.horizon_days)
        known = {str(to_date(o, "known origin")): g for o, g in (known or {}).items()}
        data_end = to_date(self.loaded.data_end, "data_end")
        ordered = sorted({str(to_date(o, "origin")) for o in origins})
        for i, origin in enumerate(ordered, start=1):
            full = window.end(to_date(origin, "origin")) <= data_end
            if origin in known:
                self.say(f"backtest: origin {origin} ({i} of {len(ordered)}), the run's own grading of that date")
                g = known[origin]
                if (g.outcomes is not None) != full:
                    raise ValueError(f"the grading passed for origin {origin} {'lacks' if full else 'has'} outcomes, "
                                     f"but the origin {'has' if full else 'has no'} full {window.adjective} window")
                yield g
                continue
            self.say(f"backtest: origin {origin} ({i} of {len(ordered)}), grading {len(spec.methods)} methods")
            tx, customers, fkw = self.transactions, self.loaded.customers, dict(spec.feature_kwargs)
            if full:
                f, o = build_features_and_outcomes(tx, as_of=origin, horizon_days=window, customers=customers, **fkw)
            else:
                f, o = build_features(tx, as_of=origin, customers=customers, **fkw), None
            g = self.grade_at(origin, f, spec=spec)
            g.fitted = {}  # let go of the fits (a training table each, at millions of rows) ...
            g.outcomes = o
            g.features = f if keep_features else None
            del f, o
            yield g
            del g  # ... and of this origin too, unless the caller keeps it

    def tuning_tables(self, fold_origins: Iterable[str], judged_origin: str, horizon_days: Horizon | int,
                      ) -> tuple[dict[str, tuple[pd.DataFrame, pd.DataFrame]], tuple[pd.DataFrame, pd.DataFrame], str]:
        """What weight tuning reads (``segment.tuning.search.tune``): (features, outcomes) at every fold
        origin from the extract as of the judged origin (``search_extract``: the search never
        sees the judged window), the same at the judged origin from the full data, and the note
        saying how much of the data the search read."""
        tx, customers, fkw = self.loaded.transactions, self.loaded.customers, dict(self.spec.feature_kwargs)
        if not isinstance(tx, pd.DataFrame):  # e.g. data.engine spark: the rows stay on the engine
            raise ValueError(f"weight tuning needs the transactions in memory (data.engine duckdb); "
                             f"got {type(tx).__name__}")
        extract = search_extract(tx, judged_origin)
        note = (f"the search read an extract as of the judged origin {judged_origin}: {len(extract):,} of "
                f"{len(tx):,} rows (orders after it, and payments after it, are not visible)")
        folds = {f: build_features_and_outcomes(extract, as_of=f, horizon_days=horizon_days, data_end=judged_origin,
                                                customers=customers, **fkw) for f in fold_origins}
        judged = build_features_and_outcomes(tx, as_of=judged_origin, horizon_days=horizon_days,
                                             data_end=self.loaded.data_end, customers=customers, **fkw)
        return folds, judged, note


def search_extract(transactions: pd.DataFrame, judged_origin: str) -> pd.DataFrame:
    """The data as an extract taken at the judged origin would hold it: orders dated on or
    before it; a payment after it is unknown (NaT)."""
    cut = pd.Timestamp(to_date(judged_origin, "judged_origin")) + pd.Timedelta(days=1)
    out = transactions[transactions["order_ts"] < cut]
    if "paid_date" in out.columns:
        out = out.assign(paid_date=out["paid_date"].where(out["paid_date"] < cut))
    return out
