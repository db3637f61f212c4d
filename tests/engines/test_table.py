"""``LazyTransactions`` (segment.engines.table): a lazy handle on the engine's table, with its
summary, that pickles without the table and is not a pandas imitation."""

from __future__ import annotations

import pickle

import pytest

from segment.engines.source import load_engine_data
from segment.engines.table import LazyTransactions
from segment.features import build_features
from segment.workcache import frame_fingerprint


def test_a_pickled_handle_keeps_the_summary_not_the_engine(ibis_data):
    lazy = load_engine_data(ibis_data()).transactions
    back = pickle.loads(pickle.dumps(lazy))
    assert len(back) == len(lazy) and back.summary == lazy.summary and back.columns == lazy.columns
    assert back.engine == "ibis" and repr(back) == repr(lazy)
    with pytest.raises(TypeError, match="not kept in a saved result"):
        back.ibis_table()
    with pytest.raises(TypeError, match="not kept in a saved result"):
        build_features(back, as_of="2024-06-30", gross_margin=0.5)


def test_it_is_not_a_dataframe(ibis_data):
    """Column reads and row selection are Ibis expressions on ibis_table(), not pandas look-alikes."""
    lazy = load_engine_data(ibis_data()).transactions
    with pytest.raises(TypeError, match="not subscriptable"):
        lazy["order_ts"]
    assert lazy.ibis_table().order_ts.max().execute() == lazy.summary["last_order"]


def test_every_load_has_its_own_fingerprint(ibis_data):
    one, two = (load_engine_data(ibis_data()).transactions for _ in range(2))
    assert one.summary == two.summary and one.fingerprint() != two.fingerprint()
    assert frame_fingerprint(one) == one.fingerprint()  # segment.workcache keys on it
    assert pickle.loads(pickle.dumps(one)).fingerprint() != one.fingerprint()


def test_an_old_pickle_still_finds_the_class():
    """Results saved before the package split name the class ``segment.engines.LazyTransactions``."""
    kept = LazyTransactions(None, {"rows": 2, "columns": ["customer_id"]}, "spark")
    new = pickle.dumps(kept, protocol=2)
    old = new.replace(b"segment.engines.table\nLazyTransactions", b"segment.engines\nLazyTransactions")
    assert old != new
    back = pickle.loads(old)
    assert isinstance(back, LazyTransactions) and len(back) == 2 and back.columns == ["customer_id"]
