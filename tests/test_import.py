"""Importing canonical files: every bad input refused by name, the served file untouched;
good imports published as releases behind the served name; `check` on whole databases."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import queries
from portfolio.core.db import releases
from portfolio.write.importer import check_database, import_sources

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny"
NO_FILTERS = {"manager_ids": [], "regions": [], "tiers": [], "kam_stages": [], "visible": None}


@pytest.fixture()
def served(tmp_path: Path) -> Path:
    """A served name with the tiny portfolio published as its first release."""
    link = tmp_path / "served" / "portfolio.duckdb"
    report = import_sources([TINY], link)
    assert report.ok, report.problems
    return link


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    shutil.copytree(TINY, folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


def edit_csv(path: Path, change: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    change(pl.read_csv(path, infer_schema=False)).write_csv(path)


def set_cell(table: str, row: int, column: str, value: str | None):
    def change(frame: pl.DataFrame) -> pl.DataFrame:
        values = frame[column].to_list()
        values[row] = value
        return frame.with_columns(pl.Series(column, values, dtype=pl.String))
    return table, change


def break_table(source: Path, case: tuple[str, Callable[[pl.DataFrame], pl.DataFrame]]) -> None:
    table, change = case
    edit_csv(source / f"{table}.csv", change)


def snapshot(link: Path) -> tuple[str, bytes, list[str]]:
    return (str(link.resolve()), link.resolve().read_bytes(),
            [p.name for p in releases(link)])


BAD_INPUTS = {
    "missing-column": (lambda src: edit_csv(src / "deals.csv", lambda f: f.drop("stage")),
                       "deals.csv, row 1, column stage: column is missing from the header"),
    "wrong-type": (set_cell("deals", 0, "value", "lots"),
                   "deals.csv, row 2, column value: 'lots' is not a number"),
    "bad-date": (set_cell("deals", 1, "opened_on", "31/12/2025"),
                 "deals.csv, row 3, column opened_on: '31/12/2025' is not a date written "
                 "YYYY-MM-DD"),
    "impossible-date": (set_cell("service_cases", 0, "due_on", "2026-02-30"),
                        "service_cases.csv, row 2, column due_on: '2026-02-30' is not a date"),
    "unknown-enumeration": (set_cell("accounts", 0, "tier", "gold"),
                            "accounts.csv, row 2, column tier: 'gold' is not one of strategic, "
                            "key, standard"),
    "duplicate-key": (set_cell("contacts", 1, "contact_id", "K1"),
                      "contacts.csv, row 2, column contact_id: 'K1' is a duplicate key"),
    "dangling-reference": (set_cell("deals", 0, "account_id", "A404"),
                           "deals.csv, row 2, column account_id: 'A404' does not match any "
                           "accounts.account_id in this import"),
    "negative-money": (set_cell("service_contracts", 0, "annual_value", "-5"),
                       "service_contracts.csv, row 2, column annual_value: '-5.0' must not be "
                       "below 0"),
    "percentage-over-100": (set_cell("account_metrics", 0, "client_market_share_pct", "101"),
                            "column client_market_share_pct: '101.0' must lie between 0 and "
                            "100"),
    "closing-before-opening": (set_cell("service_cases", 1, "closed_on", "2020-01-01"),
                               "service_cases.csv, row 3, column closed_on: '2020-01-01 (before "
                               "opened_on"),
    "required-empty": (set_cell("accounts", 2, "name", None),
                       "accounts.csv, row 4, column name: is required (empty)"),
    "manager-loop": (set_cell("managers", 0, "reports_to", "M3"),
                     "makes a loop: following reports_to leads back to the same row"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_value_is_refused_by_file_row_column_and_rule(case, served, source):
    breaking, message = BAD_INPUTS[case]
    if callable(breaking):
        breaking(source)
    else:
        break_table(source, breaking)
    before = snapshot(served)
    report = import_sources([source], served)
    assert not report.ok
    assert any(message in str(p) for p in report.problems), [str(p) for p in report.problems]
    assert snapshot(served) == before


BROKEN_FILES = {
    "empty-file": ("deals.csv", b"", "deals.csv: is empty (no header row)"),
    "header-only": ("deals.csv", (TINY / "deals.csv").read_bytes().splitlines()[0] + b"\n",
                    "has a header but no rows"),
    "binary-garbage": ("calls.csv", bytes(range(256)) * 20,
                       "calls.csv: is not a text file (it contains NUL bytes)"),
    "huge-field": ("calls.csv", b"call_id,deal_id,occurred_on,outcome,note\nC1,D1,2026-06-01,"
                   b"advance," + b"x" * 200_000 + b"\n", "calls.csv, row 2, column note"),
    "unknown-file": ("opportunities.csv", b"a,b\n1,2\n",
                     "opportunities.csv: is not named after a table of the data model"),
}


@pytest.mark.parametrize("case", list(BROKEN_FILES), ids=list(BROKEN_FILES))
def test_unreadable_file_is_refused_and_named(case, served, source):
    name, content, message = BROKEN_FILES[case]
    (source / name).write_bytes(content)
    before = snapshot(served)
    report = import_sources([source], served)
    assert not report.ok
    assert any(message in str(p) for p in report.problems), [str(p) for p in report.problems]
    assert snapshot(served) == before


def test_truncated_parquet_is_refused(served, source):
    path = source / "calls.parquet"
    pl.read_csv(source / "calls.csv", infer_schema=False).write_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    (source / "calls.csv").unlink()
    before = snapshot(served)
    report = import_sources([source], served)
    assert any("calls.parquet: cannot be read as Parquet" in str(p) for p in report.problems)
    assert snapshot(served) == before


def test_missing_source_is_refused(served, tmp_path):
    report = import_sources([tmp_path / "nowhere"], served)
    assert not report.ok and "nowhere: does not exist" in str(report.problems[0])


def test_all_problems_are_reported_together(served, source):
    edit_csv(source / "deals.csv", lambda f: f.with_columns(pl.lit("-1").alias("value")))
    break_table(source, set_cell("accounts", 0, "tier", "gold"))
    report = import_sources([source], served)
    rules = {p.rule.split(" (")[0] for p in report.problems}
    assert "must not be below 0" in rules and "is not one of strategic, key, standard" in rules
    assert report.total_problems == 10 + 1  # every deal, and the account


def test_good_import_publishes_a_new_release_behind_the_served_name(served, source):
    first = served.resolve()
    break_table(source, set_cell("accounts", 0, "name", "Acme Steel Holding"))
    report = import_sources([source], served)
    assert report.ok
    assert served.is_symlink() and served.resolve() == report.release != first
    names = queries.run("account_choices", db=served.resolve(), **NO_FILTERS)["name"]
    assert "Acme Steel Holding" in names.to_list()


def test_xlsx_parquet_and_bom_csv_are_read(served, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    pl.read_csv(TINY / "accounts.csv", infer_schema=False).write_excel(folder / "accounts.xlsx")
    pl.read_csv(TINY / "deals.csv", infer_schema=False).write_parquet(folder / "deals.parquet")
    (folder / "managers.csv").write_bytes(b"\xef\xbb\xbf" + (TINY / "managers.csv").read_bytes())
    report = import_sources([folder], served, carry_over=True)
    assert report.ok, [str(p) for p in report.problems]
    assert report.rows == {"accounts": 6, "deals": 10, "managers": 5}


def test_tables_absent_from_an_import_are_carried_over(served, tmp_path):
    folder = tmp_path / "service_desk"
    folder.mkdir()
    shutil.copy(TINY / "service_cases.csv", folder)
    report = import_sources([folder], served)
    assert report.ok
    assert "deals" in report.carried and "service_cases" not in report.carried
    deals = queries.run("pipeline_open_deals", db=served.resolve(), **NO_FILTERS,
                        as_of=date(2026, 6, 30), stage_probabilities=[0.1, 0.25, 0.5, 0.75],
                        stage="", search="", limit=100)
    assert deals["deal_id"].to_list() == ["D1", "D3", "D9", "D2", "D4"]  # carried over


def test_replacing_a_table_that_carried_tables_point_at_is_refused(served, tmp_path):
    folder = tmp_path / "deals_only"
    folder.mkdir()
    pl.read_csv(TINY / "deals.csv", infer_schema=False).head(2).write_csv(folder / "deals.csv")
    before = snapshot(served)
    report = import_sources([folder], served)
    assert not report.ok
    assert any("(carried over from the current release)" in p.file and
               "no longer matches any deals.deal_id" in p.rule for p in report.problems)
    assert snapshot(served) == before


def test_older_releases_are_pruned(served, source):
    for _ in range(4):
        assert import_sources([source], served).ok
    assert [p.name for p in releases(served)] == [
        "portfolio-000003.duckdb", "portfolio-000004.duckdb", "portfolio-000005.duckdb"]


def test_readers_see_the_old_or_the_new_release_never_an_error(served, source):
    edit_csv(source / "accounts.csv", lambda f: f.with_columns(
        (pl.col("name") + " (new)").alias("name")))
    errors, seen = [], set()
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            try:
                names = queries.run("account_choices", db=served.resolve(),
                                    **NO_FILTERS)["name"].to_list()
                seen.add(all(n.endswith(" (new)") for n in names)
                         if any(n.endswith(" (new)") for n in names) else False)
            except Exception as error:  # the test is that none happens
                errors.append(error)

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        for _ in range(2):
            assert import_sources([source], served).ok
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert seen <= {False, True} and True in seen


def test_check_passes_a_good_database_and_names_problems_in_a_bad_one(served, tmp_path):
    assert check_database(served.resolve()) == ([], 0)
    corrupt = tmp_path / "corrupt.duckdb"
    data = served.resolve().read_bytes()
    corrupt.write_bytes(data[: len(data) // 3])
    problems, total = check_database(corrupt)
    assert total >= 1 and "corrupt.duckdb" in str(problems[0])
    problems, total = check_database(tmp_path / "missing.duckdb")
    assert total == 1 and "does not exist" in str(problems[0])


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portfolio", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, check=False)


def test_import_and_check_commands_report_and_exit_non_zero(served, source):
    break_table(source, set_cell("deals", 0, "stage", "Closed Won"))
    before = snapshot(served)
    result = run_cli("import", str(source), "--db", str(served))
    assert result.returncode == 1
    assert "Import refused: 1 problem(s)" in result.stderr
    assert "deals.csv, row 2, column stage: 'Closed Won' is not one of" in result.stderr
    assert snapshot(served) == before
    result = run_cli("check", "--db", str(served))
    assert result.returncode == 0 and "every rule of the data model holds" in result.stdout


def test_a_running_dashboard_shows_a_new_release_on_its_next_rerun(served, source, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PORTFOLIO_DB", str(served))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/account.py").run()
    before = {o for o in at.selectbox(key="account_pick").options}
    break_table(source, set_cell("accounts", 0, "name", "Acme Steel Renamed"))
    assert import_sources([source], served).ok
    at.run()
    assert not at.exception
    after = set(at.selectbox(key="account_pick").options)
    assert "Acme Steel Renamed" in after and "Acme Steel Renamed" not in before
