"""The Service and Account pages in a real browser (system Chromium) on a fresh server:
no error box, every tab's charts drawn with their data, each tab captured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from portfolio.delivery.browser import (
    DashboardServer,
    full_page_screenshot,
    launch_chromium,
    open_tab,
    wait_until_finished,
)

ROOT = Path(__file__).resolve().parent.parent

# For each chart on the page: how many drawn traces (bars, lines, markers) it holds.
_DRAWN_JS = """() => [...document.querySelectorAll('[data-testid="portfolio-chart"]')].map(
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
    assert image.size == (1400, height) and height > 900
    colours = image.convert("RGB").resize((70, height // 20)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # not a blank page


def check_tabs(page: Page, tab_key: str, tab_charts: dict[str, int], folder: Path) -> None:
    """Open every tab in turn (by clicking it, as a person would) and check its charts."""
    assert page.get_by_role("tab").all_inner_texts() == list(tab_charts)
    for index, (label, charts) in enumerate(tab_charts.items()):
        if index:
            open_tab(page, label)
            assert f"{tab_key}=" in page.url
        check_page(page, folder / f"{tab_key}-{index}.png", charts)


def test_service_page_draws_every_chart(browser, server, tmp_path) -> None:
    page = open_finished(browser, f"{server.url}/service?manager=M04")
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name="Post-sale service").first.is_visible()
    assert main.get_by_text("Marek Nowak and team · as of 22 Nov 2026").is_visible()
    check_tabs(page, "service_tab", {"Broken promises": 2, "Post-sale checklist": 0,
                                     "By account": 0, "Deliveries": 2,
                                     "Cases and setup": 2, "Contracts": 1, "Revenue mix": 2},
               tmp_path)
    assert "manager=M04" in page.url
    page.close()


def test_account_page_draws_every_chart_for_the_uncoupling_account(browser, server, tmp_path):
    page = open_finished(browser, f"{server.url}/account?account=A0023")
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name="Hansaenergie s.r.o.").is_visible()
    assert main.get_by_text("Service red").is_visible()
    check_tabs(page, "account_tab", {"Attractiveness": 5, "Deals": 1, "Buying center": 1,
                                     "Service": 2, "After the sale": 0, "Timeline": 1},
               tmp_path)
    assert "account=A0023" in page.url
    page.close()
