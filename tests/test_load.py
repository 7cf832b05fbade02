"""Several people use the dashboard at once while imports publish (issue #9).

Three real browser sessions (three contexts of the system Chromium, so three Streamlit
sessions) cycle through every registered page, by address and by the sidebar, while two
imports publish new releases through the real command (`python -m portfolio import`, in
subprocesses). The three releases hold different portfolios (120, 60 and 90 accounts, and
so different key-account counts, open deals, overdue cases ...).

For every page visit the test reads the release the page names in its caption and checks
the figures shown against that release file, computed here with plain SQL. A page that
mixed releases (a caption from one, a figure from another) shows a figure that does not
match. It also checks that the release shown was the served one at some moment of the
visit (a run that started after a publish shows the new release), that no page showed an
error, and that the sessions saw all three releases.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import duckdb
from playwright.sync_api import Browser, Page, sync_playwright

from portfolio.core import fmt
from portfolio.core.db import publish_release
from portfolio.core.registry import PAGES, PRINT_LAYOUT, PageSpec
from portfolio.delivery.browser import DashboardServer, launch_chromium, wait_until_finished
from portfolio.read.service import ServiceSettings
from portfolio.write.demo import DEMO_AS_OF, generate

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 3
# The two imports: demo portfolios of another size and seed (numbered scales), each a full
# set of canonical Parquet files, so every page's figures change with each release.
IMPORTS = ((60, 8), (90, 9))
MAX_CYCLING_S = 75  # the whole test stays around a minute on 2 cores; this bounds it
PAGE_TIMEOUT_MS = 45_000
VISITS_AFTER_LAST_IMPORT = 1  # per session, before the cycling may stop
MAX_PROBLEMS = 5

_CAPTION = re.compile(r"as of (?P<as_of>\d{1,2} \w{3} \d{4}) · amounts in (?P<currency>\w+) · "
                      r"data release (?P<release>[\w.-]+)$")

# What a finished page shows: its captions, subheaders, metrics, alerts and address.
_SNAPSHOT_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const texts = (root, sel) => root ? [...root.querySelectorAll(sel)]
      .map((e) => (e.innerText || e.textContent || '').trim()) : [];
  return {
    url: location.href,
    text: main ? main.innerText : '',
    captions: texts(main, '[data-testid="stCaptionContainer"]'),
    headings: texts(main, 'h3'),
    metrics: main ? [...main.querySelectorAll('[data-testid="stMetric"]')].map((m) => [
      (m.querySelector('[data-testid="stMetricLabel"]') || {}).innerText || '',
      (m.querySelector('[data-testid="stMetricValue"]') || {}).innerText || '']) : [],
    errors: texts(document, '[data-testid="stException"], [data-testid="stAlertContentError"]'),
    warnings: texts(document, '[data-testid="stAlertContentWarning"]'),
  };
}"""



# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Figures:
    """What the pages show for the whole portfolio, computed from one release file."""

    accounts: int
    key_accounts: int
    open_deals: int
    open_value: float
    open_broken_promises: int


SERVICE = ServiceSettings.load()


def read_release(path: Path, sql: str, params: list[Any]) -> tuple[Any, ...]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(sql, params).fetchone()
    finally:
        con.close()
    assert row is not None
    return row


@cache
def release_figures(path: Path, as_of: date) -> Figures:
    row = read_release(path, """
        SELECT
            (SELECT count(*) FROM accounts),
            (SELECT count(*) FROM accounts WHERE tier IN ('strategic', 'key')
                                            AND (key_since IS NULL OR key_since <= $1)),
            (SELECT count(*) FROM deals WHERE stage NOT IN ('won', 'lost')),
            (SELECT coalesce(sum(value), 0)::DOUBLE FROM deals
             WHERE stage NOT IN ('won', 'lost')),
            -- broken promises open: cases past their due date, and deliveries promised in
            -- the service history window not delivered yet, more than late_delivery_days late
            (SELECT count(*) FROM service_cases
             WHERE due_on < $1 AND closed_on IS NULL AND status <> 'cancelled')
            + (SELECT count(*) FROM deliveries
               WHERE (delivered_on IS NULL OR delivered_on > $1)
                 AND promised_on > $1 - $2::INTEGER AND $1 - promised_on > $3::INTEGER)
        """, [as_of, SERVICE.history_days, SERVICE.late_delivery_days])
    return Figures(*row)


@cache
def account_figures(path: Path, account_id: str) -> tuple[str | None, int]:
    """The account's name (None when the release has no such account) and open deals."""
    return read_release(path, """
        SELECT (SELECT name FROM accounts WHERE account_id = $1),
               (SELECT count(*) FROM deals
                WHERE account_id = $1 AND stage NOT IN ('won', 'lost'))
        """, [account_id])


def write_import_source(folder: Path, accounts: int, seed: int) -> Path:
    """A demo portfolio as canonical Parquet files, one per table: an import needs no
    mapping and carries nothing over."""
    folder.mkdir(parents=True)
    for table, frame in generate(accounts, seed).items():
        frame.write_parquet(folder / f"{table}.parquet")
    return folder


# --------------------------------------------------------------------------- the pages


@dataclass
class Shown:
    """One finished page as the browser showed it."""

    url: str
    text: str
    captions: list[str]
    headings: list[str]
    metrics: list[list[str]]
    errors: list[str]
    warnings: list[str]

    def metric(self, label: str) -> str | None:
        return next((value for name, value in self.metrics if name == label), None)

    def heading(self, prefix: str) -> str | list[str]:
        """`prefix` when a subheader starts with it, else every subheader (for the
        message)."""
        return prefix if any(h.startswith(prefix) for h in self.headings) else self.headings

    def counted(self, pattern: str) -> int | None:
        """The sum of the numbers `pattern` captures in the page's text (None: no match)."""
        found = re.search(pattern, self.text)
        return (sum(int(n.replace(",", "")) for n in found.groups() if n is not None)
                if found else None)

    def release_caption(self) -> re.Match[str] | None:
        return next((m for c in self.captions if (m := _CAPTION.search(c))), None)


# Each page's figures against the release named in its caption: (what, shown, expected).
# Figures from a page's first queries and from its last ones, so that a run which read
# another release part of the way through would show it.
Check = Callable[[Shown, Path, Figures], list[tuple[str, object, object]]]


def check_overview(shown: Shown, _: Path, f: Figures) -> list[tuple[str, object, object]]:
    return [("metric Key accounts", shown.metric("Key accounts"), f"{f.key_accounts:,}"),
            ("metric Open pipeline", shown.metric("Open pipeline"), fmt.money(f.open_value)),
            ("accounts in the service status line", shown.counted(
                r"Service status of the accounts: ([\d,]+) red, ([\d,]+) amber, ([\d,]+) green"
                r"(?:, ([\d,]+) without service data)?"),
             f.accounts)]


def check_pipeline(shown: Shown, _: Path, f: Figures) -> list[tuple[str, object, object]]:
    headline = f"{f.open_deals:,} open deals worth {fmt.money(f.open_value)}"
    return [("metric Open pipeline", shown.metric("Open pipeline"), fmt.money(f.open_value)),
            ("subheader", shown.heading(headline), headline),
            ("open deals in the table's caption", shown.counted(
                r"Showing (?:the [\d,]+ most valuable of|all) ([\d,]+) open deals"),
             f.open_deals)]


def check_buying_center(shown: Shown, _: Path, f: Figures) -> list[tuple[str, object, object]]:
    return [("metric Open deals", shown.metric("Open deals"), f"{f.open_deals:,}"),
            ("open deals in the grid's caption", shown.counted(
                r"(?:The [\d,]+ riskiest of|All) ([\d,]+) open deals"), f.open_deals)]


def check_service(shown: Shown, _: Path, f: Figures) -> list[tuple[str, object, object]]:
    headline = f"{f.open_broken_promises} broken promises"
    return [("metric Overdue promises", shown.metric("Overdue promises"),
             str(f.open_broken_promises)),
            ("subheader", shown.heading(headline), headline),
            ("accounts in the service status subheader", shown.counted(
                r"Service status by account: ([\d,]+) red, ([\d,]+) amber, ([\d,]+) green"
                r"(?:, ([\d,]+) without service data)?"),
             f.accounts)]


def check_attractiveness(shown: Shown, _: Path,
                         f: Figures) -> list[tuple[str, object, object]]:
    return [("metric Accounts in view", shown.metric("Accounts in view"), f"{f.accounts:,}")]


def check_account(shown: Shown, release: Path, _: Figures) -> list[tuple[str, object, object]]:
    account_id = parse_qs(urlparse(shown.url).query).get("account", ["?"])[0]
    name, open_deals = account_figures(release, account_id)
    headline = f"Open deals: {open_deals}, worth "
    return [(f"account {account_id} (from the address) name", shown.headings[:1], [name]),
            (f"account {account_id} subheader", shown.heading(headline), headline)]


CHECKS: dict[str, Check] = {
    "overview": check_overview,
    "pipeline": check_pipeline,
    "buying_center": check_buying_center,
    "service": check_service,
    "attractiveness": check_attractiveness,
    "account": check_account,
}


# --------------------------------------------------------------------------- the run


@dataclass
class Visit:
    session: int
    step: int
    page: PageSpec
    how: str  # "address" or "sidebar"
    started: float
    finished: float = 0.0
    shown: Shown | None = None
    release: str | None = None


@dataclass
class Publish:
    """A release and when it may have become the served one: at `started` (the import
    was launched) at the earliest, by `done` (its process had exited) at the latest."""

    release: str
    started: float
    done: float | None = None
    process: subprocess.Popen[str] | None = None
    output: str = ""


@dataclass
class Session:
    number: int
    tab: Page
    steps: int = 0
    recover: bool = False  # after a failed visit the next one opens by address
    pending: Visit | None = None
    visits: list[Visit] = field(default_factory=list)

    def next_page(self) -> PageSpec:
        # sessions start on different pages, so different pages render at the same time
        return PAGES[(self.number * 2 + self.steps) % len(PAGES)]


def start_visit(session: Session, base_url: str) -> None:
    """Start the session's next page without waiting for it: by its address at the start of
    every cycle through the pages (a new Streamlit session), else by the sidebar."""
    page = session.next_page()
    how = "address" if session.steps % len(PAGES) == 0 or session.recover else "sidebar"
    session.recover = False
    visit = Visit(session.number, session.steps, page, how, time.monotonic())
    if how == "address":
        session.tab.goto(f"{base_url}/{page.url_path}", wait_until="domcontentloaded")
    else:
        session.tab.get_by_test_id("stSidebarNav").get_by_role(
            "link", name=page.label, exact=True).click()
    session.steps += 1
    session.pending = visit


def finish_visit(session: Session) -> Visit:
    visit, session.pending = session.pending, None
    assert visit is not None
    if visit.how == "sidebar":
        # Right after a click "finished" could still be the previous page (STACK_NOTES).
        # The address changes when the server has started the new page's run, so from then
        # on "finished" is the new page. (Watching the script state for "running", as
        # portfolio.delivery.browser.click_and_wait does, missed quick runs here: the browser can
        # draw a whole run at once, never showing "running".)
        session.tab.wait_for_function("(path) => location.pathname === path",
                                      arg=f"/{visit.page.url_path}", timeout=PAGE_TIMEOUT_MS)
    wait_until_finished(session.tab, timeout_ms=PAGE_TIMEOUT_MS)  # raises on an error box
    visit.shown = Shown(**session.tab.evaluate(_SNAPSHOT_JS))
    visit.finished = time.monotonic()
    session.visits.append(visit)
    return visit


def launch_import(source: Path, link: Path, release: str) -> Publish:
    process = subprocess.Popen(
        [sys.executable, "-m", "portfolio", "import", str(source), "--no-warm"], cwd=ROOT,
        env={**os.environ, "PORTFOLIO_DB": str(link)}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return Publish(release, time.monotonic(), process=process)


def poll_import(publish: Publish) -> None:
    process = publish.process
    if publish.done is None and process is not None and process.poll() is not None:
        publish.done = time.monotonic()
        publish.output = process.stdout.read() if process.stdout else ""
        assert process.returncode == 0, f"import of {publish.release} failed:\n{publish.output}"
        assert f"published {publish.release}.duckdb" in publish.output, publish.output


def stop_import(publish: Publish) -> None:
    process = publish.process
    if process is not None and process.poll() is None:
        process.kill()
        process.wait()


def visited_since(session: Session, moment: float) -> int:
    return sum(1 for visit in session.visits if visit.started > moment)


def cycle_while_importing(browser: Browser, base_url: str, link: Path,
                          sources: list[Path], problems: list[str]) -> tuple[list[Session],
                                                                               list[Publish]]:
    """Cycle the sessions through the pages; launch the first import once the first session
    has shown a page (while the others open their first), the second once every session
    has shown a page started after the first had published; stop when every session has
    seen every page and a page started after the last publish (or at the time limit).

    The first session opens its page alone, the others once it has finished: this test is
    about a running dashboard (deep links opened at the same moment on a freshly started
    server are tested in test_browser_app.py)."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900})
                for _ in range(SESSIONS)]
    sessions = [Session(n, context.new_page()) for n, context in enumerate(contexts)]
    for session in sessions:
        session.tab.set_default_timeout(PAGE_TIMEOUT_MS)
    publishes = [Publish(link.resolve().stem, float("-inf"), float("-inf"))]
    deadline = time.monotonic() + MAX_CYCLING_S
    try:
        start_visit(sessions[0], base_url)
        while any(session.pending for session in sessions):
            for session in sessions:
                if session.pending is None:
                    continue
                visit = session.pending
                try:
                    finish_visit(session)
                except Exception as error:  # collected: the assertion names it
                    session.recover = True
                    problems.append(f"session {visit.session}, {visit.page.label} (step "
                                    f"{visit.step}, by {visit.how}): {str(error)[:500]}")
                if sessions[0].visits:  # the server is warm: the others start together
                    for other in sessions:
                        if other.steps == 0:
                            start_visit(other, base_url)
                for publish in publishes:
                    poll_import(publish)
                last = publishes[-1]
                if len(publishes) <= len(sources) and last.done is not None and all(
                        visited_since(s, last.done) >= 1
                        for s in (sessions[:1] if len(publishes) == 1 else sessions)):
                    number = len(publishes)
                    publishes.append(launch_import(sources[number - 1], link,
                                                   f"{link.stem}-{number + 1:06d}"))
                finished = (len(publishes) == len(sources) + 1
                            and publishes[-1].done is not None
                            and all(len(s.visits) >= len(PAGES) and visited_since(
                                s, publishes[-1].done) >= VISITS_AFTER_LAST_IMPORT
                                    for s in sessions))
                if not (finished or time.monotonic() > deadline
                        or len(problems) >= MAX_PROBLEMS):
                    start_visit(session, base_url)
    finally:
        for publish in publishes:
            stop_import(publish)
        for context in contexts:
            context.close()
    return sessions, publishes


def shown_release_problems(visit: Visit, releases: Path, publishes: list[Publish]) -> list[str]:
    """The page names one release, it was served during the visit, and every figure on the
    page comes from that release."""
    assert visit.shown is not None
    where = (f"session {visit.session}, {visit.page.label} (step {visit.step}, by "
             f"{visit.how})")
    shown = visit.shown
    if shown.errors:
        return [f"{where}: error shown: {shown.errors}"]
    unreadable = [w for w in shown.warnings if "cannot be read" in w]
    if unreadable:
        return [f"{where}: fell back to an older release: {unreadable}"]
    caption = shown.release_caption()
    if caption is None:
        return [f"{where}: no caption naming the data release among {shown.captions}"]
    visit.release = caption["release"]
    as_of = datetime.strptime(caption["as_of"], "%d %b %Y").date()
    order = [p.release for p in publishes]
    if visit.release not in order:
        return [f"{where}: names release {visit.release}, not one of {order}"]
    index = order.index(visit.release)
    served_then = (publishes[index].started <= visit.finished
                   and (index + 1 == len(publishes)
                        or publishes[index + 1].done is None
                        or publishes[index + 1].done > visit.started))
    problems = [] if served_then else [
        f"{where}: shows {visit.release}, which was not the served release at any moment "
        f"between the start and the end of the visit"]
    if as_of != DEMO_AS_OF:
        problems.append(f"{where}: as of {as_of}, expected {DEMO_AS_OF} (every release ends "
                        "on that day)")
    path = releases / f"{visit.release}.duckdb"
    figures = release_figures(path, as_of)
    for what, got, expected in CHECKS[visit.page.slug](shown, path, figures):
        if got != expected:
            problems.append(f"{where}, caption names {visit.release}: {what} shows {got!r}, "
                            f"but {visit.release} has {expected!r}")
    return problems


def test_three_sessions_cycle_every_page_while_two_imports_publish(demo_db, tmp_path):
    assert set(CHECKS) == {page.slug for page in PAGES}, "every page needs a figure check"
    link = tmp_path / "served" / "portfolio.duckdb"
    publish_release(link, lambda target: shutil.copy(demo_db, target))
    sources = [write_import_source(tmp_path / f"import-{n}", accounts, seed)
               for n, (accounts, seed) in enumerate(IMPORTS, 1)]
    problems: list[str] = []
    started = time.monotonic()
    # the print layout: every section of a page runs, so that the figures checked come from
    # a page's first queries and from its last ones (tests/test_sections.py: the tabs show
    # the same)
    with (DashboardServer(ROOT / "dashboard.py",
                          env={"PORTFOLIO_DB": str(link), **PRINT_LAYOUT}) as server,
          sync_playwright() as playwright):
        browser = launch_chromium(playwright)  # fails (never skips) without Chromium
        try:
            sessions, publishes = cycle_while_importing(browser, server.url, link, sources,
                                                        problems)
        finally:
            browser.close()
        server_log = server.log_tail()
    elapsed = time.monotonic() - started

    releases = link.parent / "releases"
    names = [p.release for p in publishes]
    assert problems == [], (f"after {elapsed:.0f} s:\n" + "\n".join(problems)
                            + f"\nserver log:\n{server_log}")
    assert names == ["portfolio-000001", "portfolio-000002", "portfolio-000003"], (
        f"both imports must be launched within {MAX_CYCLING_S} s of cycling: {names}")
    assert all(p.done is not None for p in publishes), (
        f"both imports must publish within {MAX_CYCLING_S} s of cycling")
    # the releases differ in every figure checked, so a mixed page cannot pass unnoticed
    figures = [release_figures(releases / f"{name}.duckdb", DEMO_AS_OF) for name in names]
    for what in ("accounts", "key_accounts", "open_deals", "open_broken_promises"):
        values = [getattr(f, what) for f in figures]
        assert len(set(values)) == len(values), f"releases do not differ in {what}: {values}"
    values = [fmt.money(f.open_value) for f in figures]
    assert len(set(values)) == len(values), f"releases do not differ in open value: {values}"

    visits = [visit for session in sessions for visit in session.visits]
    for visit in visits:
        problems += shown_release_problems(visit, releases, publishes)
    assert problems == [], f"{len(problems)} problem(s):\n" + "\n".join(problems[:20])
    for session in sessions:
        seen = [visit.page.slug for visit in session.visits]
        assert {page.slug for page in PAGES} <= set(seen), (
            f"session {session.number} did not show every page: {seen}")
        shown = [visit.release for visit in session.visits]
        assert set(names[1:]) <= set(shown), (
            f"session {session.number} did not see both new releases: {shown}")
        assert any(v.how == "sidebar" for v in session.visits)
        assert any(v.how == "address" for v in session.visits)
    assert {visit.release for visit in visits} == set(names)
