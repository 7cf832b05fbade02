"""Golden rows of the Account page's own queries on the `service` fixture
(tests/data/service, as of 2026-06-30), worked out by hand from its CSV files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.read.buying_center import buying_center_settings
from portfolio.read.service import ServiceSettings
from tests.conftest import build_fixture_database

AS_OF = date(2026, 6, 30)
NO_FILTERS: dict[str, list[str] | None] = {"manager_ids": [], "regions": [], "tiers": [],
                                           "kam_stages": [], "visible": None}
S, I64, F64, D, B = pl.String, pl.Int64, pl.Float64, pl.Date, pl.Boolean


@pytest.fixture(scope="module")
def service_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("service",
                                  tmp_path_factory.mktemp("account") / "service.duckdb")


def run(name: str, db: Path, account_id: str = "B1", **overrides: Any) -> pl.DataFrame:
    params = {**NO_FILTERS, "as_of": AS_OF, "account_id": account_id,
              **buying_center_settings().query_params(), **ServiceSettings().query_params(),
              **overrides}
    return queries.run(name, db=db, **params)


def frame(schema: dict[str, pl.DataType], rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_account_deals_gives_open_deals_with_stage_and_coverage(service_db: Path) -> None:
    # D1: no stage history, in investigation since 2026-03-01 (121 days); the decider P1
    # left on 15 April, so no decider is met; P2 engaged as user on 20 June covers one
    # role (as influencer on 1 February: too long ago). D2 was won in December.
    expected = frame({
        "deal_id": S, "deal_name": S, "product_line": S, "stage": S, "stage_since": D,
        "days_in_stage": I64, "value": F64, "expected_close_on": D, "owner_id": S,
        "owner_name": S, "last_outcome": S, "last_call_on": D, "roles_covered": I64,
        "coverage": F64, "decider_met": B, "approver_met": B, "people_covering": I64,
        "risk": S,
    }, [  # every decider gone: high risk, as on the buying-center page
        ("D1", "Line retrofit", "Presses", "investigation", d("2026-03-01"), 121, 100000.0,
         d("2026-12-31"), "M2", "Max Manager", None, None, 1, 1 / 7, False, False, 1, "high"),
    ])
    assert_frame_equal(run("account_deals", service_db), expected)


def test_account_deals_outside_the_filters_is_empty(service_db: Path) -> None:
    assert run("account_deals", service_db, manager_ids=["M3"]).height == 0


def test_account_buying_center_lists_people_roles_attitudes_and_who_left(
    service_db: Path,
) -> None:
    # P3 leaves after the as-of date (still there) and holds no role on a current deal;
    # P1 left on 15 April and comes last.
    expected = frame({
        "contact_id": S, "name": S, "title": S, "role": S, "attitude": S,
        "last_contact_on": D, "deals": I64, "open_deals": I64, "engaged_recently": B,
        "left_on": D,
    }, [
        ("P2", "Tom Tech", "Engineer", "user", "supporter", d("2026-06-20"), 1, 1, True, None),
        ("P2", "Tom Tech", "Engineer", "influencer", "neutral", d("2026-02-01"), 1, 1, False,
         None),
        ("P2", "Tom Tech", "Engineer", "buyer", "skeptic", d("2025-11-20"), 1, 0, False, None),
        ("P3", "Lea Later", "Buyer", None, None, None, 0, 0, False, None),
        ("P1", "Ольга Иванова", "CFO", "decider", "champion", d("2026-04-01"), 1, 1, False,
         d("2026-04-15")),
    ])
    assert_frame_equal(run("account_buying_center", service_db), expected)


CASES_SCHEMA = {
    "case_id": S, "kind": S, "severity": S, "status": S, "state": S, "opened_on": D,
    "due_on": D, "closed_on": D, "days_open": I64, "days_overdue": I64,
    "client_informed_on": D, "told": S,
}


def test_account_service_cases_open_overdue_first_then_kept_late(service_db: Path) -> None:
    # C3 was closed on time, C10 was opened exactly 365 days back.
    expected = frame(CASES_SCHEMA, [
        ("C1", "repair", "critical", "in_progress", "overdue", d("2026-06-01"),
         d("2026-06-08"), None, 29, 22, None, "never"),
        ("C4", "training", "low", "open", "pending", d("2026-06-20"), d("2026-07-20"), None,
         10, None, d("2026-06-20"), "in_time"),
        ("C2", "maintenance", "medium", "done", "closed_late", d("2026-05-01"),
         d("2026-05-10"), d("2026-05-15"), 14, 5, d("2026-05-01"), "in_time"),
    ])
    assert_frame_equal(run("account_service_cases", service_db), expected)


def test_account_service_cases_as_of_the_day_before_a_closing(service_db: Path) -> None:
    # B2 on the as-of date: C11 (closed 2 July, told 1 July) is open and not yet told; C7
    # was opened the day before: waiting; C6 opened three days before: never told.
    result = run("account_service_cases", service_db, account_id="B2")
    assert result.select("case_id", "state", "told").rows() == [
        ("C5", "overdue", "late"), ("C11", "pending", "never"), ("C6", "pending", "never"),
        ("C7", "pending", "waiting")]


def test_account_contracts_renewals_due_first(service_db: Path) -> None:
    expected = frame({"contract_id": S, "kind": S, "annual_value": F64, "starts_on": D,
                      "ends_on": D, "auto_renew": B, "state": S, "days_left": I64}, [
        ("K6", "spare_parts", 10000.0, d("2025-07-01"), d("2026-06-30"), True, "renewal_due",
         0),
        ("K1", "maintenance", 120000.0, d("2025-10-01"), d("2026-09-28"), False,
         "renewal_due", 90),
        ("K2", "support", 30000.0, d("2025-09-30"), d("2026-09-29"), True, "running", 91),
    ])
    assert_frame_equal(run("account_contracts", service_db), expected)


def test_account_contracts_show_ended_and_open_ended_ones(service_db: Path) -> None:
    result = run("account_contracts", service_db, account_id="B2")
    assert result.select("contract_id", "state", "days_left").rows() == [
        ("K3", "running", None), ("K4", "ended", None)]
    signed = run("account_contracts", service_db, account_id="B3")
    assert signed.select("contract_id", "state").rows() == [("K5", "signed")]


def test_account_deliveries_by_month_has_the_columns_of_deliveries_by_month(
    service_db: Path,
) -> None:
    expected = frame({"month": D, "due": I64, "on_time": I64, "late": I64,
                      "outstanding": I64, "on_time_rate": F64, "quality_issues": I64,
                      "invoice_issues": I64}, [
        (d("2026-05-01"), 2, 1, 1, 0, 0.5, 0, 1),
        (d("2026-06-01"), 2, 0, 0, 2, 0.0, 0, 0),
    ])
    assert_frame_equal(run("account_deliveries_by_month", service_db), expected)


def test_account_timeline_merges_recorded_events_contacts_and_missed_promises(
    service_db: Path,
) -> None:
    # C1's missed due date is recorded as E2 on the same day, so it appears once; C10
    # (high) fell due on 5 July 2025 and closed 15 days late; C2 is medium (left out).
    # E3 is after the as-of date, E4 exactly 24 months back.
    expected = frame({"occurred_on": D, "kind": S, "severity": S, "note": S, "source": S,
                      "ref": S}, [
        (d("2026-06-08"), "promise_broken", "high", "Repair promised for 8 June missed",
         "recorded", "E2"),
        (d("2026-04-15"), "key_contact_left", "high",
         "Ольга Иванова (CFO) left the client: decider", "contacts", "P1"),
        (d("2026-03-01"), "kam_changed", "high", "New key-account manager", "recorded", "E1"),
        (d("2025-07-05"), "promise_broken", "high",
         "High repair case C10 was promised by 5 Jul 2025: closed 15 days late", "service",
         "C10"),
    ])
    assert_frame_equal(run("account_timeline", service_db), expected)


def test_an_unknown_or_injected_account_gives_empty_frames(service_db: Path) -> None:
    for name in ("account_deals", "account_buying_center", "account_service_cases",
                 "account_contracts", "account_deliveries_by_month", "account_timeline"):
        assert run(name, service_db, account_id="B1' OR '1'='1").height == 0, name


def test_the_account_page_rates_deals_as_the_buying_center_page_does(demo_db: Path) -> None:
    """One rule for a deal's stage, coverage and risk: every open deal of every account,
    as the account page lists it, is the buying-center page's row (engagements after the
    as-of date count on neither)."""
    params = {**NO_FILTERS, "as_of": date(2026, 3, 31), "visible": None,
              **buying_center_settings().query_params()}
    rated = queries.run("buying_center_rated", db=demo_db, **params)
    columns = ["deal_id", "stage", "value", "roles_covered", "decider_met", "approver_met",
               "risk"]
    shown = pl.concat([queries.run("account_deals", db=demo_db, account_id=account, **params)
                       for account in rated["account_id"].unique().sort()])
    assert shown.height == rated.height > 50
    assert_frame_equal(shown.select(columns).sort("deal_id"),
                       rated.select(columns).sort("deal_id"), check_dtypes=False)
