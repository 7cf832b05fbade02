"""`python -m portfolio warm`: render every page of the served release as of its newest date
and the weeks before it, so that its first visitor, and an as-of change to one of those
weeks, need not wait for the database (portfolio/delivery/warm.py)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from portfolio.core.db import served_link_path
from portfolio.delivery.warm import WarmError, warm_release
from portfolio.read import stored


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="the served database link (default: data/portfolio.duckdb or "
                             "PORTFOLIO_DB)")
    parser.add_argument("--weeks", type=int, default=None,
                        help="how many weeks before the newest date to warm as well "
                             "(default: snapshot_weeks of [stored_results] in settings.toml)")


def add_no_warm(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-warm", action="store_true",
                        help="do not render the pages of the new release once for its "
                             "first visitor (portfolio/delivery/warm.py)")


def run(args: argparse.Namespace) -> int:
    if args.weeks is not None and args.weeks < 0:
        print(f"--weeks {args.weeks}: must be a whole number of weeks, 0 or more.",
              file=sys.stderr)
        return 2
    link = served_link_path(args.db)
    if not link.exists():
        print(f"No database at {link}: build the demo or import first.", file=sys.stderr)
        return 1
    try:
        seconds = warm_release(link, weeks=args.weeks)
    except (WarmError, stored.StoredResultsSettingError, subprocess.TimeoutExpired) as error:
        print(f"Warming failed: {error}", file=sys.stderr)
        return 1
    print(f"Warmed every page of {link} in {seconds:.1f} s." if seconds
          else f"Storing results is off ({stored.SWITCH}); nothing to warm.")
    return 0
