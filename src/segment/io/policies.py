"""The bad-input policies (docs/DATA.md), applied after the contract passed.

Each policy works on the parsed rows (RangeIndex = position in the source) and records,
by reason, the rows it excluded or changed. Exclusion reasons are exclusive and applied in
a fixed order, so ``rows_read == rows kept + sum(excluded)`` always holds:

1. ``missing customer_id`` — blank, whitespace only or an NA text ("NULL", "nan", ...).
2. ``exact duplicate row`` — identical in every column of the source to an earlier row
   (the first is kept), *when an order id makes it one order line written twice*
   (``exact_duplicates: drop_if_order_id``, the default). Without an order id two identical
   lines can be two real purchases (CDNOW: the same CD bought twice on one day), so they are
   kept and counted in ``flagged``; that is also what the bundled CDNOW loader reads, so
   both paths give the same transactions. ``drop`` drops them regardless, ``keep`` never.
   Rows that merely share an order id are order lines, not duplicates.
3. ``return with no earlier purchase to net against`` — a negative amount that has neither
   its order (by order id) nor an earlier purchase of the same customer in the data.

Changes (rows kept, values normalised): a return (negative amount) is netted against its
own order when the order id allows (it takes the order's first timestamp), otherwise
against the customer's latest purchase at or before it (its timestamp and order id); the
lines of one order take the order's first timestamp; a missing order id becomes one order
per customer and calendar day (the convention without order ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from segment.io.duck import connect
from segment.io.parsing import arrow

MISSING_ID = "missing customer_id (blank, whitespace only or an NA text such as 'NULL')"
EXACT_DUPLICATE = "exact duplicate row (identical in every column of the source to an earlier row)"
ORPHAN_RETURN = "return (negative amount) with neither its order nor an earlier purchase of the customer to net against"
RETURN_TO_ORDER = "return re-dated to its own order (netted by order id)"
RETURN_TO_PREVIOUS = "return netted against the customer's latest earlier purchase (its date and order id)"
ORDER_REDATED = "order line re-dated to the first timestamp of its order"
ORDER_ID_FILLED = "order_id missing: one order per customer and calendar day assumed"
ZERO_AMOUNT = "zero amount (kept as an order line with zero revenue)"
DUPLICATE_KEPT = "exact duplicate rows kept (identical lines, but no order id to tell them apart: each line counts)"
DUPLICATE_KEPT_BY_SPEC = "exact duplicate rows kept (exact_duplicates: keep)"
RETURN_LINES = "negative amount (return), kept and netted"


@dataclass
class PolicyOutcome:
    kept: pd.DataFrame
    excluded: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)
    excluded_positions: dict[str, np.ndarray] = field(default_factory=dict)
    kept_positions: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="int64"))


def exact_duplicates(frame: pd.DataFrame, row_hash: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Positions (among ``candidates``) of rows identical to an earlier candidate row.

    Rows are compared by the 64-bit hash of the whole source row *and* by equality of the
    mapped columns, so a hash collision alone never drops a row."""
    h = row_hash if len(candidates) == len(row_hash) else row_hash[candidates]
    repeated = _repeated(h)  # usually empty
    if len(repeated) == 0:
        return np.empty(0, dtype="int64")
    maybe = np.isin(h, repeated)
    pos = candidates[maybe]
    sub = frame.iloc[pos].copy()
    sub["__hash"] = row_hash[pos]
    dup = sub.duplicated(keep="first").to_numpy()
    return pos[dup]


def apply_transaction_policies(frame: pd.DataFrame, row_hash: np.ndarray, *,
                               duplicate_policy: str = "drop_if_order_id",
                               orders_span_times: bool = True) -> PolicyOutcome:
    """``frame``: parsed transactions (every value valid, ``customer_id`` may be missing).
    ``duplicate_policy``: the spec's ``exact_duplicates`` (``EXACT_DUPLICATE_POLICIES``).
    ``orders_span_times=False`` (known from ``order_conflicts``) skips the re-dating pass."""
    n = len(frame)
    out = PolicyOutcome(kept=frame)
    keep = np.ones(n, dtype=bool)

    missing_id = frame["customer_id"].isna().to_numpy()
    _exclude(out, keep, MISSING_ID, np.flatnonzero(missing_id))

    dups = exact_duplicates(frame, row_hash, np.flatnonzero(keep))
    if duplicate_policy == "drop":
        drop = dups
    elif duplicate_policy == "drop_if_order_id" and "order_id" in frame.columns:
        # identical rows share their order id: drop those that have one, keep those that do not
        drop = dups[frame["order_id"].notna().to_numpy()[dups]]
    elif duplicate_policy in ("drop_if_order_id", "keep"):
        drop = dups[:0]
    else:
        raise ValueError(f"duplicate_policy={duplicate_policy!r} is not one of drop_if_order_id, drop, keep")
    _exclude(out, keep, EXACT_DUPLICATE, drop)
    kept_duplicates = np.setdiff1d(dups, drop)  # kept, but never silently: counted below if they stay

    tx = frame if keep.all() else frame.loc[keep]  # ``frame`` is the loader's own parsed copy
    has_order_id = "order_id" in tx.columns
    if has_order_id:
        no_order = tx["order_id"].isna()
        if no_order.any():
            day = tx.loc[no_order, "order_ts"].dt.strftime("%Y-%m-%d")
            tx.loc[no_order, "order_id"] = tx.loc[no_order, "customer_id"] + "|" + day
            out.changed[ORDER_ID_FILLED] = int(no_order.sum())

    negative = (tx["amount"] < 0).to_numpy()
    if negative.any():
        orphans = _net_returns(tx, negative, has_order_id, out)
        if len(orphans):
            _exclude(out, keep, ORPHAN_RETURN, np.asarray(orphans, dtype="int64"))
            tx = tx.loc[~tx.index.isin(orphans)]
        netted = int((tx["amount"] < 0).sum())
        if netted:
            out.flagged[RETURN_LINES] = netted

    if has_order_id and orders_span_times:
        redated = _redate_order_lines(tx)
        if redated:
            out.changed[ORDER_REDATED] = redated

    zero = int((tx["amount"] == 0).sum())
    if zero:
        out.flagged[ZERO_AMOUNT] = zero
    out.kept_positions = tx.index.to_numpy(dtype="int64")
    if len(kept_duplicates):
        still_kept = int(np.isin(kept_duplicates, out.kept_positions).sum())  # an orphan return may have gone
        if still_kept:
            out.flagged[DUPLICATE_KEPT_BY_SPEC if duplicate_policy == "keep" else DUPLICATE_KEPT] = still_kept
    out.kept = tx.reset_index(drop=True)
    return out


def _exclude(out: PolicyOutcome, keep: np.ndarray, reason: str, positions: np.ndarray) -> None:
    if len(positions):
        keep[positions] = False
        out.excluded[reason] = out.excluded.get(reason, 0) + len(positions)
        out.excluded_positions[reason] = np.asarray(positions, dtype="int64")


def _net_returns(tx: pd.DataFrame, negative: np.ndarray, has_order_id: bool, out: PolicyOutcome) -> list[int]:
    """Move every return onto the purchase it reverses (in place on ``tx``); returns the
    positions of returns with nothing to net against."""
    purchases = tx.loc[~negative]
    returns = tx.loc[negative]
    pending = returns.index
    if has_order_id:
        wanted = purchases["order_id"].isin(returns["order_id"].unique())
        anchor = purchases.loc[wanted].groupby("order_id", sort=False)["order_ts"].min()
        if len(anchor):
            own = returns["order_id"].map(anchor).astype("datetime64[ns]")
        else:
            own = pd.Series(pd.NaT, index=returns.index, dtype="datetime64[ns]")
        matched = own.notna()
        if matched.any():
            moved = matched & (own != returns["order_ts"])
            tx.loc[own.index[matched], "order_ts"] = own[matched].astype("datetime64[ns]")
            if moved.any():
                out.changed[RETURN_TO_ORDER] = int(moved.sum())
        pending = own.index[~matched]
    if len(pending) == 0:
        return []
    left = tx.loc[pending, ["customer_id", "order_ts"]].reset_index(names="__pos")
    cols = ["customer_id", "order_ts"] + (["order_id"] if has_order_id else [])
    right = purchases.loc[purchases["customer_id"].isin(left["customer_id"].unique()), cols]
    right = right.rename(columns={"order_ts": "__purchase_ts", "order_id": "__purchase_order"})
    right["__key_ts"] = right["__purchase_ts"]
    right = right.sort_values("__key_ts", kind="stable")
    left = left.sort_values("order_ts", kind="stable")
    merged = pd.merge_asof(left, right, left_on="order_ts", right_on="__key_ts", by="customer_id",
                           direction="backward", allow_exact_matches=True)
    found = merged["__purchase_ts"].notna()
    hit = merged.loc[found]
    if len(hit):
        pos = hit["__pos"].to_numpy()
        tx.loc[pos, "order_ts"] = hit["__purchase_ts"].to_numpy()
        if has_order_id:
            tx.loc[pos, "order_id"] = hit["__purchase_order"].to_numpy()
        out.changed[RETURN_TO_PREVIOUS] = len(hit)
    return merged.loc[~found, "__pos"].astype("int64").tolist()


def _distinct(values: np.ndarray) -> int:
    ordered = np.sort(values)
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1 if len(ordered) else 0


def _repeated(values: np.ndarray) -> np.ndarray:
    """The values that occur more than once (a sort, no hash table)."""
    ordered = np.sort(values)
    return np.unique(ordered[1:][ordered[1:] == ordered[:-1]])


def order_conflicts(order_id: pd.Series, customer_id: pd.Series, order_ts: pd.Series) -> tuple[np.ndarray, bool]:
    """(rows whose order id appears with more than one customer id, whether any order may
    have lines at different timestamps). Rows with a missing order or customer id are ignored.

    DuckDB hashes (order id), (order id, customer id) and (order id, timestamp) per row; an
    order id with more distinct (order, customer) pairs than orders has a conflict. Sorting
    64-bit hashes is fast; the orders it flags are then checked exactly on their rows, so a
    hash collision can never invent a conflict."""
    n = len(order_id)
    both = (order_id.notna() & customer_id.notna()).to_numpy()
    con = connect()
    try:
        con.register("t", pa.table({"k": arrow(order_id), "c": arrow(customer_id), "v": pa.array(order_ts.to_numpy())}))
        hashes = con.sql("SELECT hash(k) AS a, hash(k, c) AS b, hash(k, v) AS d FROM t").to_arrow_table()
    finally:
        con.close()
    a_all = hashes.column("a").to_numpy()
    a, b, d = a_all, hashes.column("b").to_numpy(), hashes.column("d").to_numpy()
    if not both.all():
        a, b, d = a[both], b[both], d[both]
    orders = _distinct(a)
    spread = _distinct(d) != orders
    none = np.zeros(n, dtype=bool)
    if _distinct(b) == orders:
        return none, spread
    _, first = np.unique(b, return_index=True)
    flagged = _repeated(a[first])  # orders (by hash) with more than one customer
    candidate = both & np.isin(a_all, flagged)
    sub = pd.DataFrame({"k": order_id.to_numpy()[candidate], "c": customer_id.to_numpy()[candidate]})
    none[candidate] = (sub.groupby("k")["c"].transform("nunique") > 1).to_numpy()
    return none, spread


def _redate_order_lines(tx: pd.DataFrame) -> int:
    """Lines of one order take the order's first timestamp (in place); returns the count."""
    ts = tx["order_ts"].to_numpy().astype("datetime64[ns]")
    first = pd.Series(ts).groupby(tx["order_id"].to_numpy(), sort=False).transform("min").to_numpy()
    moved = first != ts
    if moved.any():
        tx["order_ts"] = first.astype("datetime64[ns]")
    return int(moved.sum())
