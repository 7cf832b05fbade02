"""The Service and Account pages in a real browser (system Chromium) on a fresh server:
no error box, every chart drawn with its data, the whole page captured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from portfolio.browser import (
    DashboardServer,
    full_page_screenshot,
    launch_chromium,
    wait_until_finished,
)

ROOT = Path(__file__).resolve().parent.parent

# For each chart on the page: how many drawn traces (bars, lines, markers) it holds.
_DRAWN_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(
  (chart) => ({
    svg: chart.querySelector('.main-svg') !== null,
    traces: chart.querySelectorAll('.barlayer .trace, .scatterlayer .trace').length,
    title: (chart.querySelector('.gtitle') || {}).textContent || '',
  }))"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[DashboardServer]:
    with DashboardServer(ROOT / "dashboard.py", env={"PORTFOLIO_DB": str(demo_db)}) as running:
        yield running


def open_finished(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    wait_until_finished(page, timeout_ms=60_000)  # raises on an error box
    return page


def check_page(page: Page, shot: Path, charts: int) -> None:
    assert page.get_by_test_id("stException").count() == 0
    height = full_page_screenshot(page, shot)
    drawn = page.evaluate(_DRAWN_JS)
    assert len(drawn) == charts, [c["title"] for c in drawn]
    for chart in drawn:
        assert chart["svg"] and chart["traces"] > 0 and chart["title"], chart
    image = Image.open(shot)
    assert image.size == (1400, height) and height > 3000
    colours = image.convert("RGB").resize((70, height // 20)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # not a blank page


def test_service_page_draws_every_chart(browser, server, tmp_path) -> None:
    page = open_finished(browser, f"{server.url}/service?manager=M04")
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name="Post-sale service").first.is_visible()
    assert main.get_by_text("Marek Nowak and team · as of 22 Nov 2026").is_visible()
    check_page(page, tmp_path / "service.png", charts=9)
    page.close()


def test_account_page_draws_every_chart_for_the_uncoupling_account(browser, server, tmp_path):
    page = open_finished(browser, f"{server.url}/account?account=A0023")
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name="Hansaenergie s.r.o.").is_visible()
    assert main.get_by_text("Service red").is_visible()
    check_page(page, tmp_path / "account.png", charts=10)
    assert "account=A0023" in page.url
    page.close()
