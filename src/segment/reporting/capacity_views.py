"""Capacity in the reports: the leadership page's opening sentence, the analyst's curve and table.

Everything is read from validation's capacity tables (``result.validation.capacity``,
``capacity_differences``, ``capacity_curve``; ``segment.validation.capacity``): the next-period
profit the top ``decision.key_accounts`` customers of each grading made at the test date, with
paired bootstrap intervals. Method names are their plain names, money is written as the
leadership page writes it (``leadership.money``) and the horizon in its own words
(``Horizon.label``). The sentence is plain text (the page escapes it); it says "more" or "less"
only when the paired interval of the difference excludes zero, and otherwise "about the same".
A run made before these tables existed gets an empty sentence and empty views.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter

from segment.decision import decision_settings
from segment.horizon import horizon_of
from segment.methods.registry import describe, display_name
from segment.pipeline import PipelineResult
from segment.reporting.leadership import currency, figure_source, money, recommendation
from segment.reporting.plots import _source
from segment.validation.capacity import HINDSIGHT, RANDOM

#: the reference rows as a reader sees them
REFERENCE_NAMES = {HINDSIGHT: "perfect hindsight (the ceiling)", RANDOM: "random choice (expected)"}
#: the difference columns of the table view: reference label -> header
DIFFERENCE_HEADERS = {"recommended": "against the recommended grading", "published": "against the grading in use",
                      "abc": "against ABC by revenue", "random": "against a random choice"}
ABC = "abc_revenue"


def _name(method: str) -> str:
    """A grading's (or a reference row's) plain name."""
    return REFERENCE_NAMES.get(method) or display_name(method)


def _has_capacity(result: PipelineResult) -> bool:
    v = result.validation
    return getattr(v, "capacity", None) is not None and getattr(v, "capacity_differences", None) is not None


def _level(result: PipelineResult) -> str:
    """The intervals' level in words, "95 %" (the capacity's own; 95 % for a result without it)."""
    level = getattr(getattr(result.validation, "capacity_inputs", None), "level", 0.95)
    return f"{100 * level:g} %"


def _interval(low: float, high: float, unit: str | None) -> str:
    """"12,079 to 15,244 USD" (plain text)."""
    return f"{money(low, None)} to {money(high, unit)}"


def _comparison(row: pd.Series, against: str, unit: str | None) -> str:
    """The difference to ``against`` in words: more / less (with the interval) when the paired
    interval excludes zero, about the same when it holds zero, the bare difference without one."""
    diff, low, high = float(row["difference"]), float(row["low"]), float(row["high"])
    if pd.isna(low) or pd.isna(high):
        word = "more" if diff >= 0 else "less"
        return f"{money(abs(diff), unit)} {word} than {against} (no interval: the run drew no bootstrap replicates)"
    if row["clearly"] == "better":
        return f"{money(diff, unit)} more than {against} (interval {_interval(low, high, unit)})"
    if row["clearly"] == "worse":
        return f"{money(-diff, unit)} less than {against} (interval {_interval(-high, -low, unit)})"
    return f"about the same as {against} (the difference, {_interval(low, high, unit)}, includes zero)"


def _reference(result: PipelineResult, method: str) -> tuple[str, str]:
    """(label of the capacity difference to use, the closing remark): the grading in use when
    there is one and it was judged; else ABC by revenue (unless it is ``method``); else random."""
    d = result.validation.capacity_differences
    labels = set(d.loc[d["method"] == method, "reference"])
    published = getattr(result.validation, "published", None)
    if published is not None and "published" in labels:
        return "published", ""
    usual = describe(ABC).usual_practice or display_name(ABC)
    why = (f"The grading in use, the {display_name(published)}, could not be judged in this run" if published is not None
           else "No earlier run of this series published a grading")
    if "abc" in labels and method != ABC:
        return "abc", f" {why}, so the comparison is with the usual {usual}."
    return "random", f" {why}, so the comparison is with a random choice of customers."


def _against(result: PipelineResult, label: str) -> str:
    """The reference named in the sentence."""
    if label == "published":
        return f"the {display_name(result.validation.published)} now in use"
    return f"the {display_name(ABC)}" if label == "abc" else "customers chosen at random"


def capacity_sentence(result: PipelineResult) -> str:
    """The leadership page's opening sentence (plain text): what the recommended grading's top
    ``key_accounts`` customers made in the horizon after the test date, with its interval, and
    how that compares with the grading in use (the previous run's published grading), or, with
    none, with ABC by revenue (random when the recommendation is ABC by revenue); a remark says
    which. "" when the run has no capacity tables."""
    if not _has_capacity(result):
        return ""
    method, unit = recommendation(result).method, currency(result)
    row = result.validation.capacity.set_index("method").loc[method]
    served, wanted = int(row["key_accounts"]), int(decision_settings(result.config.decision).key_accounts)
    room = (f"With room for {served:,} key accounts" if served == wanted else
            f"With room for all {served:,} customers (the capacity of {wanted:,} key accounts is more than the "
            "customers graded)")
    label = horizon_of(result.config).label
    profit_of = f"the next {label}' profit" if label.endswith("s") else f"the next {label}'s profit"
    covered = f"{room}, the {display_name(method)} would have covered {money(row['profit_covered'], unit)} of {profit_of}"
    if pd.notna(row["profit_low"]):
        covered += f" ({_level(result)} interval {_interval(row['profit_low'], row['profit_high'], unit)})"
    ref, remark = _reference(result, method)
    d = result.validation.capacity_differences
    d = d[(d["method"] == method) & (d["reference"] == ref)].iloc[0]
    if ref == "published" and result.validation.published == method:
        return f"{covered}: the same grading as the one in use."
    return f"{covered}, {_comparison(d, _against(result, ref), unit)}.{remark}"


def capacity_table_view(result: PipelineResult) -> pd.DataFrame:
    """The capacity table as the analyst report shows it: one row per grading (most profit
    covered first), then perfect hindsight and random; plain names; profit covered with its
    interval in one cell and its share of hindsight's; per reference (recommended, in use, ABC by
    revenue, random) the paired difference with its interval, "(better)" / "(worse)" when the
    interval excludes zero; money with thousands separators and 2 decimals, the currency in the
    header; the note (what a reference row is, a capped capacity). Empty without capacity tables."""
    if not _has_capacity(result):
        return pd.DataFrame()
    unit = currency(result)
    cap, diffs = result.validation.capacity, result.validation.capacity_differences
    in_unit = f" ({unit})" if unit else ""
    out = pd.DataFrame({
        "grading": cap["method"].map(_name),
        f"profit covered{in_unit}": [_money_cell(*r) for r in cap[["profit_covered", "profit_low", "profit_high"]]
                                     .itertuples(index=False)],
        "share of hindsight": cap["share_of_hindsight"].map(lambda s: "" if pd.isna(s) else f"{100 * s:.1f} %"),
    })
    for label, header in DIFFERENCE_HEADERS.items():
        part = diffs[diffs["reference"] == label].set_index("method")
        if part.empty:
            continue
        cells = {m: _money_cell(r["difference"], r["low"], r["high"]) + (f" ({r['clearly']})" if r["clearly"] else "")
                 for m, r in part.iterrows()}
        out[f"{header}{in_unit}"] = cap["method"].map(cells).fillna("")
    out["note"] = cap["note"].fillna("")
    return out


def _money_cell(value: float, low: float, high: float) -> str:
    """"13,589.36 [12,079.25, 15,243.98]"; no interval when it is missing; blank without a value."""
    if pd.isna(value):
        return ""
    cell = money(value, None, 2)
    return cell if pd.isna(low) or pd.isna(high) else f"{cell} [{money(low, None, 2)}, {money(high, None, 2)}]"


def capacity_figure(result: PipelineResult):
    """Profit covered against the customers served, one line per grading (plain names), perfect
    hindsight and random dashed, a vertical line at the capacity; None without capacity tables."""
    curve = getattr(result.validation, "capacity_curve", None)
    if curve is None or not _has_capacity(result):
        return None
    unit = currency(result)
    served = int(result.validation.capacity["key_accounts"].iloc[0])
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for method, part in curve.groupby("method", sort=False):
        style = ({"ls": "--", "color": "black"} if method == HINDSIGHT else {"ls": "--", "color": "grey"}
                 if method == RANDOM else {})
        ax.plot(part["customers_served"], part["profit_covered"], label=_name(method), **style)
    ax.axvline(served, color="orange", lw=1, ls=":", label=f"capacity: {served:,} key accounts")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set(xlabel="customers served, best first by each grading",
           ylabel=f"profit in the next {horizon_of(result.config).label}" + (f" ({unit})" if unit else ""),
           title="Profit covered by the customers each grading puts first")
    ax.legend(fontsize=7, loc="best")
    _source(fig, figure_source(result))
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    plt.close(fig)
    return fig
