"""The stability study: what each stability rule buys (fewer flip-flops) and costs (top-tier
profit capture out of time), measured on a config's data at every quarter end.

    python -m segment.governance.study configs/cdnow_backtest.yaml [--methods weighted,abc_revenue]
                                       [--origins 1997-03-31,...] [--out table.csv]

prints the trade-off table (markdown, with the command, date and commit that made it, for
docs/GOVERNANCE.md) and, with ``--out``, writes it as CSV.

- **Gradings** (``quarter_histories``): the runner's gradings (``segment.runner.Runner.gradings``,
  as the backtest makes them) of each method at every origin, by default every calendar quarter
  end from the data's first day to its last; a method is graded with the config's parameters
  when the config lists it, else with its defaults. The history's ``profit`` and ``orders`` are
  those of the quarter: profit and orders to date at the origin minus those at the quarter end
  before it (0 before the data begins; always to date, even when the features use a lookback
  window).
  Outcomes (the config's horizon) only for the origins whose whole window is in the data.
- **The table** (``trade_off``, pure: tested on a synthetic history): per rule set (``RULE_SETS``)
  and method, ``flip_flop_rate`` and the customers it is measured on, ``mean_top_tier_capture``
  and ``mean_top_tier_share`` (its customers' share) over the origins with
  outcomes (and how many) after the first (no rule acts on the first grading, the same in every
  rule set), ``held_share`` (share of customer-gradings whose
  tier the rules changed) and ``review_customers`` (flagged for review at the last origin).
- A method that cannot grade at an origin, or a method name that is not registered, is a
  ``GovernanceError`` naming it; the command prints it in one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from segment.errors import EXIT_USER, GovernanceError, Problem, UserError
from segment.ids import id_numbers, same_ids
from segment.governance.stability import (History, flip_flops, history_customers, history_links, outcome_rows,
                                          share_flipped, stabilise, top_tier_capture)
from segment.horizon import Horizon
from segment.validation.tiers import OUTCOME_COLUMNS, check_outcomes

#: the rule sets of the table: label -> ``stabilise`` keywords (none: the gradings as made)
RULE_SETS: dict[str, dict[str, Any]] = {
    "none": {},
    "margin 0.05": {"margin": 0.05},
    "min_stay 2": {"min_stay": 2},
    "margin 0.05 + min_stay 2": {"margin": 0.05, "min_stay": 2},
    "review_after 2": {"review_after": 2},
}
DEFAULT_METHODS = ("weighted", "abc_revenue")
COLUMNS = ("rule_set", "method", "flip_flop_rate", "flip_flop_customers", "mean_top_tier_capture",
           "mean_top_tier_share", "origins_judged", "held_share", "review_customers")


# ------------------------------------------------------------------ the table (pure)
def trade_off(histories: Mapping[str, History], outcomes: Mapping[str, pd.DataFrame],
              rule_sets: Mapping[str, Mapping[str, Any]] = RULE_SETS) -> pd.DataFrame:
    """The trade-off table of ``histories`` (method -> history, ``segment.governance.stability``)
    judged on ``outcomes`` (origin -> outcome table; origins without one are not judged): one
    row per rule set and method, in the given orders, columns ``COLUMNS``."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    numbers = customer_numbers(histories)
    for method, history in histories.items():  # one method at a time: what it shares is let go after it
        # what every rule set shares (the rules change tiers, never who is graded): each grading's
        # customers' rows in its origin's outcome table and in the grading before, the customers as numbers
        aligned = {}
        for as_of, g in history[1:]:
            if str(as_of) in outcomes:
                check_outcomes(outcomes[str(as_of)])
                aligned[str(as_of)] = outcome_rows(g, outcomes[str(as_of)])
        # the rules and the flip-flops compare customers only with each other: by number, not by id
        history = [(as_of, g.set_axis(numbers[id(g.index)])) for as_of, g in history]
        links, customers = history_links(history), history_customers(history)
        for label, rules in rule_sets.items():
            stable = stabilise(history, **rules, links=links)
            stable_history = [(as_of, g) for (as_of, _), g in zip(history, stable)]
            judged = [(top_tier_capture(g, outcomes[str(as_of)], rows=aligned[str(as_of)]), top_share(g))
                      for as_of, g in stable_history[1:]
                      if str(as_of) in outcomes]  # not the first grading: no rule can act on it
            changed = sum(int((g["tier"] != g["raw_tier"]).sum()) for g in stable)
            graded = sum(len(g) for g in stable)
            flips = flip_flops(stable_history, customers=customers)
            found[label, method] = {
                "rule_set": label, "method": method,
                "flip_flop_rate": share_flipped(flips),
                "flip_flop_customers": len(flips),
                "mean_top_tier_capture": float(np.mean([c for c, _ in judged])) if judged else float("nan"),
                "mean_top_tier_share": float(np.mean([t for _, t in judged])) if judged else float("nan"),
                "origins_judged": len(judged),
                "held_share": changed / graded if graded else float("nan"),
                "review_customers": int(stable[-1]["review"].sum()) if stable else 0,
            }
            del stable, stable_history
        del aligned, links, customers
    rows = [found[label, method] for label in rule_sets for method in histories]  # rule set first, as shown
    return pd.DataFrame(rows, columns=list(COLUMNS))


def customer_numbers(histories: Mapping[str, History]) -> dict[int, pd.Index]:
    """Each grading's customers as numbers (an int64 index: the same number for the same customer
    in every grading of every method), by ``id`` of the grading's index. The ids are encoded once
    per index object: the gradings of one date share theirs (``quarter_histories``), and integer
    indexes keep the lookups pandas caches, which it does not for text stored by Arrow."""
    indexes = {id(g.index): g.index for history in histories.values() for _, g in history}
    if not indexes:
        return {}
    listed = list(indexes.values())
    numbers = id_numbers(listed[0].append(listed[1:]))
    out, start = {}, 0
    for key, index in indexes.items():
        out[key] = pd.Index(numbers[start:start + len(index)], name=index.name)
        start += len(index)
    return out


def top_share(grading: pd.DataFrame) -> float:
    """The share of the grading's customers in its best tier."""
    tier = grading["tier"]
    return float((tier.cat.codes == 0).mean()) if len(tier) else float("nan")


def markdown(table: pd.DataFrame) -> str:
    """The table as a markdown table (shares in per cent with one decimal)."""
    head = ["rule set", "method", "flip-flop rate", "customers measured", "mean top-tier capture",
            "customers in the top tier", "origins judged", "tiers changed by the rules", "flagged for review"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    pct = lambda v: "n/a" if pd.isna(v) else f"{100 * v:.1f} %"  # noqa: E731
    for r in table.itertuples(index=False):
        lines.append(f"| {r.rule_set} | {r.method} | {pct(r.flip_flop_rate)} | {r.flip_flop_customers:,} | "
                     f"{pct(r.mean_top_tier_capture)} | {pct(r.mean_top_tier_share)} | {r.origins_judged} | "
                     f"{pct(r.held_share)} | {r.review_customers:,} |")
    return "\n".join(lines)


# ------------------------------------------------------------------ the gradings (a config's data)
def _quarter_before(as_of: str) -> str:
    return str((pd.Timestamp(as_of) - pd.offsets.QuarterEnd(1)).date())


#: what the study reads of a grading's assignments and of its feature table
ASSIGNMENT_COLUMNS = ("tier", "score", "provisional")
FEATURE_COLUMNS = ("tenure_days", "profit", "frequency")


def study_part(g: Any, methods: Iterable[str], features: pd.DataFrame | None = None) -> Any:
    """What the study reads of the grading ``g`` (a ``segment.grading.Grading``, graded on
    ``features`` or on its own ``features``) for ``methods`` (those it has), as a grading of its own:
    copies of those columns only, so the rest of the grading's tables can be let go."""
    from segment.grading import Grading

    f = g.features if features is None else features
    return Grading(str(g.as_of), {}, {m: g.assignments[m][list(ASSIGNMENT_COLUMNS)].copy()
                                      for m in methods if m in g.assignments},
                   outcomes=None if g.outcomes is None else g.outcomes[list(OUTCOME_COLUMNS)].copy(),
                   features=None if f is None else f[list(FEATURE_COLUMNS)].copy())


def keeping(gradings: Iterable[Any], kept: dict[str, Any], methods: Callable[[], Iterable[str]]) -> Iterator[Any]:
    """``gradings`` as they come (the backtest's), keeping in ``kept`` (by date) the ``study_part``
    for ``methods()`` (asked at each grading) of each that carries its feature table, so the study
    need not grade those dates again; the feature table is then let go (the consumer does not read it)."""
    for g in gradings:
        if g.features is not None:
            kept[str(g.as_of)] = study_part(g, methods())
            g.features = None
        yield g


def _with(frame: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """``frame.join(other)`` (a left join on the customers), by position when the two list the same
    customers in the same order (the usual case: one feature table): the result then has
    ``other``'s index object."""
    if same_ids(frame.index, other.index):
        return pd.concat([frame.set_axis(other.index), other], axis=1)
    return frame.join(other)


def quarter_histories(config: Any, methods: Sequence[str] = DEFAULT_METHODS,
                      origins: Sequence[str] | None = None, *, progress: Callable[[str], None] | None = None,
                      runner: Any = None, known: Mapping[str, Any] | None = None,
                      ) -> tuple[dict[str, list[tuple[str, pd.DataFrame]]], dict[str, pd.DataFrame]]:
    """(method -> history, origin -> outcomes) of ``config``'s data (module docstring);
    ``config``: a config file or a ``RunConfig``; ``runner``: the run's ``segment.runner.Runner``
    of that config (its data and cached gradings are reused), else one is made. ``known``: date ->
    a grading the run made already with its spec (``study_part``: with its feature table), reused
    at an origin when it has every one of ``methods``, each graded as the study would grade it."""
    from segment.config import RunConfig
    from segment.features import build_features
    from segment.grading import MethodSpec
    from segment.methods.registry import METHODS
    from segment.runner import Runner
    from segment.validation.origins import quarter_ends

    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise GovernanceError([Problem(str(config), "--methods", f"{', '.join(map(repr, unknown)) or 'none given'}: "
                                       f"give registered methods ({', '.join(sorted(METHODS))})")])
    cfg = config if isinstance(config, RunConfig) else RunConfig.from_yaml(config)
    runner = runner if runner is not None else Runner.load(cfg, progress=progress)
    loaded = runner.loaded
    spec = replace(runner.spec, methods={m: MethodSpec(m, dict(cfg.methods.get(m) or {})) for m in methods})
    if origins is None:
        origins = [str(d) for d in quarter_ends(loaded.first_day, loaded.data_end)]
    origins = sorted(str(o) for o in origins)
    if len(origins) < 3:
        raise GovernanceError([Problem(str(config), "--origins", f"{', '.join(origins) or 'none'}: a flip-flop "
                                       "needs at least three consecutive gradings")])
    fkw = {**spec.feature_kwargs, "lookback_months": None}  # profit to date, whatever the features' window

    def to_date(as_of: str, features: pd.DataFrame | None = None) -> pd.DataFrame:
        """Profit and orders to ``as_of``: of ``features`` (the table the quarter was graded on)
        when its options are these (no lookback window), else from build_features without one."""
        if pd.Timestamp(as_of) < pd.Timestamp(loaded.first_day):
            return pd.DataFrame({"profit": [], "frequency": []}, dtype=float)
        if features is None or fkw != spec.feature_kwargs:
            features = build_features(runner.transactions, as_of=as_of, customers=loaded.customers, **fkw)
        return features[["profit", "frequency"]].astype(float)

    same = all(runner.spec.methods.get(m) == spec.methods[m] for m in methods)  # the run's gradings are the study's
    reused = {o: g for o, g in (known or {}).items() if same and o in origins and g.features is not None
              and all(m in g.assignments for m in methods)}
    histories: dict[str, list[tuple[str, pd.DataFrame]]] = {m: [] for m in methods}
    outcomes: dict[str, pd.DataFrame] = {}
    before = to_date(_quarter_before(origins[0]))
    for g in runner.gradings(origins, spec=spec, keep_features=True, known=reused):
        if g.not_graded:
            method, reason = next(iter(g.not_graded.items()))
            error = GovernanceError([Problem(str(cfg.source), f"methods: {method}", f"cannot grade at {g.as_of}: {reason}")])
            error.as_of = g.as_of  # the origin it cannot grade (run_trade_off measures from the next one)
            raise error
        features = g.features  # the table it was graded on (Runner.features_at's, without a cache)
        now = to_date(g.as_of, features)
        earlier = before.set_axis(now.index) if same_ids(before.index, now.index) else before.reindex(now.index)
        quarter = (now - earlier.fillna(0.0)).rename(columns={"frequency": "orders"})
        # the methods' gradings of a date share one index object (trade_off numbers each index once)
        extra = _with(features[["tenure_days"]], quarter)
        for method in methods:
            histories[method].append((g.as_of, _with(g.assignments[method][list(ASSIGNMENT_COLUMNS)], extra)))
        if g.outcomes is not None:
            outcomes[g.as_of] = g.outcomes[list(OUTCOME_COLUMNS)]  # what the table reads of them
        before = now
    return histories, outcomes


def study_methods(config: Any, published: str) -> list[str]:
    """The methods a run's study grades: the published one and ``DEFAULT_METHODS`` that the config lists."""
    return list(dict.fromkeys([published, *(m for m in DEFAULT_METHODS if m in config.methods)]))


def _quarter_ends(runner: Any) -> list[str]:
    from segment.validation.origins import quarter_ends

    return [str(d) for d in quarter_ends(runner.loaded.first_day, runner.loaded.data_end)]


def run_trade_off(config: Any, published: str, *, runner: Any = None, known: Mapping[str, Any] | None = None,
                  progress: Callable[[str], None] | None = None) -> pd.DataFrame | None:
    """The trade-off table a run shows in its analyst report (``segment.reporting.stability_views``):
    measured when the run has a rolling backtest (three or more ``backtest_origins``), at every
    quarter end of its data, for ``study_methods``; None otherwise (and when the data has fewer
    than three quarter ends). ``known``: the run's own gradings (``quarter_histories``). When a
    method cannot grade a quarter end (the supervised benchmark before it has a training window),
    the study is measured from the quarter end after it; fewer than three left: None."""
    if len(config.backtest_origins) < 3:
        return None
    from segment.runner import Runner

    methods = study_methods(config, published)
    runner = runner if runner is not None else Runner.load(config, progress=progress)
    origins = None  # every quarter end of the data, until a method cannot grade one
    while True:
        try:
            histories, outcomes = quarter_histories(config, methods, origins, progress=progress, runner=runner,
                                                    known=known)
            break
        except GovernanceError as exc:
            if [q.key for q in exc.problems] == ["--origins"]:  # fewer than three quarter ends: nothing to measure
                return None
            failed = getattr(exc, "as_of", None)
            if failed is None:
                raise
            # a method that learns from history cannot grade the first quarters: measured from the next one
            origins = [o for o in _quarter_ends(runner) if o > failed]
            if progress is not None:
                progress(f"stability study: {exc.problems[0].key.split(': ')[-1]} cannot grade at {failed}; "
                         f"measured from {origins[0] if origins else 'no later quarter end'}")
    if progress is not None:
        progress(f"stability study: the trade-off table ({len(methods)} methods x {len(RULE_SETS)} rule sets)")
    return trade_off(histories, outcomes)


def outcomes_horizon(config: str | Path) -> Horizon:
    """The outcome horizon of ``config`` (``segment.horizon.Horizon``: days or calendar units)."""
    from segment.config import RunConfig

    return RunConfig.from_yaml(config).window


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (with uncommitted changes)" if dirty else head


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segment.governance.study", description=__doc__.splitlines()[0])
    parser.add_argument("config", help="run config whose data and horizon the study uses")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS), help="comma-separated registered methods")
    parser.add_argument("--origins", default=None, help="comma-separated quarter ends (default: all in the data)")
    parser.add_argument("--out", default=None, help="also write the table as CSV here")
    args = parser.parse_args(argv)
    try:
        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
        origins = None if args.origins is None else [o.strip() for o in args.origins.split(",") if o.strip()]
        histories, outcomes = quarter_histories(args.config, methods, origins,
                                                progress=lambda m: print(m, file=sys.stderr))
        table = trade_off(histories, outcomes)
    except UserError as exc:
        for line in str(exc).splitlines():
            print(line, file=sys.stderr)
        return EXIT_USER
    dates = [as_of for as_of, _ in next(iter(histories.values()))]
    command = "python -m segment.governance.study " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"Made by `{command}` on {dt.date.today()} at commit {_commit()}; origins {dates[0]} .. {dates[-1]} "
          f"({len(dates)}), capture judged at {', '.join(sorted(set(outcomes) - {dates[0]})) or 'none'} "
          f"(the config's {outcomes_horizon(args.config).adjective} horizon; not the first origin: no rule acts "
          "on it).\n")
    print(markdown(table))
    if args.out:
        from segment.export import atomic_write

        atomic_write(Path(args.out), lambda p: table.to_csv(p, index=False))
        print(f"\nwritten: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
