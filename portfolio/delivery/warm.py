"""Warm a published release: render every page with the default view, in a fresh process,
as of the newest date and of each of the weeks before it, so that the results stored
beside the release (portfolio/read/stored.py) answer the first visitor, and a change of the
as-of date to one of those weeks, instead of the database: the weekly snapshots.

The pages run under Streamlit's AppTest in a child process (this module does not import
streamlit): exactly the queries and parameters a visitor's run uses, so the stored results
are the ones it looks up. Each page has its own session, opened as of the newest date as a
visitor opens it (who keeps what they chose there, such as an account, when changing the
date); then come the weeks, oldest first, and the newest date again, from the stored
files, which marks them used: the size cap of the stored results, which removes the least
recently used, gives up old weeks before the newest date. A date that fails is reported,
the others are still warmed. The dates warmed are recorded beside the results
(`stored.warmed_dates`), for the sidebar to say which dates open at once. How many weeks:
`snapshot_weeks` of [stored_results] in settings.toml. The import and demo commands warm
each release they publish unless told not to; `python -m portfolio warm` warms the served
one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from portfolio.core.access import SIGN_IN_ENV
from portfolio.core.db import PROJECT_ROOT, database_version
from portfolio.core.registry import PAGES, PRINT_LAYOUT
from portfolio.read import stored

PAGE_RUNS = r"""
import datetime, json, sys
import streamlit
from streamlit.testing.v1 import AppTest
root, weeks, pages = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
failed, warmed = [], []
def opened(page):  # a visitor opening the page, as of the newest date
    app = AppTest.from_file(root + "/dashboard.py", default_timeout=900)
    app.run()
    if page != pages[0] and not app.exception:
        app.switch_page(page).run()
    if app.exception:
        sys.exit(f"{page}: {app.exception[0].value}")
    return app
# one session a page, as a visitor who opened it and then changes the date keeps what they
# chose there (the account page's account), whatever another page chose
sessions = {page: opened(page) for page in pages}
widget = sessions[pages[0]].sidebar.date_input(key="f_as_of")
newest, oldest = widget.value, widget.min
weeks_before = [day for day in (newest - datetime.timedelta(weeks=k) for k in range(weeks, 0, -1))
                if day >= oldest]
def draw(day):
    for page, app in sessions.items():
        app.sidebar.date_input(key="f_as_of").set_value(day)
        app.run()
        if app.exception:
            failed.append(f"{page} as of {day}: {app.exception[0].value}")
            return
    warmed.append(day.isoformat())
for day in weeks_before:  # oldest first: the size cap removes the least recently used
    draw(day)
# the newest date again, from the files (not the memory caches) so that each one it needs
# is marked as used, or written again if the cap removed it meanwhile
streamlit.cache_resource.clear()
draw(newest)
print(json.dumps({"warmed": warmed, "failed": failed}))
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
    # the whole portfolio, whoever signs in later: its default views are the ones stored
    env = {**os.environ, "PORTFOLIO_DB": str(link), stored.SWITCH: "on", **PRINT_LAYOUT,
           SIGN_IN_ENV: "open"}
    done = subprocess.run([sys.executable, "-c", PAGE_RUNS, str(PROJECT_ROOT), str(weeks),
                           *(page.path for page in PAGES)],
                          env=env, capture_output=True, text=True, timeout=timeout_s)
    lines = (done.stdout or "").strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr or done.stdout).strip().splitlines()
        raise WarmError(f"warming {link} failed: {last[-1] if last else done.returncode}")
    outcome = json.loads(lines[-1])
    stored.record_warmed(database_version(link), [date.fromisoformat(day)
                                                  for day in outcome["warmed"]])
    if outcome["failed"]:
        raise WarmError(f"warming {link} failed for {len(outcome['failed'])} date(s), first "
                        f"{outcome['failed'][0]}")
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
        print(f"Warmed every page for its first visitor in {seconds:.1f} s, as of the newest "
              f"date and each of the {stored.snapshot_weeks()} weeks before it.")
