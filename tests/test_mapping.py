"""The mapping engine (portfolio.write.mapping) and the two shipped mappings.

Golden frames on the small fixture tests/data/mapping_basic/ (every feature of the format),
invalid mapping files, the CRM Sales Opportunities mapping on the real data set (counts
checked against plain Polars), the Salesforce mapping on the synthetic export
tests/data/salesforce/, and every mapped result loaded into a real database built from the
schema (its constraints are the data model).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from portfolio.core.db import create_schema, load_tables
from portfolio.write.mapping import (
    MappedImport,
    Mapping,
    MappingError,
    apply_mapping,
    data_model,
    load_mapping,
    slug,
)
from portfolio.write.sources import FILE, ROW, Problem, read_table_file

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
BASIC = DATA / "mapping_basic"
SALESFORCE = DATA / "salesforce"
CRM = ROOT.parent / "shared" / "datasets" / "crm-sales-opportunities"
if not CRM.exists():
    CRM = Path("/work/shared/datasets/crm-sales-opportunities")
MAPPINGS = ROOT / "mappings"


def read_folder(folder: Path) -> dict[str, pl.DataFrame]:
    return {path.name: read_table_file(path) for path in sorted(folder.glob("*.csv"))}


def frame(rows: list[tuple], columns: list[str]) -> pl.DataFrame:
    """A golden frame: text columns, `_row` as Int64."""
    schema = {c: (pl.Int64 if c == ROW else pl.String) for c in columns}
    return pl.DataFrame(rows, schema=schema, orient="row")


def load_into_database(mapped: MappedImport) -> duckdb.DuckDBPyConnection:
    """The mapped frames in a fresh database: DuckDB casts the text and enforces every
    key, reference, enumeration and range of the data model."""
    con = duckdb.connect()
    create_schema(con)
    load_tables(con, {name: f.drop(FILE, ROW) for name, f in mapped.tables.items()})
    return con


def write_mapping(tmp_path: Path, text: str, name: str = "mapping.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# The small fixture: golden frames


@pytest.fixture(scope="module")
def basic() -> MappedImport:
    return apply_mapping(load_mapping(BASIC / "mapping_skip.toml"), read_folder(BASIC))


def test_ids_from_names_are_the_same_function_everywhere():
    assert slug("Acme Corp.") == slug(" ACME corp ") == "acme-corp"
    assert slug("ООО «Ромашка»") == "ооо-ромашка"
    assert slug("Gekko & Co") == "gekko-co"
    assert slug("???") is None


def test_managers_from_two_entries_with_distinct_and_derived_ids(basic: MappedImport):
    columns = ["manager_id", "name", "email", "region", "reports_to", FILE, ROW]
    assert_frame_equal(basic.tables["managers"], frame([
        ("bob-stone", "Bob Stone", None, "North", None, "teams.csv", 2),
        ("eve-park", "Eve Park", None, "South", None, "teams.csv", 4),
        ("ann-lee", "Ann Lee", None, "North", "bob-stone", "teams.csv", 2),
        ("cy-young", "Cy Young", None, "North", "bob-stone", "teams.csv", 3),
        ("di-fox", "Di Fox", None, "South", "eve-park", "teams.csv", 4),
    ], columns))


def test_accounts_value_map_null_tokens_bins_and_most_frequent_lookup(basic: MappedImport):
    # industry: mapped, or kept when unmapped; country "?" is an entry null token;
    # Revenue "1.200,50" (decimal comma) is strategic, "#N/A" (global token) falls back
    # to the default tier; the manager is the agent with most opportunities (Ann Lee 2,
    # Cy Young 1 on Acme Corp.); the parent is the slug of the parent's name.
    columns = ["account_id", "name", "industry", "region", "country", "parent_account_id",
               "manager_id", "tier", "kam_stage", "key_since", FILE, ROW]
    accounts = basic.tables["accounts"]
    assert accounts["annual_revenue"].is_null().all() and accounts["employees"].is_null().all()
    assert_frame_equal(accounts.drop("annual_revenue", "employees"), frame([
        ("acme-corp", "Acme Corp.", "Technology", None, "USA", None, "ann-lee", "strategic",
         "early_kam", None, "clients.csv", 2),
        ("ооо-ромашка", "ООО Ромашка", "Retail", None, "Россия", "acme-corp", "di-fox",
         "standard", "early_kam", None, "clients.csv", 3),
        ("zeta-gmbh", "Zeta GmbH", "mining", None, None, None, "di-fox", "standard",
         "early_kam", None, "clients.csv", 4),
    ], columns))


def test_deals_dates_concat_numbers_condition_and_lookup_fallback(basic: MappedImport):
    # O1: no amount -> the Widget list price; O2: a datetime, "ACME Corp" resolves to the
    # same account id, "2,500" -> 2500; O3: lost, so its 0 is not used (`when`): the
    # Gadget price "1,000" -> 1000; O4: "#N/A" amount -> list price.
    columns = ["deal_id", "account_id", "name", "product_line", "value", "stage", "opened_on",
               "stage_entered_on", "expected_close_on", "closed_on", "owner_id", FILE, ROW]
    assert_frame_equal(basic.tables["deals"], frame([
        ("O1", "acme-corp", "Widget for Acme Corp.", "Widget", "12.50", "preliminaries",
         "2024-01-05", None, None, None, "ann-lee", "opps.csv", 2),
        ("O2", "acme-corp", "Widget for ACME Corp", "Widget", "2500", "won", "2024-01-07",
         None, None, "2024-02-01", "cy-young", "opps.csv", 3),
        ("O3", "acme-corp", "Gadget for Acme Corp.", "Gadget", "1000", "lost", "2024-01-10",
         None, None, "2024-03-15", "ann-lee", "opps.csv", 4),
        ("O4", "ооо-ромашка", "Gadget for ООО Ромашка", "Gadget", "1000",
         "obtaining_commitment", "2024-02-01", None, None, None, "di-fox", "opps.csv", 5),
    ], columns))


def test_where_filter_and_constant_entry(basic: MappedImport):
    assert_frame_equal(basic.tables["deal_stage_history"], frame([
        ("O1", "preliminaries", "2024-01-05", "opps.csv", 2),
        ("O2", "preliminaries", "2024-01-07", "opps.csv", 3),
        ("O3", "preliminaries", "2024-01-10", "opps.csv", 4),
        ("O4", "preliminaries", "2024-02-01", "opps.csv", 5),
    ], ["deal_id", "stage", "entered_on", FILE, ROW]))
    assert_frame_equal(basic.tables["portfolio_settings"], frame(
        [("currency", "SEK", "mapping_skip.toml", None)], ["key", "value", FILE, ROW]))


def test_every_table_has_exactly_the_data_model_columns(basic: MappedImport):
    for name, mapped in basic.tables.items():
        assert mapped.columns == [*data_model()[name].columns, FILE, ROW]
        assert all(dtype == pl.String for dtype in mapped.drop(ROW).dtypes)


def test_unplaced_rows_skipped_are_listed_with_file_row_column_value(basic: MappedImport):
    stage_map = "deals[1].columns.stage.map: Open, Negotiation, Won, Lost"
    bad_date = "is not a date in the format %d.%m.%Y or %Y-%m-%dT%H:%M:%SZ"
    no_deal = "matches no deals.deal_id this import places (for deal_stage_history.deal_id)"
    assert basic.problems == []
    assert basic.skipped == {"deals": 3, "deal_stage_history": 3}
    assert basic.skipped_rows == [
        Problem("opps.csv", 6, "Client", None,
                "is empty, and deals.account_id is required (the mapping gives no default)"),
        Problem("opps.csv", 6, "Ref", "O5", no_deal),
        Problem("opps.csv", 7, "Ref", "O6", no_deal),
        Problem("opps.csv", 7, "Status", "Pending",
                f"is not in the value map of deals.stage ({stage_map})"),
        Problem("opps.csv", 8, "Opened", "31.02.2024", f"{bad_date} (deals.opened_on)"),
        Problem("opps.csv", 8, "Opened", "31.02.2024",
                f"{bad_date} (deal_stage_history.entered_on)"),
    ]
    assert str(basic.skipped_rows[3]) == (
        f"opps.csv, row 7, column Status: 'Pending' is not in the value map of deals.stage "
        f"({stage_map})")


def test_unplaced_rows_reported_refuse_and_are_left_out():
    mapped = apply_mapping(load_mapping(BASIC / "mapping_report.toml"), read_folder(BASIC))
    assert [(p.file, p.row, p.column, p.value) for p in mapped.problems] == [
        ("opps.csv", 6, "Client", None),
        ("opps.csv", 7, "Status", "Pending"),
        ("opps.csv", 8, "Opened", "31.02.2024"),
    ]
    assert mapped.skipped == {"deal_stage_history": 3}
    assert mapped.tables["deals"]["deal_id"].to_list() == ["O1", "O2", "O3", "O4"]


def test_missing_column_or_file_is_a_problem_even_under_skip(tmp_path: Path):
    files = read_folder(BASIC)
    files["opps.csv"] = files["opps.csv"].drop("Status")
    del files["prices.csv"]
    mapping = load_mapping(BASIC / "mapping_skip.toml")
    assert mapping.source_files() == ["teams.csv", "clients.csv", "opps.csv", "prices.csv"]
    mapped = apply_mapping(mapping, files)
    assert Problem("opps.csv", 1, "Status", None,
                   "is not a column of this file (the mapping mapping_skip.toml reads it "
                   "for deals[1])") in mapped.problems
    assert Problem("prices.csv", None, None, None,
                   "is needed by deals[1].columns.value of the mapping mapping_skip.toml "
                   "but was not given") in mapped.problems
    assert mapped.tables["deals"].height == 0


# ---------------------------------------------------------------------------------------
# Features not in the fixture, on inline frames


def source(rows: dict[str, list[str | None]], name: str = "in.csv") -> pl.DataFrame:
    data = pl.DataFrame(rows, schema={c: pl.String for c in rows})
    return data.with_columns(pl.lit(name).alias(FILE),
                             (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias(ROW))


def managers_from(tmp_path: Path, region_spec: str, rows: dict[str, list[str | None]],
                  extra: dict[str, pl.DataFrame] | None = None) -> MappedImport:
    path = write_mapping(tmp_path, f"""
[[managers]]
file = "in.csv"
[managers.columns]
manager_id = "id"
name = "name"
region = {region_spec}
""")
    return apply_mapping(load_mapping(path), {"in.csv": source(rows), **(extra or {})})


def test_unmapped_values_keep_null_or_otherwise(tmp_path: Path):
    rows = {"id": ["1", "2", "3"], "name": ["A", "B", "C"], "r": ["n", "s", "x"]}
    for spec, expected in [
        ('{ column = "r", map = { n = "North", s = "South" }, unmapped = "null" }',
         ["North", "South", None]),
        ('{ column = "r", map = { n = "North", s = "South" }, otherwise = "Other" }',
         ["North", "South", "Other"]),
        ('{ column = "r", map = { n = "North", s = "" }, unmapped = "keep" }',
         ["North", None, "x"]),
    ]:
        mapped = managers_from(tmp_path, spec, rows)
        assert mapped.problems == []
        assert mapped.tables["managers"]["region"].to_list() == expected, spec


def test_lookup_count_and_first(tmp_path: Path):
    deals = source({"who": ["1", "1", "2", None], "area": [None, "East", "West", "North"]},
                   "deals.csv")
    rows = {"id": ["1", "2", "3"], "name": ["A", "B", "C"]}
    count = managers_from(tmp_path, '{ lookup = "deals.csv", on = "id", match = "who", '
                          'take = "area", pick = "count" }', rows, {"deals.csv": deals})
    assert count.tables["managers"]["region"].to_list() == ["2", "1", None]
    first = managers_from(tmp_path, '{ lookup = "deals.csv", on = "id", match = "who", '
                          'take = "area" }', rows, {"deals.csv": deals})
    assert first.tables["managers"]["region"].to_list() == ["East", "West", None]


def test_required_value_from_lookup_without_match_names_the_key(tmp_path: Path):
    path = write_mapping(tmp_path, """
[[managers]]
file = "in.csv"
[managers.columns]
manager_id = "id"
name = { lookup = "people.csv", on = "id", match = "pid", take = "full_name" }
""")
    people = source({"pid": ["1"], "full_name": ["Ann"]}, "people.csv")
    mapped = apply_mapping(load_mapping(path),
                           {"in.csv": source({"id": ["1", "7"]}), "people.csv": people})
    assert mapped.tables["managers"]["name"].to_list() == ["Ann"]
    assert mapped.problems == [Problem(
        "in.csv", 3, "id", "7",
        "has no match in people.csv (column pid), and managers.name is required")]


def test_self_reference_to_an_unplaced_row_cascades(tmp_path: Path):
    path = write_mapping(tmp_path, """
[[managers]]
file = "in.csv"
on_unplaced = "skip"
[managers.columns]
manager_id = "id"
name = "name"
reports_to = "boss"
""")
    rows = {"id": ["1", "2", "3", "4"], "name": ["A", None, "C", "D"],
            "boss": [None, "1", "2", "3"]}
    mapped = apply_mapping(load_mapping(path), {"in.csv": source(rows)})
    assert mapped.tables["managers"]["manager_id"].to_list() == ["1"]
    assert mapped.skipped == {"managers": 3}
    assert [(p.row, p.column, p.value) for p in mapped.skipped_rows] == [
        (3, "name", None), (4, "boss", "2"), (5, "boss", "3")]


# ---------------------------------------------------------------------------------------
# Invalid mapping files


VALID_DEALS = """
[[deals]]
file = "opps.csv"
[deals.columns]
deal_id = "Ref"
account_id = "Client"
stage = { column = "Status", map = { Open = "preliminaries" } }
opened_on = { column = "Opened", date = "%Y-%m-%d" }
"""


@pytest.mark.parametrize(("text", "key", "message"), [
    ("[[deal]]\nfile = 'x.csv'\n", "deal", "unknown key"),
    ('[import]\ncarryover = false\n' + VALID_DEALS, "import.carryover", "unknown key"),
    ('[import]\ncarry_over = "no"\n' + VALID_DEALS, "import.carry_over", "true or false"),
    (VALID_DEALS + 'stagee = "x"\n', "deals[1].columns.stagee", "deals has no column"),
    (VALID_DEALS.replace("map =", "mapp ="), "deals[1].columns.stage.mapp", "unknown key"),
    (VALID_DEALS + 'name = { column = "a", value = "b" }\n', "deals[1].columns.name",
     "exactly one of column, value, concat, lookup"),
    (VALID_DEALS.replace('opened_on = { column = "Opened", date = "%Y-%m-%d" }\n', ""),
     "deals[1].columns", "deals.opened_on is required"),
    (VALID_DEALS.replace('"%Y-%m-%d"', '"YYYY-MM-DD"'), "deals[1].columns.opened_on.date",
     "not a strftime date format"),
    (VALID_DEALS.replace('file = "opps.csv"', 'file = "opps.csv"\non_unplaced = "drop"'),
     "deals[1].on_unplaced", "report, skip"),
    (VALID_DEALS + 'value = { column = "v", bins = { edges = [1, 2], labels = ["a"] } }\n',
     "deals[1].columns.value.bins.labels", "needs 3 labels"),
    (VALID_DEALS + 'value = { column = "v", bins = { edges = [2, 1], labels = '
                   '["a", "b", "c"] } }\n', "deals[1].columns.value.bins.edges", "ascending"),
    (VALID_DEALS + 'value = { lookup = "p.csv", on = "x", match = "y" }\n',
     "deals[1].columns.value.take", "is missing"),
    (VALID_DEALS + 'name = { column = "n", separator = "-" }\n',
     "deals[1].columns.name.separator", "only applies with concat"),
    (VALID_DEALS + 'name = { column = "n", map = { a = "b" }, unmapped = "drop" }\n',
     "deals[1].columns.name.unmapped", "report, keep, null"),
    (VALID_DEALS + 'closed_on = { column = "c", when = { column = "s" } }\n',
     "deals[1].columns.closed_on.when", "exactly one of in"),
    ("[[managers]]\n[managers.columns]\nmanager_id = 'Id'\nname = { value = 'x' }\n",
     "managers[1].columns.manager_id", "the entry has no file"),
    (VALID_DEALS + "distinct = ['nope']\n", "deals[1].columns.distinct", "deals has no column"),
    (VALID_DEALS.replace('[deals.columns]', 'distinct = ["name"]\n[deals.columns]'),
     "deals[1].distinct", "not a column this entry maps"),
    ("[import]\ncarry_over = true\n", "(top level)", "maps no table"),
    ("[[deals]\nfile = 'x'", "", "is not valid TOML"),
])
def test_invalid_mapping_is_refused_naming_the_key(tmp_path: Path, text: str, key: str,
                                                    message: str):
    path = write_mapping(tmp_path, text, "bad.toml")
    with pytest.raises(MappingError) as raised:
        load_mapping(path)
    assert str(raised.value).startswith(f"{path}: {key}")
    assert message in str(raised.value)


def test_missing_mapping_file_is_refused(tmp_path: Path):
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping(tmp_path / "nope.toml")


# ---------------------------------------------------------------------------------------
# The CRM Sales Opportunities mapping on the real data set


@pytest.fixture(scope="module")
def crm() -> tuple[Mapping, MappedImport]:
    mapping = load_mapping(MAPPINGS / "crm_sales_opportunities.toml")
    return mapping, apply_mapping(mapping, read_folder(CRM))


@pytest.fixture(scope="module")
def pipeline() -> pl.DataFrame:
    return pl.read_csv(CRM / "sales_pipeline.csv", infer_schema=False)


def test_crm_row_counts_per_table(crm: tuple[Mapping, MappedImport], pipeline: pl.DataFrame):
    mapping, mapped = crm
    teams = pl.read_csv(CRM / "sales_teams.csv", infer_schema=False)
    accounts = pl.read_csv(CRM / "accounts.csv", infer_schema=False)
    no_account = pipeline.filter(pl.col("account").is_null())
    engaged_without_account = no_account.filter(pl.col("engage_date").is_not_null()).height
    closed = pipeline.filter(pl.col("deal_stage").is_in(["Won", "Lost"])).height
    assert mapping.carry_over is False
    assert (no_account.height, engaged_without_account) == (1425, 1088)
    assert {name: f.height for name, f in mapped.tables.items()} == {
        "managers": 1 + teams["manager"].n_unique() + teams.height,   # head, 6, 35
        "accounts": accounts.height,                                   # 85
        "deals": pipeline.height - no_account.height,                  # 7,375
        "deal_stage_history": (pipeline["engage_date"].is_not_null().sum()
                               - engaged_without_account + closed),    # 13,923
        "portfolio_settings": 3,  # currency, annual_revenue_unit, source
    }
    assert mapped.problems == []
    assert mapped.skipped == {"deals": 1425, "deal_stage_history": 1088}
    assert len(mapped.skipped_rows) == 1425 + 1088
    assert {(p.file, p.column) for p in mapped.skipped_rows} == {
        ("sales_pipeline.csv", "account"), ("sales_pipeline.csv", "opportunity_id")}


def test_crm_stage_counts_match_the_csv(crm: tuple[Mapping, MappedImport],
                                        pipeline: pl.DataFrame):
    _, mapped = crm
    names = {"Prospecting": "preliminaries", "Engaging": "investigation", "Won": "won",
             "Lost": "lost"}
    expected = (pipeline.filter(pl.col("account").is_not_null())
                .group_by("deal_stage").len()
                .select(pl.col("deal_stage").replace_strict(names).alias("stage"),
                        pl.col("len").cast(pl.UInt32)))
    counted = mapped.tables["deals"].group_by("stage").len()
    assert_frame_equal(counted.sort("stage"), expected.sort("stage"))
    assert dict(counted.iter_rows()) == {"preliminaries": 163, "investigation": 501,
                                         "won": 4238, "lost": 2473}


def test_crm_references_resolve(crm: tuple[Mapping, MappedImport]):
    _, mapped = crm
    deals, accounts, managers = (mapped.tables[t] for t in ("deals", "accounts", "managers"))
    assert deals["account_id"].is_in(accounts["account_id"].implode()).all()
    assert deals["owner_id"].is_in(managers["manager_id"].implode()).all()
    assert accounts["manager_id"].is_in(managers["manager_id"].implode()).all()
    assert accounts["manager_id"].null_count() == 0
    heads = managers.filter(pl.col("reports_to").is_null())["manager_id"].to_list()
    assert heads == ["head-of-sales"]
    assert managers.filter(pl.col("reports_to") == "head-of-sales").height == 6


def test_crm_values_dates_and_quirks(crm: tuple[Mapping, MappedImport],
                                     pipeline: pl.DataFrame):
    _, mapped = crm
    deals = mapped.tables["deals"]
    by_id = {row["deal_id"]: row for row in deals.iter_rows(named=True)}
    # Won: the value closed; open and lost: the list price (GTXPro is GTX Pro, 4,821).
    assert by_id["1C1I7A6R"]["value"] == "1054" and by_id["1C1I7A6R"]["stage"] == "won"
    z063 = by_id["Z063OYW0"]
    assert (z063["product_line"], z063["value"], z063["closed_on"]) == ("GTX Pro", "4514",
                                                                      "2017-03-11")
    lost = deals.filter(pl.col("stage") == "lost")
    prices = {"GTX Basic": "550", "GTX Pro": "4821", "MG Special": "55",
              "MG Advanced": "3393", "GTX Plus Pro": "5482", "GTX Plus Basic": "1096",
              "GTK 500": "26768"}
    assert (lost["value"] == lost["product_line"].replace_strict(prices)).all()
    assert "GTXPro" not in deals["product_line"].to_list()
    assert deals["value"].null_count() == 0
    # Prospects never engaged are dated to the data set's last day.
    prospects = deals.filter(pl.col("stage") == "preliminaries")
    assert prospects["opened_on"].unique().to_list() == ["2017-12-31"]
    assert deals["opened_on"].max() == "2017-12-31"
    assert (pipeline.filter(pl.col("deal_stage") == "Prospecting",
                            pl.col("account").is_not_null()).height == prospects.height)


def test_crm_accounts_tier_region_and_manager(crm: tuple[Mapping, MappedImport],
                                              pipeline: pl.DataFrame):
    _, mapped = crm
    accounts = mapped.tables["accounts"]
    assert dict(accounts.group_by("tier").len().iter_rows()) == {
        "strategic": 8, "key": 24, "standard": 53}
    assert set(accounts["region"].to_list()) == {"Central", "East", "West"}
    assert "Technology" in accounts["industry"].to_list()
    assert "Philippines" in accounts["country"].to_list()
    # The manager is the agent with the most opportunities on the account, computed here
    # independently (ties: alphabetical).
    expected = (pipeline.filter(pl.col("account").is_not_null())
                .group_by("account", "sales_agent").len()
                .sort(["account", "len", "sales_agent"], descending=[False, True, False])
                .group_by("account", maintain_order=True).first())
    by_name = dict(accounts.select("name", "manager_id").iter_rows())
    for account, agent, _ in expected.iter_rows():
        assert by_name[account] == slug(agent)


def test_crm_loads_into_the_schema(crm: tuple[Mapping, MappedImport]):
    con = load_into_database(crm[1])
    assert con.execute("SELECT count(*) FROM deals").fetchone() == (7375,)
    assert con.execute("SELECT value FROM portfolio_settings WHERE key = 'currency'").fetchone() \
        == ("USD",)


# ---------------------------------------------------------------------------------------
# The Salesforce mapping on the synthetic export


@pytest.fixture(scope="module")
def salesforce() -> MappedImport:
    return apply_mapping(load_mapping(MAPPINGS / "salesforce.toml"), read_folder(SALESFORCE))


def test_salesforce_row_counts_and_skipped_rows(salesforce: MappedImport):
    assert {name: f.height for name, f in salesforce.tables.items()} == {
        "managers": 6, "accounts": 6, "deals": 10, "contacts": 8, "deal_contacts": 10,
        "service_cases": 9}
    assert salesforce.problems == []
    assert salesforce.skipped == {"deals": 1, "contacts": 1, "deal_contacts": 2,
                                  "service_cases": 1}
    account_required = "is empty, and {} is required (the mapping gives no default)"
    assert salesforce.skipped_rows == [
        Problem("Case.csv", 10, "AccountId", None,
                account_required.format("service_cases.account_id")),
        Problem("Contact.csv", 9, "AccountId", None,
                account_required.format("contacts.account_id")),
        Problem("Opportunity.csv", 12, "AccountId", None,
                account_required.format("deals.account_id")),
        Problem("OpportunityContactRole.csv", 13, "OpportunityId", "0065g00000Kp1kKAAB",
                "matches no deals.deal_id this import places (for deal_contacts.deal_id)"),
        Problem("OpportunityContactRole.csv", 14, "ContactId", "0035g00000XyZhHAAZ",
                "matches no contacts.contact_id this import places "
                "(for deal_contacts.contact_id)"),
    ]


def test_salesforce_stages_and_dates(salesforce: MappedImport):
    deals = salesforce.tables["deals"].select("name", "value", "stage", "opened_on",
                                              "stage_entered_on", "closed_on")
    assert_frame_equal(deals, frame([
        ("Nordwerk – Press line 4", "450000.00", "preliminaries", "2024-02-12", "2024-02-12",
         None),
        ("Nordwerk – Spare parts 2024", "80000.00", "preliminaries", "2024-01-22",
         "2024-02-01", None),
        ("Северный ветер – компрессорная станция", "1200000.00", "investigation",
         "2023-11-06", "2024-01-18", None),
        ("Северный ветер – сервисный договор", "300000.00", "demonstrating_capability",
         "2023-12-04", "2024-02-20", None),
        ("Nordwerk Service – Retrofit kits", "95000.00", "demonstrating_capability",
         "2023-10-10", "2024-01-09", None),
        ("Andes – Crusher automation", "760000.00", "demonstrating_capability", "2023-09-01",
         "2024-02-05", None),
        ("Pacific Bottling – Filling line", None, "obtaining_commitment", "2023-10-02",
         "2024-02-26", None),
        ("Helios – Sterilisation units", "210000.00", "obtaining_commitment", "2023-08-14",
         "2024-02-28", None),
        ("Nordwerk – Press line 3", "380000.00", "won", "2023-06-19", "2024-03-28",
         "2024-03-28"),
        ("Andes – Conveyor upgrade", "150000.00", "lost", "2023-07-03", "2024-04-15",
         "2024-04-15"),
    ], ["name", "value", "stage", "opened_on", "stage_entered_on", "closed_on"]))


def test_salesforce_accounts_contacts_roles_and_cases(salesforce: MappedImport):
    accounts = salesforce.tables["accounts"].select("name", "region", "parent_account_id",
                                                    "tier", "kam_stage")
    assert_frame_equal(accounts, frame([
        ("Nordwerk Maschinenbau AG", "EMEA", None, "strategic", "mid_kam"),
        ("Nordwerk Service GmbH", "EMEA", "0015g00000AbCdEAAV", "standard", "mid_kam"),
        ("ООО «Северный ветер»", "EMEA", None, "key", "early_kam"),
        ("Pacific Bottling Co.", "Americas", None, "standard", "pre_kam"),
        ("Andes Minería S.A.", "Americas", None, "strategic", "partnership_kam"),
        ("Helios Clinics Group", "EMEA", None, "key", "early_kam"),
    ], ["name", "region", "parent_account_id", "tier", "kam_stage"]))
    contacts = salesforce.tables["contacts"]["name"].to_list()
    assert contacts[3:5] == ["Анна Петрова", "Волков"]
    roles = salesforce.tables["deal_contacts"].select("contact_id", "role", ROW)
    assert roles.rows() == [
        ("0035g00000XyZaAAAZ", "user", 2), ("0035g00000XyZbBAAZ", "buyer", 3),
        ("0035g00000XyZcCAAZ", "gatekeeper", 4), ("0035g00000XyZdDAAZ", "influencer", 5),
        ("0035g00000XyZeEAAZ", "decider", 7), ("0035g00000XyZeEAAZ", "decider", 8),
        ("0035g00000XyZgGAAZ", "approver", 9), ("0035g00000XyZfFAAZ", "influencer", 10),
        ("0035g00000XyZiIAAZ", "influencer", 11), ("0035g00000XyZbBAAZ", "decider", 12)]
    cases = salesforce.tables["service_cases"].select("kind", "status", "severity",
                                                      "opened_on", "closed_on")
    assert cases.row(0) == ("repair", "done", "high", "2024-01-08", "2024-01-10")
    assert dict(cases.group_by("kind").len().iter_rows()) == {
        "repair": 5, "maintenance": 2, "training": 1, "upgrade": 1}
    assert dict(cases.group_by("status").len().iter_rows()) == {
        "done": 4, "in_progress": 3, "open": 2}


def test_salesforce_and_fixture_load_into_the_schema(salesforce: MappedImport,
                                                     basic: MappedImport):
    con = load_into_database(salesforce)
    assert con.execute("SELECT name FROM accounts WHERE tier = 'key' ORDER BY name").fetchall() \
        == [("Helios Clinics Group",), ("ООО «Северный ветер»",)]
    assert con.execute("SELECT count(*) FROM deal_contacts").fetchone() == (10,)
    con = load_into_database(basic)
    assert con.execute("SELECT sum(value) FROM deals").fetchone()[0] == 4512.5


# ---------------------------------------------------------------------------------------
# Real exports: scientific notation, null spellings, header-only files (issue 18)


def test_scientific_notation_is_a_number_in_number_and_bins(tmp_path: Path):
    path = write_mapping(tmp_path, """
[[managers]]
file = "in.csv"
[managers.columns]
manager_id = "id"
name = "name"
region = { column = "r", number = true }
email = { column = "r", bins = { edges = [100000000, 1000000000], labels = ["small", "mid",
                                                                        "big"] } }
""")
    values = ["1.03444E11", "7.9e7", "-2.5E-3", "+1.5e+3", "12.50", "1,234.5", "1E30", "1e"]
    rows = {"id": [str(i) for i in range(len(values))], "name": values, "r": values}
    mapped = apply_mapping(load_mapping(path), {"in.csv": source(rows)})
    managers = mapped.tables["managers"]
    assert managers["region"].to_list() == [
        "103444000000", "79000000", "-0.0025", "1500", "12.50", "1234.5", "1E30"]
    assert managers["email"].to_list() == ["big", "small", "small", "small", "small", "small",
                                           "big"]
    assert sorted(str(p) for p in mapped.problems) == [
        "in.csv, row 9, column r: '1e' is not a number (managers.region)",
        "in.csv, row 9, column r: '1e' is not a number, so it falls in no bin of "
        "managers.email"]


def test_decimal_comma_with_an_exponent(tmp_path: Path):
    mapped = managers_from(tmp_path, '{ column = "r", number = true, decimal_comma = true }',
                           {"id": ["1", "2"], "name": ["A", "B"], "r": ["1,03444E+11", "2,5"]})
    assert mapped.problems == []
    assert mapped.tables["managers"]["region"].to_list() == ["103444000000", "2.5"]


def test_null_spellings_of_real_exports_read_as_empty(tmp_path: Path):
    (tmp_path / "in.csv").write_text("id,name,r\n1,Ann,#N/A\n2,Bob, NULL \n3,Cy,N/A\n"
                                     "4,Di,n/a\n5,Ed,none\n", encoding="utf-8")
    path = write_mapping(tmp_path, """
[[managers]]
file = "in.csv"
[managers.columns]
manager_id = "id"
name = "name"
region = "r"
""")
    mapped = apply_mapping(load_mapping(path), {"in.csv": read_table_file(tmp_path / "in.csv")})
    assert mapped.problems == []
    assert mapped.tables["managers"]["region"].to_list() == [None, None, None, None, "none"]


def test_a_source_file_with_a_header_and_no_rows_gives_an_empty_table(tmp_path: Path):
    (tmp_path / "OpportunityContactRole.csv").write_text(
        "Id,OpportunityId,ContactId,Role\n", encoding="utf-8")
    path = write_mapping(tmp_path, """
[[deal_contacts]]
file = "OpportunityContactRole.csv"
[deal_contacts.columns]
deal_id = "OpportunityId"
contact_id = "ContactId"
role = { column = "Role", map = { "Decision Maker" = "decider" } }
""")
    mapped = apply_mapping(load_mapping(path), {
        "OpportunityContactRole.csv": read_table_file(tmp_path / "OpportunityContactRole.csv")})
    assert mapped.problems == []
    assert mapped.tables["deal_contacts"].height == 0
    assert mapped.tables["deal_contacts"].columns == [
        *data_model()["deal_contacts"].columns, FILE, ROW]
