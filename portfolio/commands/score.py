"""`python -m portfolio score`: every account's attractiveness, relative strength, quadrant,
band, trend, suggestion with reasons, uncoupling risk and the latest decision on the current
suggestion (the decision log), as JSON or CSV on stdout.

    python -m portfolio score [--db PATH] [--as-of YYYY-MM-DD] [--format json|csv]

The model is portfolio/read/scoring.py with the weights and thresholds of
portfolio/read/scoring.toml.
Exit status 0 on success; 1 with a message on stderr when the database is missing or
unreadable or the model's settings are invalid; 2 for a malformed argument (argparse).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

import queries
from portfolio.core.db import served_database_path
from portfolio.decisions import Decision, DecisionLogError, open_log
from portfolio.read import scoring
from portfolio.read.decisions import on_current_suggestion

LIST_SEPARATOR = " | "  # joins reasons and signals in a CSV cell


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date like 2026-06-30: {text!r}") from None


def add_database_and_date(parser: argparse.ArgumentParser, what: str) -> None:
    """--db and --as-of, as the commands that read one view of a database take them."""
    parser.add_argument("--db", type=Path, default=None,
                        help="the database file (default: the served one, PORTFOLIO_DB or "
                             "data/portfolio.duckdb)")
    parser.add_argument("--as-of", type=parse_day, default=None, metavar="YYYY-MM-DD",
                        help=f"{what} as of this date (default: the newest date in the data)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_and_date(parser, "score")
    parser.add_argument("--format", choices=("json", "csv"), default="json",
                        help="json: a list of objects (default); csv: one row per account, "
                             f"lists joined with '{LIST_SEPARATOR.strip()}'")


def fail(message: str) -> int:
    print(f"python -m portfolio score: error: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    db = served_database_path(args.db)
    if not db.is_file():
        return fail(f"no database at {db} (build one with `python -m portfolio demo --db "
                    f"{db}` or pass --db)")
    try:
        config = scoring.load_scoring_config()
        dates = queries.run("data_dates", db=db).row(0, named=True)
        if dates["newest_on"] is None:
            return fail(f"the database {db} has no data yet")
        as_of = args.as_of or dates["newest_on"]
        if not dates["oldest_on"] <= as_of <= dates["newest_on"]:
            print(f"note: the data covers {dates['oldest_on']} to {dates['newest_on']}; "
                  f"scores as of {as_of} rest on what existed then", file=sys.stderr)
        scored = scoring.score_database(db, as_of, config)
    except scoring.ScoringConfigError as error:
        return fail(f"invalid scoring settings: {error}")
    except duckdb.Error as error:
        return fail(f"cannot read {db}: {error}")
    table = scoring.records(scored)
    try:
        decided = on_current_suggestion(scored, open_log(db).history(), as_of)
    except DecisionLogError as error:
        return fail(str(error))
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(as_json(table, decided) if args.format == "json"
                     else as_csv(table, decided))
    return 0


def as_json(table: pl.DataFrame, decided: dict[str, Decision | None]) -> str:
    """Each record with `decision`: the latest decision on the account's current
    suggestion (portfolio/decisions), or null."""
    rows = [{**row, "decision": None if decided.get(row["account_id"]) is None
             else decided[row["account_id"]].fields()}  # type: ignore[union-attr]
            for row in table.to_dicts()]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def as_csv(table: pl.DataFrame, decided: dict[str, Decision | None]) -> str:
    """`decision`: "<verdict> by <who> on <as-of> (#id)" for the latest decision on the
    current suggestion, else empty."""
    lists = [name for name, dtype in table.schema.items() if isinstance(dtype, pl.List)]
    words = {account: f"{d.verdict} by {d.by} on {d.as_of} (#{d.id})"
             for account, d in decided.items() if d is not None}
    flat = table.with_columns(
        pl.col(lists).list.join(LIST_SEPARATOR),
        pl.col("account_id").replace_strict(words, default=None, return_dtype=pl.String)
        .alias("decision"))
    return flat.write_csv()
