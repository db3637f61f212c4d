"""The grade ledger: what each run of a series published, and finding the run before this one.

A run publishes ONE method's grading (what goes to the CRM) as ``published.csv`` in its run
folder, and its manifest records it next to ``"status": "ok"``, ``"grading_as_of"`` and
``"finished"``::

    "series": "cdnow-quarterly",
    "published": {"method": "rfm", "file": "published.csv", "sha256": "<hex>", "customers": 23570}

The reports folder is the ledger; nothing else keeps a list of runs.

Rules:
- ``published.csv`` (``published_table``): ``customer_id`` (text), ``tier`` (text),
  ``provisional`` (bool), then those of ``INDICATORS`` the feature table has (the values at
  the grading date; ``frequency`` as a nullable integer, the others as floats), sorted by
  ``customer_id``, in that fixed column order. Written by ``segment.export.write_csv`` (the
  CRM files' format, formula cells neutralised with an apostrophe); ``read_published`` takes
  that apostrophe off again, so the table reads back exactly. An id or tier label that
  itself starts with an apostrophe followed by a formula character could not be told apart
  from a neutralised one and is refused when publishing.
- A folder is a successful run of a series (``entry_of``) when it is visible (no leading
  dot), not ``-FAILED``, and its ``manifest.json`` says ``"status": "ok"`` with a
  ``series``, a valid ``grading_as_of``, a ``finished`` time and a complete ``published``
  record. Anything else is not part of the ledger (``entry_of`` gives None).
- The previous run (``find_previous``) is the latest such run of the same series whose
  grading date is on or before this run's, latest by (grading date, finished); a rerun of
  the same quarter therefore finds the earlier rerun. The run being made (``exclude``) never
  counts. ``previous_run`` names the folder instead (a name inside the reports folder or a
  path); it must then be a successful run of the same series graded on or before this run,
  else ``GovernanceError`` naming it and saying why.
- The published grades are read, never recomputed: ``read_published`` checks the file's
  SHA-256 against the manifest (and the customer count) before trusting a byte of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from segment.dates import to_date
from segment.errors import GovernanceError, Problem  # GovernanceError: re-exported here
from segment.export import FORMULA_PREFIXES, atomic_write, write_csv
from segment.hashing import CHUNK_BYTES, file_sha256
from segment.ids import is_unique, rows_in, sort_order, strictly_increasing

PUBLISHED_FILE = "published.csv"
MANIFEST_FILE = "manifest.json"
#: the grading-date indicators carried in published.csv when the feature table has them
INDICATORS = ("recency_days", "frequency", "monetary_total", "profit")
REQUIRED = ("customer_id", "tier", "provisional")
#: what the stability rules carry from one run to the next (``governance.publish``; a file without them,
#: from before they were written, reads as a first stay and no run of unprofitable periods)
STATE_COLUMNS = ("stay", "unprofitable_periods")
DTYPES = {"customer_id": "str", "tier": "str", "provisional": "bool", "recency_days": "float64",
          "frequency": "Int64", "monetary_total": "float64", "profit": "float64",
          "stay": "Int64", "unprofitable_periods": "Int64"}
#: the name of a run folder kept after a failure (``segment.runs.RunFolder.fail``)
FAILED_NAME = re.compile(r"-FAILED(-\d+)?$")


@dataclass(frozen=True)
class LedgerEntry:
    """One successful run of a series, as its manifest records it."""

    run_dir: Path
    series: str
    as_of: dt.date
    method: str
    sha256: str
    finished: str
    customers: int
    file: str = PUBLISHED_FILE
    headline: str | None = None

    @property
    def name(self) -> str:
        return self.run_dir.name

    @property
    def published_path(self) -> Path:
        return self.run_dir / self.file


# --- publishing -------------------------------------------------------------------------

def _ambiguous(s: pd.Series) -> pd.Series | None:
    """Where text starts with an apostrophe and then a formula character; None when nowhere
    (checked first by the apostrophe alone: on millions of ids that is the common, cheap case)."""
    quoted = s.str.startswith("'")
    if not quoted.any():
        return None
    risky = quoted & s.str.slice(1).str.startswith(FORMULA_PREFIXES)
    return risky if risky.any() else None


def published_table(assignments: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """The published grading (module docstring): ``assignments`` (indexed by, or with a column,
    ``customer_id``; columns ``tier`` and ``provisional``) with the grading-date ``INDICATORS``
    of ``features`` (indexed by ``customer_id``). Every assigned customer must be in
    ``features``; ValueError otherwise (the two come from one grading)."""
    a = assignments.reset_index() if "customer_id" not in assignments.columns else assignments
    missing = [c for c in REQUIRED if c not in a.columns]
    if missing:
        raise ValueError(f"assignments lack the column(s) {', '.join(missing)}")
    out = pd.DataFrame({"customer_id": a["customer_id"].astype("str").array, "tier": a["tier"].astype("str").array})
    if a["customer_id"].isna().any() or a["tier"].isna().any():
        bad = a.loc[a["customer_id"].isna() | a["tier"].isna()].iloc[0]
        raise ValueError(f"assignments: customer {bad['customer_id']!r} has no id or no tier")
    ordered = strictly_increasing(out["customer_id"])
    if not ordered and not pd.Index(out["customer_id"]).is_unique:
        raise ValueError(f"assignments: customer_id {out['customer_id'][out['customer_id'].duplicated()].iloc[0]!r} "
                         "appears more than once")
    provisional = a["provisional"]
    if provisional.isna().any():
        raise ValueError("assignments: provisional has missing values")
    out["provisional"] = provisional.astype("bool").to_numpy()
    present = [c for c in INDICATORS if c in features.columns]
    if present:
        if not is_unique(features.index):
            raise ValueError(f"features: customer_id {features.index[features.index.duplicated()][0]!r} appears twice")
        where = rows_in(out["customer_id"], features.index.astype("str"))  # usually the same order
        if (where < 0).any():
            raise ValueError(f"features lack customer {out['customer_id'][where < 0].iloc[0]!r} of the grading")
        same = len(where) == len(features) and np.array_equal(where, np.arange(len(where)))
        for c in present:
            col = features[c] if same else features[c].iloc[where]
            out[c] = col.astype(DTYPES[c]).array
    for col in ("customer_id", "tier"):
        bad = _ambiguous(out[col])
        if bad is not None:
            raise GovernanceError([Problem(PUBLISHED_FILE, col, f"{out[col][bad].iloc[0]!r} starts with an "
                                           "apostrophe and a formula character, which the CSV's formula protection "
                                           "makes ambiguous; such a value cannot be published")])
    if not ordered:
        out = out.take(sort_order(out["customer_id"])).reset_index(drop=True)
    return out


def write_published(table: pd.DataFrame, folder: str | Path) -> str:
    """Write ``table`` (from ``published_table``) as ``folder/published.csv`` atomically, in the
    CRM files' format; return the SHA-256 of the file's bytes."""
    if list(table.columns[: len(REQUIRED)]) != list(REQUIRED):
        raise ValueError(f"a published table starts with the columns {', '.join(REQUIRED)}; got {list(table.columns)}")
    path = atomic_write(Path(folder) / PUBLISHED_FILE, lambda p: write_csv(table, p, index=False))
    return file_sha256(path)


def published_record(method: str, table: pd.DataFrame, sha256: str) -> dict:
    """The manifest's ``"published"`` value for ``table`` written with digest ``sha256``."""
    return {"method": method, "file": PUBLISHED_FILE, "sha256": sha256, "customers": int(len(table))}


# --- reading the ledger -----------------------------------------------------------------

def _entry_or_reason(run_dir: Path) -> LedgerEntry | str:
    """The ledger entry of ``run_dir``, or why it is not one."""
    run_dir = Path(run_dir)
    if run_dir.name.startswith("."):
        return "it is a hidden (unfinished) run folder"
    if FAILED_NAME.search(run_dir.name):
        return "it is a failed run (-FAILED)"
    try:
        manifest = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"it has no {MANIFEST_FILE}"
    except (OSError, ValueError) as exc:
        return f"its {MANIFEST_FILE} cannot be read ({exc})"
    if not isinstance(manifest, dict) or manifest.get("status") != "ok":
        status = manifest.get("status") if isinstance(manifest, dict) else None
        return f"its status is {status!r}, not 'ok'"
    series, published = manifest.get("series"), manifest.get("published")
    if not isinstance(series, str) or not series:
        return "its manifest names no series"
    if not isinstance(published, dict):
        return "its manifest has no 'published' record"
    method, sha, file, customers = (published.get(k) for k in ("method", "sha256", "file", "customers"))
    if not (isinstance(method, str) and isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha)
            and isinstance(file, str) and file and Path(file).name == file and not file.startswith(".")
            and isinstance(customers, int) and not isinstance(customers, bool) and customers >= 0):
        return "its 'published' record is incomplete (method, file, sha256, customers)"
    finished = manifest.get("finished")
    if not isinstance(finished, str):
        return "its manifest has no 'finished' time"
    try:
        as_of = to_date(manifest.get("grading_as_of"), "grading_as_of")
    except (TypeError, ValueError):
        return f"its grading_as_of {manifest.get('grading_as_of')!r} is not a date"
    headline = manifest.get("headline")
    return LedgerEntry(run_dir=run_dir, series=series, as_of=as_of, method=method, sha256=sha, finished=finished,
                       customers=customers, file=file, headline=headline if isinstance(headline, str) else None)


def entry_of(run_dir: str | Path) -> LedgerEntry | None:
    """The ledger entry of ``run_dir``; None when it is not a successful run of a series."""
    entry = _entry_or_reason(Path(run_dir))
    return entry if isinstance(entry, LedgerEntry) else None


def _order(entry: LedgerEntry) -> tuple:
    return (entry.as_of, entry.finished, entry.name)


def series_runs(reports: str | Path) -> list[LedgerEntry]:
    """Every successful run of every series in ``reports``, newest first (grading date, then finished)."""
    reports = Path(reports)
    if not reports.is_dir():
        return []
    entries = [e for d in reports.iterdir() if d.is_dir() and (e := entry_of(d)) is not None]
    return sorted(entries, key=_order, reverse=True)


def _same(a: Path, b: Path | None) -> bool:
    return b is not None and Path(a).resolve() == Path(b).resolve()


def find_previous(reports: str | Path, series: str, as_of, *, previous_run: str | None = None,
                  exclude: str | Path | None = None) -> LedgerEntry | None:
    """The run before a run of ``series`` graded at ``as_of`` (module docstring); None when the
    series has none yet. ``previous_run`` names it explicitly (GovernanceError if it does not qualify)."""
    reports, cut = Path(reports), to_date(as_of)
    if previous_run is not None:
        return _named_previous(reports, series, cut, previous_run, exclude)
    candidates = [e for e in series_runs(reports)
                  if e.series == series and e.as_of <= cut and not _same(e.run_dir, exclude)]
    return candidates[0] if candidates else None


def _named_previous(reports: Path, series: str, cut: dt.date, previous_run: str, exclude) -> LedgerEntry:
    path = Path(previous_run)
    path = path if path.is_absolute() else reports / path

    def refuse(why: str) -> GovernanceError:
        return GovernanceError([Problem(str(path), "previous_run",
                                        f"{previous_run!r} cannot be the previous run: {why}")])

    if not path.is_dir():
        raise refuse(f"there is no such run folder in {reports}")
    if _same(path, exclude):
        raise refuse("it is the run being made")
    entry = _entry_or_reason(path)
    if isinstance(entry, str):
        raise refuse(entry)
    if entry.series != series:
        raise refuse(f"it is a run of series {entry.series!r}, not {series!r}")
    if entry.as_of > cut:
        raise refuse(f"it graded at {entry.as_of}, after this run's {cut}")
    return entry


def restore_text(s: pd.Series) -> pd.Series:
    """Undo the CSV formula protection (an apostrophe put before a formula character)."""
    risky = _ambiguous(s)
    return s if risky is None else s.where(~risky, s.str.slice(1))


#: the Arrow type each ``DTYPES`` column is parsed as, and the pandas type it then becomes
_ARROW_TYPES = {"str": pa.string(), "bool": pa.bool_(), "float64": pa.float64(), "Int64": pa.int64()}
_PANDAS_TYPES = {pa.string(): pd.StringDtype("pyarrow", na_value=np.nan), pa.int64(): pd.Int64Dtype()}


def _fingerprint(path: Path) -> tuple[str, int]:
    """The file's SHA-256 (as ``segment.hashing.file_sha256``) and its number of line feeds, in one read."""
    digest, line_feeds = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(block)
            line_feeds += block.count(b"\n")
    return digest.hexdigest(), line_feeds


def _read_columns(path: Path, columns: list[str], *, one_line_per_row: bool) -> pd.DataFrame:
    """``columns`` of a published.csv with their ``DTYPES``, as ``pd.read_csv(path,
    encoding="utf-8-sig", usecols=columns, dtype=..., keep_default_na=False, na_values={indicator:
    [""]})`` reads them (text never missing, an empty indicator missing, any other empty cell an
    error), parsed by Arrow: only these columns, on all cores (ValueError for a bad cell).
    ``one_line_per_row``: no cell holds a line break (the file has a line feed per row and the
    header), so the file may be cut into blocks at any line feed."""
    convert = pacsv.ConvertOptions(
        column_types={c: _ARROW_TYPES[DTYPES[c]] for c in columns}, include_columns=columns,
        strings_can_be_null=False, null_values=[""], true_values=["True", "TRUE", "true"],
        false_values=["False", "FALSE", "false"])
    table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(newlines_in_values=not one_line_per_row),
                           convert_options=convert)
    empty = [c for c in columns if c not in INDICATORS and table.column(c).null_count]
    if empty:
        raise ValueError(f"column {empty[0]!r} has empty cells")
    return table.to_pandas(types_mapper=_PANDAS_TYPES.get)


def read_published(entry: LedgerEntry) -> pd.DataFrame:
    """The published table of ``entry`` exactly as ``published_table`` built it, after checking
    the file's SHA-256 and customer count against the manifest (GovernanceError naming the file)."""
    path = entry.published_path
    if not path.is_file():
        raise GovernanceError([Problem(str(path), "published", f"{entry.file} of run {entry.name} is missing")])
    actual, line_feeds = _fingerprint(path)
    if actual != entry.sha256:
        raise GovernanceError([Problem(str(path), "sha256", f"{entry.file} was changed after the run: the manifest "
                                       f"records sha256 {entry.sha256}, the file has {actual}")])
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = fh.readline().rstrip("\r\n").split(",")
    lacking = [c for c in REQUIRED if c not in header]
    if lacking:
        raise GovernanceError([Problem(str(path), "columns", f"lacks the column(s) {', '.join(lacking)}")])
    columns = [c for c in DTYPES if c in header]
    try:
        table = _read_columns(path, columns, one_line_per_row=line_feeds == entry.customers + 1)
    except (ValueError, TypeError) as exc:
        raise GovernanceError([Problem(str(path), "", f"cannot be read as a published grading: {exc}")]) from exc
    for col in ("customer_id", "tier"):
        table[col] = restore_text(table[col])
    if len(table) != entry.customers:
        raise GovernanceError([Problem(str(path), "customers", f"has {len(table)} rows, the manifest records "
                                       f"{entry.customers}")])
    return table
