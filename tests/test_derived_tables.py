"""The derived tables the queries read instead of the imported ones give the same answers:
the deals' stage periods (`deal_periods`, read by `deals_on` and `open_deals_on`) give
exactly the deals of `deals_as_of` on every day, on the hand-made fixture with its awkward
histories, on the demo portfolio and on the real CRM export; `deal_members` is
deal_contacts with its deal's number and account and the contact's leaving day."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from portfolio.core.db import read_only_connection, rules_cursor, write_database
from portfolio.write.mapping import apply_mapping, load_mapping
from portfolio.write.sources import FILE, ROW, read_table_file
from tests.conftest import CRM_DATASET, DATA, ROOT, read_fixture_tables

BY_HISTORY = """
    SELECT deal_id, account_id, value, stage_on, stage_since, closed_on
    FROM deals_as_of(?::DATE) ORDER BY deal_id"""
BY_PERIODS = """
    SELECT deal_id, account_id, value, stage_on, stage_since, closed_on
    FROM deals_on(?::DATE) ORDER BY deal_id"""
OPEN_BY_HISTORY = """
    SELECT deal_id FROM deals_as_of(?::DATE)
    WHERE stage_on NOT IN ('won', 'lost') ORDER BY deal_id"""
OPEN_BY_PERIODS = "SELECT deal_id FROM open_deals_on(?::DATE) ORDER BY deal_id"

# Deals whose histories break the easy assumptions, added to the tiny fixture
AWKWARD_DEALS = [
    # history recorded from before the deal was opened
    ("E1", "investigation", "2026-03-01", "2026-04-01", None,
     [("preliminaries", "2026-02-01"), ("investigation", "2026-04-01")]),
    # two stages entered on one day (the earlier one stays zero days), then won
    ("E2", "won", "2026-01-01", "2026-05-01", "2026-05-01",
     [("preliminaries", "2026-01-01"), ("investigation", "2026-02-01"),
      ("demonstrating_capability", "2026-02-01"), ("won", "2026-05-01")]),
    # history starts months after the deal was opened and the deal was lost before that
    ("E3", "lost", "2025-10-01", "2025-12-01", "2025-12-01",
     [("investigation", "2026-02-01"), ("lost", "2026-03-01")]),
    # no history; lost on a known day but the stage's day is unknown
    ("E4", "lost", "2025-11-01", None, "2026-02-01", []),
    # no history; in a late stage since a day after the close of a similar deal
    ("E5", "obtaining_commitment", "2025-12-15", "2026-03-10", None, []),
]


def awkward_tables() -> dict[str, pl.DataFrame]:
    tables = read_fixture_tables(DATA / "tiny")
    deals, history = tables["deals"], tables["deal_stage_history"]
    extra_deals = pl.DataFrame(
        [{"deal_id": deal_id, "account_id": "A1", "name": deal_id, "product_line": "Presses",
          "value": "1000", "stage": stage, "opened_on": opened, "stage_entered_on": entered,
          "expected_close_on": None, "closed_on": closed, "owner_id": None}
         for deal_id, stage, opened, entered, closed, _ in AWKWARD_DEALS],
        schema=dict.fromkeys(deals.columns, pl.String))
    extra_history = pl.DataFrame(
        [{"deal_id": deal_id, "stage": stage, "entered_on": day}
         for deal_id, *_, stays in AWKWARD_DEALS for stage, day in stays],
        schema=dict.fromkeys(history.columns, pl.String))
    return {**tables, "deals": pl.concat([deals, extra_deals]),
            "deal_stage_history": pl.concat([history, extra_history])}


@pytest.fixture(scope="module")
def awkward_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("awkward") / "awkward.duckdb"
    write_database(path, awkward_tables())
    return path


@pytest.fixture(scope="module")
def crm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mapping = load_mapping(ROOT / "mappings" / "crm_sales_opportunities.toml")
    files = {path.name: read_table_file(path) for path in sorted(CRM_DATASET.glob("*.csv"))}
    mapped = apply_mapping(mapping, files)
    path = tmp_path_factory.mktemp("crm") / "crm.duckdb"
    write_database(path, {name: frame.drop(FILE, ROW) for name, frame in mapped.tables.items()})
    return path


def days_between(first: date, last: date, step: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(0, (last - first).days + 1, step)]


def history_span(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    first, last = con.execute(
        "SELECT min(least(opened_on, closed_on)) - 3, max(greatest(opened_on, stage_entered_on, "
        "closed_on)) + 3 FROM deals").fetchall()[0]
    return first, last


def mismatches(db: Path, step: int) -> tuple[int, list[date]]:
    """(days compared, days on which the two ways disagree)."""
    with rules_cursor(db) as con:
        days = days_between(*history_span(con), step)
        wrong = [day for day in days
                 if con.execute(BY_HISTORY, [day]).fetchall()
                 != con.execute(BY_PERIODS, [day]).fetchall()
                 or con.execute(OPEN_BY_HISTORY, [day]).fetchall()
                 != con.execute(OPEN_BY_PERIODS, [day]).fetchall()]
        return len(days), wrong


@pytest.mark.parametrize(("source", "step", "days_at_least"), [
    ("awkward_db", 1, 600),  # every day
    ("demo_db", 7, 50),      # every week
    ("crm_db", 7, 40),
])
def test_the_periods_give_the_same_deals_as_the_history(request: pytest.FixtureRequest,
                                                        source: str, step: int,
                                                        days_at_least: int):
    compared, wrong = mismatches(request.getfixturevalue(source), step)
    assert compared > days_at_least
    assert wrong == []


def test_awkward_histories_give_the_expected_stage_on_chosen_days(awkward_db: Path):
    with rules_cursor(awkward_db) as con:
        def stage(deal: str, day: str) -> tuple | None:
            rows = con.execute("SELECT stage_on, stage_since::VARCHAR FROM open_deals_on(?::DATE) "
                               "WHERE deal_id = ?", [day, deal]).fetchall()
            return rows[0] if rows else None
        assert stage("E1", "2026-02-15") is None  # history before opening does not count
        assert stage("E1", "2026-03-01") == ("preliminaries", "2026-02-01")
        assert stage("E2", "2026-02-01") == ("demonstrating_capability", "2026-02-01")
        assert stage("E2", "2026-05-01") is None  # won that day
        assert con.execute("SELECT stage_on, stage_since::VARCHAR FROM deals_on('2026-05-01') "
                           "WHERE deal_id = 'E2'").fetchall() == [("won", "2026-05-01")]
        assert stage("E3", "2025-11-01") == ("preliminaries", "2025-10-01")
        assert stage("E3", "2025-12-15") is None  # lost by its record, before its history
        assert stage("E3", "2026-02-10") == ("investigation", "2026-02-01")
        assert stage("E4", "2026-01-31") == ("preliminaries", "2025-11-01")
        assert stage("E4", "2026-02-01") is None
        assert stage("E5", "2026-03-09") == ("preliminaries", "2025-12-15")
        assert stage("E5", "2027-01-01") == ("obtaining_commitment", "2026-03-10")


def test_deal_members_are_the_deal_contacts_with_deal_number_account_and_leaving_day(
        demo_db: Path):
    con = read_only_connection(demo_db).cursor()
    try:
        by_join = con.execute("""
            SELECT n.deal_no, d.account_id, dc.role, dc.contact_id, dc.attitude,
                   dc.last_contact_on, c.left_on
            FROM deal_contacts dc
            JOIN deals d USING (deal_id)
            JOIN contacts c USING (contact_id)
            JOIN (SELECT deal_id, row_number() OVER (ORDER BY deal_id) AS deal_no FROM deals) n
                USING (deal_id)
            ORDER BY ALL""").fetchall()
        derived = con.execute("""
            SELECT deal_no, account_id, role, contact_id, attitude, last_contact_on, left_on
            FROM deal_members ORDER BY ALL""").fetchall()
        roles = con.execute("SELECT DISTINCT role, role_order FROM deal_members "
                            "ORDER BY role_order").fetchall()
        numbered_alike = con.execute("""
            SELECT count(*) FROM deal_periods o
            JOIN (SELECT deal_id, row_number() OVER (ORDER BY deal_id) AS deal_no FROM deals) n
                USING (deal_id)
            WHERE o.deal_no <> n.deal_no""").fetchall()
    finally:
        con.close()
    assert len(derived) > 1000
    assert derived == by_join
    assert roles == [("initiator", 1), ("user", 2), ("influencer", 3), ("gatekeeper", 4),
                     ("buyer", 5), ("decider", 6), ("approver", 7)]
    assert numbered_alike == [(0,)]
