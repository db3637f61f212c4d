"""Governance across reruns of a series: the grade ledger (what each run published and the run
before this one), the movement of each customer between two published gradings with its
reason, the drift (PSI) of tier shares and indicators between them, and the run-level step
that writes them into a run folder (``publish``), and the optional stable-grade rules with
their measures (``stability``; ``python -m segment.governance.study`` measures the trade-off).

Importing this package imports its modules and nothing else happens (no I/O).
"""

from segment.errors import GovernanceError
from segment.governance.drift import drift_table, psi, psi_level, psi_shares
from segment.governance.ledger import (LedgerEntry, entry_of, find_previous, published_record, published_table,
                                       read_published, series_runs, write_published)
from segment.governance.movement import movement, movement_matrix
from segment.governance.publish import Publication, publish_run
from segment.governance.stability import flip_flop_rate, stabilise, top_tier_capture

__all__ = [
    "GovernanceError", "LedgerEntry", "Publication", "drift_table", "entry_of", "find_previous", "movement",
    "movement_matrix", "psi", "psi_level", "psi_shares", "publish_run", "published_record", "published_table",
    "read_published", "series_runs", "stabilise", "flip_flop_rate", "top_tier_capture", "write_published",
]
