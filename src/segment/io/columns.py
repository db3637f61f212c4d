"""Column mapping: internal names -> the source's own column names, with the header checks.

Column names are the source's own: the CSV header as the file writes it (read with the
spec's encoding and delimiter, surrounding spaces ignored), the Parquet schema's names, the
query's column names. A name given to two columns is an error naming them, and so is a
mapping to a name the source does not have: the readers' own renaming (DuckDB reads a second
``amount`` as ``amount_1``, pandas as ``amount.1``) never becomes a column anyone can map.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from segment.io.config import TableSpec
from segment.io.contract import DataContractError, Problem
from segment.io.rawtable import file_problem


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
                    label: str) -> tuple[dict[str, str], list[Problem]]:
    """(internal -> source column, problems): a missing required or explicitly mapped column is
    a problem listing the columns the source has (and the closest names)."""
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
    return mapping, problems


def mapping_with_extras(spec: TableSpec, available: Sequence[str], wanted: Sequence[str], required: Sequence[str],
                        label: str, extras: bool, where: str) -> dict[str, str]:
    """internal -> source column. ``available`` are the source's own column names (``where``
    says whose: "the header", "the Parquet schema", ...); a name used twice there and a
    mapping to a name not there are reported together."""
    mapping, not_there = resolve_columns(spec, available, wanted, required, label)
    problems = duplicate_names(available, label, where) + not_there
    if problems:
        raise DataContractError(label, problems)
    if extras:  # customer tables: other columns become text attributes
        listed = getattr(spec, "extra_columns", None)
        used = set(mapping.values())
        names = [c for c in available if c not in used and c != ""] if listed is None else list(listed)
        missing = [c for c in names if c not in available]
        if missing:
            raise file_problem(label, f"extra_columns {missing} are not in the source; it has {list(available)}")
        for c in names:
            if c in mapping:
                raise file_problem(label, f"extra column {c!r} clashes with an internal column name; rename it in the source")
            mapping[c] = c
    return mapping
