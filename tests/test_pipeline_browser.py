"""The pipeline and buying-center pages in a real browser on the small demo: no error box,
every tab's charts drawn, a full-page screenshot of each tab, and the drill-down from a chart
to the account."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from portfolio.delivery.browser import (
    DashboardServer,
    full_page_screenshot,
    launch_chromium,
    open_tab,
    wait_until_finished,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[DashboardServer]:
    with DashboardServer(ROOT / "dashboard.py", env={"PORTFOLIO_DB": str(demo_db)}) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def open_finished(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    wait_until_finished(page, timeout_ms=60_000)  # raises on an error box
    return page


def drawn_charts(page: Page) -> tuple[int, int]:
    charts = page.get_by_test_id("portfolio-chart")
    drawn = sum(1 for i in range(charts.count())
                if charts.nth(i).locator(".main-svg").count() > 0)
    return charts.count(), drawn


def png_height(path: Path) -> int:
    with path.open("rb") as picture:
        header = picture.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])[1]


@pytest.mark.parametrize(("path", "heading", "tab_charts"), [
    ("pipeline", "Pipeline", {"Open pipeline": 2, "Stalling deals": 1,
                              "Conversion and stage time": 2, "Win rate": 2}),
    ("buying_center", "Buying center", {"Gaps": 0, "Deal × role grid": 1, "Coverage": 2}),
])
def test_every_tab_draws_its_charts_without_an_error_box(browser, server, tmp_path, path,
                                                         heading, tab_charts):
    page = open_finished(browser, f"{server.url}/{path}?manager=M02")
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name=heading).first.is_visible()
    assert page.get_by_role("tab").all_inner_texts() == list(tab_charts)
    for index, (label, charts) in enumerate(tab_charts.items()):
        if index:
            open_tab(page, label)
            assert f"{path}_tab=" in page.url and "manager=M02" in page.url
        assert page.get_by_test_id("stException").count() == 0
        assert drawn_charts(page) == (charts, charts), label
        # every chart states a finding: a title with a figure in it
        titles = page.locator("[data-testid='portfolio-chart'] .gtitle")
        assert titles.count() == charts
        assert all(any(ch.isdigit() for ch in text) for text in titles.all_text_contents())
        shot = tmp_path / f"{path}-{index}.png"
        height = full_page_screenshot(page, shot)
        assert png_height(shot) >= height > 900
    page.close()


def test_clicking_a_stalling_deal_leads_to_its_account_with_the_filters(browser, server):
    page = open_finished(browser, f"{server.url}/pipeline?manager=M02"
                                  "&pipeline_tab=Stalling+deals")
    stalling_chart = page.get_by_test_id("portfolio-chart").first
    stalling_chart.scroll_into_view_if_needed()
    point = stalling_chart.locator(".scatterlayer path.point").first
    box = point.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    link = page.get_by_role("link", name="on the Account page")
    link.wait_for(timeout=30_000)
    wait_until_finished(page, timeout_ms=30_000)
    account_name = re.search(r"Open (.+?) \(deal ", link.inner_text()).group(1)
    link.click()
    page.wait_for_url("**/account?**", timeout=30_000)
    wait_until_finished(page, timeout_ms=30_000)
    assert "manager=M02" in page.url and "account=A" in page.url
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name=account_name).first.is_visible()
    page.close()
