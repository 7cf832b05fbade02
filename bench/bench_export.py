"""Benchmark: the weekly export of every page, whole portfolio and each demo manager.

Builds the small demo in a temporary folder, then runs the export several times and
prints the median and spread, seconds per picture, and the baseline of opening one page
in a fresh browser tab measured in the same run; appends the result to bench/RESULTS.md.
Run: `.venv/bin/python bench/bench_export.py [--runs 3] [--tabs N] [--no-record]`
(`--tabs 1` takes the pictures one after the other, as the export did before 2026-11-23).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.bench_demo import commit, machine, record  # noqa: E402  (after sys.path)
from portfolio.delivery.browser import DashboardServer, launch_chromium, wait_until_finished  # noqa: E402
from portfolio.delivery.export import TABS, Progress, Week, export  # noqa: E402
from portfolio.write.demo import build_demo_database  # noqa: E402


class Quiet(Progress):
    def step(self, text: str) -> None:
        self.done += 1


def fresh_tab_baseline(db: Path, runs: int) -> float:
    """Median seconds to open the overview in a new tab until it has finished."""
    timings = []
    with DashboardServer(ROOT / "dashboard.py", env={"PORTFOLIO_DB": str(db)}) as server, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for _ in range(runs + 1):
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            started = time.perf_counter()
            tab.goto(server.url + "/")
            wait_until_finished(tab, timeout_ms=60_000)
            timings.append(time.perf_counter() - started)
            tab.close()
        browser.close()
    return statistics.median(timings[1:])  # the first one warms the server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tabs", type=int, default=TABS,
                        help=f"browser tabs working at once (default {TABS})")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        build_demo_database(db)
        baseline = fresh_tab_baseline(db, args.runs)
        timings, pictures = [], 0
        for run in range(args.runs):
            started = time.perf_counter()
            result = export(db, out=Path(folder) / f"run{run}" / "2026-W47", week=Week(2026, 47),
                            progress=Quiet, tabs=args.tabs)
            timings.append(time.perf_counter() - started)
            pictures = len(result.pictures)
    median = statistics.median(timings)
    lines = [f"## Weekly export · {datetime.now():%Y-%m-%d %H:%M} · commit {commit()} · "
             f"{machine()}", "",
             f"- small demo, whole portfolio + each manager: {pictures} pictures, "
             f"{len(result.pdfs)} PDFs, {args.tabs} tab(s) of one browser",
             f"- export time: median {median:.1f} s (min {min(timings):.1f}, max "
             f"{max(timings):.1f}; {args.runs} runs), {median / pictures:.2f} s per picture",
             f"- baseline, one page opened in a fresh tab: {baseline:.2f} s; export per picture "
             f"/ baseline = {median / pictures / baseline:.2f}", ""]
    print("\n".join(lines))
    if not args.no_record:
        record(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
