"""Warm a published release: render every page once, with the default view, in a fresh
process, so that the results stored beside the release (portfolio/stored.py) answer the
first visitor instead of the database.

The pages run under Streamlit's AppTest in a child process (this module does not import
streamlit): exactly the queries and parameters a visitor's first run uses, so the stored
results are the ones it looks up. The import and demo commands warm each release they
publish unless told not to; `python -m portfolio warm` warms the served one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from portfolio import stored
from portfolio.db import PROJECT_ROOT, served_link_path
from portfolio.registry import PAGES, PRINT_LAYOUT

PAGE_RUNS = r"""
import sys
from streamlit.testing.v1 import AppTest
app = AppTest.from_file(sys.argv[1] + "/dashboard.py", default_timeout=900)
for page in sys.argv[2:]:
    app.switch_page(page)
    app.run()
    if app.exception:
        sys.exit(f"{page}: {app.exception[0].value}")
"""


class WarmError(RuntimeError):
    """A page failed while warming; the release is served all the same, only colder."""


def warm_release(link: Path, timeout_s: float = 900) -> float:
    """Render every page of the release behind `link` once; return the seconds it took.
    Nothing to do (0 s) when storing results is turned off."""
    if not stored.enabled():
        return 0.0
    started = time.perf_counter()
    env = {**os.environ, "PORTFOLIO_DB": str(link), stored.SWITCH: "on", **PRINT_LAYOUT}
    done = subprocess.run([sys.executable, "-c", PAGE_RUNS, str(PROJECT_ROOT),
                           *(page.path for page in PAGES)],
                          env=env, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise WarmError(f"warming {link} failed: {lines[-1] if lines else done.returncode}")
    return time.perf_counter() - started


def report_warming(link: Path) -> None:
    """Warm after a publish and say so; a failure is reported, never fatal (the release
    is already served)."""
    try:
        seconds = warm_release(link)
    except (WarmError, subprocess.TimeoutExpired) as error:
        print(f"Warning: {error}; the first visitor of each page waits for its queries.",
              file=sys.stderr)
        return
    if seconds:
        print(f"Warmed every page for its first visitor in {seconds:.1f} s.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="the served database link (default: data/portfolio.duckdb or "
                             "PORTFOLIO_DB)")


def add_no_warm(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-warm", action="store_true",
                        help="do not render the pages of the new release once for its "
                             "first visitor (portfolio/warm.py)")


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
