"""Stable grades as the reports show them, read from the run folder (never recomputed).

A run records in ``manifest.json`` under ``published.stability`` the rules its config turned
on (``stability:``, ``segment.governance.stability.StabilitySettings``), how many customers
they held in their previous tier and how many are flagged for review
(``segment.governance.publish.stability_record``). A run with a rolling backtest also writes
``governance/stability_tradeoff.csv``: what each rule buys (fewer flip-flops) and costs
(out-of-time top-tier profit capture) at every quarter end of its data
(``segment.governance.study``, the table of docs/GOVERNANCE.md).

- ``stability_sentence(run_dir)`` (leadership): one paragraph when a rule is on, else None;
- ``stable_grades(run_dir)`` (analyst report): the rules, what they did and the trade-off table
  (or where it is measured when this run did not measure it).

No run folder (a notebook run interactively), or a manifest without the record: the rules are
reported as unknown in one sentence. A trade-off file that lacks a column is a
``GovernanceError`` naming the file and the column.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown

from segment.errors import GovernanceError, Problem
from segment.methods.registry import METHODS, display_name
from segment.reporting.tables import bullets, left_aligned, styled

TRADE_OFF_FILE = Path("governance") / "stability_tradeoff.csv"
#: the trade-off columns shown, with their plain headers
SHOWN = {"method": "grading", "rule_set": "rules", "flip_flop_rate": "customers who flip-flopped",
         "mean_top_tier_capture": "top-tier share of next-period profit", "mean_top_tier_share": "customers in the top tier",
         "held_share": "grades changed by the rules", "review_customers": "flagged for review"}
NUMBERS = ("flip_flop_rate", "mean_top_tier_capture", "mean_top_tier_share", "held_share")
UNKNOWN = "This page was made without a run folder that records the stability rules, so it cannot say whether they were on."


def rules_in_words(rules: dict[str, Any]) -> list[str]:
    """Each rule that is on, as a plain clause."""
    words = {"margin": lambda v: (f"a customer keeps last run's tier unless it moved more than {100 * float(v):g} % "
                                  "of the customers past the tier's cut"),
             "min_stay": lambda v: f"a tier is kept for at least {int(v)} runs before it may change",
             "review_after": lambda v: (f"a customer who ordered at a loss in {int(v)} consecutive runs is flagged "
                                        "for review (it keeps its grade and stays on every list)")}
    return [words[k](v) for k, v in rules.items() if k in words]


def _record(run_dir: str | Path | None) -> dict | None:
    if not run_dir:
        return None
    path = Path(run_dir) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    published = manifest.get("published") if isinstance(manifest, dict) else None
    record = published.get("stability") if isinstance(published, dict) else None
    return record if isinstance(record, dict) and isinstance(record.get("rules"), dict) else None


def stability_sentence(run_dir: str | Path | None) -> str | None:
    """The leadership paragraph on stable grades (Markdown), None when no rule is on."""
    record = _record(run_dir)
    if record is None or not record["rules"]:
        return None
    held, review = int(record.get("held", 0)), int(record.get("review", 0))
    out = (f"**Stable grades are on:** {'; '.join(rules_in_words(record['rules']))}. This run, {held:,} customers "
           "kept their previous tier because of these rules.")
    if "review_after" in record["rules"]:
        out += f" {review:,} customers are flagged for review."
    return out


def _trade_off(run_dir: Path) -> pd.DataFrame | None:
    path = run_dir / TRADE_OFF_FILE
    if not path.is_file():
        return None
    table = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values={c: [""] for c in NUMBERS})
    lacking = [c for c in SHOWN if c not in table.columns]
    if lacking:
        raise GovernanceError([Problem(str(path), "columns", f"lacks the column(s) {', '.join(lacking)}")])
    return table


def trade_off_view(table: pd.DataFrame) -> pd.DataFrame:
    """The trade-off table with plain headers, shares in per cent (one decimal), method names
    plain; one grading's rows together (gradings and rules in the file's order), since a rule is
    judged against the same grading without rules."""
    pct = lambda v: "n/a" if pd.isna(v) else f"{100 * float(v):.1f} %"  # noqa: E731
    first_seen = {m: i for i, m in enumerate(dict.fromkeys(table["method"]))}
    table = table.iloc[table["method"].map(first_seen).to_numpy().argsort(kind="stable")].reset_index(drop=True)
    out = pd.DataFrame({SHOWN[c]: table[c] for c in SHOWN})
    out[SHOWN["method"]] = [display_name(m) if m in METHODS else str(m) for m in table["method"]]
    for c in NUMBERS:
        out[SHOWN[c]] = [pct(v) for v in table[c]]
    out[SHOWN["review_customers"]] = [f"{int(v):,}" for v in table["review_customers"]]
    return out


def stable_grades(run_dir: str | Path | None) -> tuple[Any, ...]:
    """What the analyst report shows under "Stable grades" (module docstring)."""
    record = _record(run_dir)
    if record is None:
        intro = UNKNOWN
    elif record["rules"]:
        intro = (f"The config turns on stable grades: {'; '.join(rules_in_words(record['rules']))}. They held "
                 f"{int(record.get('held', 0)):,} customers in their previous tier (published.csv: raw_tier is the "
                 f"method's own grade, stay the runs in the current tier) and flagged {int(record.get('review', 0)):,} "
                 "for review.")
    else:
        intro = ("Stable grades are off (the default): the published tiers are the method's own. The config's "
                 "`stability:` section turns the rules on (docs/GOVERNANCE.md).")
    out: list[Any] = [Markdown(intro)]
    table = _trade_off(Path(run_dir)) if run_dir else None
    if table is None:
        out.append(Markdown("What each rule buys and costs is measured by a run with a rolling backtest (three or more "
                            "`backtest_origins`, e.g. configs/cdnow_backtest.yaml) and in docs/GOVERNANCE.md."))
        return tuple(out)
    text_columns = [SHOWN["method"], SHOWN["rule_set"]]
    shown = styled(trade_off_view(table), "stability_tradeoff",
                   caption="What each stability rule buys (fewer flip-flops) and costs (top-tier profit capture, out of "
                           "time), at every quarter end of the data")
    out += [left_aligned(shown, text_columns),
            Markdown(bullets([
                "Read a rule against the same grading's row without rules (none): the top-tier share depends on how "
                "many customers the top tier holds, so it is not compared across gradings.",
                "Flip-flop: a customer whose tier went X → Y → X (A→B→A, B→A→B, …) in three consecutive quarters; the "
                "share is of the customers graded in three consecutive quarters.",
                "Top-tier share of next-period profit: the best tier's share of the profit its customers made in the "
                "outcome window, averaged over the quarter ends whose window lies in the data (not the first: no rule "
                "acts on it).",
                "Grades changed by the rules: the share of customer-quarters whose published tier is not the method's "
                "own."]))]
    return tuple(out)
