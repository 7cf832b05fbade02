"""The Service page under AppTest on the small demo: the figures shown match the database."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from portfolio.core import fmt
from portfolio.core.db import read_only_connection
from tests.charts import chart_spec, charts_in

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 22)  # the demo's newest date: the default as-of date
TEAM_OF_M02 = ["M02", "M05", "M06", "M07"]
OVERDUE_WHERE = """
    FROM service_cases JOIN accounts USING (account_id)
    WHERE status <> 'cancelled' AND opened_on <= $as_of AND due_on < $as_of
      AND (closed_on IS NULL OR closed_on > $as_of)
      AND (len($team) = 0 OR list_contains($team, manager_id))"""


def scalar(db: Path, sql: str, **params: Any) -> Any:
    """One value from the demo database, the as-of date bound as $as_of."""
    used = {key: value for key, value in {"as_of": AS_OF, "team": [], **params}.items()
            if f"${key}" in sql}
    cursor = read_only_connection(db).cursor()
    try:
        return cursor.execute(sql, used).fetchall()[0][0]
    finally:
        cursor.close()


def open_service(query: dict[str, list[str]] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/service.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def chart_titles(at: AppTest) -> list[str]:
    return [chart_spec(c)["layout"]["title"]["text"].replace("<br>", " ")
            for c in charts_in(at)]


@pytest.fixture(scope="module")
def page(demo_db: Path) -> AppTest:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTFOLIO_DB", str(demo_db))
        patch.setenv("PORTFOLIO_LAYOUT", "print")  # every section, one after another
        yield open_service()


def test_overdue_promises_and_the_never_told_ones_match_the_database(page, demo_db) -> None:
    # overdue cases, and deliveries not delivered more than 7 days after the promised day
    # (promised in 365 days; the demo has none: its undelivered ones are not due yet)
    late_open = (" FROM deliveries WHERE promised_on > $as_of - 365 AND $as_of - promised_on > 7"
                 " AND (delivered_on IS NULL OR delivered_on > $as_of)")
    overdue = (scalar(demo_db, "SELECT count(*)" + OVERDUE_WHERE)
               + scalar(demo_db, "SELECT count(*)" + late_open))
    never = (scalar(demo_db, "SELECT count(*)" + OVERDUE_WHERE + " AND (client_informed_on IS "
                             "NULL OR client_informed_on > $as_of)")
             + scalar(demo_db, "SELECT count(*)" + late_open + " AND (client_informed_on IS "
                               "NULL OR client_informed_on > $as_of)"))
    assert metric(page, "Overdue promises") == str(overdue)
    assert page.subheader[0].value == (f"{overdue} broken promises: service cases past their "
                                       "due date and deliveries more than 7 days late, "
                                       f"{never} of them never reported to the client")
    assert page.dataframe[0].value.shape[0] == overdue
    assert f"{overdue} promises overdue now, {never} never told" in chart_titles(page)[0]


def test_renewals_due_in_90_days_match_the_contracts(page, demo_db) -> None:
    due = "FROM service_contracts WHERE starts_on <= $as_of AND ends_on BETWEEN $as_of AND " \
          "$as_of + 90"
    value = scalar(demo_db, "SELECT sum(annual_value)::DOUBLE " + due)
    count = scalar(demo_db, "SELECT count(*) " + due)
    assert metric(page, "Renewals due") == fmt.money(value)
    assert f"Service contracts: {count} renewals due within 90 days" in [
        s.value for s in page.subheader]
    running = scalar(demo_db, "SELECT sum(annual_value)::DOUBLE FROM service_contracts "
                              "WHERE starts_on <= $as_of AND ends_on >= $as_of")
    assert any(t.startswith(f"{fmt.money(running)} a year in service contracts; "
                            f"{fmt.money(value)} ({count} contracts)")
               for t in chart_titles(page))


def test_every_account_gets_a_service_status_and_the_uncoupling_one_is_red(page, demo_db):
    accounts = scalar(demo_db, "SELECT count(*) FROM accounts")
    status = next(s.value for s in page.subheader if s.value.startswith("Service status"))
    bands = [int(part.split()[0]) for part in status.split(": ")[1].split(", ")]
    assert len(bands) in (3, 4) and sum(bands) == accounts  # 4th: without service data
    table = next(df.value for df in page.dataframe if "band" in df.value.columns)
    assert table.iloc[0]["band"] == "Red"
    hansa = table[table["account_name"] == "Hansaenergie s.r.o."].iloc[0]
    assert hansa["band"] == "Red"
    assert hansa["reason"].startswith("3 high or critical cases overdue (oldest 34 days)")
    assert hansa["open"].startswith("/account?") and "account=A0023" in hansa["open"]


def test_on_time_over_twelve_months_matches_the_deliveries(page, demo_db) -> None:
    # the twelve calendar months up to the as-of date: December 2025 to November 2026
    due, on_time = scalar(demo_db, """
        SELECT {'due': count(*), 'on_time': count(*) FILTER (
                   WHERE delivered_on <= promised_on AND delivered_on <= $as_of)}
        FROM deliveries WHERE promised_on <= $as_of AND promised_on >= DATE '2025-12-01'
    """).values()
    assert metric(page, "On time, 12 months") == fmt.percent(on_time / due)


def test_revenue_mix_counts_accounts_where_after_sales_out_sells_equipment(page, demo_db):
    led = scalar(demo_db, """
        SELECT count(*) FROM (
            SELECT account_id FROM account_metrics
            WHERE month <= DATE '2026-11-22' AND month > DATE '2025-11-01'
            GROUP BY account_id
            HAVING sum(service_revenue + consumables_revenue + spares_revenue)
                   > sum(equipment_revenue))""")
    assert f"Revenue mix: after-sales out-sells equipment at {led} accounts" in [
        s.value for s in page.subheader]


def test_a_lead_sees_the_broken_promises_of_the_team(demo_db, monkeypatch) -> None:
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    overdue = scalar(demo_db, "SELECT count(*)" + OVERDUE_WHERE, team=TEAM_OF_M02)
    at = open_service({"manager": ["M02"]})
    assert metric(at, "Overdue promises") == str(overdue)
    assert at.dataframe[0].value.shape[0] == overdue
    accounts = scalar(demo_db, "SELECT count(*) FROM accounts WHERE list_contains($team, "
                               "manager_id)", team=TEAM_OF_M02)
    status = next(s.value for s in at.subheader if s.value.startswith("Service status"))
    assert sum(int(p.split()[0]) for p in status.split(": ")[1].split(", ")) == accounts


def test_ages_by_kind_count_the_overdue_repairs(page, demo_db) -> None:
    overdue_repairs = scalar(demo_db, "SELECT count(*)" + OVERDUE_WHERE + " AND kind = 'repair'")
    ages = next(df.value for df in page.dataframe if "cases_overdue" in df.value.columns)
    repair = ages[ages["kind"] == "Repair"].iloc[0]
    assert repair["cases_overdue"] == overdue_repairs
    assert ages["cases_pending"].notna().all()


def test_promises_kept_late_are_listed_when_their_panel_is_opened(demo_db, monkeypatch) -> None:
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    monkeypatch.delenv("PORTFOLIO_LAYOUT", raising=False)  # tabs, as a person sees them
    at = open_service()
    tables = len(at.dataframe)
    assert len(at.expander[0].dataframe) == 0  # closed: nothing drawn
    at.session_state["service_kept_late"] = True
    at.run()
    assert len(at.dataframe) == tables + 1
    late = at.expander[0].dataframe[0].value
    # service cases closed after their due date, and deliveries delivered more than
    # late_delivery_days (7) after the promised day, promised in the 365 days
    kept_late = scalar(demo_db, """
        SELECT (SELECT count(*) FROM service_cases
                WHERE status <> 'cancelled' AND opened_on > $as_of - 365 AND opened_on <= $as_of
                  AND closed_on <= $as_of AND closed_on > due_on AND due_on < $as_of)
             + (SELECT count(*) FROM deliveries
                WHERE promised_on > $as_of - 365 AND delivered_on <= $as_of
                  AND delivered_on - promised_on > 7)""")
    assert late.shape[0] == min(kept_late, 200)
    assert any(m.value.startswith(f"**Promises kept late: {kept_late}**")
               for m in at.markdown)
