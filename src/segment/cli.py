"""The ``segment`` command line (installed with the package).

    segment run --config configs/cdnow_backtest.yaml      # one run folder under reports/
    segment report-all                                   # every bundled CDNOW config
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
                          description="Run the bundled CDNOW configs one after another and print each index page.")
    allr.add_argument("--configs", nargs="*", type=Path, default=[ROOT / "configs" / c for c in CDNOW_CONFIGS],
                      help="configs to run (default: the CDNOW backtest and quarterly configs)")
    allr.add_argument("--reports-dir", type=Path, default=ROOT / "reports", help="parent folder of the run folders")
    allr.add_argument("--quiet", action="store_true", help="print only the index paths")
    allr.set_defaults(func=cmd_report_all)
    return parser


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
    from segment.reporting.run import NotebookFailed, run_config

    status = 0
    for cfg in args.configs:
        try:
            final = run_config(cfg, args.reports_dir, progress=_progress(args.quiet))
            print(final / "index.html", flush=True)
        except (NotebookFailed, ValueError) as exc:  # report it, go on with the other configs, exit non-zero
            print(f"segment report-all: {cfg} FAILED: {exc}", file=sys.stderr)
            status = 1
    return status


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from segment.config import ConfigError

    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"segment: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
