"""Governance across reruns of a series: the grade ledger (what each run published and the run
before this one), the movement of each customer between two published gradings with its
reason, and the drift (PSI) of tier shares and indicators between them.

Importing this package imports its modules and nothing else happens (no I/O).
"""

from segment.governance.drift import drift_table, psi, psi_level, psi_shares
from segment.governance.ledger import (GovernanceError, LedgerEntry, entry_of, find_previous, published_record,
                                       published_table, read_published, series_runs, write_published)
from segment.governance.movement import movement, movement_matrix

__all__ = [
    "GovernanceError", "LedgerEntry", "drift_table", "entry_of", "find_previous", "movement", "movement_matrix",
    "psi", "psi_level", "psi_shares", "published_record", "published_table", "read_published", "series_runs",
    "write_published",
]
