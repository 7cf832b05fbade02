"""`python -m portfolio draft-mapping`: a starting mapping drafted from an export's files.

The Salesforce data-seeding fixture (tests/data/salesforce_seeding/: Guid ids, no User
object, #N/A, scientific notation, a header-only OpportunityContactRole.csv, custom
picklist values) is drafted, refused while TODOs remain, answered the way a person would
(editing the text) and imported into a temporary database; the public CRM data set is
drafted and its essentials checked, then imported after one edit.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from portfolio.write.draft_mapping import _date_formats, draft_mapping, recognise
from portfolio.write.importer import import_sources, read_sources, source_files
from portfolio.write.mapping import MappingError, load_mapping
from tests.conftest import CRM_DATASET

ROOT = Path(__file__).resolve().parent.parent
SEEDING = ROOT / "tests" / "data" / "salesforce_seeding"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portfolio", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, check=False)


def draft(tmp_path: Path, source: Path) -> tuple[Path, str]:
    out = tmp_path / "draft.toml"
    result = run_cli("draft-mapping", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, out.read_text(encoding="utf-8")


def rows(link: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(link.resolve()), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------------------------------
# The Salesforce data-seeding export


TODO_LINES = {
    '"Proposal Sent" = "TODO"': '"Proposal Sent" = "obtaining_commitment"',
    '"Onboarding" = "TODO"': '"Onboarding" = "installation"',
    '"Waiting on Customer" = "TODO"': '"Waiting on Customer" = "in_progress"',
}


def test_the_draft_asks_about_the_custom_picklist_values_only(tmp_path):
    _, text = draft(tmp_path, SEEDING)
    todos = [line for line in text.splitlines() if '= "TODO"' in line]
    assert [line.split("   #")[0] for line in todos] == list(TODO_LINES)
    assert todos[0].endswith("TODO (4 rows): one of preliminaries, investigation, "
                             "demonstrating_capability, obtaining_commitment, won, lost; "
                             "perhaps obtaining_commitment")
    assert "# The import refuses this file while a TODO is left (3 now)." in text
    # guesses from the names: ids in Guid, owners as managers, the right date formats
    for line in ['account_id = "Guid"', 'deal_id = "Guid"', 'case_id = "Guid"',
                 'manager_id = "OwnerId"',
                 'opened_on = { column = "CreatedDate", date = "%Y-%m-%dT%H:%M:%S%.fZ" }',
                 '"Closed Won" = "won"   # 5 rows', '"Technical Buyer" = "influencer"   # no '
                 'rows yet', '"Economic Buyer" = "approver"   # no rows yet',
                 'name = { concat = ["FirstName", "LastName"] }',
                 'value = { column = "Amount", number = true }']:
        assert line in text.splitlines(), line


def test_the_import_refuses_the_draft_while_todos_remain(tmp_path):
    out, _ = draft(tmp_path, SEEDING)
    link = tmp_path / "db" / "portfolio.duckdb"
    result = run_cli("import", str(SEEDING), "--mapping", str(out), "--db", str(link),
                     "--no-warm")
    assert result.returncode == 1
    assert "Import refused: 3 problem(s)" in result.stderr
    assert ("draft.toml: deals[1].columns.stage.map: 'Proposal Sent' (a value of column "
            "StageName in Opportunity.csv) is a TODO: answer it with one of preliminaries, "
            "investigation, demonstrating_capability, obtaining_commitment, won, lost for "
            "deals.stage") in result.stderr
    assert ("service_cases[1].columns.kind.map: 'Onboarding' (a value of column Type in "
            "Case.csv) is a TODO") in result.stderr
    assert ("service_cases[1].columns.status.map: 'Waiting on Customer' (a value of column "
            "Status in Case.csv) is a TODO") in result.stderr
    assert not link.exists()


def test_answered_the_draft_imports_the_seeding_export(tmp_path):
    out, text = draft(tmp_path, SEEDING)
    for question, answer in TODO_LINES.items():
        text = re.sub(re.escape(question) + r".*", answer, text)
    out.write_text(text, encoding="utf-8")
    link = tmp_path / "db" / "portfolio.duckdb"
    result = run_cli("import", str(SEEDING), "--mapping", str(out), "--db", str(link),
                     "--no-warm")
    assert result.returncode == 0, result.stderr
    counts = dict(re.findall(r"^  (\w+) +([\d,]+) rows$", result.stdout, re.MULTILINE))
    assert counts == {"managers": "3", "accounts": "8", "deals": "25", "contacts": "11",
                      "deal_contacts": "0", "service_cases": "7"}
    assert "  OpportunityContactRole.csv has a header and no rows: an empty table" in (
        result.stdout.splitlines())
    # scientific notation and #N/A, through the drafted specs
    assert rows(link, "SELECT name, tier, kam_stage FROM accounts ORDER BY name") == [
        ("Alpine Labs GmbH", "standard", "early_kam"),            # #N/A revenue and type
        ("Baltic Foods AB", "standard", "early_kam"),
        ("Cascade Mining Ltd", "strategic", "partnership_kam"),    # 1.2E10
        ("Delta Logistics BV", "standard", "early_kam"),
        ("Iberia Pharma SA", "key", "pre_kam"),                    # 2.5E9
        ("Nordwerk Maschinenbau AG", "strategic", "mid_kam"),      # 1.03444E11
        ("Nordwerk Service GmbH", "standard", "mid_kam"),
        ("ООО «Северсталь-Сервис»", "standard", "mid_kam")]
    assert rows(link, "SELECT value::DOUBLE FROM deals WHERE name LIKE '%Press line 4' "
                      "OR name LIKE '%Clean room press' ORDER BY 1 NULLS LAST") == [
        (450000.0,), (None,)]
    assert rows(link, "SELECT stage, count(*) FROM deals GROUP BY 1 ORDER BY 1") == [
        ("demonstrating_capability", 2), ("investigation", 3), ("lost", 4),
        ("obtaining_commitment", 6), ("preliminaries", 5), ("won", 5)]
    assert rows(link, "SELECT kind, status, count(*) FROM service_cases GROUP BY 1, 2 "
                      "ORDER BY 1, 2") == [
        ("installation", "done", 1), ("installation", "in_progress", 1),
        ("maintenance", "done", 1), ("repair", "done", 1), ("repair", "in_progress", 2),
        ("training", "open", 1)]
    assert rows(link, "SELECT count(*) FROM contacts WHERE title IS NULL") == [(1,)]
    assert rows(link, "SELECT count(*) FROM deals WHERE closed_on IS NOT NULL") == [(9,)]


# ---------------------------------------------------------------------------------------
# The public CRM data set


@pytest.fixture(scope="module")
def crm_draft(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return draft(tmp_path_factory.mktemp("crm_draft"), CRM_DATASET)


def test_crm_draft_recognises_the_files_and_the_stages(crm_draft):
    out, text = crm_draft
    lines = text.splitlines()
    entries = re.findall(r'^\[\[(\w+)\]\]\nfile = "([^"]+)"', text, re.MULTILINE)
    assert entries == [("managers", "sales_teams.csv"), ("managers", "sales_teams.csv"),
                       ("accounts", "accounts.csv"), ("deals", "sales_pipeline.csv")]
    assert any(line.startswith("#   products.csv") and "not recognised" in line
               for line in lines)
    for line in ['"Won" = "won"   # 4,238 rows', '"Lost" = "lost"   # 2,473 rows',
                 '"Engaging" = "investigation"   # 1,589 rows',
                 '"Prospecting" = "preliminaries"   # 500 rows',
                 'account_id = { column = "account", slug = true }   # the id derived from '
                 'the name, as in the accounts entry',
                 'deal_id = "opportunity_id"']:
        assert line in lines, line
    assert "TODO" not in text.replace("answer every TODO", "").replace(
        "while a TODO is left", "")
    load_mapping(out)   # a valid mapping as it stands


def test_crm_draft_imports_after_one_edit(crm_draft, tmp_path):
    _, text = crm_draft
    edited = tmp_path / "crm.toml"
    edited.write_text(text.replace('on_unplaced = "report"', 'on_unplaced = "skip"'),
                      encoding="utf-8")
    report = import_sources([CRM_DATASET], tmp_path / "db" / "portfolio.duckdb",
                            mapping=edited)
    assert report.ok, [str(p) for p in report.problems[:5]]
    pipeline = pl.read_csv(CRM_DATASET / "sales_pipeline.csv", infer_schema=False)
    teams = pl.read_csv(CRM_DATASET / "sales_teams.csv", infer_schema=False)
    placed = pipeline.filter(pl.col("account").is_not_null()
                             & pl.col("engage_date").is_not_null()).height
    assert report.rows == {"managers": teams["sales_agent"].n_unique()
                           + teams["manager"].n_unique(),
                           "accounts": 85, "deals": placed}
    assert report.skipped == {"deals": pipeline.height - placed}


# ---------------------------------------------------------------------------------------
# The parts


@pytest.mark.parametrize(("name", "table"), [
    ("OpportunityContactRole.csv", "deal_contacts"), ("Opportunity.csv", "deals"),
    ("OpportunityHistory.csv", "deal_stage_history"), ("User.csv", "managers"),
    ("sales_pipeline.csv", "deals"), ("sales_teams.csv", "managers"),
    ("Companies.xlsx", "accounts"), ("clients.csv", "accounts"), ("people.csv", "contacts"),
    ("tickets.parquet", "service_cases"), ("owners.csv", "managers"),
    ("account_metrics.finance.csv", "account_metrics"), ("deals.csv", "deals"),
    ("products.csv", None)])
def test_files_are_recognised_by_name(name, table):
    found = recognise(name)
    assert (found[0] if found else None) == table


def test_date_formats_are_read_from_the_values():
    assert _date_formats(pl.Series(["2024-01-05T10:00:00.000Z", "2024-01-06",
                                    "2024-02-01T00:00:00.000Z"])) == [
        "%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%d"]
    assert _date_formats(pl.Series(["31.01.2024", "01.02.2024"])) == ["%d.%m.%Y"]
    assert _date_formats(pl.Series(["12/31/2024", "01/02/2024"])) == ["%m/%d/%Y"]
    assert _date_formats(pl.Series(["soon"])) is None


def test_required_columns_not_found_are_todos_listed_at_the_top(tmp_path):
    (tmp_path / "clients.csv").write_text("Company,Country\nAcme,DE\n", encoding="utf-8")
    files, _ = source_files([tmp_path])
    frames, _ = read_sources(files)
    text, result = draft_mapping(frames, "clients/")
    lines = text.splitlines()
    top = lines[lines.index("# Required columns not found (TODO in their entry):"):]
    assert top[1:3] == ["#   accounts.manager_id (from clients.csv)",
                        "#   accounts.tier (from clients.csv)"]
    assert ('manager_id = "TODO"   # TODO: which column of clients.csv gives '
            'accounts.manager_id? (required)') in lines
    assert 'account_id = { column = "Company", slug = true }   # no id column: an id derived ' \
           'from Company' in lines
    assert result.todos == 2
    mapping = tmp_path / "clients.toml"
    mapping.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as refused:
        load_mapping(mapping)
    assert refused.value.details == (
        'accounts[1].columns.manager_id: answer the TODO: name the column of clients.csv that '
        'gives accounts.manager_id (or a constant: { value = "..." })',
        'accounts[1].columns.tier: answer the TODO: name the column of clients.csv that gives '
        'accounts.tier (or a constant: { value = "..." })')


def test_the_command_keeps_an_existing_file(tmp_path):
    out = tmp_path / "mine.toml"
    out.write_text("# answers already given\n", encoding="utf-8")
    result = run_cli("draft-mapping", str(SEEDING), "--out", str(out))
    assert result.returncode == 1
    assert "exists; it may hold answers already given" in result.stderr
    assert out.read_text(encoding="utf-8") == "# answers already given\n"
    result = run_cli("draft-mapping", str(SEEDING), "--out", str(out), "--force")
    assert result.returncode == 0 and "3 TODO(s) to answer" in result.stdout


def test_a_file_named_after_its_rows_has_its_ids_in_name_id(tmp_path):
    (tmp_path / "clients.csv").write_text("client_id,Company,Owner\nC1,Acme,Ann\n",
                                          encoding="utf-8")
    (tmp_path / "tickets.csv").write_text("TicketID,client_id,Category,Opened\n"
                                          "T1,C1,Billing,2024-01-05\n", encoding="utf-8")
    files, _ = source_files([tmp_path])
    frames, _ = read_sources(files)
    text, _ = draft_mapping(frames, "export/")
    lines = text.splitlines()
    for line in ['account_id = "client_id"', 'name = "Company"', 'manager_id = "Owner"',
                 'case_id = "TicketID"', 'opened_on = { column = "Opened", date = "%Y-%m-%d" }',
                 '"Billing" = "invoicing"   # 1 row']:
        assert line in lines, line
