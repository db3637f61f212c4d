"""The leadership summary's content: plain words, aggregates only, no customer identity.

Every figure comes from the pipeline result: the recommendation from the leaderboard
(``validation/leaderboard.csv``), tier sizes from the grading at the grading date,
churn and profit by tier from ``validation/per_tier.csv``. Tiers with fewer than
``min_tier_size`` customers are suppressed (their figures blanked) so that no small
group can be singled out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segment.pipeline import PipelineResult

#: the sources' policy per tier position (DOMAIN.md, "Per-tier policy")
POLICIES = {
    "top": "Dedicated service, priority in production and complaints, regular visits, customised offers, satisfaction monitoring.",
    "middle": "Regular contact; develop the customers with upgrade potential.",
    "low": "Automated, low-cost service; cultivate those with potential; review or drop the unprofitable.",
    "loss": "Loss-making: review prices and cost-to-serve; drop chronic late payers and unprofitable accounts.",
}


def pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{100 * x:.0f} %"


def recommendation(result: PipelineResult) -> dict:
    board = result.validation["tables"]["leaderboard"]
    methods = board[~board["reference"].astype(bool)].sort_values("top20_profit_capture", ascending=False)
    worse_flag = methods["clearly_worse_than_best"].astype(bool)
    best = methods.iloc[0]
    ceiling = board.loc[board["method"] == "perfect hindsight (reference)", "top20_profit_capture"].iloc[0]
    tied = methods[(methods["method"] != best["method"]) & ~worse_flag]["method"].tolist()
    worse = methods[worse_flag]["method"].tolist()
    return {"method": best["method"], "capture": best["top20_profit_capture"], "ci_low": best["top20_capture_ci_low"],
            "ci_high": best["top20_capture_ci_high"], "churn_auc": best["churn_auc"], "ceiling": ceiling,
            "not_clearly_worse": tied, "clearly_worse": worse,
            "revenue_abc": methods.set_index("method")["top20_profit_capture"].get("abc_revenue")}


def headline(result: PipelineResult) -> str:
    r = recommendation(result)
    h = result.config.horizon_days
    text = [
        f"**Use `{r['method']}` to decide who gets scarce sales and service time.** "
        f"Graded at {result.origin}, the 20 % of customers it ranked highest made **{pct(r['capture'])}** of all profit "
        f"in the following {h} days (95 % interval {pct(r['ci_low'])} to {pct(r['ci_high'])}). "
        f"A random choice would capture 20 %; perfect hindsight {pct(r['ceiling'])}.",
    ]
    if r["revenue_abc"] is not None and r["method"] != "abc_revenue":
        text.append(f"The common revenue-based ABC grading captured {pct(r['revenue_abc'])}.")
    if r["not_clearly_worse"]:
        text.append("Not clearly worse (their difference to the best is within the interval): "
                    + ", ".join(f"`{m}`" for m in r["not_clearly_worse"]) + " — pick among these on simplicity.")
    if r["clearly_worse"]:
        text.append("Clearly worse: " + ", ".join(f"`{m}`" for m in r["clearly_worse"]) + ".")
    return "\n\n".join(text)


def tier_summary(result: PipelineResult, method: str, min_tier_size: int) -> pd.DataFrame:
    """Per tier: customers now, their revenue and profit so far, and the churn and profit per
    customer that tier showed in the validation window. Small tiers are suppressed."""
    a = result.assignments[method]
    f = result.features
    now = pd.DataFrame({"tier": a["tier"], "revenue": f["monetary_total"], "profit": f["profit"]}).groupby(
        "tier", observed=False).agg(customers=("revenue", "size"), revenue=("revenue", "sum"), profit=("profit", "sum"))
    now["customer share"] = now["customers"] / now["customers"].sum()
    now["profit share"] = now["profit"] / now["profit"].sum() if now["profit"].sum() else np.nan
    per = result.validation["tables"]["per_tier"]
    per = per[per["method"] == method].set_index("tier")
    now.index = now.index.astype(str)
    now["churn rate next period"] = per["churn_rate"].reindex(now.index)
    now["profit per customer next period"] = per["profit_per_customer"].reindex(now.index)
    small = now["customers"] < min_tier_size
    now.loc[small, now.columns] = np.nan
    shown = pd.DataFrame(index=now.index)
    shown["customers"] = now["customers"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["share of customers"] = now["customer share"].map(pct)
    shown["revenue so far"] = now["revenue"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["profit so far"] = now["profit"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["share of profit"] = now["profit share"].map(pct)
    shown["churned next period"] = now["churn rate next period"].map(pct)
    shown["profit per customer next period"] = now["profit per customer next period"].map(
        lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    shown["note"] = np.where(small, f"suppressed: fewer than {min_tier_size} customers", "")
    shown.index.name = "tier"
    return shown


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


def early_warning_count(result: PipelineResult, method: str) -> str:
    ew = result.validation["tables"]["early_warning"]
    ew = ew[ew["method"] == method]
    n_top = int((result.assignments[method]["tier"].cat.codes == 0).sum())
    return (f"**{len(ew)}** of the {n_top} customers in the top tier of `{method}` show falling activity "
            f"(revenue down by half or more, or overdue for their usual next order). The analyst report lists them.")


def what_changed(result: PipelineResult, method: str) -> str:
    t = result.validation["tables"]
    summ = t.get("migration_summary")
    if summ is None or summ.empty or (summ["method"] == method).sum() == 0:
        return "No earlier quarter in this run to compare with."
    last = summ[summ["method"] == method].iloc[-1]
    return (f"Between {last['origin_from']} and {last['origin_to']}, {pct(last['stable_share'])} of existing customers "
            f"kept their `{method}` tier and {int(last['new_customers'])} new customers arrived. "
            "An A grade is not for life: the analyst report has the full movement table.")


def assumptions(result: PipelineResult) -> list[str]:
    a = result.features.attrs.get("assumptions", {})
    out = [f"Profit: {a.get('profit_source')}" + (f", gross margin {a['gross_margin']:.0%}" if "gross_margin" in a else "")
           + (f", minus {a['cost_per_order']:g} per order" if a.get("cost_per_order") else "") + "."]
    out.append(f"Tiers graded at {result.config.as_of}; validated at {result.origin} against the next "
               f"{result.config.horizon_days} days.")
    out.append(f"Data: {result.loaded.source.get('file') or result.loaded.source.get('dataset')}"
               + (" (real data)." if result.loaded.source.get("real_data") else " (synthetic, for testing only)."))
    out += result.notes
    return out
