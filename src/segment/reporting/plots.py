"""Figures for the notebooks: each function returns a matplotlib Figure, labelled for a
reader who did not write it (title, axis labels with units, a source line). Figures are
closed before they are returned, so a notebook shows each once, through ``display``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns


def _source(fig, text: str) -> None:
    fig.text(0.01, 0.01, text, fontsize=7, color="grey", ha="left", va="bottom")


def concentration_curve(values: pd.Series) -> pd.DataFrame:
    """Cumulative share of the total against the cumulative share of customers (best first)."""
    v = np.sort(values.to_numpy(dtype=float))[::-1]
    total = v.sum()
    n = len(v)
    return pd.DataFrame(
        {
            "customer_share": np.concatenate([[0.0], np.arange(1, n + 1) / n]),
            "value_share": np.concatenate([[0.0], np.cumsum(v) / total]) if total else np.zeros(n + 1),
        }
    )


def concentration(values: pd.Series, *, what: str, as_of: str, source: str):
    """Lorenz-style curve: share of customers (best first) against share of the total."""
    curve = concentration_curve(values)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(curve["customer_share"] * 100, curve["value_share"] * 100, label=what)
    ax.plot([0, 100], [0, 100], ls="--", color="grey", lw=1, label="all customers equal")
    ax.axvline(20, color="orange", lw=1, ls=":")
    at20 = np.interp(0.2, curve["customer_share"], curve["value_share"]) * 100
    ax.annotate(f"top 20 % make {at20:.0f} %", (20, at20), xytext=(30, max(at20 - 25, 5)),
                arrowprops={"arrowstyle": "->"})
    ax.set(xlabel="customers, best first (%)", ylabel=f"cumulative share of {what} (%)",
           title=f"Concentration of {what} as of {as_of}", xlim=(0, 100), ylim=(min(0, curve['value_share'].min() * 100), 105))
    ax.legend(loc="lower right")
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    plt.close(fig)
    return fig


def histogram(values: pd.Series, *, what: str, unit: str, source: str, log: bool = True):
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    v = values.to_numpy(dtype=float)
    if log:
        v = v[v > 0]
        sns.histplot(v, bins=50, log_scale=True, ax=ax)
    else:
        sns.histplot(v, bins=50, ax=ax)
    ax.set(xlabel=f"{what} ({unit}{', log scale' if log else ''})", ylabel="customers", title=f"Distribution of {what}")
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    plt.close(fig)
    return fig


def tier_bars(sizes: pd.DataFrame, *, value: str, title: str, source: str):
    """One small bar chart per method: ``value`` per tier (best tier on top)."""
    methods = list(dict.fromkeys(sizes["method"]))
    ncol = 3
    nrow = int(np.ceil(len(methods) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.6 * nrow), squeeze=False)
    for ax, m in zip(axes.flat, methods):
        part = sizes[sizes["method"] == m]
        ax.barh(part["tier"][::-1], part[value][::-1] * (100 if "share" in value else 1), color=sns.color_palette()[0])
        ax.set_title(m, fontsize=10)
        ax.set_xlabel(f"{value.replace('_', ' ')}{' (%)' if 'share' in value else ''}")
    for ax in axes.flat[len(methods):]:
        ax.axis("off")
    fig.suptitle(title)
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 0.97))
    plt.close(fig)
    return fig


def pyramids(sizes: pd.DataFrame, *, method: str, source: str):
    """The customer-count pyramid beside the inverted profit pyramid (DOMAIN.md)."""
    part = sizes[sizes["method"] == method].reset_index(drop=True)
    n = len(part)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    colours = sns.color_palette("crest", n)
    for i, row in part.iterrows():
        # count pyramid: best tier at the top, narrowest
        w = row["customer_share"]
        axes[0].barh(n - 1 - i, w, left=-w / 2, color=colours[i])
        axes[0].text(0, n - 1 - i, f"{row['tier']}: {w:.0%} of customers", ha="center", va="center", fontsize=8)
        p = row["profit_share"]
        axes[1].barh(n - 1 - i, p, left=-p / 2, color=colours[i])
        axes[1].text(0, n - 1 - i, f"{row['tier']}: {p:.0%} of profit", ha="center", va="center", fontsize=8)
    for ax, title in zip(axes, ["Customers per level", "Profit per level (inverted pyramid)"]):
        ax.set_title(title)
        ax.set_yticks([])
        ax.set_xticks([])
        ax.set_xlim(-0.55, 0.55) if title.startswith("Cust") else ax.set_xlim(-max(0.55, part["profit_share"].max() / 2 + 0.05), max(0.55, part["profit_share"].max() / 2 + 0.05))
        for s in ax.spines.values():
            s.set_visible(False)
    fig.suptitle(f"Customer pyramid ({method})")
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    plt.close(fig)
    return fig


def capture_curves(curves: pd.DataFrame, *, title: str, source: str, methods: list[str] | None = None):
    """Gain curves: share of outcome profit captured by the first x % of each ordering."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, part in curves.groupby("method", sort=False):
        if methods and name not in methods and "reference" not in name:
            continue
        style = {"ls": "--", "color": "black"} if "reference" in name else {}
        ax.plot(part["customer_share"] * 100, part["value_share"] * 100, label=name, **style)
    ax.plot([0, 100], [0, 100], ls=":", color="grey", label="random (reference)")
    ax.axvline(20, color="orange", lw=1, ls=":")
    ax.set(xlabel="customers, best first by each grading (%)", ylabel="share of outcome profit captured (%)", title=title)
    ax.legend(fontsize=7, loc="lower right")
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    plt.close(fig)
    return fig


def leaderboard_intervals(board: pd.DataFrame, *, title: str, source: str, labels: dict[str, str] | None = None):
    """Top-20 % profit capture per method with its 95 % bootstrap interval (``labels``:
    method -> name shown, e.g. plain names for leadership). Methods that could not grade the
    data (a "not graded" row, no figures) are not drawn."""
    from segment.validation.leaderboard import method_rows

    b = method_rows(board).sort_values("top20_profit_capture")
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(b) + 1.5))
    y = np.arange(len(b))
    ax.errorbar(b["top20_profit_capture"] * 100, y,
                xerr=[(b["top20_profit_capture"] - b["top20_capture_ci_low"]) * 100,
                      (b["top20_capture_ci_high"] - b["top20_profit_capture"]) * 100], fmt="o", capsize=3)
    ax.set_yticks(y, [(labels or {}).get(m, m) for m in b["method"]])
    refs = board[board["reference"].astype(bool)].set_index("method")["top20_profit_capture"]
    for name, v in refs.items():
        ax.axvline(v * 100, ls="--", color="grey", lw=1)
        ax.text(v * 100, len(b) - 0.5, name, fontsize=7, rotation=90, va="top", ha="right")
    ax.set(xlabel="share of next-period profit made by the top 20 % of customers (%, 95 % interval)", title=title)
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    plt.close(fig)
    return fig


def tier_outcomes(per_tier: pd.DataFrame, *, method: str, source: str, label: str | None = None,
                  min_tier_size: int = 1, window: str = "the outcome window", unit: str | None = None):
    """Churn rate and profit per customer by tier, with 95 % intervals, over ``window`` (e.g.
    "the 182 days after 1997-09-30"; ``unit``: the money's currency, shown in the axis label);
    tiers with fewer than ``min_tier_size`` customers are not drawn (small-cell suppression; 1:
    every non-empty tier)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    _tier_outcome_panels(axes, _shown_tiers(per_tier, method, min_tier_size), unit)
    fig.suptitle(_literal(f"{label or method}: how its tiers did in {window} (95 % intervals)"))
    if min_tier_size > 1:
        source = f"{source}; tiers with fewer than {min_tier_size:,} customers are not shown"
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    plt.close(fig)
    return fig


def tier_outcomes_grid(per_tier: pd.DataFrame, methods: list[str], *, source: str,
                       labels: dict[str, str] | None = None, window: str = "the outcome window",
                       unit: str | None = None):
    """``tier_outcomes`` of every method in ``methods`` as one figure of small multiples (a row
    per method, in that order; churn on one scale for all, so the methods compare at a glance;
    profit per customer on each method's own scale).
    Every non-empty tier is drawn (the analyst
    report; the leadership page draws one method with small tiers left out)."""
    height = 2.3 * len(methods) + 0.8
    fig, axes = plt.subplots(len(methods), 2, figsize=(10, height), squeeze=False)
    for ax in axes[1:, 0]:  # churn: one scale; profit per customer: each grading's own (a big tier would flatten the rest)
        ax.sharey(axes[0, 0])
    for row, method in zip(axes, methods):
        _tier_outcome_panels(row, _shown_tiers(per_tier, method, 1), unit, compact=True)
        row[0].set_title(_literal((labels or {}).get(method, method)), loc="left", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("tier")
    fig.suptitle(_literal(f"How each grading's tiers did in {window} (95 % intervals): customers who stopped "
                          "buying, left; profit per customer, right"), fontsize=11)
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.3 / height, 1, 1 - 0.45 / height))  # room for the title and the source line
    plt.close(fig)
    return fig


def _shown_tiers(per_tier: pd.DataFrame, method: str, min_tier_size: int) -> pd.DataFrame:
    return per_tier[(per_tier["method"] == method) & (per_tier["customers"] >= max(1, min_tier_size))]


def _tier_outcome_panels(axes, t: pd.DataFrame, unit: str | None, compact: bool = False) -> None:
    """Churn (left) and profit per customer (right) by tier of one method, with their intervals."""
    x = np.arange(len(t))
    ticks = [_literal(v) for v in t["tier"]]
    axes[0].bar(x, t["churn_rate"] * 100, yerr=_errors(t["churn_rate"] * 100, t["churn_ci_low"] * 100,
                                                       t["churn_ci_high"] * 100), capsize=3)
    axes[1].bar(x, t["profit_per_customer"], yerr=_errors(t["profit_per_customer"], t["profit_per_customer_ci_low"],
                                                          t["profit_per_customer_ci_high"]), capsize=3)
    money = f"profit per customer{f' ({unit})' if unit else ''}"
    if compact:  # a row of small multiples: the figure's title names the panels
        axes[0].set(xticks=x, xticklabels=ticks, ylabel="stopped buying (%)")
        axes[1].set(xticks=x, xticklabels=ticks, ylabel=money)
        return
    axes[0].set(xticks=x, xticklabels=ticks, xlabel="tier", ylabel="customers who stopped buying (%)",
                title="Stopped buying")
    axes[1].set(xticks=x, xticklabels=ticks, xlabel="tier", ylabel=money, title="Profit per customer")


def _literal(value) -> str:
    """``value`` as text matplotlib draws as it is (a ``$`` would start mathtext)."""
    return str(value).replace("$", r"\$")


def _errors(point: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    """Error-bar lengths below and above ``point``; a missing interval, or one that does not
    contain the point (a percentile bootstrap can), draws no bar on that side."""
    below = (point - low).to_numpy(dtype=float)
    above = (high - point).to_numpy(dtype=float)
    return np.nan_to_num(np.clip(np.vstack([below, above]), 0, None), nan=0.0)


def paired_differences(board: pd.DataFrame, *, title: str, source: str, labels: dict[str, str] | None = None,
                       recommended: str | None = None, margin: float = 0.0):
    """Each graded method's paired difference to the highest-scoring one in top-20 % profit
    capture (``diff_vs_best`` with its 95 % interval), in percentage points; the band from
    -``margin`` to 0 is the practical margin; ``recommended`` is drawn in another colour.
    Methods that could not grade the data are not drawn."""
    from segment.validation.leaderboard import HEADLINE, method_rows

    b = method_rows(board).copy()
    best = b.loc[b[HEADLINE].astype(float).idxmax(), "method"] if len(b) else None
    if "diff_vs_best" not in b:
        b["diff_vs_best"] = b[HEADLINE] - b[HEADLINE].max()
    for side in ("low", "high"):
        if f"diff_vs_best_ci_{side}" not in b:
            b[f"diff_vs_best_ci_{side}"] = np.nan
    b = b.sort_values(["diff_vs_best", HEADLINE], kind="stable")
    diff, lo, hi = (b[c].astype(float).to_numpy() * 100 for c in
                    ("diff_vs_best", "diff_vs_best_ci_low", "diff_vs_best_ci_high"))
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(b) + 2))
    y = np.arange(len(b))
    if margin > 0:
        ax.axvspan(-margin * 100, 0, color="grey", alpha=0.15, lw=0)
    ax.axvline(0, color="grey", lw=1)
    colours = ["tab:orange" if m == recommended else "tab:blue" for m in b["method"]]
    # the interval as a line (not an error bar): it need not contain the point estimate
    ax.hlines(y, lo, hi, colors=colours, lw=2)
    ax.scatter(diff, y, color=colours, zorder=3)
    names = [(labels or {}).get(m, m) for m in b["method"]]
    ax.set_yticks(y, [f"{n} (recommended)" if m == recommended else n for n, m in zip(names, b["method"])])
    best_name = (labels or {}).get(best, best)
    band = f"\ngrey band: within {100 * margin:g} points of it (the practical margin)" if margin > 0 else ""
    ax.set(xlabel=f"difference to the highest-scoring grading ({best_name})\nin the share of next-period "
                  f"profit made by the top 20 % (percentage points, 95 % paired interval){band}", title=title,
           ylim=(-0.7, len(b) - 0.3))
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    plt.close(fig)
    return fig


def kaism_matrix(axes_values: pd.DataFrame, tiers: pd.Series, split: dict, *, source: str, max_points: int = 5000):
    sample = axes_values.join(tiers.rename("tier"))
    if len(sample) > max_points:
        sample = sample.sample(max_points, random_state=0)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    sns.scatterplot(data=sample, x="position", y="attractiveness", hue="tier", s=8, ax=ax, alpha=0.6)
    ax.axvline(split["position"], color="grey", ls="--")
    ax.axhline(split["attractiveness"], color="grey", ls="--")
    ax.set(xlabel="supplier's position (relationship strength, 0-1)", ylabel="customer attractiveness (0-1)",
           title="KAISM matrix")
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    plt.close(fig)
    return fig


def rfm_heatmap(scores: pd.DataFrame, *, source: str):
    """Customers per (R score, FM score) cell."""
    grid = scores.pivot_table(index="r", columns="fm", values="rfm_score", aggfunc="size", fill_value=0).sort_index(ascending=False)
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    sns.heatmap(grid, annot=True, fmt="d", cmap="crest", ax=ax, cbar_kws={"label": "customers"})
    ax.set(xlabel="FM score (mean of frequency and monetary scores)", ylabel="R score (5 = most recent)", title="RFM grid")
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    plt.close(fig)
    return fig


def backtest_lines(backtest: pd.DataFrame, *, source: str):
    b = backtest[~backtest["reference"].astype(bool)]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    sns.lineplot(data=b, x="origin", y=b["top20_profit_capture"] * 100, hue="method", marker="o", ax=ax)
    ax.set(xlabel="as-of date (origin)", ylabel="top-20 % profit capture (%)", title="Is a method's lead stable over time?")
    ax.legend(fontsize=7)
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    plt.close(fig)
    return fig

