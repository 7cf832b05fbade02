"""Drive a real Streamlit server and the system Chromium (end-to-end tests, screenshots).

No Streamlit import here: the app runs in its own process, started by `DashboardServer`.
The rules follow /work/shared/STACK_NOTES.md, section "A real browser".
"""

from __future__ import annotations

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

from playwright.sync_api import Browser, Page, Playwright

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
STABLE_POLL_MS = 150


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
    """Run `streamlit run app_path` on 127.0.0.1 for the duration of a `with` block."""

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
            sys.executable, "-m", "streamlit", "run", str(self.app_path),
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
                env={**os.environ, **self.env},
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


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch the system Chromium (Playwright's own download does not work here)."""
    path = os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise BrowserMissingError(
            f"No Chromium executable at {path}. Install it with "
            "`apt-get install -y chromium fonts-liberation fonts-dejavu-core` "
            "or point CHROMIUM_PATH at one."
        )
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)


# Returns the state of every "finished rendering" condition (STACK_NOTES).
_STATE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const exc = document.querySelector('[data-testid="stException"]');
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const count = (sel) => document.querySelectorAll(sel).length;
  return {
    exception: exc ? (exc.innerText || exc.textContent || '').trim() : null,
    script_state: app ? app.getAttribute('data-test-script-state') : null,
    connection_state: app ? app.getAttribute('data-test-connection-state') : null,
    skeletons: count('[data-testid="stSkeleton"]'),
    status_widgets: count('[data-testid="stStatusWidget"]'),
    spinners: count('[data-testid="stSpinner"]'),
    stale: count('[data-stale="true"]'),
    charts_without_svg: charts.filter((c) => !c.querySelector('.main-svg')).length,
  };
}"""


def _unmet(state: dict[str, Any]) -> list[str]:
    """Names of the conditions that do not hold in `state`."""
    unmet = []
    if state["script_state"] != "notRunning":
        unmet.append(f"script state is {state['script_state']!r}, not 'notRunning'")
    if state["connection_state"] != "CONNECTED":
        unmet.append(f"connection state is {state['connection_state']!r}, not 'CONNECTED'")
    counts = {
        "skeletons": "stSkeleton",
        "status_widgets": "stStatusWidget",
        "spinners": "stSpinner",
        "stale": '[data-stale="true"]',
        "charts_without_svg": "stPlotlyChart without .main-svg",
    }
    for key, label in counts.items():
        if state[key]:
            unmet.append(f"{state[key]} x {label}")
    return unmet


def _read_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(_STATE_JS)
    if state["exception"] is not None:
        raise PageError(f"Streamlit exception on {page.url}:\n{state['exception']}")
    return state


def wait_until_finished(page: Page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished rendering `page`.

    The conditions must hold on two consecutive polls ~150 ms apart; before its first
    run the app reports script state 'initial', so a page that has not started yet
    never counts as finished.

    Raises PageError when an exception box shows, PageTimeoutError on timeout.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    good_polls = 0
    while True:
        unmet = _unmet(_read_state(page))
        good_polls = good_polls + 1 if not unmet else 0
        if good_polls >= 2:
            break
        if time.monotonic() > deadline:
            raise PageTimeoutError(
                f"{page.url} not finished after {timeout_ms} ms: " + "; ".join(unmet or ["?"])
            )
        page.wait_for_timeout(STABLE_POLL_MS)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    _read_state(page)  # an error box may have appeared meanwhile


def _main_scroll_height(page: Page) -> int:
    height = page.evaluate(
        """() => {
          const main = document.querySelector('[data-testid="stMain"]');
          return main ? main.scrollHeight : document.documentElement.scrollHeight;
        }"""
    )
    return int(height)


def full_page_screenshot(page: Page, path: Path, width: int = 1400) -> int:
    """Screenshot the whole main area; return the viewport height used.

    `full_page=True` only captures the first screen (the main area scrolls inside
    `stMain`), so the viewport is grown to `stMain`'s scrollHeight first.
    """
    viewport = page.viewport_size or {"width": width, "height": 900}
    if viewport["width"] != width:
        page.set_viewport_size({"width": width, "height": viewport["height"]})
        wait_until_finished(page)
    height = max(_main_scroll_height(page), viewport["height"])
    for _ in range(3):  # growing the viewport can reflow (responsive charts)
        page.set_viewport_size({"width": width, "height": height})
        wait_until_finished(page)
        new_height = _main_scroll_height(page)
        if new_height <= height:
            break
        height = new_height
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return height


_WATCH_NEXT_RUN = """() => {
  window.__streamlitRan = false;
  const app = document.querySelector('[data-testid="stApp"]');
  const observer = new MutationObserver(() => {
    window.__streamlitRan = true;
    observer.disconnect();
  });
  observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def click_and_wait(page: Page, target: Any, timeout_ms: int = 30_000) -> None:
    """Click something that makes Streamlit run the script (a page link, a widget) and wait
    until that run has finished drawing.

    Waiting for "finished" right after a click could see the previous run's finished page,
    so a MutationObserver first records that the script state changed (STACK_NOTES).
    """
    page.evaluate(_WATCH_NEXT_RUN)
    target.click()
    page.wait_for_function("() => window.__streamlitRan === true", timeout=timeout_ms)
    wait_until_finished(page, timeout_ms=timeout_ms)
