"""User data in: readers, column mapping, the data contract and the bad-input policies.

    from segment.io import InputSpec, load_transactions
    result = load_transactions(InputSpec.from_dict(yaml.safe_load(text)["data"]))
    result.transactions        # the internal table (segment.schema)
    result.excluded            # {reason: rows}; rows_read == rows kept + sum(excluded)

See docs/DATA.md for the contract, every option and every policy.
"""

from segment.io.audit import LoadResult, format_audit
from segment.io.config import CustomerSpec, InputSpec, InputSpecError
from segment.io.contract import DataContractError, Problem
from segment.io.load import (TRANSACTION_SCHEMA, load_customers, load_from_config, load_transactions,
                             load_transactions_frame)
from segment.io.readers import file_sha256

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
