"""The CRM data set (through the shipped mapping) in a real browser: scores, the marking of
revenue that comes from won deals, and no chart drawn as bare axes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from portfolio.delivery.browser import DashboardServer, launch_chromium, wait_until_finished
from portfolio.write.importer import import_sources
from tests.conftest import CRM_DATASET

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "mappings" / "crm_sales_opportunities.toml"
MARK = "Revenue from won deals: no finance data imported"
# every Plotly chart on the page, and whether it draws anything (a bar that is not 0, a
# point with a value, a heatmap cell): a chart that draws nothing shows bare axes
CHARTS_WITH_DATA = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot =>
    (plot.data || []).some(trace => {
        if (trace.type === 'heatmap') return (trace.z || []).flat().some(v => v !== null);
        const values = (trace.orientation === 'h' ? trace.x : trace.y) || [];
        return [...values].some(v => v !== null && v !== undefined
                                     && !(trace.type === 'bar' && v === 0));
    }))"""


@pytest.fixture(scope="module")
def crm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    link = tmp_path_factory.mktemp("crm_browser") / "portfolio.duckdb"
    report = import_sources([CRM_DATASET], link, mapping=MAPPING)
    assert report.ok, [str(p) for p in report.problems[:10]]
    with DashboardServer(ROOT / "dashboard.py", env={"PORTFOLIO_DB": str(link)}) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def open_finished(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    wait_until_finished(page, timeout_ms=90_000)
    return page


def test_overview_on_crm_data_shows_decisions_marked_revenue_and_no_bare_chart(
        browser, crm_server):
    page = open_finished(browser, crm_server.url + "/")
    main = page.locator('[data-testid="stMain"]')
    text = main.inner_text()
    assert MARK in text
    assert "Needs a decision this week: 12 accounts" in text
    assert "lost 9 of 14 large deals" in text  # Hottechi, the largest to review
    assert "(from won deals)" in text
    charts = page.evaluate(CHARTS_WITH_DATA)
    assert charts and all(charts), charts
    # no contact on any deal: late-stage cover cannot be judged, and the page says why
    assert ("This database holds no buying centers (contacts recorded on deals) (an export of "
            "deals alone, say), so no late-stage deal can be known to have or lack a decider "
            "or approver.") in text
    # a CRM holds no deliveries or service cases: nothing to judge, never "85 green"
    assert "Service status of the accounts: 0 red, 0 amber, 0 green, 85 without service data" \
        in text
    page.close()


def test_account_page_on_crm_data_shows_scores_what_is_missing_and_no_bare_chart(
        browser, crm_server):
    page = open_finished(browser, crm_server.url + "/account?account=hottechi")
    text = page.locator('[data-testid="stMain"]').inner_text()
    metrics = {m.locator('[data-testid="stMetricLabel"]').inner_text().strip():
               m.locator('[data-testid="stMetricValue"]').inner_text().strip()
               for m in page.locator('[data-testid="stMetric"]').all()}
    assert metrics["Attractiveness"] == "59" and metrics["Relative strength"] == "58"
    assert MARK in text
    assert ("Client financial health: not measured — import a credit feed "
            "(account_metrics.financial_health)") in text
    assert "Financial health: nothing recorded in the 24 months" in text
    assert "No delivery promised and no service case in the 365 days" in text
    assert "No service data" in text
    charts = page.evaluate(CHARTS_WITH_DATA)
    assert charts and all(charts), charts
    page.close()
