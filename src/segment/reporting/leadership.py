"""The leadership summary's content: plain words, aggregates only, no customer identity.

Every figure comes from the pipeline result: validation's recommendation
(``result.validation.recommended``, decided once: the simplest method not clearly worse than
the best, and whether another ranks churn clearly better), today's tiers at the grading date,
the out-of-time test from ``validation/per_tier.csv`` and the early warning's measured lift
from ``validation/warning_check.csv``. Today and the test date are never mixed in one table.
Money is written one way (``money``: "12,345 USD"; no unit, and a note, when the config states
no ``currency``); methods are named by their plain names; figure sources name no file.

Small cells: a tier with fewer than ``min_tier_size`` customers is never described by its own
figures (its table rows are blank, sentences say "fewer than N", figures leave it out; tiers
are not merged, which would describe a tier the grading does not have), and the warning's lift
is not shown when one of its groups is that small. Text from the data, the config or a class
enters Markdown only through ``segment.methods.reference.text``, tables are escaped
(``styled``) and ``assumptions`` is plain text (``tables.bullets`` escapes it).

What changed since the last run is read from the run folder's ledger, never recomputed from
this run's data: ``segment.reporting.governance_views.since_last_run``.
"""

from __future__ import annotations

from pathlib import PurePath

import numpy as np
import pandas as pd

from segment.horizon import horizon_of
from segment.methods.base import feature_name
from segment.methods.reference import text
from segment.methods.registry import METHODS, by_simplicity, describe, display_name
from segment.pipeline import PipelineResult
from segment.validation.leaderboard import not_graded_of
from segment.validation.result import Recommendation
from segment.validation.warning import PROFIT_BEFORE, churn_lift

def method_names() -> dict[str, str]:
    """Registry name -> plain name, from each method's own description (``registry.describe``)."""
    return {name: display_name(name) for name in METHODS}


def plain(method: str) -> str:
    """A method's plain name as Markdown text (the page shows no registry name)."""
    return text(display_name(method) if method in METHODS else method)


def currency(result: PipelineResult) -> str | None:
    """The config's currency code (``currency:``), None when the config does not state it."""
    code = getattr(result.config, "currency", None)
    return (str(code).strip() or None) if code is not None else None


def money(value: float, unit: str | None, decimals: int = 0) -> str:
    """An amount as the whole page writes it: "12,345 USD" (no unit when it is not stated);
    plain text, so Markdown callers pass it through ``text``."""
    if value is None or pd.isna(value):
        return ""
    return f"{value:,.{decimals}f}" + (f" {unit}" if unit else "")


def profit_basis(result: PipelineResult) -> str:
    """What profit means on this page, and the currency, as "Profit is ..." continues (plain text)."""
    unit = currency(result)
    amounts = f"amounts in {unit}" if unit else "amounts in the data's own currency, which the config does not state"
    return f"{_profit_rule(result)}; {amounts}"


def _profit_rule(result: PipelineResult) -> str:
    a = {**(getattr(result.config, "profit", None) or {}), **result.features.attrs.get("assumptions", {})}
    if "gross_margin" not in a:
        recorded = str(a.get("profit_source", ""))
        return ("revenue minus the cost recorded in the data" if recorded.startswith("cost column")
                else "revenue times the margin recorded in the data" if recorded.startswith("margin column")
                else "as recorded in the data")
    per_order = f" minus {money(a['cost_per_order'], currency(result), 2)} per order" if a.get("cost_per_order") else ""
    return f"estimated as {pct(a['gross_margin'])} of revenue{per_order} (the data has no costs)"


def data_banner(result: PipelineResult) -> str:
    """A warning first thing on the page when the data is synthetic; empty for real data."""
    if result.loaded.source.get("real_data"):
        return ""
    return ("**⚠ SYNTHETIC DATA — NOT REAL CUSTOMERS.** Every figure below comes from generated test data, "
            "made to exercise profit, credit and provisional grades. "
            "It describes no real business and must not be used for decisions.")


def provisional_banner(result: PipelineResult, method: str) -> str:
    """First thing on the page when every grade of ``method`` is provisional (every customer
    newer than ``provisional_days``); empty otherwise."""
    a = result.assignments[method]
    if "provisional" not in a.columns or not len(a) or not a["provisional"].astype(bool).all():
        return ""
    days = getattr(result.config, "provisional_days", 182)
    return (f"**⚠ EVERY GRADE ON THIS PAGE IS PROVISIONAL.** All {len(a):,} customers first bought less than "
            f"{days:,} days before {text(result.config.as_of)}, too recently for a firm grade: read the tiers as a "
            "first sort, to be confirmed once the customers have that much history.")


def opening(result: PipelineResult) -> str:
    """What the page says before anything else (synthetic data, all grades provisional); empty
    text when there is nothing to warn of."""
    method = recommendation(result).method
    return "\n\n".join(b for b in (data_banner(result), provisional_banner(result, method)) if b)


def figure_source(result: PipelineResult) -> str:
    """The source line under a figure: the data in words and the dates (no file, no code name)."""
    what = {"cdnow": "CDNOW purchase log (real data)", "real": "the business's purchase data",
            "synthetic": "SYNTHETIC test data"}[_data_kind(result)]
    return f"Data: {what}; graded on {result.config.as_of}, tested on {result.origin}"


def _data_kind(result: PipelineResult) -> str:
    src = result.loaded.source
    return "cdnow" if str(src.get("dataset", "")).startswith("cdnow") else "real" if src.get("real_data") else "synthetic"


def pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{100 * x:.0f} %"


def points(x: float) -> str:
    """A difference of two shares in percentage points, signed, one decimal."""
    return f"{100 * x:+.1f}"


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


def churn_sentence(r: Recommendation) -> str:
    """One sentence (Markdown) when another method ranks churn clearly better than the
    recommendation (decided in validation: ``Recommendation.better_at_churn``); else empty."""
    if not getattr(r, "better_at_churn", ""):
        return ""
    gap = (f"; the gap is {points(r.churn_auc_gap)} points, 95 % paired interval {points(r.churn_auc_gap_ci_low)} "
           f"to {points(r.churn_auc_gap_ci_high)}" if pd.notna(r.churn_auc_gap_ci_low) else "")
    return (f"The {plain(r.better_at_churn)} is clearly better at telling who will stop buying: it puts a customer "
            f"who later left below one who stayed in {pct(r.better_churn_auc)} of pairs, against "
            f"{pct(r.churn_auc)} for the recommended grading{gap}. Use it beside this grading when the aim is to "
            "keep customers rather than to find the most profitable.")


def headline(result: PipelineResult, min_tier_size: int = 10) -> str:
    """The one-page answer: which grading (validation's recommendation), why (the profit its
    top 20 % made, with currency, interval and the profit assumption), and the few figures a
    reader needs -- today's top tier, the test's churn by tier, the early warning; small tiers
    (under ``min_tier_size`` customers) are never described by their own figures."""
    r = recommendation(result)
    m, h, unit = r.method, horizon_of(result.config).label, currency(result)
    what = {"cdnow": "the customers of the CDNOW online music store (its real purchase log)",
            "real": "the customers in the data", "synthetic": "the SYNTHETIC test customers"}[_data_kind(result)]
    lead = (f"**Recommendation: grade customers with the {plain(m)}.** "
            f"It {text(describe(m).description) if m in METHODS else 'ranks customers'}. {why_recommended(r)}")
    if churn := churn_sentence(r):
        lead += f" {churn}"
    per = result.validation.per_tier
    per_m = per[per["method"] == m]
    n_test = int(per_m["customers"].sum())
    total = float((per_m["customers"] * per_m["profit_per_customer"]).sum())
    top20 = f"The 20 % of customers this grading ranked highest made **{pct(r.capture)}** of all profit"
    if n_test and np.isfinite(total) and round(0.2 * n_test) >= min_tier_size:
        top20 = (f"The 20 % of customers this grading ranked highest made **{text(money(r.capture * total, unit))}** "
                 f"of profit in that time, **{pct(r.capture)}** of the {text(money(total, unit))} all customers made")
    why = (f"**Why:** we graded {what} as they stood on {result.origin} (the test date) and then watched the "
           f"next {h}. {top20} (95 % interval {pct(r.ci_low)} to {pct(r.ci_high)}); a random 20 % would "
           f"make 20 %, and even perfect hindsight only {pct(r.ceiling)}.")
    usual = usual_practice(result)
    if usual is not None and m != usual[0]:
        if pct(usual[1]) == pct(r.capture):  # equal when rounded: one decimal, so "clearly worse" is visible
            why += (f" The usual {text(describe(usual[0]).usual_practice)} made {100 * usual[1]:.1f} %, against "
                    f"{100 * r.capture:.1f} % for the recommended grading.")
        else:
            why += f" The usual {text(describe(usual[0]).usual_practice)} made {pct(usual[1])}."
    if max(r.ceiling, r.ci_high) > 1:
        why += (" (Above 100 % is possible: loss-making customers pull the total down, so the best customers "
                "can make more than the net total.)")
    why += f" Profit is {text(profit_basis(result))}."
    bullets = [why]
    margin = f"{100 * r.margin:g} percentage points"
    if r.not_clearly_worse:
        bullets.append(f"**About as good** (the gap to the highest-scoring grading is within its interval or "
                       f"within {margin}): " + ", ".join(
                           plain(x) + (" (the highest score)" if x == r.best else "") for x in r.not_clearly_worse) + ".")
    if r.clearly_worse:
        bullets.append(f"**Clearly worse** (the gap to the highest-scoring grading is beyond its interval and "
                       f"more than {margin}): " + ", ".join(plain(x) for x in r.clearly_worse) + ".")
    if reasons := not_graded(result):
        bullets.append(not_graded_sentence(reasons))
    a = result.assignments[m]
    labels = list(a["tier"].cat.categories)
    n_top, n = int((a["tier"].cat.codes == 0).sum()), len(a)
    if n_top < min_tier_size:
        top = (f"today ({result.config.as_of}) the top tier {text(labels[0])} holds fewer than {min_tier_size:,} "
               "customers (its figures are not shown, so that no small group can be singled out).")
    else:
        top = (f"today ({result.config.as_of}) the top tier {text(labels[0])} holds {n_top:,} of "
               f"{n:,} customers ({pct(n_top / n if n else float('nan'))}).")
    shown = per_m[per_m["customers"] >= min_tier_size].set_index("tier")
    if len(shown) >= 2:
        first, last = shown.index[0], shown.index[-1]
        top += (f" In the test (tiers of {result.origin}, the next {h}) {pct(shown.loc[first, 'churn_rate'])} "
                f"of tier {text(first)} stopped buying, against {pct(shown.loc[last, 'churn_rate'])} of tier {text(last)}.")
    bullets.append(f"**Tiers:** {top}")
    bullets.append(f"**Early warning:** {early_warning_text(result, m, min_tier_size, short=True)}")
    return "\n\n".join([lead, *[f"- {b}" for b in bullets]])


def early_warning_text(result: PipelineResult, method: str, min_tier_size: int = 10, short: bool = False) -> str:
    """The early warning in words (Markdown): how many of today's top tier are flagged, the
    rule's measured out-of-time churn lift with its interval, and -- only when that lift is
    clearly positive -- "call these first", pointing to the follow-up list (capped at the
    team's capacity, most profit at risk first); otherwise the list is not reliable yet.
    ``short``: the headline's version. Small cells: "fewer than N"; no lift from small groups."""
    a = result.assignments[method]
    n_top, h = int((a["tier"].cat.codes == 0).sum()), horizon_of(result.config).label
    if n_top < min_tier_size:
        return (f"the top tier has fewer than {min_tier_size:,} customers as of {result.config.as_of}, so how many "
                "of them show falling activity is not shown (no small group is described by its own figures).")
    ew = result.validation.early_warning
    n_warn = int((ew["method"] == method).sum()) if len(ew) else 0
    flagged = f"**{count_or_fewer(n_warn, min_tier_size)}** of the {n_top:,} customers in today's top tier"
    if not short:
        flagged += (f" ({result.config.as_of}) show falling activity: their revenue fell by half or more, or they "
                    "are well overdue for their usual next order.")
    else:
        flagged += " show falling activity now."
    lift = churn_lift(result.validation.warning_check, method)
    if lift is None or min(lift.flagged, lift.not_flagged) < min_tier_size:
        why = ("Whether the flag foretells churn was not checked at the test date" if lift is None else
               f"Too few top-tier customers were flagged, or not flagged, at the test date ({result.origin}) to "
               "measure whether the flag foretells churn")
        return f"{flagged} {why}, so **the list is not reliable yet**."
    measured = (f"at the test date ({result.origin}) flagged top-tier customers stopped buying in the next {h} "
                f"at {pct(lift.churn_flagged)}, against {pct(lift.churn_not_flagged)} of the others: "
                f"{points(lift.lift)} percentage points (95 % interval {points(lift.ci_low)} to {points(lift.ci_high)})")
    if not lift.clearly_positive:
        return (f"{flagged} **The list is not reliable yet:** {measured}, so the flag does not yet tell who will "
                "leave. Do not use it to choose whom to call; the analyst report keeps it for study.")
    cap = int((getattr(result.config, "decision", None) or {}).get("follow_up", 300))  # per period
    listed = count_or_fewer(min(cap, n_warn), min_tier_size)
    if short:
        return (f"{flagged} The flag works ({measured}): call them, most profit at risk first, up to {cap:,} "
                "a period.")
    follow_up = getattr(result.validation, "follow_up", None)
    if follow_up is not None:
        where = f"the follow-up list that comes with this report holds the {listed} of them"
    else:
        where = f"the analyst report lists them; start with the {listed}"
    before = "" if follow_up is None else made_before_sentence(result, method, follow_up, min_tier_size)
    return (f"{flagged} The flag works: {measured}. **Call these first:** {where} with the most profit at risk, "
            f"as many as the team can follow up in a period ({cap:,}).{before} Profit at risk is the customer's "
            "profit to date times how often customers flagged for the same reason stopped buying after the test "
            "date: the list is in that order.")


def made_before_sentence(result: PipelineResult, method: str, follow_up: pd.DataFrame, min_tier_size: int) -> str:
    """What the follow-up list's customers made before the grading date, as a sentence with a
    leading space (Markdown), e.g. " The 300 customers on it made 12,345 USD of profit in the 2
    quarters before 1997-12-31.": the sum of the list's ``profit_before`` (the horizon-length
    window before the grading date, ``segment.validation.warning``). Empty for a list saved
    without the column or without this method's rows; a list of fewer than ``min_tier_size``
    customers gets no sum (no small group is described by its own figures)."""
    rows = follow_up[follow_up["method"] == method] if "method" in follow_up.columns else follow_up
    if PROFIT_BEFORE not in rows.columns or rows.empty:
        return ""
    window = f"the {horizon_of(result.config).label} before {text(str(result.config.as_of))}"
    if len(rows) < min_tier_size:
        return (f" It holds fewer than {min_tier_size:,} customers, so what they made in {window} is not shown "
                "(no small group is described by its own figures).")
    total = float(rows[PROFIT_BEFORE].to_numpy(dtype=float).sum())
    if not np.isfinite(total):  # a list saved with unknown amounts: no sum rather than a wrong one
        return ""
    return f" The {len(rows):,} customers on it made **{text(money(total, currency(result)))}** of profit in {window}."


def weights_used(result: PipelineResult) -> list[str]:
    """The weighted score's weights in words (plain text) and, for the defaults, where they come
    from; on CDNOW, when the test date is before the last outcome the defaults' tuning saw, that
    the weighted score's test is not fully out of time. Empty without a weighted score."""
    from segment.methods.weighted import DEFAULT_WEIGHTS_SEEN_TO, DEFAULT_WEIGHTS_SOURCE

    m = next((m for m in result.fitted.values() if hasattr(m, "uses_default_weights")), None)  # the weighted score
    if m is None or not hasattr(m, "weights_"):
        return []
    weights = ", ".join(f"{feature_name(k)} {v:.2f}" for k, v in m.weights_.items())
    if not m.uses_default_weights:
        return [f"The weighted score weighs {weights} (the weights in the config)."]
    out = [f"The weighted score weighs {weights}: {DEFAULT_WEIGHTS_SOURCE}."]
    if _data_kind(result) == "cdnow" and str(result.origin) < DEFAULT_WEIGHTS_SEEN_TO:
        out.append(f"Those weights were tuned on CDNOW outcomes up to {DEFAULT_WEIGHTS_SEEN_TO}, after this page's "
                   f"test date ({result.origin}): for the weighted score this test is not fully out of time.")
    return out


def assumptions(result: PipelineResult) -> list[str]:
    """What the figures rest on, one plain-text line each (not Markdown: ``tables.bullets`` shows them)."""
    out = [f"Profit is {profit_basis(result)}."]
    out.append(f"Tiers graded on {result.config.as_of}; the grading was tested on customers as they stood on "
               f"{result.origin} (the test date) against what they did in the next {horizon_of(result.config).label}.")
    src = result.loaded.source
    name = ("the CDNOW purchase log" if _data_kind(result) == "cdnow"
            else PurePath(str(src["file"])).name if src.get("file") else str(src.get("dataset")))
    out.append(f"Data: {name}" + (" (real data)." if src.get("real_data")
                                  else " (SYNTHETIC, generated for testing: not real customers)."))
    if result.origin != result.config.as_of:
        out.append(f"Why test at {result.origin} and not at {result.config.as_of}: the test needs "
                   f"{horizon_of(result.config).label} of known results after the test date, and the data ends "
                   f"{result.loaded.data_end}.")
    out += weights_used(result)
    skipped = [n for n in result.notes if " left out at " in n]
    if skipped:
        out.append(f"{len(skipped)} method(s) could not be judged at an early date for lack of earlier history.")
    out.append("The analyst reports (validation, grading comparison, data audit) hold the details behind every "
               "figure here.")
    return out
