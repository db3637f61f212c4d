"""The load stage: the transaction table a run config's ``data:`` names, as a ``LoadResult``.

One result type for every source (``segment.io.audit.LoadResult``): the bundled CDNOW
datasets, the synthetic B2B generator, a user's file or query (``segment.io``) and a
remote engine (``segment.engines``, whose transactions stay on the engine). Also what of a
load a saved run result keeps (``saved_without_transactions``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pandas as pd

from segment.engines.spec import engine_of
from segment.io.audit import LoadResult, frame_summary

if TYPE_CHECKING:
    from segment.config import RunConfig


def load_data(config: RunConfig) -> LoadResult:
    """The internal transaction table named by ``config.data``."""
    data = dict(config.data)
    if engine_of(data) != "duckdb":  # transactions stay on Spark / another Ibis backend
        from segment.engines.source import load_engine_data

        return load_engine_data(data, source=config.source)
    data.pop("engine", None)
    if "dataset" in data:
        return load_dataset(data.pop("dataset"), data, source=config.source)
    from segment.io import load_from_config

    return load_from_config(data, source=config.source)


def load_dataset(name: str, params: dict[str, Any], *, source: str = "<config>") -> LoadResult:
    """A bundled dataset: ``cdnow_master`` / ``cdnow_sample`` (no ``params``), or else the
    synthetic B2B generator (``params`` are its keyword arguments). Nothing is excluded or
    changed: these tables are the internal schema already."""
    if name in ("cdnow_master", "cdnow_sample"):
        from segment.data import cdnow

        if params:
            raise ValueError(f"{source}: data.{sorted(params)} not used by dataset {name}")
        loader = cdnow.load_cdnow_master if name == "cdnow_master" else cdnow.load_cdnow_sample
        tx = loader()
        fname = "CDNOW_master.txt" if name == "cdnow_master" else "CDNOW_sample.txt"
        described = {"dataset": name, "file": f"data/raw/{fname}", "sha256": cdnow.SHA256[fname], "real_data": True,
                     "zero_amount_rows_kept": cdnow.zero_amount_rows(tx)}
        return LoadResult(transactions=tx, customers=None, rows_read=len(tx), excluded={}, changed={},
                          source=described)
    from segment.data.synthetic import generate_b2b

    b2b = generate_b2b(**params)
    return LoadResult(transactions=b2b.transactions, customers=b2b.customers, rows_read=len(b2b.transactions),
                      excluded={}, changed={},
                      source={"dataset": "synthetic_b2b", "real_data": False, "generator_params": params})


def saved_without_transactions(result: Any) -> Any:
    """A shallow copy of a ``PipelineResult`` whose loaded transactions are replaced by their
    summaries (``LazyTransactions`` without a table), for pickling.

    The report notebooks read only those summaries from the transaction table (the data
    audit), and at 30 M rows pickling the table itself costs minutes and gigabytes, in
    the run and again in every notebook kernel that loads the result.
    """
    from segment.engines.table import LazyTransactions

    tx = result.loaded.transactions
    if isinstance(tx, LazyTransactions):
        kept = LazyTransactions(None, tx.summary, tx.engine)
    elif isinstance(tx, pd.DataFrame):
        kept = LazyTransactions(None, {**frame_summary(tx), "columns": list(tx.columns)}, "duckdb (in memory)")
    else:
        return result
    return dataclasses.replace(result, loaded=dataclasses.replace(result.loaded, transactions=kept))
