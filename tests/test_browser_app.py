"""The dashboard in a real browser: deep links with filters on a freshly started server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from portfolio.core import fmt
from portfolio.core.db import read_only_connection
from portfolio.delivery.browser import DashboardServer, launch_chromium, wait_until_finished

ROOT = Path(__file__).resolve().parent.parent
TEAM_OF_M02 = ["M02", "M05", "M06", "M07"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture()
def fresh_server(demo_db: Path) -> Iterator[DashboardServer]:
    """A new server process for each test: deep links must work before anyone opens /."""
    with DashboardServer(ROOT / "dashboard.py", env={"PORTFOLIO_DB": str(demo_db)}) as server:
        yield server


def open_finished(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    wait_until_finished(page, timeout_ms=60_000)
    return page


def open_deals_of_team(db: Path, tiers: list[str]) -> tuple[int, float]:
    cursor = read_only_connection(db).cursor()
    try:
        return cursor.execute(
            "SELECT count(*), sum(value)::DOUBLE FROM deals JOIN accounts USING (account_id) "
            "WHERE stage NOT IN ('won', 'lost') AND list_contains(?, manager_id) "
            "AND list_contains(?, tier)", [TEAM_OF_M02, tiers]).fetchall()[0]
    finally:
        cursor.close()


def test_deep_link_with_filters_opens_the_right_page_filters_and_figures(
        browser, fresh_server, demo_db):
    page = open_finished(browser, f"{fresh_server.url}/pipeline?manager=M02&tier=key")
    count, value = open_deals_of_team(demo_db, ["key"])
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name="Pipeline").first.is_visible()
    assert main.get_by_text(f"{count} open deals worth {fmt.money(value)}").is_visible()
    assert main.get_by_text("Jonas Weber and team · key · as of 22 Nov 2026").is_visible()
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_text("Jonas Weber (DACH) · team of 3").is_visible()
    assert page.get_by_test_id("portfolio-chart").first.locator(".main-svg").first.is_visible()
    page.close()


def test_a_deep_link_finds_the_server_at_its_root_at_once(browser, fresh_server):
    # Without the base address in the page (portfolio/delivery/serve.py), Streamlit first
    # asks for /service/_stcore/health, is refused and retries at the root 100 ms later.
    page = open_finished(browser, f"{fresh_server.url}/service?tier=key")
    asked = page.evaluate("performance.getEntriesByType('resource').map((r) => r.name)")
    health = [url for url in asked if url.split("?")[0].endswith("/_stcore/health")]
    assert health == [f"{fresh_server.url}/_stcore/health"]
    assert page.get_by_test_id("stMain").get_by_role("heading", name="Service").first.is_visible()
    page.close()


def test_deep_links_opened_at_the_same_moment_on_a_fresh_server_all_work(browser, fresh_server):
    # Streamlit's legacy-pages flag is process-wide: only the first of several sessions
    # used to rerun through the entry script, the others failed on a missing page context.
    paths = {"/pipeline": "Pipeline", "/buying_center": "Buying center", "/service": "service",
             "/attractiveness": "attractiveness", "/account": "Account"}
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in paths]
    tabs = [context.new_page() for context in contexts]
    for tab, path in zip(tabs, paths, strict=True):
        tab.goto(fresh_server.url + path, wait_until="commit")
    for tab, heading in zip(tabs, paths.values(), strict=True):
        wait_until_finished(tab, timeout_ms=60_000)
        assert tab.get_by_test_id("stException").count() == 0
        assert heading.lower() in tab.get_by_role("heading").first.inner_text().lower()
    for context in contexts:
        context.close()


def test_filters_survive_a_reload_and_a_switch_to_another_page(browser, fresh_server):
    page = open_finished(browser, f"{fresh_server.url}/?manager=M02&as_of=2026-06-30")
    page.reload()
    wait_until_finished(page, timeout_ms=60_000)
    main = page.get_by_test_id("stMain")
    assert main.get_by_text("Jonas Weber and team · as of 30 Jun 2026").is_visible()
    page.get_by_test_id("stSidebar").get_by_role("link", name="Service").click()
    page.wait_for_url("**/service?**")
    wait_until_finished(page, timeout_ms=60_000)
    assert "manager=M02" in page.url and "as_of=2026-06-30" in page.url
    assert main.get_by_role("heading", name="Post-sale service").first.is_visible()
    assert main.get_by_text("Jonas Weber and team · as of 30 Jun 2026").is_visible()
    page.close()


def test_bad_deep_link_shows_a_friendly_notice_and_no_traceback(browser, fresh_server):
    page = open_finished(
        browser, f"{fresh_server.url}/buying_center?manager=%27%3B%20DROP%20TABLE%20deals&as_of=x")
    alerts = page.get_by_test_id("stAlert").all_inner_texts()
    assert any("Unknown manager" in text for text in alerts), alerts
    assert any("is not a date like" in text for text in alerts), alerts
    assert page.get_by_test_id("stException").count() == 0
    main = page.get_by_test_id("stMain")
    assert main.get_by_text("All managers · as of 22 Nov 2026").is_visible()
    page.close()
