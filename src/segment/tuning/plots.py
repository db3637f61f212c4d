"""Figures for the tuning notebook. Each returns a closed matplotlib Figure with a title,
labelled axes and a source line (the conventions of ``segment.reporting.plots``)."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from segment.tuning.search import HINDSIGHT, TUNED

SQRT3_2 = np.sqrt(3) / 2


def _source(fig, text: str) -> None:
    fig.text(0.01, 0.01, text, fontsize=7, color="grey", ha="left", va="bottom")


def _finish(fig, source: str, top: float = 0.95):
    _source(fig, source)
    fig.tight_layout(rect=(0, 0.03, 1, top))
    plt.close(fig)
    return fig


def _ternary_xy(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Barycentric (a, b, c) -> plane: a at the lower left, b lower right, c at the top."""
    total = w.sum(axis=1)
    total = np.where(total > 0, total, 1.0)
    b, c = w[:, 1] / total, w[:, 2] / total
    return b + c / 2, c * SQRT3_2


def _ternary_axes(ax, names: list[str]) -> None:
    ax.plot([0, 1, 0.5, 0], [0, 0, SQRT3_2, 0], color="grey", lw=0.8)
    # corner labels inside the panel's own box, so that neighbouring panels never overlap
    ax.text(-0.04, -0.06, names[0], ha="left", va="top", fontsize=7)
    ax.text(1.04, -0.06, names[1], ha="right", va="top", fontsize=7)
    ax.text(0.5, SQRT3_2 + 0.05, names[2], ha="center", va="bottom", fontsize=7)
    ax.set_xlim(-0.08, 1.08)
    ax.set_ylim(-0.2, SQRT3_2 + 0.18)
    ax.set_aspect("equal")
    ax.axis("off")


def simplex(grid: pd.DataFrame, indicators: tuple[str, ...], *, chosen: dict[str, float], value: str = "objective",
            title: str, source: str):
    """The objective over the whole weight simplex: a line for two indicators, a ternary
    map for three, for four one ternary per weight of the fourth (the other three rescaled
    to sum to one in each panel). The tuned weights are circled. More than four: a note."""
    names = list(indicators)
    w = grid[[f"w_{n}" for n in names]].to_numpy(dtype=float)
    v = grid[value].to_numpy(dtype=float)
    pick = np.array([chosen.get(n, 0.0) for n in names])
    if len(names) == 2:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        order = np.argsort(w[:, 0])
        ax.plot(w[order, 0], v[order], marker="o", ms=3)
        ax.axvline(pick[0], color="crimson", ls=":", label="tuned")
        ax.set(xlabel=f"weight of {names[0]} (rest: {names[1]})", ylabel=value.replace("_", " "), title=title)
        ax.legend()
        return _finish(fig, source)
    if len(names) > 4:
        fig, ax = plt.subplots(figsize=(6, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, f"{len(names)} indicators: the simplex view shows up to four; see the grid table",
                ha="center", va="center")
        return _finish(fig, source)
    if len(names) == 3:
        levels, panels = [None], [np.ones(len(w), dtype=bool)]
    else:
        fourth = np.round(w[:, 3], 9)
        levels = [lv for lv in np.unique(fourth) if (fourth == lv).sum() >= 3][:8]
        panels = [fourth == lv for lv in levels]
    ncol = min(4, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.1 * ncol, 2.9 * nrow + 0.6), squeeze=False)
    vmin, vmax = np.nanmin(v), np.nanmax(v)
    sc = None
    for ax, level, mask in zip(axes.flat, levels, panels):
        _ternary_axes(ax, names[:3])
        x, y = _ternary_xy(w[mask, :3])
        sc = ax.scatter(x, y, c=v[mask], cmap="viridis", vmin=vmin, vmax=vmax, s=40, marker="h")
        if level is None or abs(pick[3] - level) < 1e-9:
            px, py = _ternary_xy(pick[None, :3])
            ax.scatter(px, py, s=160, facecolors="none", edgecolors="crimson", lw=2, label="tuned")
        if level is not None:
            ax.set_title(f"{names[3]} = {level:.2f}", fontsize=9)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    if sc is not None:
        fig.colorbar(sc, ax=axes.ravel().tolist(), shrink=0.7, label=value.replace("_", " "))
    fig.suptitle(title if len(names) == 3 else
                 f"{title}\neach panel: {names[3]} fixed; the other three as shares of the remaining weight")
    _source(fig, source + "; circle: tuned weights")
    plt.close(fig)
    return fig


def sensitivity_lines(sens: pd.DataFrame, *, metrics: tuple[str, ...] = ("objective", "churn_auc", "top_tier_share"),
                      title: str, source: str):
    """One panel per metric: the metric as each indicator's weight moves from 0 to 1
    (the others in the tuned proportions); a dot marks the tuned weight."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    for ax, m in zip(axes.flat, metrics):
        for name, part in sens.groupby("indicator", sort=False):
            line, = ax.plot(part["weight"], part[m], marker=".", label=name)
            ref = float(part["reference_weight"].iloc[0])
            ax.scatter([ref], [np.interp(ref, part["weight"], part[m])], color=line.get_color(), s=40, zorder=3)
        ax.set(xlabel="weight of the indicator", ylabel=m.replace("_", " "))
        ax.set_title(m.replace("_", " "), fontsize=10)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(title)
    return _finish(fig, source, top=0.92)


def in_sample_vs_out_of_time(comparison: pd.DataFrame, *, metric: str, title: str, source: str):
    """Per weight set: the in-sample figure (fold aggregate) beside the out-of-time one
    (judged origin) with its interval (``comparison`` of a tuning: every set has one). A
    tuned set that only wins in sample is overfitted."""
    c = comparison.iloc[::-1]
    y = np.arange(len(c))
    fig, ax = plt.subplots(figsize=(9, 0.75 * len(c) + 2.0))
    ax.scatter(c[f"in_sample_{metric}"], y + 0.12, marker="s", color="grey", label="in sample (search folds)")
    lo, hi = c[f"out_of_time_{metric}_ci_low"], c[f"out_of_time_{metric}_ci_high"]
    est = c[f"out_of_time_{metric}"]
    ax.errorbar(est, y - 0.12, xerr=[est - lo, hi - est], fmt="o", color="C0", capsize=3,
                label="out of time (judged origin), with interval")
    labels = [f"{n}\n" + textwrap.fill(w, 36) for n, w in zip(c["weight_set"], c["weights"])]
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_ylim(-0.6, len(c) - 0.4)
    ax.set(xlabel=metric.replace("_", " "), title=title)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return _finish(fig, source)
