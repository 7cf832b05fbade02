"""`python -m portfolio import SOURCE... [--mapping FILE] [--db PATH] [--replace]`"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from portfolio.commands.warm import add_no_warm
from portfolio.core.db import served_link_path
from portfolio.delivery.warm import report_warming
from portfolio.write.importer import import_sources


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", type=Path, metavar="SOURCE",
                        help="a folder of export files, or the files themselves")
    parser.add_argument("--mapping", type=Path, default=None,
                        help="a mapping file (TOML) for exports not in the canonical layout "
                             "(see docs/mappings.md); mappings/ holds the shipped ones")
    parser.add_argument("--db", type=Path, default=None,
                        help="the served database to publish a new release behind "
                             "(default: data/portfolio.duckdb or $PORTFOLIO_DB)")
    parser.add_argument("--replace", action="store_true",
                        help="do not carry over tables absent from the import: they start "
                             "empty")
    add_no_warm(parser)


def run(args: argparse.Namespace) -> int:
    link = served_link_path(args.db)
    started = time.perf_counter()
    report = import_sources(args.sources, link, mapping=args.mapping,
                            carry_over=not args.replace)
    elapsed = time.perf_counter() - started
    if not report.ok:
        print(f"Import refused: {report.total_problems:,} problem(s); the served database "
              f"{link} is unchanged.", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        if report.total_problems > len(report.problems):
            print(f"  … {report.total_problems - len(report.problems):,} more not shown",
                  file=sys.stderr)
        return 1
    print(f"Imported in {elapsed:.1f} s and published {report.release.name} behind {link}:")
    for table, rows in report.rows.items():
        print(f"  {table:<22}{rows:>12,} rows")
    for name in report.empty_files:
        print(f"  {name} has a header and no rows: an empty table")
    if report.carried:
        print(f"  carried over from the previous release: {', '.join(report.carried)}")
    for table, rows in report.skipped.items():
        print(f"  {table}: {rows:,} source rows left out by the mapping (listed below)")
    print_skipped(report.skipped_rows)
    if not args.no_warm:
        report_warming(link)
    return 0


def print_skipped(rows: list, limit: int = 200) -> None:
    if not rows:
        return
    print(f"Rows the mapping could not place and left out ({len(rows):,}):")
    for problem in rows[:limit]:
        print(f"  {problem}")
    if len(rows) > limit:
        print(f"  … {len(rows) - limit:,} more")
