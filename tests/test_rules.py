"""The business rules live in queries/rules/macros.sql, not in the database files: the
schema fingerprint covers the tables only, a release built before a rule changed still
opens and follows the new rule, every reading cursor has the rules installed, and the
read-only connection's configuration stays locked with them (portfolio/core/db.py)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

import queries
from portfolio.core import db
from tests.conftest import build_fixture_database

AS_OF = date(2026, 6, 30)
NO_FILTERS = {"manager_ids": [], "regions": [], "tiers": [], "kam_stages": [], "visible": None}
RATED = {**NO_FILTERS, "as_of": AS_OF, "recent_days": 90, "min_roles_covered": 3,
         "late_stages": ["demonstrating_capability", "obtaining_commitment"]}
RULE_MACROS = ["scoped_accounts", "deals_as_of", "deals_on", "open_deals_on",
               "rated_open_deals", "revenue_of", "told_in_time", "delivery_days_late",
               "late_delivery", "buying_centers_recorded", "delivery_notices_recorded"]
# A changed rule: a deal in its first stage no longer counts as open.
OPEN_RULE = "WHERE stage_on NOT IN ('won', 'lost');"
CHANGED_OPEN_RULE = "WHERE stage_on NOT IN ('won', 'lost', 'preliminaries');"


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Iterator[Path]:
    path = build_fixture_database("tiny", tmp_path / "tiny.duckdb")
    yield path
    db.close_cached_connections()


@pytest.fixture
def rules_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the rules that a test may change; the process reads the real ones again
    afterwards."""
    copy = tmp_path / "macros.sql"
    copy.write_text(db.RULES_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(db, "RULES_FILE", copy)
    db.rules_text.cache_clear()
    yield copy
    db.close_cached_connections()
    monkeypatch.undo()
    db.rules_text.cache_clear()


def change_open_rule(rules: Path) -> None:
    text = rules.read_text(encoding="utf-8")
    assert text.count(OPEN_RULE) == 1
    rules.write_text(text.replace(OPEN_RULE, CHANGED_OPEN_RULE), encoding="utf-8")
    db.rules_text.cache_clear()
    db.close_cached_connections()  # as a restarted dashboard would


def open_deals(path: Path) -> list[str]:
    """The deals the buying-center page rates (rated_open_deals reads open_deals_on)."""
    return queries.run("buying_center_rated", db=path, **RATED)["deal_id"].to_list()


def test_the_ddl_holds_tables_and_the_rules_file_holds_the_macros(tiny_copy: Path) -> None:
    with duckdb.connect(str(tiny_copy), read_only=True) as con:  # the DDL and derive.sql ran
        kept = con.execute("SELECT function_name FROM duckdb_functions() WHERE database_name "
                           "= 'tiny' AND function_type IN ('macro', 'table_macro')").fetchall()
    assert kept == []
    rules = db.RULES_FILE.read_text(encoding="utf-8")
    assert re.findall(r"^CREATE TEMP MACRO (\w+)\(", rules, re.MULTILINE) == RULE_MACROS
    assert "CREATE TABLE" not in rules.upper()
    assert db.RULES_FILE.parent != queries.QUERY_DIR  # not a dataset
    assert "macros" not in queries.available()


def test_a_changed_rule_leaves_the_fingerprint_as_it_was(rules_file: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    before = db.schema_fingerprint()
    change_open_rule(rules_file)
    assert db.schema_fingerprint() == before
    # ...while a changed table does change it
    tables = tmp_path / "schema.sql"
    tables.write_text(db.SCHEMA_FILE.read_text(encoding="utf-8").replace(
        "CREATE TABLE calls (", "CREATE TABLE calls (\n    channel VARCHAR,"), encoding="utf-8")
    monkeypatch.setattr(db, "SCHEMA_FILE", tables)
    assert db.schema_fingerprint() != before


def test_a_release_built_before_a_rule_change_opens_and_follows_the_new_rule(
        rules_file: Path, tiny_copy: Path) -> None:
    assert open_deals(tiny_copy) == ["D1", "D2", "D3", "D4", "D9"]
    change_open_rule(rules_file)
    db.probe_tables(tiny_copy)  # no SchemaOutdatedError: no new import needed
    assert db.readable_release(tiny_copy) == (tiny_copy, [])
    assert open_deals(tiny_copy) == ["D2", "D3", "D4", "D9"]  # D1 is in preliminaries


def test_every_reading_cursor_has_the_rules_installed(tiny_copy: Path) -> None:
    with db.rules_cursor(tiny_copy) as cursor:
        installed = {name for (name,) in cursor.execute(
            "SELECT function_name FROM duckdb_functions() WHERE database_name = 'temp'"
            " AND function_type IN ('macro', 'table_macro')").fetchall()}
    assert installed == set(RULE_MACROS)


def test_the_configuration_stays_locked_with_the_rules_installed(tiny_copy: Path) -> None:
    assert len(open_deals(tiny_copy)) == 5  # a query ran; its cursor waits for the next one
    with db.rules_cursor(tiny_copy) as cursor:
        assert cursor.execute("SELECT count(*) FROM open_deals_on(?::DATE)",
                              [AS_OF]).fetchall() == [(5,)]
        assert cursor.execute("SELECT current_setting('lock_configuration'), "
                              "current_setting('enable_external_access')").fetchall() == [
            (True, False)]
        with pytest.raises(duckdb.Error, match="configuration has been locked"):
            cursor.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error, match="configuration has been locked"):
            cursor.execute("SET lock_configuration = false")
        with pytest.raises(duckdb.Error, match="configuration has been locked"):
            cursor.execute("SET memory_limit = '8GB'")
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            cursor.execute("SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(duckdb.Error, match="read-only"):
            cursor.execute("CREATE MACRO kept_in_the_file() AS 1")


def test_cursors_are_reused_without_the_inputs_of_the_last_query(tiny_copy: Path) -> None:
    with db.rules_cursor(tiny_copy) as first:
        pass
    with db.rules_cursor(tiny_copy) as second:
        assert second is first
    # buying_center_gaps reads the rows of buying_center_rated as its input `rated_deals`
    assert queries.run("buying_center_gaps", db=tiny_copy, **RATED).height > 0
    with db.rules_cursor(tiny_copy) as cursor:
        with pytest.raises(duckdb.CatalogException, match="rated_deals"):
            cursor.execute("SELECT * FROM rated_deals")


def test_a_cursor_that_failed_is_not_reused(tiny_copy: Path) -> None:
    with pytest.raises(duckdb.CatalogException), db.rules_cursor(tiny_copy) as failed:
        failed.execute("SELECT * FROM no_such_table")
    with db.rules_cursor(tiny_copy) as cursor:
        assert cursor is not failed
        assert cursor.execute("SELECT count(*) FROM deals_on(?::DATE)",
                              [AS_OF]).fetchall() == [(9,)]


def test_threads_at_once_each_get_their_own_cursor(tiny_copy: Path) -> None:
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(4):
                results.append(open_deals(tiny_copy))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [["D1", "D2", "D3", "D4", "D9"]] * 32
    assert len(db._idle_cursors[db.database_version(tiny_copy)]) <= db.IDLE_CURSORS


@pytest.mark.parametrize(("informed_on", "expected"), [
    ("2026-06-02", True),    # told the day after the case was opened
    ("2026-06-03", True),    # two days after: the setting's limit
    ("2026-06-06", False),   # five days after, though still before the promised day
    ("2026-07-05", False),   # told after the as-of date: not yet told on it
    (None, False),           # never told
])
def test_told_in_time_is_one_rule_counted_from_the_day_the_problem_was_known(
        tiny_copy: Path, informed_on: str | None, expected: bool) -> None:
    with db.rules_cursor(tiny_copy) as cursor:
        told = cursor.execute(
            "SELECT told_in_time($informed::DATE, DATE '2026-06-01', DATE '2026-06-30', 2)",
            {"informed": informed_on}).fetchall()[0][0]
    assert told is expected
