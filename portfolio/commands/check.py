"""`python -m portfolio check [--db PATH]`: read every table in full, check every rule."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from portfolio.core.db import served_database_path
from portfolio.write.importer import check_database


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="database to check (default: the served database)")


def run(args: argparse.Namespace) -> int:
    path = served_database_path(args.db)
    problems, total = check_database(path)
    if total:
        print(f"{path}: {total:,} problem(s)", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"{path}: every table read in full; every rule of the data model holds.")
    return 0
