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

from segment.methods.reference import code, text
from segment.methods.registry import METHODS, describe, display_name
from segment.pipeline import PipelineResult, load_result, run_pipeline
from segment.reporting import plots
from segment.reporting.tables import bullets, left_aligned, styled


#: matplotlib settings of every report figure: figure text is text ("$5 to $10" is money, not math)
FIGURE_STYLE = {"text.parse_math": False}


def use_report_style() -> None:
    """Set the report figures' style (``FIGURE_STYLE``); each report notebook calls it first."""
    import matplotlib

    matplotlib.rcParams.update(FIGURE_STYLE)


def plain_log_ticks(fig):
    """``fig`` with the numbers of its log axes written plainly (1, 10, 1,000): matplotlib writes
    them as math (``$10^{3}$``), which the report style shows as typed."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
                axis.set_minor_formatter(NullFormatter())
    return fig


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


def learned_rules(result: PipelineResult) -> str:
    """Markdown: every fitted method's plain name, then the rules it learned from this data as
    its ``learned_rules()`` sentences (each escaped: ``bullets``), methods in config order."""
    parts = []
    for name, m in result.fitted.items():
        rules = m.learned_rules() if hasattr(m, "learned_rules") else ["(this method does not state its rules)"]
        parts.append(f"**{text(display_name(name))}** ({code(name)})\n\n{bullets(rules) or '- (no rules learned)'}")
    return "\n\n".join(parts) or "No method was fitted."


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
                            lambda result, name, source: styled(segment_table(result, name).reset_index(),
                                                                f"segments_{name}")),
    "score_ranges": SectionKind("Score ranges", "nothing (the run's notes on the method)", _score_ranges),
    "cluster_profiles": SectionKind("Cluster profiles", "``profiles_``, ``silhouettes_``",
                                    lambda result, name, source: styled(cluster_profiles(result, name).reset_index(),
                                                                        f"profiles_{name}"),
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


# ------------------------------------------------------------------ validation's tables, as read
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


def tier_outcomes_by_method(result: PipelineResult, source: str):
    """Churn and profit per customer by tier of every method judged at the validation origin,
    as one figure of small multiples (``plots.tier_outcomes_grid``), methods by plain name."""
    methods = list(result.origin_assignments)
    return plots.tier_outcomes_grid(result.validation.per_tier, methods, source=source,
                                    labels={m: display_name(m) for m in methods},
                                    window=f"the {result.config.window.label} after {result.origin}")


def reason_examples(result: PipelineResult, per_tier: int = 3) -> list[Any]:
    """Per graded method, a few customers of each tier (the tier's top, middle and bottom) with
    the reason a sales rep reads for their grade (``segment.explain.method_examples``)."""
    from segment.explain import method_examples

    out: list[Any] = []
    for name, method in result.fitted.items():
        ex = method_examples(name, method, result.features, result.assignments[name], per_tier)
        shown = pd.DataFrame({"tier": ex["tier"].astype(str), "place in tier": [
            f"{r:,} of {n:,}" for r, n in zip(ex["rank_in_tier"], ex["customers_in_tier"])],
            "customer": ex["customer_id"].astype(str), "why": ex["reason"]})
        table = styled(shown, f"reasons_{name}", caption=f"{display_name(name)}: why customers are in their tier")
        out.append(left_aligned(table, ["why"]))
    return out
