"""The ``segment`` command line (installed with the package).

    segment run --config configs/cdnow_backtest.yaml      # one run folder under reports/
    segment report-all                                   # every bundled CDNOW config, then reports/index.html
    segment check-data orders.csv --encoding gb18030     # the data contract and audit of a user file
    segment --root ~/quarterly run --config ~/quarterly/configs/q3.yaml   # another repository folder

One ``build_parser()`` with a subparser per command and one ``cmd_<name>`` function each.

One error path (``main``): a problem with the user's input (``segment.errors.UserError``: the
config, the input spec, the data contract, a method that cannot grade, the reports folder) is
printed one line per problem, naming the file and the key or row and column, with exit
status 2 and no traceback; anything else is a fault of ours: exit status 1, a one-line
message and, with ``--debug``, the traceback (a run folder keeps it in ``error.txt``). The
config is read and checked before anything heavy is imported or started.

``--root DIR`` (global, before the command) is the repository folder whose ``configs/``,
``notebooks/``, ``data/raw/`` and ``reports/`` are used: it sets ``$SEGMENT_ROOT`` before
``segment.paths`` is first imported, so this module reads no path at import time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from pathlib import Path

from segment.errors import EXIT_FAULT, EXIT_USER, UserError

CDNOW_CONFIGS = ("cdnow_backtest.yaml", "cdnow_1997q1.yaml", "cdnow_1997q2.yaml", "cdnow_1997q3.yaml",
                 "cdnow_1997q4.yaml", "cdnow_1998q1.yaml", "cdnow_1998q2.yaml")
#: ``segment.paths.ROOT_ENV``, not imported from there: importing segment.paths fixes the paths
ROOT_ENV = "SEGMENT_ROOT"


def build_parser() -> argparse.ArgumentParser:
    from segment import __version__

    parser = argparse.ArgumentParser(prog="segment", description="Customer grading, validated out of time. Exit "
                                     "status: 0 done, 2 a problem with your input (config, data, reports folder; "
                                     "one line each, no traceback), 1 a fault of segment or a failing report.")
    parser.add_argument("--version", action="version", version=f"segment {__version__}")
    parser.add_argument("--root", type=_root_dir, metavar="DIR",
                        help=f"repository folder whose configs/, notebooks/, data/raw/ and reports/ are used (give it "
                             f"before the command; default: ${ROOT_ENV} if set, else the folder segment is installed "
                             "from)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="on an error, also print the Python traceback")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="execute the report notebooks for one config into a new run folder",
                         description="Run one config: grade, validate, execute the notebooks with papermill and write "
                                     "HTML reports, tier tables (CSV/Parquet), validation tables and manifest.json "
                                     "into a NEW folder reports/<output_name>-<timestamp>/ (never overwriting).")
    run.add_argument("--config", required=True, type=Path, help="run config (YAML), e.g. configs/cdnow_backtest.yaml")
    run.add_argument("--reports-dir", type=Path,
                     help="parent folder of the run folder (default: reports/ under --root)")
    run.add_argument("--as-of", metavar="YYYY-MM-DD", help="grading date, instead of the config's as_of")
    run.add_argument("--output-name", metavar="NAME", help="run folder prefix, instead of the config's output_name")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                     help="set a config key (dotted, any depth; the value is read as YAML), e.g. --set "
                          "methods.weighted.weights.recency_days=0.2; checked exactly as the file is (repeatable)")
    run.add_argument("--quiet", action="store_true", help="no progress lines on stderr; print only the final index path")
    run.set_defaults(func=cmd_run)

    allr = sub.add_parser("report-all", parents=[common], help="run every bundled CDNOW config (what `make report` does)",
                          description="Run the bundled CDNOW configs (or --configs) and print each index page. One "
                                      "process: work that configs share (same data, date and parameters) is computed "
                                      "once, and one config's notebooks execute while the next config computes; "
                                      "every config still gets its own new run folder.")
    allr.add_argument("--configs", nargs="*", type=Path,
                      help="configs to run (default: the CDNOW backtest and quarterly configs in configs/ under --root)")
    allr.add_argument("--reports-dir", type=Path,
                      help="parent folder of the run folders (default: reports/ under --root)")
    allr.add_argument("--quiet", action="store_true", help="no progress lines on stderr; print only the index paths")
    allr.set_defaults(func=cmd_report_all)

    add_check_data_parser(sub, common)
    return parser


def add_check_data_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    check = sub.add_parser(
        "check-data", parents=[common], help="run the data contract on a user file and print the audit",
        description="Read a transaction file (CSV, Parquet) or a DuckDB query with the input spec, run the data "
                    "contract (every problem listed with file, line, column and value) and print the audit: rows "
                    "read, rows excluded and changed by reason, customers, date range and the checks that passed. "
                    "Exit status: 0 the data passes, 2 it breaks the contract or the spec is invalid (every "
                    "problem listed). Options given here override the spec from --config. See docs/DATA.md.")
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
                       help="also list the first N excluded rows with their line numbers (default: none)")
    check.set_defaults(func=cmd_check_data)
    return check


def _root_dir(text: str) -> Path:
    root = Path(text).expanduser().resolve()
    if not root.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: not a folder")
    return root


def _use_root(root: Path | None) -> None:
    """Point ``segment.paths`` at ``root`` (through ``$SEGMENT_ROOT``); it must not have been
    imported yet with another root (the paths are fixed on first import)."""
    if root is None:
        return
    os.environ[ROOT_ENV] = str(root)
    loaded = sys.modules.get("segment.paths")
    if loaded is not None and loaded.ROOT != root:
        raise RuntimeError(f"--root {root}: segment.paths was already imported with root {loaded.ROOT}; "
                           "give --root to a fresh `segment` process")


def _default_paths(args: argparse.Namespace) -> None:
    """Fill the path options left out with the folders under the root (``segment.paths``)."""
    from segment.paths import CONFIG_DIR, REPORTS_DIR

    if getattr(args, "reports_dir", REPORTS_DIR) is None:
        args.reports_dir = REPORTS_DIR
    if getattr(args, "configs", []) is None:
        args.configs = [CONFIG_DIR / c for c in CDNOW_CONFIGS]


def _progress(quiet: bool):
    """Progress lines go to stderr (stdout carries only the index paths), none with --quiet."""
    return (lambda message: None) if quiet else (lambda message: print(message, file=sys.stderr, flush=True))


def _overrides(args: argparse.Namespace) -> list[tuple[str, object]]:
    """``--as-of``, ``--output-name`` and every ``--set KEY=VALUE`` as (dotted key, value)."""
    from segment.config import ConfigError, load_yaml_text
    from segment.errors import Problem

    out: list[tuple[str, object]] = []
    for item in args.overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError([Problem("--set", item, "expected KEY=VALUE, e.g. methods.rfm.n_bins=4")])
        try:
            value = load_yaml_text(text) if text.strip() else ""
        except Exception as exc:  # noqa: BLE001 -- any YAML error is the user's
            raise ConfigError([Problem("--set", key.strip(), f"the value {text!r} is not valid YAML: {exc}")]) from None
        out.append((key.strip(), value))
    if args.as_of is not None:
        out.append(("as_of", args.as_of))
    if args.output_name is not None:
        out.append(("output_name", args.output_name))
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from segment.config import RunConfig

    config = RunConfig.from_yaml(args.config, _overrides(args))  # checked whole before anything heavy starts
    with _warm_kernels() as pool:
        from segment.reporting.run import NotebookFailed, run_config

        try:
            final = run_config(config, args.reports_dir, progress=_progress(args.quiet), pool=pool)
        except NotebookFailed as exc:
            print(f"segment run: FAILED: {exc}", file=sys.stderr)
            return EXIT_FAULT
    print(final / "index.html")
    return 0


@contextlib.contextmanager
def _warm_kernels():
    """The notebooks' kernels, starting now: they import the report modules (~3 s of CPU)
    while this process imports the pipeline (~2 s) and computes. The run takes them over;
    they are shut down when the block is left, also if the run never started."""
    from segment.reporting.kernels import KernelPool

    pool = KernelPool()
    pool.warm_up()
    try:
        yield pool
    finally:
        pool.close()


def cmd_report_all(args: argparse.Namespace) -> int:
    from segment.config import ConfigError, RunConfig

    problems = []
    for cfg in args.configs:  # every config checked before any runs
        try:
            RunConfig.from_yaml(cfg)
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    with _warm_kernels() as pool:
        return _report_all(args, pool)


def _report_all(args: argparse.Namespace, pool) -> int:
    from segment.reporting.run import run_configs
    from segment.reporting.series_index import write_series_index

    def done(cfg: Path, final: Path | None, error: BaseException | None) -> None:
        if error is None:
            print(final / "index.html", flush=True)
        else:  # report it, go on with the other configs, exit non-zero
            print(f"segment report-all: {cfg} FAILED: {error}", file=sys.stderr, flush=True)
            if args.debug and not isinstance(error, UserError):
                traceback.print_exception(error, file=sys.stderr)

    outcomes = run_configs(args.configs, args.reports_dir, progress=_progress(args.quiet), on_done=done, pool=pool)
    print(write_series_index(args.reports_dir), flush=True)  # every run by series (rewritten after each run too)
    errors = [error for _, _, error in outcomes if error is not None]
    if not errors:
        return 0
    return EXIT_USER if all(isinstance(e, UserError) for e in errors) else EXIT_FAULT


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
        return EXIT_USER
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"segment check-data: {exc}", file=sys.stderr)
        return EXIT_USER
    print(format_audit(result, as_of=args.as_of))
    if args.show_excluded and len(result.excluded_rows):
        print("")
        print(f"First {min(args.show_excluded, len(result.excluded_rows))} excluded rows:")
        print(result.excluded_rows.head(args.show_excluded).to_string(index=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``segment`` command on ``argv`` (None: the process's own arguments); returns its exit
    status. As the process's own command (argv None) it ends with ``gc.freeze()``: the interpreter
    is about to exit, and its closing garbage collections would walk every object of the run
    (half a second after a small run) to free memory the exit frees anyway; finalizers, atexit
    handlers and every file written are unaffected (they are closed before)."""
    try:
        return _main(argv)
    finally:
        if argv is None:
            import gc

            gc.freeze()


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        _use_root(args.root)
        _default_paths(args)
        return args.func(args)
    except UserError as exc:
        for line in str(exc).splitlines():
            print(line, file=sys.stderr)
        if debug:
            traceback.print_exc()
        return EXIT_USER
    except KeyboardInterrupt:
        print("segment: interrupted; an unfinished run folder is left hidden (.<name>-<time>.partial)", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 -- a fault of ours: one line, the traceback with --debug
        print(f"segment: internal error ({type(exc).__name__}: {exc}); this is a fault of segment, not of your "
              "input: please report it (rerun with --debug for the traceback; a run folder keeps it in error.txt)",
              file=sys.stderr)
        if debug:
            traceback.print_exc()
        return EXIT_FAULT


if __name__ == "__main__":
    raise SystemExit(main())
