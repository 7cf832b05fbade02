"""The Account page under AppTest on the small demo: A0023, the strategic account whose
manager was replaced, whose champion left and whose repair promises were broken."""

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


def scalar(db: Path, sql: str) -> Any:
    """One value from the demo database about A0023 ($account), as of $as_of."""
    params = {"as_of": AS_OF, "account": "A0023"}
    cursor = read_only_connection(db).cursor()
    try:
        used = {key: value for key, value in params.items() if f"${key}" in sql}
        return cursor.execute(sql, used).fetchall()[0][0]
    finally:
        cursor.close()


def open_account(query: dict[str, list[str]]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/account.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def subheader(at: AppTest, start: str) -> str:
    return next(s.value for s in at.subheader if s.value.startswith(start))


def chart_titles(at: AppTest) -> list[str]:
    return [chart_spec(c)["layout"]["title"]["text"].replace("<br>", " ")
            for c in charts_in(at)]


@pytest.fixture(scope="module")
def page(demo_db: Path) -> AppTest:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTFOLIO_DB", str(demo_db))
        patch.setenv("PORTFOLIO_LAYOUT", "print")  # every section, one after another
        yield open_account({"account": ["A0023"]})


def test_the_account_in_the_url_with_its_profile_and_red_service(page, demo_db) -> None:
    name, manager = scalar(demo_db, "SELECT [a.name, m.name] FROM accounts a JOIN managers m "
                                    "USING (manager_id) WHERE account_id = $account")
    assert page.subheader[0].value == name
    assert page.query_params["account"] == "A0023"
    shown = " ".join(m.value for m in page.markdown)
    assert f"**{manager}**" in shown and "**Strategic**" in shown
    assert "Service red</span>&nbsp; 3 high or critical cases overdue (oldest 34 days): " \
           "repair; client not told about 2 overdue cases" in shown


def test_attractiveness_section_shows_the_24_month_trends(page) -> None:
    assert any(s.value == "Attractiveness" for s in page.subheader)
    titles = chart_titles(page)
    for start in ("Service, consumables and spares", "Gross margin", "Client market share",
                  "Financial health", "Our share of wallet"):
        assert any(t.startswith(start) for t in titles), start


def test_open_deals_count_and_value_match_the_database(page, demo_db) -> None:
    count, value = scalar(demo_db, "SELECT (count(*), sum(value)::DOUBLE) FROM deals WHERE "
                                   "account_id = $account AND stage NOT IN ('won', 'lost')")
    assert subheader(page, "Open deals") == f"Open deals: {count}, worth {fmt.money(value)}"
    deals = next(df.value for df in page.dataframe if "deal_name" in df.value.columns)
    assert deals.shape[0] == count


def test_buying_center_names_who_left(page, demo_db) -> None:
    people, left = scalar(demo_db, "SELECT [count(*), count(*) FILTER (WHERE left_on <= "
                                   "$as_of)] FROM contacts WHERE account_id = $account")
    assert subheader(page, "Buying center") == (f"Buying center: {people} people, {left} of "
                                                "them left the client")
    table = next(df.value for df in page.dataframe if "roles" in df.value.columns)
    # the uncoupling story's champion, its Head of Maintenance, left 52 days before as-of
    name = scalar(demo_db, "SELECT name FROM contacts WHERE account_id = $account "
                           "AND title = 'Head of Maintenance' AND left_on IS NOT NULL")
    champion = table[(table["name"] == name) & table["left_on"].notna()].iloc[0]
    assert champion["state"] == "Left the client"
    assert str(champion["left_on"])[:10] == "2026-10-01"


def test_service_section_lists_the_overdue_repairs(page, demo_db) -> None:
    overdue = scalar(demo_db, "SELECT count(*) FROM service_cases WHERE account_id = $account "
                              "AND status <> 'cancelled' AND due_on < $as_of "
                              "AND (closed_on IS NULL OR closed_on > $as_of)")
    assert subheader(page, "Service red") == f"Service red, {overdue} cases overdue"
    cases = next(df.value for df in page.dataframe if "told" in df.value.columns)
    assert list(cases[cases["state"] == "Overdue"]["told"]) == ["Never", "Late", "Never"]
    running = scalar(demo_db, "SELECT sum(annual_value)::DOUBLE FROM service_contracts "
                              "WHERE account_id = $account AND starts_on <= $as_of "
                              "AND ends_on >= $as_of")
    assert next(m.value for m in page.metric if m.label == "Service contracts") == \
        fmt.money(running)


def test_timeline_tells_the_uncoupling_story(page, demo_db) -> None:
    recorded = scalar(demo_db, "SELECT count(*) FROM relationship_events WHERE account_id = "
                               "$account AND occurred_on <= $as_of "
                               "AND occurred_on > $as_of - INTERVAL 24 MONTH")
    events = next(df.value for df in page.dataframe if "source" in df.value.columns)
    assert (events["source"] == "recorded event").sum() == recorded
    assert subheader(page, "Relationship timeline") == (
        f"Relationship timeline: {events.shape[0]} events in 24 months")
    assert "Key-account manager changed: Zofia Kowalska → Tomas Svoboda" in list(events["note"])
    assert any(t.startswith("Last 90 days: 3× promise broken") for t in chart_titles(page))


def test_an_account_outside_the_filters_gets_a_notice(demo_db, monkeypatch) -> None:
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    at = open_account({"account": ["A0023"], "manager": ["M02"]})
    assert any("is not among the accounts in view" in w.value for w in at.warning)
    first = scalar(demo_db, "SELECT name FROM accounts WHERE manager_id IN "
                            "('M02', 'M05', 'M06', 'M07') ORDER BY CASE tier WHEN 'strategic' "
                            "THEN 1 WHEN 'key' THEN 2 ELSE 3 END, name LIMIT 1")
    assert at.subheader[0].value == first


def test_an_early_as_of_date_shows_empty_sections_without_errors(demo_db, monkeypatch) -> None:
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    monkeypatch.setenv("PORTFOLIO_LAYOUT", "print")
    at = open_account({"account": ["A0023"], "as_of": ["2024-11-01"]})
    assert subheader(at, "Open deals") == "Open deals: 0, worth €0"
    assert subheader(at, "Relationship timeline").startswith("Relationship timeline: ")
    # the open-cases chart has nothing to show: it says so in words, not with bare axes
    assert "No service case open on the as-of date" in [i.value for i in at.info]
    assert "No service case open on the as-of date" not in chart_titles(at)


def test_find_narrows_the_picker_and_keeps_the_account_shown(demo_db, monkeypatch) -> None:
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    at = open_account({"account": ["A0023"]})
    picker = at.selectbox(key="account_pick")
    assert len(picker.options) == 120 and picker.value == "A0023"
    at.text_input(key="account_find").input("metall").run()
    picker = at.selectbox(key="account_pick")
    ids = [next(a for a, n in names(demo_db).items() if n == o) for o in picker.options]
    matching = sorted(a for a, n in names(demo_db).items() if "metall" in n.lower())
    assert ids[0] == "A0023" and sorted(ids[1:]) == matching  # the shown account stays first
    assert at.subheader[0].value == "Hansaenergie s.r.o."
    at.session_state["account_pick"] = ids[1]  # choose the first match
    at.run()
    assert at.subheader[0].value == names(demo_db)[ids[1]]
    assert at.query_params["account"] == ids[1]
    at.text_input(key="account_find").input("no such account").run()
    assert "No account in view matches “no such account”." in [c.value for c in at.caption]


def names(db: Path) -> dict[str, str]:
    cursor = read_only_connection(db).cursor()
    try:
        return dict(cursor.execute("SELECT account_id, name FROM accounts").fetchall())
    finally:
        cursor.close()
