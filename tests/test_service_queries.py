"""Golden rows of the Service page's queries on the `service` fixture (tests/data/service).

Every expected frame was worked out by hand from the fixture's CSV files (its README lists
the scenario), as of 2026-06-30 with the [service] settings of portfolio/core/settings.toml.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.read import service_totals as totals
from portfolio.read.service import ServiceSettings, with_service_status
from tests.conftest import build_fixture_database

AS_OF = date(2026, 6, 30)
NO_FILTERS: dict[str, list[str] | None] = {"manager_ids": [], "regions": [], "tiers": [],
                                           "kam_stages": [], "visible": None}
S, I64, F64, D, B = pl.String, pl.Int64, pl.Float64, pl.Date, pl.Boolean
SETTINGS = ServiceSettings()  # the defaults, equal to settings.toml (checked below)


@pytest.fixture(scope="module")
def service_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("service",
                                  tmp_path_factory.mktemp("service") / "service.duckdb")


def run(name: str, db: Path, **overrides: Any) -> pl.DataFrame:
    """The rows the Service page shows: per-account rows added up as the page does."""
    params = {**NO_FILTERS, "as_of": AS_OF, **SETTINGS.query_params(), **overrides}
    rows = queries.run(name, db=db, **params)
    if name in totals.SUMMED:
        return totals.SUMMED[name](rows)
    if name in totals.LISTED:
        return totals.LISTED[name](rows, params["limit"])
    return rows


def frame(schema: dict[str, pl.DataType], rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_the_defaults_are_the_settings_file() -> None:
    assert ServiceSettings.load() == SETTINGS


# --- service_account_status ----------------------------------------------------------------

STATUS_SCHEMA = {
    "account_id": S, "account_name": S, "tier": S, "kam_stage": S, "manager_id": S,
    "manager_name": S, "deliveries_due": I64, "on_time": I64, "delivered_late": I64,
    "outstanding": I64, "delivered": I64, "quality_issues": I64, "invoice_issues": I64,
    "on_time_rate": F64, "open_cases": I64, "overdue_cases": I64, "overdue_severe": I64,
    "overdue_not_told": I64, "oldest_overdue_days": I64, "overdue_kinds": S,
    "cases_closed": I64, "closed_late": I64, "cases_judged": I64, "told_late_or_never": I64,
    "has_service_data": B,
}


def test_service_account_status_counts_the_facts_of_the_last_90_days(service_db: Path) -> None:
    # B1: V1-V4 due (V3 never delivered, V4 delivered after the as-of date: outstanding);
    # C1 open past due, critical, never told; C2 closed late; C3 closed before the window;
    # judged: C1 (never told), C2, C4. B2: V5 promised on the window's first day is out;
    # C5 overdue (low), C6/C11 not told, C5 told after 4 days, C7 too recent to judge.
    # B3: nothing due; C8 121 days overdue; C9 cancelled.
    expected = frame(STATUS_SCHEMA, [
        ("B1", "Alpha Werke", "strategic", "partnership_kam", "M2", "Max Manager",
         4, 1, 1, 2, 2, 0, 1, 0.25, 2, 1, 1, 1, 22, "repair", 1, 1, 3, 1, True),
        ("B2", "ООО Сервис", "key", "mid_kam", "M3", "Nina Nord",
         1, 1, 0, 0, 1, 1, 0, 1.0, 4, 1, 0, 0, 10, "complaint", 0, 0, 3, 3, True),
        ("B3", "Gamma Foods", "standard", "pre_kam", "M2", "Max Manager",
         0, 0, 0, 0, 0, 0, 0, None, 1, 1, 1, 0, 121, "installation", 0, 0, 0, 0, True),
    ])
    assert_frame_equal(run("service_account_status", service_db), expected)


def test_an_account_with_nothing_to_judge_has_no_service_data(service_db: Path) -> None:
    # On 2025-03-31 no delivery was promised and no case opened in the year before, and no
    # case was open; a year later B3 has its installation case (C8) and the others deliveries
    before = run("service_account_status", service_db, as_of=date(2025, 3, 31))
    assert before.select("account_id", "has_service_data").rows() == [
        ("B1", False), ("B2", False), ("B3", False)]
    assert with_service_status(before, ServiceSettings())["band"].to_list() == ["no_data"] * 3
    assert run("service_account_status", service_db)["has_service_data"].all()


def test_service_account_status_follows_the_manager_filter(service_db: Path) -> None:
    result = run("service_account_status", service_db, manager_ids=["M3"])
    assert result["account_id"].to_list() == ["B2"]


def test_service_account_status_moves_with_the_as_of_date(service_db: Path) -> None:
    # On 2026-05-31 C1 (opened 1 June) does not exist yet, V3/V4 are not yet due and V2
    # was delivered late; C2 was closed late in the window.
    row = run("service_account_status", service_db, as_of=date(2026, 5, 31)).row(0, named=True)
    assert (row["deliveries_due"], row["on_time"], row["delivered_late"], row["outstanding"],
            row["overdue_cases"], row["closed_late"]) == (2, 1, 1, 0, 0, 1)


# --- service_broken_promises, service_broken_by_kind --------------------------------------

BROKEN_SCHEMA = {
    "case_id": S, "account_id": S, "account_name": S, "manager_name": S, "kind": S,
    "severity": S, "state": S, "opened_on": D, "due_on": D, "closed_on": D,
    "days_overdue": I64, "client_informed_on": D, "told": S, "open_total": I64,
    "closed_late_total": I64,
}


def test_broken_promises_are_open_past_due_or_closed_late_most_severe_first(
    service_db: Path,
) -> None:
    # Out: C3 closed before its due date, C9 cancelled, C10 opened exactly 365 days back,
    # C11 due on the as-of day. Late deliveries (more than 7 days) are broken promises too:
    # V3 not delivered 15 days after the promised day, V4 29 days (delivered after as-of);
    # not V2 (5 days), V9 (3 days) or V7 (promised exactly 365 days back). No delivery of the
    # fixture records when the client was told: unknown. Deliveries have no severity: last.
    expected = frame(BROKEN_SCHEMA, [
        ("C1", "B1", "Alpha Werke", "Max Manager", "repair", "critical", "open",
         d("2026-06-01"), d("2026-06-08"), None, 22, None, "never", 5, 1),
        ("C8", "B3", "Gamma Foods", "Max Manager", "installation", "high", "open",
         d("2026-02-01"), d("2026-03-01"), None, 121, d("2026-02-01"), "in_time", 5, 1),
        ("C5", "B2", "ООО Сервис", "Nina Nord", "complaint", "low", "open",
         d("2026-06-10"), d("2026-06-20"), None, 10, d("2026-06-14"), "late", 5, 1),
        ("V4", "B1", "Alpha Werke", "Max Manager", "delivery", None, "open",
         None, d("2026-06-01"), None, 29, None, "unknown", 5, 1),
        ("V3", "B1", "Alpha Werke", "Max Manager", "delivery", None, "open",
         None, d("2026-06-15"), None, 15, None, "unknown", 5, 1),
        ("C2", "B1", "Alpha Werke", "Max Manager", "maintenance", "medium", "closed_late",
         d("2026-05-01"), d("2026-05-10"), d("2026-05-15"), 5, d("2026-05-01"), "in_time",
         5, 1),
    ])
    assert_frame_equal(run("service_broken_promises", service_db), expected)


def test_broken_promises_limit_cuts_each_state_but_totals_count_all(service_db: Path) -> None:
    result = run("service_broken_promises", service_db, limit=1)
    assert result["case_id"].to_list() == ["C1", "C2"]
    assert result["open_total"].to_list() == [5, 5]  # three cases, two deliveries


def test_broken_promises_by_kind_and_whether_the_client_was_told(service_db: Path) -> None:
    expected = frame({"kind": S, "state": S, "told": S, "cases": I64,
                      "max_days_overdue": I64}, [
        ("complaint", "open", "late", 1, 10),
        ("delivery", "open", "unknown", 2, 29),
        ("installation", "open", "in_time", 1, 121),
        ("maintenance", "closed_late", "in_time", 1, 5),
        ("repair", "open", "never", 1, 22),
    ])
    assert_frame_equal(run("service_broken_by_kind", service_db), expected)


# --- client information -------------------------------------------------------------------

LAPSES_SCHEMA = {
    "case_id": S, "account_id": S, "account_name": S, "manager_name": S, "kind": S,
    "severity": S, "opened_on": D, "due_on": D, "client_informed_on": D, "told": S,
    "days_to_tell": I64, "still_open": B, "past_due": B, "lapses_total": I64,
    "never_total": I64,
}


def test_informed_lapses_list_cases_told_late_or_never_never_told_first(
    service_db: Path,
) -> None:
    # C11 was told on 1 July, after the as-of date: never told by then. C7 was opened one
    # day before: too recent to judge. C1 (the case never reported) leads.
    expected = frame(LAPSES_SCHEMA, [
        ("C1", "B1", "Alpha Werke", "Max Manager", "repair", "critical", d("2026-06-01"),
         d("2026-06-08"), None, "never", None, True, True, 4, 3),
        ("C11", "B2", "ООО Сервис", "Nina Nord", "maintenance", "medium", d("2026-06-20"),
         d("2026-06-30"), None, "never", None, True, False, 4, 3),
        ("C6", "B2", "ООО Сервис", "Nina Nord", "invoicing", "medium", d("2026-06-27"),
         d("2026-07-07"), None, "never", None, True, False, 4, 3),
        ("C5", "B2", "ООО Сервис", "Nina Nord", "complaint", "low", d("2026-06-10"),
         d("2026-06-20"), d("2026-06-14"), "late", 4, True, True, 4, 3),
    ])
    assert_frame_equal(run("service_informed_lapses", service_db), expected)


def test_informed_by_month_judges_each_case_opened_in_twelve_months(service_db: Path) -> None:
    # June: C4 in time, C5 late, C1/C6/C11 never, C7 waiting; C10 (June 2025) is out.
    expected = frame({"month": D, "cases": I64, "in_time": I64, "late": I64, "never": I64,
                      "waiting": I64, "in_time_rate": F64}, [
        (d("2026-02-01"), 1, 1, 0, 0, 0, 1.0),
        (d("2026-03-01"), 1, 1, 0, 0, 0, 1.0),
        (d("2026-05-01"), 1, 1, 0, 0, 0, 1.0),
        (d("2026-06-01"), 6, 1, 1, 3, 1, 0.2),
    ])
    assert_frame_equal(run("service_informed_by_month", service_db), expected)


def test_a_longer_inform_window_turns_the_late_case_in_time(service_db: Path) -> None:
    result = run("service_informed_lapses", service_db, inform_within_days=5)
    assert result["case_id"].to_list() == ["C1", "C11"]


# --- cases by kind, installation and training ---------------------------------------------


def test_cases_by_kind_and_state_with_ages(service_db: Path) -> None:
    # Opened in the 365 days or still open; C10 (opened 2025-06-30, closed) is out.
    expected = frame({"kind": S, "state": S, "cases": I64, "median_age_days": F64,
                      "max_age_days": I64}, [
        ("complaint", "overdue", 1, 20.0, 20),
        ("installation", "done", 1, 19.0, 19),
        ("installation", "overdue", 1, 149.0, 149),
        ("invoicing", "pending", 1, 3.0, 3),
        ("maintenance", "late", 1, 14.0, 14),
        ("maintenance", "pending", 1, 10.0, 10),
        ("repair", "cancelled", 1, 2.0, 2),
        ("repair", "overdue", 1, 29.0, 29),
        ("training", "pending", 1, 10.0, 10),
        ("upgrade", "pending", 1, 1.0, 1),
    ])
    assert_frame_equal(run("service_cases_by_kind", service_db), expected)


def test_setup_status_gives_every_kind_and_state(service_db: Path) -> None:
    expected = frame({"kind": S, "state": S, "cases": I64, "median_age_days": F64,
                      "max_age_days": I64}, [
        ("installation", "done", 1, 19.0, 19),
        ("installation", "pending", 0, None, None),
        ("installation", "overdue", 1, 149.0, 149),
        ("training", "done", 0, None, None),
        ("training", "pending", 1, 10.0, 10),
        ("training", "overdue", 0, None, None),
    ])
    assert_frame_equal(run("service_setup_status", service_db), expected)


def test_setup_accounts_put_overdue_installations_first(service_db: Path) -> None:
    # B1: V1 and V2 delivered (V4 only after the as-of date); B2: V5, V6 (V9 before the
    # 180 days); B3: no delivery but an overdue installation.
    expected = frame({
        "account_id": S, "account_name": S, "manager_name": S, "deliveries": I64,
        "last_delivered_on": D, "installations_done": I64, "installations_pending": I64,
        "installations_overdue": I64, "trainings_done": I64, "trainings_pending": I64,
        "trainings_overdue": I64, "accounts_total": I64,
    }, [
        ("B3", "Gamma Foods", "Max Manager", 0, None, 0, 0, 1, 0, 0, 0, 3),
        ("B1", "Alpha Werke", "Max Manager", 2, d("2026-05-25"), 1, 0, 0, 0, 1, 0, 3),
        ("B2", "ООО Сервис", "Nina Nord", 2, d("2026-04-02"), 0, 0, 0, 0, 0, 0, 3),
    ])
    assert_frame_equal(run("service_setup_accounts", service_db), expected)


# --- deliveries ----------------------------------------------------------------------------


def test_late_deliveries_include_the_one_never_delivered(service_db: Path) -> None:
    # V3 has no delivered date: 15 days late on the as-of date; V4 arrives after it.
    # V7 (promised exactly 365 days back) and V8 (not yet due) are out.
    expected = frame({
        "delivery_id": S, "account_id": S, "account_name": S, "manager_name": S,
        "deal_id": S, "deal_name": S, "promised_on": D, "delivered_on": D, "state": S,
        "days_late": I64, "quality_issue": B, "invoice_issue": B, "late_total": I64,
        "outstanding_total": I64,
    }, [
        ("V4", "B1", "Alpha Werke", "Max Manager", None, None, d("2026-06-01"), None,
         "outstanding", 29, False, False, 2, 2),
        ("V3", "B1", "Alpha Werke", "Max Manager", None, None, d("2026-06-15"), None,
         "outstanding", 15, False, False, 2, 2),
        ("V2", "B1", "Alpha Werke", "Max Manager", "D2", "Old order", d("2026-05-20"),
         d("2026-05-25"), "late", 5, False, True, 2, 2),
        ("V9", "B2", "ООО Сервис", "Nina Nord", None, None, d("2025-12-01"),
         d("2025-12-04"), "late", 3, False, False, 2, 2),
    ])
    assert_frame_equal(run("delivery_late", service_db), expected)


# --- contracts -----------------------------------------------------------------------------


def test_contracts_by_kind_split_renewals_due_within_90_days(service_db: Path) -> None:
    # K1 ends on day 90 (in), K2 on day 91 (out), K6 on the as-of day (in); K3 has no end;
    # K4 ended the day before and K5 starts later: neither runs.
    expected = frame({"kind": S, "contracts": I64, "annual_value": F64, "renewals_due": I64,
                      "renewal_value": F64, "renewals_automatic": I64}, [
        ("maintenance", 1, 120000.0, 1, 120000.0, 0),
        ("support", 1, 30000.0, 0, 0.0, 0),
        ("spare_parts", 1, 10000.0, 1, 10000.0, 1),
        ("consumables", 1, 50000.5, 0, 0.0, 0),
        ("training", 0, 0.0, 0, 0.0, 0),
    ])
    assert_frame_equal(run("contracts_by_kind", service_db), expected)


def test_renewals_just_inside_90_days_listed_just_outside_not(service_db: Path) -> None:
    expected = frame({
        "contract_id": S, "account_id": S, "account_name": S, "manager_name": S, "kind": S,
        "annual_value": F64, "starts_on": D, "ends_on": D, "days_left": I64, "auto_renew": B,
        "renewals_total": I64, "renewal_value_total": F64,
    }, [
        ("K1", "B1", "Alpha Werke", "Max Manager", "maintenance", 120000.0, d("2025-10-01"),
         d("2026-09-28"), 90, False, 2, 130000.0),
        ("K6", "B1", "Alpha Werke", "Max Manager", "spare_parts", 10000.0, d("2025-07-01"),
         d("2026-06-30"), 0, True, 2, 130000.0),
    ])
    assert_frame_equal(run("contracts_renewals", service_db), expected)


def test_a_91_day_renewal_window_takes_in_the_next_contract(service_db: Path) -> None:
    result = run("contracts_renewals", service_db, renewal_days=91)
    # not renewing by itself first, then the soonest
    assert result["contract_id"].to_list() == ["K1", "K6", "K2"]


# --- revenue mix ---------------------------------------------------------------------------


def test_revenue_mix_by_month_for_24_months(service_db: Path) -> None:
    expected = frame({"month": D, "equipment": F64, "service": F64, "consumables": F64,
                      "spares": F64, "accounts": I64}, [
        (d("2024-09-01"), 100.0, 50.0, 0.0, 0.0, 1),
        (d("2025-06-01"), 100.0, 10.0, 10.0, 0.0, 1),
        (d("2025-09-01"), 50.0, 100.0, 60.0, 40.0, 1),
        (d("2026-05-01"), 300.0, 100.0, 50.0, 50.0, 1),
        (d("2026-06-01"), 200.0, 100.0, 50.0, 0.0, 1),
    ])
    assert_frame_equal(run("revenue_mix_by_month", service_db), expected)


def test_revenue_mix_by_account_shows_where_after_sales_out_sells_equipment(
    service_db: Path,
) -> None:
    # B1 T12M: 2026-05 + 2026-06; the twelve months before: 2025-06. B2: 2025-09, before:
    # 2024-09. B3 has no metrics.
    expected = frame({
        "account_id": S, "account_name": S, "tier": S, "manager_name": S, "revenue": F64,
        "equipment": F64, "service": F64, "consumables": F64, "spares": F64,
        "aftersales": F64, "aftersales_share": F64, "aftersales_share_before": F64,
        "aftersales_led": B, "accounts_total": I64, "aftersales_led_total": I64,
        "aftersales_led_revenue": F64,
    }, [
        ("B1", "Alpha Werke", "strategic", "Max Manager", 850.0, 500.0, 200.0, 100.0, 50.0,
         350.0, 350 / 850, 20 / 120, False, 2, 1, 250.0),
        ("B2", "ООО Сервис", "key", "Nina Nord", 250.0, 50.0, 100.0, 60.0, 40.0, 200.0,
         0.8, 50 / 150, True, 2, 1, 250.0),
    ])
    got = run("revenue_mix_by_account", service_db)
    # both from the finance feed
    assert got.select("from_deals", "from_deals_total").rows() == [(False, 0), (False, 0)]
    assert_frame_equal(got.drop("from_deals", "from_deals_total"), expected)


@pytest.mark.parametrize("name", ["service_account_status", "service_broken_promises",
                                  "service_informed_lapses", "delivery_late",
                                  "contracts_renewals", "revenue_mix_by_account",
                                  "service_setup_accounts"])
def test_an_injection_looking_filter_matches_nothing(service_db: Path, name: str) -> None:
    assert run(name, service_db, manager_ids=["x' OR '1'='1"]).height == 0
