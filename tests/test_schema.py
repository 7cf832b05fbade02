"""The DDL against the data contract (../shared/DATA_MODEL.md).

(a) Every table has exactly the contract's columns, in order, with the contract's types.
(b) Every rule of "Rules every import enforces" is enforced by the database itself: one bad
    row inserted into an otherwise valid tiny database is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from portfolio.core.db import create_schema

# --- (a) columns and types ----------------------------------------------------------

TEXT, DATE, DECIMAL, BOOL = "VARCHAR", "DATE", "DECIMAL", "BOOLEAN"

# Written out from DATA_MODEL.md by hand (not derived from the DDL): table -> columns in
# the contract's order with the contract's type.
EXPECTED_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "managers": [
        ("manager_id", TEXT), ("name", TEXT), ("email", TEXT), ("region", TEXT),
        ("reports_to", TEXT),
    ],
    "accounts": [
        ("account_id", TEXT), ("name", TEXT), ("industry", TEXT), ("region", TEXT),
        ("country", TEXT), ("parent_account_id", TEXT), ("manager_id", TEXT), ("tier", TEXT),
        ("kam_stage", TEXT), ("key_since", DATE),
        # added by the project (DATA_MODEL allows added columns; an import may omit them)
        ("annual_revenue", DECIMAL), ("employees", "INTEGER"),
    ],
    "account_metrics": [
        ("account_id", TEXT), ("month", DATE), ("equipment_revenue", DECIMAL),
        ("service_revenue", DECIMAL), ("consumables_revenue", DECIMAL),
        ("spares_revenue", DECIMAL), ("gross_margin_pct", DECIMAL),
        ("client_market_share_pct", DECIMAL), ("financial_health", DECIMAL),
        ("share_of_wallet_pct", DECIMAL),
    ],
    "deals": [
        ("deal_id", TEXT), ("account_id", TEXT), ("name", TEXT), ("product_line", TEXT),
        ("value", DECIMAL), ("stage", TEXT), ("opened_on", DATE), ("stage_entered_on", DATE),
        ("expected_close_on", DATE), ("closed_on", DATE), ("owner_id", TEXT),
    ],
    "deal_stage_history": [("deal_id", TEXT), ("stage", TEXT), ("entered_on", DATE)],
    "calls": [
        ("call_id", TEXT), ("deal_id", TEXT), ("occurred_on", DATE), ("outcome", TEXT),
        ("note", TEXT),
    ],
    "contacts": [
        ("contact_id", TEXT), ("account_id", TEXT), ("name", TEXT), ("title", TEXT),
        ("email", TEXT), ("left_on", DATE),
    ],
    "deal_contacts": [
        ("deal_id", TEXT), ("contact_id", TEXT), ("role", TEXT), ("attitude", TEXT),
        ("last_contact_on", DATE),
    ],
    "deliveries": [
        ("delivery_id", TEXT), ("account_id", TEXT), ("deal_id", TEXT), ("promised_on", DATE),
        ("delivered_on", DATE), ("quality_issue", BOOL), ("invoice_issue", BOOL),
        # added (validate.ADDED_COLUMNS): when the client was told the delivery was late
        ("client_informed_on", DATE),
    ],
    "service_cases": [
        ("case_id", TEXT), ("account_id", TEXT), ("kind", TEXT), ("opened_on", DATE),
        ("due_on", DATE), ("closed_on", DATE), ("status", TEXT), ("severity", TEXT),
        ("client_informed_on", DATE),
    ],
    "service_contracts": [
        ("contract_id", TEXT), ("account_id", TEXT), ("kind", TEXT), ("annual_value", DECIMAL),
        ("starts_on", DATE), ("ends_on", DATE), ("auto_renew", BOOL),
    ],
    "relationship_events": [
        ("event_id", TEXT), ("account_id", TEXT), ("occurred_on", DATE), ("kind", TEXT),
        ("severity", TEXT), ("note", TEXT),
    ],
}
# our own tables, allowed by DATA_MODEL
ALLOWED_EXTRA_TABLES = {"portfolio_settings", "schema_info", "deal_stage_spans",
                        "deal_periods", "deal_members", "account_months"}


@pytest.fixture(scope="module")
def schema_columns() -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect()
    create_schema(con)
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    con.close()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        # DECIMAL(18,2) -> DECIMAL: the contract names the type, not its precision
        columns.setdefault(table, []).append((column, data_type.split("(")[0]))
    return columns


def test_schema_has_exactly_the_contract_tables(schema_columns):
    actual = set(schema_columns)
    assert set(EXPECTED_COLUMNS) <= actual, set(EXPECTED_COLUMNS) - actual
    assert actual - set(EXPECTED_COLUMNS) <= ALLOWED_EXTRA_TABLES


@pytest.mark.parametrize("table", list(EXPECTED_COLUMNS))
def test_table_columns_and_types_match_the_contract(schema_columns, table):
    assert schema_columns[table] == EXPECTED_COLUMNS[table]


# --- (b) rules --------------------------------------------------------------------------

D = date.fromisoformat

# A tiny, valid portfolio: two of everything keyed, so that self-references and composite
# keys have something to point at. Rows are dicts: missing columns are NULL.
VALID: dict[str, list[dict[str, Any]]] = {
    "managers": [
        {"manager_id": "M1", "name": "Katharina Berger", "email": "kb@x.example"},
        {"manager_id": "M2", "name": "Jonas Weber", "region": "DACH", "reports_to": "M1"},
    ],
    "accounts": [
        {"account_id": "A1", "name": "Nordwerk GmbH", "manager_id": "M2",
         "tier": "strategic", "kam_stage": "mid_kam", "key_since": D("2020-03-01")},
        {"account_id": "A2", "name": "ООД «Уралмаш»", "manager_id": "M2",
         "parent_account_id": "A1", "tier": "standard", "kam_stage": "pre_kam"},
    ],
    "account_metrics": [
        {"account_id": "A1", "month": D("2026-01-01"), "equipment_revenue": 100,
         "service_revenue": 50, "consumables_revenue": 20, "spares_revenue": 10,
         "gross_margin_pct": 25, "client_market_share_pct": 18, "financial_health": 72,
         "share_of_wallet_pct": 40},
    ],
    "deals": [
        {"deal_id": "D1", "account_id": "A1", "name": "Line 3", "value": 600_000,
         "stage": "investigation", "opened_on": D("2026-01-10"),
         "stage_entered_on": D("2026-02-10"), "owner_id": "M2"},
        {"deal_id": "D2", "account_id": "A1", "value": 50_000, "stage": "won",
         "opened_on": D("2025-05-01"), "closed_on": D("2025-09-01")},
    ],
    "deal_stage_history": [
        {"deal_id": "D1", "stage": "preliminaries", "entered_on": D("2026-01-10")},
        {"deal_id": "D1", "stage": "investigation", "entered_on": D("2026-02-10")},
    ],
    "calls": [
        {"call_id": "C1", "deal_id": "D1", "occurred_on": D("2026-02-10"),
         "outcome": "advance", "note": "Demo booked"},
    ],
    "contacts": [
        {"contact_id": "P1", "account_id": "A1", "name": "Anna Berger", "title": "CFO"},
        {"contact_id": "P2", "account_id": "A1", "name": "Иван Петров",
         "left_on": D("2026-03-01")},
    ],
    "deal_contacts": [
        {"deal_id": "D1", "contact_id": "P1", "role": "decider", "attitude": "champion",
         "last_contact_on": D("2026-02-10")},
    ],
    "deliveries": [
        {"delivery_id": "L1", "account_id": "A1", "deal_id": "D2",
         "promised_on": D("2025-10-01"), "delivered_on": D("2025-10-03"),
         "quality_issue": False, "invoice_issue": False},
    ],
    "service_cases": [
        {"case_id": "S1", "account_id": "A1", "kind": "repair", "opened_on": D("2026-02-01"),
         "due_on": D("2026-02-08"), "closed_on": D("2026-02-07"), "status": "done",
         "severity": "high", "client_informed_on": D("2026-02-01")},
    ],
    "service_contracts": [
        {"contract_id": "K1", "account_id": "A1", "kind": "maintenance",
         "annual_value": 180_000, "starts_on": D("2025-01-01"), "ends_on": D("2027-12-31"),
         "auto_renew": True},
    ],
    "relationship_events": [
        {"event_id": "E1", "account_id": "A1", "occurred_on": D("2026-02-15"),
         "kind": "kam_changed", "severity": "high", "note": "New manager"},
    ],
}

# One more valid row per table, with a fresh key: each bad row below is this row with
# exactly one thing broken (test_fresh_row_is_accepted proves the rest of it is valid).
FRESH: dict[str, dict[str, Any]] = {
    "managers": {"manager_id": "M3", "name": "Lena Hoffmann", "region": "DACH",
                 "reports_to": "M2"},
    "accounts": {"account_id": "A3", "name": "Alpentec AG", "manager_id": "M2",
                 "parent_account_id": "A1", "tier": "key", "kam_stage": "early_kam",
                 "key_since": D("2023-01-01")},
    "account_metrics": {"account_id": "A1", "month": D("2026-02-01"),
                        "equipment_revenue": 0, "service_revenue": 0,
                        "consumables_revenue": 0, "spares_revenue": 0,
                        "gross_margin_pct": -12.5, "client_market_share_pct": 17.5,
                        "financial_health": 70, "share_of_wallet_pct": 41},
    "deals": {"deal_id": "D3", "account_id": "A1", "value": 0,
              "stage": "obtaining_commitment", "opened_on": D("2026-03-01"),
              "stage_entered_on": D("2026-04-01"), "expected_close_on": D("2026-12-01"),
              "owner_id": "M1"},
    "deal_stage_history": {"deal_id": "D1", "stage": "investigation",
                           "entered_on": D("2026-03-10")},
    "calls": {"call_id": "C2", "deal_id": "D1", "occurred_on": D("2026-03-01"),
              "outcome": "continuation"},
    "contacts": {"contact_id": "P3", "account_id": "A2", "name": "Мария Иванова"},
    "deal_contacts": {"deal_id": "D1", "contact_id": "P1", "role": "approver",
                      "attitude": "neutral"},
    "deliveries": {"delivery_id": "L2", "account_id": "A1", "deal_id": None,
                   "promised_on": D("2026-11-01"), "delivered_on": None,
                   "quality_issue": False, "invoice_issue": True},
    "service_cases": {"case_id": "S2", "account_id": "A1", "kind": "installation",
                      "opened_on": D("2026-05-01"), "due_on": D("2026-05-31"),
                      "status": "open", "severity": "low"},
    "service_contracts": {"contract_id": "K2", "account_id": "A2", "kind": "support",
                          "annual_value": 0, "starts_on": D("2026-01-01"),
                          "auto_renew": False},
    "relationship_events": {"event_id": "E2", "account_id": "A1",
                            "occurred_on": D("2026-03-01"), "kind": "culture_clash",
                            "severity": "low"},
}

CHECK, FOREIGN_KEY, DUPLICATE, NOT_NULL = ("CHECK constraint", "foreign key",
                                          "Duplicate key", "NOT NULL constraint")


def insert(con: duckdb.DuckDBPyConnection, table: str, row: dict[str, Any]) -> None:
    relation = con.table(table)
    unknown = set(row) - set(relation.columns)
    assert not unknown, f"test data names unknown columns of {table}: {unknown}"
    relation.insert([row.get(column) for column in relation.columns])


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.table(table).count("*").fetchall()[0][0]


def valid_database() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    create_schema(con)
    for table, rows in VALID.items():  # parents first
        for row in rows:
            insert(con, table, row)
    return con


@dataclass(frozen=True)
class Bad:
    """One bad row: the fresh row of `table` with `changes`, refused with `message`."""

    id: str
    table: str
    changes: dict[str, Any]
    message: str

    def row(self) -> dict[str, Any]:
        return {**FRESH[self.table], **self.changes}


def enum(table: str, column: str) -> Bad:
    return Bad(f"enum-{table}.{column}", table, {column: "unknown_value"}, CHECK)


def duplicate(table: str, **changes: Any) -> Bad:
    """A copy of the first valid row (same key) with non-key columns changed."""
    return Bad(f"duplicate-key-{table}", table, {**VALID[table][0], **changes}, DUPLICATE)


def dangling(table: str, column: str, value: str = "NOWHERE") -> Bad:
    return Bad(f"dangling-{table}.{column}", table, {column: value}, FOREIGN_KEY)


def required(table: str, column: str) -> Bad:
    return Bad(f"null-{table}.{column}", table, {column: None}, NOT_NULL)


BAD_ROWS = [
    # enumerations, each with a value outside the contract's list
    enum("accounts", "tier"),
    enum("accounts", "kam_stage"),
    enum("deals", "stage"),
    enum("deal_stage_history", "stage"),
    enum("calls", "outcome"),
    enum("deal_contacts", "role"),
    enum("deal_contacts", "attitude"),
    enum("service_cases", "kind"),
    enum("service_cases", "status"),
    enum("service_cases", "severity"),
    enum("service_contracts", "kind"),
    enum("relationship_events", "kind"),
    enum("relationship_events", "severity"),
    # spellings an importer must map through a mapping file, never accept silently
    Bad("enum-accounts.tier-capitalised", "accounts", {"tier": "Key"}, CHECK),
    Bad("enum-deals.stage-space", "deals", {"stage": "won "}, CHECK),
    # keys unique
    duplicate("managers", name="Someone Else"),
    duplicate("accounts", name="Other name"),
    duplicate("account_metrics", equipment_revenue=1),
    duplicate("deals", value=1),
    # not keyed in the contract, but the same entry twice is one entry recorded twice
    Bad("duplicate-row-deal_stage_history", "deal_stage_history", VALID["deal_stage_history"][0],
        DUPLICATE),
    duplicate("calls", outcome="order"),
    duplicate("contacts", name="Other"),
    duplicate("deal_contacts", attitude="opponent"),
    duplicate("deliveries", invoice_issue=True),
    duplicate("service_cases", kind="complaint"),
    duplicate("service_contracts", annual_value=1),
    duplicate("relationship_events", kind="price_dispute"),
    # every reference resolves
    dangling("managers", "reports_to"),
    dangling("accounts", "manager_id"),
    dangling("accounts", "parent_account_id"),
    dangling("account_metrics", "account_id"),
    dangling("deals", "account_id"),
    dangling("deals", "owner_id"),
    dangling("deal_stage_history", "deal_id"),
    dangling("calls", "deal_id"),
    dangling("contacts", "account_id"),
    dangling("deal_contacts", "deal_id"),
    dangling("deal_contacts", "contact_id"),
    dangling("deliveries", "account_id"),
    dangling("deliveries", "deal_id"),
    dangling("service_cases", "account_id"),
    dangling("service_contracts", "account_id"),
    dangling("relationship_events", "account_id"),
    # required columns (and key columns) present
    required("managers", "manager_id"),
    required("managers", "name"),
    required("accounts", "account_id"),
    required("accounts", "name"),
    required("accounts", "manager_id"),
    required("account_metrics", "account_id"),
    required("account_metrics", "month"),
    required("deals", "deal_id"),
    required("deals", "account_id"),
    required("deals", "opened_on"),
    required("calls", "call_id"),
    required("contacts", "contact_id"),
    required("contacts", "account_id"),
    required("deal_contacts", "deal_id"),
    required("deal_contacts", "contact_id"),
    required("deal_contacts", "role"),
    required("deliveries", "delivery_id"),
    required("deliveries", "promised_on"),
    required("service_cases", "case_id"),
    required("service_cases", "account_id"),
    required("service_cases", "opened_on"),
    required("service_contracts", "contract_id"),
    required("relationship_events", "event_id"),
    # money is never negative
    Bad("negative-deals.value", "deals", {"value": -1}, CHECK),
    Bad("negative-equipment_revenue", "account_metrics", {"equipment_revenue": -0.01}, CHECK),
    Bad("negative-service_revenue", "account_metrics", {"service_revenue": -5}, CHECK),
    Bad("negative-consumables_revenue", "account_metrics", {"consumables_revenue": -5}, CHECK),
    Bad("negative-spares_revenue", "account_metrics", {"spares_revenue": -5}, CHECK),
    Bad("negative-annual_value", "service_contracts", {"annual_value": -100}, CHECK),
    # percentages and scores in range
    Bad("gross_margin_pct--101", "account_metrics", {"gross_margin_pct": -101}, CHECK),
    Bad("gross_margin_pct-101", "account_metrics", {"gross_margin_pct": 101}, CHECK),
    Bad("client_market_share_pct-101", "account_metrics",
        {"client_market_share_pct": 101}, CHECK),
    Bad("client_market_share_pct--1", "account_metrics",
        {"client_market_share_pct": -1}, CHECK),
    Bad("financial_health--1", "account_metrics", {"financial_health": -1}, CHECK),
    Bad("financial_health-100.5", "account_metrics", {"financial_health": 100.5}, CHECK),
    Bad("share_of_wallet_pct-100.01", "account_metrics",
        {"share_of_wallet_pct": Decimal("100.01")}, CHECK),
    Bad("share_of_wallet_pct--0.01", "account_metrics",
        {"share_of_wallet_pct": Decimal("-0.01")}, CHECK),
    # a month is the first of the month
    Bad("month-not-first-of-month", "account_metrics", {"month": D("2026-02-15")}, CHECK),
    # dates in order
    Bad("deals.closed_on-before-opened_on", "deals",
        {"stage": "lost", "opened_on": D("2026-03-01"), "closed_on": D("2026-02-28")}, CHECK),
    Bad("service_cases.closed_on-before-opened_on", "service_cases",
        {"status": "done", "opened_on": D("2026-05-01"), "closed_on": D("2026-04-30")}, CHECK),
    Bad("deliveries.delivered_on-before-promised_on", "deliveries",
        {"promised_on": D("2026-05-01"), "delivered_on": D("2026-04-30")}, CHECK),
    # closed_on set for won/lost
    Bad("won-deal-without-closed_on", "deals", {"stage": "won", "closed_on": None}, CHECK),
    Bad("lost-deal-without-closed_on", "deals", {"stage": "lost", "closed_on": None}, CHECK),
]

# Rows at the edges of each range, and the freedoms the contract grants, are accepted.
EDGE_ROWS = [
    Bad("gross_margin_pct-at--100", "account_metrics", {"gross_margin_pct": -100}, ""),
    Bad("gross_margin_pct-at-100", "account_metrics", {"gross_margin_pct": 100}, ""),
    Bad("percentages-at-0", "account_metrics",
        {"client_market_share_pct": 0, "financial_health": 0, "share_of_wallet_pct": 0}, ""),
    Bad("percentages-at-100", "account_metrics",
        {"client_market_share_pct": 100, "financial_health": 100, "share_of_wallet_pct": 100},
        ""),
    Bad("optional-percentages-empty", "account_metrics",
        {"gross_margin_pct": None, "client_market_share_pct": None, "financial_health": None,
         "share_of_wallet_pct": None}, ""),
    Bad("closed-on-opening-day", "deals",
        {"stage": "won", "opened_on": D("2026-03-01"), "closed_on": D("2026-03-01")}, ""),
    Bad("delivered-on-promised-day", "deliveries",
        {"promised_on": D("2026-05-01"), "delivered_on": D("2026-05-01")}, ""),
    Bad("one-person-several-roles", "deal_contacts",
        {"deal_id": "D1", "contact_id": "P1", "role": "buyer"}, ""),
    Bad("deal-owner-empty", "deals", {"owner_id": None}, ""),
    Bad("delivery-without-deal", "deliveries", {"deal_id": None}, ""),
    Bad("optional-attitude-empty", "deal_contacts",
        {"attitude": None, "role": "gatekeeper"}, ""),
    Bad("cyrillic-account-name", "accounts", {"name": "ТОО «Алатаухим»"}, ""),
]


def test_valid_tiny_database_loads():
    con = valid_database()
    for table, rows in VALID.items():
        assert row_count(con, table) == len(rows), table
    con.close()


@pytest.mark.parametrize("table", list(FRESH))
def test_fresh_row_is_accepted(table):
    con = valid_database()
    insert(con, table, FRESH[table])
    assert row_count(con, table) == len(VALID[table]) + 1
    con.close()


@pytest.mark.parametrize("edge", EDGE_ROWS, ids=lambda edge: edge.id)
def test_edge_row_is_accepted(edge: Bad):
    con = valid_database()
    insert(con, edge.table, edge.row())
    con.close()


@pytest.mark.parametrize("bad", BAD_ROWS, ids=lambda bad: bad.id)
def test_bad_row_is_refused(bad: Bad):
    con = valid_database()
    with pytest.raises(duckdb.ConstraintException, match=bad.message):
        insert(con, bad.table, bad.row())
    # and nothing of it stayed behind
    assert row_count(con, bad.table) == len(VALID[bad.table])
    con.close()


REFERENCES = {"managers.reports_to", "accounts.manager_id", "accounts.parent_account_id",
              "account_metrics.account_id", "deals.account_id", "deals.owner_id",
              "deal_stage_history.deal_id", "calls.deal_id", "contacts.account_id",
              "deal_contacts.deal_id", "deal_contacts.contact_id", "deliveries.account_id",
              "deliveries.deal_id", "service_cases.account_id", "service_contracts.account_id",
              "relationship_events.account_id"}


def test_every_enumeration_key_and_reference_is_covered():
    """Guards the table above: each enumeration column and keyed table has a case."""
    ids = {bad.id for bad in BAD_ROWS}
    enumerations = {"accounts.tier", "accounts.kam_stage", "deals.stage",
                    "deal_stage_history.stage", "calls.outcome", "deal_contacts.role",
                    "deal_contacts.attitude", "service_cases.kind", "service_cases.status",
                    "service_cases.severity", "service_contracts.kind",
                    "relationship_events.kind", "relationship_events.severity"}
    assert {f"enum-{column}" for column in enumerations} <= ids
    keyed = set(EXPECTED_COLUMNS) - {"deal_stage_history"}  # keyed in the contract
    assert {f"duplicate-key-{table}" for table in keyed} <= ids
    assert {f"dangling-{column}" for column in REFERENCES} <= ids
