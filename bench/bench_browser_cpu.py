"""Benchmark: the browser's processor time per page, the part of a visit that three users
at once share on two cores.

For each page, one tab of Debian's Chromium opens it `--runs` times (after one visit of
every page, so Streamlit's scripts are in the browser's cache) and the script measures the
wall time to "finished" and the processor time of all Chromium processes and of the
server process during each visit; then `--runs` new tabs of the same browser open it, timed
from navigation start to finished (a new tab compiles and runs Streamlit's scripts again);
medians are printed. New tabs are timed in two browsers: one with a profile on disk, as a
person's browser is (after one visit of every page; Chromium keeps the compiled code of
scripts it has run before, V8's code cache, there), and Playwright's usual context, a
private window, which keeps no compiled code (Plotly's bundle is compiled again in every
tab: ~0.2 s more). Baseline in the same run: a one-line Streamlit app (the cost of
Streamlit itself). Results are appended to bench/RESULTS.md.
Run: `.venv/bin/python bench/bench_browser_cpu.py [--scale large] [--runs 3] [--no-record]`
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

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from bench.bench_demo import commit, machine, record  # noqa: E402  (after sys.path)
from bench.bench_pages import database  # noqa: E402
from portfolio.core.registry import PAGES  # noqa: E402
from portfolio.delivery.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    DashboardServer,
    chromium_path,
    launch_chromium,
    wait_until_finished,
)

TICKS = os.sysconf("SC_CLK_TCK")
BASELINE_APP = 'import streamlit as st\nst.title("Baseline")\nst.write("One line.")\n'
VIEWPORT = {"width": 1400, "height": 900}


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the process ended
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def chromium_seconds() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"chrom" in command:
                total += cpu_seconds(int(entry.name))
    return total


def visits(tab: Page, url: str, server_pid: int, runs: int) -> tuple[float, float, float]:
    """Median wall seconds, Chromium processor seconds and server processor seconds."""
    wall, browser, server = [], [], []
    for _ in range(runs):
        browser_before, server_before = chromium_seconds(), cpu_seconds(server_pid)
        started = time.perf_counter()
        tab.goto(url)
        wait_until_finished(tab, timeout_ms=120_000)
        wall.append(time.perf_counter() - started)
        browser.append(chromium_seconds() - browser_before)
        server.append(cpu_seconds(server_pid) - server_before)
    return statistics.median(wall), statistics.median(browser), statistics.median(server)


def new_tab_seconds(tab: Page, url: str, runs: int) -> float:
    """Median seconds from navigation start to finished of `url` opened in a new tab of the
    same browser (its cache holds Streamlit's scripts; a new tab starts a new renderer, which
    compiles and runs them again): the issue-19 budget, 1.5 s at large scale."""
    times = []
    for _ in range(runs):
        new = tab.context.new_page()
        new.goto(url)
        wait_until_finished(new, timeout_ms=120_000)
        times.append(new.evaluate("performance.now()") / 1000)
        new.close()
    return statistics.median(times)


def visit_every_page(tab: Page, url: str, paths: list[str]) -> None:
    """Streamlit's scripts into the browser's cache."""
    for path in paths:
        tab.goto(url + path)
        wait_until_finished(tab, timeout_ms=120_000)


def measure(app: Path, env: dict[str, str], paths: list[str], runs: int) -> list[tuple]:
    """Per path: median wall, Chromium and server seconds of a visit, then new tab seconds
    in a browser with a profile on disk and in a private window."""
    with DashboardServer(app, env=env) as server, sync_playwright() as playwright:
        with tempfile.TemporaryDirectory() as profile:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=chromium_path(), args=CHROMIUM_ARGS, viewport=VIEWPORT)
            tab = context.new_page()
            visit_every_page(tab, server.url, paths)
            in_profile = [new_tab_seconds(tab, server.url + path, runs) for path in paths]
            context.close()
        chromium = launch_chromium(playwright)
        # one context (one cache) for the first tab and the new tabs alike
        tab = chromium.new_context(viewport=VIEWPORT).new_page()
        visit_every_page(tab, server.url, paths)
        rows = [(path, *visits(tab, server.url + path, server.pid, runs), new_tab,
                 new_tab_seconds(tab, server.url + path, runs))
                for path, new_tab in zip(paths, in_profile, strict=True)]
        chromium.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    db = database(args.scale)
    with tempfile.TemporaryDirectory() as folder:
        baseline_app = Path(folder) / "baseline.py"
        baseline_app.write_text(BASELINE_APP)
        [(_, base_wall, base_cpu, _, base_tab, base_private)] = measure(
            baseline_app, {}, ["/"], args.runs)
    rows = measure(ROOT / "dashboard.py", {"PORTFOLIO_DB": str(db)},
                   [f"/{page.url_path}" for page in PAGES], args.runs)
    lines = [f"## Browser processor time per page · {datetime.now():%Y-%m-%d %H:%M} · "
             f"commit {commit()} · {machine()}", "",
             f"{args.scale} demo, one tab, medians of {args.runs} visits after one visit of "
             f"every page. Baseline, a one-line Streamlit app: {base_wall:.2f} s to finished, "
             f"{base_cpu:.2f} s of Chromium's processor time, {base_tab:.2f} s in a new tab "
             f"({base_private:.2f} s in a private window). "
             "New tab: the page opened in a new tab of a browser with a profile on disk that "
             "has visited every page once, seconds from navigation start to finished "
             "(medians); private window: the same in Playwright's usual context, which keeps "
             "no compiled code.", "",
             "| page | to finished s | Chromium processor s | / baseline | server processor s "
             "| new tab s | / baseline | new tab, private window s |",
             "|---|---|---|---|---|---|---|---|"]
    for (_, wall, browser, server, new_tab, private), page in zip(rows, PAGES, strict=True):
        lines.append(f"| {page.label} | {wall:.2f} | {browser:.2f} | "
                     f"{browser / max(base_cpu, 1e-9):.1f}× | {server:.2f} | {new_tab:.2f} | "
                     f"{new_tab / max(base_tab, 1e-9):.1f}× | {private:.2f} |")
    tabs = statistics.median(row[4] for row in rows)
    private_tabs = statistics.median(row[5] for row in rows)
    lines += ["", f"New tab, median of the six pages: {tabs:.2f} s (budget 1.5 s); "
                  f"in a private window {private_tabs:.2f} s."]
    print("\n".join(lines), flush=True)
    if not args.no_record:
        record([*lines, ""])
    return 0


if __name__ == "__main__":
    sys.exit(main())
