"""The Attractiveness page under AppTest: the figures, the suggestions list, the why of one
account and the what-if weights, on tests/data/scoring (as of 30 Jun 2026, its newest
date) and on the small demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from portfolio.core.db import database_version
from portfolio.core.registry import PAGES
from portfolio.read import scoring, stored
from tests.charts import chart_spec, charts_in
from tests.conftest import build_fixture_database

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/attractiveness.py"


@pytest.fixture(scope="module")
def scoring_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("scoring",
                                  tmp_path_factory.mktemp("scoring_page") / "scoring.duckdb")


def open_page(db: Path, monkeypatch: pytest.MonkeyPatch, page: str = PAGE,
              query: dict[str, str] | None = None) -> AppTest:
    monkeypatch.setenv("PORTFOLIO_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != PAGES[0].path:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def charts(at: AppTest) -> list[dict]:
    return [chart_spec(chart) for chart in charts_in(at)]


def test_counts_list_and_matrix(scoring_db, monkeypatch):
    at = open_page(scoring_db, monkeypatch)
    assert metrics(at) == {"Accounts in view": "5", "To downgrade or drop": "1",
                           "To repair": "1", "To upgrade": "1", "To review": "1",
                           "Not enough data": "0"}
    table = at.dataframe[0].value
    assert table["name"].tolist() == ["Repair Mining AB", "Falling Steel AG", "ООО Подъём",
                                      "Borderline Chemie GmbH", "Healthy Growth Oy"]
    assert table["suggestion"].tolist() == ["Repair", "Downgrade", "Upgrade", "Review", "Keep"]
    falling = table[table["name"] == "Falling Steel AG"].iloc[0]
    assert falling["why"] == ("client market share 18.0 % → 11.2 % in 12 months · financial "
                              "health 72 → 41 in 12 months · revenue −35 % year on year "
                              "(€1.0M → €650k) · attractiveness 56 → 29 in 12 months")
    assert falling["suggested_tier"] == "Standard"
    assert round(falling["attractiveness"], 2) == 28.85
    assert falling["open"].startswith("/account?") and "account=F1" in falling["open"]
    assert falling["why_link"].startswith("/attractiveness?")  # opens the Why tab for F1
    assert "attractiveness_tab=Why" in falling["why_link"] and "account=F1" in falling["why_link"]
    matrix = charts(at)[0]
    assert matrix["layout"]["title"]["text"].startswith(
        "Accounts needing a decision: 1 to downgrade, 1 to repair, 1 standard worth upgrading")
    names = {trace["name"] for trace in matrix["data"]}
    assert {"Repair (1)", "Downgrade (1)", "Upgrade (1)", "Review (1)", "Keep (1)",
            "12 months ago"} <= names
    repair = next(t for t in matrix["data"] if t["name"] == "Repair (1)")
    assert repair["customdata"] == ["R1"]
    assert round(repair["y"][0], 2) == 65.05 and round(repair["x"][0], 2) == 68.97


def test_why_of_the_account_in_the_link(scoring_db, monkeypatch):
    at = open_page(scoring_db, monkeypatch, query={"account": "F1", "attractiveness_tab": "Why"})
    assert at.selectbox(key="attractiveness_pick").value == "F1"
    texts = [m.value for m in at.markdown]
    assert any("client market share 18\\.0 % → 11\\.2 % in 12 months" in t for t in texts)
    assert any("financial health 72 → 41 in 12 months" in t for t in texts)
    shown = metrics(at)
    assert (shown["Attractiveness"], shown["Strength"], shown["Risk"]) == ("29", "60", "Low")
    why = charts(at)[0]
    assert why["layout"]["title"]["text"].startswith(
        "Attractiveness 29, down 27 from 56 in 12 months")
    explained = at.dataframe[0].value
    share = explained[explained["label"] == "Client market share"].iloc[0]
    assert (share["value_before"], share["value"]) == ("18.0 %", "11.2 %")


def stored_derivations(db: Path) -> set[str]:
    folder = stored.results_dir(database_version(db))
    return {path.name for path in folder.iterdir() if path.name.startswith("d.")}


def test_what_if_weights_change_suggestions_and_save_nothing(scoring_db, monkeypatch):
    before_db = database_version(scoring_db)
    before_toml = scoring.SCORING_FILE.read_text(encoding="utf-8")
    at = open_page(scoring_db, monkeypatch)
    assert len(at.slider) == 0  # the closed what-if panel draws no sliders
    at.session_state["what_if_panel"] = True  # open it
    at.run()
    weights = {"size": 10, "growth": 10, "gross_margin": 10, "market_share": 10,
               "market_share_trend": 40, "financial_health": 10,
               "financial_health_trend": 5, "aftersales": 5}
    stored_frames = stored_derivations(scoring_db)
    assert stored_frames  # the saved weights' scores are stored beside the release
    for key, value in weights.items():
        at.slider(key=f"wa_{key}").set_value(value)
    at.run()
    assert not at.exception
    assert stored_derivations(scoring_db) == stored_frames  # what-if scores stay in memory
    notice = " ".join(i.value for i in at.info)
    assert "1 account would get another suggestion than with the saved weights" in notice
    assert "Borderline Chemie GmbH (review → downgrade)" in notice
    table = at.dataframe[0].value
    assert table[table["name"] == "Borderline Chemie GmbH"]["suggestion"].tolist() == [
        "Downgrade"]
    assert database_version(scoring_db) == before_db
    assert scoring.SCORING_FILE.read_text(encoding="utf-8") == before_toml
    at.session_state["what_if_panel"] = False  # closed, the chosen weights stay in use
    at.run()
    assert len(at.slider) == 0
    assert "Borderline Chemie GmbH (review → downgrade)" in " ".join(i.value for i in at.info)
    at.session_state["what_if_panel"] = True  # and the sliders show them again
    at.run()
    assert at.slider(key="wa_market_share_trend").value == 40
    at.button[0].click().run()  # back to the saved weights
    assert at.slider(key="wa_market_share_trend").value == 12
    table = at.dataframe[0].value
    assert table[table["name"] == "Borderline Chemie GmbH"]["suggestion"].tolist() == ["Review"]


def test_demo_puts_the_uncoupling_account_first_as_repair(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch)
    table = at.dataframe[0].value
    assert table.iloc[0]["suggestion"] == "Repair"
    assert table.iloc[0]["name"] == "Hansaenergie s.r.o."
    assert metrics(at)["Accounts in view"] == "120"
    assert "key-account manager changed" in table.iloc[0]["why"]
