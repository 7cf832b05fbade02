"""The pipeline and buying-center pages under Streamlit's AppTest: the figures shown.

On the `pipeline` fixture (tests/data/pipeline, hand-computed figures in its README) as of
2026-06-30, and on the small demo, where the figures are checked against SQL written here.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from portfolio.charts.pipeline import _money_axis
from portfolio.core.db import rules_cursor
from tests.charts import chart_spec, charts_in
from tests.conftest import build_fixture_database, open_page

AS_OF = "2026-06-30"


@pytest.fixture(autouse=True)
def every_section(monkeypatch: pytest.MonkeyPatch) -> None:
    """The print layout: every section of a page, one after another (the tabs are tested in
    tests/test_sections.py)."""
    monkeypatch.setenv("PORTFOLIO_LAYOUT", "print")


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("pipeline", tmp_path_factory.mktemp("pages") / "p.duckdb")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_titles(at: AppTest) -> list[str]:
    return [chart_spec(chart)["layout"]["title"]["text"]
            for chart in charts_in(at)]


def scalar(db: Path, sql: str, params: list | None = None):
    with rules_cursor(db) as cursor:  # the SQL may read the rule macros
        # all rows: DuckDB 2.0 leaves a fetchone() result open on the shared connection
        return cursor.execute(sql, params or []).fetchall()[0][0]


# --- on the fixture ------------------------------------------------------------------------


def test_pipeline_page_shows_the_fixtures_figures(fixture_db, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DB", str(fixture_db))
    at = open_page("pages/pipeline.py", {"as_of": AS_OF})
    assert metrics(at) == {"Open pipeline": "€520k", "Weighted pipeline": "€242k",
                           "Stalling deals": "2", "Win rate, 12 months": "33 %",
                           "Closing within 3 months": "€290k"}
    assert [s.value for s in at.subheader] == [
        "5 open deals worth €520k", "2 stalling deals worth €150k",
        "Where deals leak and where they wait", "Win rate over time"]
    deals, stalling = at.dataframe[0].value, at.dataframe[1].value
    assert deals["deal_name"].tolist() == ["Press line", "Сервисный контракт", "Future win",
                                           "Robot cell", "Conveyor"]
    assert stalling["deal_name"].tolist() == ["Сервисный контракт", "Conveyor"]
    assert stalling["why"].tolist() == [
        "no advance for 121 days; last 3 calls were continuations; "
        "121 days in stage, usual at most 68",
        "no advance for 107 days; 107 days in stage, usual at most 42"]
    assert stalling["open"].tolist()[0] == "/account?as_of=2026-06-30&account_tab=Deals&account=A2"
    assert len(charts_in(at)) == 7
    titles = chart_titles(at)
    assert "Most open value waits in obtaining commitment: €200k" in titles
    assert "Most deals leak in obtaining commitment: 25 % lost there" in titles


def test_pipeline_search_narrows_the_deal_table(fixture_db, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DB", str(fixture_db))
    at = open_page("pages/pipeline.py", {"as_of": AS_OF})
    at.text_input(key="pipeline_search").set_value("ромашка").run()
    assert at.dataframe[0].value["deal_name"].tolist() == ["Сервисный контракт"]
    assert "Showing all 1 open deals, matching “ромашка”" in " ".join(c.value for c in at.caption)


def test_pipeline_page_follows_the_manager_filter(fixture_db, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DB", str(fixture_db))
    at = open_page("pages/pipeline.py", {"as_of": AS_OF, "manager": ["M4"]})
    assert at.subheader[0].value == "2 open deals worth €140k"
    assert at.subheader[1].value == "1 stalling deal worth €50.0k"
    assert metrics(at)["Win rate, 12 months"] == "–"


def test_buying_center_page_shows_the_fixtures_figures_and_gaps(fixture_db, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DB", str(fixture_db))
    at = open_page("pages/buying_center.py", {"as_of": AS_OF})
    assert metrics(at) == {"Open deals": "5", "Average coverage": "31 %",
                           "Late-stage alarm": "2", "Single-threaded deals": "2",
                           "Value at high risk": "€380k"}
    gaps = at.markdown[0].value.splitlines()
    assert gaps == [
        "- No decider met on 1 deal worth €50.0k in earlier stages (preliminaries, "
        "investigation)",
        "- No approver met on 1 deal worth €80.0k in demonstrating capability",
        "- No approver met on 1 deal worth €50.0k in earlier stages (preliminaries, "
        "investigation)",
        "- The only decider has left on 1 deal worth €80.0k",
        "- The only approver has left on 1 deal worth €200k",
        "- A skeptic or opponent is decider or approver on 1 deal worth €100k",
        "- 2 deals worth €290k are single-threaded: one person holds every covered role",
        "- Nobody was engaged in the last 90 days on 1 deal worth €50.0k",
    ]
    behind = at.dataframe[0].value
    assert behind["deal_name"].tolist() == ["Conveyor"]  # no decider met, the first gap
    at.button_group(key="bc_gap").set_value("decider_left").run()
    behind = at.dataframe[0].value
    assert behind["deal_name"].tolist() == ["Robot cell"]
    assert behind["why"].tolist() == ["no active decider or approver in a late stage; decider "
                                      "has left (Peter Left); only 2 of 7 roles covered"]
    grid = at.dataframe[1].value
    assert grid["deal_name"].tolist() == ["Press line", "Сервисный контракт", "Robot cell",
                                          "Future win", "Conveyor"]
    assert grid["approver"].tolist()[:2] == ["Left · neutral · Peter Left",
                                             "Long ago · opponent · Sara Old"]
    assert grid["coverage_pct"].round(1).tolist() == [42.9, 42.9, 28.6, 42.9, 0.0]
    assert chart_titles(at)[0] == "2 of these 5 deals have no active decider, 3 no active approver"
    managers = at.dataframe[2].value
    assert managers["owner_name"].tolist() == ["Leo Lead", "Mia Manager", "Max Miller"]


def test_buying_center_grid_pages_and_search(fixture_db, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DB", str(fixture_db))
    at = open_page("pages/buying_center.py", {"as_of": AS_OF, "manager": ["M2"]})
    assert metrics(at)["Open deals"] == "3"
    at.text_input(key="bc_search").set_value("robot").run()
    assert at.dataframe[1].value["deal_name"].tolist() == ["Robot cell"]


# --- on the small demo ---------------------------------------------------------------------


def test_pipeline_on_the_demo_counts_stalling_deals_like_sql(demo_db, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    at = open_page("pages/pipeline.py", {"manager": ["M02"]})
    # an independent count of the no-advance rule alone: open deals of Jonas Weber's team
    # whose last advance or stage entry is 60 days or more before the as-of date
    no_advance = scalar(demo_db, """
        WITH team AS (SELECT account_id FROM accounts
                      WHERE manager_id IN ('M02', 'M05', 'M06', 'M07')),
        open AS (SELECT d.deal_id, d.stage_since FROM deals_as_of(DATE '2026-11-22') d
                 JOIN team USING (account_id) WHERE d.stage_on NOT IN ('won', 'lost')),
        adv AS (SELECT deal_id, max(occurred_on) AS last_advance FROM calls
                WHERE outcome = 'advance' AND occurred_on <= DATE '2026-11-22' GROUP BY 1)
        SELECT count(*) FROM open LEFT JOIN adv USING (deal_id)
        WHERE DATE '2026-11-22' - greatest(stage_since, coalesce(last_advance, stage_since))
              >= 60""")
    stalling = at.dataframe[1].value
    caught = sum(1 for why in stalling["why"] if why.startswith("no advance for"))
    assert caught == no_advance > 0


def test_buying_center_on_the_demo_counts_open_deals_and_alarms_like_sql(demo_db, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    at = open_page("pages/buying_center.py", {})
    open_deals = scalar(demo_db, "SELECT count(*) FROM deals WHERE stage NOT IN ('won','lost')")
    alarm = scalar(demo_db, """
        WITH active AS (
            SELECT dc.deal_id, dc.role FROM deal_contacts dc JOIN contacts c USING (contact_id)
            WHERE (c.left_on IS NULL OR c.left_on > DATE '2026-11-22')
              AND (dc.last_contact_on IS NULL OR dc.last_contact_on <= DATE '2026-11-22'))
        SELECT count(*) FROM deals d
        WHERE d.stage IN ('demonstrating_capability', 'obtaining_commitment')
          AND (NOT EXISTS (SELECT 1 FROM active a WHERE a.deal_id = d.deal_id
                           AND a.role = 'decider')
               OR NOT EXISTS (SELECT 1 FROM active a WHERE a.deal_id = d.deal_id
                              AND a.role = 'approver'))""")
    assert metrics(at)["Open deals"] == str(open_deals)
    assert metrics(at)["Late-stage alarm"] == str(alarm)
    assert len(at.dataframe[1].value) == open_deals  # all fit in the top 500


@pytest.mark.parametrize(("axis", "labels"), [
    ("x", ["€0", "€5.0B", "€10.0B", "€15.0B", "€20.0B"]),
    ("y", ["€0", "€2.5B", "€5.0B", "€7.5B", "€10.0B", "€12.5B", "€15.0B", "€17.5B"])])
def test_billions_get_fewer_ticks_along_a_narrow_horizontal_axis(axis: str,
                                                                  labels: list[str]) -> None:
    fig = go.Figure(go.Bar(x=[1], y=[1]))
    _money_axis(fig, "EUR", 15e9, axis)
    ticks = fig.layout.xaxis if axis == "x" else fig.layout.yaxis
    assert list(ticks.ticktext) == labels
    assert list(ticks.tickvals) == [i * (5e9 if axis == "x" else 2.5e9)
                                    for i in range(len(labels))]
