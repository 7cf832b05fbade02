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


# ---------------------------------------------------------------------------------------
# Real exports (issue 18): scientific notation, header-only files, null spellings, partial
# account_metrics feeds that combine


def table_rows(link: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(link.resolve()), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_scientific_notation_is_a_number_in_canonical_files(served, source):
    break_table(source, set_cell("account_metrics", 0, "equipment_revenue", "1.03444E11"))
    break_table(source, set_cell("account_metrics", 0, "gross_margin_pct", "-2.5E-3"))
    break_table(source, set_cell("deals", 0, "value", "7.9e7"))
    report = import_sources([source], served)
    assert report.ok, [str(p) for p in report.problems]
    assert table_rows(served, "SELECT equipment_revenue::VARCHAR, gross_margin_pct::VARCHAR "
                              "FROM account_metrics WHERE account_id = 'A1' "
                              "AND month = DATE '2024-06-01'") == [("103444000000.00", "0.00")]
    assert table_rows(served, "SELECT value::VARCHAR FROM deals WHERE deal_id = 'D1'") == [
        ("79000000.00",)]


def test_a_header_only_file_is_an_empty_table_reported_as_0_rows(served, source):
    (source / "calls.csv").write_bytes((TINY / "calls.csv").read_bytes().splitlines()[0] + b"\n")
    result = run_cli("import", str(source), "--db", str(served), "--no-warm")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  calls                            0 rows" in lines
    assert "  calls.csv has a header and no rows: an empty table" in lines
    assert table_rows(served, "SELECT count(*) FROM calls") == [(0,)]
    assert table_rows(served, "SELECT count(*) FROM deals") == [(10,)]


def test_a_header_only_file_still_needs_its_columns(served, source):
    (source / "calls.csv").write_text("call_id,deal_id,outcome\n", encoding="utf-8")
    before = snapshot(served)
    report = import_sources([source], served)
    assert [str(p) for p in report.problems] == [
        "calls.csv, row 1, column occurred_on: column is missing from the header (table calls "
        "needs call_id, deal_id, occurred_on, outcome, note)",
        "calls.csv, row 1, column note: column is missing from the header (table calls needs "
        "call_id, deal_id, occurred_on, outcome, note)"]
    assert snapshot(served) == before


def test_null_spellings_read_as_empty_in_canonical_files(served, source):
    break_table(source, set_cell("contacts", 0, "title", "#N/A"))
    break_table(source, set_cell("contacts", 1, "left_on", "NULL"))
    break_table(source, set_cell("deals", 0, "value", " N/A "))
    report = import_sources([source], served)
    assert report.ok, [str(p) for p in report.problems]
    assert table_rows(served, "SELECT contact_id, title, left_on FROM contacts "
                              "WHERE contact_id IN ('K1', 'K2') ORDER BY 1") == [
        ("K1", None, None), ("K2", "CFO", None)]
    assert table_rows(served, "SELECT value FROM deals WHERE deal_id = 'D1'") == [(None,)]
    break_table(source, set_cell("accounts", 0, "name", "#N/A"))
    report = import_sources([source], served)
    assert [str(p) for p in report.problems] == [
        "accounts.csv, row 2, column name: is required (empty)"]


FINANCE = ("account_id,month,equipment_revenue,service_revenue,consumables_revenue,"
           "spares_revenue,gross_margin_pct\n") + """A1,2026-05-01,400,200,100,50,28.5
A1,2026-06-01,1.2E3,0,0,0,30
A2,2026-06-01,100,50,,,12
"""
CREDIT = """account_id,month,financial_health
A1,2026-06-01,41
A5,2026-06-01,#N/A
A2,2026-07-01,65
"""


def metrics_source(tmp_path: Path, credit: str = CREDIT) -> Path:
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "account_metrics.finance.csv").write_text(FINANCE, encoding="utf-8")
    (folder / "account_metrics.credit.csv").write_text(credit, encoding="utf-8")
    return folder


def test_partial_feeds_combine_by_account_and_month(served, tmp_path):
    report = import_sources([metrics_source(tmp_path)], served)
    assert report.ok, [str(p) for p in report.problems]
    assert report.rows == {"account_metrics": 5}
    import duckdb

    con = duckdb.connect(str(served.resolve()), read_only=True)
    try:
        metrics = con.sql("SELECT * FROM account_metrics ORDER BY account_id, month").pl()
    finally:
        con.close()
    expected = pl.DataFrame({
        "account_id": ["A1", "A1", "A2", "A2", "A5"],
        "month": [date(2026, 5, 1), date(2026, 6, 1), date(2026, 6, 1), date(2026, 7, 1),
                  date(2026, 6, 1)],
        "equipment_revenue": [400.0, 1200.0, 100.0, None, None],
        "service_revenue": [200.0, 0.0, 50.0, None, None],
        "consumables_revenue": [100.0, 0.0, None, None, None],
        "spares_revenue": [50.0, 0.0, None, None, None],
        "gross_margin_pct": [28.5, 30.0, 12.0, None, None],
        "client_market_share_pct": [None] * 5,
        "financial_health": [None, 41.0, None, 65.0, None],
        "share_of_wallet_pct": [None] * 5,
    }, schema_overrides={c: pl.Float64 for c in [
        "equipment_revenue", "service_revenue", "consumables_revenue", "spares_revenue",
        "gross_margin_pct", "client_market_share_pct", "financial_health",
        "share_of_wallet_pct"]})
    assert metrics.with_columns(pl.col(pl.Decimal).cast(pl.Float64)).equals(expected)


def test_partial_feeds_give_null_safe_revenue(served, tmp_path):
    assert import_sources([metrics_source(tmp_path)], served).ok
    trends = queries.run("overview_figures", db=served.resolve(), **NO_FILTERS,
                         as_of=date(2026, 7, 31), recent_days=90, on_time_days=90,
                         stage_probabilities=[0.1, 0.25, 0.5, 0.75],
                         late_stages=["demonstrating_capability", "obtaining_commitment"])
    revenue = {r["account_id"]: (r["revenue_t12m"], r["revenue_from_deals"])
               for r in trends.iter_rows(named=True)}
    # A1: 750 + 1200; A2: 150 (its July row is a credit rating only), both from the feeds;
    # A5: no finance revenue, so its won deals and service contracts stand in
    assert {k: revenue[k] for k in ("A1", "A2")} == {"A1": (1950.0, 0), "A2": (150.0, 0)}
    assert revenue["A5"][1] == 1


def test_conflicting_feeds_are_refused_naming_both_files(served, tmp_path):
    credit = "account_id,month,financial_health,gross_margin_pct\nA1,2026-06-01,41,31\n"
    source = metrics_source(tmp_path, credit)
    before = snapshot(served)
    report = import_sources([source], served)
    assert not report.ok
    assert [str(p) for p in report.problems] == [
        "account_metrics.finance.csv, row 3, column gross_margin_pct: '30.0' differs from "
        "account_metrics.credit.csv, row 2, which gives 31.0 for account_id A1, month "
        "2026-06-01: files for the same account_id and month combine, and each cell takes one "
        "value"]
    assert snapshot(served) == before


def test_a_feed_file_name_only_for_account_metrics(served, tmp_path):
    folder = tmp_path / "deals_feed"
    folder.mkdir()
    shutil.copy(TINY / "deals.csv", folder / "deals.2026.csv")
    (folder / "account_metrics.credit.csv").write_text(
        "account_id,financial_health\nA1,41\n", encoding="utf-8")
    report = import_sources([folder], served)
    assert sorted(str(p) for p in report.problems) == [
        "account_metrics.credit.csv, row 1, column month: column is missing from the header "
        "(table account_metrics needs account_id, month)",
        "deals.2026.csv: names a feed of table deals, but only account_metrics combine files "
        "of several feeds: name it deals.csv"]


def test_feeds_through_a_mapping_combine_too(served, tmp_path):
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "finance.csv").write_text("Account,Month,Equipment,Margin\nA1,2026-06-01,"
                                        "1.5E3,30\nA2,2026-06-01,#N/A,12\n", encoding="utf-8")
    (folder / "rating.csv").write_text("Account,Month,Score\nA1,2026-06-01,41\n"
                                       "A2,2026-06-01,65\n", encoding="utf-8")
    mapping = tmp_path / "feeds.toml"
    mapping.write_text("""
[[account_metrics]]
file = "finance.csv"
[account_metrics.columns]
account_id = "Account"
month = { column = "Month", date = "%Y-%m-%d" }
equipment_revenue = { column = "Equipment", number = true }
gross_margin_pct = { column = "Margin", number = true }

[[account_metrics]]
file = "rating.csv"
[account_metrics.columns]
account_id = "Account"
month = { column = "Month", date = "%Y-%m-%d" }
financial_health = { column = "Score", number = true }
""", encoding="utf-8")
    report = import_sources([folder], served, mapping=mapping)
    assert report.ok, [str(p) for p in report.problems]
    assert table_rows(served, "SELECT account_id, month::VARCHAR, equipment_revenue::DOUBLE, "
                              "service_revenue, gross_margin_pct::DOUBLE, "
                              "financial_health::DOUBLE FROM account_metrics ORDER BY 1") == [
        ("A1", "2026-06-01", 1500.0, None, 30.0, 41.0),
        ("A2", "2026-06-01", None, None, 12.0, 65.0)]
    (folder / "rating.csv").write_text("Account,Month,Score\nA1,2026-06-01,41\n"
                                       "A1,2026-06-01,42\n", encoding="utf-8")
    before = snapshot(served)
    report = import_sources([folder], served, mapping=mapping)
    assert [str(p) for p in report.problems] == [
        "rating.csv, row 2, column account_id + month: 'A1 / 2026-06-01' is a duplicate key",
        "rating.csv, row 3, column account_id + month: 'A1 / 2026-06-01' is a duplicate key"]
    assert snapshot(served) == before


def test_left_out_rows_are_told_by_reason_and_written_out_in_full(tmp_path):
    """The CRM export's 1,425 opportunities without an account (and the 1,088 stage
    histories that go with them): two reasons with their counts, not 2,513 lines; every
    row in the --left-out CSV."""
    from tests.conftest import CRM_DATASET

    served, left_out = tmp_path / "portfolio.duckdb", tmp_path / "left-out.csv"
    result = run_cli("import", str(CRM_DATASET), "--mapping",
                     str(ROOT / "mappings" / "crm_sales_opportunities.toml"),
                     "--db", str(served), "--left-out", str(left_out), "--no-warm")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("Rows the mapping could not place and left out (2,513), by reason:")
    assert lines[start + 1:start + 6] == [
        "    1,425  sales_pipeline.csv, column account: is empty, and deals.account_id is "
        "required (the mapping gives no default)",
        "           rows 11, 44, 46, 58, 62, 84, 141, 159, …",
        "    1,088  sales_pipeline.csv, column opportunity_id: matches no deals.deal_id this "
        "import places (for deal_stage_history.deal_id)",
        "           rows 11, 44, 46, 58, 62, 84, 141, 159, …",
        "           values 'HAXMC4IX', 'EG7OFLFR', 'OLVI7L8M', 'F5U1ACDD', 'ZZY4516R', "
        "'GYB4W2AU', 'CNM0H9FR', 'UAE5ZC7O', …"]
    written = pl.read_csv(left_out, infer_schema=False)
    assert written.columns == ["file", "row", "column", "value", "rule"]
    assert written.group_by("column").len().sort("column").rows() == [
        ("account", 1425), ("opportunity_id", 1088)]
    assert written.row(1) == ("sales_pipeline.csv", "11", "opportunity_id", "HAXMC4IX",
                              "matches no deals.deal_id this import places (for "
                              "deal_stage_history.deal_id)")


def test_left_out_reasons_beyond_twelve_are_counted_not_printed(capsys):
    """A rule that names each row's own value makes a reason per row: the report stays
    short and points to --left-out for the rest."""
    from portfolio.commands.import_data import print_skipped
    from portfolio.write.sources import Problem

    rows = [Problem("deals.csv", n, "account", None, f"gives 'a{n}', which matches nothing")
            for n in range(2, 32)]
    print_skipped(rows)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Rows the mapping could not place and left out (30), by reason:"
    assert lines[1] == "        1  deals.csv, column account: gives 'a2', which matches nothing"
    assert len(lines) == 1 + 12 * 2 + 1
    assert lines[-1] == "  … 18 more reasons (18 rows): every row with --left-out CSV"
