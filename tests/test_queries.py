"""Golden-row tests of the dataset queries against the tiny text fixture.

Every expected frame below was computed by hand from tests/data/tiny/*.csv (the scenario
and its key figures are in tests/data/tiny/README.md), never copied from a query's output.
All tests look at the portfolio as of 2026-06-30; the fixture holds later rows on purpose
so that the as-of cut is checked.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.overview import pipeline_by_stage
from portfolio.service_totals import monthly_deliveries

AS_OF = date(2026, 6, 30)
STAGE_PROBABILITIES = [0.1, 0.25, 0.5, 0.75]
NO_FILTERS: dict[str, list[str] | None] = {
    "manager_ids": [],
    "regions": [],
    "tiers": [],
    "kam_stages": [],
    "visible": None,
}
INJECTION = "x' OR '1'='1"

S, I64, I32, F64, D, B = pl.String, pl.Int64, pl.Int32, pl.Float64, pl.Date, pl.Boolean


def run(name: str, db: Path, **overrides: Any) -> pl.DataFrame:
    """Run a query with no filters, as of 2026-06-30, and the standard parameters."""
    params: dict[str, Any] = {
        **NO_FILTERS,
        "as_of": AS_OF,
        "stage_probabilities": STAGE_PROBABILITIES,
        "recent_days": 90,
        **overrides,
    }
    return queries.run(name, db=db, **params)


def frame(schema: dict[str, pl.DataType], rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- pipeline_by_stage -------------------------------------------------------------------

PIPELINE_SCHEMA = {"stage": S, "stage_order": I32, "deals": I64, "value": F64}


def test_pipeline_by_stage_counts_open_deals_as_of_and_deals_closed_in_last_twelve_months(
    tiny_db: Path,
) -> None:
    # D7 (opened after as-of) is out; D4 (won 2026-07-20) is still obtaining_commitment;
    # D8 (won 2025-06-30, exactly twelve months back) is out; D10 (lost 2025-08-01, no
    # stage history and no stage_entered_on) is in: it closed within the twelve months.
    expected = frame(PIPELINE_SCHEMA, [
        ("preliminaries", 1, 1, 100000.0),
        ("investigation", 2, 2, 110000.0),
        ("demonstrating_capability", 3, 1, 80000.0),
        ("obtaining_commitment", 4, 1, 40000.0),
        ("won", 5, 1, 120000.0),
        ("lost", 6, 2, 45000.0),
    ])
    assert_frame_equal(pipeline_by_stage(run("pipeline_by_stage", tiny_db)), expected)


def test_pipeline_by_stage_for_a_lead_covers_the_lead_and_the_team(tiny_db: Path) -> None:
    expected = frame(PIPELINE_SCHEMA, [
        ("preliminaries", 1, 1, 100000.0),
        ("investigation", 2, 1, 50000.0),
        ("demonstrating_capability", 3, 1, 80000.0),
        ("obtaining_commitment", 4, 1, 40000.0),
        ("won", 5, 0, 0.0),
        ("lost", 6, 0, 0.0),
    ])
    result = pipeline_by_stage(run("pipeline_by_stage", tiny_db, manager_ids=["M2"]))
    assert_frame_equal(result, expected)


def test_pipeline_by_stage_excludes_deal_closed_exactly_twelve_months_before_as_of(
    tiny_db: Path,
) -> None:
    # Lead M5 owns A5: D5 won 2026-02-15 counts, D8 won 2025-06-30 does not, D9 is open.
    expected = frame(PIPELINE_SCHEMA, [
        ("preliminaries", 1, 0, 0.0),
        ("investigation", 2, 1, 60000.0),
        ("demonstrating_capability", 3, 0, 0.0),
        ("obtaining_commitment", 4, 0, 0.0),
        ("won", 5, 1, 120000.0),
        ("lost", 6, 0, 0.0),
    ])
    result = pipeline_by_stage(run("pipeline_by_stage", tiny_db, manager_ids=["M5"]))
    assert_frame_equal(result, expected)


# --- deals_open --------------------------------------------------------------------------

DEALS_OPEN_SCHEMA = {
    "deal_id": S, "deal_name": S, "account_id": S, "account_name": S, "stage": S,
    "value": F64, "days_in_stage": I64, "last_outcome": S, "last_call_on": D,
    "owner_id": S, "owner_name": S, "expected_close_on": D,
}


def test_deals_open_lists_deals_open_on_as_of_with_stage_age_last_call_and_owner(
    tiny_db: Path,
) -> None:
    expected = frame(DEALS_OPEN_SCHEMA, [
        ("D1", "Line upgrade", "A1", "Acme Steel", "preliminaries", 100000.0, 29,
         "advance", d("2026-06-10"), "M2", "Leo Lead", d("2026-12-31")),
        ("D3", "Demo line", "A3", "Acme Steel Services", "demonstrating_capability", 80000.0,
         60, "continuation", d("2026-06-20"), "M2", "Leo Lead", d("2026-09-30")),
        ("D9", "Clean room", "A5", "Coastal Labs", "investigation", 60000.0, 90,
         None, None, "M5", "Lena Solo", None),
        ("D2", "Сервисный контракт", "A2", "ООО Ромашка", "investigation", 50000.0, 81,
         "continuation", d("2026-06-25"), "M3", "Mia Manager", d("2026-10-31")),
        ("D4", "Packaging cell", "A4", "Borealis Foods", "obtaining_commitment", 40000.0, 46,
         "advance", d("2026-05-10"), "M4", "Max Miller", d("2026-07-15")),
    ])
    assert_frame_equal(run("deals_open", tiny_db), expected)


def test_deals_open_for_a_manager_filters_by_account_manager_not_deal_owner(
    tiny_db: Path,
) -> None:
    # D3 is on M3's account A3 but owned by M2: it belongs to M3's portfolio.
    result = run("deals_open", tiny_db, manager_ids=["M3"])
    assert result.select("deal_id", "owner_id").rows() == [("D3", "M2"), ("D2", "M3")]


def test_deal_won_after_as_of_is_open_before_and_gone_after_it_was_won(
    tiny_db: Path,
) -> None:
    before = run("deals_open", tiny_db)
    assert before.filter(pl.col("deal_id") == "D4")["stage"].to_list() == [
        "obtaining_commitment"
    ]
    # As of 2026-07-31, D4 is won (gone) and D7 (opened 2026-07-10) has appeared.
    after = run("deals_open", tiny_db, as_of=date(2026, 7, 31))
    assert after["deal_id"].to_list() == ["D7", "D1", "D3", "D9", "D2"]


def test_deal_living_on_continuations_shows_continuation_as_its_last_call(
    tiny_db: Path,
) -> None:
    result = run("deals_open", tiny_db, as_of=date(2026, 6, 24))
    stalling = result.filter(pl.col("deal_id") == "D2")
    assert stalling.select("last_outcome", "last_call_on").rows() == [
        ("continuation", d("2026-05-20"))
    ]


# --- deal_coverage -----------------------------------------------------------------------

COVERAGE_SCHEMA = {
    "deal_id": S, "deal_name": S, "account_id": S, "account_name": S, "stage": S,
    "value": F64, "roles_covered": I64, "coverage": F64, "decider_met": B,
    "approver_met": B, "people_covering": I64,
}


def test_deal_coverage_counts_roles_of_active_contacts_engaged_in_recent_days(
    tiny_db: Path,
) -> None:
    # D1: K1 holds initiator+buyer+decider; the approver K2 left on 2026-05-01.
    # D2: K3 (leaves only 2026-08-01) decider+user; K4 influencer exactly 90 days ago
    #     (recent) and approver engaged 2025-11-15 (met, but not recent).
    # D3: no decider, no approver. D4: buyer engaged after as-of does not count.
    # D9: nobody.
    expected = frame(COVERAGE_SCHEMA, [
        ("D1", "Line upgrade", "A1", "Acme Steel", "preliminaries", 100000.0,
         3, 3 / 7, True, False, 1),
        ("D3", "Demo line", "A3", "Acme Steel Services", "demonstrating_capability", 80000.0,
         2, 2 / 7, False, False, 1),
        ("D9", "Clean room", "A5", "Coastal Labs", "investigation", 60000.0,
         0, 0.0, False, False, 0),
        ("D2", "Сервисный контракт", "A2", "ООО Ромашка", "investigation", 50000.0,
         3, 3 / 7, True, True, 2),
        ("D4", "Packaging cell", "A4", "Borealis Foods", "obtaining_commitment", 40000.0,
         2, 2 / 7, True, True, 1),
    ])
    assert_frame_equal(run("deal_coverage", tiny_db), expected)


def test_deal_coverage_shorter_recent_window_drops_older_engagements(tiny_db: Path) -> None:
    # With 30 days (from 2026-05-31): D2 keeps K3 (2026-06-01) only, D4 loses K6 (05-10).
    result = run("deal_coverage", tiny_db, recent_days=30)
    assert result.select("deal_id", "roles_covered", "people_covering").rows() == [
        ("D1", 3, 1), ("D3", 2, 1), ("D9", 0, 0), ("D2", 2, 1), ("D4", 0, 0),
    ]


# --- deliveries_by_month -----------------------------------------------------------------

DELIVERIES_SCHEMA = {
    "month": D, "due": I64, "on_time": I64, "late": I64, "outstanding": I64,
    "on_time_rate": F64,
}


def test_deliveries_by_month_covers_the_twelve_months_up_to_as_of(tiny_db: Path) -> None:
    # L6 promised 2025-07-01 (first day of the twelve-month window) counts; L7 promised
    # 2025-06-30 and L4 promised 2026-08-15 do not. L5, delivered 2026-07-03, is still
    # outstanding on 2026-06-30.
    expected = frame(DELIVERIES_SCHEMA, [
        (d("2025-07-01"), 1, 1, 0, 0, 1.0),
        (d("2026-03-01"), 1, 1, 0, 0, 1.0),
        (d("2026-05-01"), 1, 0, 1, 0, 0.0),
        (d("2026-06-01"), 3, 1, 0, 2, 1 / 3),
    ])
    assert_frame_equal(monthly_deliveries(run("deliveries_by_month", tiny_db)), expected)


def test_deliveries_by_month_for_a_lead_team(tiny_db: Path) -> None:
    expected = frame(DELIVERIES_SCHEMA, [
        (d("2026-05-01"), 1, 0, 1, 0, 0.0),
        (d("2026-06-01"), 2, 0, 0, 2, 0.0),
    ])
    assert_frame_equal(monthly_deliveries(run("deliveries_by_month", tiny_db, manager_ids=["M2"])),
                       expected)


# --- service_cases_overdue ---------------------------------------------------------------

OVERDUE_SCHEMA = {
    "case_id": S, "account_id": S, "account_name": S, "kind": S, "severity": S,
    "opened_on": D, "due_on": D, "days_overdue": I64, "client_informed_on": D,
    "manager_name": S,
}


def test_service_cases_overdue_lists_open_past_due_cases_most_overdue_first(
    tiny_db: Path,
) -> None:
    # Out: S2 (closed late, before as-of), S4 (cancelled), S6 (not yet due), S7 (due on
    # the as-of day). S5 closed after as-of, so it is open; its client was told only on
    # 2026-07-01, after as-of. S3's client was never told.
    expected = frame(OVERDUE_SCHEMA, [
        ("S3", "A3", "Acme Steel Services", "upgrade", "critical", d("2026-03-01"),
         d("2026-04-15"), 76, None, "Mia Manager"),
        ("S1", "A1", "Acme Steel", "repair", "high", d("2026-05-01"),
         d("2026-06-01"), 29, d("2026-05-02"), "Leo Lead"),
        ("S5", "A5", "Coastal Labs", "complaint", "high", d("2026-06-01"),
         d("2026-06-10"), 20, None, "Lena Solo"),
    ])
    assert_frame_equal(run("service_cases_overdue", tiny_db), expected)


def test_service_cases_overdue_for_a_manager_shows_only_their_accounts(tiny_db: Path) -> None:
    result = run("service_cases_overdue", tiny_db, manager_ids=["M3"])
    assert result["case_id"].to_list() == ["S3"]


# --- portfolio_headline ------------------------------------------------------------------

HEADLINE_SCHEMA = {
    "accounts": I64, "key_accounts": I64, "revenue_t12m": F64, "revenue_prior_t12m": F64,
    "open_deals": I64, "open_value": F64, "weighted_value": F64,
    "deliveries_due_90d": I64, "on_time_rate_90d": F64, "overdue_cases": I64,
}


def test_portfolio_headline_for_the_whole_portfolio(tiny_db: Path) -> None:
    # Weighted: 100000*0.1 + 110000*0.25 + 80000*0.5 + 40000*0.75 = 107500.
    # Deliveries promised 2026-04-02..2026-06-30: L2, L3, L5, L8; only L8 on time.
    expected = frame(HEADLINE_SCHEMA, [
        (6, 4, 2500.0, 700.0, 5, 330000.0, 107500.0, 4, 0.25, 3),
    ])
    got = run("portfolio_headline", tiny_db)
    assert got["revenue_from_deals"].to_list() == [False]  # finance feed or nothing
    assert_frame_equal(got.drop("revenue_from_deals"), expected)


def test_portfolio_headline_for_a_lead_team(tiny_db: Path) -> None:
    # Weighted: 100000*0.1 + 50000*0.25 + 80000*0.5 + 40000*0.75 = 92500.
    expected = frame(HEADLINE_SCHEMA, [
        (4, 3, 1500.0, 700.0, 4, 270000.0, 92500.0, 3, 0.0, 2),
    ])
    got = run("portfolio_headline", tiny_db, manager_ids=["M2"])
    assert got["revenue_from_deals"].to_list() == [False]  # finance feed or nothing
    assert_frame_equal(got.drop("revenue_from_deals"), expected)


def test_portfolio_headline_without_metrics_or_deliveries_gives_nulls_not_zeros(
    tiny_db: Path,
) -> None:
    expected = frame(HEADLINE_SCHEMA, [
        (1, 0, None, None, 1, 40000.0, 30000.0, 0, None, 0),
    ])
    got = run("portfolio_headline", tiny_db, manager_ids=["M4"])
    assert got["revenue_from_deals"].to_list() == [False]  # finance feed or nothing
    assert_frame_equal(got.drop("revenue_from_deals"), expected)


# --- account_trends ----------------------------------------------------------------------

TRENDS_SCHEMA = {
    "account_id": S, "name": S, "tier": S, "kam_stage": S, "region": S, "manager_name": S,
    "revenue_t12m": F64, "revenue_prior_t12m": F64, "revenue_growth": F64,
    "aftersales_share": F64, "market_share_year_ago": F64, "market_share_now": F64,
    "health_year_ago": F64, "health_now": F64,
}


def test_account_trends_compares_last_twelve_months_with_the_twelve_before(
    tiny_db: Path,
) -> None:
    # A1: recent 2025-07 (500) + 2026-06 (800); prior 2024-07 (200) + 2025-06 (400);
    # 2024-06 and 2026-07 are outside. A2's last month is 2026-03, compared with 2025-03.
    # A5 has a single month and nothing a year earlier.
    nothing = (None,) * 8
    expected = frame(TRENDS_SCHEMA, [
        ("A1", "Acme Steel", "strategic", "partnership_kam", "North", "Leo Lead",
         1300.0, 600.0, 1300 / 600 - 1, 600 / 1300, 18.0, 11.0, 75.0, 41.0),
        ("A5", "Coastal Labs", "strategic", "synergistic_kam", "South", "Lena Solo",
         1000.0, None, None, 0.0, None, 40.0, None, 90.0),
        ("A2", "ООО Ромашка", "key", "early_kam", "North", "Mia Manager",
         200.0, 100.0, 1.0, 0.5, 30.0, 33.0, 60.0, 65.0),
        ("A3", "Acme Steel Services", "key", "mid_kam", "North", "Mia Manager", *nothing),
        ("A4", "Borealis Foods", "standard", "pre_kam", "South", "Max Miller", *nothing),
        ("A6", "Delta Mining", "standard", "uncoupling_kam", "South", "Helen Head", *nothing),
    ])
    got = run("account_trends", tiny_db)
    assert not got["revenue_from_deals"].any()  # every revenue from the finance feed
    assert_frame_equal(got.drop("revenue_from_deals"), expected)


# --- account_profile, account_monthly, account_events, account_choices -------------------

PROFILE_SCHEMA = {
    "account_id": S, "name": S, "tier": S, "kam_stage": S, "region": S, "country": S,
    "industry": S, "key_since": D, "manager_name": S, "parent_name": S,
}


def test_account_profile_shows_manager_and_parent_account(tiny_db: Path) -> None:
    expected = frame(PROFILE_SCHEMA, [
        ("A3", "Acme Steel Services", "key", "mid_kam", "North", "DE", "Steel",
         d("2022-05-01"), "Mia Manager", "Acme Steel"),
    ])
    assert_frame_equal(run("account_profile", tiny_db, account_id="A3"), expected)


def test_account_profile_keeps_a_cyrillic_name(tiny_db: Path) -> None:
    expected = frame(PROFILE_SCHEMA, [
        ("A2", "ООО Ромашка", "key", "early_kam", "North", "RU", "Chemicals",
         d("2025-09-01"), "Mia Manager", None),
    ])
    assert_frame_equal(run("account_profile", tiny_db, account_id="A2"), expected)


def test_account_profile_outside_the_filters_is_empty(tiny_db: Path) -> None:
    result = run("account_profile", tiny_db, account_id="A3", manager_ids=["M5"])
    assert result.height == 0
    assert result.columns == list(PROFILE_SCHEMA)


def test_account_monthly_gives_the_24_months_up_to_as_of(tiny_db: Path) -> None:
    schema = {
        "month": D, "equipment": F64, "service": F64, "consumables": F64, "spares": F64,
        "gross_margin_pct": F64, "client_market_share_pct": F64, "financial_health": F64,
        "share_of_wallet_pct": F64,
    }
    expected = frame(schema, [
        (d("2024-07-01"), 100.0, 50.0, 30.0, 20.0, 25.0, 20.0, 80.0, 30.0),
        (d("2025-06-01"), 200.0, 100.0, 60.0, 40.0, 26.0, 18.0, 75.0, 32.0),
        (d("2025-07-01"), 300.0, 100.0, 50.0, 50.0, 27.0, 16.0, 70.0, 34.0),
        (d("2026-06-01"), 400.0, 200.0, 100.0, 100.0, 28.5, 11.0, 41.0, 35.0),
    ])
    got = run("account_monthly", tiny_db, account_id="A1")
    assert got["revenue_source"].to_list() == ["finance"] * 4
    assert_frame_equal(got.drop("revenue_source"), expected)


def test_account_events_up_to_as_of_newest_first(tiny_db: Path) -> None:
    # E3 (2026-07-05) is after as-of; E2 and E5 share a day and are ordered by id.
    expected = frame({"occurred_on": D, "kind": S, "severity": S, "note": S}, [
        (d("2026-05-21"), "promise_broken", "high", "Maintenance closed late"),
        (d("2026-05-21"), "complaint_escalated", "medium", "Escalated to the plant manager"),
        (d("2026-02-10"), "kam_changed", "medium", "New KAM assigned"),
    ])
    assert_frame_equal(run("account_events", tiny_db, account_id="A2"), expected)


def test_account_choices_lists_accounts_by_tier_then_name(tiny_db: Path) -> None:
    expected = frame({"account_id": S, "name": S, "tier": S}, [
        ("A1", "Acme Steel", "strategic"),
        ("A5", "Coastal Labs", "strategic"),
        ("A3", "Acme Steel Services", "key"),
        ("A2", "ООО Ромашка", "key"),
        ("A4", "Borealis Foods", "standard"),
        ("A6", "Delta Mining", "standard"),
    ])
    assert_frame_equal(run("account_choices", tiny_db), expected)


# --- filter_managers, filter_regions, data_dates -----------------------------------------


def test_filter_managers_gives_team_size_and_own_accounts(tiny_db: Path) -> None:
    schema = {"manager_id": S, "name": S, "region": S, "reports_to": S,
              "team_size": I64, "own_accounts": I64}
    expected = frame(schema, [
        ("M1", "Helen Head", None, None, 4, 1),
        ("M2", "Leo Lead", "North", "M1", 2, 1),
        ("M5", "Lena Solo", "South", "M1", 0, 1),
        ("M4", "Max Miller", "South", "M2", 0, 1),
        ("M3", "Mia Manager", "North", "M2", 0, 2),
    ])
    assert_frame_equal(queries.run("filter_managers", db=tiny_db, visible=None), expected)


def test_filter_regions_lists_regions_that_have_accounts(tiny_db: Path) -> None:
    expected = frame({"region": S}, [("North",), ("South",)])
    assert_frame_equal(queries.run("filter_regions", db=tiny_db, visible=None), expected)


def test_data_dates_gives_newest_and_oldest_dates_and_currency(tiny_db: Path) -> None:
    # Newest: the end of the last metrics month (2026-07 -> 2026-07-31), later than the
    # last call, stage change and close (2026-07-20).
    expected = frame({"newest_on": D, "oldest_on": D, "currency": S}, [
        (d("2026-07-31"), d("2024-06-01"), "EUR"),
    ])
    assert_frame_equal(queries.run("data_dates", db=tiny_db), expected)


# --- the scoped_accounts filters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "account_ids"),
    [
        pytest.param({}, ["A1", "A5", "A3", "A2", "A4", "A6"], id="empty-lists-mean-no-filter"),
        pytest.param({"manager_ids": ["M2"]}, ["A1", "A3", "A2", "A4"],
                     id="lead-sees-own-and-team-accounts"),
        pytest.param({"manager_ids": ["M1"]}, ["A1", "A5", "A3", "A2", "A4", "A6"],
                     id="head-sees-whole-hierarchy"),
        pytest.param({"manager_ids": ["M3"]}, ["A3", "A2"], id="manager-sees-only-own"),
        pytest.param({"manager_ids": ["M5"]}, ["A5"], id="lead-without-team-sees-own"),
        pytest.param({"manager_ids": ["M3", "M5"]}, ["A5", "A3", "A2"],
                     id="several-managers-combine"),
        pytest.param({"manager_ids": ["M9"]}, [], id="unknown-manager-matches-nothing"),
        pytest.param({"regions": ["South"]}, ["A5", "A4", "A6"], id="region"),
        pytest.param({"tiers": ["strategic"]}, ["A1", "A5"], id="tier"),
        pytest.param({"tiers": ["key", "standard"]}, ["A3", "A2", "A4", "A6"],
                     id="several-tiers"),
        pytest.param({"kam_stages": ["early_kam", "mid_kam"]}, ["A3", "A2"], id="kam-stage"),
        pytest.param({"manager_ids": ["M2"], "regions": ["South"]}, ["A4"],
                     id="manager-and-region"),
        pytest.param({"manager_ids": ["M2"], "tiers": ["key"], "kam_stages": ["mid_kam"]},
                     ["A3"], id="manager-tier-and-stage"),
        pytest.param({"regions": ["North"], "tiers": ["standard"]}, [],
                     id="filters-that-exclude-each-other"),
    ],
)
def test_scoped_accounts_filters(
    tiny_db: Path, filters: dict[str, list[str]], account_ids: list[str]
) -> None:
    result = run("account_choices", tiny_db, **filters)
    assert result["account_id"].to_list() == account_ids


def test_filters_apply_to_the_headline_too(tiny_db: Path) -> None:
    result = run("portfolio_headline", tiny_db, regions=["South"], tiers=["strategic"])
    assert result.select("accounts", "open_deals", "open_value", "overdue_cases").rows() == [
        (1, 1, 60000.0, 1)
    ]


@pytest.mark.parametrize("parameter", ["manager_ids", "regions", "tiers", "kam_stages"])
def test_injection_looking_filter_value_matches_nothing(tiny_db: Path, parameter: str) -> None:
    assert run("account_choices", tiny_db, **{parameter: [INJECTION]}).height == 0
    assert run("deals_open", tiny_db, **{parameter: [INJECTION]}).height == 0


def test_injection_looking_account_id_matches_nothing(tiny_db: Path) -> None:
    assert run("account_profile", tiny_db, account_id=INJECTION).height == 0
    assert run("account_monthly", tiny_db, account_id=INJECTION).height == 0
    assert run("account_events", tiny_db, account_id=INJECTION).height == 0
    # The database is untouched: every account is still there.
    assert run("account_choices", tiny_db).height == 6


# --- the runner --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("deals_open", "as_of"),
        ("portfolio_headline", "stage_probabilities"),
        ("deal_coverage", "recent_days"),
        ("account_monthly", "account_id"),
        ("account_choices", "manager_ids"),
    ],
)
def test_missing_parameter_raises_query_parameter_error(
    tiny_db: Path, name: str, missing: str
) -> None:
    params: dict[str, Any] = {
        **NO_FILTERS,
        "as_of": AS_OF,
        "stage_probabilities": STAGE_PROBABILITIES,
        "recent_days": 90,
        "account_id": "A1",
    }
    del params[missing]
    with pytest.raises(queries.QueryParameterError, match=missing):
        queries.run(name, db=tiny_db, **params)


def test_parameters_a_query_does_not_use_are_ignored(tiny_db: Path) -> None:
    result = run("filter_regions", tiny_db, account_id="A1")
    assert result["region"].to_list() == ["North", "South"]
