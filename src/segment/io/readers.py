"""Readers: CSV (explicit encoding), Parquet, a DuckDB SQL query, or an in-memory DataFrame.

Each reader returns a ``RawTable``: only the mapped columns, with the values exactly as the
source holds them (text for CSV; Parquet and SQL keep their types), one 64-bit hash per row
over *every* column of the source (so "exact duplicate" means identical in every column,
not just in the few that are read), a locator from row position to line number, and
provenance (file, format, encoding, size, SHA-256).

CSV, in two passes, neither of which writes to the input:
1. one streaming pass over the bytes: SHA-256, count of line breaks, and a strict decode in
   the given encoding (an undecodable byte is a ``DataContractError`` naming the line and
   the bytes; nothing is ever replaced). Files not in UTF-8 (GBK, GB18030, Latin-1, ...) are
   transcoded to a temporary UTF-8 copy in the same pass.
2. DuckDB's multi-threaded CSV reader with every dialect option fixed (header, delimiter,
   quote, all values as text, strict column count) projects the mapped columns and hashes
   the whole row. Whitespace-separated files (``delimiter: whitespace``) are read with the
   pandas C engine instead (``dtype=str``).

Column names are the source's own: the CSV header as the file writes it (read with the
spec's encoding and delimiter, surrounding spaces ignored), the Parquet schema's names, the
query's column names. A name given to two columns is an error naming them, and so is a
mapping to a name the source does not have: the readers' own renaming (DuckDB reads a second
``amount`` as ``amount_1``, pandas as ``amount.1``) never becomes a column anyone can map.

Line numbers: the header is line 1. When the file has exactly one physical line per record
(no blank lines, no line breaks inside quoted values) row ``i`` is line ``i + 2``; otherwise
the exact start line of every record is recovered with Python's csv module, only when a
message needs it.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from segment.io.config import WHITESPACE, TableSpec
from segment.io.contract import DataContractError, Problem

CHUNK_BYTES = 16 << 20
_HASH = "__segment_row_hash"


@dataclass
class Locator:
    """Row position (0-based, in source order) -> 1-based line (text files) or row number."""

    unit: str  # "line" or "row"
    offset: int  # number = position + offset, when ``exact``
    exact: bool = True
    recover: Callable[[], np.ndarray] | None = None  # start line of every record, when not exact
    _lines: np.ndarray | None = field(default=None, repr=False)

    def __call__(self, positions: Sequence[int] | np.ndarray) -> np.ndarray:
        pos = np.asarray(positions, dtype="int64")
        if self.exact or self.recover is None:
            return pos + self.offset
        if self._lines is None:
            self._lines = self.recover()
        return self._lines[pos]


@dataclass
class RawTable:
    frame: pd.DataFrame  # internal name -> values as in the source; RangeIndex = row position
    row_hash: np.ndarray  # uint64, over every column of the source row
    mapping: dict[str, str]  # internal name -> source column
    source_columns: list[str]
    locate: Locator
    info: dict[str, Any]  # provenance for the manifest
    label: str

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def display(self, internal: str) -> str:
        """A column as messages name it: the source name, and the internal one if different."""
        src = self.mapping.get(internal, internal)
        return f"'{src}'" if src == internal else f"'{src}' ({internal})"


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def _connect(database: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(database or ":memory:", read_only=database is not None)
    con.execute("SET enable_progress_bar = false")
    return con


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _file_problem(label: str, message: str) -> DataContractError:
    return DataContractError(label, [Problem(label, None, None, None, message)])


# ---------------------------------------------------------------- column mapping


def duplicate_names(names: Sequence[str], label: str, where: str) -> list[Problem]:
    """A problem naming every name that ``where`` (e.g. "the header") gives to more than one
    column, with the columns' 1-based positions; empty when every name is unique."""
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(names, 1):
        if name != "":  # unnamed columns (a trailing delimiter) cannot be mapped, so cannot be confused
            positions.setdefault(name, []).append(i)
    twice = {name: pos for name, pos in positions.items() if len(pos) > 1}
    if not twice:
        return []
    listed = ", ".join(f"{name!r} (columns {', '.join(map(str, pos[:-1]))} and {pos[-1]})" for name, pos in twice.items())
    return [Problem(label, None, None, None,
                    f"duplicate column names in {where}: {listed}; every column needs a name of its own, so rename "
                    f"them in the source (a reader would silently rename the second, e.g. to "
                    f"'{next(iter(twice))}_1', and one of them would be read in place of the other)")]


def resolve_columns(spec: TableSpec, available: Sequence[str], wanted: Sequence[str], required: Sequence[str],
                    label: str) -> dict[str, str]:
    """internal -> source column; a missing required or explicitly mapped column is a
    problem listing the columns the source has (and the closest names)."""
    have = list(available)
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for internal in wanted:
        explicit = internal in spec.columns
        source = spec.columns.get(internal, internal)
        if source is None:
            continue
        if source in have and source != "":
            mapping[internal] = source
        elif explicit or internal in required:
            names = list(dict.fromkeys(have))  # a duplicated name is suggested once
            close = difflib.get_close_matches(source, names, n=3, cutoff=0.6)
            close += [c for c in names if c.strip().lower() == source.strip().lower() and c not in close]
            hint = f"; closest: {close}" if close else ""
            renamed = re.fullmatch(r"(.+)[._]\d+", source)
            if renamed and have.count(renamed.group(1)) > 1:
                hint += (f" ({source!r} is how a reader renames a second {renamed.group(1)!r} column; "
                         "the source itself has no column of that name)")
            how = "mapped in the input spec" if explicit else "required; map it with columns: {" + internal + ": <name>}"
            problems.append(Problem(label, None, None, None,
                                    f"column {source!r} for {internal} ({how}) is not in the source; it has {have}{hint}"))
    if problems:
        raise DataContractError(label, problems)
    return mapping


# ---------------------------------------------------------------- CSV


@dataclass
class TextScan:
    sha256: str
    size: int
    newlines: int
    ends_with_newline: bool
    has_content: bool
    utf8_path: str | None  # temporary UTF-8 copy (non-UTF-8 input); delete after use
    trailing_blank_lines: int = 0  # empty lines at the very end (readers skip them)

    @property
    def physical_lines(self) -> int:
        """Lines holding something: line breaks, plus an unterminated last line, minus
        the blank lines at the end of the file."""
        return self.newlines + (0 if self.ends_with_newline else 1) - self.trailing_blank_lines


def scan_text_file(path: str | Path, encoding: str, label: str) -> TextScan:
    """One pass: SHA-256, line breaks, strict decode (and a UTF-8 copy when not UTF-8)."""
    codec = codecs.lookup(encoding).name
    utf8 = codec in ("utf-8", "utf-8-sig", "ascii")
    digest = hashlib.sha256()
    newlines = size = 0
    has_content = False
    last = b""
    tail = b""
    out = None
    if not utf8:
        fd, tmp = tempfile.mkstemp(prefix="segment-utf8-", suffix=".csv")
        out = os.fdopen(fd, "wb")
    try:
        with open(path, "rb") as fh:
            pending = b""
            first = True
            while True:
                block = fh.read(CHUNK_BYTES)
                if block:
                    digest.update(block)
                    size += len(block)
                    last = block[-1:]
                    tail = (tail + block)[-4096:]
                    data = pending + block
                    cut = data.rfind(b"\n") + 1
                    if cut == 0:
                        pending = data
                        continue
                    chunk, pending = data[:cut], data[cut:]
                else:
                    chunk, pending = pending, b""
                    if not chunk:
                        break
                body = chunk[3:] if first and utf8 and chunk.startswith(codecs.BOM_UTF8) else chunk
                first = False
                try:
                    text = body.decode("utf-8" if codec == "utf-8-sig" else codec)
                except UnicodeDecodeError as exc:
                    raise _undecodable(label, encoding, body, exc, newlines) from None
                if not has_content and text.strip():
                    has_content = True
                if out is not None:
                    out.write(text.encode("utf-8"))
                newlines += chunk.count(b"\n")
                if not block:
                    break
    except BaseException:
        if out is not None:
            out.close()
            os.unlink(tmp)
        raise
    if out is not None:
        out.close()
    content = tail.rstrip(b"\r\n \t")
    trailing = tail[len(content):].count(b"\n") - 1 if last == b"\n" and content else 0
    return TextScan(digest.hexdigest(), size, newlines, last == b"\n", has_content, tmp if out is not None else None,
                    max(trailing, 0))


def _undecodable(label: str, encoding: str, body: bytes, exc: UnicodeDecodeError, lines_before: int) -> DataContractError:
    line = lines_before + body.count(b"\n", 0, exc.start) + 1
    start = body.rfind(b"\n", 0, exc.start) + 1
    end = body.find(b"\n", exc.start)
    raw_line = body[start: end if end >= 0 else len(body)]
    bad = body[exc.start: exc.end]
    hint = ""
    for other in ("gb18030", "utf-8", "latin-1"):
        if codecs.lookup(other).name == codecs.lookup(encoding).name:
            continue
        try:
            raw_line.decode(other)
        except UnicodeDecodeError:
            continue
        hint = f"; the line does decode as {other}: is that the file's encoding?"
        break
    check = (f"text in the {encoding} encoding: byte(s) {bad!r} at byte {exc.start - start + 1} of the line "
             f"cannot be decoded (never replaced silently){hint}")
    return DataContractError(label, [Problem(label, line, None, raw_line, check)])


def _csv_source(path: str, spec: TableSpec) -> str:
    return (
        f"read_csv({_sql_str(path)}, header = true, delim = {_sql_str(spec.delimiter)}, "
        f"quote = {_sql_str(spec.quote)}, escape = {_sql_str(spec.quote)}, all_varchar = true, skip = 0, "
        "comment = '', strict_mode = true, null_padding = false, encoding = 'utf-8', normalize_names = false)"
    )


def read_csv(spec: TableSpec, wanted: Sequence[str], required: Sequence[str], extras: bool = False) -> RawTable:
    path = str(spec.path)
    label = spec.label
    if not Path(path).is_file():
        raise FileNotFoundError(f"{label}: input file not found (resolved to {Path(path).resolve()})")
    scan = scan_text_file(path, spec.encoding, label)
    if scan.size == 0 or not scan.has_content:
        raise _file_problem(label, "the file is empty: not even a header line (expected a header naming the columns, "
                                   "then one line per transaction)")
    try:
        header = read_header(path, spec)
        if spec.delimiter == WHITESPACE:
            frame, row_hash, available, mapping = _read_whitespace(path, spec, header, wanted, required, label, extras)
        else:
            frame, row_hash, available, mapping = _read_csv_duckdb(scan.utf8_path or path, spec, header, wanted,
                                                                  required, label, extras)
    finally:
        if scan.utf8_path is not None:
            os.unlink(scan.utf8_path)
    physical = scan.physical_lines
    n = len(frame)
    locator = Locator("line", 2, exact=(physical == n + 1),
                      recover=lambda: _record_start_lines(path, spec))
    info = {"file": label, "path": str(Path(path).resolve()), "format": "csv", "encoding": spec.encoding,
            "delimiter": spec.delimiter, "size_bytes": scan.size, "sha256": scan.sha256, "lines": physical}
    return RawTable(frame, row_hash, mapping, available, locator, info, label)


def _text_encoding(spec: TableSpec) -> str:
    """How Python opens the file: a UTF-8 spec skips a BOM (as the readers do)."""
    return "utf-8-sig" if codecs.lookup(spec.encoding).name in ("utf-8", "utf-8-sig") else spec.encoding


def read_header(path: str, spec: TableSpec) -> list[str]:
    """The column names exactly as the file's header (its first record) writes them, read with
    the spec's encoding, delimiter and quote: a name written twice comes back twice, an empty
    name comes back empty (the readers would rename them). Called after the strict decode
    pass, so the bytes are known to decode."""
    if spec.delimiter == WHITESPACE:  # the same tokenizer as the data, without its header logic
        head = pd.read_csv(path, sep=r"\s+", engine="c", header=None, nrows=1, dtype=str, keep_default_na=False,
                           na_filter=False, encoding=_text_encoding(spec), quotechar=spec.quote)
        return [str(v) for v in head.iloc[0]] if len(head) else []
    with open(path, encoding=_text_encoding(spec), newline="") as fh:
        for record in csv.reader(fh, delimiter=spec.delimiter, quotechar=spec.quote):
            if record:  # the readers skip blank lines before the header too
                return record
    return []


def _by_position(label: str, header: Sequence[str], reader_names: Sequence[str]) -> None:
    if len(header) != len(reader_names):  # not expected: both read the same first record
        raise _file_problem(label, f"the header line has {len(header)} column names {list(header)}, but the CSV "
                                   f"reader found {len(reader_names)} columns {list(reader_names)}; check the "
                                   "delimiter and quoting of the header")


def _duck_error(label: str, exc: Exception) -> DataContractError:
    text = str(exc).split("\n\n")[0].strip()
    return _file_problem(label, f"the CSV reader (DuckDB) rejected the file: {text}")


def _ragged_records(path: str, spec: TableSpec, label: str, limit: int) -> DataContractError | None:
    """When DuckDB rejects a file: the records whose number of fields differs from the
    header's, with their lines (Python's csv module, on the UTF-8 text)."""
    problems: list[Problem] = []
    count = 0
    header_len = None
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=spec.delimiter, quotechar=spec.quote)
        prev = 0
        for record in reader:
            start, prev = prev + 1, reader.line_num
            if not record:
                continue
            if header_len is None:
                header_len = len(record)
                continue
            if len(record) != header_len:
                count += 1
                if len(problems) < limit:
                    problems.append(Problem(label, start, None, spec.delimiter.join(record),
                                            f"a record with {header_len} fields like the header "
                                            f"(check the delimiter {spec.delimiter!r} and quoting {spec.quote!r})"))
    if not problems:
        return None
    return DataContractError(label, problems, {(None, problems[0].check): count}, max_shown=limit)


def _read_csv_duckdb(path: str, spec: TableSpec, header: Sequence[str], wanted: Sequence[str],
                     required: Sequence[str], label: str,
                     extras: bool) -> tuple[pd.DataFrame, np.ndarray, list[str], dict[str, str]]:
    """``header``: the file's own column names; the mapping is resolved against them (spaces
    around a name are ignored, as DuckDB ignores them) and DuckDB's columns are then taken by
    position, so its renamed duplicates ('amount_1') and invented names ('column5') are never
    mappable."""
    con = _connect()
    try:
        src = _csv_source(path, spec)
        try:
            reader_names = [row[0] for row in con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        except duckdb.Error as exc:
            raise (_ragged_records(path, spec, label, spec.max_errors_shown) or _duck_error(label, exc)) from None
        available = [name.strip() for name in header]
        _by_position(label, available, reader_names)
        mapping = _mapping_with_extras(spec, available, wanted, required, label, extras, "the header")
        position = {name: i for i, name in enumerate(available)}  # unique: duplicates were an error
        select = ", ".join(f"t.{_ident(reader_names[position[src_col]])} AS {_ident(internal)}"
                           for internal, src_col in mapping.items())
        try:
            table = con.sql(f"SELECT {select}, hash(t) AS {_HASH} FROM {src} t").to_arrow_table()
        except duckdb.Error as exc:
            raise (_ragged_records(path, spec, label, spec.max_errors_shown) or _duck_error(label, exc)) from None
    finally:
        con.close()
    frame, row_hash = _split_hash(table)
    return frame, row_hash, available, mapping


def _mapping_with_extras(spec: TableSpec, available: Sequence[str], wanted: Sequence[str], required: Sequence[str],
                         label: str, extras: bool, where: str) -> dict[str, str]:
    """internal -> source column. ``available`` are the source's own column names (``where``
    says whose: "the header", "the Parquet schema", ...); a name used twice there and a
    mapping to a name not there are reported together."""
    problems = duplicate_names(available, label, where)
    try:
        mapping = resolve_columns(spec, available, wanted, required, label)
    except DataContractError as exc:
        raise DataContractError(label, problems + exc.problems) from None
    if problems:
        raise DataContractError(label, problems)
    if extras:  # customer tables: other columns become text attributes
        listed = getattr(spec, "extra_columns", None)
        used = set(mapping.values())
        names = [c for c in available if c not in used and c != ""] if listed is None else list(listed)
        missing = [c for c in names if c not in available]
        if missing:
            raise _file_problem(label, f"extra_columns {missing} are not in the source; it has {list(available)}")
        for c in names:
            if c in mapping:
                raise _file_problem(label, f"extra column {c!r} clashes with an internal column name; rename it in the source")
            mapping[c] = c
    return mapping


def _split_hash(table: pa.Table) -> tuple[pd.DataFrame, np.ndarray]:
    row_hash = table.column(_HASH).to_numpy().astype("uint64", copy=False)
    frame = table.drop_columns([_HASH]).to_pandas(types_mapper=_types_mapper)
    return frame, row_hash


def _types_mapper(t: pa.DataType) -> Any:
    # dates and decimals keep their meaning; text stays Arrow (no copy into large strings)
    if pa.types.is_date(t) or pa.types.is_decimal(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.ArrowDtype(t)
    return None


def _read_whitespace(path: str, spec: TableSpec, header: Sequence[str], wanted: Sequence[str],
                     required: Sequence[str], label: str,
                     extras: bool) -> tuple[pd.DataFrame, np.ndarray, list[str], dict[str, str]]:
    """Like the DuckDB path: mapped against the file's ``header``, pandas' columns taken by
    position (pandas renames a second 'amount' to 'amount.1')."""
    try:
        full = pd.read_csv(path, sep=r"\s+", engine="c", dtype=str, keep_default_na=False, na_filter=False,
                           encoding=_text_encoding(spec), quotechar=spec.quote)
    except (pd.errors.ParserError, ValueError) as exc:
        raise _file_problem(label, f"the whitespace-separated reader rejected the file: {exc}") from None
    available = list(header)
    _by_position(label, available, [str(c) for c in full.columns])
    mapping = _mapping_with_extras(spec, available, wanted, required, label, extras, "the header")
    position = {name: i for i, name in enumerate(available)}
    row_hash = pd.util.hash_pandas_object(full, index=False).to_numpy()
    frame = pd.DataFrame({internal: full.iloc[:, position[src]] for internal, src in mapping.items()}
                         ).reset_index(drop=True)
    return frame, row_hash, available, mapping


def _record_start_lines(path: str, spec: TableSpec) -> np.ndarray:
    """The 1-based start line of every data record, for files where records and physical lines
    differ (blank lines, line breaks inside quoted values). Slow; only used for messages."""
    starts: list[int] = []
    with open(path, encoding=_text_encoding(spec), newline="") as fh:
        if spec.delimiter == WHITESPACE:
            starts = [i for i, line in enumerate(fh, 1) if line.strip()]
        else:
            reader = csv.reader(fh, delimiter=spec.delimiter, quotechar=spec.quote)
            prev = 0
            for record in reader:
                if record:  # csv gives [] for a blank line, which the readers skip
                    starts.append(prev + 1)
                prev = reader.line_num
    return np.asarray(starts[1:], dtype="int64")  # the first record is the header


# ---------------------------------------------------------------- Parquet, SQL, DataFrame


def read_parquet(spec: TableSpec, wanted: Sequence[str], required: Sequence[str], extras: bool = False) -> RawTable:
    path = str(spec.path)
    label = spec.label
    if not Path(path).is_file():
        raise FileNotFoundError(f"{label}: input file not found (resolved to {Path(path).resolve()})")
    sha = file_sha256(path)
    try:
        available = list(pq.ParquetFile(path).schema_arrow.names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _file_problem(label, f"not a readable Parquet file: {exc}") from None
    mapping = _mapping_with_extras(spec, available, wanted, required, label, extras, "the Parquet schema")
    table = pq.read_table(path, columns=list(dict.fromkeys(mapping.values())))
    frame = pd.DataFrame({internal: table.column(src).to_pandas(types_mapper=_types_mapper)
                          for internal, src in mapping.items()})
    con = _connect()
    try:
        row_hash = con.sql(f"SELECT hash(t) AS h FROM read_parquet({_sql_str(path)}) t").to_arrow_table() \
            .column("h").to_numpy().astype("uint64")
    except duckdb.Error:  # a type DuckDB cannot hash: judge duplicates on the mapped columns
        row_hash = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    finally:
        con.close()
    info = {"file": label, "path": str(Path(path).resolve()), "format": "parquet",
            "size_bytes": Path(path).stat().st_size, "sha256": sha}
    return RawTable(frame, row_hash, mapping, available, Locator("row", 1), info, label)


def read_sql(spec: TableSpec, wanted: Sequence[str], required: Sequence[str], extras: bool = False) -> RawTable:
    query = str(spec.query).strip().rstrip(";")
    label = spec.label
    database = spec.database
    if database is not None and not Path(database).is_file():
        raise FileNotFoundError(f"{label}: DuckDB database file not found: {database}")
    con = _connect(database)
    try:
        try:
            available = list(con.sql(query).columns)
        except duckdb.Error as exc:
            raise _file_problem(label, f"the SQL query failed in DuckDB: {str(exc).splitlines()[0]}") from None
        mapping = _mapping_with_extras(spec, available, wanted, required, label, extras, "the query's result")
        select = ", ".join(f"q.{_ident(src)} AS {_ident(internal)}" for internal, src in mapping.items())
        try:
            table = con.sql(f"SELECT {select}, hash(q) AS {_HASH} FROM ({query}) q").to_arrow_table()
        except duckdb.Error as exc:
            raise _file_problem(label, f"the SQL query failed in DuckDB: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    frame, row_hash = _split_hash(table)
    info: dict[str, Any] = {"file": None, "format": "sql", "query": query}
    if database is not None:
        info.update(database=str(Path(database).resolve()), database_sha256=file_sha256(database))
    return RawTable(frame, row_hash, mapping, available, Locator("row", 1), info, label)


def read_frame(df: pd.DataFrame, spec: TableSpec, wanted: Sequence[str], required: Sequence[str],
               extras: bool = False) -> RawTable:
    """An in-memory table; the caller's frame is only read (selected columns are copies)."""
    label = "<DataFrame>"
    names = [str(c) for c in df.columns]  # 1 and "1" are one name here: a duplicate too
    mapping = _mapping_with_extras(spec, names, wanted, required, label, extras, "the DataFrame's columns")
    labels = dict(zip(names, df.columns))
    frame = pd.DataFrame({internal: df[labels[src]].to_numpy(copy=True) if df[labels[src]].dtype == object
                          else df[labels[src]].copy(deep=True) for internal, src in mapping.items()})
    frame = frame.reset_index(drop=True)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = _object_to_text(frame[col])
    try:
        row_hash = pd.util.hash_pandas_object(df, index=False).to_numpy()
    except TypeError:  # unhashable cells (lists, dicts): judge duplicates on the mapped columns
        row_hash = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    info = {"file": None, "format": "frame", "columns": list(labels)}
    return RawTable(frame, row_hash, mapping, list(labels), Locator("row", 1), info, label)


def _object_to_text(values: pd.Series) -> pd.Series:
    """Python objects -> text; None/NaN/NaT stay missing; a column of Timestamps stays a datetime column."""
    non_null = values.dropna()
    if len(non_null) and all(isinstance(v, pd.Timestamp) for v in non_null.head(1000)):
        try:
            return pd.to_datetime(values)
        except (TypeError, ValueError):
            pass
    text = values.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT else str(v))
    return text.astype("str")


def read_table(spec: TableSpec, wanted: Sequence[str], required: Sequence[str], extras: bool = False) -> RawTable:
    kind = spec.kind
    if kind == "csv":
        if spec.path is None:
            raise ValueError(f"{spec.label}: a CSV source needs a path")
        return read_csv(spec, wanted, required, extras)
    if kind == "parquet":
        if spec.path is None:
            raise ValueError(f"{spec.label}: a Parquet source needs a path")
        return read_parquet(spec, wanted, required, extras)
    if kind == "sql":
        if spec.query is None:
            raise ValueError(f"{spec.label}: an SQL source needs a query")
        return read_sql(spec, wanted, required, extras)
    raise ValueError(f"{spec.label}: no file or query to read (use load_transactions_frame for a DataFrame)")
