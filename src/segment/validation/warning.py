"""Early warning (流失预警): top-tier customers whose activity is falling.

A customer in a method's top tier is flagged for follow-up when either
- ``falling_revenue``: ``growth_trend <= max_growth`` (default −0.5: the last trend
  window brought at most a third of the revenue of the one before), or
- ``overdue_for_an_order``: ``recency_days > gap_multiple x typical_gap_days`` (default
  2x), where the typical gap between orders is (last − first order date) / (orders − 1)
  for customers with at least two orders. With a lookback window (features'
  ``attrs["lookback_months"]``) and a first order before it, the orders in the window
  are spread over (last order − window start) / orders instead. Customers with one order
  have no typical gap and can only be flagged by the revenue rule.

``warning_check`` judges the rule out of time: churn and profit after the origin of the
flagged versus the unflagged top-tier customers, and the churn lift (flagged minus not
flagged) with Newcombe's hybrid score interval (method 10 of Newcombe 1998: from the two
groups' Wilson intervals). ``churn_lift`` reads it back; the lift is *clearly positive* when
its interval lies above zero.

The follow-up list (``follow_up_list``) is the flagged customers cut to the team's capacity
(``decision.follow_up``), most profit at risk first. **Profit at risk** = the value the
customer brought (profit to date) x how likely it is to stop: the churn rate measured out of
time, at the validation origin, among the flagged top-tier customers flagged *for the same
reason* (``stop_rates``: falling revenue, overdue for an order, or both). A reason group of
fewer than ``min_group`` customers at the origin is too small to measure: its customers take
the rate of all flagged customers instead (``likelihood_basis`` says which). Order: profit at
risk, highest first; ties by profit to date, then customer id. Without measured rates (no
``rates``) the list is ordered by profit to date, and with the ``warning_check`` table alone
every flagged customer of a method takes the flagged group's rate.

**What the listed customers made before the grading date** (the list's last column,
``profit_before``): each listed customer's profit in the window before ``as_of`` as long as
the outcome horizon H, (H.start(as_of), as_of], by the run's profit rule
(``segment.outcomes.profit_before``; the feature table cannot give it: it has revenue windows of
the trend's length only, and no orders per window for the cost per order). The caller passes the
measurement as a function of the listed ids, so only those customers' orders are read. Every
listed customer must get a value (a missing one is a ``KeyError``: a silent 0 would understate
what the list made).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import pandas as pd

from segment.validation.metrics import wilson_interval

NEEDED = ("growth_trend", "recency_days", "frequency", "first_order_date", "last_order_date")
#: the reasons a customer is flagged (``warning_flags``' ``reason``), in the order tables list them
REASONS = ("falling_revenue", "overdue_for_an_order", "falling_revenue+overdue_for_an_order")
#: the smallest reason group whose churn rate is used as its customers' likelihood to stop
MIN_GROUP = 30
#: the follow-up list's column of what a customer made in the horizon-length window before the
#: grading date (module docstring)
PROFIT_BEFORE = "profit_before"


def typical_gap_days(features: pd.DataFrame) -> np.ndarray:
    missing = [c for c in NEEDED if c not in features.columns]
    if missing:
        raise KeyError(f"early warning needs feature columns {missing}")
    freq = features["frequency"].to_numpy(dtype=float)
    first = features["first_order_date"].to_numpy(dtype="datetime64[D]")
    last = features["last_order_date"].to_numpy(dtype="datetime64[D]")
    span = (last - first).astype(float)
    gap = np.where(freq >= 2, span / np.maximum(freq - 1, 1), np.nan)
    lookback = features.attrs.get("lookback_months")
    if lookback is not None:
        if "as_of" not in features.attrs:
            raise KeyError("features have a lookback window but no attrs['as_of']")
        start = np.datetime64((pd.Timestamp(features.attrs["as_of"]) - pd.DateOffset(months=int(lookback))).date(), "D")
        before = first < start
        in_window = (last - start).astype(float) / np.maximum(freq, 1)
        gap = np.where(before, np.where(freq >= 1, in_window, np.nan), gap)
    return gap


def early_warning(assignments: pd.DataFrame, features: pd.DataFrame, *, max_growth: float = -0.5,
                  gap_multiple: float = 2.0) -> pd.DataFrame:
    """Flagged top-tier customers, most profitable first. Columns: customer_id, tier,
    reason, growth_trend, recency_days, typical_gap_days, days_past_usual_gap,
    monetary_total, profit (when present)."""
    flags = warning_flags(assignments, features, max_growth=max_growth, gap_multiple=gap_multiple,
                          carry=("monetary_total", "profit"))
    out = flags[flags["flagged"]].drop(columns=["flagged"])
    if "profit" in out.columns:
        out = out.sort_values("profit", ascending=False, kind="stable")
    out.index.name = "customer_id"
    return out.reset_index()


#: ``reason`` by its code in ``warning_flags``: none, falling, overdue, both
_REASON_TEXTS = ["", "falling_revenue", "overdue_for_an_order", "falling_revenue+overdue_for_an_order"]


def warning_flags(assignments: pd.DataFrame, features: pd.DataFrame, *, max_growth: float = -0.5,
                  gap_multiple: float = 2.0, carry: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every top-tier customer with the rule's inputs, ``flagged`` and ``reason`` ('' if not),
    then the feature columns named in ``carry`` that the table has."""
    is_top = assignments["tier"].cat.codes.to_numpy() == 0
    top = assignments.index[is_top]
    carried = [c for c in carry if c in features.columns and c not in NEEDED]
    f = features[[c for c in (*NEEDED, *carried) if c in features.columns]]  # only what is used: not every column
    f = f[is_top] if features.index.equals(assignments.index) else f.loc[top]
    gap = typical_gap_days(f)
    recency = f["recency_days"].to_numpy(dtype=float)
    falling = f["growth_trend"].to_numpy(dtype=float) <= max_growth
    overdue = recency > gap_multiple * gap  # NaN gap: False
    # text columns made from codes: labels are turned into text once each, not once per customer
    reason = pd.Categorical.from_codes(np.where(falling & overdue, 3, np.where(falling, 1, np.where(overdue, 2, 0))),
                                       categories=_REASON_TEXTS).astype("str")
    tier = assignments["tier"]
    tier = pd.Categorical.from_codes(tier.cat.codes.to_numpy()[is_top],
                                     categories=[str(c) for c in tier.cat.categories]).astype("str")
    return pd.DataFrame({"tier": tier, "flagged": falling | overdue,
                         "reason": reason, "growth_trend": f["growth_trend"].to_numpy(dtype=float),
                         "recency_days": recency, "typical_gap_days": gap,
                         "days_past_usual_gap": recency - gap,
                         **{c: f[c].to_numpy() for c in carried}}, index=top)


def warning_check(assignments: pd.DataFrame, features: pd.DataFrame, outcomes: pd.DataFrame, *,
                  max_growth: float = -0.5, gap_multiple: float = 2.0, level: float = 0.95) -> pd.DataFrame:
    """Out-of-time check of the rule: for top-tier customers, flagged vs not flagged —
    customers, churn rate after the origin (Wilson interval) and profit per customer; the
    flagged row also carries the churn lift over the not-flagged group with its Newcombe
    interval (``churn_lift``, ``lift_ci_low``, ``lift_ci_high``; NaN on the other row)."""
    flags = warning_flags(assignments, features, max_growth=max_growth, gap_multiple=gap_multiple)
    is_top = assignments["tier"].cat.codes.to_numpy() == 0
    o = outcomes[is_top] if outcomes.index.equals(assignments.index) else outcomes.loc[flags.index]
    rows = []
    for flagged in (True, False):
        m = flags["flagged"].to_numpy() == flagged
        n, x = int(m.sum()), float(o["churned"].to_numpy(dtype=float)[m].sum())
        lo, hi = wilson_interval(np.array([x]), np.array([n]), level)
        rows.append({"group": "flagged" if flagged else "not flagged", "customers": n,
                     "churn_rate_after": x / n if n else np.nan, "churn_ci_low": lo[0], "churn_ci_high": hi[0],
                     "profit_per_customer_after": float(o["profit_outcome"].to_numpy()[m].mean()) if n else np.nan})
    table = pd.DataFrame(rows)
    f, n = table.iloc[0], table.iloc[1]
    lift, low, high = newcombe_difference(f["churn_rate_after"], f["churn_ci_low"], f["churn_ci_high"],
                                          n["churn_rate_after"], n["churn_ci_low"], n["churn_ci_high"])
    table["churn_lift"] = [lift, np.nan]
    table["lift_ci_low"] = [low, np.nan]
    table["lift_ci_high"] = [high, np.nan]
    return table


def newcombe_difference(p1: float, low1: float, high1: float, p2: float, low2: float,
                        high2: float) -> tuple[float, float, float]:
    """(p1 - p2, ci_low, ci_high): Newcombe's hybrid score interval of a difference of two
    independent proportions from their Wilson intervals (NaN when either group is empty)."""
    if any(pd.isna(v) for v in (p1, low1, high1, p2, low2, high2)):
        return np.nan, np.nan, np.nan
    d = p1 - p2
    return (float(d), float(d - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)),
            float(d + np.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)))


class Lift(NamedTuple):
    """The early-warning rule's measured churn lift for one method (``churn_lift``)."""

    flagged: int
    not_flagged: int
    churn_flagged: float
    churn_not_flagged: float
    lift: float
    ci_low: float
    ci_high: float

    @property
    def clearly_positive(self) -> bool:
        """The flagged churn more than the others', the whole interval above zero."""
        return bool(np.isfinite(self.ci_low) and self.ci_low > 0)


def churn_lift(check: pd.DataFrame, method: str | None = None) -> Lift | None:
    """The lift of ``method``'s rows of a ``warning_check`` table (the table itself when
    ``method`` is None); None when the table has no such rows. A table saved before the lift
    columns existed gets the same interval from its Wilson columns."""
    if method is not None:
        check = check[check["method"] == method] if "method" in check.columns else check.iloc[0:0]
    rows = check.set_index("group") if "group" in check.columns else check.iloc[0:0]
    if not {"flagged", "not flagged"} <= set(rows.index):
        return None
    f, n = rows.loc["flagged"], rows.loc["not flagged"]
    if "lift_ci_low" in rows.columns and pd.notna(f.get("churn_lift")):
        lift, low, high = float(f["churn_lift"]), float(f["lift_ci_low"]), float(f["lift_ci_high"])
    else:
        lift, low, high = newcombe_difference(f["churn_rate_after"], f["churn_ci_low"], f["churn_ci_high"],
                                              n["churn_rate_after"], n["churn_ci_low"], n["churn_ci_high"])
    return Lift(int(f["customers"]), int(n["customers"]), float(f["churn_rate_after"]),
                float(n["churn_rate_after"]), lift, low, high)


def stop_rates(assignments: pd.DataFrame, features: pd.DataFrame, outcomes: pd.DataFrame, *,
               max_growth: float = -0.5, gap_multiple: float = 2.0, level: float = 0.95,
               min_group: int = MIN_GROUP) -> pd.DataFrame:
    """How likely a flagged top-tier customer is to stop, measured out of time at an origin:
    one row per reason (``REASONS``) and one for all flagged customers (``reason`` "flagged"):
    customers, churn_rate (NaN for an empty group), churn_ci_low/high (Wilson) and
    ``used`` (the group is at least ``min_group`` customers, so ``follow_up_list`` uses its rate)."""
    flags = warning_flags(assignments, features, max_growth=max_growth, gap_multiple=gap_multiple)
    is_top = assignments["tier"].cat.codes.to_numpy() == 0
    o = outcomes[is_top] if outcomes.index.equals(assignments.index) else outcomes.loc[flags.index]
    churned, reason = o["churned"].to_numpy(dtype=float), flags["reason"].to_numpy()
    groups = [*REASONS, "flagged"]
    masks = [reason == r for r in REASONS] + [flags["flagged"].to_numpy()]
    n = np.array([int(m.sum()) for m in masks])
    x = np.array([float(churned[m].sum()) for m in masks])
    low, high = wilson_interval(x, n, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, x / np.maximum(n, 1), np.nan)
    return pd.DataFrame({"reason": groups, "customers": n, "churn_rate": rate, "churn_ci_low": low,
                         "churn_ci_high": high, "used": n >= min_group})


def stop_likelihood(reasons: pd.Series, rates: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(likelihood, basis) per flagged customer from its ``reason`` and a ``stop_rates`` table:
    its reason group's churn rate when the group was measured on enough customers, else the
    rate of all flagged customers (basis "flagged")."""
    r = rates.set_index("reason")
    use = r["used"].astype(bool) & r["churn_rate"].notna()
    basis = np.where(reasons.map(use).fillna(False).astype(bool).to_numpy(), reasons.to_numpy(dtype=object), "flagged")
    return pd.Series(basis).map(r["churn_rate"]).to_numpy(dtype=float), basis


def made_before(customer_ids: pd.Series, profit_before: Callable[[pd.Series], pd.Series] | None) -> dict[str, np.ndarray]:
    """{``profit_before``: values} of ``customer_ids`` (module docstring) from the measurement
    ``profit_before`` (ids -> Series indexed by customer id); {} without one. KeyError naming a
    customer it does not cover."""
    if profit_before is None:
        return {}
    ids = pd.Index(customer_ids.astype(str))
    got = profit_before(customer_ids)
    got = pd.Series(got.to_numpy(dtype=float), index=got.index.astype(str))
    missing = ids.difference(got.index)
    if len(missing):
        raise KeyError(f"{PROFIT_BEFORE} is not given for {len(missing):,} listed customers, e.g. {missing[0]!r}")
    return {PROFIT_BEFORE: got.reindex(ids).to_numpy(dtype=float)}


def follow_up_list(early: pd.DataFrame, follow_up: int, *, check: pd.DataFrame | None = None,
                   rates: pd.DataFrame | None = None,
                   profit_before: Callable[[pd.Series], pd.Series] | None = None) -> pd.DataFrame:
    """Each method's flagged customers (an ``early_warning`` table, with its ``method``
    column when it has several) cut to ``follow_up``, most profit at risk first (module
    docstring). Adds ``follow_up_rank`` (1 = call first) and, with ``rates`` (a ``stop_rates``
    table, with a ``method`` column when ``early`` has one), ``stop_likelihood``,
    ``likelihood_basis`` and ``profit_at_risk``; with only the ``warning_check`` table
    ``check``, ``profit_at_risk`` = profit to date x the method's flagged churn rate. Last, with
    ``profit_before`` (ids -> profit in the horizon-length window before the grading date), what
    each listed customer made then (``made_before``)."""
    if follow_up < 1:
        raise ValueError(f"follow_up must be at least 1, not {follow_up}")
    if early.empty:
        extra_column = {PROFIT_BEFORE: pd.Series(dtype="float64")} if profit_before is not None else {}
        return early.assign(follow_up_rank=pd.Series(dtype="int64"), **extra_column)
    value = "profit" if "profit" in early.columns else "monetary_total"
    method = early["method"] if "method" in early.columns else pd.Series("", index=early.index)
    extra: dict[str, np.ndarray] = {}
    if rates is not None:
        likelihood, basis = np.full(len(early), np.nan), np.empty(len(early), dtype=object)
        for m in method.unique():
            rows = (method == m).to_numpy()
            table = rates[rates["method"] == m] if "method" in rates.columns else rates
            likelihood[rows], basis[rows] = stop_likelihood(early.loc[rows, "reason"], table)
        extra = {"stop_likelihood": likelihood, "likelihood_basis": basis,
                 "profit_at_risk": early[value].to_numpy(dtype=float) * likelihood}
    first_seen = {m: i for i, m in enumerate(dict.fromkeys(method))}  # methods in the table's order
    keys = ["_method", *(["profit_at_risk"] if extra else []), value, "_id"]
    ordered = early.assign(**extra, _method=method.map(first_seen), _id=early["customer_id"].astype(str)).sort_values(
        keys, ascending=[True, *([False] * (len(keys) - 2)), True], kind="stable", na_position="last")
    capped = ordered.groupby("_method", sort=False).head(follow_up)
    out = capped.assign(follow_up_rank=capped.groupby("_method", sort=False).cumcount() + 1)
    out = out.drop(columns=["_method", "_id"])
    if check is not None and rates is None:
        rate = (out["method"].map({m: _flagged_churn(check, m) for m in out["method"].unique()}).astype(float)
                if "method" in out.columns else _flagged_churn(check, None))
        out["profit_at_risk"] = out[value].astype(float) * rate
    out = out.reset_index(drop=True)
    return out.assign(**made_before(out["customer_id"], profit_before))


def _flagged_churn(check: pd.DataFrame, method: str | None) -> float:
    lift = churn_lift(check, method)
    return lift.churn_flagged if lift is not None else np.nan
