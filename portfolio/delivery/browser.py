"""Drive a real Streamlit server and the system Chromium (end-to-end tests, screenshots).

No Streamlit import here: the app runs in its own process, started by `DashboardServer`.
The rules follow /work/shared/STACK_NOTES.md, section "A real browser".
"""

from __future__ import annotations

import base64
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from playwright.async_api import Browser as AsyncBrowser
from playwright.async_api import Page as AsyncPage
from playwright.async_api import Playwright as AsyncPlaywright
from playwright.sync_api import Browser, Page, Playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
LOG_TAIL_LINES = 40
POLL_INTERVAL_S = 0.1
# A page counts as finished when every condition has held this long with no change of
# Streamlit's run state in between (a deep link on a fresh server finishes a first run
# and starts another ~25 ms later, STACK_NOTES).
QUIET_MS = 150
POLL_MS = 50  # how often the conditions are read in the page while waiting
MAX_RESIZES = 4  # growing the viewport can reflow the page (responsive charts)
# Lossless PNG of what the viewport shows; fast encoding (~2x faster, ~25 % larger files)
SCREENSHOT_PARAMS = {"format": "png", "optimizeForSpeed": True}


class ServerStartError(RuntimeError):
    """The Streamlit server exited or did not answer its health check in time."""


class BrowserMissingError(RuntimeError):
    """The system Chromium is not installed where we expect it."""


class PageError(RuntimeError):
    """The page shows a Streamlit exception box."""


class PageTimeoutError(TimeoutError):
    """The page did not finish rendering in time."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- server


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return "".join(deque(fh, maxlen=lines))
    except OSError:
        return ""


def _health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (OSError, ValueError):  # URLError, HTTPError, refused, reset, timeout
        return False


class DashboardServer:
    """Run `app_path` on 127.0.0.1 for the duration of a `with` block, started as
    `make run` starts it (`python -m portfolio.delivery.serve`: `streamlit run` with the pages'
    modules loaded before the server answers)."""

    def __init__(
        self,
        app_path: Path,
        *,
        env: dict[str, str] | None = None,
        port: int | None = None,
        startup_timeout_s: float = 60,
    ) -> None:
        self.app_path = Path(app_path).resolve()
        self.env = dict(env or {})
        self.port = port if port is not None else free_port()
        self.startup_timeout_s = startup_timeout_s
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "portfolio.delivery.serve", str(self.app_path),
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip

    def start(self) -> Self:
        if self._proc is not None:
            return self
        fd, name = tempfile.mkstemp(prefix="streamlit-", suffix=".log")
        self.log_path = Path(name)
        with os.fdopen(fd, "wb") as log:
            self._proc = subprocess.Popen(
                self.command(),
                cwd=self.app_path.parent,
                env={**os.environ, **self.env,
                     "PYTHONPATH": python_path({**os.environ, **self.env})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()  # the error already carries the log tail
            raise
        return self

    def _wait_healthy(self) -> None:
        assert self._proc is not None and self.log_path is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            if _health_ok(self.url):
                return
            code = self._proc.poll()
            if code is not None:
                raise ServerStartError(
                    f"streamlit exited with code {code} before answering on {self.url}:\n"
                    f"{_tail(self.log_path)}"
                )
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"{self.url}/_stcore/health did not answer 'ok' within "
                    f"{self.startup_timeout_s:g} s:\n{_tail(self.log_path)}"
                )
            time.sleep(POLL_INTERVAL_S)

    @property
    def pid(self) -> int | None:
        """Process id of the running server (None when stopped)."""
        return self._proc.pid if self._proc is not None else None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return _tail(self.log_path, lines) if self.log_path else ""

    def stop(self) -> None:
        """Terminate the whole process group and delete the log; idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _stop_group(proc)
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def python_path(env: dict[str, str]) -> str:
    """PYTHONPATH for the server: the project first (`-m portfolio.delivery.serve` from any
    directory), then what `env` had."""
    return os.pathsep.join([str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "")
                                                       .split(os.pathsep))])


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_group(proc: subprocess.Popen[bytes], grace_s: float = 10) -> None:
    pgid = proc.pid  # start_new_session=True: the child leads its own group
    _signal_group(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        _signal_group(pgid, signal.SIGKILL)
        proc.wait()
    _signal_group(pgid, signal.SIGKILL)  # stragglers in the group, if any


# --------------------------------------------------------------------------- browser


def chromium_path() -> str:
    """The system Chromium (Playwright's own download does not work here)."""
    path = os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise BrowserMissingError(
            f"No Chromium executable at {path}. Install it with "
            "`apt-get install -y chromium fonts-liberation fonts-dejavu-core` "
            "or point CHROMIUM_PATH at one."
        )
    return path


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch the system Chromium (sync API)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


async def launch_chromium_async(playwright: AsyncPlaywright) -> AsyncBrowser:
    """Launch the system Chromium (async API: several tabs driven from one thread)."""
    return await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


# The page's state against every "finished rendering" condition (STACK_NOTES), read in the
# page. On its first call it installs a watch that counts every change of Streamlit's run
# state (`data-test-script-state`) from then on, so that no run, however short, goes
# unseen between two reads.
_READ_STATE = """function watchRuns() {
  let watch = window.__portfolioWatch;
  if (!watch) {
    watch = window.__portfolioWatch = {
      id: Math.random().toString(36).slice(2), changes: 0, goodSince: null, token: null};
    new MutationObserver(() => { watch.changes += 1; watch.goodSince = null; }).observe(
      document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
  }
  return watch;
}
function scriptState() {
  const app = document.querySelector('[data-testid="stApp"]');
  return app ? app.getAttribute('data-test-script-state') : null;
}
// Has a run started since `after` (a mark taken before a click)? Seen by a change of the
// run state, a new document, or a new address (Streamlit sets it when the run starts; React
// may draw a fast run's start and end at once, so that the run state never changes).
function ranSince(after) {
  const watch = watchRuns();
  return after === null || watch.id !== after.watch || watch.changes > after.changes
    || location.href !== after.href;
}
function readState(after) {
  const watch = watchRuns();
  const app = document.querySelector('[data-testid="stApp"]');
  const exc = document.querySelector('[data-testid="stException"]')
    || document.querySelector('[data-testid="portfolio-chart"][data-drawn="error"]');
  const count = (sel) => document.querySelectorAll(sel).length;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const main = document.querySelector('[data-testid="stMain"]');
  const script = scriptState();
  const connection = app ? app.getAttribute('data-test-connection-state') : null;
  const unmet = [];
  if (script !== 'notRunning') unmet.push(`script state is '${script}', not 'notRunning'`);
  if (connection !== 'CONNECTED')
    unmet.push(`connection state is '${connection}', not 'CONNECTED'`);
  const counts = [
    [count('[data-testid="stSkeleton"]'), 'stSkeleton'],
    [count('[data-testid="stStatusWidget"]'), 'stStatusWidget'],
    [count('[data-testid="stSpinner"]'), 'stSpinner'],
    [count('[data-stale="true"]'), '[data-stale="true"]'],
    [charts.filter((c) => !c.querySelector('.main-svg')).length,
     'stPlotlyChart without .main-svg'],
    [count('[data-testid="portfolio-chart"]:not([data-drawn])'), 'chart not drawn yet'],
  ];
  for (const [n, label] of counts) if (n) unmet.push(`${n} x ${label}`);
  if (document.fonts.status !== 'loaded') unmet.push('fonts still loading');
  if (!ranSince(after)) unmet.push('the script has not run since the click');
  // the main area's own height, whatever the viewport's (it scrolls inside stMain)
  const height = main ? Math.max(...[...main.children].map((c) => c.offsetTop + c.offsetHeight), 0)
                      : document.documentElement.scrollHeight;
  return {
    exception: exc ? (exc.innerText || exc.textContent || '').trim() : null,
    unmet, watch: watch.id, changes: watch.changes, href: location.href,
    height: Math.ceil(height),
  };
}"""

_STATE_JS = f"(after) => {{ {_READ_STATE}\n return readState(after); }}"

# Finished: every condition has held, without a change of the run state, for `quietMs`
# (conditions read every POLL_MS, each change of the run state seen as it happens; after a
# click, a run started since the mark `after`). A new `token` starts a new wait. Returns
# the state when finished or on an exception box, else false (polled again).
_FINISHED_JS = f"""({{quietMs, token, after}}) => {{ {_READ_STATE}
  const watch = watchRuns();
  if (watch.token !== token) {{ watch.token = token; watch.goodSince = null; }}
  if (scriptState() !== 'notRunning') {{ watch.goodSince = null; return false; }}  // cheap
  const state = readState(after);
  if (state.exception !== null) return state;
  const now = performance.now();
  if (state.unmet.length) {{ watch.goodSince = null; return false; }}
  if (watch.goodSince === null) watch.goodSince = now;
  return now - watch.goodSince >= quietMs ? state : false;
}}"""

# The state after two animation frames: layout and paint have caught up with a resize.
_SETTLED_JS = f"""() => {{ {_READ_STATE}
  return new Promise((resolve) =>
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(readState(null)))));
}}"""

_tokens = itertools.count(1)


def _finished_args(after: dict[str, Any] | None) -> dict[str, Any]:
    return {"quietMs": QUIET_MS, "token": next(_tokens), "after": after}


def _raise_on_exception(url: str, state: dict[str, Any]) -> dict[str, Any]:
    if state["exception"] is not None:
        raise PageError(f"Streamlit exception on {url}:\n{state['exception']}")
    return state


def _timeout_error(url: str, timeout_ms: float, state: dict[str, Any]) -> PageTimeoutError:
    _raise_on_exception(url, state)
    return PageTimeoutError(
        f"{url} not finished after {timeout_ms:g} ms: " + "; ".join(state["unmet"] or ["?"])
    )


def wait_until_finished(
    page: Page, timeout_ms: float = 30_000, *, after: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Wait until Streamlit has finished rendering `page`; return the page's state.

    Every condition must hold for QUIET_MS without any change of the run state in
    between (read in the page every POLL_MS; a watch in the page sees every change of the
    run state as it happens, however short the run). Before its first run
    the app reports script state 'initial', so a page that has not started yet never
    counts as finished. `after` (a mark from `run_mark`, taken before a click) also
    requires a run to have started since.

    Raises PageError when an exception box shows, PageTimeoutError on timeout.
    """
    try:
        handle = page.wait_for_function(
            _FINISHED_JS, arg=_finished_args(after), polling=POLL_MS, timeout=timeout_ms
        )
    except PlaywrightTimeoutError:
        raise _timeout_error(page.url, timeout_ms, page.evaluate(_STATE_JS, after)) from None
    return _raise_on_exception(page.url, handle.json_value())


async def wait_until_finished_async(
    page: AsyncPage, timeout_ms: float = 30_000, *, after: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`wait_until_finished` for the async API."""
    try:
        handle = await page.wait_for_function(
            _FINISHED_JS, arg=_finished_args(after), polling=POLL_MS, timeout=timeout_ms
        )
    except PlaywrightTimeoutError:
        state = await page.evaluate(_STATE_JS, after)
        raise _timeout_error(page.url, timeout_ms, state) from None
    return _raise_on_exception(page.url, await handle.json_value())


def _mark(state: dict[str, Any]) -> dict[str, Any]:
    return {key: state[key] for key in ("watch", "changes", "href")}


def run_mark(page: Page) -> dict[str, Any]:
    """Where the page stands now (document, run-state changes, address), for `after`."""
    return _mark(page.evaluate(_STATE_JS, None))


async def run_mark_async(page: AsyncPage) -> dict[str, Any]:
    return _mark(await page.evaluate(_STATE_JS, None))


def click_and_wait(page: Page, target: Any, timeout_ms: float = 30_000) -> dict[str, Any]:
    """Click something that makes Streamlit run the script (a page link, a widget) and wait
    until that run has finished drawing.

    Waiting for "finished" right after a click could see the previous run's finished page
    (or, after a page link, the emptied page before the next run starts), so a run must
    have started after the click (see `ranSince` in the page's state).
    """
    before = run_mark(page)
    target.click(timeout=timeout_ms)
    return wait_until_finished(page, timeout_ms, after=before)


def open_tab(page: Page, label: str, timeout_ms: float = 30_000) -> dict[str, Any]:
    """Click the page's tab `label` and wait until its section has been drawn (a tab runs
    the script again: only the chosen tab's section is drawn)."""
    return click_and_wait(page, page.get_by_role("tab", name=label, exact=True), timeout_ms)


async def click_and_wait_async(
    page: AsyncPage, target: Any, timeout_ms: float = 30_000
) -> dict[str, Any]:
    """`click_and_wait` for the async API."""
    before = await run_mark_async(page)
    await target.click(timeout=timeout_ms)
    return await wait_until_finished_async(page, timeout_ms, after=before)


def _next_height(page_url: str, finished: dict[str, Any], state: dict[str, Any],
                 size: dict[str, int] | None, width: int, min_height: int) -> int | None:
    """The viewport height to set next, or None when `state` (read after the viewport
    settled) is still the finished page at full height. A run since `finished` or an
    unmet condition raises _RanAgain: the page must be waited for again."""
    _raise_on_exception(page_url, state)
    if state["unmet"] or (state["watch"], state["changes"]) != (finished["watch"],
                                                                 finished["changes"]):
        raise _RanAgain
    height = max(state["height"], min_height)
    if size == {"width": width, "height": height}:
        return None
    return height


class _RanAgain(Exception):
    """The page ran again or stopped being finished while its picture was being prepared."""


def full_page_screenshot(page: Page, path: Path, width: int = 1400, min_height: int = 900,
                         timeout_ms: float = 30_000,
                         finished: dict[str, Any] | None = None) -> int:
    """Screenshot the whole main area of a finished page; return the height used.

    `full_page=True` only captures the first screen (the main area scrolls inside
    `stMain`), so the viewport is set to the main area's height first (at least
    `min_height`, so the sidebar fits). The picture is taken only once the page, read
    after the viewport settled, is still finished at that height with no run since
    `finished` (the state returned by the wait that saw it finished; else waited for here).
    """
    finished = finished or wait_until_finished(page, timeout_ms)
    for _ in range(MAX_RESIZES):
        try:
            height = _next_height(page.url, finished, page.evaluate(_SETTLED_JS),
                                  page.viewport_size, width, min_height)
        except _RanAgain:
            finished = wait_until_finished(page, timeout_ms)
            continue
        if height is None:
            break
        page.set_viewport_size({"width": width, "height": height})
    else:
        raise _unsettled(page.url)
    session = page.context.new_cdp_session(page)
    try:
        _write_png(path, session.send("Page.captureScreenshot", SCREENSHOT_PARAMS))
    finally:
        session.detach()
    return _viewport_height(page.viewport_size)


async def full_page_screenshot_async(page: AsyncPage, path: Path, width: int = 1400,
                                     min_height: int = 900, timeout_ms: float = 30_000,
                                     finished: dict[str, Any] | None = None) -> int:
    """`full_page_screenshot` for the async API."""
    finished = finished or await wait_until_finished_async(page, timeout_ms)
    for _ in range(MAX_RESIZES):
        try:
            height = _next_height(page.url, finished, await page.evaluate(_SETTLED_JS),
                                  page.viewport_size, width, min_height)
        except _RanAgain:
            finished = await wait_until_finished_async(page, timeout_ms)
            continue
        if height is None:
            break
        await page.set_viewport_size({"width": width, "height": height})
    else:
        raise _unsettled(page.url)
    session = await page.context.new_cdp_session(page)
    try:
        _write_png(path, await session.send("Page.captureScreenshot", SCREENSHOT_PARAMS))
    finally:
        await session.detach()
    return _viewport_height(page.viewport_size)


def _unsettled(url: str) -> PageTimeoutError:
    return PageTimeoutError(f"{url}: the page did not settle at its full height after "
                            f"{MAX_RESIZES} tries (it keeps running or growing)")


def _viewport_height(size: dict[str, int] | None) -> int:
    assert size is not None
    return size["height"]


def _write_png(path: Path, capture: dict[str, Any]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(base64.b64decode(capture["data"]))
