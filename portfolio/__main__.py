"""Command line: `python -m portfolio demo [--scale small|large|N] [--seed N] [--db PATH]`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from portfolio.db import served_database_path
from portfolio.demo import DEFAULT_SEED, build_demo_database, scale_from_spec


def scale_argument(text: str) -> str:
    try:
        scale_from_spec(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m portfolio",
                                     description="Key-account portfolio health tools.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    demo = verbs.add_parser("demo", help="build the demo portfolio database")
    demo.add_argument("--scale", type=scale_argument, default="small",
                      help="small (default, ~120 accounts), large (10,000 accounts, for "
                           "benchmarks) or a number of accounts")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED,
                      help="random seed; the same seed gives the same data "
                           f"(default {DEFAULT_SEED})")
    demo.add_argument("--db", type=Path, default=None,
                      help="database file to write (default: the served database, "
                           "data/portfolio.duckdb or $PORTFOLIO_DB)")
    demo.add_argument("--if-missing", action="store_true",
                      help="do nothing when the database file already exists")
    return parser


def run_demo(args: argparse.Namespace) -> int:
    path = served_database_path(args.db)
    if args.if_missing and path.exists():
        print(f"{path} exists; left as it is.")
        return 0
    started = time.perf_counter()
    counts = build_demo_database(path, args.scale, args.seed)
    elapsed = time.perf_counter() - started
    print(f"Demo portfolio (scale {args.scale}, seed {args.seed}) written to {path} "
          f"in {elapsed:.1f} s:")
    for table, rows in counts.items():
        print(f"  {table:<22}{rows:>12,}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verb == "demo":
        return run_demo(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
