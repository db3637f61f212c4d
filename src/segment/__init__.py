"""segment: grade customers with every textbook method and validate each out of time.

Data flow (see docs/ARCHITECTURE.md): transactions (internal table, ``segment.schema``)
-> ``segment.features.build_features`` / ``segment.outcomes.build_outcomes`` (as of a
required date) -> grading methods (``segment.methods``) -> validation
(``segment.validation``) -> notebooks and reports (``segment.reporting``).
"""

__version__ = "0.1.0"
