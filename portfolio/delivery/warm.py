"""Warm a published release: render every page once, with the default view, in a fresh
process, so that the results stored beside the release (portfolio/read/stored.py) answer the
first visitor instead of the database.

The pages run under Streamlit's AppTest in a child process (this module does not import
streamlit): exactly the queries and parameters a visitor's first run uses, so the stored
results are the ones it looks up. The import and demo commands warm each release they
publish unless told not to; `python -m portfolio warm` warms the served one.
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
