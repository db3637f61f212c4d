"""Where the user's data is and how to read it: ``InputSpec`` (the ``data:`` section of a run config).

A spec is plain data, built from the dict that YAML gives::

    data:
      path: data/orders.csv            # CSV or Parquet (format from the suffix), or `query:` (DuckDB SQL)
      encoding: gb18030                # utf-8 (default; a BOM is skipped), utf-8-sig, gbk, gb18030, latin-1, ...
      columns:                         # internal name -> column name in the file
        customer_id: 客户编号
        order_ts: 下单时间
        amount: 金额
        order_id: 订单号
      date_format: "%Y/%m/%d %H:%M"    # strptime format; default: ISO 8601 (with or without a UTC offset)
      decimal: "."                     # decimal separator of amounts
      thousands: ","                   # thousands separator (groups of three digits are enforced)
      timezone: Asia/Shanghai          # zone of timestamps without an offset
      customers:                       # optional customer table; inherits the parsing options above
        path: data/customers.csv
        columns: {customer_id: 客户编号, industry: 行业, region: 地区}

Unknown keys are an error naming the key, so a typo never falls back to a default silently.
Every option and every policy is described in docs/DATA.md.
"""

from __future__ import annotations

import codecs
import dataclasses
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segment.errors import UserError

#: internal transaction columns a file can provide (``days_late`` is turned into ``paid_date``)
TRANSACTION_INPUTS: tuple[str, ...] = (
    "customer_id", "order_ts", "amount", "order_id", "quantity", "cost", "margin",
    "due_date", "paid_date", "days_late",
)
REQUIRED_INPUTS: tuple[str, ...] = ("customer_id", "order_ts", "amount")
CUSTOMER_INPUTS: tuple[str, ...] = ("customer_id", "industry", "region", "credit_limit", "first_contract_date")

DEFAULT_CURRENCY_SYMBOLS: tuple[str, ...] = ("¥", "￥", "$", "US$", "€", "£", "RMB", "CNY", "USD", "EUR", "元")
#: texts that mean "no value" in any column (compared after stripping whitespace, case-insensitively)
DEFAULT_NA_VALUES: tuple[str, ...] = ("", "na", "n/a", "#n/a", "null", "none", "nan", "nat", "-")
FORMATS = ("csv", "parquet", "sql", "frame")
WHITESPACE = "whitespace"
#: what to do with rows identical in every column of the source to an earlier row
#: (docs/DATA.md 5.3): drop them only when an order id says they are one line written twice
#: (default), always drop them, or keep them all. Without an order id identical lines can be
#: two real purchases (CDNOW: two identical CDs bought on one day), so they are kept and counted.
EXACT_DUPLICATE_POLICIES: tuple[str, ...] = ("drop_if_order_id", "drop", "keep")


class InputSpecError(UserError, ValueError):
    """The input specification is invalid; the message names the source and the key."""


@dataclass(frozen=True)
class ParseOptions:
    """How values are written in the source (shared by the transaction and customer tables)."""

    encoding: str = "utf-8"
    delimiter: str = ","  # one character, or "whitespace" (runs of blanks, read with pandas)
    quote: str = '"'
    date_format: str | None = None  # None: ISO 8601
    decimal: str = "."
    thousands: str | None = ","  # None: no thousands separator allowed
    currency_symbols: tuple[str, ...] = DEFAULT_CURRENCY_SYMBOLS
    timezone: str = "UTC"  # zone of naive timestamps; everything is stored as naive UTC
    na_values: tuple[str, ...] = DEFAULT_NA_VALUES
    fix_float_ids: bool = True  # "17850.0" -> "17850" (an id a spreadsheet turned into a float)
    max_errors_shown: int = 10  # offending values listed per check; the rest are counted


@dataclass(frozen=True)
class TableSpec(ParseOptions):
    """One table: where it is (a file path, or a DuckDB query) and which columns to take."""

    path: str | None = None
    query: str | None = None
    database: str | None = None  # DuckDB database file a query runs against (opened read-only)
    format: str | None = None  # csv | parquet | sql; inferred from `path` / `query`
    columns: Mapping[str, str | None] = field(default_factory=dict)  # internal -> source (None: leave out)

    @property
    def kind(self) -> str:
        if self.format:
            return self.format
        if self.query is not None:
            return "sql"
        suffix = Path(self.path or "").suffix.lower()
        return "parquet" if suffix in (".parquet", ".pq") else "csv"

    @property
    def label(self) -> str:
        """How messages name the source: the file name, or 'query'."""
        if self.path is not None:
            return str(self.path)
        return "query" if self.query is not None else "<DataFrame>"


@dataclass(frozen=True)
class CustomerSpec(TableSpec):
    #: extra attribute columns to keep as text; None: every column of the table not mapped above
    extra_columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class InputSpec(TableSpec):
    """The transaction source, how to read it, and (optionally) the customer table."""

    exact_duplicates: str = "drop_if_order_id"  # drop_if_order_id | drop | keep (EXACT_DUPLICATE_POLICIES)
    payment_terms_days: int | None = None  # due_date = order date + terms when no due_date column
    customers: CustomerSpec | None = None
    origin: str = "<dict>"  # where the spec came from, for messages

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], origin: str = "<dict>") -> "InputSpec":
        """Build from a plain dict (a YAML ``data:`` section); every key is checked."""
        if not isinstance(raw, Mapping):
            raise InputSpecError(f"{origin}: the input spec must be a mapping, got {type(raw).__name__}")
        values = dict(raw)
        customers_raw = values.pop("customers", None)
        spec = _build(cls, values, origin, allowed_columns=TRANSACTION_INPUTS)
        if customers_raw is not None:
            if isinstance(customers_raw, str):
                customers_raw = {"path": customers_raw}
            if not isinstance(customers_raw, Mapping):
                raise InputSpecError(f"{origin}: customers must be a mapping (path, columns, ...)")
            inherited = {f.name: getattr(spec, f.name) for f in dataclasses.fields(ParseOptions)}
            merged = {**inherited, **dict(customers_raw)}
            if "extra_columns" in merged and merged["extra_columns"] is not None:
                merged["extra_columns"] = tuple(merged["extra_columns"])
            cust = _build(CustomerSpec, merged, f"{origin}: customers", allowed_columns=CUSTOMER_INPUTS)
            spec = dataclasses.replace(spec, customers=cust)
        return spec

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the run manifest (round-trips through ``from_dict``)."""
        out = _plain(self, exclude={"customers", "origin"})
        if self.customers is not None:
            out["customers"] = _plain(self.customers)
        return out


def _plain(spec: Any, exclude: set[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(spec):
        if f.name in exclude:
            continue
        value = getattr(spec, f.name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[f.name] = value
    return out


def _build(cls: type, values: dict[str, Any], origin: str, allowed_columns: tuple[str, ...]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)} - {"customers", "origin"}
    unknown = sorted(set(values) - names)
    if unknown:
        raise InputSpecError(f"{origin}: unknown key(s) {unknown}; allowed: {sorted(names)}")
    if values.get("path") is not None and values.get("query") is not None:
        # neither is fine for a spec used with load_transactions_frame (an in-memory table)
        raise InputSpecError(f"{origin}: give one of 'path' (CSV or Parquet file) or 'query' (DuckDB SQL), not both")
    if values.get("path") is not None:
        values["path"] = str(values["path"])
    for key in ("currency_symbols", "na_values"):
        if key in values:
            if isinstance(values[key], str) or not isinstance(values[key], (list, tuple)):
                raise InputSpecError(f"{origin}: {key} must be a list of strings")
            values[key] = tuple(str(v) for v in values[key])
    columns = values.get("columns", {}) or {}
    if not isinstance(columns, Mapping):
        raise InputSpecError(f"{origin}: columns must map an internal name to a column of the source")
    bad = sorted(set(columns) - set(allowed_columns))
    if bad:
        raise InputSpecError(f"{origin}: columns.{bad[0]} is not an input column; known: {list(allowed_columns)}")
    for internal, source in columns.items():
        if source is not None and not isinstance(source, str):
            raise InputSpecError(f"{origin}: columns.{internal} must be a column name (text), got {source!r}")
        if source is None and internal in REQUIRED_INPUTS:
            raise InputSpecError(f"{origin}: columns.{internal} is required and cannot be left out")
    sources = [s for s in columns.values() if s is not None]
    twice = sorted({s for s in sources if sources.count(s) > 1})
    if twice:
        raise InputSpecError(f"{origin}: source column {twice[0]!r} is mapped to more than one internal column")
    values["columns"] = dict(columns)
    spec = cls(**values)
    _check(spec, origin)
    return spec


def _check(spec: TableSpec, origin: str) -> None:
    if spec.format is not None and spec.format not in FORMATS:
        raise InputSpecError(f"{origin}: format={spec.format!r} is not one of {FORMATS[:3]}")
    try:
        info = codecs.lookup(spec.encoding)
    except LookupError:
        raise InputSpecError(f"{origin}: encoding={spec.encoding!r} is not a known text encoding") from None
    if not "a\n".encode(info.name).endswith(b"a\n") or "utf_16" in info.name or "utf_32" in info.name:
        raise InputSpecError(f"{origin}: encoding={spec.encoding!r} is not ASCII-compatible; convert the file "
                             "to UTF-8 first (e.g. iconv -f UTF-16 -t UTF-8)")
    if spec.delimiter != WHITESPACE and len(spec.delimiter) != 1:
        raise InputSpecError(f"{origin}: delimiter must be one character or 'whitespace', got {spec.delimiter!r}")
    if len(spec.quote) != 1:
        raise InputSpecError(f"{origin}: quote must be one character, got {spec.quote!r}")
    if spec.decimal not in (".", ","):
        raise InputSpecError(f"{origin}: decimal must be '.' or ',', got {spec.decimal!r}")
    if spec.thousands is not None and (spec.thousands == spec.decimal or spec.thousands not in (",", ".", " ", "'", "\u00a0", "\u202f", "_")):
        raise InputSpecError(f"{origin}: thousands={spec.thousands!r} is not a usable thousands separator "
                             f"(one of , . ' space, and not the decimal separator)")
    try:
        zoneinfo.ZoneInfo(spec.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputSpecError(f"{origin}: timezone={spec.timezone!r} is not an IANA time zone (e.g. UTC, Asia/Shanghai)") from None
    if spec.date_format is not None and "%" not in spec.date_format:
        raise InputSpecError(f"{origin}: date_format={spec.date_format!r} is not a strptime format (e.g. %Y-%m-%d)")
    if not isinstance(spec.max_errors_shown, int) or spec.max_errors_shown < 1:
        raise InputSpecError(f"{origin}: max_errors_shown must be a positive integer")
    if isinstance(spec, InputSpec):
        if spec.exact_duplicates not in EXACT_DUPLICATE_POLICIES:
            raise InputSpecError(f"{origin}: exact_duplicates must be one of {list(EXACT_DUPLICATE_POLICIES)}, "
                                 f"got {spec.exact_duplicates!r}")
        if spec.payment_terms_days is not None and (not isinstance(spec.payment_terms_days, int) or spec.payment_terms_days < 0):
            raise InputSpecError(f"{origin}: payment_terms_days must be a whole number of days >= 0")
        if spec.columns.get("cost") and spec.columns.get("margin"):
            raise InputSpecError(f"{origin}: map either cost or margin, not both (profit would be ambiguous)")
        if spec.columns.get("paid_date") and spec.columns.get("days_late"):
            raise InputSpecError(f"{origin}: map either paid_date or days_late, not both")
