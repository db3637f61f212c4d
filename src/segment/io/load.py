"""Load user data into the internal tables: read -> contract (lazy pandera) -> policies -> audit.

Public entry points (re-exported by ``segment.io``):

- ``load_transactions(spec)`` — a CSV / Parquet file or a DuckDB query named by an
  ``InputSpec`` (or the plain dict of one);
- ``load_transactions_frame(df, spec=None)`` — an in-memory DataFrame (never mutated);
- ``load_from_config(data, source)`` — the ``data:`` section of a run config;
- ``load_customers(spec)`` — the optional customer table on its own.

Nothing is computed from data that breaks the contract: every problem of every column is
collected first and raised as one ``DataContractError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from segment.io import parsing
from segment.io.audit import LoadResult
from segment.io.config import (CUSTOMER_INPUTS, REQUIRED_INPUTS, TRANSACTION_INPUTS, CustomerSpec, InputSpec,
                               InputSpecError, TableSpec)
from segment.io.contract import ContractReport, RowCheck, run_lazy
from segment.io.dataframe import read_frame
from segment.io.policies import (EXACT_DUPLICATE, MISSING_ID, apply_transaction_policies, exact_duplicates,
                                 order_conflicts)
from segment.io.rawtable import RawTable, file_problem
from segment.io.readers import read_table
from segment.schema import REQUIRED_TRANSACTION_COLUMNS, TRANSACTION_DTYPES, check_transaction_frame

_NUMBER_COLUMNS = ("amount", "quantity", "cost", "days_late")
_DATE_COLUMNS = ("order_ts", "due_date", "paid_date")
FILLED = "a value in every row (blank and NA texts such as 'NULL' count as missing)"
_NULLABLE = {"customer_id": True, "order_id": True, "paid_date": True, "days_late": True}

#: the internal transaction table (segment.schema) as a pandera schema, checked on every result:
#: its dtypes, every value present (but paid_date: NaT = not paid yet), finite amounts, margins <= 1
_VALUE_CHECKS = {"amount": pa.Check(lambda s: np.isfinite(s), name="finite"), "margin": pa.Check.le(1.0)}
TRANSACTION_SCHEMA = pa.DataFrameSchema(
    {col: pa.Column(dtype, _VALUE_CHECKS.get(col), nullable=col == "paid_date",
                    required=col in REQUIRED_TRANSACTION_COLUMNS)
     for col, dtype in TRANSACTION_DTYPES.items()},
    strict=True,
    name="internal transaction table (segment.schema)",
)


def _as_spec(spec: InputSpec | Mapping[str, Any] | None, origin: str = "<dict>") -> InputSpec:
    if spec is None:
        return InputSpec()
    if isinstance(spec, InputSpec):
        return spec
    if isinstance(spec, Mapping):
        return InputSpec.from_dict(spec, origin=origin)
    raise TypeError(f"spec must be an InputSpec or a dict, not {type(spec).__name__}")


def load_transactions(spec: InputSpec | Mapping[str, Any]) -> LoadResult:
    """Read, validate and clean the transaction source of ``spec`` (and its customer table)."""
    spec = _as_spec(spec)
    if spec.path is None and spec.query is None:
        raise InputSpecError(f"{spec.origin}: no 'path' or 'query' to read (for a DataFrame use load_transactions_frame)")
    raw = read_table(spec, TRANSACTION_INPUTS, REQUIRED_INPUTS)
    return _load(raw, spec)


def load_transactions_frame(df: pd.DataFrame, spec: InputSpec | Mapping[str, Any] | None = None) -> LoadResult:
    """Same contract and policies for an in-memory table; ``df`` is never modified.
    Messages name rows by 1-based position ("row 3")."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, not {type(df).__name__}")
    spec = _as_spec(spec)
    raw = read_frame(df, spec, TRANSACTION_INPUTS, REQUIRED_INPUTS)
    return _load(raw, spec)


def load_from_config(data: Mapping[str, Any], source: str = "<config>") -> LoadResult:
    """The ``data:`` section of a run config (``path:`` or ``query:`` plus reading options)."""
    return load_transactions(InputSpec.from_dict(data, origin=f"{source}: data"))


# ---------------------------------------------------------------- transactions


def _load(raw: RawTable, spec: InputSpec) -> LoadResult:
    label = raw.label
    if raw.n_rows == 0:
        raise file_problem(label, "the source has a header but no data rows (nothing to grade)")
    _check_payment_columns(raw.mapping, spec)
    frame = raw.frame
    parsed: dict[str, parsing.Parsed] = {}
    parsed["customer_id"] = parsing.parse_id(frame["customer_id"], spec, "customer_id")
    if "order_id" in frame:
        parsed["order_id"] = parsing.parse_id(frame["order_id"], spec, "order_id")
    for col in _DATE_COLUMNS:
        if col in frame:
            parsed[col] = parsing.parse_timestamp(frame[col], spec, col)
    for col in _NUMBER_COLUMNS:
        if col in frame:
            parsed[col] = parsing.parse_number(frame[col], spec, col, currency=col in ("amount", "cost"))
    if "margin" in frame:
        parsed["margin"] = parsing.parse_number(frame["margin"], spec, "margin", percent=True, currency=False)

    has_id = ~parsed["customer_id"].missing.to_numpy()
    report = _values_pass(raw, parsed, has_id, spec)
    report.merge(_relations_pass(raw, parsed, has_id, spec))
    report.raise_if_any(label, spec.max_errors_shown)

    typed = pd.DataFrame({col: p.values for col, p in parsed.items()})
    typed = _derive_payment(typed, spec)
    outcome = apply_transaction_policies(typed, raw.row_hash, duplicate_policy=spec.exact_duplicates,
                                         orders_span_times=report.orders_span_times)

    kept = outcome.kept
    if len(kept) == 0:
        reasons = "; ".join(f"{reason}: {n:,}" for reason, n in outcome.excluded.items())
        raise file_problem(label, f"every one of the {raw.n_rows:,} rows was excluded ({reasons}); "
                                  "nothing is left to grade")
    changed: dict[str, int] = {}
    kept_pos = outcome.kept_positions
    for p in parsed.values():
        for reason, mask in p.changed.items():
            count = int(mask.to_numpy()[kept_pos].sum())
            if count:
                changed[reason] = count
    changed.update(outcome.changed)
    transactions = _internal_frame(kept)
    check_transaction_frame(transactions)
    TRANSACTION_SCHEMA.validate(transactions, lazy=True, inplace=True)
    assert raw.n_rows == len(transactions) + sum(outcome.excluded.values()), "exclusion counts do not add up"

    passed = [f"columns: " + ", ".join(f"{k} <- {v!r}" for k, v in raw.mapping.items())]
    passed += report.passed
    passed.append(f"rows read = rows kept + rows excluded ({raw.n_rows:,} = {len(transactions):,} + "
                  f"{sum(outcome.excluded.values()):,})")
    passed.append("result matches the internal transaction schema (segment.schema)")
    source = dict(raw.info)
    source.update(real_data=True, columns=dict(raw.mapping), spec=spec.to_dict(), rows_flagged=dict(outcome.flagged),
                  policies="docs/DATA.md")
    customers, customers_audit = None, None
    if spec.customers is not None:
        customers, customers_audit = load_customers(spec.customers)
        ids = set(transactions["customer_id"].unique())
        table_ids = set(customers["customer_id"])
        customers_audit["customers_without_attributes"] = len(ids - table_ids)
        customers_audit["customers_without_orders"] = len(table_ids - ids)
        source["customers"] = {k: v for k, v in customers_audit.items() if k != "checks_passed"}
        passed += [f"customer table: {c}" for c in customers_audit.get("checks_passed", [])]
    return LoadResult(
        transactions=transactions,
        customers=customers,
        rows_read=raw.n_rows,
        excluded=dict(outcome.excluded),
        changed=changed,
        source=source,
        flagged=dict(outcome.flagged),
        checks_passed=passed,
        excluded_rows=_excluded_rows(raw, outcome.excluded_positions),
        customers_audit=customers_audit,
    )


def _check_payment_columns(mapping: Mapping[str, str], spec: InputSpec) -> None:
    has_due = "due_date" in mapping or spec.payment_terms_days is not None
    for col in ("paid_date", "days_late"):
        if col in mapping and not has_due:
            raise InputSpecError(f"{spec.origin}: {col} needs a due date: map due_date or set payment_terms_days")
    if "paid_date" in mapping and "days_late" in mapping:
        raise InputSpecError(f"{spec.origin}: the source has both paid_date and days_late; map one "
                             "(leave the other out with columns: {days_late: null})")


def _values_pass(raw: RawTable, parsed: dict[str, parsing.Parsed], has_id: np.ndarray,
                 spec: TableSpec) -> ContractReport:
    """Pass 1: every value as written, against the checks of its parser. Rows without a
    customer id are excluded by policy, so their other values are not judged."""
    frame = raw.frame if has_id.all() else raw.frame.loc[has_id]
    checks = [RowCheck(col, words, pd.Series(mask.to_numpy() | ~has_id if col != "customer_id" else mask.to_numpy()))
              for col, p in parsed.items() for words, mask in p.checks]
    if not isinstance(spec, CustomerSpec):  # attributes of the customer table may be blank
        for col, p in parsed.items():
            if not _NULLABLE.get(col, False):
                checks.insert(0, RowCheck(col, FILLED, pd.Series(~p.missing.to_numpy() | ~has_id)))
    nullable = {col: isinstance(spec, CustomerSpec) or _NULLABLE.get(col, False) for col in frame.columns}
    return run_lazy(frame, checks, nullable, file=raw.label, display=raw.display, locate=raw.locate,
                    unit=raw.locate.unit, max_shown=spec.max_errors_shown, not_null=FILLED)


def _relations_pass(raw: RawTable, parsed: dict[str, parsing.Parsed], has_id: np.ndarray,
                    spec: TableSpec) -> ContractReport:
    """Pass 2: checks across rows or on parsed values, reported with the values as written."""
    checks: list[RowCheck] = []
    report = ContractReport()
    idx = raw.frame.index
    if "order_id" in parsed:
        order = parsed["order_id"]
        both = has_id & ~order.missing.to_numpy()
        conflict = np.zeros(len(idx), dtype=bool)
        if both.any():
            conflict, spans = order_conflicts(order.values, parsed["customer_id"].values, parsed["order_ts"].values)
            report.orders_span_times = spans
        checks.append(RowCheck("order_id", "an order id used by one customer only",
                               pd.Series(~conflict, index=idx)))
    for col in ("amount", "cost"):
        if col in parsed and "currency" in parsed[col].extra:
            currency = parsed[col].extra["currency"].where(pd.Series(has_id, index=idx))
            counts = currency.value_counts()
            if len(counts) > 1:
                main = counts.index[0]
                found = ", ".join(f"{c} in {n:,} rows" for c, n in counts.items())
                ok = (currency.isna() | (currency == main)).to_numpy()
                checks.append(RowCheck(col, f"one currency in the whole column (found {found}; convert to one "
                                            f"currency first)", pd.Series(ok, index=idx)))
    if "margin" in parsed:
        m = parsed["margin"].values
        checks.append(RowCheck("margin", "a margin rate of at most 1 (0.3 = 30 %; write percentages with a % sign)",
                               pd.Series((m.isna() | (m <= 1.0)).to_numpy() | ~has_id, index=idx)))
    if "credit_limit" in parsed:
        v = parsed["credit_limit"].values
        checks.append(RowCheck("credit_limit", "a credit limit of zero or more",
                               pd.Series((v.isna() | (v >= 0)).to_numpy() | ~has_id, index=idx)))
    if not checks:
        return report
    cols = sorted({c.column for c in checks})
    frame = raw.frame[cols] if has_id.all() else raw.frame.loc[has_id, cols]
    report.merge(run_lazy(frame, checks, {c: True for c in cols}, file=raw.label, display=raw.display,
                          locate=raw.locate, unit=raw.locate.unit, max_shown=spec.max_errors_shown))
    return report


def _derive_payment(typed: pd.DataFrame, spec: InputSpec) -> pd.DataFrame:
    if "due_date" not in typed and spec.payment_terms_days is not None and (
        "paid_date" in typed or "days_late" in typed
    ):
        typed["due_date"] = typed["order_ts"].dt.normalize() + pd.Timedelta(days=spec.payment_terms_days)
    if "days_late" in typed:
        typed["paid_date"] = typed["due_date"] + pd.to_timedelta(typed.pop("days_late"), unit="D")
    return typed


def _internal_frame(kept: pd.DataFrame) -> pd.DataFrame:
    """The internal columns of ``kept`` in the order and dtypes of ``segment.schema``."""
    return pd.DataFrame({col: kept[col].astype(dtype) for col, dtype in TRANSACTION_DTYPES.items() if col in kept},
                        index=pd.RangeIndex(len(kept)))


def _excluded_rows(raw: RawTable, positions: dict[str, np.ndarray]) -> pd.DataFrame:
    unit = raw.locate.unit
    parts = []
    for reason, pos in positions.items():  # the policies record a reason only with its rows
        pos = np.sort(pos)
        part = pd.DataFrame({unit: raw.locate(pos), "reason": reason})
        for col in ("customer_id", "order_ts", "amount"):
            part[col] = raw.frame[col].to_numpy()[pos]
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[unit, "reason", "customer_id", "order_ts", "amount"])
    return pd.concat(parts, ignore_index=True).sort_values(unit, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- customers


def load_customers(spec: CustomerSpec | Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The customer table: ``customer_id`` plus industry, region, credit_limit,
    first_contract_date and extra attributes (text). One row per customer: missing ids and
    exact duplicate rows are excluded (counted); one id with two different rows is a problem."""
    if isinstance(spec, Mapping):
        spec = InputSpec.from_dict({"customers": dict(spec)}).customers
    raw = read_table(spec, CUSTOMER_INPUTS, ("customer_id",), extras=True)
    label = raw.label
    if raw.n_rows == 0:
        raise file_problem(label, "the customer table has a header but no rows")
    parsed: dict[str, parsing.Parsed] = {"customer_id": parsing.parse_id(raw.frame["customer_id"], spec, "customer_id")}
    for col in raw.frame.columns:
        if col == "customer_id":
            continue
        if col == "credit_limit":
            parsed[col] = parsing.parse_number(raw.frame[col], spec, col)
        elif col == "first_contract_date":
            parsed[col] = parsing.parse_timestamp(raw.frame[col], spec, col)
        else:
            parsed[col] = parsing.parse_text(raw.frame[col], spec)
    has_id = ~parsed["customer_id"].missing.to_numpy()
    report = _values_pass(raw, parsed, has_id, spec)
    report.merge(_relations_pass(raw, parsed, has_id, spec))
    typed = pd.DataFrame({col: p.values for col, p in parsed.items()})
    keep = has_id.copy()
    excluded: dict[str, int] = {}
    if (~has_id).any():
        excluded[MISSING_ID] = int((~has_id).sum())
    dups = exact_duplicates(typed, raw.row_hash, np.flatnonzero(keep))
    if len(dups):
        keep[dups] = False
        excluded[EXACT_DUPLICATE] = len(dups)
    ids = typed["customer_id"]
    clash = keep & ids.where(pd.Series(keep)).duplicated(keep=False).to_numpy()
    if clash.any():
        report.merge(run_lazy(raw.frame.loc[clash, ["customer_id"]],
                              [RowCheck("customer_id", "one row per customer (this id has rows that differ)",
                                        pd.Series(np.zeros(len(ids), dtype=bool)))],
                              {"customer_id": True}, file=label, display=raw.display, locate=raw.locate,
                              unit=raw.locate.unit, max_shown=spec.max_errors_shown))
    report.raise_if_any(label, spec.max_errors_shown)
    out = typed.loc[keep].reset_index(drop=True)  # the parsers' dtypes: str ids, float64 limits, datetime64 dates
    audit = dict(raw.info)
    audit.update(rows_read=raw.n_rows, rows_kept=len(out), excluded=excluded, columns=dict(raw.mapping),
                 checks_passed=report.passed + ["one row per customer id"])
    return out, audit
