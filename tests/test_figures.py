"""One definition per figure: every page, the overview's charts and the command line show
the registry's value (portfolio/read/figures.py) wherever they show a figure's label."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import queries
from portfolio.core import fmt
from portfolio.core.filters import Filters
from portfolio.core.registry import PAGES
from portfolio.read import figures, scoring
from portfolio.read.context import MemoryCaches, PageContext
from tests.charts import chart_spec, charts_in
from tests.conftest import ROOT, open_page

NEWEST = None
VIEWS = {  # whole portfolio, a lead's team, a manager's key accounts
    "all": {},
    "team": {"manager": "M02"},
    "key_of_one": {"manager": "M05", "tier": "key"},
}
DATES = ("2026-06-30", NEWEST)
PAGES_WITH_FIGURES = [page.path for page in PAGES if page.path != "pages/account.py"]


def context(db: Path, query: dict[str, str], as_of: str | None) -> PageContext:
    dates = queries.run("data_dates", db=db).row(0, named=True)
    filters = Filters(as_of=date.fromisoformat(as_of) if as_of else dates["newest_on"],
                      manager_ids=tuple(filter(None, [query.get("manager")])),
                      tiers=tuple(filter(None, [query.get("tier")])))
    return PageContext(filters, dates["currency"], db, dates["newest_on"], {},
                       caches=MemoryCaches())


def registry(db: Path, query: dict[str, str], as_of: str | None) -> dict[str, str]:
    """label -> display, from the registry for that view."""
    rows = figures.rows(context(db, query, as_of), scoring.load_scoring_config())
    return {row.figure.label: row.display for row in rows}


@pytest.mark.parametrize("as_of", DATES, ids=["30 Jun 2026", "newest"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_every_page_shows_the_registry_value_of_each_figure(demo_db, monkeypatch, view, as_of):
    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    query = {**VIEWS[view], **({"as_of": as_of} if as_of else {})}
    expected = registry(demo_db, VIEWS[view], as_of)
    compared = 0
    for page in PAGES_WITH_FIGURES:
        at = open_page(page, query)
        for metric in at.metric:
            if metric.label in expected:
                assert metric.value == expected[metric.label], (page, metric.label)
                assert metric.help == figures.BY_LABEL[metric.label].definition
                compared += 1
        if page == "pages/overview.py":
            title = chart_spec(charts_in(at)[1])["layout"]["title"]["text"]
            alarm = expected["Late-stage alarm"]
            if alarm != "0":
                assert title.startswith(f"{alarm} late-stage deal"), title
                assert f"({expected['Late-stage value at risk']})" in title, title
    # the overview's eight, the pipeline's three, the buying center's two, attractiveness' six
    assert compared == 8 + 3 + 2 + 6


def test_the_late_stage_alarm_is_the_buying_center_pages_alarm(demo_db):
    """Settled rule: a late stage is one of settings' late_stages; a late-stage deal lacks
    cover when it misses an active decider or an active approver. The overview's figure and
    the buying-center page's gap list count the same deals."""
    for query in VIEWS.values():
        ctx = context(demo_db, query, "2026-06-30")
        alarm = figures.values(ctx, scoring.load_scoring_config(), ("late_stage_alarm",))
        rated = ctx.accounts_rows("buying_center_rated", min_roles_covered=3)
        counted = rated.filter(pl.col("late_stage")
                               & ~(pl.col("decider_met") & pl.col("approver_met"))).height
        assert alarm["late_stage_alarm"] == counted
        missing_both = rated.filter(pl.col("late_stage") & ~pl.col("decider_met")
                                    & ~pl.col("approver_met")).height
        if query == {}:  # the demo has late deals with only one of the two roles met
            assert counted > missing_both


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portfolio", "figures", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_command_line_prints_the_registry(demo_db):
    done = run_cli("--db", str(demo_db), "--as-of", "2026-06-30", "--manager", "M02",
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    rows = figures.rows(context(demo_db, {"manager": "M02"}, "2026-06-30"),
                        scoring.load_scoring_config())
    assert [r["name"] for r in printed] == list(figures.FIGURES)
    for record, row in zip(printed, rows, strict=True):
        assert record == {"name": row.figure.name, "label": row.figure.label,
                          "value": row.value, "display": row.display, "unit": row.figure.unit,
                          "definition": row.figure.definition}
    as_csv = run_cli("--db", str(demo_db), "--as-of", "2026-06-30", "--manager", "M02",
                     "--format", "csv")
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["name"], r["display"]) for r in table] == [(r.figure.name, r.display)
                                                           for r in rows]
    money = next(r for r in printed if r["name"] == "revenue_t12m")
    assert money["display"] == fmt.money(money["value"], "EUR")


def test_the_command_line_names_an_unknown_manager(demo_db):
    done = run_cli("--db", str(demo_db), "--manager", "M99")
    assert done.returncode == 1
    assert "no manager with the id M99" in done.stderr
