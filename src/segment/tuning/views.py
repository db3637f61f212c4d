"""Text and tables the tuning notebook shows, from a ``TuningResult`` (nothing here
prints or plots)."""

from __future__ import annotations

import re

import pandas as pd

from segment.methods.reference import paragraph, text
from segment.tuning.grid import weights_text
from segment.tuning.search import DEFAULT, EQUAL, HINDSIGHT, REGRESSION, TUNED, TuningResult


def caption(r: TuningResult) -> str:
    s = r.settings
    return (f"{r.data_source or 'data'}; folds {', '.join(s.fold_origins)}; judged {s.judged_origin}; "
            f"horizon {s.horizon.label}")


def design_markdown(r: TuningResult) -> str:
    s = r.settings
    folds = r.tables["folds"]
    lines = [
        f"- **Objective**: {text(s.objective_text)} (higher is better), over the weights of "
        f"{text(', '.join(s.indicators))} on a grid of step {s.grid_step:g} ({len(r.tables['grid'])} candidates).",
        f"- **Search folds** (the weights are chosen here): "
        + "; ".join(f"as of {o}, outcomes to {e}" for o, e, role in
                    zip(folds["origin"], folds["outcome_window_end"], folds["role"]) if role == "fold") + ".",
        f"- **Judged origin** {s.judged_origin} (outcomes to "
        f"{folds.loc[folds['role'] == 'judged', 'outcome_window_end'].iloc[0]}): never read by the search; every "
        "fold's outcome window ends on or before it.",
        f"- **Constraints**: weights non-negative, summing to one"
        + (f"; minimum weights {text(s.min_weight)}" if s.min_weight else "")
        + (f"; fixed weights {text(s.fixed_weights)}" if s.fixed_weights else "")
        + (f"; tier share at most {s.max_tier_share}" if s.max_tier_share else "")
        + (f"; tier share at least {s.min_tier_share}" if s.min_tier_share else "") + ".",
    ]
    return "\n".join(lines + [f"- {paragraph(text(n))}" for n in r.notes])


def headline_markdown(r: TuningResult) -> str:
    """The answer in three sentences: the tuned weights, in sample vs out of time, and
    whether they beat the default and equal weights out of time (paired intervals)."""
    s, m = r.settings, r.settings.objective_metric
    c = r.tables["comparison"].set_index("weight_set")
    d = r.tables["differences"]
    d = d[(d["role"] == "judged") & (d["metric"] == m) & (d["weight_set"] == TUNED)].set_index("reference")
    t = c.loc[TUNED]
    out = [f"**Tuned weights**: {weights_text(r.chosen)}.",
           f"In sample (search folds) the objective is {t['in_sample_objective']:.3f}; out of time "
           f"(judged at {s.judged_origin}) it is {t['out_of_time_objective']:.3f}."]
    for ref in (DEFAULT, EQUAL):
        if ref in d.index:
            row = d.loc[ref]
            better, worse = (pd.notna(row[k]) and bool(row[k]) for k in ("clearly_better", "clearly_worse"))
            verdict = "clearly better" if better else "clearly worse" if worse else "not clearly different"
            out.append(f"Against {ref} out of time, {m.replace('_', ' ')} differs by {row['difference']:+.3f} "
                       f"({s.level:.0%} paired interval {row['ci_low']:+.3f} to {row['ci_high']:+.3f}): {verdict}.")
    h = c.loc[HINDSIGHT]
    out.append(f"Tuning on the judged window itself would have reported {h['out_of_time_objective']:.3f} "
               f"({weights_text(r.weight_sets[HINDSIGHT])}) — the flattering in-sample figure this design avoids.")
    return " ".join(out)


def comparison_view(r: TuningResult) -> pd.DataFrame:
    m = r.settings.objective_metric
    cols = ["weight_set", "weights", "in_sample_objective", "out_of_time_objective", "optimism",
            f"out_of_time_{m}", f"out_of_time_{m}_ci_low", f"out_of_time_{m}_ci_high",
            f"in_sample_{m}_vs_default", f"out_of_time_{m}_vs_default", f"out_of_time_{m}_vs_default_ci_low",
            f"out_of_time_{m}_vs_default_ci_high", "out_of_time_churn_auc", "out_of_time_churn_auc_ci_low",
            "out_of_time_churn_auc_ci_high", "out_of_time_top_tier_share"]
    c = r.tables["comparison"]
    return c[[x for x in cols if x in c.columns]].round(4)


def top_candidates(r: TuningResult, n: int = 10) -> pd.DataFrame:
    """The best ``n`` feasible grid points on the folds, with their judged figure beside."""
    g = r.tables["grid"]
    g = g[g["feasible"]].sort_values(["rank", "candidate"]).head(n)
    cols = ["rank", *[c for c in g.columns if c.startswith("w_")], "objective",
            *[c for c in g.columns if c.startswith("objective_") and c != "objective_judged"], "objective_judged",
            "top_tier_share", "churn_auc"]
    return g[cols].round(4)


def differences_view(r: TuningResult) -> pd.DataFrame:
    d = r.tables["differences"]
    return d[d["weight_set"].isin([TUNED, REGRESSION, EQUAL, DEFAULT])][
        ["origin", "role", "weight_set", "reference", "metric", "difference", "ci_low", "ci_high",
         "clearly_better", "clearly_worse"]].round(4)


def fragment_markdown(r: TuningResult) -> str:
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", r.fragment)), default=0))
    return f"{fence}yaml\n" + r.fragment + fence
