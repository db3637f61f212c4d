"""Reading a delimited text file (CSV, or whitespace-separated) into a ``RawTable``.

Two passes, neither of which writes to the input:
1. the byte pass of ``segment.io.textscan``: SHA-256, line breaks, a strict decode (and a
   temporary UTF-8 copy of a file not in UTF-8).
2. DuckDB's multi-threaded CSV reader with every dialect option fixed (header, delimiter,
   quote, all values as text, strict column count) projects the mapped columns and hashes
   the whole row. Whitespace-separated files (``delimiter: whitespace``) are read with the
   pandas C engine instead (``dtype=str``).

The columns are mapped against the header as the file writes it (``read_header``), never
against the names a reader invents (``segment.io.columns``).

Line numbers: the header is line 1. When the file has exactly one physical line per record
(no blank lines, no line breaks inside quoted values) row ``i`` is line ``i + 2``; otherwise
the exact start line of every record is recovered with Python's csv module, only when a
message needs it.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from segment.io.columns import mapping_with_extras
from segment.io.config import WHITESPACE, TableSpec
from segment.io.contract import DataContractError, Problem
from segment.io.duck import ROW_HASH, connect, ident, split_hash, sql_str
from segment.io.rawtable import Locator, RawTable, file_problem
from segment.io.textscan import scan_text_file


def _csv_source(path: str, spec: TableSpec) -> str:
    return (
        f"read_csv({sql_str(path)}, header = true, delim = {sql_str(spec.delimiter)}, "
        f"quote = {sql_str(spec.quote)}, escape = {sql_str(spec.quote)}, all_varchar = true, skip = 0, "
        "comment = '', strict_mode = true, null_padding = false, encoding = 'utf-8', normalize_names = false)"
    )


def read_csv(spec: TableSpec, wanted: Sequence[str], required: Sequence[str], extras: bool = False) -> RawTable:
    path = str(spec.path)
    label = spec.label
    scan = scan_text_file(path, spec.encoding, label)
    if scan.size == 0 or not scan.has_content:
        raise file_problem(label, "the file is empty: not even a header line (expected a header naming the columns, "
                                  "then one line per transaction)")
    try:
        header = read_header(path, spec)
        if spec.delimiter == WHITESPACE:
            frame, row_hash, mapping = _read_whitespace(path, spec, header, wanted, required, label, extras)
        else:
            frame, row_hash, mapping = _read_csv_duckdb(scan.utf8_path or path, spec, header, wanted, required, label,
                                                        extras)
    finally:
        if scan.utf8_path is not None:
            os.unlink(scan.utf8_path)
    physical = scan.physical_lines
    locator = Locator("line", 2, exact=(physical == len(frame) + 1),
                      recover=lambda: _record_start_lines(path, spec))
    info = {"file": label, "path": str(Path(path).resolve()), "format": "csv", "encoding": spec.encoding,
            "delimiter": spec.delimiter, "size_bytes": scan.size, "sha256": scan.sha256, "lines": physical}
    return RawTable(frame, row_hash, mapping, locator, info, label)


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
    return next((record for _, record in _records(path, _text_encoding(spec), spec)), [])


def _records(path: str, encoding: str, spec: TableSpec) -> Iterator[tuple[int, list[str]]]:
    """(1-based start line, fields) of every record of a delimited file, read with Python's csv
    module; blank lines (which csv gives as [] and the readers skip) are left out."""
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=spec.delimiter, quotechar=spec.quote)
        prev = 0
        for record in reader:
            start, prev = prev + 1, reader.line_num
            if record:
                yield start, record


def _by_position(label: str, header: Sequence[str], reader_names: Sequence[str]) -> None:
    if len(header) != len(reader_names):  # not expected: both read the same first record
        raise file_problem(label, f"the header line has {len(header)} column names {list(header)}, but the CSV "
                                  f"reader found {len(reader_names)} columns {list(reader_names)}; check the "
                                  "delimiter and quoting of the header")


def _ragged_records(path: str, spec: TableSpec, label: str, limit: int) -> DataContractError | None:
    """When DuckDB rejects a file: the records whose number of fields differs from the
    header's, with their lines (Python's csv module, on the UTF-8 text)."""
    problems: list[Problem] = []
    count = 0
    records = _records(path, "utf-8-sig", spec)
    header_len = len(next(records, (0, []))[1])
    for start, record in records:
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
                     extras: bool) -> tuple[pd.DataFrame, np.ndarray, dict[str, str]]:
    """``header``: the file's own column names; the mapping is resolved against them (spaces
    around a name are ignored, as DuckDB ignores them) and DuckDB's columns are then taken by
    position, so its renamed duplicates ('amount_1') and invented names ('column5') are never
    mappable."""
    con = connect()
    try:
        src = _csv_source(path, spec)
        reader_names = [row[0] for row in con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        available = [name.strip() for name in header]
        _by_position(label, available, reader_names)
        mapping = mapping_with_extras(spec, available, wanted, required, label, extras, "the header")
        position = {name: i for i, name in enumerate(available)}  # unique: duplicates were an error
        select = ", ".join(f"t.{ident(reader_names[position[src_col]])} AS {ident(internal)}"
                           for internal, src_col in mapping.items())
        table = con.sql(f"SELECT {select}, hash(t) AS {ROW_HASH} FROM {src} t").to_arrow_table()
    except duckdb.Error as exc:  # the column checks above raise DataContractError, never this
        text = str(exc).split("\n\n")[0].strip()
        raise (_ragged_records(path, spec, label, spec.max_errors_shown)
               or file_problem(label, f"the CSV reader (DuckDB) rejected the file: {text}")) from None
    finally:
        con.close()
    frame, row_hash = split_hash(table)
    return frame, row_hash, mapping


def _read_whitespace(path: str, spec: TableSpec, header: Sequence[str], wanted: Sequence[str],
                     required: Sequence[str], label: str,
                     extras: bool) -> tuple[pd.DataFrame, np.ndarray, dict[str, str]]:
    """Like the DuckDB path: mapped against the file's ``header``, pandas' columns taken by
    position (pandas renames a second 'amount' to 'amount.1')."""
    try:
        full = pd.read_csv(path, sep=r"\s+", engine="c", dtype=str, keep_default_na=False, na_filter=False,
                           encoding=_text_encoding(spec), quotechar=spec.quote)
    except (pd.errors.ParserError, ValueError) as exc:
        raise file_problem(label, f"the whitespace-separated reader rejected the file: {exc}") from None
    available = list(header)
    _by_position(label, available, [str(c) for c in full.columns])
    mapping = mapping_with_extras(spec, available, wanted, required, label, extras, "the header")
    position = {name: i for i, name in enumerate(available)}
    row_hash = pd.util.hash_pandas_object(full, index=False).to_numpy()
    frame = pd.DataFrame({internal: full.iloc[:, position[src]] for internal, src in mapping.items()}
                         ).reset_index(drop=True)
    return frame, row_hash, mapping


def _record_start_lines(path: str, spec: TableSpec) -> np.ndarray:
    """The 1-based start line of every data record, for files where records and physical lines
    differ (blank lines, line breaks inside quoted values). Slow; only used for messages."""
    if spec.delimiter == WHITESPACE:
        with open(path, encoding=_text_encoding(spec), newline="") as fh:
            starts = [i for i, line in enumerate(fh, 1) if line.strip()]
    else:
        starts = [start for start, _ in _records(path, _text_encoding(spec), spec)]
    return np.asarray(starts[1:], dtype="int64")  # the first record is the header

