"""The week in figures that the weekly report and its mails show (portfolio/read/digest.py) is
what the overview page shows for the same scope: same figures, same changes, same
decisions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from portfolio.read.digest import overview_digest
from tests.test_overview_page import open_overview

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("query, managers", [({}, []), ({"manager": "M02"}, ["M02"])])
def test_the_digest_shows_what_the_overview_page_shows(demo_db, monkeypatch, query, managers):
    at: AppTest = open_overview(demo_db, monkeypatch, {**query, "as_of": "2026-11-22"})
    digest = overview_digest(demo_db, date(2026, 11, 22), managers)
    page = {m.label: (m.value, m.proto.delta) for m in at.metric}
    assert len(page) == len(digest.headlines) == 8
    for item in digest.headlines:
        week = item.change(item.week_ago, digest.currency)
        assert page[item.label] == (item.shown(item.now, digest.currency),
                                    "" if week is None else f"{week} in a week")
    noun = "account" if digest.waiting == 1 else "accounts"
    assert at.subheader[0].value.startswith(
        f"Needs a decision this week: {digest.waiting} {noun}")
    lines = [m.value for m in at.markdown if "/account?" in m.value]
    assert [line.split("**[")[1].split("]")[0].replace("\\", "") for line in lines] == [
        d.name for d in digest.decisions]
    assert len(digest.decisions) > 0
