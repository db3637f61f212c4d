"""User data in: readers, column mapping, the data contract and the bad-input policies.

    from segment.io import InputSpec, load_transactions
    result = load_transactions(InputSpec.from_dict(yaml.safe_load(text)["data"]))
    result.transactions        # the internal table (segment.schema)
    result.excluded            # {reason: rows}; rows_read == rows kept + sum(excluded)

See docs/DATA.md for the contract, every option and every policy.
"""

import importlib

#: public name -> the submodule that defines it (of segment.io, unless a full module name); imported
#: on first use, so that reading an input spec (segment.io.config, for the config check) does not
#: import DuckDB and pandera
_WHERE = {
    "LoadResult": "audit", "format_audit": "audit",
    "CustomerSpec": "config", "InputSpec": "config", "InputSpecError": "config",
    "DataContractError": "contract", "Problem": "contract",
    "TRANSACTION_SCHEMA": "load", "load_customers": "load", "load_from_config": "load", "load_transactions": "load",
    "load_transactions_frame": "load",
    "file_sha256": "segment.hashing",
}


def __getattr__(name: str):
    if name in _WHERE:
        where = _WHERE[name]
        module = where if where.startswith("segment.") else f"segment.io.{where}"
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'segment.io' has no attribute {name!r}")


__all__ = [
    "CustomerSpec",
    "DataContractError",
    "InputSpec",
    "InputSpecError",
    "LoadResult",
    "Problem",
    "TRANSACTION_SCHEMA",
    "file_sha256",
    "format_audit",
    "load_customers",
    "load_from_config",
    "load_transactions",
    "load_transactions_frame",
]
