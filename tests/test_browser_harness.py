"""End-to-end checks of portfolio.delivery.browser against a real Streamlit server and Chromium.

No mocks: tiny throwaway apps are written to a temporary directory. A missing Chromium
makes these tests fail (BrowserMissingError), never skip.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import textwrap
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from portfolio.core.db import PROJECT_ROOT
from portfolio.delivery.browser import (
    BrowserMissingError,
    DashboardServer,
    PageError,
    PageTimeoutError,
    ServerStartError,
    click_and_wait,
    full_page_screenshot,
    full_page_screenshot_async,
    launch_chromium,
    launch_chromium_async,
    wait_until_finished,
    wait_until_finished_async,
)

VIEWPORT = {"width": 1400, "height": 800}
ERROR_TEXT = "harness-test-boom-4711"

# One app, behaviours chosen by ?mode=..., so a single server serves every page test.
APP = f"""
import time

import plotly.graph_objects as go
import streamlit as st

mode = st.query_params.get("mode", "chart")
st.title("Harness test")
if mode == "error":
    raise ValueError("{ERROR_TEXT}")
if mode == "slow":
    with st.spinner("working"):
        time.sleep(4)
if mode == "short":
    st.stop()
if mode == "rerun" and "reran" not in st.session_state:
    # a first run that ends in a rerun: the run state reads 'notRunning' for a moment
    st.session_state.reran = True
    time.sleep(0.3)
    st.rerun()
if mode == "rerun":
    st.write("second run")
if mode == "button" and st.button("Go"):
    time.sleep(0.5)
    st.write("clicked")
fig = go.Figure(go.Scatter(x=[1, 2, 3, 4], y=[3, 1, 4, 1], name="series"))
if mode in ("ours", "ours-broken"):
    from portfolio.ui import plotly_chart as charts
    if mode == "ours-broken":  # a chart whose library cannot be loaded
        charts.bundle_url = lambda bundle: "/app/static/no-such-folder/" + bundle
    fig.update_layout(title="Our chart")
    charts.plotly_chart(fig, "ours", {{"displaylogo": False}})
    st.stop()
st.plotly_chart(fig)
for i in range(80):
    st.write(f"Line {{i}} of a long page")
"""


def write_app(directory: Path, source: str, name: str = "app.py") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def port_is_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright)  # BrowserMissingError → error, not skip
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    app = write_app(tmp_path_factory.mktemp("app"), APP)
    # the dashboard's static files and their serving, for the charts' Plotly bundles
    (app.parent / "static").symlink_to(PROJECT_ROOT / "static")
    (app.parent / ".streamlit").mkdir()
    (app.parent / ".streamlit" / "config.toml").write_text(
        "[server]\nenableStaticServing = true\n", encoding="utf-8")
    with DashboardServer(app) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def test_server_answers_health_and_is_gone_afterwards(tmp_path: Path) -> None:
    app = write_app(tmp_path, "import streamlit as st\nst.write('hello')\n")
    with DashboardServer(app) as srv:
        pid = srv.pid
        assert pid is not None
        assert srv.url == f"http://127.0.0.1:{srv.port}"
        with urllib.request.urlopen(f"{srv.url}/_stcore/health", timeout=5) as resp:
            assert resp.read().strip() == b"ok"
    assert srv.pid is None
    assert not pid_alive(pid)
    assert not port_is_open(srv.port)
    srv.stop()  # idempotent


def test_chart_page_finishes_with_rendered_plotly(server: DashboardServer, page: Page) -> None:
    page.goto(server.url)
    wait_until_finished(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 1
    assert page.locator('[data-testid="stPlotlyChart"] .main-svg').count() >= 1
    assert page.get_by_text("Line 79 of a long page").count() == 1


def test_our_charts_are_waited_for_and_drawn_with_plotlys_basic_bundle(
    server: DashboardServer, page: Page
) -> None:
    page.goto(f"{server.url}/?mode=ours")
    wait_until_finished(page)
    assert page.locator('[data-testid="portfolio-chart"][data-drawn="1"]').count() == 1
    assert page.locator('[data-testid="portfolio-chart"] .main-svg').count() >= 1
    assert page.locator('[data-testid="portfolio-chart"] .gtitle').text_content() == "Our chart"
    scripts = page.evaluate("performance.getEntriesByType('resource').map((r) => r.name)")
    assert any(name.endswith("/plotly-basic.min.js") for name in scripts)
    # Streamlit's own chart element, and with it Plotly's full bundle, is never loaded
    assert not any("PlotlyChart" in name for name in scripts)


def test_a_chart_that_cannot_be_drawn_fails_the_wait(server: DashboardServer, page: Page
                                                     ) -> None:
    page.goto(f"{server.url}/?mode=ours-broken")
    with pytest.raises(PageError, match="This chart could not be drawn"):
        wait_until_finished(page)


def test_full_page_screenshot_is_taller_than_viewport(
    server: DashboardServer, page: Page, tmp_path: Path
) -> None:
    page.goto(server.url)
    wait_until_finished(page)
    out = tmp_path / "shots" / "page.png"
    height = full_page_screenshot(page, out, width=VIEWPORT["width"])
    width_px, height_px = png_size(out)
    assert height > VIEWPORT["height"]
    assert width_px == VIEWPORT["width"]
    assert height_px == height
    assert height_px > VIEWPORT["height"]


def test_a_short_page_gets_the_minimum_height(
    server: DashboardServer, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{server.url}/?mode=short")
    height = full_page_screenshot(page, tmp_path / "short.png", width=VIEWPORT["width"],
                                  min_height=900)
    assert height == 900
    assert png_size(tmp_path / "short.png") == (VIEWPORT["width"], 900)


def test_a_rerun_is_not_taken_for_the_end(server: DashboardServer, page: Page) -> None:
    page.goto(f"{server.url}/?mode=rerun")
    wait_until_finished(page)
    assert page.get_by_text("second run").count() == 1


def test_click_and_wait_waits_for_the_run_the_click_started(
    server: DashboardServer, page: Page
) -> None:
    page.goto(f"{server.url}/?mode=button")
    wait_until_finished(page)
    click_and_wait(page, page.get_by_role("button", name="Go"))
    assert page.get_by_text("clicked").count() == 1


def test_two_tabs_of_one_browser_with_the_async_api(
    server: DashboardServer, tmp_path: Path
) -> None:
    async def picture(browser, name: str) -> tuple[int, int]:
        tab = await browser.new_page(viewport=VIEWPORT)
        await tab.goto(server.url)
        finished = await wait_until_finished_async(tab)
        assert finished["height"] > VIEWPORT["height"]
        height = await full_page_screenshot_async(tab, tmp_path / name, width=1400,
                                                  finished=finished)
        assert height == finished["height"]
        return png_size(tmp_path / name)

    async def two_tabs() -> list[tuple[int, int]]:
        async with async_playwright() as playwright:
            browser = await launch_chromium_async(playwright)
            try:
                return await asyncio.gather(picture(browser, "a.png"), picture(browser, "b.png"))
            finally:
                await browser.close()

    # in a thread of its own: the module's sync Playwright runs an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        sizes = pool.submit(asyncio.run, two_tabs()).result()
    assert sizes[0] == sizes[1] and sizes[0][1] > VIEWPORT["height"]


def test_exception_box_raises_page_error(server: DashboardServer, page: Page) -> None:
    page.goto(f"{server.url}/?mode=error")
    with pytest.raises(PageError, match=ERROR_TEXT):
        wait_until_finished(page)


def test_slow_page_times_out_naming_the_condition(server: DashboardServer, page: Page) -> None:
    page.goto(f"{server.url}/?mode=slow")
    with pytest.raises(PageTimeoutError, match="not finished") as info:
        wait_until_finished(page, timeout_ms=1_500)
    message = str(info.value)
    assert "running" in message or "stSpinner" in message or "initial" in message


def test_taken_port_raises_server_start_error(tmp_path: Path) -> None:
    app = write_app(tmp_path, "import streamlit as st\nst.write('never served')\n")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        srv = DashboardServer(app, port=port, startup_timeout_s=30)
        with pytest.raises(ServerStartError) as info, srv:
            pass
    assert "not available" in str(info.value)
    assert srv.pid is None


def test_missing_chromium_raises_clear_error(
    playwright: Playwright, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", "/nonexistent/chromium")
    with pytest.raises(BrowserMissingError, match="apt-get install"):
        launch_chromium(playwright)


def test_port_is_open_sees_a_listening_socket() -> None:
    # Guards the cleanup test against a helper that always says "closed".
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert port_is_open(sock.getsockname()[1])
