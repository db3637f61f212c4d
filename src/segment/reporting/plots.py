"""Figures for the notebooks: each function returns a matplotlib Figure, labelled for a
reader who did not write it (title, axis labels with units, a source line)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # reports are rendered headless; notebooks display the returned figures
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from segment.reporting.views import concentration_curve


def _source(fig, text: str) -> None:
    fig.text(0.01, 0.01, text, fontsize=7, color="grey", ha="left", va="bottom")


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
    return fig
