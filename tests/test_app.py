"""Every page runs under AppTest on the demo database and shows the right numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from portfolio.core.db import read_only_connection
from portfolio.core.registry import PAGES
from tests.charts import charts_in

ROOT = Path(__file__).resolve().parent.parent
TEAM_OF_M02 = ("M02", "M05", "M06", "M07")


def scalar(db: Path, sql: str, params: list | None = None):
    cursor = read_only_connection(db).cursor()
    try:
        return cursor.execute(sql, params or []).fetchall()[0][0]
    finally:
        cursor.close()


def open_page(page: str, query: dict[str, list[str] | str] | None = None) -> AppTest:
    """Open the app with query parameters in the URL, then switch to the page."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != PAGES[0].path:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(autouse=True)
def _serve_demo(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))


def test_every_page_file_is_registered_and_every_registered_page_exists():
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert {page.path for page in PAGES} == files


@pytest.mark.parametrize("page", [p.path for p in PAGES], ids=[p.label for p in PAGES])
def test_page_runs_with_title_filters_and_a_chart_or_table(page):
    at = open_page(page)
    assert at.title[0].value
    assert "as of 22 Nov 2026" in at.caption[0].value
    assert at.sidebar.multiselect(key="f_manager") is not None
    assert len(charts_in(at)) + len(at.dataframe) >= 1


def test_overview_counts_key_accounts_like_the_database(demo_db):
    expected = scalar(demo_db, "SELECT count(*) FROM accounts WHERE tier IN ('strategic','key')")
    assert metric(open_page("pages/overview.py"), "Key accounts") == str(expected)


def test_overview_for_a_lead_counts_the_whole_team(demo_db):
    expected = scalar(demo_db, "SELECT count(*) FROM accounts WHERE tier IN ('strategic','key') "
                               "AND list_contains(?, manager_id)", [list(TEAM_OF_M02)])
    at = open_page("pages/overview.py", {"manager": ["M02"]})
    assert metric(at, "Key accounts") == str(expected)
    assert at.sidebar.multiselect(key="f_manager").value == ["M02"]
    assert "Jonas Weber" in at.caption[0].value


def test_pipeline_lists_the_open_deals_of_the_database(demo_db):
    open_deals = scalar(demo_db, "SELECT count(*) FROM deals WHERE stage NOT IN ('won','lost')")
    at = open_page("pages/pipeline.py")
    assert at.subheader[0].value.startswith(f"{open_deals} open deals worth €")
    assert at.dataframe[0].value.shape[0] == open_deals


def test_buying_center_counts_open_deals_with_the_tier_filter(demo_db):
    expected = scalar(demo_db, "SELECT count(*) FROM deals JOIN accounts USING (account_id) "
                               "WHERE stage NOT IN ('won','lost') AND tier = 'strategic'")
    at = open_page("pages/buying_center.py", {"tier": ["strategic"]})
    assert metric(at, "Open deals") == str(expected)


def test_service_names_every_overdue_case(demo_db):
    overdue = scalar(demo_db, "SELECT count(*) FROM service_cases WHERE due_on < DATE '2026-11-22'"
                              " AND closed_on IS NULL AND status <> 'cancelled'")
    at = open_page("pages/service.py")
    assert at.subheader[0].value.startswith(f"{overdue} broken promises")
    assert at.dataframe[0].value.shape[0] == overdue


def test_attractiveness_lists_every_account_of_the_region(demo_db):
    expected = scalar(demo_db, "SELECT count(*) FROM accounts WHERE region = 'CEE'")
    at = open_page("pages/attractiveness.py", {"region": ["CEE"]})
    assert at.dataframe[0].value.shape[0] == expected


def test_account_page_shows_the_account_named_in_the_url(demo_db):
    name = scalar(demo_db, "SELECT name FROM accounts WHERE account_id = 'A0005'")
    at = open_page("pages/account.py", {"account": "A0005"})
    assert at.subheader[0].value == name
    assert at.query_params["account"] == "A0005"


def test_unknown_account_in_the_url_gets_a_notice_not_a_traceback():
    at = open_page("pages/account.py", {"account": "'; DROP TABLE accounts; --"})
    assert any("is not among the accounts in view" in w.value for w in at.warning)


def test_bad_filters_in_the_url_get_notices_and_the_whole_portfolio(demo_db):
    everything = metric(open_page("pages/overview.py"), "Key accounts")
    at = open_page("pages/overview.py", {"manager": ["nobody"], "as_of": ["2026-13-45"],
                                    "tier": ["x' OR 1=1 --"]})
    warnings = " ".join(w.value for w in at.warning)
    assert "Unknown manager “nobody”" in warnings
    assert "does not exist" in warnings
    assert "Unknown tier" in warnings
    assert metric(at, "Key accounts") == everything
    assert "manager" not in at.query_params and "tier" not in at.query_params


def test_as_of_date_in_the_url_moves_the_view_back_in_time():
    at = open_page("pages/overview.py", {"as_of": ["2026-06-30"]})
    assert "as of 30 Jun 2026" in at.caption[0].value
    assert at.sidebar.date_input(key="f_as_of").value.isoformat() == "2026-06-30"


def test_changing_a_filter_writes_it_to_the_url_and_changes_the_figures(demo_db):
    at = open_page("pages/overview.py")
    before = metric(at, "Key accounts")
    at.sidebar.multiselect(key="f_tier").set_value(["key"]).run()
    expected = scalar(demo_db, "SELECT count(*) FROM accounts WHERE tier = 'key'")
    assert at.query_params["tier"] == "key"
    assert metric(at, "Key accounts") == str(expected) != before


def test_account_page_shows_the_scoring_verdict_for_the_uncoupling_story(demo_db):
    account = scalar(demo_db, "SELECT account_id FROM relationship_events "
                              "WHERE note LIKE 'Key-account manager changed:%'")
    at = open_page("pages/account.py", {"account": account})
    verdict = next(m.value for m in at.markdown if "uncoupling risk" in m.value)
    assert ">Repair</span>" in verdict and "uncoupling risk **high**" in verdict
    assert metric(at, "Attractiveness").isdigit()


def test_overview_counts_every_account_in_a_service_band(demo_db):
    import re

    line = next(m.value for m in open_page("pages/overview.py").markdown
                if m.value.startswith("Service status of the accounts"))
    counts = [int(n) for n in re.findall(
        r">(\d+) (?:red|amber|green|without service data)<", line)]
    assert len(counts) in (3, 4)
    assert sum(counts) == scalar(demo_db, "SELECT count(*) FROM accounts")
