"""User data in: readers, column mapping, the data contract and the bad-input policies.

    from segment.io import InputSpec, load_transactions
    result = load_transactions(InputSpec.from_dict(yaml.safe_load(text)["data"]))
    result.transactions        # the internal table (segment.schema)
    result.excluded            # {reason: rows}; rows_read == rows kept + sum(excluded)

See docs/DATA.md for the contract, every option and every policy.
"""

import importlib

#: public name -> the submodule of segment.io that defines it; imported on first use, so that reading
#: an input spec (segment.io.config, for the config check) does not import DuckDB and pandera
_WHERE = {
    "LoadResult": "audit", "format_audit": "audit",
    "CustomerSpec": "config", "InputSpec": "config", "InputSpecError": "config",
    "DataContractError": "contract",
    "load_customers": "load", "load_from_config": "load", "load_transactions": "load",
    "load_transactions_frame": "load",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'segment.io' has no attribute {name!r}")
    return getattr(importlib.import_module(f"segment.io.{_WHERE[name]}"), name)
