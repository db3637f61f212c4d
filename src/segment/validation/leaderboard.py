"""The method leaderboard: which grading picked the customers who later stayed and made profit.

One row per method plus two references: ``random (reference)`` (expected values of a random
ordering: capture = customer share, Gini 0, AUC 0.5, lift 1) and ``perfect hindsight
(reference)`` (customers ordered by their actual outcome profit: the ceiling). Columns:
docs/VALIDATION.md.

Intervals (``level``, 95 % by default) and paired differences to the best method:

- profit captures (top 20 % of the ordering, top tier): paired Poisson bootstrap —
  ``n_boot`` replicates, each customer weighted by an independent Poisson(1) count, the
  same weights for every method in a replicate; percentile intervals. Each method's
  ordering and top set are held fixed (the grading is a function of the features at the
  origin; what varies is which customers turn up). Cost: two passes over an
  (n_boot x n) weight matrix in chunks, a few seconds for 2.4 M customers.
- Gini of the profit gain curve and churn AUC: normal intervals from the influence
  functions (metrics.py: Hájek projection; DeLong for the AUC); differences use the
  difference of the two methods' influence vectors, i.e. they are paired as well.

"X is better than Y" is backed when the interval of their difference excludes 0
(``clearly_worse_than_best`` for the headline, top-20 % capture). ``paired_differences`` is
the same rule against a chosen reference method (tuning: each weight set minus the default).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
from scipy import stats

from segment.ids import is_unique
from segment.validation.metrics import (
    Ranking,
    auc_influence,
    capture_curve,
    cochran_armitage,
    gini_influence,
    hindsight_ranking,
    normal_interval,
    rank_all,
    spearman_trend,
    top_count,
)
from segment.validation.tiers import check_outcomes

RANDOM, PERFECT = "random (reference)", "perfect hindsight (reference)"
HEADLINE = "top20_profit_capture"

#: metrics with intervals and paired differences, and how the interval is made
INTERVAL_METRICS = {
    "top20_profit_capture": "paired Poisson bootstrap, percentile",
    "top_tier_profit_capture": "paired Poisson bootstrap, percentile",
    "gini_profit": "influence function (Hajek projection), normal",
    "churn_auc": "DeLong influence components, normal",
}


def poisson_weights(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Poisson(1) counts as float32, from 16-bit uniforms (probabilities exact to 2e-5;
    counts above 7 — probability 1e-5 — are cut to 7). Five times faster than
    ``rng.poisson`` on millions of customers."""
    cdf = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(7)])
    thresholds = np.round(cdf * 65536).astype(np.uint32)
    u = rng.integers(0, 65536, size=shape, dtype=np.uint16)
    w = np.zeros(shape, dtype=np.uint8)
    for c in thresholds.tolist():  # Python ints keep the comparison in uint16
        w += u >= c
    return w.astype(np.float32)


def replicate_weights(n: int, *, n_boot: int, random_state: int, block_rows: int = 65_536) -> Iterator[np.ndarray]:
    """The Poisson(1) replicate weights of ``n`` rows, one (n_boot x block) array per block of
    ``block_rows``, in the order ``bootstrap_sums`` draws them (a caller that judges many
    columns on the same rows may keep them: the same seed gives the same arrays)."""
    rng = np.random.default_rng(random_state)
    for start in range(0, n, block_rows):
        yield poisson_weights(rng, (n_boot, min(block_rows, n - start)))


def bootstrap_sums(columns: np.ndarray, *, n_boot: int, random_state: int, block_rows: int = 65_536,
                   weights: Iterable[np.ndarray] | None = None) -> np.ndarray:
    """(n_boot x m) weighted column sums of ``columns`` (n x m) under Poisson(1) weights
    per row (customer). Rows are taken in blocks of ``block_rows`` with the weights of all
    replicates drawn per block: a (n_boot x block) @ (block x m) product, a shape BLAS
    handles at full speed (very wide, flat products hit slow paths in OpenBLAS). ``weights``:
    the blocks ``replicate_weights`` gives for these rows, kept by the caller (else drawn)."""
    n = columns.shape[0]
    blocks = weights if weights is not None else replicate_weights(n, n_boot=n_boot, random_state=random_state,
                                                                   block_rows=block_rows)
    out = np.zeros((n_boot, columns.shape[1]))
    for start, w in zip(range(0, n, block_rows), blocks):
        out += w @ np.ascontiguousarray(columns[start:start + block_rows], dtype=np.float32)
    return out


def _checked_rankings(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame,
                      rankings: dict[str, Ranking] | None) -> dict[str, Ranking]:
    check_outcomes(outcomes, ("churned", "profit_outcome"))
    if not assignments:
        raise ValueError("no gradings to compare")
    if not is_unique(outcomes.index):
        raise ValueError("outcome table has duplicate customer_id")
    return rank_all(assignments, outcomes.index) if rankings is None else rankings


def _paired_inputs(rankings: dict[str, Ranking], profit: np.ndarray, churned: np.ndarray, *, n_boot: int,
                   random_state: int, top_share: float, top20_customer_order: bool = False) -> tuple[dict, dict, dict]:
    """(estimate, influence, replicates), each metric -> method -> value: every interval
    metric's point, the influence vectors (customer order) of Gini and churn AUC, and the
    paired bootstrap replicates of the captures (none when ``n_boot`` is 0).
    ``top20_customer_order`` sums the top-20 % profit in customer, not ranking, order: the
    same figure but for the last bit, as the tuning's difference tables always printed it."""
    n, names = len(profit), list(rankings)
    total, k = profit.sum(), top_count(n, top_share)
    est: dict[str, dict[str, float]] = {m: {} for m in INTERVAL_METRICS}
    infl: dict[str, dict[str, np.ndarray]] = {"gini_profit": {}, "churn_auc": {}}
    tops = []
    for name, r in rankings.items():
        top20, top = r.order[:k], r.codes == 0
        tops.append((top20, top))
        in_top20 = np.sort(top20) if top20_customer_order else top20
        est[HEADLINE][name] = float(profit[in_top20].sum() / total) if total else np.nan
        est["top_tier_profit_capture"][name] = float(profit[top].sum() / total) if total else np.nan
        g, psi_pos = gini_influence(profit[r.order])
        psi = np.empty(n)
        psi[r.order] = psi_pos
        est["gini_profit"][name], infl["gini_profit"][name] = g, psi
        est["churn_auc"][name], infl["churn_auc"][name] = auc_influence(r, churned)
    if not n_boot:
        return est, infl, {}
    x = np.zeros((n, 1 + 2 * len(names)), dtype=np.float32)  # float32: what the product uses
    x[:, 0] = profit
    for j, (top20, top) in enumerate(tops):
        x[top20, 1 + 2 * j], x[top, 2 + 2 * j] = profit[top20], profit[top]
    sums = bootstrap_sums(x, n_boot=n_boot, random_state=random_state)
    with np.errstate(divide="ignore", invalid="ignore"):
        return est, infl, {HEADLINE: {m: sums[:, 1 + 2 * j] / sums[:, 0] for j, m in enumerate(names)},
                           "top_tier_profit_capture": {m: sums[:, 2 + 2 * j] / sums[:, 0] for j, m in enumerate(names)}}


def _difference(est: dict, infl: dict, reps: dict, metric: str, name: str, reference: str,
                level: float) -> tuple[float, float, float]:
    """(difference, ci_low, ci_high) of ``name`` minus ``reference``: paired bootstrap
    percentiles for the captures (NaN without replicates), normal from the difference of the
    influence vectors for Gini and churn AUC."""
    diff = est[metric][name] - est[metric][reference]
    if metric in infl:
        _, low, high = normal_interval(diff, infl[metric][name] - infl[metric][reference], level)
    elif metric in reps:
        d = reps[metric][name] - reps[metric][reference]
        low, high = _pct(d, 50 * (1 - level)), _pct(d, 100 - 50 * (1 - level))
    else:
        low = high = np.nan
    return diff, low, high


def _below_zero(bound: float):  # the "clearly" rule: the interval excludes 0 (NA without an interval)
    return bool(bound < 0) if np.isfinite(bound) else pd.NA


def paired_differences(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, reference: str, *,
                       metrics: tuple[str, ...] = tuple(INTERVAL_METRICS), n_boot: int = 200, random_state: int = 0,
                       level: float = 0.95, top_share: float = 0.2,
                       rankings: dict[str, Ranking] | None = None) -> pd.DataFrame:
    """Each method minus the method ``reference``, per metric of ``metrics``, paired as the
    leaderboard pairs them: one row per (name, metric) with difference, ci_low, ci_high,
    interval_method and clearly_better / clearly_worse (the interval above / below 0; NA
    without an interval)."""
    if unknown := [m for m in metrics if m not in INTERVAL_METRICS]:
        raise ValueError(f"no paired difference for {unknown}; choose from {list(INTERVAL_METRICS)}")
    rankings = _checked_rankings(assignments, outcomes, rankings)
    if reference not in rankings:
        raise ValueError(f"reference {reference!r} is not among the gradings {list(rankings)}")
    est, infl, reps = _paired_inputs(rankings, outcomes["profit_outcome"].to_numpy(dtype=float),
                                     outcomes["churned"].to_numpy(dtype=bool), n_boot=n_boot,
                                     random_state=random_state, top_share=top_share, top20_customer_order=True)
    rows = []
    for name in rankings:
        if name == reference:
            continue
        for metric in metrics:
            diff, low, high = _difference(est, infl, reps, metric, name, reference, level)
            how = ("influence function, normal (paired)" if metric in infl
                   else "paired Poisson bootstrap, percentile" if metric in reps else "no bootstrap (n_boot = 0)")
            rows.append({"name": name, "reference": reference, "metric": metric, "difference": diff, "ci_low": low,
                         "ci_high": high, "interval_method": how,
                         "clearly_better": _below_zero(-low), "clearly_worse": _below_zero(high)})  # -low < 0: low > 0
    return pd.DataFrame(rows, columns=["name", "reference", "metric", "difference", "ci_low", "ci_high",
                                       "interval_method", "clearly_better", "clearly_worse"])


def _method_point(r: Ranking, profit: np.ndarray, churned: np.ndarray, profit_ranks: np.ndarray,
                  est: dict, name: str) -> dict:
    n, k = r.n, len(r.labels)
    counts = np.bincount(r.codes, minlength=k)
    used = counts > 0
    churn_by = np.bincount(r.codes, weights=churned, minlength=k)
    profit_by = np.bincount(r.codes, weights=profit, minlength=k)
    top = r.codes == 0
    n_top = int(counts[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        churn_rates = (churn_by / counts)[used]
        profit_means = (profit_by / counts)[used]
        mean_profit = profit.sum() / n if n else np.nan
        z, p = cochran_armitage(churn_by, counts)
        rho, rho_p = spearman_trend(r.codes, profit_ranks)
        two = used.sum() >= 2
        return {
            "customers": n,
            "tiers_used": int(used.sum()),
            "top_tier": r.labels[0],
            "top_tier_share": n_top / n if n else np.nan,
            "top_tier_profit_capture": est["top_tier_profit_capture"][name],
            HEADLINE: est[HEADLINE][name],
            "top_tier_lift": float(profit[top].mean() / mean_profit) if n_top and mean_profit else np.nan,
            "top_tier_churn_rate": float(churned[top].mean()) if n_top else np.nan,
            "churn_monotone": bool(np.all(np.diff(churn_rates) >= 0)) if two else pd.NA,
            "churn_trend_z": z,
            "churn_trend_p": p,
            "profit_monotone": bool(np.all(np.diff(profit_means) <= 0)) if two else pd.NA,
            "profit_trend_spearman": rho,
            "profit_trend_p": rho_p,
            "gini_profit": est["gini_profit"][name],
            "churn_auc": est["churn_auc"][name],
        }


def leaderboard_tables(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, *, n_boot: int = 200,
                       random_state: int = 0, level: float = 0.95, top_share: float = 0.2,
                       rankings: dict[str, Ranking] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(leaderboard, metric_intervals): the wide table (one row per method and reference)
    and the long table of every interval metric with its paired difference to the best."""
    rankings = _checked_rankings(assignments, outcomes, rankings)
    profit = outcomes["profit_outcome"].to_numpy(dtype=float)
    churned = outcomes["churned"].to_numpy(dtype=bool)
    profit_ranks = stats.rankdata(profit)
    names = list(rankings)
    est, infl, reps = _paired_inputs(rankings, profit, churned, n_boot=n_boot, random_state=random_state,
                                     top_share=top_share)
    rows = {name: _method_point(r, profit, churned, profit_ranks, est, name) for name, r in rankings.items()}

    table = pd.DataFrame.from_dict(rows, orient="index")
    long = []
    lo_q, hi_q = 50 * (1 - level), 100 - 50 * (1 - level)
    for metric, how in INTERVAL_METRICS.items():
        points = table[metric].astype(float)
        best = points.idxmax() if points.notna().any() else names[0]
        for m in names:
            diff, dlo, dhi = _difference(est, infl, reps, metric, m, best, level)
            if m == best and (metric in infl or metric in reps):
                dlo = dhi = 0.0
            if metric in reps:
                rep = reps[metric][m]
                se, lo, hi = float(np.nanstd(rep, ddof=1)), _pct(rep, lo_q), _pct(rep, hi_q)
            elif metric in infl:
                se, lo, hi = normal_interval(points[m], infl[metric][m], level)
            else:  # n_boot = 0: no bootstrap intervals
                se = lo = hi = np.nan
            long.append({"method": m, "metric": metric, "estimate": points[m], "interval_method": how,
                         "best_method": best, "diff_vs_best": diff, "se": se, "ci_low": lo, "ci_high": hi,
                         "diff_ci_low": dlo, "diff_ci_high": dhi, "clearly_worse_than_best": _below_zero(dhi)})
    intervals = pd.DataFrame(long)
    intervals["n_boot"] = n_boot
    intervals["level"] = level

    # wide table: headline interval columns (names kept stable for the reports)
    iv = intervals.set_index(["metric", "method"])
    for metric, prefix in ((HEADLINE, "top20_capture"), ("top_tier_profit_capture", "top_tier_capture"),
                           ("gini_profit", "gini"), ("churn_auc", "churn_auc")):
        part = iv.loc[metric].reindex(table.index)
        table[f"{prefix}_ci_low"], table[f"{prefix}_ci_high"] = part["ci_low"], part["ci_high"]
        if metric == HEADLINE:
            table["diff_vs_best"] = part["diff_vs_best"]
            table["diff_vs_best_ci_low"], table["diff_vs_best_ci_high"] = part["diff_ci_low"], part["diff_ci_high"]
            table["best_method"] = part["best_method"]
            table["clearly_worse_than_best"] = part["clearly_worse_than_best"]
        elif metric in ("gini_profit", "churn_auc"):
            table[f"{prefix}_diff_vs_best"] = part["diff_vs_best"]
            table[f"{prefix}_diff_ci_low"], table[f"{prefix}_diff_ci_high"] = part["diff_ci_low"], part["diff_ci_high"]
    table["n_boot"] = n_boot
    table = table.sort_values(HEADLINE, ascending=False, kind="stable")
    refs = pd.DataFrame.from_dict(reference_rows(outcomes, top_share=top_share), orient="index")
    table = pd.concat([table, refs])
    table.index.name = "method"
    table["reference"] = table.index.isin([RANDOM, PERFECT])
    table = table.reset_index()
    for c in ("churn_monotone", "profit_monotone", "clearly_worse_than_best"):
        table[c] = table[c].astype("boolean")
    return table, intervals


def _pct(values: np.ndarray, q: float) -> float:
    v = values[np.isfinite(values)]
    return float(np.percentile(v, q)) if len(v) else float("nan")


def reference_rows(outcomes: pd.DataFrame, *, top_share: float = 0.2) -> dict[str, dict]:
    """The random grading (exact expected values) and the perfect-hindsight ordering."""
    profit = outcomes["profit_outcome"].to_numpy(dtype=float)
    churned = outcomes["churned"].to_numpy(dtype=bool)
    n = len(profit)
    hind = hindsight_ranking(profit, outcomes.index)
    in_order = profit[hind.order]
    total = profit.sum()  # in customer order, not ranking order: the last bit of the capture depends on it
    gini, _ = gini_influence(in_order)
    auc, _ = auc_influence(hind, churned)
    return {
        # E[capture] of a uniformly random ordering = k/n; E[Gini] = 0 exactly for the
        # trapezoid Gini; AUC 0.5; every tier's profit per customer = the mean: lift 1
        RANDOM: {"customers": n, HEADLINE: top_count(n, top_share) / n if n else np.nan, "gini_profit": 0.0,
                 "churn_auc": 0.5, "top_tier_lift": 1.0},
        PERFECT: {"customers": n,
                  HEADLINE: float(in_order[:top_count(n, top_share)].sum() / total) if total else np.nan,
                  "gini_profit": gini, "churn_auc": auc},
    }


def curves(assignments: dict[str, pd.DataFrame], outcomes: pd.DataFrame, *, points: int = 101,
           rankings: dict[str, Ranking] | None = None) -> pd.DataFrame:
    """Gain (capture) and Lorenz curves of outcome profit per method, plus the
    perfect-hindsight and random references; Gini = 2·area under the gain curve − 1."""
    rankings = rank_all(assignments, outcomes.index) if rankings is None else rankings
    profit = outcomes["profit_outcome"].to_numpy(dtype=float)
    parts = [capture_curve(profit[r.order], points).assign(method=name) for name, r in rankings.items()]
    parts.append(capture_curve(np.sort(profit)[::-1], points).assign(method=PERFECT))
    share = np.linspace(0, 1, points)
    parts.append(pd.DataFrame({"customer_share": share, "value_share": share, "lorenz_share": share, "method": RANDOM}))
    table = pd.concat(parts, ignore_index=True)
    return table[["method", "customer_share", "value_share", "lorenz_share"]]


#: the start of a not-graded row's ``note``
NOT_GRADED = "not graded: "


def with_not_graded(board: pd.DataFrame, not_graded: dict[str, str]) -> pd.DataFrame:
    """``board`` with one row per method that could not grade the data (method -> reason):
    ``method`` its name, no figures (NaN / NA), ``reference`` False and ``note`` = "not graded:
    <reason>", after the graded methods and before the references; the graded rows get an
    empty ``note``. Without ``not_graded`` the board is returned as it is (no ``note``
    column), so a run where every method grades keeps its table byte for byte."""
    if not not_graded:
        return board
    board = board.copy()
    for c in board.columns:  # integer columns stay integer (not 2357.0) next to the rows without figures
        if pd.api.types.is_integer_dtype(board[c].dtype) and not pd.api.types.is_extension_array_dtype(board[c].dtype):
            board[c] = board[c].astype("Int64")
    board["note"] = ""
    rows = pd.DataFrame({"method": list(not_graded), "reference": False,
                         "note": [NOT_GRADED + str(reason) for reason in not_graded.values()]})
    refs = board["reference"].astype(bool)
    out = pd.concat([board[~refs], rows, board[refs]], ignore_index=True)
    for c in board.columns:  # concat with the missing figures gives object columns: back to each column's type
        if out[c].dtype != board[c].dtype and pd.api.types.is_extension_array_dtype(board[c].dtype):
            out[c] = out[c].astype(board[c].dtype)
    return out[list(board.columns)]


def not_graded_mask(board: pd.DataFrame) -> pd.Series:
    """True on the rows of methods that could not grade the data (``with_not_graded``)."""
    if "note" not in board.columns:
        return pd.Series(False, index=board.index)
    return board["note"].fillna("").astype(str).str.startswith(NOT_GRADED)


def method_rows(board: pd.DataFrame) -> pd.DataFrame:
    """The rows of graded methods: neither a reference nor a not-graded method (what every
    figure, ranking and plot reads)."""
    return board[~board["reference"].astype(bool) & ~not_graded_mask(board)]


def not_graded_of(board: pd.DataFrame) -> dict[str, str]:
    """method -> reason of the board's not-graded rows."""
    if "note" not in board.columns:
        return {}
    rows = board[not_graded_mask(board)]
    return {str(m): str(n)[len(NOT_GRADED):] for m, n in zip(rows["method"], rows["note"])}
