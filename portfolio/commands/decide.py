"""`python -m portfolio decide`: record a decision on an account's current suggestion.

    python -m portfolio decide ACCOUNT_ID --verdict accept|reject|defer --by WHO
        [--note TEXT] [--until YYYY-MM-DD] [--owner WHO] [--due YYYY-MM-DD] [--db PATH]

The decision is taken on the suggestion, reasons, score and tiers of the served release as
of its newest date, and appended to the decision log (PORTFOLIO_DECISIONS, default
decisions.sqlite beside the database's releases). With sign-in configured
(PORTFOLIO_SIGN_IN), WHO is an e-mail and the scope rules of reading apply: a manager
decides on their own portfolio and their team's, an executive on all. The command line has
no sign-in, so the record says "not signed in". Exit status 0 when recorded; 1 with the
reason on stderr when refused (reject without a note, defer without --until, an unknown
account, a person outside the account's scope); 2 for a malformed argument.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

import queries
from portfolio.commands.score import parse_day
from portfolio.core.access import AccessConfig, AccessConfigError, SignIn, Viewer, resolve_viewer
from portfolio.core.db import served_database_path
from portfolio.decisions import VERDICTS, DecisionError, DecisionLogError
from portfolio.read import scoring
from portfolio.read.context import PageContext
from portfolio.read.decisions import record_decision
from portfolio.read.digest import scope_view


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("account_id", metavar="ACCOUNT_ID")
    parser.add_argument("--verdict", choices=VERDICTS, required=True)
    parser.add_argument("--by", required=True, metavar="WHO",
                        help="who decides (their e-mail when sign-in is configured)")
    parser.add_argument("--note", default=None, metavar="TEXT",
                        help="why (required to reject)")
    parser.add_argument("--until", type=parse_day, default=None, metavar="YYYY-MM-DD",
                        help="defer until this date (required to defer)")
    parser.add_argument("--owner", default=None, metavar="WHO",
                        help="who carries out an accepted suggestion (default: --by)")
    parser.add_argument("--due", type=parse_day, default=None, metavar="YYYY-MM-DD",
                        help="when an accepted suggestion is due")
    add_database(parser)


def add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="the database file (default: the served one, PORTFOLIO_DB or "
                             "data/portfolio.duckdb); the decision log is beside it")


def fail(message: str) -> int:
    print(f"python -m portfolio decide: error: {message}", file=sys.stderr)
    return 1


def served_view(db: Path) -> PageContext | str:
    """The whole portfolio as of the release's newest date, or what is wrong."""
    if not db.is_file():
        return (f"no database at {db} (build one with `python -m portfolio demo --db {db}` or "
                "pass --db)")
    newest: date | None = queries.run("data_dates", db=db)["newest_on"][0]
    if newest is None:
        return f"the database {db} has no data yet"
    return scope_view(db, newest, (), None)


def deciding_person(db: Path, by: str) -> Viewer:
    """The scope of `by` under the operator's sign-in settings (everything when sign-in is
    off, as for reading)."""
    config = AccessConfig.from_env()
    if config.sign_in is SignIn.OPEN:
        return Viewer(by, None, "sign-in is off")
    return resolve_viewer(config, by, queries.run("viewer_managers", db=db))


def run(args: argparse.Namespace) -> int:
    db = served_database_path(args.db)
    try:
        ctx = served_view(db)
        if isinstance(ctx, str):
            return fail(ctx)
        viewer = deciding_person(db, args.by)
        decision = record_decision(
            ctx, scoring.load_scoring_config(), account_id=args.account_id,
            verdict=args.verdict, by=args.by, signed_in=False,
            decided_at=datetime.now(UTC), viewer=viewer, note=args.note, until=args.until,
            owner=args.owner or (args.by if args.verdict == "accept" else None), due=args.due)
    except (DecisionError, DecisionLogError, AccessConfigError) as error:
        return fail(str(error))
    except duckdb.Error as error:
        return fail(f"cannot read {db}: {error}")
    print(f"recorded decision {decision.id}: {decision.verdict} {decision.suggestion} on "
          f"{decision.account_id} by {decision.by} (release {decision.release}, as of "
          f"{decision.as_of})")
    return 0
