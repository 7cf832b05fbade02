"""`python -m portfolio export [--week YYYY-Www] [--scope all|each-manager|MANAGER_ID...]
[--out DIR] [--db PATH]`: the weekly screenshots of every page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from portfolio.core.db import served_database_path
from portfolio.delivery.export import ExportError, Week, choose_week, export


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--week", help="ISO week to export, e.g. 2026-W47 (default: the last "
                                       "complete week of the data); pictures are as of its "
                                       "Sunday")
    parser.add_argument("--scope", nargs="+", default=["all", "each-manager"],
                        metavar="SCOPE",
                        help="all, each-manager and/or manager ids (default: all each-manager)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: data/exports/<week>/)")
    parser.add_argument("--db", type=Path, default=None,
                        help="database to export (default: the served database)")


def run(args: argparse.Namespace) -> int:
    db = served_database_path(args.db)
    if not db.exists():
        print(f"export failed: no database at {db}", file=sys.stderr)
        return 1
    try:
        week: Week = choose_week(db, args.week)
        result = export(db, out=args.out, week=week, scope_specs=args.scope)
    except ExportError as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    except duckdb.Error as error:
        print(f"export failed: the database {db} cannot be read: {error}", file=sys.stderr)
        return 1
    print(f"Exported week {result.week} (as of {result.as_of:%-d %b %Y}) to {result.out} in "
          f"{result.seconds:.1f} s: {len(result.pictures)} pictures, {len(result.pdfs)} PDFs, "
          f"index {result.index.name if result.index else '–'}")
    return 0
