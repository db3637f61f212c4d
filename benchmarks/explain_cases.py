"""Benchmark case of issue 18 item 2 (why each customer is where it is): the reasons of every
registered method for 2.36 M customers.

``cdnow7m_explanations`` fits and assigns every method on the CDNOW x100 feature table (as
``cases.all_methods``; not timed), then times ``segment.explain.explanations`` over all of them:
the time the reasons add to a run (target: under 30 s). Per-method seconds are kept. CDNOW x100 is
each customer 100 times over, so the methods that build reasons once per distinct row
(``GradingMethod.explain_distinct_rows``) build about 23,570 and repeat them: the synthetic table
below, whose rows are all distinct, measures building every reason.

A run builds fewer reasons than these two cases: the CRM export (``published.csv``, written by
``governance.publish.publish_run``) holds the reasons of the published method only, and the analyst
report those of a few customers per tier of each method (``explain.method_examples``).
``synthetic2m_run_explanations`` times exactly that on the synthetic table, with every method in
turn as the published one: its ``seconds`` is the worst case (the slowest method's reasons for
every customer, plus every method's examples), the time the reasons add to a run.

Run alone on a synthetic table of the same size (no benchmark input needed):
``python benchmarks/explain_cases.py [customers]`` (the contract tests' feature table generator).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CDNOW = {"as_of": "1997-09-30", "horizon_days": 273, "profit": {"gross_margin": 0.25, "cost_per_order": 2.0}}


def _fitted(features, train_features, train_profit) -> tuple[dict, dict]:
    """Every registered method fitted on ``features`` and its assignment (not timed)."""
    from segment.methods.registry import METHODS, make_method

    methods, assignments = {}, {}
    for name in METHODS:
        m = make_method(name, **({"random_state": 0} if name in ("kmeans", "supervised") else {}))
        if name == "supervised":
            m.set_training(train_features, train_profit)
        assignments[name] = m.fit_assign(features)
        methods[name] = m
    return methods, assignments


def timed_explanations(features, methods: dict, assignments: dict) -> dict:
    """``explanations`` of every method, timed as a whole and per method, on one thread (as the
    pipeline's numeric libraries run, ``segment.process.thread_limits``)."""
    from segment.explain import explanations
    from segment.process import thread_limits

    per_method = {}
    with thread_limits(1):
        t = time.perf_counter()
        for name in methods:
            s = time.perf_counter()
            explanations({name: methods[name]}, features, assignments)
            per_method[name] = round(time.perf_counter() - s, 2)
        seconds = time.perf_counter() - t
    return {"seconds": seconds, "customers": len(features), "per_method_seconds": per_method}


def timed_run_explanations(features, methods: dict, assignments: dict) -> dict:
    """What the reasons add to a run (module docstring), on one thread: each method's reasons for
    every customer as ``publish_run`` builds them, and the examples per tier of every method as
    the analyst report shows them. ``seconds``: the slowest method's reasons plus all examples."""
    from segment.explain import method_examples
    from segment.process import thread_limits

    published, examples = {}, 0.0
    with thread_limits(1):
        for name, method in methods.items():
            s = time.perf_counter()
            method.explain(features, assignments[name])
            published[name] = round(time.perf_counter() - s, 2)
            s = time.perf_counter()
            method_examples(name, method, features, assignments[name])
            examples += time.perf_counter() - s
    slowest = max(published, key=published.get)
    return {"seconds": published[slowest] + examples, "customers": len(features), "slowest_published": slowest,
            "published_method_seconds": published, "examples_seconds": round(examples, 2)}


def cdnow7m_explanations(inputs) -> dict:
    """Reasons of every registered method for the 2.36 M-customer CDNOW x100 feature table."""
    from segment.outcomes import build_features_and_outcomes

    path, kw = str(inputs["cdnow_x100"]), CDNOW["profit"]
    f, _ = build_features_and_outcomes(path, as_of=CDNOW["as_of"], horizon_days=CDNOW["horizon_days"], **kw)
    train_f, train_o = build_features_and_outcomes(path, as_of="1997-06-30", horizon_days=92, **kw)
    methods, assignments = _fitted(f, train_f, train_o["profit_outcome"])
    return timed_explanations(f, methods, assignments)


def synthetic_explanations(customers: int = 2_360_000, timed=timed_explanations) -> dict:
    """The same on the contract tests' synthetic feature table (profit of a later window: the
    training target of the supervised method is a noisy copy of the table's profit); ``timed``:
    ``timed_explanations`` or ``timed_run_explanations``."""
    import warnings

    import numpy as np

    sys.path.insert(0, str(REPO))
    from tests.methods.conftest import make_feature_table

    f = make_feature_table(customers, random_state=0)
    train = make_feature_table(min(customers, 400_000), random_state=1, id_prefix="T")
    target = train["profit"] * np.random.default_rng(2).uniform(0.5, 1.5, len(train))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RFM's tied scores, BG/NBD bounds, hand-made tables without dates
        methods, assignments = _fitted(f, train, target)
    return timed(f, methods, assignments)


if __name__ == "__main__":
    print(json.dumps(synthetic_explanations(int(sys.argv[1]) if len(sys.argv) > 1 else 2_360_000)))
