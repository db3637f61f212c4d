"""The weight explorer (issue #18 item 4): what a change of the weighted score's weights and
tier shares does, judged out of time at the run's validation origin, fast enough for sliders
(``notebooks/weight_explorer``; docs/TUNING.md, "The weight explorer").

``Explorer.from_config(path)`` loads the config's data once and builds, with the run's own
functions (``segment.runner.Runner``, ``segment.datacheck.check_data``,
``segment.validation.origins.validation_origin``), the feature and outcome tables at the
validation origin ``segment run`` judges at. Everything that does not depend on the weights is
computed there, once:

- the normalised indicator columns (``segment.tuning.evaluate.origin_data``: the weighted
  method's own normalisation, learned on the origin's features) of every indicator offered:
  the config's, the defaults', the tuned weights' and those of ``OFFERED`` the data has (every
  column present, with at least one value);
- outcome profit, its total, and the customer-id permutation of the leaderboard's ordering;
- the paired Poisson bootstrap's replicate weights of the top-tier capture (``n_boot`` x
  customers, drawn exactly as the leaderboard draws them, from ``validation.random_state``;
  capacity's are ``segment.validation.capacity``'s own), kept in memory when they take
  at most ``KEEP_WEIGHTS_MB``; a larger table redraws them per update from the same seed
  (the same numbers, slower);
- the reference gradings, each with the config's tier rule: the config's weights ("in the
  config"), the package defaults (``DEFAULT_WEIGHTS``) and the tuned weights (the config's
  ``tuning:`` search, or ``<run_dir>/tuning/tuned_weights.yaml``; neither: there are none).

``update(weights, tier_shares)`` scores (``tuning.evaluate.candidate_score``: the weighted
method's own arithmetic, so the same weights give the run's tiers exactly), cuts tiers by the
method's rule (cumulative customer shares; equal scores share a tier, a tie at a cut goes up)
and judges, against every reference, paired on the same customers and replicates:

- top-tier profit capture: the top tier's share of next-period profit (the leaderboard's
  ``top_tier_profit_capture``);
- capacity: next-period profit, in money, of the top ``decision.key_accounts`` customers of the
  leaderboard's ordering (tier, then score, then customer id; capped at the customers there),
  by ``segment.validation.capacity`` (the run's capacity table and its paired replicates).

A difference's interval is the percentile interval (``validation.level``) of the replicate
differences; "clearly better / worse" when it excludes 0 (no replicates: no interval). Bad
input (a negative weight, all weights zero, an unknown indicator, shares that do not increase)
gives a view with a plain ``message`` and nothing else, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from segment.errors import ConfigError, Problem
from segment.methods.base import codes_from_thresholds, feature_name, money, percent, thresholds_from_shares
from segment.methods.weighted import DEFAULT_WEIGHTS, DEFAULT_WEIGHTS_SEEN_TO
from segment.tuning.evaluate import candidate_score, method_for, origin_data, tier_codes
from segment.tuning.fragment import fragment_dict
from segment.validation.leaderboard import bootstrap_sums, replicate_weights
from segment.validation.capacity import capacity_table, served
from segment.validation.metrics import Ranking, id_permutation, order_from

#: the reference weight sets, by the name the view shows
IN_CONFIG, DEFAULTS, TUNED = "in the config", "package defaults", "tuned"
#: the weights being explored, as the view names them
THESE = "these weights"
#: feature columns (and indicators) a weighted score commonly weighs: offered besides the
#: config's, the defaults' and the tuned weights' indicators when the data has them
OFFERED = ("monetary_total", "profit", "recency_days", "growth_trend", "frequency", "credit_status")
#: the replicate weights are kept between updates up to this size (CDNOW, 23,570 x 200: 19 MB)
KEEP_WEIGHTS_MB = 256
#: rows per block of the replicate weights: the leaderboard's (``bootstrap_sums``), so that the
#: explorer's replicates are the leaderboard's
BLOCK_ROWS = 65_536
#: the measures judged, as the view names them
CAPTURE, CAPACITY = "top_tier_profit_capture", "key_account_profit"


@dataclass
class ExplorerView:
    """One update of the explorer. ``message``: why the input cannot be judged, in plain words
    (then every table is empty and ``fragment`` is ""). Otherwise:

    - ``figures``: one row per weight set (these weights first, then the references): weights,
      top-tier customers and share, top-tier profit capture, profit of the top ``key_accounts``
      customers (money) and its share of all next-period profit;
    - ``differences``: these weights minus each reference, per measure (``top_tier_profit_capture``
      as a share, ``key_account_profit`` in money): difference, low, high (paired interval at
      ``level``; NaN without replicates), clearly_better / clearly_worse (NA without an interval);
    - ``tier_sizes``: per tier, customers, share of customers and share of next-period profit;
    - ``tiers``: each customer's tier (ordered categorical, best first) under these weights;
    - ``fragment``: the YAML ``weighted:`` entry with these weights and shares, to paste under
      ``methods:``."""

    weights: dict[str, float]
    tier_shares: tuple[float, ...]
    origin: str
    window_end: str
    key_accounts: int
    level: float
    currency: str | None = None
    message: str | None = None
    figures: pd.DataFrame = field(default_factory=pd.DataFrame)
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    tier_sizes: pd.DataFrame = field(default_factory=pd.DataFrame)
    tiers: pd.Series | None = None
    fragment: str = ""
    notes: list[str] = field(default_factory=list)

    def headline(self) -> str:
        """The answer in plain text: the top tier's size and capture, and the key accounts' profit."""
        if self.message is not None:
            return self.message
        row = self.figures.iloc[0]
        money_in = f" {self.currency}" if self.currency else ""
        capture = "not defined (no next-period profit)" if pd.isna(row[CAPTURE]) else percent(row[CAPTURE])
        return (f"Tested at {self.origin} against what customers did up to {self.window_end}: with these weights "
                f"the top tier holds {int(row['top_tier_customers']):,} customers "
                f"({percent(row['top_tier_share'])}) and made {capture} of next-period profit; the top "
                f"{self.key_accounts:,} customers made {money(row[CAPACITY])}{money_in}.")

    def displayables(self) -> tuple[Any, ...]:
        """What the notebook displays, every text escaped: the headline, the figures, the paired
        differences, the tier sizes, the notes and the fragment."""
        from IPython.display import Code, Markdown

        from segment.methods.reference import text
        from segment.reporting.tables import bullets, styled

        if self.message is not None:
            return (Markdown(f"**{text(self.message)}**"),)
        out: list[Any] = [Markdown(text(self.headline())),
                          styled(self.figures_text(), "explorer_figures"),
                          styled(self.differences_text(), "explorer_differences"),
                          styled(self.tier_sizes_text(), "explorer_tier_sizes")]
        if self.notes:
            out.append(Markdown(bullets(self.notes)))
        out += [Markdown(text("The config fragment (paste under methods: in place of the weighted entry):")),
                Code(self.fragment, language="yaml")]
        return tuple(out)

    # ------------------------------------------------------------------ tables as text
    def _money_header(self, what: str) -> str:
        return f"{what} ({self.currency})" if self.currency else what

    def figures_text(self) -> pd.DataFrame:
        """``figures`` as the reader sees it: shares in %, money with 2 decimals; blank when undefined."""
        f = self.figures
        return pd.DataFrame({
            "weight set": f["weight_set"], "weights": f["weights"],
            "top tier: customers": f["top_tier_customers"].map("{:,}".format),
            "top tier: share of customers": f["top_tier_share"].map(_percent_or_blank),
            "top-tier profit capture": f[CAPTURE].map(_percent_or_blank),
            self._money_header(f"profit of the top {self.key_accounts:,} customers"): f[CAPACITY].map(money),
            "their share of all profit": f["key_account_profit_share"].map(_percent_or_blank),
        })

    def differences_text(self) -> pd.DataFrame:
        """``differences`` as the reader sees it: the difference with its paired interval in one
        cell (capture in percentage points, capacity in money) and the verdict in words."""
        d = self.differences
        if d.empty:
            return pd.DataFrame({"compared with": []})
        cells, verdicts = [], []
        for metric, diff, low, high, better, worse in d[["metric", "difference", "low", "high", "clearly_better",
                                                         "clearly_worse"]].itertuples(index=False):
            show = _points if metric == CAPTURE else _signed_money
            interval = "" if pd.isna(low) else f" [{show(low)}, {show(high)}]"
            cells.append("" if pd.isna(diff) else show(diff) + interval)
            verdicts.append("no interval" if pd.isna(better) else "clearly better" if better
                            else "clearly worse" if worse else "no clear difference")
        measure = {CAPTURE: "top-tier profit capture (points)",
                   CAPACITY: self._money_header(f"profit of the top {self.key_accounts:,} customers")}
        return pd.DataFrame({"compared with": d["reference"], "their weights": d["reference_weights"],
                             "measure": d["metric"].map(measure),
                             f"difference [{self.level:.0%} paired interval]": cells,
                             "verdict": verdicts})

    def tier_sizes_text(self) -> pd.DataFrame:
        t = self.tier_sizes
        return pd.DataFrame({"tier": t["tier"], "customers": t["customers"].map("{:,}".format),
                             "share of customers": t["share"].map(_percent_or_blank),
                             "share of next-period profit": t["profit_share"].map(_percent_or_blank)})


def weights_words(weights: dict[str, float]) -> str:
    """``revenue 0.60, profit 0.10, days since the last order 0.30``: each weight relative to their
    sum; zero weights are left out."""
    total = sum(weights.values())
    return ", ".join(f"{feature_name(k)} {v / total:.2f}" for k, v in weights.items() if v) if total else ""


def _percent_or_blank(share: float) -> str:
    return "" if pd.isna(share) else percent(share)


def _points(share_difference: float) -> str:
    """A difference of two shares in percentage points, signed, two decimals."""
    return f"{100 * share_difference:+.2f}"


def _signed_money(value: float) -> str:
    return ("+" if value >= 0 else "-") + money(abs(value))


@dataclass
class _Graded:
    """One weight set's grading at the origin, as the judging needs it: its ordering (tier
    codes, score, the leaderboard's order), the top tier's profit per customer (0 elsewhere)
    and its top-tier profit capture."""

    weights: dict[str, float]
    ranking: Ranking
    top: np.ndarray
    capture: float
    assignment: pd.DataFrame  # tier and score per customer (the outcome table's rows)


class Explorer:
    """The weighted score at one origin, re-graded and judged for any weights and tier shares.

    ``features`` and ``outcomes``: the tables at ``origin`` (same customers, same order; the
    outcome window ends ``window_end``); ``method_params``: the config's weighted method
    parameters (its weights and tier rule are the "in the config" reference); ``tuned``: the
    tuned weights, or None; ``key_accounts``: the capacity (capped at the customers);
    ``n_boot``, ``random_state``, ``level``: the validation settings of the paired intervals."""

    def __init__(self, features: pd.DataFrame, outcomes: pd.DataFrame, *, origin: str, window_end: str,
                 method_params: dict[str, Any], provisional_days: int = 182, key_accounts: int = 2000,
                 n_boot: int = 200, random_state: int = 0, level: float = 0.95,
                 tuned: dict[str, float] | None = None, currency: str | None = None,
                 notes: list[str] | None = None, data_kind: str = "") -> None:
        self.origin, self.window_end, self.currency = str(origin), str(window_end), currency
        self.provisional_days, self.n_boot, self.random_state, self.level = (
            int(provisional_days), int(n_boot), int(random_state), float(level))
        self.params = {k: v for k, v in dict(method_params).items() if k != "weights"}
        probe = method_for(dict(method_params.get("weights") or DEFAULT_WEIGHTS), self.params, self.provisional_days)
        self.config_weights = {str(k): float(v) for k, v in probe.weights.items()}
        self.tier_shares = tuple(float(s) for s in probe.tier_shares)
        self.notes = list(notes or [])
        if self.params.get("tier_cuts") is not None:
            k = len(probe.labels)
            if len(self.tier_shares) != k - 1:  # the sliders need one share per tier but the last
                self.tier_shares = tuple(i / k for i in range(1, k))
            self.notes.append("the config cuts tiers at fixed scores (tier_cuts): the sliders cut at customer "
                              "shares, and the fragment replaces tier_cuts by them")
        n = len(outcomes)
        self.key_accounts, capped = served(key_accounts, n)
        self.notes += [capped] if capped else []
        references = {IN_CONFIG: self.config_weights, DEFAULTS: dict(DEFAULT_WEIGHTS)}
        if tuned:
            references[TUNED] = {str(k): float(v) for k, v in tuned.items()}
        wanted = [*self.config_weights, *(k for w in references.values() for k in w), *OFFERED]
        self.indicators = tuple(name for name in dict.fromkeys(wanted) if _available(probe, features, name))
        data = origin_data(features, outcomes, origin=self.origin, role="explorer", window_end=self.window_end,
                           indicators=self.indicators, base_params=self.params,
                           provisional_days=self.provisional_days)
        self.labels, self.index, self._outcomes = data.labels, outcomes.index, outcomes
        self._tier_dtype = pd.CategoricalDtype(list(self.labels), ordered=True)
        self._columns = {name: np.ascontiguousarray(data.matrix[:, j]) for j, name in enumerate(self.indicators)}
        self._profit = data.profit
        self._total = self._profit.sum()
        self._by_id = id_permutation(outcomes.index)
        keep = self.n_boot * n * 4 <= KEEP_WEIGHTS_MB * 2**20
        self._replicates = (list(replicate_weights(n, n_boot=self.n_boot, random_state=self.random_state,
                                                     block_rows=BLOCK_ROWS)) if keep and self.n_boot else None)
        self.references: dict[str, _Graded] = {}
        for name, w in references.items():
            missing = [k for k in w if k not in self._columns]
            if missing:
                self.notes.append(f"the {name} weights ({weights_words(w)}) weigh "
                                  f"{', '.join(map(feature_name, missing))}, which this data lacks: not compared")
            else:
                self.references[name] = self._grade(w, self.params)
        self.notes += self._reference_notes(probe.uses_default_weights, tuned, data_kind)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, path: str | Path, *, run_dir: str | Path | None = None) -> "Explorer":
        """The explorer of the config at ``path``: its data loaded once, the feature and outcome
        tables at its validation origin (as ``segment run`` builds them), its weighted method's
        parameters (the package's when the config has no weighted method), its capacity
        (``decision.key_accounts``) and validation settings. The tuned weights: those of
        ``<run_dir>/tuning/tuned_weights.yaml`` when ``run_dir`` is given, else the config's
        ``tuning:`` search (run here), else none."""
        from segment.config import RunConfig
        from segment.datacheck import check_data
        from segment.decision import decision_settings
        from segment.runner import Runner
        from segment.validation.origins import validation_origin
        from segment.validation.settings import ValidationSettings

        cfg = RunConfig.from_yaml(path)
        runner = Runner.load(cfg)
        check_data(cfg, runner.loaded)
        origin, origin_note = validation_origin(cfg.as_of, cfg.window, runner.loaded.data_end)  # the pipeline's call
        notes = [origin_note]
        if "weighted" not in cfg.methods:
            notes.append("the config has no weighted method: the package's default parameters stand in for it")
        tuned, tuned_note = _tuned_weights(cfg, runner, run_dir, origin)
        notes += [tuned_note] if tuned_note else []
        v = ValidationSettings(**cfg.validation)
        dataset = str(runner.loaded.source.get("dataset", ""))
        return cls(runner.features_at(origin), runner.outcomes_at(origin), origin=origin,
                   window_end=str(cfg.window.end(origin)),
                   method_params=dict(cfg.methods.get("weighted", {})), provisional_days=cfg.provisional_days,
                   key_accounts=decision_settings(cfg.decision).key_accounts, n_boot=v.n_boot,
                   random_state=v.random_state, level=v.level, tuned=tuned, currency=cfg.currency, notes=notes,
                   data_kind="cdnow" if dataset.startswith("cdnow") else "")

    def _reference_notes(self, config_is_default: bool, tuned: dict[str, float] | None, data_kind: str) -> list[str]:
        notes = []
        if config_is_default:
            notes.append("the config's weights are the package defaults: those two comparisons are the same")
        if not tuned:
            notes.append("there are no tuned weights to compare with (the config has no tuning: section and no run "
                         "folder with tuning/tuned_weights.yaml was given)")
        if data_kind == "cdnow" and self.origin < DEFAULT_WEIGHTS_SEEN_TO:  # the leadership page's rule
            notes.append(f"the package defaults were tuned on CDNOW outcomes up to {DEFAULT_WEIGHTS_SEEN_TO}, after "
                         f"this test date ({self.origin}): for them this test is not fully out of time")
        return notes

    # ------------------------------------------------------------------ the sliders
    def slider_settings(self, step: float = 0.05) -> dict[str, dict[str, Any]]:
        """Control key -> ``ipywidgets.FloatSlider`` keyword arguments: one slider per offered
        indicator (at its config weight, 0 when the config does not weigh it) and one per tier
        share (the cumulative share of customers closing each tier but the last). ``show``
        takes the same keys."""
        style = {"description_width": "initial"}
        top = max([1.0, *self.config_weights.values()])
        out = {f"weight:{name}": {"description": f"weight of {feature_name(name)}", "min": 0.0, "max": top,
                                  "step": step, "value": self.config_weights.get(name, 0.0),
                                  "continuous_update": False, "style": style}
               for name in self.indicators}
        for i, share in enumerate(self.tier_shares):
            out[f"share:{i}"] = {"description": f"{self.labels[i]}: share of customers up to its end", "min": 0.01,
                                 "max": 1.0, "step": 0.01, "value": share, "continuous_update": False, "style": style}
        return out

    @staticmethod
    def values_from(controls: dict[str, float]) -> tuple[dict[str, float], tuple[float, ...]]:
        """(weights, tier shares) from slider values by ``slider_settings``' keys."""
        weights = {k.removeprefix("weight:"): float(v) for k, v in controls.items() if k.startswith("weight:")}
        shares = sorted((int(k.removeprefix("share:")), float(v)) for k, v in controls.items()
                        if k.startswith("share:"))
        return weights, tuple(v for _, v in shares)

    def show(self, **controls: float) -> None:
        """Update with the slider values ``controls`` (keys of ``slider_settings``) and display the view."""
        from IPython.display import display

        display(*self.update(*self.values_from(controls)).displayables())

    # ------------------------------------------------------------------ one update
    def update(self, weights: dict[str, float], tier_shares: tuple[float, ...] | None = None) -> ExplorerView:
        """Re-grade with ``weights`` (indicator -> weight, relative to their sum; zero weights do
        nothing and are left out of the fragment) and ``tier_shares`` (cumulative customer shares
        closing each tier but the last; None: the config's tier rule) and judge the grading
        against the references (module docstring)."""
        shares = self.tier_shares if tier_shares is None else tuple(tier_shares)
        view = ExplorerView(weights=dict(weights), tier_shares=shares, origin=self.origin,
                            window_end=self.window_end, key_accounts=self.key_accounts, level=self.level,
                            currency=self.currency)
        clean, message = self._checked_weights(weights)
        if message is None and tier_shares is not None:
            message = self._shares_problem(shares)
        if message is not None:
            view.message = message
            return view
        params = self.params if tier_shares is None else {**self.params, "tier_shares": shares, "tier_cuts": None}
        graded = self._grade(clean, params)
        covered, capacity = self._capacity(graded)
        view.weights = clean
        view.figures = self._figures(graded, covered)
        view.differences = self._differences(graded, capacity)
        view.tier_sizes = self._tier_sizes(graded.ranking.codes)
        view.tiers = graded.assignment["tier"]
        view.fragment = self._fragment(clean, params, view)
        view.notes = list(self.notes) + ([] if self.n_boot else ["validation.n_boot is 0: no intervals"])
        return view

    def _checked_weights(self, weights: Any) -> tuple[dict[str, float], str | None]:
        """(the positive weights, None), or ({}, why they cannot be used, in plain words)."""
        if not isinstance(weights, dict) or not weights:
            return {}, "Give at least one weight."
        offered = ", ".join(f"{feature_name(n)} ({n})" for n in self.indicators)
        unknown = [str(k) for k in weights if k not in self._columns]
        if unknown:
            return {}, (f"There is no indicator called {', '.join(unknown)} in this data; the explorer offers "
                        f"{offered}.")
        values = {}
        for name, w in weights.items():
            try:
                values[name] = float(w)
            except (TypeError, ValueError):
                return {}, f"The weight of {feature_name(name)} is not a number."
            if not np.isfinite(values[name]):
                return {}, f"The weight of {feature_name(name)} is not a number."
            if values[name] < 0:
                return {}, f"Weights cannot be negative: {feature_name(name)} has {values[name]:g}."
        if sum(values.values()) <= 0:
            return {}, "At least one weight must be above zero (the weights count relative to their sum)."
        return {k: v for k, v in values.items() if v > 0}, None

    def _shares_problem(self, shares: tuple[float, ...]) -> str | None:
        need = len(self.labels) - 1
        try:
            s = [float(x) for x in shares]
        except (TypeError, ValueError):
            return "The tier shares must be numbers."
        if len(s) != need:
            return (f"Give {need} tier share{'s' if need != 1 else ''}, the share of customers up to the end of "
                    f"each tier but the last ({', '.join(self.labels[:-1])}); got {len(s)}.")
        if not all(np.isfinite(s)) or s[0] <= 0 or s[-1] > 1 or any(b <= a for a, b in zip(s, s[1:])):
            return (f"The tier shares count customers from the top: each must be above the one before and at most "
                    f"100 % ({', '.join(f'{lab} ends at {percent(x)}' for lab, x in zip(self.labels, s))}).")
        return None

    def _grade(self, weights: dict[str, float], params: dict[str, Any]) -> _Graded:
        """The weighted method's grading with ``weights`` and ``params``' tier rule, from the
        precomputed normalised columns (the method's own arithmetic: ``candidate_score``)."""
        score = candidate_score(np.array(list(weights.values())), [self._columns[k] for k in weights])
        codes = tier_codes(score, params)
        ranking = Ranking(codes=codes, score=score, order=order_from(codes, score, self._by_id), labels=self.labels,
                          provisional=np.zeros(len(codes), dtype=bool))
        top = np.where(codes == 0, self._profit, 0.0)
        total = self._total
        capture = float(self._profit[codes == 0].sum() / total) if total else np.nan  # the leaderboard's figure
        assignment = pd.DataFrame({"tier": pd.Categorical.from_codes(codes, dtype=self._tier_dtype), "score": score},
                                  index=self.index)
        return _Graded(dict(weights), ranking, top, capture, assignment)

    def _capacity(self, graded: _Graded) -> tuple[dict[str, float], pd.DataFrame]:
        """(weight set -> profit of its key accounts, these weights minus each reference), by
        ``segment.validation.capacity`` (the run's capacity table: the same figures, its own
        paired replicates)."""
        graded_sets = {THESE: graded, **self.references}
        table, diffs = capacity_table({name: g.assignment for name, g in graded_sets.items()}, self._outcomes,
                                      key_accounts=self.key_accounts, references={n: n for n in self.references},
                                      n_boot=self.n_boot, random_state=self.random_state, level=self.level,
                                      rankings={name: g.ranking for name, g in graded_sets.items()})
        covered = table.set_index("method")["profit_covered"].to_dict()
        return covered, diffs[diffs["method"] == THESE].set_index("reference")

    def _figures(self, graded: _Graded, covered: dict[str, float]) -> pd.DataFrame:
        rows = []
        n = graded.ranking.n
        for name, g in {THESE: graded, **self.references}.items():
            n_top = int((g.ranking.codes == 0).sum())
            rows.append({"weight_set": name, "weights": weights_words(g.weights), "top_tier_customers": n_top,
                         "top_tier_share": n_top / n if n else np.nan, CAPTURE: g.capture, CAPACITY: covered[name],
                         "key_account_profit_share": covered[name] / self._total if self._total else np.nan})
        return pd.DataFrame(rows)

    def _differences(self, graded: _Graded, capacity: pd.DataFrame) -> pd.DataFrame:
        """These weights minus each reference, per measure, with paired intervals. Top-tier
        capture: the leaderboard's replicates, summed over the per-customer differences (exactly
        0 for the same top tier); capacity: ``capacity``, from ``_capacity``."""
        refs = list(self.references.values())
        sums = self._replicate_sums(np.column_stack([self._profit] + [graded.top - r.top for r in refs])) \
            if self.n_boot else None
        lo_q, hi_q = 50 * (1 - self.level), 100 - 50 * (1 - self.level)
        rows = []
        for j, (name, r) in enumerate(self.references.items(), start=1):
            low = high = np.nan
            if sums is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    reps = sums[:, j] / sums[:, 0]
                reps = reps[np.isfinite(reps)]
                if len(reps):
                    low, high = float(np.percentile(reps, lo_q)), float(np.percentile(reps, hi_q))
            c = capacity.loc[name]
            for metric, point, lo, hi in ((CAPTURE, graded.capture - r.capture, low, high),
                                          (CAPACITY, float(c["difference"]), float(c["low"]), float(c["high"]))):
                rows.append({"reference": name, "reference_weights": weights_words(r.weights), "metric": metric,
                             "difference": point, "low": lo, "high": hi,
                             "clearly_better": pd.NA if np.isnan(lo) else bool(lo > 0),
                             "clearly_worse": pd.NA if np.isnan(hi) else bool(hi < 0)})
        return pd.DataFrame(rows, columns=["reference", "reference_weights", "metric", "difference", "low", "high",
                                           "clearly_better", "clearly_worse"])

    def _replicate_sums(self, columns: np.ndarray) -> np.ndarray:
        """(n_boot x m) Poisson-weighted column sums, with the leaderboard's replicates."""
        return bootstrap_sums(columns, n_boot=self.n_boot, random_state=self.random_state, block_rows=BLOCK_ROWS,
                              weights=self._replicates)

    def _tier_sizes(self, codes: np.ndarray) -> pd.DataFrame:
        k, n = len(self.labels), len(codes)
        counts = np.bincount(codes, minlength=k)
        profit = np.bincount(codes, weights=self._profit, minlength=k)
        return pd.DataFrame({"tier": list(self.labels), "customers": counts,
                             "share": counts / n if n else np.nan,
                             "profit_share": profit / self._total if self._total else np.nan})

    def _fragment(self, weights: dict[str, float], params: dict[str, Any], view: ExplorerView) -> str:
        """The ``weighted:`` entry with these weights and the tier rule, headed by what it was judged on."""
        base = {k: v for k, v in params.items() if k != "tier_cuts" or v is not None}
        if "tier_shares" in base:  # slider steps leave float noise (0.35000000000000003)
            base["tier_shares"] = [round(float(x), 6) for x in base["tier_shares"]]
        entry = fragment_dict(weights, base)["methods"]
        row = view.figures.iloc[0]
        capture = "undefined" if pd.isna(row[CAPTURE]) else percent(row[CAPTURE])
        head = [f"# Weighted score from the weight explorer, tested at {self.origin} (outcomes to {self.window_end}):",
                f"# top-tier profit capture {capture}; profit of the top {self.key_accounts:,} customers "
                f"{money(row[CAPACITY])}{' ' + self.currency if self.currency else ''}.",
                "# Paste under methods: in place of the weighted entry."]
        return "\n".join(head) + "\n" + yaml.safe_dump(entry, sort_keys=False, default_flow_style=None)


def _available(probe: Any, features: pd.DataFrame, name: str) -> bool:
    """Whether the weighted method can weigh ``name`` here: every column behind it is in the
    table and has at least one value."""
    cols = probe.columns_of(name)
    return all(c in features.columns and features[c].notna().any() for c in cols)


def _tuned_weights(cfg: Any, runner: Any, run_dir: str | Path | None,
                   origin: str) -> tuple[dict[str, float] | None, str]:
    """(the tuned weights or None, a note on where they come from and, when the search read
    outcomes after ``origin``, that their test here is in sample)."""
    if run_dir:
        path = Path(run_dir) / "tuning" / "tuned_weights.yaml"
        if not path.is_file():
            return None, f"the run folder {run_dir} has no tuning/tuned_weights.yaml: no tuned weights to compare with"
        return read_tuned_weights(path), f"the tuned weights are those of {path}"
    if cfg.tuning:
        from segment.pipeline import tune_with

        result = tune_with(cfg, runner)
        s = result.settings
        note = (f"the tuned weights come from the config's tuning: section (searched on {', '.join(s.fold_origins)}, "
                f"judged at {s.judged_origin})")
        if origin < str(s.judged_origin):  # the search read outcomes up to the judged origin
            note += (f"; the search read outcomes up to {s.judged_origin}, after this test date ({origin}): for them "
                     "this test is not out of time")
        return dict(result.chosen), note
    return None, ""


def read_tuned_weights(path: Path) -> dict[str, float]:
    """The weights of a tuned-weights fragment (``methods.weighted.weights``); a file that lacks
    them is a ``ConfigError`` naming the file and the key."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        weights = raw["methods"]["weighted"]["weights"]
        return {str(k): float(v) for k, v in weights.items()}
    except (yaml.YAMLError, TypeError, KeyError, AttributeError, ValueError):
        raise ConfigError([Problem(str(path), "methods.weighted.weights",
                                   "is not a mapping of indicators to numbers: not a tuned-weights file")]) from None
