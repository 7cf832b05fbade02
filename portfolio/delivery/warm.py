"""Warm a published release: render every page with the default view, in a fresh process,
as of the newest date and of each of the weeks before it, so that the results stored
beside the release (portfolio/read/stored.py) answer the first visitor, and a change of the
as-of date to one of those weeks, instead of the database: the weekly snapshots.

The pages run under Streamlit's AppTest in a child process (this module does not import
streamlit): exactly the queries and parameters a visitor's run uses, so the stored results
are the ones it looks up. The weeks go first, oldest first, and the newest date last, so
that the size cap of the stored results, which removes the least recently used, gives up
old weeks before the newest date. How many weeks: `snapshot_weeks` of [stored_results] in
settings.toml. The import and demo commands warm each release they publish unless told not
to; `python -m portfolio warm` warms the served one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from portfolio.core.db import PROJECT_ROOT
from portfolio.core.registry import PAGES, PRINT_LAYOUT
from portfolio.read import stored

PAGE_RUNS = r"""
import datetime, sys
from streamlit.testing.v1 import AppTest
root, weeks, pages = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
app = AppTest.from_file(root + "/dashboard.py", default_timeout=900)
app.run()
newest = app.sidebar.date_input(key="f_as_of").value
for day in [newest - datetime.timedelta(weeks=k) for k in range(weeks, -1, -1)]:
    for page in pages:
        app.switch_page(page)
        app.sidebar.date_input(key="f_as_of").set_value(day)
        app.run()
        if app.exception:
            sys.exit(f"{page} as of {day}: {app.exception[0].value}")
"""


class WarmError(RuntimeError):
    """A page failed while warming; the release is served all the same, only colder."""


def warm_release(link: Path, timeout_s: float = 1800, weeks: int | None = None) -> float:
    """Render every page of the release behind `link` as of its newest date and each of
    `weeks` weeks before (default: `stored.snapshot_weeks()`); return the seconds it took.
    Nothing to do (0 s) when storing results is turned off."""
    if not stored.enabled():
        return 0.0
    weeks = stored.snapshot_weeks() if weeks is None else weeks
    started = time.perf_counter()
    env = {**os.environ, "PORTFOLIO_DB": str(link), stored.SWITCH: "on", **PRINT_LAYOUT}
    done = subprocess.run([sys.executable, "-c", PAGE_RUNS, str(PROJECT_ROOT), str(weeks),
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
    except (WarmError, stored.StoredResultsSettingError, subprocess.TimeoutExpired) as error:
        print(f"Warning: {error}; the first visitor of each page waits for its queries.",
              file=sys.stderr)
        return
    if seconds:
        print(f"Warmed every page for its first visitor in {seconds:.1f} s.")
