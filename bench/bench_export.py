"""Benchmark: the weekly export of every page, whole portfolio and each demo manager.

Builds the small demo in a temporary folder, then runs the export several times and
prints the median and spread, seconds per picture, and the baseline of opening one page
in a fresh browser tab measured in the same run; appends the result to bench/RESULTS.md.
Run: `.venv/bin/python bench/bench_export.py [--runs 3] [--tabs N] [--no-record]`
(`--tabs 1` takes the pictures one after the other, as the export did before 2026-11-23).
Also reports the sizes of the week's folder (pictures, reports) beside the figures of
issue 22, measured before the reports were printed by Chromium (PREVIOUS).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pikepdf  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.bench_demo import commit, machine, record  # noqa: E402  (after sys.path)
from portfolio.delivery.browser import DashboardServer, launch_chromium, wait_until_finished  # noqa: E402
from portfolio.delivery.export import TABS, Progress, Week, export  # noqa: E402
from portfolio.write.demo import build_demo_database  # noqa: E402

# The export before the reports were printed by Chromium and the pictures shrunk (issue 22):
# 78 pictures and 13 PDFs of pictures in 74.7 s, 102 MB for the week
PREVIOUS = {"seconds": 74.7, "per_picture": 0.96, "folder_mb": 102.0}
LIMITS = {"per_picture": 0.5, "folder_mb": 30.0, "manager_pdf_mb": 3.0}


def sizes(out: Path) -> dict[str, float]:
    """MB (10^6 bytes) of the week's folder, its pictures, its reports, the largest
    manager's report."""
    files = [p for p in out.rglob("*") if p.is_file()]
    pdfs = [p for p in files if p.suffix == ".pdf"]
    managers = [p.stat().st_size for p in pdfs if p.name.startswith("manager-")]
    return {"folder_mb": sum(p.stat().st_size for p in files) / 1e6,
            "pictures_mb": sum(p.stat().st_size for p in files if p.suffix == ".png") / 1e6,
            "pdfs_mb": sum(p.stat().st_size for p in pdfs) / 1e6,
            "manager_pdf_mb": max(managers, default=0) / 1e6,
            "pdf_pages": sum(pdf_pages(p) for p in pdfs)}


def pdf_pages(path: Path) -> int:
    with pikepdf.open(path) as document:
        return len(document.pages)


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
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        baseline = fresh_tab_baseline(db, args.runs)
        timings, pictures = [], 0
        for run in range(args.runs):
            started = time.perf_counter()
            result = export(db, out=Path(folder) / f"run{run}" / "2026-W47", week=Week(2026, 47),
                            progress=Quiet, tabs=args.tabs)
            timings.append(time.perf_counter() - started)
            pictures = len(result.pictures)
            measured = sizes(result.out)
    median = statistics.median(timings)
    per_picture = median / pictures
    lines = [f"## Weekly export · {datetime.now():%Y-%m-%d %H:%M} · commit {commit()} · "
             f"{machine()}", "",
             f"- small demo, whole portfolio + each manager: {pictures} pictures, "
             f"{len(result.pdfs)} reports (PDF), {args.tabs} tab(s) of one browser; load "
             f"average before the runs {load}",
             f"- export time: median {median:.1f} s (min {min(timings):.1f}, max "
             f"{max(timings):.1f}; {args.runs} runs), {median / pictures:.2f} s per picture",
             f"- baseline, one page opened in a fresh tab: {baseline:.2f} s; export per picture "
             f"/ baseline = {median / pictures / baseline:.2f}",
             f"- the week's folder: {measured['folder_mb']:.1f} MB (pictures "
             f"{measured['pictures_mb']:.1f} MB, reports {measured['pdfs_mb']:.1f} MB in "
             f"{measured['pdf_pages']} A4 pages); largest manager's report "
             f"{measured['manager_pdf_mb']:.2f} MB", "",
             "| | before (issue 22) | now | limit |", "|---|---|---|---|",
             f"| export, s | {PREVIOUS['seconds']:.1f} | {median:.1f} | |",
             f"| s per picture | {PREVIOUS['per_picture']:.2f} | {per_picture:.2f} | "
             f"{LIMITS['per_picture']:.2f} |",
             f"| week's folder, MB | {PREVIOUS['folder_mb']:.0f} | {measured['folder_mb']:.1f} | "
             f"{LIMITS['folder_mb']:.0f} |",
             f"| largest manager's report, MB | – | {measured['manager_pdf_mb']:.2f} | "
             f"{LIMITS['manager_pdf_mb']:.0f} |", ""]
    print("\n".join(lines))
    if not args.no_record:
        record(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
