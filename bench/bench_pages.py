"""Benchmark: every page at small and large scale, server side and in the real browser.

For each scale (the demo database is built once into bench/.data/ and reused):
1. server-side run time of each page under AppTest: the first run in a fresh process
   (cold, and again once the results of the default view are stored beside the release,
   portfolio/read/stored.py; medians of three processes; timed after what the server does
   before it answers, which is reported apart), a rerun with the same filters, a
   rerun after a filter change, a rerun after a change of the as-of date only (to a date not
   visited before: its queries cold; medians of several runs), a rerun after a change of
   the as-of date to a week the release was warmed for (portfolio/delivery/warm.py), in a
   process reading the stored results, and on pages with tabs the first visit of each other
   tab (its queries cold);
2. the time of the page's queries run directly in DuckDB during that first run, and the
   ratio page time / query time (what the app adds on top of the database);
3. in the real browser: time from opening a page to "finished", one user and three users
   at once (median and 95th percentile), each user's browser having opened the dashboard
   once before; that first visit of a new browser is reported apart;
4. peak memory of the server after visiting every page under three filters;
5. the export of all pages for the whole portfolio.
Results are printed and appended to bench/RESULTS.md with date, machine and commit.
Run: `.venv/bin/python bench/bench_pages.py [--scales small large] [--runs 5] [--no-record]`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.bench_demo import commit, machine, record  # noqa: E402  (after sys.path)
from portfolio.commands.demo import outdated_demo  # noqa: E402
from portfolio.core.db import database_version, publish_release, write_database  # noqa: E402
from portfolio.core.registry import PAGES  # noqa: E402
from portfolio.delivery.browser import DashboardServer, launch_chromium, wait_until_finished  # noqa: E402
from portfolio.delivery.export import Progress, Week, export  # noqa: E402
from portfolio.delivery.warm import warm_release  # noqa: E402
from portfolio.read import stored  # noqa: E402
from portfolio.write.demo import generate  # noqa: E402

DATA = ROOT / "bench" / ".data"
FILTER_CHANGES = [{"tier": ["key"]}, {"tier": ["strategic"]}, {"region": ["DACH"]},
                  {"region": ["CEE"]}, {"tier": ["standard"]}, {"stage": ["mid_kam"]},
                  {"region": ["Nordics"]}, {"tier": ["key", "strategic"]}]

FIRST_RUNS = 3  # fresh processes per page for the first-run figures

# Runs inside a fresh process: times one page under AppTest and every query it runs.
APPTEST_SCRIPT = r"""
import datetime, json, sys, time
sys.path.insert(0, sys.argv[1])
import queries
calls = []
def timer(original):
    def timed(name, **kwargs):
        started = time.perf_counter()
        try:
            return original(name, **kwargs)
        finally:
            calls.append(time.perf_counter() - started)
    return timed
# run_arrow: the rows other queries read as their input (pages fetch them through it)
queries.run, queries.run_arrow = timer(queries.run), timer(queries.run_arrow)
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.testing.v1 import AppTest
from portfolio.delivery.serve import preload
assert "pandas" not in sys.modules and "portfolio.ui" not in sys.modules
# What the server does before it answers, timed apart (AppTest would otherwise do it in
# the first run): loading the pages' modules (portfolio/delivery/serve.py) and Streamlit's Runtime
# finding its components. Streamlit itself is loaded before, as it always was.
page, runs, changes = sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
at = AppTest.from_file(sys.argv[1] + "/dashboard.py", default_timeout=300)
started = time.perf_counter()
preload_s = preload()
assert at._bidi_component_manager is None  # AppTest's own, else it scans in the first run
at._bidi_component_manager = BidiComponentManager()
at._bidi_component_manager.discover_and_register_components(start_file_watching=False)
server_start = time.perf_counter() - started
if page != "pages/overview.py":
    at.switch_page(page)
started = time.perf_counter(); at.run(); first = time.perf_counter() - started
assert not at.exception, [e.value for e in at.exception]
query_time = sum(calls)
# every other tab of the page, once each, in this fresh process (their queries cold)
tab_key = page.rsplit("/", 1)[-1].removesuffix(".py") + "_tab"
labels = [tab.label for tab in at.tabs]
switches = []
for label in labels[1:]:
    at.session_state[tab_key] = label
    started = time.perf_counter(); at.run(); switches.append(time.perf_counter() - started)
    assert not at.exception, [e.value for e in at.exception]
if labels:
    at.session_state[tab_key] = labels[0]
    at.run()
same = []
for _ in range(runs):
    started = time.perf_counter(); at.run(); same.append(time.perf_counter() - started)
changed = []
keys = {"tier": "f_tier", "region": "f_region", "stage": "f_stage"}
for change in changes[:runs]:
    for key in keys.values():
        at.sidebar.multiselect(key=key).set_value([])
    for key, values in change.items():
        at.sidebar.multiselect(key=keys[key]).set_value(values)
    started = time.perf_counter(); at.run(); changed.append(time.perf_counter() - started)
    assert not at.exception, [e.value for e in at.exception]
# only the as-of date changes, each time to a date not visited before (filters cleared)
for key in keys.values():
    at.sidebar.multiselect(key=key).set_value([])
at.run()
newest = at.sidebar.date_input(key="f_as_of").value
as_of_changes = []
for weeks in range(1, runs + 1):
    at.sidebar.date_input(key="f_as_of").set_value(newest - datetime.timedelta(days=7 * weeks + 3))
    started = time.perf_counter(); at.run(); as_of_changes.append(time.perf_counter() - started)
    assert not at.exception, [e.value for e in at.exception]
# the as-of date changes to weeks the release was warmed for (portfolio/delivery/warm.py),
# every other week, so that no week was scored before as the week before another
week_changes = []
for weeks in range(2, 2 * int(sys.argv[5]) + 1, 2):
    at.sidebar.date_input(key="f_as_of").set_value(newest - datetime.timedelta(weeks=weeks))
    calls.clear()
    started = time.perf_counter(); at.run(); week_changes.append(time.perf_counter() - started)
    assert not at.exception, [e.value for e in at.exception]
    assert not calls, f"{len(calls)} queries ran as of a warmed week"
print(json.dumps({"first": first, "server_start": server_start, "preload": preload_s,
                  "queries": query_time, "same": same, "changed": changed,
                  "switches": switches, "as_of_changes": as_of_changes,
                  "week_changes": week_changes}))
"""


def database(scale: str) -> Path:
    link = DATA / scale / "portfolio.duckdb"
    if not link.exists() or outdated_demo(link):  # built once, again after a schema change
        tables = generate(scale)
        publish_release(link, lambda target: write_database(target, tables))
    return link


def server_side(db: Path, page: str, runs: int, stored_results: bool = False,
                week_changes: int = 0) -> dict:
    """One page under AppTest in a fresh process. Without `stored_results` the process
    neither reads nor writes the results stored beside the release (a cold start).
    `week_changes`: how many as-of changes to weeks the release was warmed for to time."""
    result = subprocess.run(
        [sys.executable, "-c", APPTEST_SCRIPT, str(ROOT), page, str(runs),
         json.dumps(FILTER_CHANGES), str(week_changes)],
        capture_output=True, text=True, check=True, timeout=1800,
        env={"PORTFOLIO_DB": str(db), "PATH": "/usr/bin:/bin",
             "PORTFOLIO_STORED_RESULTS": "on" if stored_results else "off"})
    return json.loads(result.stdout.strip().splitlines()[-1])


def open_times(url: str, pages: list[str], repeats: int, results: list[float],
               first_visit: list[float] | None = None,
               all_opened: threading.Barrier | None = None) -> None:
    """Open each of `pages` `repeats` times in one new browser and time each visit. With
    `first_visit`, the browser first opens the dashboard once, untimed among `results`
    (that visit loads Streamlit's scripts into a new browser: its time goes to
    `first_visit`), then waits for the other users' browsers (`all_opened`)."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        if first_visit is not None:
            started = time.perf_counter()
            tab.goto(url + pages[0])
            wait_until_finished(tab, timeout_ms=120_000)
            first_visit.append(time.perf_counter() - started)
            if all_opened is not None:
                all_opened.wait()
        for _ in range(repeats):
            for path in pages:
                started = time.perf_counter()
                tab.goto(url + path)
                wait_until_finished(tab, timeout_ms=120_000)
                results.append(time.perf_counter() - started)
        browser.close()


def browser_times(db: Path, users: int,
                  repeats: int) -> tuple[list[float], list[float], int]:
    """Seconds to a finished page per visit, with `users` browsers at once that have each
    opened the dashboard before (a user's browser in daily use); each browser's first
    visit, which loads Streamlit's scripts into it (these start at once, and the timed
    visits start when every browser has made it); and the server's peak memory (KiB)
    after all visits (every page under three filters)."""
    paths = [f"/{p.url_path}{q}" for q in ("", "?tier=key", "?region=CEE") for p in PAGES]
    results: list[float] = []
    firsts: list[float] = []
    all_opened = threading.Barrier(users)
    with DashboardServer(ROOT / "dashboard.py", env={"PORTFOLIO_DB": str(db)}) as server:
        warm: list[float] = []
        open_times(server.url, paths[:len(PAGES)], 1, warm)  # fill the caches once
        threads = [threading.Thread(target=open_times,
                                    args=(server.url, paths, repeats, results, firsts,
                                          all_opened))
                   for _ in range(users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        peak = peak_memory_kib(server.pid)
    return results, firsts, peak


def peak_memory_kib(pid: int | None) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("VmHWM")))


def spread_s(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Quiet(Progress):
    def step(self, text: str) -> None:
        self.done += 1


def bench_scale(scale: str, runs: int) -> list[str]:
    db = database(scale)
    lines = [f"### {scale} ({db.resolve().stat().st_size / 2**20:.0f} MiB)", "",
             f"First runs: medians of {FIRST_RUNS} fresh processes (min–max), timed after "
             "what the server does before it answers (loading the pages' modules, "
             "portfolio/delivery/serve.py, and Streamlit's components), which is the column "
             "'server start'.", "",
             "| page | first run s | server start s | first run, stored results s | rerun "
             "same filters ms (min–max) | rerun after filter change ms (min–max) | "
             "as-of date change, a date not visited ms (min–max) | as-of change to a "
             "warmed week ms (min–max) | other tabs, first visit "
             "ms (min–max) | queries in first run s | page / queries |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    # warmed from nothing, so that its time and size are the publish's, not a leftover's
    shutil.rmtree(stored.results_dir(database_version(db)), ignore_errors=True)
    warming = warm_release(db)
    os.sync()  # its ~800 MB written out, as a visitor some time after the publish finds them
    results = stored.stored_files(stored.results_dir(database_version(db)))
    lines[2:2] = [f"The release was warmed ({stored.snapshot_weeks()} weeks before the newest "
                  "date, "
                  f"portfolio/delivery/warm.py) in {warming:.0f} s; it stores "
                  f"{sum(f.size for f in results) / 2**20:.0f} MiB beside the release "
                  f"({len(results)} files). The 'date not visited' column is timed without "
                  "stored results (a date no one warmed), the 'warmed week' column in a "
                  "fresh process that reads them, to weeks it did not visit before.", ""]
    for page in PAGES:
        timing = server_side(db, page.path, runs)
        cold = [timing] + [server_side(db, page.path, 0) for _ in range(FIRST_RUNS - 1)]
        first = [run["first"] for run in cold]
        query_time = statistics.median(run["queries"] for run in cold)
        start = statistics.median(run["server_start"] for run in cold)
        # every other week, within the weeks warmed
        week_changes = min(runs, stored.snapshot_weeks() // 2)
        warmed = [server_side(db, page.path, 0, stored_results=True,
                              week_changes=week_changes if i == 0 else 0)
                  for i in range(FIRST_RUNS)]
        warm = [run["first"] for run in warmed]
        weeks = warmed[0]["week_changes"]
        same, changed, switches = timing["same"], timing["changed"], timing["switches"]
        as_of = timing["as_of_changes"]
        tabs = (f"{statistics.median(switches) * 1000:.0f} ({min(switches) * 1000:.0f}–"
                f"{max(switches) * 1000:.0f})" if switches else "no tabs")
        lines.append(
            f"| {page.label} | {spread_s(first)} | {start:.2f} | {spread_s(warm)} | "
            f"{statistics.median(same) * 1000:.0f} "
            f"({min(same) * 1000:.0f}–{max(same) * 1000:.0f}) | "
            f"{statistics.median(changed) * 1000:.0f} ({min(changed) * 1000:.0f}–"
            f"{max(changed) * 1000:.0f}) | {statistics.median(as_of) * 1000:.0f} "
            f"({min(as_of) * 1000:.0f}–{max(as_of) * 1000:.0f}) | "
            f"{statistics.median(weeks) * 1000:.0f} ({min(weeks) * 1000:.0f}–"
            f"{max(weeks) * 1000:.0f}) | {tabs} | {query_time:.2f} | "
            f"{statistics.median(first) / max(query_time, 1e-9):.1f}× |")
        print(lines[-1], flush=True)
    one, first_one, peak_one = browser_times(db, 1, 1)
    three, first_three, peak_three = browser_times(db, 3, 1)
    lines += ["", f"- browser, open a page until finished: one user median "
              f"{statistics.median(one):.2f} s, p95 {p95(one):.2f} s ({len(one)} visits); "
              f"three users at once median {statistics.median(three):.2f} s, p95 "
              f"{p95(three):.2f} s ({len(three)} visits, max {max(three):.2f} s), each "
              f"user's browser having opened the dashboard once before; that first visit "
              f"of a new browser (Streamlit's scripts not yet loaded, untimed above): "
              f"{first_one[0]:.2f} s alone, "
              f"{', '.join(f'{t:.2f}' for t in sorted(first_three))} s three at once",
              f"- server peak memory after every page under three filters: "
              f"{peak_one / 1024:.0f} MiB (one user), {peak_three / 1024:.0f} MiB (three)"]
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        newest = Week(2026, 47)
        result = export(db, out=Path(folder) / str(newest), week=newest, scope_specs=["all"],
                        progress=Quiet)
        lines.append(f"- export of all {len(result.pictures)} pages for the whole portfolio: "
                     f"{time.perf_counter() - started:.1f} s")
    print("\n".join(lines[-4:]), flush=True)
    return [*lines, ""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["small", "large"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    lines = [f"## Pages · {datetime.now():%Y-%m-%d %H:%M} · commit {commit()} · {machine()}",
             ""]
    for scale in args.scales:
        lines += bench_scale(scale, args.runs)
    if not args.no_record:
        record(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
