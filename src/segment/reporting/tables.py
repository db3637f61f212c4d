"""Validation tables as the analyst reports show them: plain headers that wrap (so every
table fits a 1280 px page), a legend of what each header means, an estimate and its interval in
one cell, no index, blank for missing values, and every cell and label escaped (``styled``).

``TABLES`` says which columns each report table shows; ``table`` is what a notebook displays
for one of them. ``bullets`` makes any list of plain lines an escaped Markdown list.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Markdown

from segment.methods.reference import paragraph, text
from segment.methods.registry import display_name


def bullets(lines) -> str:
    """Plain-text lines (notes, assumptions; they may quote file names, labels or messages) as a
    Markdown list, each line escaped so that nothing in it becomes markup."""
    return "\n".join(f"- {paragraph(text(line))}" for line in lines)


def styled(table: pd.DataFrame, uuid: str, formats: dict[str, str] | None = None, precision: int | None = None,
           thousands: str | None = None, caption: str | None = None):
    """``table`` as a Styler without the row numbers, every cell and column label HTML-escaped
    (a Styler, unlike a DataFrame, shows its text as markup unless told), missing values as blank
    cells (no ``NaN`` or ``<NA>``), text never cut; ``formats``: column -> format string,
    ``precision``: decimals of the other float columns, ``thousands``: their thousands separator.
    ``caption``: a label over the table. A fixed ``uuid`` keeps reruns byte-identical."""
    out = (table.style.hide(axis="index")
           .format(formats, escape="html", na_rep="", precision=precision, thousands=thousands)
           .format_index(escape="html", axis=1).set_uuid(uuid))
    if caption is not None:  # a label over the table, escaped like every cell
        out = out.set_caption(html.escape(caption)).set_table_styles(
            [{"selector": "caption", "props": [("text-align", "left"), ("font-weight", "bold"), ("padding-bottom", "0.5em")]}])
    return out


def left_aligned(table, columns: list[str]):
    """A ``styled`` table whose text ``columns`` (cells and headers) read from the left."""
    headers = ", ".join(f"th.col{table.data.columns.get_loc(c)}" for c in columns)
    return table.set_properties(subset=list(columns), **{"text-align": "left"}).set_table_styles(
        [{"selector": headers, "props": [("text-align", "left")]}], overwrite=False)


#: column -> (header a reader sees, what it means: the legend under a table; "" needs none).
#: Headers are plain words, so they wrap and every table fits a 1280 px page.
COLUMNS: dict[str, tuple[str, str]] = {
    "customer_id": ("customer", ""),
    "top20_profit_capture": ("top-20 % profit capture", "share of next period's profit made by the 20 % of "
                             "customers the method ranks highest"),
    "diff_vs_best": ("difference to the best", "paired difference in top-20 % profit capture to the best method"),
    "clearly_worse_than_best": ("clearly worse", "the paired interval excludes zero and the gap exceeds the "
                                "practical margin"),
    "top_tier_share": ("top tier: share of customers", ""),
    "top_tier_profit_capture": ("top tier: profit capture", "share of next period's profit made by the top tier"),
    "top_tier_lift": ("top-tier lift", "top tier's profit capture divided by its share of customers"),
    "top_tier_churn_rate": ("top-tier churn", "share of the top tier that bought nothing in the outcome window"),
    "churn_auc": ("churn AUC", "how well the tiers order customers by churn (0.5: no better than chance)"),
    "gini_profit": ("Gini of profit", "how unequal next period's profit is along the method's ranking"),
    "churn_monotone": ("churn rises tier by tier", ""), "profit_monotone": ("profit falls tier by tier", ""),
    "churn_trend_p": ("churn trend p", "p-value of the trend test across the tiers"),
    "provisional": ("provisional", "customers too new to grade firmly"),
    "small_tier": ("small tier", "fewer customers than the report's minimum"),
    "revenue_total": ("revenue", "in the outcome window"), "profit_total": ("profit", "in the outcome window"),
    "reference_tier": ("reference tier", "the tier the others are compared with"), "tiers_used": ("tiers", ""),
    **{f"{m}_{k}": (label, "") for m in ("churn", "profit") for k, label in (
        ("rows_used", "customers"), ("llf", "log-likelihood"), ("aic", "AIC"), ("df_model", "model df"),
        ("aic_rank", "AIC rank"))},
    "churn_pseudo_r2": ("pseudo R²", "McFadden's"), "profit_r2": ("R²", ""),
    "churn_delta_aic": ("AIC above the best", "lower AIC fits better on the same customers"),
    "profit_delta_aic": ("AIC above the best", ""), "p_value": ("p", ""),
    "tiers_comparable": ("same tier count", ""),
    "top_tier_kappa": ("top-tier kappa", "agreement on who is in the top tier, beyond chance"),
    "weighted_kappa": ("weighted kappa", "agreement on tiers, near misses counting in part"),
    "adjusted_rand": ("adjusted Rand", "agreement of the groupings, beyond chance"),
    "ordering_spearman": ("rank correlation", "Spearman correlation of the two rankings"),
    "same_top_tier_share": ("same top tier", "share of customers both put in the top tier, or both not"),
    "spread": ("spread", "highest minus lowest percentile the methods give the customer"),
    "best_by": ("ranked best by", ""), "worst_by": ("ranked worst by", ""), "conflict": ("why they disagree", ""),
    "tier_rank_spread": ("tier spread", "the same, in tier ranks (0 to 1)"),
    "monetary_total": ("revenue to date", ""), "profit": ("profit to date", ""), "frequency": ("orders", ""),
    "recency_days": ("days since the last order", ""), "growth_trend": ("revenue trend", "-1 falling to +1 rising"),
    "mean_top20_profit_capture": ("top-20 % capture: mean", ""), "min_top20_profit_capture": ("lowest", ""),
    "max_top20_profit_capture": ("highest", ""), "origin_from": ("from", ""), "origin_to": ("to", ""),
    "stable_share": ("same tier", ""), "up_share": ("moved up", ""), "down_share": ("moved down", ""),
    "new_customers": ("new", ""), "left_customers": ("gone", ""), "direction": ("move", ""),
    "churn_rate_after": ("churn after", "share who bought nothing in the outcome window"),
    "churn_lift": ("churn lift", "churn of the flagged minus the not flagged"),
}
#: estimate column -> its interval's (low, high) columns: shown as one "0.686 [0.648, 0.736]" cell
INTERVALS = {
    "top20_profit_capture": ("top20_capture_ci_low", "top20_capture_ci_high"),
    "diff_vs_best": ("diff_vs_best_ci_low", "diff_vs_best_ci_high"),
    "top_tier_profit_capture": ("top_tier_capture_ci_low", "top_tier_capture_ci_high"),
    "churn_auc": ("churn_auc_ci_low", "churn_auc_ci_high"), "gini_profit": ("gini_ci_low", "gini_ci_high"),
    "churn_rate": ("churn_ci_low", "churn_ci_high"), "churn_rate_after": ("churn_ci_low", "churn_ci_high"),
    "revenue_per_customer": ("revenue_per_customer_ci_low", "revenue_per_customer_ci_high"),
    "profit_per_customer": ("profit_per_customer_ci_low", "profit_per_customer_ci_high"),
    "effect": ("ci_low", "ci_high"), "churn_lift": ("lift_ci_low", "lift_ci_high"),
}
#: the report's tables: name -> the columns shown (those a run's table has), in order
TABLES: dict[str, list[str]] = {k: v.split() for k, v in {
    "leaderboard": "method top20_profit_capture diff_vs_best clearly_worse_than_best top_tier top_tier_share "
                   "top_tier_profit_capture top_tier_lift note",
    "ranking": "method churn_auc gini_profit top_tier_churn_rate churn_monotone churn_trend_p profit_monotone "
               "profit_trend_p",
    "per_tier_churn": "method tier customers customer_share provisional churned churn_rate small_tier",
    "per_tier_money": "method tier revenue_total revenue_share revenue_per_customer profit_total profit_share "
                      "profit_per_customer",
    "churn_model": "method reference_tier tiers_used churn_rows_used churn_llf churn_aic churn_pseudo_r2 "
                   "churn_df_model churn_delta_aic churn_aic_rank note",
    "profit_model": "method reference_tier tiers_used profit_rows_used profit_llf profit_aic profit_r2 "
                    "profit_df_model profit_delta_aic profit_aic_rank",
    "model_effects": "method model tier effect effect_kind p_value",
    "agreement": "method_a method_b tiers_a tiers_b tiers_comparable top_tier_kappa weighted_kappa adjusted_rand "
                 "ordering_spearman same_top_tier_share",
    "backtest_stability": "method origins times_best mean_rank worst_rank mean_top20_profit_capture "
                          "min_top20_profit_capture max_top20_profit_capture",
    "migration_summary": "origin_from origin_to method customers_in_both stable_share up_share down_share "
                         "new_customers left_customers same_tier_labels",
    "migration_paths": "origin_from origin_to method tier_from tier_to direction customers share_of_tier_from "
                       "churn_rate_after profit_per_customer_after profit_total_after",
    "warning_check": "method group customers churn_rate_after churn_lift profit_per_customer_after",
    "early_warning": "method customer_id tier reason growth_trend recency_days typical_gap_days days_past_usual_gap "
                     "monetary_total profit",
}.items()}


def _cell(value, low=None, high=None, whole: bool = False) -> str:
    """A figure as text: 3 decimals, or whole with thousands separators (``whole`` or 1,000 and
    more), then its interval; blank when missing (no ``NaN`` or ``<NA>``)."""
    if pd.isna(value):
        return ""
    number = f"{value:,.0f}" if whole or abs(value) >= 1000 else f"{value:.3f}"
    return number if low is None or pd.isna(low) or pd.isna(high) else f"{number} [{low:.3f}, {high:.3f}]"


def readable(table: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """``columns`` of ``table`` (those it has; default all) as text under the reader's headers
    (``COLUMNS``; others with spaces for underscores, so they wrap):
    an estimate and its interval in one cell (``INTERVALS``), p-values under 0.001 as "< 0.001",
    yes/no for true/false, figures by ``_cell``; missing values blank; no index."""
    out = {}
    for col in [c for c in (table.columns if columns is None else columns) if c in table.columns]:
        values = table[col].reset_index(drop=True)
        low, high = INTERVALS.get(col, (None, None))
        if low in table.columns and high in table.columns:
            values = pd.Series([_cell(*r) for r in zip(values, table[low], table[high])])
        elif col.endswith("_p") or col == "p_value":
            values = values.map(lambda p: "" if pd.isna(p) else "< 0.001" if p < 0.001 else f"{p:.3f}")
        elif pd.api.types.is_bool_dtype(values) or values.dropna().map(type).isin([bool, np.bool_]).all():
            values = values.map(lambda v: "" if pd.isna(v) else "yes" if v else "no")
        elif pd.api.types.is_numeric_dtype(values):
            whole = bool(values.dropna().eq(values.dropna().round()).all())
            values = values.map(lambda v: _cell(v, whole=whole))
        else:
            values = values.astype("string").fillna("")
        out[COLUMNS.get(col, (col.replace("_", " "), ""))[0]] = values
    return pd.DataFrame(out)


def legend(columns: list[str]) -> str:
    """The meaning of the headers of ``columns`` that need one, as an escaped Markdown list."""
    seen = dict.fromkeys(f"{COLUMNS[c][0]}: {COLUMNS[c][1]}" for c in columns if COLUMNS.get(c, ("", ""))[1])
    return bullets(seen)


#: rows of a long list a page shows (the early-warning list: ~4,000 rows on CDNOW, ~400,000 at 2.36 M
#: customers, a 21 MB page); the whole list is in the run's CSV
LIST_ROWS = 100


def table(frame: pd.DataFrame | None, name: str, *, missing: str = "Not made in this run.",
          first: int | None = None, rest: str = "") -> tuple[Any, ...]:
    """What a notebook displays for validation's ``frame`` as the report's table ``name``
    (``TABLES``): the table (``styled``, uuid ``name``) and its legend; ``missing`` as text when
    the run has no such table. ``first``: show only the first that-many rows, and say so with
    ``rest`` (where the others are) when there are more."""
    if frame is None or len(frame) == 0:
        return (Markdown(text(missing)),)
    shown = [c for c in TABLES[name] if c in frame.columns]
    if first is None or len(frame) <= first:
        return styled(readable(frame, shown), name), Markdown(legend(shown))
    note = Markdown(text(f"The first {first:,} of {len(frame):,} rows{rest}."))
    return note, styled(readable(frame.head(first), shown), name), Markdown(legend(shown))


def leaderboard_view(board: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard's headline part a reader needs (``TABLES["leaderboard"]``); a method that
    could not grade the data keeps its row, with no figures and its ``note`` ("not graded: ...")."""
    return readable(board, TABLES["leaderboard"])


#: metric_intervals' metric -> the name a reader sees
METRIC_LABELS = {
    "top20_profit_capture": "top-20 % profit capture", "top_tier_profit_capture": "top-tier profit capture",
    "gini_profit": "Gini of profit", "churn_auc": "churn AUC",
}


def metric_intervals_view(intervals: pd.DataFrame, order: list[str] | None = None, part: str = "both") -> pd.DataFrame:
    """One row per method, and per metric (plain names) two columns: the estimate with its interval,
    and the paired difference to the best method on that metric with its interval (``*``: clearly
    worse, the interval excludes zero). ``order``: the methods' row order (the leaderboard's);
    ``part``: "estimate" or "difference" keeps only those columns (two tables that fit a page)."""
    if intervals.empty:
        return pd.DataFrame({"method": []})
    t = intervals.assign(
        value=[_cell(*r) for r in intervals[["estimate", "ci_low", "ci_high"]].itertuples(index=False)],
        diff=[_cell(*r) + (" *" if worse else "") if best != m else "best"
              for m, best, worse, *r in intervals[["method", "best_method", "clearly_worse_than_best", "diff_vs_best",
                                                   "diff_ci_low", "diff_ci_high"]].itertuples(index=False)])
    metrics = [m for m in METRIC_LABELS if m in set(t["metric"])] + sorted(set(t["metric"]) - set(METRIC_LABELS))
    methods = [m for m in (order or []) if m in set(t["method"])] + [m for m in dict.fromkeys(t["method"])
                                                                      if m not in (order or [])]
    out = pd.DataFrame({"method": methods})
    for metric in metrics:
        rows = t[t["metric"] == metric].set_index("method")
        label = METRIC_LABELS.get(metric, metric)
        if part != "difference":
            out[label] = out["method"].map(rows["value"]).fillna("")
        if part != "estimate":
            out[f"{label}: difference to the best"] = out["method"].map(rows["diff"]).fillna("")
    return out


def interval_notes(intervals: pd.DataFrame) -> list[str]:
    """How each metric's interval was made, one plain line per metric."""
    rows = intervals.drop_duplicates("metric")
    return [f"{METRIC_LABELS.get(m, m)}: {how}, {level:.0%} interval"
            for m, how, level in rows[["metric", "interval_method", "level"]].itertuples(index=False)]


#: the columns that say why customers are in the disagreements table, shown first
WHY_COLUMNS = ["customer_id", "spread", "best_by", "worst_by", "conflict"]


def disagreements_view(table: pd.DataFrame) -> pd.DataFrame:
    """The disagreements, why first (customer, spread, the method ranking the customer best and
    worst, the conflict), then the customer's figures; every method's tier is in
    ``disagreement_tiers_view``, the per-method percentiles stay in the CSV."""
    why = [c for c in WHY_COLUMNS if c in table.columns]
    rest = [c for c in table.columns if c not in why and not c.startswith(("tier_", "pct_")) or c == "tier_rank_spread"]
    return readable(table, why + rest)


def disagreement_tiers_view(table: pd.DataFrame) -> pd.DataFrame:
    """Each disagreement's customer and the tier every method gives it (methods by plain name)."""
    tiers = [c for c in table.columns if c.startswith("tier_") and c != "tier_rank_spread"]
    out = table[["customer_id", *tiers]].rename(columns={c: display_name(c.removeprefix("tier_")) for c in tiers})
    return out.rename(columns={"customer_id": "customer"}).reset_index(drop=True)
