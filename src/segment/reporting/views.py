"""Tables and text the notebooks show, computed from a PipelineResult.

Notebooks call these and display the result; nothing here prints. The sections that belong to
one method come from the method's class (``report_sections``, read through
``registry.describe``): ``method_sections`` yields them for every graded method, so no
notebook or view names a method.

Nothing from the input becomes markup: text from a file, the config or the data enters
Markdown only escaped (``segment.methods.reference.text``; ``bullets`` for lists of plain
lines), and tables are shown as DataFrames (pandas escapes them) or through ``styled``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
from IPython.display import Markdown

from segment.methods.reference import code, paragraph, text
from segment.methods.registry import METHODS, describe
from segment.pipeline import PipelineResult, load_result, run_pipeline
from segment.reporting import plots


def bullets(lines) -> str:
    """Plain-text lines (notes, assumptions; they may quote file names, labels or messages) as a
    Markdown list, each line escaped so that nothing in it becomes markup."""
    return "\n".join(f"- {paragraph(text(line))}" for line in lines)


def styled(table: pd.DataFrame, uuid: str, formats: dict[str, str] | None = None, precision: int | None = None):
    """``table`` as a Styler without the row numbers, every cell and column label HTML-escaped
    (a Styler, unlike a DataFrame, shows its text as markup unless told), missing values as blank
    cells (no ``NaN`` or ``<NA>``), text never cut; ``formats``: column -> format string,
    ``precision``: decimals of the other float columns. A fixed ``uuid`` keeps reruns byte-identical."""
    return (table.style.hide(axis="index").format(formats, escape="html", na_rep="", precision=precision)
            .format_index(escape="html", axis=1).set_uuid(uuid))


def load_or_run(run_dir: str, config: str) -> PipelineResult:
    """The run's saved result, or (no run_dir: interactive use, nbval) a fresh run of ``config``."""
    if run_dir:
        return load_result(Path(run_dir) / "artifacts" / "result.pkl")
    return run_pipeline(config)


def top_share(values: pd.Series, customer_share: float = 0.2) -> float:
    """Share of the total made by the top ``customer_share`` of customers (ceil of the count;
    missing values count as customers and add nothing). Summed highest first, so the figure
    never depends on row order: customers tied at the cut have the same value, so which of
    them is counted changes no bit of it (no sort by customer_id needed)."""
    v = values.to_numpy(dtype=float)
    missing = np.isnan(v)
    ordered = pd.Series(np.concatenate([np.sort(v[~missing])[::-1], v[missing]]))
    total = float(ordered.sum())
    if len(ordered) == 0 or total == 0:
        return float("nan")
    k = math.ceil(customer_share * len(ordered))
    return float(ordered.iloc[:k].sum() / total)


def audit_table(result: PipelineResult) -> pd.DataFrame:
    """What was read and kept, as (item, value) rows. The transaction figures are the load's
    summary (``LoadResult.transaction_summary``): a saved result keeps only that, not the table."""
    loaded, tx = result.loaded, result.loaded.transaction_summary()
    f = result.features
    rows = [
        ("source", loaded.source.get("file") or loaded.source.get("dataset")),
        ("real data", "yes" if loaded.source.get("real_data") else "no (synthetic, for testing)"),
        ("input SHA-256", loaded.source.get("sha256", "n/a (generated)")),
        ("rows read", loaded.rows_read),
        ("rows kept", int(tx["rows"])),
    ]
    rows += [(f"rows excluded: {reason}", n) for reason, n in loaded.excluded.items()]
    rows += [(f"rows changed: {reason}", n) for reason, n in loaded.changed.items()]
    rows += [
        ("zero-amount rows (kept as zero-revenue orders)", int(tx["zero_amount_rows"])),
        ("customers in the data", int(tx["customers"])),
        ("first order date", str(pd.Timestamp(tx["first_order"]).date())),
        ("last order date", str(pd.Timestamp(tx["last_order"]).date())),
        (f"customers graded (first order on or before {result.config.as_of})", len(f)),
        (f"revenue share of the top 20 % of customers as of {result.config.as_of}", round(top_share(f["monetary_total"]), 4)),
        (f"profit share of the top 20 % of customers as of {result.config.as_of}", round(top_share(f["profit"]), 4)),
        ("customers with negative profit", int((f["profit"] < 0).sum())),
        ("customers with one order", int((f["frequency"] == 1).sum())),
    ]
    assumptions = f.attrs.get("assumptions", {})
    rows += [(f"assumption: {k}", v) for k, v in assumptions.items()]
    return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": "str"})


def tier_sizes(result: PipelineResult) -> pd.DataFrame:
    """Long table: method, tier, customers, share, revenue and profit (features at the grading date)."""
    rows = []
    f = result.features
    for name, a in result.assignments.items():
        g = pd.DataFrame({"tier": a["tier"], "revenue": f["monetary_total"], "profit": f["profit"]}).groupby(
            "tier", observed=False
        )
        part = g.agg(customers=("revenue", "size"), revenue=("revenue", "sum"), profit=("profit", "sum")).reset_index()
        part["tier"] = part["tier"].astype("str")
        part.insert(0, "method", name)
        part["customer_share"] = part["customers"] / max(len(a), 1)
        part["profit_share"] = part["profit"] / f["profit"].sum() if f["profit"].sum() else np.nan
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def segment_table(result: PipelineResult, name: str) -> pd.DataFrame:
    """Customers, revenue and profit per segment of the fitted method ``name`` (one with
    ``scores(features)`` giving a ``segment`` column, and a ``tier_map``), with the tier each
    segment maps to."""
    m = result.fitted[name]
    s = m.scores(result.features).join(result.features[["monetary_total", "profit"]])
    out = s.groupby("segment").agg(customers=("r", "size"), revenue=("monetary_total", "sum"), profit=("profit", "sum"))
    out["tier"] = out.index.map(m.tier_map)
    out["customer_share"] = out["customers"] / out["customers"].sum()
    return out.sort_values(["tier", "profit"], ascending=[True, False]).round(3)


def cluster_profiles(result: PipelineResult, name: str) -> pd.DataFrame:
    """The per-tier profiles (``profiles_``) of the fitted method ``name``; its silhouettes
    (k -> score, when k was chosen) in ``attrs``."""
    m = result.fitted[name]
    out = m.profiles_.copy()
    out.index.name = "tier"
    if m.silhouettes_:
        out.attrs["silhouettes"] = m.silhouettes_
    return out.round(3)


def learned_state(result: PipelineResult) -> pd.DataFrame:
    """The fitted rules of every method (thresholds, weights, splits, model parameters)."""
    rows = []
    for name, m in result.fitted.items():
        state = {k: v for k, v in vars(m).items() if k.endswith("_") and not k.startswith("_")
                 and k not in ("fitted_", "norm_", "model_", "centers_", "profiles_", "grid_", "mean_", "scale_")}
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                value = np.round(value, 4).tolist()
            rows.append({"method": name, "learned": key, "value": str(value)})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ a method's own sections
@dataclass(frozen=True)
class SectionKind:
    """A kind of report section a method may offer (the kinds in its class's ``report_sections``)."""

    title: str
    #: what the fitted method must have for it
    needs: str
    #: (result, method name, source line) -> what the notebook displays (a figure, table or Markdown)
    show: Callable[[PipelineResult, str, str], Any]
    #: a sentence under the heading; ``{best}`` is the method's best tier
    intro: str = ""


def _pyramid(result: PipelineResult, name: str, source: str):
    return plots.pyramids(tier_sizes(result), method=name, source=source)


def _two_axis_matrix(result: PipelineResult, name: str, source: str):
    m = result.fitted[name]
    return plots.kaism_matrix(m.axis_values(result.features), result.assignments[name]["tier"], m.split_, source=source)


def _score_grid(result: PipelineResult, name: str, source: str):
    return plots.rfm_heatmap(result.fitted[name].scores(result.features), source=source)


def _score_ranges(result: PipelineResult, name: str, source: str):
    return Markdown(method_notes(result, name)
                    or f"Every dimension of the {text(describe(name).display_name)} uses its full score range.")


SECTION_KINDS: dict[str, SectionKind] = {
    "tier_pyramids": SectionKind("Customer pyramid and the inverted profit pyramid", "tiers only", _pyramid),
    "two_axis_matrix": SectionKind("Two-axis matrix", "``axis_values(features)`` (position, attractiveness), ``split_``",
                                   _two_axis_matrix),
    "score_grid": SectionKind("Score grid", "``scores(features)`` with r, fm and rfm_score", _score_grid),
    "segments": SectionKind("Segments and the tier each maps to", "``scores(features)`` with segment; ``tier_map``",
                            lambda result, name, source: segment_table(result, name)),
    "score_ranges": SectionKind("Score ranges", "nothing (the run's notes on the method)", _score_ranges),
    "cluster_profiles": SectionKind("Cluster profiles", "``profiles_``, ``silhouettes_``",
                                    lambda result, name, source: cluster_profiles(result, name),
                                    intro="Mean features per cluster; clusters are ordered by mean profit, "
                                          "so {best} is the most profitable."),
}


def method_sections(result: PipelineResult, source: str) -> Iterator[tuple[str, Any]]:
    """(Markdown heading, what to display) for every section each graded method offers, methods
    in config order, sections in the order their class lists them."""
    shown = False
    for name in result.fitted:
        info = describe(name) if name in METHODS else None
        for kind in info.report_sections if info else ():
            if kind not in SECTION_KINDS:
                raise ValueError(f"method {name!r} offers the report section {kind!r}, which the reports do not "
                                 f"know; known: {sorted(SECTION_KINDS)}")
            section = SECTION_KINDS[kind]
            heading = f"### {section.title} — {text(info.display_name)} ({code(name)})"
            if section.intro:
                best = result.assignments[name]["tier"].cat.categories[0]
                heading += "\n\n" + section.intro.format(best=text(best))
            shown = True
            yield heading, section.show(result, name, source)
    if not shown:
        yield "", Markdown("No graded method of this run offers a section of its own.")


LEADERBOARD_COLUMNS = [
    "method", "top20_profit_capture", "top20_capture_ci_low", "top20_capture_ci_high", "diff_vs_best",
    "diff_vs_best_ci_low", "diff_vs_best_ci_high", "clearly_worse_than_best", "top_tier_share",
    "top_tier_profit_capture", "top_tier_lift", "churn_auc", "gini_profit", "churn_monotone", "churn_trend_p",
    "profit_monotone", "profit_trend_p", "note",
]


def leaderboard_view(board: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard's columns a reader needs, rounded; a method that could not grade the data
    keeps its row, with no figures and its ``note`` ("not graded: <reason>")."""
    cols = [c for c in LEADERBOARD_COLUMNS if c in board.columns]
    return board[cols].round(3)


#: metric_intervals' metric -> the name a reader sees
METRIC_LABELS = {
    "top20_profit_capture": "top-20 % profit capture", "top_tier_profit_capture": "top-tier profit capture",
    "gini_profit": "Gini of profit", "churn_auc": "churn AUC",
}


def _interval(estimate: float, low: float, high: float) -> str:
    """``0.686 [0.648, 0.736]``; the estimate alone without an interval; blank without either."""
    if pd.isna(estimate):
        return ""
    if pd.isna(low) or pd.isna(high):
        return f"{estimate:.3f}"
    return f"{estimate:.3f} [{low:.3f}, {high:.3f}]"


def metric_intervals_view(intervals: pd.DataFrame, order: list[str] | None = None) -> pd.DataFrame:
    """One row per method, and per metric (plain names) two columns: the estimate with its interval,
    and the paired difference to the best method on that metric with its interval (``*``: clearly
    worse, the interval excludes zero). ``order``: the methods' row order (the leaderboard's)."""
    if intervals.empty:
        return pd.DataFrame({"method": []})
    t = intervals.assign(
        value=[_interval(*r) for r in intervals[["estimate", "ci_low", "ci_high"]].itertuples(index=False)],
        diff=[_interval(*r) + (" *" if worse else "") if best != m else "best"
              for m, best, worse, *r in intervals[["method", "best_method", "clearly_worse_than_best", "diff_vs_best",
                                                   "diff_ci_low", "diff_ci_high"]].itertuples(index=False)])
    metrics = [m for m in METRIC_LABELS if m in set(t["metric"])] + sorted(set(t["metric"]) - set(METRIC_LABELS))
    methods = [m for m in (order or []) if m in set(t["method"])] + [m for m in dict.fromkeys(t["method"])
                                                                      if m not in (order or [])]
    out = pd.DataFrame({"method": methods})
    for metric in metrics:
        part = t[t["metric"] == metric].set_index("method")
        label = METRIC_LABELS.get(metric, metric)
        out[label] = out["method"].map(part["value"]).fillna("")
        out[f"{label}: difference to the best"] = out["method"].map(part["diff"]).fillna("")
    return out


def interval_notes(intervals: pd.DataFrame) -> list[str]:
    """How each metric's interval was made, one plain line per metric."""
    rows = intervals.drop_duplicates("metric")
    return [f"{METRIC_LABELS.get(m, m)}: {how}, {level:.0%} interval"
            for m, how, level in rows[["metric", "interval_method", "level"]].itertuples(index=False)]


#: the columns that say why customers are in the disagreements table, shown first
WHY_COLUMNS = ["customer_id", "spread", "best_by", "worst_by", "conflict"]


def disagreements_view(table: pd.DataFrame) -> pd.DataFrame:
    """The disagreements, the "why" columns first (customer, spread, the method ranking the customer
    best and worst, the conflict), then the customer's figures and every method's tier; the
    per-method percentiles stay in the CSV."""
    why = [c for c in WHY_COLUMNS if c in table.columns]
    tiers = [c for c in table.columns if c.startswith("tier_") and c != "tier_rank_spread"]
    rest = [c for c in table.columns if c not in why and c not in tiers and not c.startswith("pct_")]
    return table[why + rest + tiers].round(3)


def key_numbers(result: PipelineResult) -> str:
    """The few figures that must not drift, one per line, rounded so that only a real change
    shows (``tests/reporting/expected_key_numbers.txt`` pins them for the quick CDNOW config).
    The winner is the leaderboard's best (``recommended.best``), then validation's recommendation
    (the simplest not clearly worse); the last line is the usual grading's figure
    (``leadership.usual_practice``), when it was graded."""
    from segment.reporting.leadership import recommendation, usual_practice

    advice = recommendation(result)
    winner = advice.best
    top_share = float((result.assignments[winner]["tier"].cat.codes == 0).mean())
    lines = [
        f"rows read: {result.loaded.rows_read}",
        f"customers graded at {result.config.as_of}: {len(result.features)}",
        f"validation origin: {result.origin}",
        f"leaderboard winner: {winner}",
        f"winner's top-20 % profit capture: {advice.captures[winner]:.3f}",
        f"winner's top-tier share of customers: {top_share:.3f}",
        f"recommended (the simplest not clearly worse): {advice.method}",
    ]
    usual = usual_practice(result)
    if usual is not None:
        lines.append(f"{usual[0]}'s top-20 % profit capture: {usual[1]:.3f}")
    return "\n".join(lines)


def method_notes(result: PipelineResult, method: str | None = None) -> str:
    """The run's notes on how methods behaved on this data, as a Markdown list (``bullets``;
    empty text when there are none); only ``method``'s notes when given."""
    notes = getattr(result, "method_notes", None) or []
    if method is not None:
        notes = [n for n in notes if n.startswith(f"{method} ")]
    return bullets(notes)


def data_banner(result: PipelineResult) -> str:
    """The synthetic-data warning the leadership summary opens with (empty for real data)."""
    from segment.reporting.leadership import data_banner as banner

    return banner(result)
