"""The data contract: pandera schemas run in lazy mode, and one error that lists every problem.

Validation happens in two lazy pandera passes over the rows as read, before any policy is
applied or anything is computed:

1. *values*: every mapped column, as it was in the source (text or typed), against "can
   this be read under the spec" checks (a date, a number, an id that is not in scientific
   notation, ...). The failure case pandera reports is the offending value exactly as
   written in the file.
2. *relations*: checks that need the parsed values (an order id used by two customers,
   amounts in two currencies, a margin above 1).

All failures of both passes become one ``DataContractError`` naming, for each problem, the
file, the 1-based line (header = line 1; "row" for Parquet, a query or a DataFrame), the
column (as named in the source and internally) and the value — the first
``max_errors_shown`` per check, with a count of the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from segment.errors import UserError


@dataclass(frozen=True)
class Problem:
    """One offending value (or a whole-file problem when ``line`` is None)."""

    file: str
    line: int | None
    column: str | None
    value: Any
    check: str
    unit: str = "line"  # "line" in a text file; "row" in Parquet, a query result or a DataFrame

    def location(self) -> str:
        where = self.file if self.line is None else f"{self.file}, {self.unit} {self.line}"
        return where if self.column is None else f"{where}, column {self.column}"

    def __str__(self) -> str:
        if self.line is None and self.value is None:
            return f"{self.location()}: {self.check}"
        return f"{self.location()}: {_show(self.value)} — expected {self.check}"


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT or value is pd.NA:
        return "missing value"
    if isinstance(value, bytes):
        return f"bytes {value[:40]!r}" + ("..." if len(value) > 40 else "")
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"value {text!r}"


class DataContractError(UserError, ValueError):
    """The input breaks the data contract. ``problems`` lists every offending value found
    (up to ``max_shown`` per check are kept; ``counts`` has the full number per check).
    Raised before any computation; the message is the full report."""

    def __init__(self, source: str, problems: Sequence[Problem], counts: dict[tuple[str | None, str], int] | None = None,
                 max_shown: int = 10):
        self.source = source
        self.problems = list(problems)
        self.counts = dict(counts) if counts else dict(Counter((p.column, p.check) for p in self.problems))
        self.max_shown = max_shown
        message = self._message()
        super().__init__(message)
        self.problems = list(problems)  # the contract's own Problem rows (UserError set one from the message)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def _message(self) -> str:
        n = self.total
        lines = [f"{self.source}: the data breaks the input contract ({n:,} problem{'s' if n != 1 else ''}); "
                 "nothing was computed. Fix the file or the input spec (see docs/DATA.md)."]
        by_check: dict[tuple[str | None, str], list[Problem]] = {}
        for p in self.problems:
            by_check.setdefault((p.column, p.check), []).append(p)
        for key, count in self.counts.items():
            shown = sorted(by_check.get(key, []), key=lambda p: -1 if p.line is None else p.line)[: self.max_shown]
            column, check = key
            head = f"- {column}: {check}" if column else f"- {check}"
            lines.append(f"{head} — {count:,} row{'s' if count != 1 else ''}" if shown and shown[0].line is not None else head)
            for p in shown:
                if p.line is None and p.value is None:
                    continue
                lines.append(f"    {p}")
            rest = count - len(shown)
            if rest > 0 and shown:
                lines.append(f"    ... and {rest:,} more")
        return "\n".join(lines)


@dataclass
class ContractReport:
    """What the lazy passes found, and the checks that passed (for the audit)."""

    problems: list[Problem] = field(default_factory=list)
    counts: dict[tuple[str | None, str], int] = field(default_factory=dict)
    passed: list[str] = field(default_factory=list)
    orders_span_times: bool = False  # some order id has lines at different timestamps

    def merge(self, other: "ContractReport") -> None:
        self.problems += other.problems
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        self.passed += other.passed
        self.orders_span_times = self.orders_span_times or other.orders_span_times

    def raise_if_any(self, source: str, max_shown: int) -> None:
        if self.counts:
            raise DataContractError(source, self.problems, self.counts, max_shown=max_shown)


@dataclass(frozen=True)
class RowCheck:
    """One named check of one column: ``ok`` is True where the row passes (aligned to the frame)."""

    column: str  # internal name
    name: str  # what was expected, in words ("a number", "an ISO 8601 date")
    ok: pd.Series


def run_lazy(frame: pd.DataFrame, checks: Sequence[RowCheck], nullable: dict[str, bool], *, file: str,
             display: Callable[[str], str], locate: Callable[[np.ndarray], np.ndarray], unit: str,
             max_shown: int, not_null: str = "a value") -> ContractReport:
    """Validate ``frame`` with a pandera schema in lazy mode and turn its failure cases into
    ``Problem`` s (file, line, column, value).

    ``frame`` holds the values as they are in the source; each ``RowCheck`` contributes a
    pandera ``Check`` whose result is its precomputed ``ok`` mask, aligned on the rows pandera
    hands it (pandera drops nulls before checking). Missing values in a column that is not
    nullable are reported by pandera's own ``not_nullable`` check, under the words ``not_null``.
    """
    columns: dict[str, pa.Column] = {}
    for name in frame.columns:
        col_checks = [
            pa.Check(_aligned(c.ok), name=c.name, error=c.name)
            for c in checks if c.column == name
        ]
        columns[name] = pa.Column(None, checks=col_checks, nullable=nullable.get(name, True), required=True)
    schema = pa.DataFrameSchema(columns, name=file)
    report = ContractReport()
    try:
        schema.validate(frame, lazy=True, inplace=True)  # inplace: no copy of a 10M-row frame (nothing is coerced)
    except SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna()] if "index" in fc else fc
        for (column, check), group in fc.groupby(["column", "check"], sort=False, dropna=False):
            label = not_null if check == "not_nullable" else str(check)
            positions = np.asarray(group["index"].astype("int64"))
            order = np.argsort(positions, kind="stable")
            positions = positions[order]
            values = group["failure_case"].to_numpy(dtype=object)[order]
            shown = positions[:max_shown]
            lines = locate(shown)
            key = (display(str(column)), label)
            for line, value in zip(lines, values[: len(shown)]):
                report.problems.append(Problem(file, int(line), key[0], None if check == "not_nullable" else value, label, unit))
            report.counts[key] = report.counts.get(key, 0) + len(positions)
    for c in checks:
        if (display(c.column), c.name) not in report.counts:
            report.passed.append(f"{display(c.column)}: {c.name}")
    return report


def _aligned(ok: pd.Series) -> Callable[[pd.Series], pd.Series]:
    def check(values: pd.Series) -> pd.Series:
        if len(values) == len(ok):
            return pd.Series(ok.to_numpy(), index=values.index)
        return pd.Series(ok.to_numpy()[np.asarray(values.index, dtype="int64")], index=values.index)

    return check
