"""`python -m portfolio import SOURCE... [--mapping FILE] [--db PATH] [--replace]`"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

from portfolio.commands.warm import add_no_warm
from portfolio.core.db import served_link_path
from portfolio.delivery.warm import report_warming
from portfolio.write.importer import import_sources
from portfolio.write.sources import Problem


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
    parser.add_argument("--left-out", type=Path, default=None, metavar="CSV",
                        help="write every source row the mapping left out to this CSV "
                             "(file, row, column, value, rule), to fix them at the source")
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
    if args.left_out is not None:
        write_left_out(report.skipped_rows, args.left_out)
        print(f"Every left-out row: {args.left_out}")
    if not args.no_warm:
        report_warming(link)
    return 0


Reason = tuple[str, str | None, str]  # file, column, rule


def by_reason(rows: list[Problem]) -> dict[Reason, list[Problem]]:
    """The left-out rows grouped by file, column and rule, the commonest reason first."""
    groups: dict[Reason, list[Problem]] = defaultdict(list)
    for problem in rows:
        groups[(problem.file, problem.column, problem.rule)].append(problem)
    return dict(sorted(groups.items(), key=lambda item: -len(item[1])))


def print_skipped(rows: list[Problem], examples: int = 8, reasons: int = 12) -> None:
    """A line per reason with its count and the first rows (and values) it left out: one
    missing account leaves out a deal and its stage history, which is two reasons, not
    thousands of lines."""
    if not rows:
        return
    print(f"Rows the mapping could not place and left out ({len(rows):,}), by reason:")
    grouped = by_reason(rows)
    for (file, column, rule), problems in list(grouped.items())[:reasons]:
        where = f"{file}, column {column}" if column else file
        print(f"  {len(problems):>7,}  {where}: {rule}")
        shown = problems[:examples]
        more = ", …" if len(problems) > examples else ""
        print("           rows " + ", ".join(str(p.row) for p in shown) + more)
        values = [p.value for p in shown if p.value is not None]
        if values:
            print("           values " + ", ".join(repr(v) for v in values) + more)
    if len(grouped) > reasons:
        rest = list(grouped.values())[reasons:]
        print(f"  … {len(rest):,} more reasons ({sum(map(len, rest)):,} rows): every row with "
              "--left-out CSV")


def write_left_out(rows: list[Problem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["file", "row", "column", "value", "rule"])
        writer.writerows([p.file, p.row, p.column, p.value, p.rule] for p in rows)
