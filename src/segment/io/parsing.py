"""Turn the values of one source column (text as written, or typed Parquet/SQL values) into
internal values, vectorised, without ever guessing silently.

Every parser returns a ``Parsed``: the values (NaN/NaT/<NA> where missing or unreadable),
``missing`` (blank, or one of the NA texts), ``checks`` (each expectation in words with its
mask, False where a value is present but cannot be read, or is read but implausible: those
become contract problems), and ``changed`` (reason -> rows whose value was normalised,
counted in the audit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segment.io.config import ParseOptions

#: plausible calendar range of business dates; outside it a date is a typo or a placeholder
MIN_DATE = pd.Timestamp("1900-01-01")
MAX_DATE = pd.Timestamp("2100-12-31 23:59:59")

#: currency symbols that name the same currency (a column may mix the spellings of one)
CURRENCY_GROUPS = {
    "¥": "CNY/JPY", "￥": "CNY/JPY", "RMB": "CNY/JPY", "CNY": "CNY/JPY", "元": "CNY/JPY",
    "$": "USD", "US$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "£": "GBP",
}

_OFFSET = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_ZERO_OFFSET = r"(?:Z|z|UTC|GMT|[+-]00(?::?00)?)$"
_ISO_DATE_ONLY = r"\d{4}-?\d{2}-?\d{2}"
_TIME_DIRECTIVES = re.compile(r"%[HIMSXcTpfzZrR]")


@dataclass
class Parsed:
    values: pd.Series
    missing: pd.Series
    checks: list[tuple[str, pd.Series]] = field(default_factory=list)  # (expectation, ok mask)
    changed: dict[str, pd.Series] = field(default_factory=dict)
    extra: dict[str, pd.Series] = field(default_factory=dict)  # e.g. the currency of each amount


def _text(raw: pd.Series) -> pd.Series:
    """The column as pandas text (Arrow-backed str), without touching the caller's series."""
    if raw.dtype == "str":
        return raw
    if isinstance(raw.dtype, pd.ArrowDtype) and (pa.types.is_string(raw.dtype.pyarrow_dtype)
                                                 or pa.types.is_large_string(raw.dtype.pyarrow_dtype)):
        return raw  # Arrow text straight from a reader: used without a copy
    out = raw.astype("str")
    return out.where(raw.notna(), None) if out.isna().sum() != raw.isna().sum() else out


def arrow(series: pd.Series) -> pa.ChunkedArray:
    """The Arrow data behind a text series (no copy for Arrow-backed strings)."""
    arr = series.array
    out = arr.__arrow_array__() if hasattr(arr, "__arrow_array__") else pa.array(series.to_numpy(dtype=object), from_pandas=True)
    return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])


def mask(values: pa.ChunkedArray | pa.Array, index: pd.Index) -> pd.Series:
    """An Arrow boolean result as a numpy-backed bool Series (null -> False)."""
    return pd.Series(pc.fill_null(values, False).to_numpy(zero_copy_only=False), index=index, dtype=bool)


def text_series(values: pa.ChunkedArray, index: pd.Index) -> pd.Series:
    out = values.to_pandas()
    if out.dtype != "str":
        out = out.astype("str")
    out.index = index
    return out


def _na_arrow(arr: pa.ChunkedArray, options: ParseOptions,
              strip: bool = True) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """(stripped text, missing mask) of a text column; ``strip=False`` when no value has
    surrounding whitespace (no copy, no trimming pass)."""
    stripped = pc.utf8_trim_whitespace(arr) if strip else arr
    missing = pc.or_(pc.is_null(arr), pc.fill_null(pc.is_in(stripped, value_set=na_set(options, stripped.type)), True))
    return stripped, missing


def na_set(options: ParseOptions, type_: pa.DataType = pa.large_string()) -> pa.Array:
    """The NA texts in lower, upper, title and as-given case (no per-value lowercasing pass)."""
    variants = set()
    for v in options.na_values:
        v = v.strip()
        variants |= {v, v.lower(), v.upper(), v.title(), v.capitalize()}
    return pa.array(sorted(variants), type=type_)


def _all_true(index: pd.Index) -> pd.Series:
    return pd.Series(np.ones(len(index), dtype=bool), index=index)


def parse_id(raw: pd.Series, options: ParseOptions, label: str) -> Parsed:
    """Ids stay text: whitespace stripped, NA texts missing, "17850.0" -> "17850" (a
    spreadsheet's float), scientific notation rejected (its digits are already lost)."""
    idx = raw.index
    changed: dict[str, pd.Series] = {}
    if pd.api.types.is_integer_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        missing = raw.isna().astype(bool)
        values = raw.astype("Int64").astype("str").where(~missing, None)
        return Parsed(values.astype("str"), missing)
    if pd.api.types.is_float_dtype(raw.dtype):
        missing = raw.isna().astype(bool)
        numbers = raw.to_numpy(dtype="float64", na_value=np.nan)
        integral = np.isfinite(numbers) & (np.floor(numbers) == numbers)
        ok = pd.Series(integral | missing.to_numpy(), index=idx)
        text = pd.Series(np.where(integral, np.nan_to_num(numbers).astype("int64").astype(str), None), index=idx, dtype="str")
        changed[f"{label}: stored as a float, written as a whole number ('17850.0' -> '17850')"] = pd.Series(integral, index=idx)
        return Parsed(text, missing, [("a whole number (an id stored as a float must have no fraction)", ok)], changed)
    arr = arrow(_text(raw))
    padded_any = pc.any(pc.match_substring_regex(arr, r"^\s|\s$")).as_py()
    stripped, missing_a = _na_arrow(arr, options, strip=padded_any)  # usually nothing to strip
    missing = mask(missing_a, idx)
    present = pc.invert(missing_a)
    if padded_any:
        padded = mask(pc.and_(present, pc.not_equal(stripped, arr)), idx)
        if padded.any():
            changed[f"{label}: surrounding whitespace removed"] = padded
    values = stripped
    ok = _all_true(idx)
    if any(pc.any(pc.match_substring(stripped, ch)).as_py() for ch in (".", "e", "E")):  # else it cannot be a float
        scientific = mask(pc.and_(present, pc.match_substring_regex(stripped, r"^[+-]?\d(?:\.\d+)?[eE][+-]?\d+$")), idx)
        ok = ~scientific
        if options.fix_float_ids:
            floaty_a = pc.and_(present, pc.match_substring_regex(stripped, r"^\d+\.0+$"))
            floaty = mask(floaty_a, idx)
            if floaty.any():
                values = pc.if_else(pc.fill_null(floaty_a, False), pc.replace_substring_regex(stripped, r"\.0+$", ""),
                                    stripped)
                changed[f"{label}: spreadsheet float suffix removed ('17850.0' -> '17850')"] = floaty
    if pc.any(missing_a).as_py():
        values = pc.if_else(missing_a, pa.scalar(None, type=values.type), values)
    checks = [("an id, not a number in scientific notation (a spreadsheet lost its digits: export ids as text)", ok)]
    return Parsed(text_series(values, idx), missing, checks, changed)


def parse_text(raw: pd.Series, options: ParseOptions) -> Parsed:
    """Attributes (industry, region, extras): stripped text, NA texts missing."""
    text = _text(raw)
    missing = mask(_na_arrow(arrow(text), options)[1], text.index)
    values = text.str.strip().where(~missing, None).astype("str")
    return Parsed(values, missing)


def parse_number(raw: pd.Series, options: ParseOptions, label: str, *, percent: bool = False,
                 currency: bool = True) -> Parsed:
    """Numbers as written by people: currency symbols, thousands separators (in groups of
    three), the configured decimal separator, accounting negatives "(12.00)", and for
    rates "30%". Anything else, and NaN/inf, is a problem."""
    idx = raw.index
    if pd.api.types.is_bool_dtype(raw.dtype):
        raw = raw.astype("float64")
    if pd.api.types.is_numeric_dtype(raw.dtype) or (
        isinstance(raw.dtype, pd.ArrowDtype) and pa.types.is_decimal(raw.dtype.pyarrow_dtype)
    ):
        missing = raw.isna().astype(bool)
        values = pd.Series(raw.to_numpy(dtype="float64", na_value=np.nan), index=idx)
        finite = pd.Series(np.isfinite(values.to_numpy()) | missing.to_numpy(), index=idx)
        return Parsed(values, missing, [("a finite number", finite)])
    words = _number_words(options, percent, currency)
    raw_a = arrow(_text(raw))
    if options.decimal == ".":  # the common case: plain numbers, blanks as nulls
        fast = _try_float(raw_a)
        if fast is not None and np.isfinite(fast[~np.isnan(fast)]).all():
            missing = mask(pc.is_null(raw_a), idx)
            if not np.isnan(fast[~missing.to_numpy()]).any():
                return Parsed(pd.Series(fast, index=idx), missing, [(words, _all_true(idx))])
    stripped_a, missing_a = _na_arrow(raw_a, options)
    missing = mask(missing_a, idx)
    stripped = text_series(stripped_a, idx)
    changed: dict[str, pd.Series] = {}
    extra: dict[str, pd.Series] = {}
    fast = _try_float(pc.if_else(missing_a, pa.scalar(None, type=stripped_a.type), stripped_a)) \
        if options.decimal == "." else None
    if fast is not None and np.isfinite(fast[~missing.to_numpy()]).all():
        return Parsed(pd.Series(fast, index=idx), missing, [(words, _all_true(idx))])
    t = stripped.fillna("")
    if options.thousands in (" ", "\u00a0", "\u202f"):
        t = t.str.replace("\u00a0", " ", regex=False).str.replace("\u202f", " ", regex=False)
    paren = t.str.fullmatch(r"\(.*\)").fillna(False).astype(bool) & ~missing
    if paren.any():
        t = t.where(~paren, "-" + t.str.slice(1, -1).str.strip())
        changed[f"{label}: accounting negative '(x)' read as -x"] = paren
    if currency:
        symbol = pd.Series(None, index=idx, dtype="str")
        for sym in sorted(options.currency_symbols, key=len, reverse=True):
            has = t.str.contains(sym, regex=False).fillna(False).astype(bool) & ~missing
            if has.any():
                symbol = symbol.where(~(has & symbol.isna()), CURRENCY_GROUPS.get(sym, sym))
                t = t.where(~has, t.str.replace(sym, "", regex=False))
        had_symbol = symbol.notna()
        if had_symbol.any():
            changed[f"{label}: currency symbol removed"] = had_symbol
            extra["currency"] = symbol
        t = t.str.replace(r"^([+-])\s+", r"\1", regex=True).str.strip()
    pct = pd.Series(False, index=idx)
    if percent:
        pct = t.str.endswith("%").fillna(False).astype(bool) & ~missing
        if pct.any():
            t = t.where(~pct, t.str.slice(0, -1).str.strip())
            changed[f"{label}: percentage read as a rate ('30%' -> 0.3)"] = pct
    d = re.escape(options.decimal)
    plain = t.str.fullmatch(rf"[+-]?(?:\d+(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?").fillna(False).astype(bool)
    grouped = pd.Series(False, index=idx)
    if options.thousands is not None:
        th = re.escape(options.thousands)
        grouped = t.str.fullmatch(rf"[+-]?\d{{1,3}}(?:{th}\d{{3}})+(?:{d}\d*)?").fillna(False).astype(bool) & ~plain
        if grouped.any():
            t = t.where(~grouped, t.str.replace(options.thousands, "", regex=False))
            changed[f"{label}: thousands separator removed"] = grouped
    readable = (plain | grouped) & ~missing
    if options.decimal != ".":
        t = t.str.replace(options.decimal, ".", regex=False)
    numbers = np.full(len(t), np.nan)
    if readable.any():
        numbers[readable.to_numpy()] = pa.array(t[readable].to_numpy(dtype=object), type=pa.string()).cast(pa.float64()).to_numpy(zero_copy_only=False)
    numbers = np.where(pct.to_numpy(), numbers / 100.0, numbers)
    ok = pd.Series((readable.to_numpy() & np.isfinite(numbers)) | missing.to_numpy(), index=idx)
    values = pd.Series(numbers, index=idx)
    for reason in list(changed):
        changed[reason] = changed[reason] & ok
    return Parsed(values, missing, [(words, ok)], changed, extra)


def _number_words(options: ParseOptions, percent: bool, currency: bool) -> str:
    parts = [f"decimal separator {options.decimal!r}"]
    if options.thousands is not None:
        parts.append(f"thousands separator {options.thousands!r} in groups of three")
    if currency:
        parts.append("an optional currency symbol")
    if percent:
        parts.append("or a percentage")
    return "a number (" + ", ".join(parts) + ")"


def _try_float(arr: pa.ChunkedArray) -> np.ndarray | None:
    try:
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def parse_timestamp(raw: pd.Series, options: ParseOptions, label: str) -> Parsed:
    """Timestamps -> naive UTC (datetime64[ns]).

    - a value with a UTC offset (or Z) is converted to UTC and the zone dropped;
    - a value with a time of day but no offset is taken as ``options.timezone`` and
      converted to UTC (a local time skipped by a daylight-saving change is a problem; an
      ambiguous one is taken as its first occurrence);
    - a value without a time of day is a calendar date and is kept as that date at midnight,
      never shifted by a zone.
    Typed sources: tz-aware timestamps -> UTC; naive timestamps -> as ``timezone``; dates
    -> calendar dates.
    """
    idx = raw.index
    n = len(raw)
    changed: dict[str, pd.Series] = {}
    zone = options.timezone
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        missing = raw.isna().astype(bool)
        utc = raw.dt.tz_convert("UTC")
        shifted = (utc.dt.tz_localize(None) != raw.dt.tz_localize(None)).fillna(False).astype(bool)
        values = utc.dt.tz_localize(None).astype("datetime64[ns]")
        if shifted.any():
            changed[f"{label}: timestamp with a UTC offset converted to UTC"] = shifted
        return _finish_ts(values, missing, pd.Series(True, index=idx), changed, options)
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        missing = raw.isna().astype(bool)
        values = raw.astype("datetime64[ns]")
        dst_bad = _local_to_utc(values, ~missing, zone, label, changed)
        return _finish_ts(values, missing, pd.Series(True, index=idx), changed, options, dst_bad)
    if isinstance(raw.dtype, pd.ArrowDtype) and pa.types.is_date(raw.dtype.pyarrow_dtype):
        raw = raw.astype("datetime64[ns]")
        return _finish_ts(raw, raw.isna().astype(bool), pd.Series(True, index=idx), changed, options)
    raw_a = arrow(_text(raw))
    if options.date_format is None:
        try:  # the common case: every value naive ISO 8601 (an offset or a bad value fails the cast)
            fast = pc.cast(raw_a, pa.timestamp("ns"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            fast = None
        if fast is not None:
            missing = mask(pc.is_null(raw_a), idx)
            values = pd.Series(fast.to_numpy(zero_copy_only=False), index=idx).astype("datetime64[ns]")
            local = ~missing
            if zone != "UTC":  # a calendar date is never shifted
                local &= ~mask(pc.match_substring_regex(raw_a, "^" + _ISO_DATE_ONLY + "$"), idx)
            dst_bad = _local_to_utc(values, local, zone, label, changed)
            return _finish_ts(values, missing, pd.Series(True, index=idx), changed, options, dst_bad)
    stripped, missing_a = _na_arrow(raw_a, options)
    missing = mask(missing_a, idx)
    s = text_series(pc.if_else(missing_a, pa.scalar(None, type=stripped.type), stripped), idx)
    present = ~missing
    if options.date_format is not None:
        fmt = options.date_format
        with_offset = "%z" in fmt
        values = pd.to_datetime(s, format=fmt, errors="coerce", utc=with_offset)
        if with_offset:
            values = values.dt.tz_localize(None)
            zero = s.str.contains(r"(?:[+-]00:?00)$", regex=True).fillna(False).astype(bool)
            shifted = present & ~zero & values.notna()
            if shifted.any():
                changed[f"{label}: timestamp with a UTC offset converted to UTC"] = shifted
        values = values.astype("datetime64[ns]")
        read = values.notna() | missing
        local = present & values.notna() & (not with_offset and bool(_TIME_DIRECTIVES.search(fmt)))
        return _finish_ts(values, missing, read, changed, options, _local_to_utc(values, local, zone, label, changed))
    values = pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"), index=idx)
    s_arrow = arrow(s)
    aware = present & mask(pc.match_substring_regex(s_arrow, _OFFSET), idx)
    date_only = present & mask(pc.match_substring_regex(s_arrow, "^" + _ISO_DATE_ONLY + "$"), idx)
    naive = present & ~aware
    if naive.all():
        values = _iso(s, utc=False)
    elif naive.any():
        values[naive] = _iso(s[naive], utc=False)
    if aware.any():
        utc = _iso(s[aware].str.replace(r"\s*(UTC|GMT)$", "Z", regex=True), utc=True)
        values[aware] = utc
        zero = mask(pc.match_substring_regex(s_arrow, _ZERO_OFFSET), idx)
        shifted = aware & ~zero & values.notna()
        if shifted.any():
            changed[f"{label}: timestamp with a UTC offset converted to UTC"] = shifted
    read = values.notna() | missing
    local = naive & ~date_only & values.notna()
    return _finish_ts(values, missing, read, changed, options, _local_to_utc(values, local, zone, label, changed))


def _iso(text: pd.Series, utc: bool) -> pd.Series:
    """ISO 8601 text -> datetime64[ns] (UTC-naive when ``utc``); unreadable -> NaT."""
    try:
        out = pc.cast(arrow(text), pa.timestamp("ns", tz="UTC") if utc else pa.timestamp("ns"))
        series = pd.Series(out.to_pandas().to_numpy(), index=text.index)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        series = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
    return (series.dt.tz_localize(None) if utc else series).astype("datetime64[ns]")


def _local_to_utc(values: pd.Series, local: pd.Series, zone: str, label: str,
                  changed: dict[str, pd.Series]) -> pd.Series:
    """The ``local`` rows of ``values`` (naive wall times in ``zone``) -> naive UTC, in place,
    counted in ``changed``. Returns the rows whose time does not exist there (skipped by a
    daylight-saving change; NaT now); ambiguous times take their first occurrence. Nothing
    to convert when ``zone`` is UTC."""
    bad = pd.Series(False, index=values.index)
    if zone == "UTC" or not local.any():
        return bad
    wall = values[local]
    localised = wall.dt.tz_localize(zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="NaT")
    bad[local] = (localised.isna() & wall.notna()).astype(bool)
    values[local] = localised.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    changed[f"{label}: local time ({zone}) converted to UTC"] = local & ~bad
    return bad


def _finish_ts(values: pd.Series, missing: pd.Series, read: pd.Series, changed: dict[str, pd.Series],
               options: ParseOptions, dst_bad: pd.Series | None = None) -> Parsed:
    read = read.astype(bool)
    in_range = (values.isna() | ((values >= MIN_DATE) & (values <= MAX_DATE))).astype(bool)
    words = "an ISO 8601 date or timestamp (e.g. 2024-03-31 or 2024-03-31T14:05:00+08:00)" \
        if options.date_format is None else f"a date in the format {options.date_format!r}"
    checks = [(words + " that exists in the calendar", read)]
    checks.append((f"a date between {MIN_DATE.date()} and {MAX_DATE.date()}", in_range | ~read))
    if dst_bad is not None and dst_bad.any():
        checks.append((f"a local time that exists in {options.timezone} (not skipped by a daylight-saving change)", ~dst_bad))
    ok = read & in_range & (~dst_bad if dst_bad is not None else True)
    values = values.where(ok & ~missing)
    for reason in list(changed):
        changed[reason] = changed[reason] & ok
    return Parsed(values.astype("datetime64[ns]"), missing, checks, changed)
