"""The weekly export: full-height screenshots of every page, for the whole portfolio and for
each manager's portfolio, as of the end of an ISO week, with one report (PDF) per scope and
an index.

It starts the dashboard itself on a free loopback port, drives the system Chromium through
Playwright (two tabs of one browser, each working through its own scopes, so that one tab
draws while the server runs the other's page), and takes each picture only when the page
has finished (portfolio.delivery.browser). Right after each picture the same tab prints the page
with Chromium into the scope's report (portfolio.delivery.report: real text on A4 sheets, a cover
first). The headline figures and decisions are the overview's own (portfolio.read.digest),
saved next to the pictures in summary.json.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from PIL import Image
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

import queries
from portfolio.core.access import AccessConfig, SignIn, resolve_viewer
from portfolio.core.db import PROJECT_ROOT, database_version
from portfolio.core.filters import shown
from portfolio.core.registry import PAGES, PRINT_LAYOUT, PageSpec
from portfolio.core.settings import load_settings
from portfolio.delivery import report
from portfolio.delivery.browser import (
    DashboardServer,
    PageError,
    PageTimeoutError,
    click_and_wait_async,
    full_page_screenshot_async,
    launch_chromium_async,
    wait_until_finished_async,
)
from portfolio.read.digest import Digest, overview_digest

T = TypeVar("T")
WEEK_PATTERN = re.compile(r"(\d{4})-W(\d{2})")
PAGE_TIMEOUT_MS = 60_000
VIEWPORT_WIDTH = 1400
VIEWPORT_HEIGHT = 900
# Tabs of the one browser working on different scopes at once: while the server runs one
# tab's page, the other tab draws or takes its picture (2 suits 2 cores, STACK_NOTES).
TABS = 2
VIEWER_HEADER = "X-Portfolio-Export-Viewer"
NO_FILTERS = {"manager_ids": [], "regions": [], "tiers": [], "kam_stages": [], "visible": None}
PALETTE_COLOURS = 256  # the archived pictures' palette (shrink_picture)
PARTS_FOLDER = ".report-parts"  # each page's printed PDF until the scope's report is joined


class ExportError(RuntimeError):
    """The export could not be completed; the message names the page and scope."""


@dataclass(frozen=True)
class Scope:
    """Whose portfolio a set of pictures shows: everything, or one manager (and team)."""

    label: str
    manager_id: str | None = None
    # whom the dashboard signs in as for this scope (the manager's e-mail), so the pictures
    # show what that manager sees when signed in; None: the export's own executive identity
    viewer: str | None = None

    @property
    def slug(self) -> str:
        return "all" if self.manager_id is None else f"manager-{self.manager_id}"

    def query_params(self) -> dict[str, list[str]]:
        return {} if self.manager_id is None else {"manager": [self.manager_id]}


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        match = WEEK_PATTERN.fullmatch(text.strip())
        if not match:
            raise ExportError(f"week {text!r} is not an ISO week like 2026-W47")
        week = cls(int(match[1]), int(match[2]))
        try:
            week.monday()
        except ValueError:
            raise ExportError(f"week {text!r} does not exist") from None
        return week

    @classmethod
    def containing(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    def sunday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 7)

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


@dataclass
class ExportResult:
    week: Week
    as_of: date
    out: Path
    pictures: list[Path] = field(default_factory=list)
    pdfs: list[Path] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0
    scopes: list[Scope] = field(default_factory=list)
    digests: dict[str, Digest] = field(default_factory=dict)  # by scope slug
    # by scope slug: (part title, sheets, orientation) of the report, the cover first
    layout: dict[str, list[tuple[str, int, report.Orientation]]] = field(default_factory=dict)
    release: str = ""
    newest_on: date | None = None


def last_complete_week(newest_on: date) -> Week:
    """The newest ISO week whose Sunday the data has reached."""
    return Week.containing(newest_on if newest_on.isoweekday() == 7
                           else newest_on - timedelta(days=newest_on.isoweekday()))


def data_dates(db: Path) -> dict:
    return queries.run("data_dates", db=db).row(0, named=True)


def choose_week(db: Path, week_text: str | None) -> Week:
    dates = data_dates(db)
    if dates["newest_on"] is None:
        raise ExportError(f"{db} holds no data to export")
    if week_text is None:
        return last_complete_week(dates["newest_on"])
    week = Week.parse(week_text)
    if week.sunday() > dates["newest_on"] or week.sunday() < dates["oldest_on"]:
        raise ExportError(f"week {week} ends {week.sunday():%-d %b %Y}, outside the data "
                          f"({dates['oldest_on']:%-d %b %Y} to {dates['newest_on']:%-d %b %Y})")
    return week


def resolve_scopes(specs: Sequence[str], db: Path) -> list[Scope]:
    """`all`, `each-manager` (every manager with accounts in their scope) or manager ids."""
    managers = queries.run("filter_managers", db=db, visible=None)
    people = queries.run("viewer_managers", db=db)
    emails = dict(zip(people["manager_id"], people["email"], strict=True))
    names = dict(zip(managers["manager_id"], managers["name"], strict=True))
    team_sizes = dict(zip(managers["manager_id"], managers["team_size"], strict=True))
    scopes: list[Scope] = []
    for spec in specs:
        if spec == "all":
            candidates = [None]
        elif spec == "each-manager":
            candidates = [m for m in managers["manager_id"] if has_accounts(db, m)]
        elif spec in names:
            candidates = [spec]
        else:
            raise ExportError(f"unknown scope {spec!r}: use all, each-manager or a manager id "
                              f"({', '.join(sorted(names)[:5])}, …)")
        for manager_id in candidates:
            label = ("Whole portfolio" if manager_id is None else names[manager_id]
                     + (" and team" if team_sizes[manager_id] else ""))
            scope = Scope(label, manager_id, emails.get(manager_id))
            if scope not in scopes:
                scopes.append(scope)
    return scopes


def has_accounts(db: Path, manager_id: str) -> bool:
    chosen = queries.run("account_choices", db=db, **{**NO_FILTERS, "manager_ids": [manager_id]})
    return chosen.height > 0


def page_url(base: str, page: PageSpec, scope: Scope, as_of: date) -> str:
    params = {**scope.query_params(), "as_of": [as_of.isoformat()]}
    return f"{base}/{page.url_path}?{urlencode(params, doseq=True)}"


def scope_digest(db: Path, scope: Scope, as_of: date) -> Digest:
    """The overview's figures and decisions as the scope's pages show them: the manager
    filter, and the scope the person the dashboard signs in as may see (the export's own
    identity, an executive, for the whole portfolio and for managers without an e-mail)."""
    visible = None
    if scope.viewer is not None:
        viewer = resolve_viewer(AccessConfig(SignIn.HEADER), scope.viewer,
                                queries.run("viewer_managers", db=db))
        visible = viewer.visible
    return overview_digest(db, as_of, [scope.manager_id] if scope.manager_id else [], visible)


def page_orientation(page: PageSpec) -> report.Orientation:
    """The orientation of a page's sheets in the report (settings.toml, [export])."""
    chosen = load_settings().section("export").get("orientation", {}).get(page.slug,
                                                                           "landscape")
    if chosen not in ("portrait", "landscape"):
        raise ExportError(f"portfolio/core/settings.toml, [export] orientation.{page.slug} = "
                          f"{chosen!r}: use portrait or landscape")
    return chosen


def previous_summary(out: Path, week: Week) -> dict | None:
    """The summary of the newest earlier export in the same parent folder, if any."""
    earlier = []
    for folder in out.parent.iterdir() if out.parent.exists() else []:
        match = WEEK_PATTERN.fullmatch(folder.name)
        summary = folder / "summary.json"
        if match and summary.exists() and folder.name < str(week):
            earlier.append((folder.name, summary))
    if not earlier:
        return None
    return json.loads(max(earlier)[1].read_text(encoding="utf-8"))


class Progress:
    """A progress bar on the terminal (a line per step when not a terminal)."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.started = time.perf_counter()

    def step(self, text: str) -> None:
        self.done += 1
        width = 30
        filled = round(width * self.done / self.total)
        bar = "█" * filled + "░" * (width - filled)
        elapsed = time.perf_counter() - self.started
        line = f"[{bar}] {self.done}/{self.total} {elapsed:5.1f} s  {text}"
        if self.stream.isatty():
            self.stream.write("\r\033[K" + line + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


async def capture(tab: Page, open_page: Callable[[], Awaitable[dict[str, Any]]], target: Path,
                  where: str) -> None:
    """Open a page, wait until it has finished, take a full-height picture."""
    try:
        finished = await open_page()
        await tab.mouse.move(VIEWPORT_WIDTH // 2, 2)  # no hover highlight in the picture
        await full_page_screenshot_async(tab, target, width=VIEWPORT_WIDTH,
                                         min_height=VIEWPORT_HEIGHT,
                                         timeout_ms=PAGE_TIMEOUT_MS, finished=finished)
    except PageError as error:
        raise ExportError(f"{where} shows an error: {error}") from error
    except (PageTimeoutError, PlaywrightTimeoutError) as error:
        raise ExportError(f"{where} did not finish within {PAGE_TIMEOUT_MS // 1000} s: "
                          f"{error}") from error


def export(db: Path, out: Path | None = None, week: Week | None = None,
           scope_specs: Sequence[str] = ("all", "each-manager"),
           pages: Sequence[PageSpec] = PAGES,
           app: Path = PROJECT_ROOT / "dashboard.py",
           progress: Callable[[int], Progress] = Progress,
           tabs: int = TABS) -> ExportResult:
    """Export every page for every scope; raise ExportError naming what failed."""
    started = time.perf_counter()
    week = week or choose_week(db, None)
    as_of = week.sunday()
    out = out or default_out(week)
    scopes = resolve_scopes(scope_specs, db)
    out.mkdir(parents=True, exist_ok=True)
    result = ExportResult(week, as_of, out, scopes=scopes, release=data_release(db),
                          newest_on=data_dates(db)["newest_on"])
    # the overview's figures of each scope, in order, while the server starts and the
    # first pages are drawn; each scope's cover waits for its own
    with ThreadPoolExecutor(1) as pool:
        digests = {scope: pool.submit(scope_digest, db, scope, as_of) for scope in scopes}
        job = Job(pages, as_of, out, progress(len(scopes) * len(pages)), str(week),
                  result.release, digests, {page.slug: page_orientation(page) for page in pages})
        server = DashboardServer(app, env=job.server_env(db))
        try:
            done = run_coroutine(export_scopes(server, scopes, job, tabs))
        finally:
            server.stop()
            remove_parts(out)
        result.digests = {scope.slug: digests[scope].result() for scope in scopes}
    for scope in scopes:  # in the order asked for, whichever tab finished first
        pictures, layout = done[scope]
        result.pictures += pictures
        result.pdfs.append(out / f"{scope.slug}.pdf")
        result.layout[scope.slug] = layout
    summary = write_summary(make_summary(result), out)
    result.index = write_index(result, scopes, pages, summary, previous_summary(out, week))
    result.seconds = time.perf_counter() - started
    return result


def default_out(week: Week) -> Path:
    return PROJECT_ROOT / "data" / "exports" / str(week)


def remove_parts(out: Path) -> None:
    """The printed pages are joined into the reports: their folder goes."""
    import shutil

    shutil.rmtree(out / PARTS_FOLDER, ignore_errors=True)


def run_coroutine(coroutine: Coroutine[None, None, T]) -> T:
    """`asyncio.run`, also when this thread already runs an event loop (a notebook, or
    Playwright's sync API in use): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


ScopeDone = tuple[list[Path], list[tuple[str, int, report.Orientation]]]


@dataclass(frozen=True)
class Job:
    """What every scope gets: these pages as of this date, into this folder."""

    pages: Sequence[PageSpec]
    as_of: date
    out: Path
    bar: Progress
    week: str
    release: str
    digests: dict[Scope, Future[Digest]]
    orientations: dict[str, report.Orientation]  # by page slug
    # set once the first picture is taken: the server has run the app, so the other tabs
    # do not make its first imports race (STACK_NOTES: parallel first loads)
    warm: asyncio.Event = field(default_factory=asyncio.Event)
    # the export's own identity on its private server: an executive, for the whole portfolio
    identity: str = field(default_factory=lambda: f"export-{secrets.token_hex(8)}@export.invalid")

    def server_env(self, db: Path) -> dict[str, str]:
        """The dashboard in trusted-header sign-in: each tab says whom it shows, and the
        server applies that person's scope exactly as for someone signed in. In the print
        layout: a page's sections one after another, not as tabs, so a picture holds them
        all."""
        return {"PORTFOLIO_DB": str(db), "PORTFOLIO_SIGN_IN": "header",
                "PORTFOLIO_USER_HEADER": VIEWER_HEADER, "PORTFOLIO_EXECUTIVES": self.identity,
                **PRINT_LAYOUT}


async def export_scopes(server: DashboardServer, scopes: Sequence[Scope], job: Job,
                        tabs: int) -> dict[Scope, ScopeDone]:
    """Start the server (the caller stops it) and the browser at once; then every scope's
    pictures and report, with `tabs` tabs of one browser taking the next scope in turn; the
    first failure stops them all."""
    waiting: list[Scope] = list(scopes)
    done: dict[Scope, ScopeDone] = {}
    async with async_playwright() as playwright:
        browser, _ = await asyncio.gather(launch_chromium_async(playwright),
                                          asyncio.to_thread(server.start))
        try:
            await all_or_nothing([tab_worker(browser, server.url, waiting, done, job,
                                             first=n == 0)
                                  for n in range(max(1, min(tabs, len(scopes))))])
        finally:
            await browser.close()
    return done


async def tab_worker(browser: Browser, base: str, waiting: list[Scope],
                     done: dict[Scope, ScopeDone], job: Job, first: bool) -> None:
    """One tab: export the next waiting scope until none is left."""
    tab = await browser.new_page(viewport={"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT})
    if not first:
        await job.warm.wait()
    while waiting:
        scope = waiting.pop(0)
        pictures, parts = await export_scope(tab, base, scope, job)
        done[scope] = (pictures, await write_report(tab, scope, parts, job))


async def write_report(tab: Page, scope: Scope, parts: list[report.PrintedPart],
                       job: Job) -> list[tuple[str, int, report.Orientation]]:
    """The scope's report: the cover (printed in the same tab: the next scope opens its
    first page by URL anyway), then the printed pages, joined into <slug>.pdf."""
    counts = await asyncio.to_thread(report.page_counts, parts)
    digest = await asyncio.wrap_future(job.digests[scope])
    facts = report.CoverFacts(job.week, scope.label, job.release,
                              tuple((part.title, count) for part, count
                                    in zip(parts, counts, strict=True)))
    cover = await report.print_cover(tab, job.out / PARTS_FOLDER / scope.slug / "00-cover.pdf",
                                     report.cover_html(facts, digest),
                                     f"{scope.label} · week {job.week}")
    joined = [cover, *parts]
    await asyncio.to_thread(report.join_parts, joined, job.out / f"{scope.slug}.pdf",
                            f"Key-account portfolio · week {job.week} · {scope.label}")
    sheets = [*(await asyncio.to_thread(report.page_counts, [cover])), *counts]
    return [(part.title, count, part.orientation)
            for part, count in zip(joined, sheets, strict=True)]


async def all_or_nothing(coroutines: Sequence[Coroutine[None, None, None]]) -> None:
    """Run the coroutines together; on the first failure cancel the others and raise it."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def export_scope(tab: Page, base: str, scope: Scope, job: Job
                       ) -> tuple[list[Path], list[report.PrintedPart]]:
    """The first page is opened by its URL (a new session with the scope's filters); the
    others through the sidebar's links, as a person would, which keeps the session and its
    filters and saves reloading the app for every picture. Each page is pictured, then
    printed for the report."""
    folder = job.out / scope.slug
    folder.mkdir(parents=True, exist_ok=True)
    parts_folder = job.out / PARTS_FOLDER / scope.slug
    parts_folder.mkdir(parents=True, exist_ok=True)
    pictures, parts = [], []
    for number, page in enumerate(job.pages, start=1):
        target = folder / f"{number:02d}-{page.slug}.png"
        where = f"page {page.label!r} for scope {scope.label!r}"
        if number == 1:
            viewer = scope.viewer or job.identity
            await tab.set_extra_http_headers({VIEWER_HEADER: viewer})
            url = page_url(base, page, scope, job.as_of)
            await capture(tab, lambda url=url: open_url(tab, url), target, where)
            await confirm_viewer(tab, viewer, where)
        else:
            await capture(tab, lambda page=page: open_from_sidebar(tab, page), target, where)
        pictures.append(target)
        await asyncio.to_thread(shrink_picture, target)
        parts.append(await report.print_dashboard_page(
            tab, parts_folder / f"{number:02d}-{page.slug}.pdf", job.orientations[page.slug],
            page.label, f"{page.label} · {scope.label} · week {job.week}"))
        job.warm.set()
        job.bar.step(f"{scope.label} · {page.label}")
    return pictures, parts


def shrink_picture(path: Path) -> Path:
    """Rewrite a picture with a palette of 256 colours: a dashboard has few colours, the
    picture looks the same and takes about a quarter of the space."""
    with Image.open(path) as picture:
        reduced = picture.convert("RGB").quantize(PALETTE_COLOURS,
                                                  method=Image.Quantize.FASTOCTREE,
                                                  dither=Image.Dither.NONE)
    reduced.save(path, format="PNG")
    return path


async def confirm_viewer(tab: Page, viewer: str, where: str) -> None:
    """Fail unless the dashboard signed in as the scope's person (or the export itself)."""
    sidebar = await tab.get_by_test_id("stSidebar").inner_text()
    if f"Signed in as {shown(viewer)}" not in sidebar:
        raise ExportError(f"{where}: the dashboard did not sign in as {viewer}, so the "
                          "pictures could show another scope")


async def open_url(tab: Page, url: str) -> dict[str, Any]:
    await tab.set_viewport_size({"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT})
    await tab.goto(url)
    finished = await wait_until_finished_async(tab, timeout_ms=PAGE_TIMEOUT_MS)
    await refuse_error_messages(tab)
    return finished


async def open_from_sidebar(tab: Page, page: PageSpec) -> dict[str, Any]:
    await tab.set_viewport_size({"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT})
    link = tab.get_by_test_id("stSidebarNav").get_by_role("link", name=page.label, exact=True)
    finished = await click_and_wait_async(tab, link, timeout_ms=PAGE_TIMEOUT_MS)
    await refuse_error_messages(tab)
    return finished


async def refuse_error_messages(tab: Page) -> None:
    """A page that could not read its data shows an error message, not an exception box;
    it must fail the export all the same."""
    errors = await tab.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stAlertContentError"]')].map((e) => e.innerText)""")
    if errors:
        raise PageError(errors[0])


def data_release(db: Path) -> str:
    real, modified_ns, size = database_version(db)
    modified = datetime.fromtimestamp(modified_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")
    return f"{Path(real).name} ({size / 2**20:.1f} MiB, written {modified})"


def make_summary(result: ExportResult) -> dict:
    """What the next export compares with: each scope's headline figures (the overview's)
    and its report's layout."""
    currency = next(iter(result.digests.values())).currency if result.digests else "EUR"
    return {
        "week": str(result.week), "as_of": result.as_of.isoformat(), "release": result.release,
        "currency": currency,
        "scopes": {scope.slug: {"label": scope.label, "viewer": scope.viewer,
                                "figures": result.digests[scope.slug].figures(),
                                "report": [{"part": title, "sheets": sheets,
                                            "orientation": orientation}
                                           for title, sheets, orientation
                                           in result.layout[scope.slug]]}
                   for scope in result.scopes},
    }


def write_summary(summary: dict, out: Path) -> dict:
    """summary.json, written only when every picture has been taken (the next export
    compares with it)."""
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def write_index(result: ExportResult, scopes: list[Scope], pages: Sequence[PageSpec],
                summary: dict, previous: dict | None) -> Path:
    """index.html (with thumbnails) and index.md: files, week, as-of, scope, release, and
    the headline figures against the previous export."""
    rows_md, sections_html = [], []
    currency = summary["currency"]
    for scope in scopes:
        before = (previous or {}).get("scopes", {}).get(scope.slug, {}).get("figures", {})
        changes = [(item.label, item.shown(item.now, currency),
                    item.change(before.get(item.key), currency) or "–")
                   for item in result.digests[scope.slug].headlines]
        files = [f"{scope.slug}/{n:02d}-{p.slug}.png" for n, p in enumerate(pages, start=1)]
        digest = result.digests[scope.slug]
        rows_md.append(scope_markdown(scope, files, changes) + decisions_markdown(digest))
        sections_html.append(scope_html(scope, pages, files, changes)
                             .replace("</section>", decisions_html(digest) + "</section>"))
    compared = (f"compared with the export of {previous['week']} (as of {previous['as_of']})"
                if previous else "no earlier export found in this folder to compare with")
    header = (f"Week {result.week} · as of {result.as_of:%-d %b %Y} · data release "
              f"{summary['release']} · {compared}")
    (result.out / "index.md").write_text(
        f"# Key-account portfolio export {result.week}\n\n{header}\n\n" + "\n".join(rows_md),
        encoding="utf-8")
    index = result.out / "index.html"
    index.write_text(HTML_PAGE.format(title=f"Portfolio export {result.week}",
                                      header=html.escape(header),
                                      body="\n".join(sections_html)), encoding="utf-8")
    return index


def decision_lists(digest: Digest) -> list[tuple[str, tuple[str, ...]]]:
    """The decision log's two lists of a scope (portfolio/read/decisions.py)."""
    return [(f"Decisions this week: {len(digest.decided_this_week)}",
             digest.decided_this_week),
            (f"Accepted, not yet done: {len(digest.accepted_open)}", digest.accepted_open)]


def decisions_markdown(digest: Digest) -> str:
    return "".join(f"{title}\n\n" + "".join(f"- {line}\n" for line in lines) + "\n"
                   for title, lines in decision_lists(digest))


def decisions_html(digest: Digest) -> str:
    return "".join(f"<h3>{html.escape(title)}</h3>" + (
        "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
        if lines else "") for title, lines in decision_lists(digest))


def scope_markdown(scope: Scope, files: list[str], changes: list[tuple[str, str, str]]) -> str:
    lines = [f"## {scope.label}", "", f"PDF: [{scope.slug}.pdf]({scope.slug}.pdf)", "",
             "| figure | this week | change |", "|---|---|---|"]
    lines += [f"| {label} | {value} | {change} |" for label, value, change in changes]
    lines += ["", "Pages: " + ", ".join(f"[{Path(f).stem}]({f})" for f in files), ""]
    return "\n".join(lines)


def scope_html(scope: Scope, pages: Sequence[PageSpec], files: list[str],
               changes: list[tuple[str, str, str]]) -> str:
    figures = "".join(f"<tr><td>{html.escape(label)}</td><td>{html.escape(value)}</td>"
                      f"<td>{html.escape(change)}</td></tr>" for label, value, change in changes)
    thumbs = "".join(f'<a href="{f}"><figure><img src="{f}" alt="{html.escape(p.label)}">'
                     f"<figcaption>{html.escape(p.label)}</figcaption></figure></a>"
                     for p, f in zip(pages, files, strict=True))
    return (f"<section><h2>{html.escape(scope.label)}</h2>"
            f'<p><a href="{scope.slug}.pdf">{scope.slug}.pdf</a></p>'
            f"<table><tr><th>Figure</th><th>This week</th><th>Change</th></tr>{figures}"
            f"</table><div class=thumbs>{thumbs}</div></section>")


HTML_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: 'Liberation Sans', 'DejaVu Sans', sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1em; }}
td, th {{ border: 1px solid #ddd; padding: 4px 10px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
.thumbs {{ display: flex; flex-wrap: wrap; gap: 12px; }}
figure {{ margin: 0; width: 220px; }} img {{ width: 220px; border: 1px solid #ccc; }}
figcaption {{ font-size: 0.85em; }}
</style></head>
<body><h1>{title}</h1><p>{header}</p>
{body}
</body></html>
"""
