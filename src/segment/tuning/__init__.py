"""Weight tuning for the weighted score: sensitivity, an out-of-time search, baselines.

``tune`` searches a weight grid on earlier (fold) origins and judges the chosen weights
at a later origin it never saw, on the feature and outcome tables it is handed (the pipeline's
``tune_with`` does what a run config's ``tuning:`` section asks: ``settings.TuningConfig``).
docs/TUNING.md explains the design.

Names are imported on first use, so that ``segment.config`` can validate a ``tuning``
section (``settings``) without loading statsmodels and the search.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "TuningConfig": "segment.tuning.settings",
    "TuningInfeasible": "segment.tuning.search",
    "TuningResult": "segment.tuning.search",
    "tune": "segment.tuning.search",
    "write_tuning": "segment.tuning.output",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'segment.tuning' has no attribute {name!r}")
