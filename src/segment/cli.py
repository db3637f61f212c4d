"""The ``segment`` command line (installed with the package).

    segment run --config configs/cdnow_backtest.yaml      # one run folder under reports/
    segment report-all                                   # every bundled CDNOW config
    segment check-data orders.csv --encoding gb18030     # the data contract and audit of a user file

One ``build_parser()`` with a subparser per command and one ``cmd_<name>`` function each.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CDNOW_CONFIGS = ("cdnow_backtest.yaml", "cdnow_1997q1.yaml", "cdnow_1997q2.yaml", "cdnow_1997q3.yaml",
                 "cdnow_1997q4.yaml", "cdnow_1998q1.yaml", "cdnow_1998q2.yaml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segment", description="Customer grading, validated out of time.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute the report notebooks for one config into a new run folder",
                         description="Run one config: grade, validate, execute the notebooks with papermill and write "
                                     "HTML reports, tier tables (CSV/Parquet), validation tables and manifest.json "
                                     "into a NEW folder reports/<output_name>-<timestamp>/ (never overwriting).")
    run.add_argument("--config", required=True, type=Path, help="run config (YAML), e.g. configs/cdnow_backtest.yaml")
    run.add_argument("--reports-dir", type=Path, default=ROOT / "reports",
                     help="parent folder of the run folder (default: reports/ in the repo)")
    run.add_argument("--quiet", action="store_true", help="print only the final index path")
    run.set_defaults(func=cmd_run)

    allr = sub.add_parser("report-all", help="run every bundled CDNOW config (what `make report` does)",
                          description="Run the bundled CDNOW configs (or --configs) and print each index page. One "
                                      "process: work that configs share (same data, date and parameters) is computed "
                                      "once, and one config's notebooks execute while the next config computes; "
                                      "every config still gets its own new run folder.")
    allr.add_argument("--configs", nargs="*", type=Path, default=[ROOT / "configs" / c for c in CDNOW_CONFIGS],
                      help="configs to run (default: the CDNOW backtest and quarterly configs)")
    allr.add_argument("--reports-dir", type=Path, default=ROOT / "reports", help="parent folder of the run folders")
    allr.add_argument("--quiet", action="store_true", help="print only the index paths")
    allr.set_defaults(func=cmd_report_all)

    add_check_data_parser(sub)
    return parser


def add_check_data_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    check = sub.add_parser(
        "check-data", help="run the data contract on a user file and print the audit",
        description="Read a transaction file (CSV, Parquet) or a DuckDB query with the input spec, run the data "
                    "contract (every problem listed with file, line, column and value) and print the audit: rows "
                    "read, rows excluded and changed by reason, customers, date range and the checks that passed. "
                    "Exit status: 0 the data passes, 1 it breaks the contract, 2 the spec is invalid. "
                    "Options given here override the spec from --config. See docs/DATA.md.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    check.add_argument("file", nargs="?", type=Path, help="transaction file (CSV or Parquet); or give --query")
    check.add_argument("--config", type=Path, help="YAML: a run config (its data: section is used) or an input spec")
    check.add_argument("--query", help="DuckDB SQL returning the transactions, instead of a file")
    check.add_argument("--database", type=Path, help="DuckDB database file the query runs against (read-only)")
    check.add_argument("--format", choices=("csv", "parquet"), help="file format (default: from the suffix)")
    check.add_argument("--encoding", help="text encoding of a CSV (utf-8, utf-8-sig, gbk, gb18030, latin-1, ...)")
    check.add_argument("--delimiter", help="CSV field separator, one character or 'whitespace'")
    check.add_argument("--column", action="append", default=[], metavar="INTERNAL=SOURCE",
                       help="map an internal column to the source's name, e.g. --column customer_id=客户编号 (repeatable)")
    check.add_argument("--date-format", help="strptime format of dates, e.g. %%d/%%m/%%Y (default: ISO 8601)")
    check.add_argument("--timezone", help="IANA zone of timestamps without a UTC offset (default UTC)")
    check.add_argument("--decimal", choices=(".", ","), help="decimal separator of amounts")
    check.add_argument("--thousands", help="thousands separator of amounts ('none' for none)")
    check.add_argument("--customers", type=Path, help="customer table (same reading options)")
    check.add_argument("--as-of", help="also count the rows after this date (they are kept: outcomes use them)")
    check.add_argument("--max-errors", type=int, help="offending values listed per check (the rest are counted)")
    check.add_argument("--show-excluded", type=int, default=0, metavar="N",
                       help="also list the first N excluded rows with their line numbers")
    check.set_defaults(func=cmd_check_data)
    return check


def _progress(quiet: bool):
    return (lambda message: None) if quiet else (lambda message: print(message, flush=True))


def cmd_run(args: argparse.Namespace) -> int:
    from segment.reporting.run import NotebookFailed, run_config

    try:
        final = run_config(args.config, args.reports_dir, progress=_progress(args.quiet))
    except NotebookFailed as exc:
        print(f"segment run: FAILED: {exc}", file=sys.stderr)
        return 1
    print(final / "index.html")
    return 0


def cmd_report_all(args: argparse.Namespace) -> int:
    from segment.reporting.run import run_configs

    def done(cfg: Path, final: Path | None, error: BaseException | None) -> None:
        if error is None:
            print(final / "index.html", flush=True)
        else:  # report it, go on with the other configs, exit non-zero
            print(f"segment report-all: {cfg} FAILED: {error}", file=sys.stderr, flush=True)

    outcomes = run_configs(args.configs, args.reports_dir, progress=_progress(args.quiet), on_done=done)
    return 1 if any(error is not None for _, _, error in outcomes) else 0


def _check_data_spec(args: argparse.Namespace) -> dict:
    import yaml

    from segment.io import InputSpecError

    spec: dict = {}
    if args.config is not None:
        try:
            loaded = yaml.safe_load(args.config.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InputSpecError(f"{args.config}: cannot read the YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise InputSpecError(f"{args.config}: expected a mapping")
        spec = dict(loaded.get("data", loaded)) if isinstance(loaded.get("data", loaded), dict) else {}
        if "dataset" in spec:
            raise InputSpecError(f"{args.config}: data.dataset={spec['dataset']!r} is a bundled dataset, checked by its "
                                 "own loader; check-data is for user files (data: {path: ...})")
    if args.file is not None:
        spec["path"] = str(args.file)
        spec.pop("query", None)
    if args.query is not None:
        spec["query"] = args.query
        spec.pop("path", None)
    options = {"database": args.database, "format": args.format, "encoding": args.encoding,
               "delimiter": args.delimiter, "date_format": args.date_format, "timezone": args.timezone,
               "decimal": args.decimal, "max_errors_shown": args.max_errors}
    spec.update({k: (str(v) if isinstance(v, Path) else v) for k, v in options.items() if v is not None})
    if args.thousands is not None:
        spec["thousands"] = None if args.thousands.lower() == "none" else args.thousands
    columns = dict(spec.get("columns") or {})
    for item in args.column:
        internal, sep, source = item.partition("=")
        if not sep or not internal.strip():
            raise InputSpecError(f"--column {item!r}: expected INTERNAL=SOURCE, e.g. customer_id=客户编号")
        columns[internal.strip()] = source
    if columns:
        spec["columns"] = columns
    if args.customers is not None:
        spec["customers"] = {**(spec.get("customers") or {}), "path": str(args.customers)}
    if "path" not in spec and "query" not in spec:
        raise InputSpecError("check-data: give a FILE, --query, or a --config whose data: has a path or query")
    return spec


def cmd_check_data(args: argparse.Namespace) -> int:
    from segment.io import DataContractError, InputSpec, format_audit, load_transactions

    spec = InputSpec.from_dict(_check_data_spec(args), origin=str(args.config or "check-data"))
    try:
        result = load_transactions(spec)
    except DataContractError as exc:
        print(exc)
        print("segment check-data: FAILED: the data breaks the contract", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"segment check-data: {exc}", file=sys.stderr)
        return 2
    print(format_audit(result, as_of=args.as_of))
    if args.show_excluded and len(result.excluded_rows):
        print("")
        print(f"First {min(args.show_excluded, len(result.excluded_rows))} excluded rows:")
        print(result.excluded_rows.head(args.show_excluded).to_string(index=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from segment.config import ConfigError
    from segment.io import InputSpecError

    try:
        return args.func(args)
    except (ConfigError, InputSpecError) as exc:
        print(f"segment: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
