"""`python -m portfolio warm`: render every page of the served release once, so that its
first visitor need not wait (portfolio/delivery/warm.py)."""

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


def add_no_warm(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-warm", action="store_true",
                        help="do not render the pages of the new release once for its "
                             "first visitor (portfolio/delivery/warm.py)")


def run(args: argparse.Namespace) -> int:
    link = served_link_path(args.db)
    if not link.exists():
        print(f"No database at {link}: build the demo or import first.", file=sys.stderr)
        return 1
    try:
        seconds = warm_release(link)
    except (WarmError, subprocess.TimeoutExpired) as error:
        print(f"Warming failed: {error}", file=sys.stderr)
        return 1
    print(f"Warmed every page of {link} in {seconds:.1f} s." if seconds
          else f"Storing results is off ({stored.SWITCH}); nothing to warm.")
    return 0
