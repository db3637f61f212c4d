"""segment: grade customers with every textbook method and validate each out of time.

Data flow (see docs/ARCHITECTURE.md), one-way: config (``segment.config``) -> load
(``segment.load``: the internal transaction table, ``segment.schema``) -> features and
outcomes as of a required date (``segment.features``, ``segment.outcomes``) -> grading
(``segment.grading`` with the methods of ``segment.methods``) -> judging
(``segment.validation``, ``segment.tuning``) -> notebooks and reports (``segment.reporting``).
``segment.pipeline`` orders the stages of a run; ``segment.runner`` owns their plumbing.
"""

__version__ = "0.1.0"
