"""Pages whose sections are tabs run only the chosen tab (kept in the URL); the print layout
of the weekly export runs every section, one after another, and shows the same content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from portfolio.core.registry import SECTION_KEYS
from tests.charts import chart_config, chart_spec, charts_in
from tests.conftest import open_page

TABBED = {  # page: (its tab key, an extra link parameter)
    "pages/pipeline.py": ("pipeline_tab", {}),
    "pages/buying_center.py": ("buying_center_tab", {}),
    "pages/service.py": ("service_tab", {}),
    "pages/attractiveness.py": ("attractiveness_tab", {"account": "A0023"}),
    "pages/account.py": ("account_tab", {"account": "A0023"}),
}


def content(node: Any) -> dict[str, list]:
    """What a page (or one of its tabs) shows, in order: section headings, chart titles, the
    number of rows of each table."""
    return {
        "headings": [s.value for s in node.subheader],
        "charts": [chart_spec(c)["layout"]["title"]["text"]
                   for c in charts_in(node)],
        "tables": [len(d.value) for d in node.dataframe],
    }


def split(page: dict[str, list], top: dict[str, list]) -> tuple[dict, dict]:
    """A page's content as what its top shows (as long as `top`) and the rest."""
    return ({part: values[:len(top[part])] for part, values in page.items()},
            {part: values[len(top[part]):] for part, values in page.items()})


def shown_tabs(at: AppTest) -> list[str]:
    """The labels of the tabs that have content."""
    return [tab.label for tab in at.tabs if tab.children]


@pytest.fixture(autouse=True)
def served(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    monkeypatch.delenv("PORTFOLIO_LAYOUT", raising=False)


def test_every_tab_key_belongs_to_one_page() -> None:
    assert sorted(key for key, _ in TABBED.values()) == sorted(SECTION_KEYS)


@pytest.mark.parametrize("page", TABBED)
def test_a_page_opens_on_its_first_tab_and_runs_only_that(page: str) -> None:
    _, extra = TABBED[page]
    at = open_page(page, extra)
    labels = [tab.label for tab in at.tabs]
    assert len(labels) >= 2
    assert shown_tabs(at) == labels[:1]


@pytest.mark.parametrize("page", TABBED)
def test_the_tabs_together_show_what_the_print_layout_shows(page: str, monkeypatch) -> None:
    key, extra = TABBED[page]
    labels = [tab.label for tab in open_page(page, extra).tabs]
    tabs: dict[str, list] = {"headings": [], "charts": [], "tables": []}
    on_screen: list[bool] = []
    for index, label in enumerate(labels):
        at = open_page(page, {**extra, key: label})
        on_screen += [chart_config(c).get("staticPlot", False) for c in charts_in(at)]
        assert shown_tabs(at) == [label]
        # the tab stays in the address (Streamlit drops the first tab's, the default)
        assert at.query_params.get(key) == (None if label == labels[0] else label)
        shown, page_content = content(at.tabs[index]), content(at)
        top = {part: values[:len(values) - len(shown[part])]  # above the tabs
               for part, values in page_content.items()}
        for part, values in shown.items():
            tabs[part] += values
    monkeypatch.setenv("PORTFOLIO_LAYOUT", "print")
    printed = open_page(page, extra)
    assert len(printed.tabs) == 0
    assert split(content(printed), top) == (top, tabs)
    assert len(tabs["headings"]) >= len(labels)  # every section says what it shows
    # printed charts are pictures (no hover, zoom or tool bar); on screen they are not
    assert {chart_config(c).get("staticPlot") for c in charts_in(printed)} == {True}
    assert on_screen and not any(on_screen)


def test_an_unknown_tab_in_the_link_gets_a_notice_and_the_first_tab() -> None:
    at = open_page("pages/service.py", {"service_tab": "Nonsense"})
    notice = " ".join(w.value for w in at.warning)
    assert "This page has no tab “Nonsense”; showing “Broken promises”." in notice
    assert shown_tabs(at) == ["Broken promises"]
    assert "service_tab" not in at.query_params


def test_a_search_survives_a_visit_to_another_tab() -> None:
    at = open_page("pages/buying_center.py", {})
    at.session_state["buying_center_tab"] = "Deal × role grid"
    at.run()
    at.text_input(key="bc_search").input("Hansa").run()
    grid_caption = next(c.value for c in at.caption if "open deals matching" in c.value)
    at.session_state["buying_center_tab"] = "Coverage"
    at.run()
    assert shown_tabs(at) == ["Coverage"]
    at.session_state["buying_center_tab"] = "Deal × role grid"
    at.run()
    assert at.text_input(key="bc_search").value == "Hansa"
    assert grid_caption in [c.value for c in at.caption]


@pytest.mark.parametrize(("page", "query", "tab"), [
    ("pages/service.py", {}, "Service"),
    ("pages/service.py", {"service_tab": "Revenue mix"}, "Attractiveness"),  # its mix chart
    ("pages/pipeline.py", {}, "Deals"),
    ("pages/buying_center.py", {}, "Buying center"),
])
def test_links_to_an_account_open_the_tab_about_the_row(page: str, query: dict[str, str],
                                                         tab: str) -> None:
    at = open_page(page, {"manager": "M02", **query})
    links = at.dataframe[0].value["open"].tolist()
    assert links and all(link.startswith("/account?") and "manager=M02" in link
                         and f"account_tab={tab.replace(' ', '+')}" in link
                         for link in links)
