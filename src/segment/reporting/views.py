"""Tables and text the notebooks show, computed from a PipelineResult.

Notebooks call these and display the result; nothing here prints or plots.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from segment.pipeline import PipelineResult, load_result, run_pipeline


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
    """What was read and kept, as (item, value) rows."""
    loaded, tx = result.loaded, result.loaded.transactions
    f = result.features
    rows = [
        ("source", loaded.source.get("file") or loaded.source.get("dataset")),
        ("real data", "yes" if loaded.source.get("real_data") else "no (synthetic, for testing)"),
        ("input SHA-256", loaded.source.get("sha256", "n/a (generated)")),
        ("rows read", loaded.rows_read),
        ("rows kept", len(tx)),
    ]
    rows += [(f"rows excluded: {reason}", n) for reason, n in loaded.excluded.items()]
    rows += [(f"rows changed: {reason}", n) for reason, n in loaded.changed.items()]
    rows += [
        ("zero-amount rows (kept as zero-revenue orders)", int((tx["amount"] == 0).sum())),
        ("customers in the data", int(tx["customer_id"].nunique())),
        ("first order date", str(tx["order_ts"].min().date())),
        ("last order date", str(tx["order_ts"].max().date())),
        (f"customers graded (first order on or before {result.config.as_of})", len(f)),
        (f"revenue share of the top 20 % of customers as of {result.config.as_of}", round(top_share(f["monetary_total"]), 4)),
        (f"profit share of the top 20 % of customers as of {result.config.as_of}", round(top_share(f["profit"]), 4)),
        ("customers with negative profit", int((f["profit"] < 0).sum())),
        ("customers with one order", int((f["frequency"] == 1).sum())),
    ]
    assumptions = f.attrs.get("assumptions", {})
    rows += [(f"assumption: {k}", v) for k, v in assumptions.items()]
    return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": "str"})


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


def rfm_segments(result: PipelineResult) -> pd.DataFrame:
    """Customers, revenue and profit per RFM segment, with the tier each segment maps to."""
    m = result.fitted["rfm"]
    s = m.scores(result.features).join(result.features[["monetary_total", "profit"]])
    out = s.groupby("segment").agg(customers=("r", "size"), revenue=("monetary_total", "sum"), profit=("profit", "sum"))
    out["tier"] = out.index.map(m.tier_map)
    out["customer_share"] = out["customers"] / out["customers"].sum()
    return out.sort_values(["tier", "profit"], ascending=[True, False]).round(3)


def cluster_profiles(result: PipelineResult) -> pd.DataFrame:
    m = result.fitted["kmeans"]
    out = m.profiles_.copy()
    out.index.name = "tier"
    if m.silhouettes_:
        out.attrs["silhouettes"] = m.silhouettes_
    return out.round(3)


def learned_state(result: PipelineResult) -> pd.DataFrame:
    """The fitted rules of every method (thresholds, weights, splits, model parameters)."""
    rows = []
    for name, m in result.fitted.items():
        state = {k: v for k, v in vars(m).items() if k.endswith("_") and not k.startswith("_")
                 and k not in ("fitted_", "norm_", "model_", "centers_", "profiles_", "grid_", "mean_", "scale_")}
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                value = np.round(value, 4).tolist()
            rows.append({"method": name, "learned": key, "value": str(value)})
    return pd.DataFrame(rows)


LEADERBOARD_COLUMNS = [
    "method", "top20_profit_capture", "top20_capture_ci_low", "top20_capture_ci_high", "diff_vs_best",
    "diff_vs_best_ci_low", "diff_vs_best_ci_high", "clearly_worse_than_best", "top_tier_share",
    "top_tier_profit_capture", "top_tier_lift", "churn_auc", "gini_profit", "churn_monotone", "churn_trend_p",
    "profit_monotone", "profit_trend_p", "note",
]


def leaderboard_view(board: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard's columns a reader needs, rounded; a method that could not grade the data
    keeps its row, with no figures and its ``note`` ("not graded: <reason>")."""
    cols = [c for c in LEADERBOARD_COLUMNS if c in board.columns]
    return board[cols].round(3)


def key_numbers(result: PipelineResult) -> str:
    """The few figures that must not drift, one per line, rounded so that only a real change
    shows (``tests/reporting/expected_key_numbers.txt`` pins them for the quick CDNOW config).
    The winner is the leadership report's recommendation."""
    from segment.reporting.leadership import recommendation

    advice = recommendation(result)
    winner = advice["method"]
    top_share = float((result.assignments[winner]["tier"].cat.codes == 0).mean())
    lines = [
        f"rows read: {result.loaded.rows_read}",
        f"customers graded at {result.config.as_of}: {len(result.features)}",
        f"validation origin: {result.origin}",
        f"leaderboard winner: {winner}",
        f"winner's top-20 % profit capture: {advice['capture']:.3f}",
        f"winner's top-tier share of customers: {top_share:.3f}",
    ]
    if advice["revenue_abc"] is not None:
        lines.append(f"abc_revenue's top-20 % profit capture: {advice['revenue_abc']:.3f}")
    return "\n".join(lines)


def method_notes(result: PipelineResult, method: str | None = None) -> str:
    """The run's notes on how methods behaved on this data, as a Markdown list (empty text
    when there are none); only ``method``'s notes when given."""
    notes = getattr(result, "method_notes", None) or []
    if method is not None:
        notes = [n for n in notes if n.startswith(f"{method} ")]
    return "\n".join(f"- {n}" for n in notes)


def data_banner(result: PipelineResult) -> str:
    """The synthetic-data warning the leadership summary opens with (empty for real data)."""
    from segment.reporting.leadership import data_banner as banner

    return banner(result)
