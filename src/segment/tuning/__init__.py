"""Weight tuning for the weighted score: sensitivity, an out-of-time search, baselines.

``search.tune`` searches a weight grid on earlier (fold) origins and judges the chosen weights
at a later origin it never saw, on the feature and outcome tables it is handed (the pipeline's
``tune_with`` does what a run config's ``tuning:`` section asks: ``settings.TuningConfig``).
docs/TUNING.md explains the design. Import names from their modules; this package imports
nothing, so that ``segment.config`` can validate a ``tuning`` section (``settings``) without
loading statsmodels and the search.
"""
