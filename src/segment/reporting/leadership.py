"""The leadership summary's content: plain words, aggregates only, no customer identity.

Every figure comes from the pipeline result: the recommendation as validation decided it
(``result.validation.recommended``, from ``validation/leaderboard.csv``), tier sizes from the
grading at the grading date, churn and profit by tier from ``validation/per_tier.csv``. The
grading it is compared with is the one whose class says it is the usual practice
(``registry.describe(name).usual_practice``).

The recommendation is validation's (``validation.result.recommend``: the simplest method not
clearly worse than the highest-scoring one, with the practical margin of ``validation:``);
this page says it in words (``why_recommended``).

Small cells: a tier with fewer than ``min_tier_size`` customers is never described by its own
figures. Its table row is blank, sentences say "fewer than N customers" instead of its count,
share or the counts inside it, and the tier figure leaves it out. (Tiers are not merged: a
merged row would describe a tier the grading does not have.)

Text from the data, the config or a class (tier labels, file names, method names, reasons)
enters Markdown only through ``segment.methods.reference.text``/``code`` and tables are
escaped (``policy_table``), so nothing from the input becomes markup on the page; the lines of
``assumptions`` are plain text, escaped by ``views.bullets`` where they are shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segment.methods.reference import code, text
from segment.methods.registry import METHODS, by_simplicity, describe, display_name
from segment.pipeline import PipelineResult
from segment.validation.leaderboard import not_graded_of
from segment.validation.result import Recommendation

#: the sources' policy per tier position (DOMAIN.md, "Per-tier policy")
POLICIES = {
    "top": "Dedicated service, priority in production and complaints, regular visits, customised offers, satisfaction monitoring.",
    "middle": "Regular contact; develop the customers with upgrade potential.",
    "low": "Automated, low-cost service; cultivate those with potential; review or drop the unprofitable.",
    "loss": "Loss-making: review prices and cost-to-serve; drop chronic late payers and unprofitable accounts.",
}


def method_names() -> dict[str, str]:
    """Registry name -> plain name, from each method's own description (``registry.describe``)."""
    return {name: display_name(name) for name in METHODS}


def plain(method: str) -> str:
    """A method's plain name, with its code name for cross-reference with the analyst reports (Markdown)."""
    return f"{text(display_name(method))} ({code(method)})" if method in METHODS else code(method)


def data_banner(result: PipelineResult) -> str:
    """A warning first thing on the page when the data is synthetic; empty for real data."""
    if result.loaded.source.get("real_data"):
        return ""
    return ("**⚠ SYNTHETIC DATA — NOT REAL CUSTOMERS.** Every figure below comes from generated test data "
            "(`segment.data.synthetic`), made to exercise profit, credit and provisional grades. "
            "It describes no real business and must not be used for decisions.")


def pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{100 * x:.0f} %"


def recommendation(result: PipelineResult) -> Recommendation:
    """Validation's recommendation (decided once there): the best graded method and who is
    (not) clearly worse; methods that could not grade the data (``not_graded``) are in none."""
    advice = result.validation.recommended
    if advice is None:
        raise ValueError("validation recommends no method: no method was graded")
    return advice


def why_recommended(r: Recommendation) -> str:
    """One plain sentence (Markdown) saying why ``r.method`` is recommended."""
    margin = f"{100 * r.margin:g} percentage points"
    if r.method != r.best:
        return (f"The {text(display_name(r.best))} scored highest ({pct(r.captures[r.best])}), but the "
                f"{text(display_name(r.method))} made {pct(r.capture)}, which is not clearly worse "
                f"(within the interval or within {margin}), and it is simpler to run and to explain, so we "
                "recommend the simpler one.")
    if r.not_clearly_worse:
        return (f"It scored highest, and none of the gradings about as good as it (within the interval or "
                f"within {margin}) is simpler.")
    return f"It scored highest, and every other grading is clearly worse (by more than {margin})."


def count_or_fewer(n: int, min_tier_size: int) -> str:
    """``n`` formatted, or "fewer than N" when it is a small cell (0 < n < ``min_tier_size``)."""
    return f"fewer than {min_tier_size:,}" if 0 < n < min_tier_size else f"{n:,}"


def usual_practice(result: PipelineResult) -> tuple[str, float] | None:
    """(method, top-20 % profit capture) of the graded grading that most businesses use today
    (its class says so: ``describe(name).usual_practice``; the simplest if several); None when
    no such method was graded."""
    captures = recommendation(result).captures
    usual = [m for m in by_simplicity(captures) if m in METHODS and describe(m).usual_practice]
    return (usual[0], captures[usual[0]]) if usual else None


def not_graded(result: PipelineResult) -> dict[str, str]:
    """method -> reason of the configured methods that could not grade this data (the run's
    ``not_graded``; for a result saved before that field, the leaderboard's notes)."""
    recorded = getattr(result, "not_graded", None)
    return dict(recorded) if recorded is not None else not_graded_of(result.validation.leaderboard)


def not_graded_sentence(reasons: dict[str, str]) -> str:
    """One plain sentence naming the methods that could not grade this data and why (empty
    text when every method graded), with their plain names."""
    if not reasons:
        return ""
    parts = [(text(display_name(m)), text(_plain_reason(why))) for m, why in reasons.items()]
    (first, why), rest = parts[0], parts[1:]
    out = f"**Not graded:** the {first} could not grade this data, because {why}"
    out += "".join(f"; nor could the {name}, because {why}" for name, why in rest)
    return out + "."


def _plain_reason(reason: str) -> str:
    """A method's reason without its own short label ("BG/NBD: no customer ..." -> "no customer ...")
    and the final full stop, to sit inside a sentence (plain text: it may quote a library's message)."""
    reason = str(reason).strip()
    label, sep, rest = reason.partition(": ")
    if sep and rest and len(label) <= 30 and len(label.split()) <= 3:
        reason = rest
    return reason.rstrip(". ")


def headline(result: PipelineResult, min_tier_size: int = 10) -> str:
    """The one-page answer: which grading (validation's recommendation), why (in plain words, with the interval),
    and the few figures a reader needs -- top tier, churn by tier, early warning; small tiers
    (under ``min_tier_size`` customers) are never described by their own figures."""
    r = c = recommendation(result)
    m, h = c.method, result.config.horizon_days
    source = result.loaded.source
    what = ("the customers of the CDNOW online music store (its real purchase log)"
            if str(source.get("dataset", "")).startswith("cdnow")
            else ("the customers in the data" if source.get("real_data") else "the SYNTHETIC test customers"))
    lead = (f"**Recommendation: grade customers with the {plain(m)}.** "
            f"It {text(describe(m).description) if m in METHODS else 'ranks customers'}. {why_recommended(c)}")
    why = (f"**Why:** we graded {what} as they stood on {result.origin} and then watched the next "
           f"{h} days. The 20 % of customers this grading ranked highest made **{pct(c.capture)}** of all profit "
           f"in that time (95 % interval {pct(c.ci_low)} to {pct(c.ci_high)}); a random 20 % would make "
           f"20 %, and even perfect hindsight only {pct(r.ceiling)}.")
    usual = usual_practice(result)
    if usual is not None and m != usual[0]:
        why += f" The usual {text(describe(usual[0]).usual_practice)} made {pct(usual[1])}."
    if max(r.ceiling, c.ci_high) > 1:
        why += (" (Above 100 % is possible: loss-making customers pull the total down, so the best customers "
                "can make more than the net total.)")
    bullets = [why]
    margin = f"{100 * c.margin:g} percentage points"
    others = list(c.not_clearly_worse)
    if others:
        bullets.append(f"**About as good** (the gap to the highest-scoring grading is within its interval or "
                       f"within {margin}): " + ", ".join(
                           text(display_name(x)) + (" (the highest score)" if x == c.best else "") for x in others) + ".")
    if c.clearly_worse:
        bullets.append(f"**Clearly worse** (the gap to the highest-scoring grading is beyond its interval and "
                       f"more than {margin}): " + ", ".join(text(display_name(x)) for x in c.clearly_worse) + ".")
    reasons = not_graded(result)
    if reasons:
        bullets.append(not_graded_sentence(reasons))
    a = result.assignments[m]
    labels = list(a["tier"].cat.categories)
    n_top, n = int((a["tier"].cat.codes == 0).sum()), len(a)
    per = result.validation.per_tier
    per = per[(per["method"] == m) & (per["customers"] >= min_tier_size)].set_index("tier")
    if n_top < min_tier_size:
        top = (f"today ({result.config.as_of}) the top tier {text(labels[0])} holds fewer than {min_tier_size:,} "
               "customers (its figures are not shown, so that no small group can be singled out).")
    else:
        top = (f"today ({result.config.as_of}) the top tier {text(labels[0])} holds {n_top:,} of "
               f"{n:,} customers ({pct(n_top / n if n else float('nan'))}).")
    if len(per) >= 2:
        first, last = per.index[0], per.index[-1]
        top += (f" In the test window {pct(per.loc[first, 'churn_rate'])} of tier {text(first)} stopped buying, "
                f"against {pct(per.loc[last, 'churn_rate'])} of tier {text(last)}.")
    bullets.append(f"**Tiers:** {top}")
    bullets.append(f"**Early warning:** {_warning_count(result, m, min_tier_size)}")
    return "\n\n".join([lead, *[f"- {b}" for b in bullets]])


def _warning_count(result: PipelineResult, method: str, min_tier_size: int) -> str:
    """The headline's early-warning sentence, small cells suppressed."""
    n_top = int((result.assignments[method]["tier"].cat.codes == 0).sum())
    if n_top < min_tier_size:
        return (f"the top tier has fewer than {min_tier_size:,} customers, so how many of them show falling "
                "activity is not shown.")
    ew = result.validation.early_warning
    n_warn = int((ew["method"] == method).sum()) if len(ew) else 0
    return (f"{count_or_fewer(n_warn, min_tier_size)} top-tier customers show falling activity now; the analyst "
            "report lists them for follow-up.")


def tier_summary(result: PipelineResult, method: str, min_tier_size: int) -> pd.DataFrame:
    """Per tier: customers now, their revenue and profit so far, and the churn and profit per
    customer that tier showed in the validation window. Small tiers are suppressed."""
    a = result.assignments[method]
    f = result.features
    now = pd.DataFrame({"tier": a["tier"], "revenue": f["monetary_total"], "profit": f["profit"]}).groupby(
        "tier", observed=False).agg(customers=("revenue", "size"), revenue=("revenue", "sum"), profit=("profit", "sum"))
    now["customer share"] = now["customers"] / now["customers"].sum()
    now["profit share"] = now["profit"] / now["profit"].sum() if now["profit"].sum() else np.nan
    per = result.validation.per_tier
    per = per[per["method"] == method].set_index("tier")
    now.index = now.index.astype(str)
    now["churn rate next period"] = per["churn_rate"].reindex(now.index)
    now["profit per customer next period"] = per["profit_per_customer"].reindex(now.index)
    empty = now["customers"] == 0
    small = (now["customers"] < min_tier_size) & ~empty
    now.loc[small, now.columns] = np.nan
    shown = pd.DataFrame(index=now.index)
    shown["customers"] = now["customers"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["share of customers"] = now["customer share"].map(pct)
    shown["revenue to date"] = now["revenue"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["profit to date"] = now["profit"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["share of profit"] = now["profit share"].map(pct)
    shown["stopped buying (test window)"] = now["churn rate next period"].map(pct)
    shown["profit per customer (test window)"] = now["profit per customer next period"].map(
        lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    shown["note"] = np.where(small, f"suppressed: fewer than {min_tier_size} customers",
                             np.where(empty, "no customers", ""))
    shown.index.name = "tier"
    return shown


def tier_summary_intro(result: PipelineResult, method: str, min_tier_size: int) -> str:
    return (f"Tiers of the {plain(method)} on {result.config.as_of}, best first. *To date* = the customers' purchases "
            f"up to that day; *test window* = what the same tier did in the {result.config.horizon_days} days after "
            f"{result.origin} (the out-of-time test). A tier with fewer than {min_tier_size:,} customers is never "
            "described by its own figures, so that no small group can be singled out: its row is blank, the text says "
            f"\"fewer than {min_tier_size:,}\" instead of its count, and the figure leaves it out.")


def policy_table(labels: list[str]):
    """``policy_for`` as a left-aligned table without the row numbers (for the report); cells and
    headers HTML-escaped (the tier labels come from the config)."""
    return (policy_for(labels).style.hide(axis="index").format(escape="html").format_index(escape="html", axis=1)
            .set_uuid("policy")
            .set_properties(**{"text-align": "left"})
            .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}]))


def policy_for(labels: list[str]) -> pd.DataFrame:
    rows = []
    for i, label in enumerate(labels):
        if label == "loss":
            position = "loss"
        elif i == 0:
            position = "top"
        elif i == len([x for x in labels if x != "loss"]) - 1:
            position = "low"
        else:
            position = "middle"
        rows.append({"tier": label, "policy": POLICIES[position]})
    return pd.DataFrame(rows)


def early_warning_count(result: PipelineResult, method: str, min_tier_size: int = 10) -> str:
    """How many top-tier customers show falling activity (a small top tier or count: "fewer than N")."""
    ew = result.validation.early_warning
    ew = ew[ew["method"] == method]
    n_top = int((result.assignments[method]["tier"].cat.codes == 0).sum())
    if n_top < min_tier_size:
        return (f"The top tier of the {plain(method)} has fewer than {min_tier_size:,} customers as of "
                f"{result.config.as_of}, so how many of them show falling activity is not shown (no small group "
                "is described by its own figures); the analyst report has the list.")
    return (f"**{count_or_fewer(len(ew), min_tier_size)}** of the {n_top:,} customers in the top tier of the "
            f"{plain(method)} show falling activity as of {result.config.as_of} (their revenue halved or worse, "
            "or they are well overdue for their usual next order). These are the key customers to call first; "
            "the analyst report lists them.")


def what_changed(result: PipelineResult, method: str, min_tier_size: int = 10) -> str:
    """The last quarter's tier movement (counts under ``min_tier_size``: "fewer than N")."""
    summ = result.validation.migration_summary
    if summ is None or summ.empty or (summ["method"] == method).sum() == 0:
        return "No earlier quarter in this run to compare with."
    last = summ[summ["method"] == method].iloc[-1]
    out = (f"Between {text(last['origin_from'])} and {text(last['origin_to'])}, {pct(last['stable_share'])} of existing "
           f"customers kept their tier, {pct(last['up_share'])} moved up and {pct(last['down_share'])} moved down; "
           f"{count_or_fewer(int(last['new_customers']), min_tier_size)} new customers arrived")
    if int(last.get("left_customers", 0) or 0):
        out += f" and {count_or_fewer(int(last['left_customers']), min_tier_size)} left the graded population"
    return out + ". An A grade is not for life: the analyst report has the full movement table."


def assumptions(result: PipelineResult) -> list[str]:
    """What the figures rest on, one plain-text line each (not Markdown: ``views.bullets`` shows them)."""
    a = result.features.attrs.get("assumptions", {})
    if "gross_margin" in a:
        profit = (f"Profit is estimated: the data has no costs, so profit = {a['gross_margin']:.0%} of revenue"
                  + (f" minus {a['cost_per_order']:g} per order" if a.get("cost_per_order") else "") + ".")
    else:
        profit = f"Profit: {a.get('profit_source', 'as recorded in the data')}."
    out = [profit]
    out.append(f"Tiers graded on {result.config.as_of}; the grading was tested on customers as they stood on "
               f"{result.origin} against what they did in the next {result.config.horizon_days} days.")
    src = result.loaded.source
    out.append(f"Data: {src.get('file') or src.get('dataset')}"
               + (" (real data)." if src.get("real_data") else " (SYNTHETIC, generated for testing: not real customers)."))
    if result.origin != result.config.as_of:
        out.append(f"Why test at {result.origin} and not at {result.config.as_of}: the test needs "
                   f"{result.config.horizon_days} days of known results after the test date, and the data ends "
                   f"{result.loaded.data_end}.")
    skipped = [n for n in result.notes if " left out at " in n]
    if skipped:
        out.append(f"{len(skipped)} method(s) could not be judged at an early date for lack of earlier history.")
    out.append("The analyst reports (validation, grading comparison, data audit) hold the details behind every "
               "figure here.")
    return out
