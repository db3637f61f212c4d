"""The leadership summary's tables: today's tiers and the out-of-time test (never one table
for two dates), and the sources' policy per tier. Small tiers (fewer than ``min_tier_size``
customers) are blank with a note, never described by their own figures; every cell, label and
caption is escaped (``segment.reporting.tables.styled``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segment.horizon import horizon_of
from segment.methods.registry import METHODS, display_name
from segment.pipeline import PipelineResult
from segment.reporting.leadership import count_or_fewer, currency, money, pct
from segment.reporting.tables import styled

#: the sources' policy per tier position (DOMAIN.md, "Per-tier policy")
POLICIES = {
    "top": "Dedicated service, priority in production and complaints, regular visits, customised offers, satisfaction monitoring.",
    "middle": "Regular contact; develop the customers with upgrade potential.",
    "low": "Automated, low-cost service; cultivate those with potential; review or drop the unprofitable.",
    "loss": "Loss-making: review prices and cost-to-serve; drop chronic late payers and unprofitable accounts.",
}


def tiers_today(result: PipelineResult, method: str, min_tier_size: int) -> pd.DataFrame:
    """Today's tiers (at the grading date): customers, their revenue and profit to date and the
    shares. Small tiers are blank (suppressed)."""
    a, f, unit = result.assignments[method], result.features, currency(result)
    now = pd.DataFrame({"tier": a["tier"], "revenue": f["monetary_total"], "profit": f["profit"]}).groupby(
        "tier", observed=False).agg(customers=("revenue", "size"), revenue=("revenue", "sum"), profit=("profit", "sum"))
    now.index = now.index.astype(str)
    now["customer share"] = now["customers"] / now["customers"].sum()
    now["profit share"] = now["profit"] / now["profit"].sum() if now["profit"].sum() else np.nan
    empty, small = _small(now["customers"], min_tier_size)
    now = now.astype(float)
    now.loc[small, now.columns] = np.nan
    shown = pd.DataFrame(index=now.index)
    shown["customers"] = now["customers"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["share of customers"] = now["customer share"].map(pct)
    shown["revenue to date"] = now["revenue"].map(lambda v: money(v, unit))
    shown["profit to date"] = now["profit"].map(lambda v: money(v, unit))
    shown["share of profit"] = now["profit share"].map(pct)
    return _with_note(shown, empty, small, min_tier_size)


def tiers_test(result: PipelineResult, method: str, min_tier_size: int) -> pd.DataFrame:
    """The out-of-time test: the same rule's tiers at the test date (``result.origin``), and
    what those customers did in the run's horizon after it (churn with its 95 % interval,
    profit per customer). Small tiers are blank (suppressed)."""
    per = result.validation.per_tier
    per = per[per["method"] == method].set_index("tier")
    per.index = per.index.astype(str)
    empty, small = _small(per["customers"], min_tier_size)
    per = per[["customers", "churn_rate", "churn_ci_low", "churn_ci_high", "profit_per_customer"]].astype(float)
    per.loc[small, per.columns] = np.nan
    unit, h = currency(result), horizon_of(result.config).label
    shown = pd.DataFrame(index=per.index)
    shown["customers at the test date"] = per["customers"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown[f"stopped buying in the next {h}"] = [
        "" if pd.isna(c) else f"{pct(c)} ({pct(lo)} to {pct(hi)})"
        for c, lo, hi in zip(per["churn_rate"], per["churn_ci_low"], per["churn_ci_high"])]
    shown[f"profit per customer in the next {h}"] = per["profit_per_customer"].map(lambda v: money(v, unit, 2))
    return _with_note(shown, empty, small, min_tier_size)


def _small(customers: pd.Series, min_tier_size: int) -> tuple[pd.Series, pd.Series]:
    """(empty, small) tiers: no customers / fewer than ``min_tier_size`` (suppressed)."""
    return customers == 0, (customers < min_tier_size) & (customers > 0)


def _with_note(shown: pd.DataFrame, empty: pd.Series, small: pd.Series, min_tier_size: int) -> pd.DataFrame:
    shown["note"] = np.where(small, f"suppressed: fewer than {min_tier_size} customers",
                             np.where(empty, "no customers", ""))
    shown.index.name = "tier"
    return shown


def tiers_today_caption(result: PipelineResult, method: str) -> str:
    """The label of ``tiers_today`` (plain text): the grading and its one date."""
    return (f"Today, {result.config.as_of}: the tiers of the {display_name(method) if method in METHODS else method}, "
            "best first, with the customers' purchases up to that day")


def tiers_test_caption(result: PipelineResult, method: str) -> str:
    """The label of ``tiers_test`` (plain text): the test date and the window after it."""
    window = horizon_of(result.config)
    return (f"The out-of-time test: the same rule's tiers on {result.origin} (the test date), and what those "
            f"customers did from then to {window.end(result.origin)} ({window.label}; "
            "95 % intervals in brackets)")


def tiers_note(result: PipelineResult, method: str, min_tier_size: int) -> str:
    """The sentence over the two tier tables (Markdown): why two tables, small-cell rule, and
    the share of provisional grades today (unless every grade is: the page opened with that)."""
    a = result.assignments[method]
    out = ("Two tables, two dates: today's tiers say who the customers are now; the test says how well the same "
           "rule's tiers, drawn earlier, foretold what customers did next. A tier with fewer than "
           f"{min_tier_size:,} customers is never described by its own figures, so that no small group can be "
           "singled out: its row is blank and the figure leaves it out.")
    if "provisional" in a.columns and 0 < (n := int(a["provisional"].astype(bool).sum())) < len(a):
        out += (f" Today {count_or_fewer(n, min_tier_size)} of the {len(a):,} grades are provisional (customers "
                f"who first bought less than {getattr(result.config, 'provisional_days', 182):,} days ago).")
    return out


def policy_table(labels: list[str]):
    """``policy_for`` as a left-aligned table for the page (tier labels come from the config:
    escaped by ``styled``)."""
    return (styled(policy_for(labels), "policy").set_properties(**{"text-align": "left"})
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
