"""`python -m portfolio demo [--scale small|large|N] [--seed N] [--db PATH] [--if-missing]`"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
import polars as pl

from portfolio.commands.warm import add_no_warm
from portfolio.core.db import (
    SchemaOutdatedError,
    probe_tables,
    publish_release,
    read_only_connection,
    served_link_path,
    write_database,
)
from portfolio.delivery.warm import report_warming
from portfolio.write.demo import DEFAULT_SEED, generate, scale_from_spec


def scale_argument(text: str) -> str:
    try:
        scale_from_spec(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=scale_argument, default="small",
                        help="small (default, ~120 accounts), large (10,000 accounts, for "
                             "benchmarks) or a number of accounts")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help="random seed; the same seed gives the same data "
                             f"(default {DEFAULT_SEED})")
    parser.add_argument("--db", type=Path, default=None,
                        help="database file to write (default: the served database, "
                             "data/portfolio.duckdb or $PORTFOLIO_DB)")
    parser.add_argument("--if-missing", action="store_true",
                        help="do nothing when the database file already exists (unless it "
                             "is a demo built by an older version of the dashboard)")
    add_no_warm(parser)


def outdated_demo(link: Path) -> bool:
    """Whether the served release is a demo portfolio built from an older schema (safe to
    rebuild; imported data never is)."""
    try:
        probe_tables(link.resolve())
        return False
    except SchemaOutdatedError:
        pass
    except (duckdb.Error, OSError):
        return False  # damaged or locked: `check` says what is wrong
    cursor = read_only_connection(link.resolve()).cursor()
    try:
        settings = cursor.table("portfolio_settings").pl()
    finally:
        cursor.close()
    source = settings.filter(pl.col("key") == "source")["value"]
    return source.len() == 1 and source[0].startswith("demo ")


def run(args: argparse.Namespace) -> int:
    link = served_link_path(args.db)
    if args.if_missing and link.exists():
        if not outdated_demo(link):
            print(f"{link} exists; left as it is.")
            return 0
        print(f"{link} is a demo built by an older version of the dashboard; rebuilding it.")
    started = time.perf_counter()
    tables = generate(args.scale, args.seed)
    release = publish_release(link, lambda target: write_database(target, tables))
    elapsed = time.perf_counter() - started
    print(f"Demo portfolio (scale {args.scale}, seed {args.seed}) published as {release.name} "
          f"behind {link} in {elapsed:.1f} s:")
    for table, rows in ((name, frame.height) for name, frame in tables.items()):
        print(f"  {table:<22}{rows:>12,}")
    if not args.no_warm:
        report_warming(link)
    return 0
