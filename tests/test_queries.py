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
from portfolio.read.overview import pipeline_by_stage
from portfolio.read.service_totals import monthly_deliveries

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
# The settings the pages pass (portfolio/core/settings.toml) and no narrowing of a list
RULE_SETTINGS: dict[str, Any] = {
    "late_stages": ["demonstrating_capability", "obtaining_commitment"],
    "min_roles_covered": 3, "inform_within_days": 2, "late_delivery_days": 7,
    "history_days": 365,
    "stage": "", "search": "", "limit": 200,
}

S, I64, I32, I8, F64, D, B = pl.String, pl.Int64, pl.Int32, pl.Int8, pl.Float64, pl.Date, pl.Boolean


def run(name: str, db: Path, **overrides: Any) -> pl.DataFrame:
    """Run a query with no filters, as of 2026-06-30, and the standard parameters."""
    params: dict[str, Any] = {
        **NO_FILTERS,
        "as_of": AS_OF,
        "stage_probabilities": STAGE_PROBABILITIES,
        "recent_days": 90,
        **RULE_SETTINGS,
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


# --- pipeline_open_deals: the deals open on a date -----------------------------------

OPEN_DEALS_SCHEMA = {
    "deal_id": S, "deal_name": S, "account_id": S, "account_name": S, "stage": S,
    "stage_order": I32, "value": F64, "weighted_value": F64, "days_in_stage": I64,
    "last_outcome": S, "last_call_on": D, "owner_id": S, "owner_name": S,
    "expected_close_on": D, "matching_deals": I64, "matching_value": F64,
}


def test_open_deals_on_as_of_with_stage_age_last_call_and_owner(tiny_db: Path) -> None:
    # D4 (won 2026-07-20) is still in obtaining_commitment; D7 (opened 2026-07-10) is out.
    # D9 has no history and no stage date: in investigation since it opened (2026-04-01).
    # D1 has no owner: its account's manager M2. Weighted = value x the stage's probability.
    expected = frame(OPEN_DEALS_SCHEMA, [
        ("D1", "Line upgrade", "A1", "Acme Steel", "preliminaries", 1, 100000.0, 10000.0, 29,
         "advance", d("2026-06-10"), "M2", "Leo Lead", d("2026-12-31"), 5, 330000.0),
        ("D3", "Demo line", "A3", "Acme Steel Services", "demonstrating_capability", 3,
         80000.0, 40000.0, 60, "continuation", d("2026-06-20"), "M2", "Leo Lead",
         d("2026-09-30"), 5, 330000.0),
        ("D9", "Clean room", "A5", "Coastal Labs", "investigation", 2, 60000.0, 15000.0, 90,
         None, None, "M5", "Lena Solo", None, 5, 330000.0),
        ("D2", "Сервисный контракт", "A2", "ООО Ромашка", "investigation", 2, 50000.0, 12500.0,
         81, "continuation", d("2026-06-25"), "M3", "Mia Manager", d("2026-10-31"),
         5, 330000.0),
        ("D4", "Packaging cell", "A4", "Borealis Foods", "obtaining_commitment", 4, 40000.0,
         30000.0, 46, "advance", d("2026-05-10"), "M4", "Max Miller", d("2026-07-15"),
         5, 330000.0),
    ])
    assert_frame_equal(run("pipeline_open_deals", tiny_db), expected)


def test_open_deals_for_a_manager_filters_by_account_manager_not_deal_owner(
    tiny_db: Path,
) -> None:
    # D3 is on M3's account A3 but owned by M2: it belongs to M3's portfolio.
    result = run("pipeline_open_deals", tiny_db, manager_ids=["M3"])
    assert result.select("deal_id", "owner_id").rows() == [("D3", "M2"), ("D2", "M3")]


def test_deal_won_after_as_of_is_open_before_and_gone_after_it_was_won(
    tiny_db: Path,
) -> None:
    before = run("pipeline_open_deals", tiny_db)
    assert before.filter(pl.col("deal_id") == "D4")["stage"].to_list() == [
        "obtaining_commitment"
    ]
    # As of 2026-07-31, D4 is won (gone) and D7 (opened 2026-07-10) has appeared.
    after = run("pipeline_open_deals", tiny_db, as_of=date(2026, 7, 31))
    assert after["deal_id"].to_list() == ["D7", "D1", "D3", "D9", "D2"]


def test_deal_living_on_continuations_shows_continuation_as_its_last_call(
    tiny_db: Path,
) -> None:
    result = run("pipeline_open_deals", tiny_db, as_of=date(2026, 6, 24))
    stalling = result.filter(pl.col("deal_id") == "D2")
    assert stalling.select("last_outcome", "last_call_on").rows() == [
        ("continuation", d("2026-05-20"))
    ]


# --- buying_center_rated, account_deals: coverage by recently engaged roles ---------------

RATED_SCHEMA = {
    "deal_id": S, "deal_name": S, "account_id": S, "account_name": S, "stage": S,
    "stage_order": I32, "value": F64, "owner_id": S, "roles_covered": I8, "coverage": F64,
    "decider_met": B, "approver_met": B, "no_decider": B, "no_approver": B,
    "decider_left": B, "approver_left": B, "has_doubters": B, "opponent_at_top": B,
    "single_threaded": B, "dark": B, "late_stage": B, "risk": S, "owner_name": S,
}


def test_buying_center_coverage_counts_roles_of_active_contacts_engaged_in_recent_days(
    tiny_db: Path,
) -> None:
    # D1: K1 holds initiator+buyer+decider (one person: single-threaded); the approver K2
    #     left on 2026-05-01 (approver_left). Preliminaries: not a late stage.
    # D2: K3 (leaves only 2026-08-01) decider+user, a skeptic (a doubter); K4 influencer
    #     exactly 90 days ago (recent) and approver engaged 2025-11-15 (met, not recent).
    # D3: no decider, no approver, in a late stage: high risk. D4: the buyer engaged after
    #     as-of does not count; two roles (< 3) by one person. D9: nobody (dark).
    expected = frame(RATED_SCHEMA, [
        ("D1", "Line upgrade", "A1", "Acme Steel", "preliminaries", 1, 100000.0, "M2",
         3, 3 / 7, True, False, False, False, False, True, False, False, True, False, False,
         "medium", "Leo Lead"),
        ("D2", "Сервисный контракт", "A2", "ООО Ромашка", "investigation", 2, 50000.0, "M3",
         3, 3 / 7, True, True, False, False, False, False, True, False, False, False, False,
         "medium", "Mia Manager"),
        ("D3", "Demo line", "A3", "Acme Steel Services", "demonstrating_capability", 3,
         80000.0, "M2", 2, 2 / 7, False, False, True, True, False, False, False, False, True,
         False, True, "high", "Leo Lead"),
        ("D4", "Packaging cell", "A4", "Borealis Foods", "obtaining_commitment", 4, 40000.0,
         "M4", 2, 2 / 7, True, True, False, False, False, False, False, False, True, False,
         True, "medium", "Max Miller"),
        ("D9", "Clean room", "A5", "Coastal Labs", "investigation", 2, 60000.0, "M5",
         0, 0.0, False, False, True, True, False, False, False, False, False, True, False,
         "medium", "Lena Solo"),
    ])
    assert_frame_equal(run("buying_center_rated", tiny_db), expected)


def test_buying_center_shorter_recent_window_drops_older_engagements(tiny_db: Path) -> None:
    # With 30 days (from 2026-05-31): D2 keeps K3 (2026-06-01) only, D4 loses K6 (05-10).
    result = run("buying_center_rated", tiny_db, recent_days=30)
    assert result.select("deal_id", "roles_covered", "single_threaded", "dark").rows() == [
        ("D1", 3, True, False), ("D2", 2, True, False), ("D3", 2, True, False),
        ("D4", 0, False, True), ("D9", 0, False, True),
    ]


ACCOUNT_DEALS_SCHEMA = {
    "deal_id": S, "deal_name": S, "product_line": S, "stage": S, "stage_since": D,
    "days_in_stage": I64, "value": F64, "expected_close_on": D, "owner_id": S,
    "owner_name": S, "last_outcome": S, "last_call_on": D, "roles_covered": I64,
    "coverage": F64, "decider_met": B, "approver_met": B, "people_covering": I64, "risk": S,
}


@pytest.mark.parametrize(("account_id", "recent_days", "row"), [
    # two people cover three roles; the approver was met long ago
    pytest.param("A2", 90, ("D2", "Сервисный контракт", "Service", "investigation",
                            d("2026-04-10"), 81, 50000.0, d("2026-10-31"), "M3", "Mia Manager",
                            "continuation", d("2026-06-25"), 3, 3 / 7, True, True, 2, "medium"),
                 id="two-people"),
    pytest.param("A2", 30, ("D2", "Сервисный контракт", "Service", "investigation",
                            d("2026-04-10"), 81, 50000.0, d("2026-10-31"), "M3", "Mia Manager",
                            "continuation", d("2026-06-25"), 2, 2 / 7, True, True, 1, "medium"),
                 id="shorter-window"),
    # the buyer engaged after as-of does not count; the order call after as-of neither
    pytest.param("A4", 90, ("D4", "Packaging cell", "Automation", "obtaining_commitment",
                            d("2026-05-15"), 46, 40000.0, d("2026-07-15"), "M4", "Max Miller",
                            "advance", d("2026-05-10"), 2, 2 / 7, True, True, 1, "medium"),
                 id="engaged-after-as-of"),
])
def test_account_deals_coverage_of_one_account(tiny_db: Path, account_id: str,
                                               recent_days: int, row: tuple) -> None:
    result = run("account_deals", tiny_db, account_id=account_id, recent_days=recent_days)
    assert_frame_equal(result, frame(ACCOUNT_DEALS_SCHEMA, [row]))


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


# --- service_broken_promises: cases past their due date ----------------------------------

BROKEN_SCHEMA = {
    "case_id": S, "account_id": S, "account_name": S, "manager_name": S, "kind": S,
    "severity": S, "state": S, "opened_on": D, "due_on": D, "closed_on": D,
    "days_overdue": I64, "client_informed_on": D, "told": S, "severity_rank": I32,
    "account_open": I64, "account_closed_late": I64,
}


def test_broken_promises_are_open_past_due_cases_and_cases_closed_late(tiny_db: Path) -> None:
    # Out: S4 (cancelled), S6 (not yet due), S7 (due on the as-of day). S2 was closed 19
    # days late, before as-of; its client was told 30 days after it was opened (late). S5
    # closed after as-of, so it is open; its client was told only on 2026-07-01, after
    # as-of: never by as-of. S3's client was never told; S1's was told a day after opening
    # (within 2 days: in time). Late deliveries (more than 7 days) are broken promises too:
    # L2 delivered 15 days late, L3 not delivered 20 days after the promised day, L5 10 days
    # after it (delivered after as-of); the fixture records no client_informed_on for any
    # delivery, so whether the client was told is unknown. L1, L6, L7, L8 were on time.
    expected = frame(BROKEN_SCHEMA, [
        ("L2", "A1", "Acme Steel", "Leo Lead", "delivery", None, "closed_late", None,
         d("2026-05-05"), d("2026-05-20"), 15, None, "unknown", 5, 1, 1),
        ("S1", "A1", "Acme Steel", "Leo Lead", "repair", "high", "open", d("2026-05-01"),
         d("2026-06-01"), None, 29, d("2026-05-02"), "in_time", 2, 1, 1),
        ("L3", "A2", "ООО Ромашка", "Mia Manager", "delivery", None, "open", None,
         d("2026-06-10"), None, 20, None, "unknown", 5, 1, 1),
        ("S2", "A2", "ООО Ромашка", "Mia Manager", "maintenance", "medium", "closed_late",
         d("2026-04-01"), d("2026-05-01"), d("2026-05-20"), 19, d("2026-05-01"), "late",
         3, 1, 1),
        ("L5", "A3", "Acme Steel Services", "Mia Manager", "delivery", None, "open", None,
         d("2026-06-20"), None, 10, None, "unknown", 5, 2, 0),
        ("S3", "A3", "Acme Steel Services", "Mia Manager", "upgrade", "critical", "open",
         d("2026-03-01"), d("2026-04-15"), None, 76, None, "never", 1, 2, 0),
        ("S5", "A5", "Coastal Labs", "Lena Solo", "complaint", "high", "open", d("2026-06-01"),
         d("2026-06-10"), None, 20, None, "never", 2, 1, 0),
    ])
    assert_frame_equal(run("service_broken_promises", tiny_db), expected)


def test_broken_promises_for_a_manager_show_only_their_accounts(tiny_db: Path) -> None:
    result = run("service_broken_promises", tiny_db, manager_ids=["M3"])
    assert result.select("case_id", "state").rows() == [
        ("L3", "open"), ("S2", "closed_late"), ("L5", "open"), ("S3", "open")]


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


# --- scoring_metrics: the last twelve months against the twelve before ----------------

TRENDS_SCHEMA = {
    "account_id": S, "metric_months": I64, "revenue": F64, "revenue_prior": F64,
    "aftersales_share": F64, "market_share": F64, "market_share_before": F64,
    "market_share_span": I64, "health": F64, "health_before": F64, "health_span": I64,
}


def test_scoring_metrics_compare_last_twelve_months_with_the_twelve_before(
    tiny_db: Path,
) -> None:
    # A1: recent 2025-07 (500) + 2026-06 (800); prior 2024-07 (200) + 2025-06 (400);
    # 2024-06 and 2026-07 are outside. A2's last month is 2026-03, compared with 2025-03.
    # A5 has a single month and nothing a year earlier; A3, A4 and A6 have no metrics.
    nothing = (0, *(None,) * 9)
    expected = frame(TRENDS_SCHEMA, [
        ("A1", 2, 1300.0, 600.0, 600 / 1300, 11.0, 18.0, 12, 41.0, 75.0, 12),
        ("A2", 1, 200.0, 100.0, 0.5, 33.0, 30.0, 12, 65.0, 60.0, 12),
        ("A3", *nothing),
        ("A4", *nothing),
        ("A5", 1, 1000.0, None, 0.0, 40.0, None, None, 90.0, None, None),
        ("A6", *nothing),
    ])
    now = run("scoring_metrics", tiny_db).filter(pl.col("period") == 0)
    assert_frame_equal(now.select(list(TRENDS_SCHEMA)), expected)


# --- account_profile, account_monthly, account_timeline, account_choices -----------------

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


TIMELINE_SCHEMA = {"occurred_on": D, "kind": S, "severity": S, "note": S, "source": S,
                   "ref": S}


def test_account_timeline_up_to_as_of_newest_first(tiny_db: Path) -> None:
    # E3 (2026-07-05) is after as-of; E2 and E5 share a day and are ordered by id. K3 leaves
    # only after as-of; A2's one broken promise (S2) is of medium severity.
    expected = frame(TIMELINE_SCHEMA, [
        (d("2026-05-21"), "promise_broken", "high", "Maintenance closed late", "recorded", "E2"),
        (d("2026-05-21"), "complaint_escalated", "medium", "Escalated to the plant manager",
         "recorded", "E5"),
        (d("2026-02-10"), "kam_changed", "medium", "New KAM assigned", "recorded", "E1"),
    ])
    assert_frame_equal(run("account_timeline", tiny_db, account_id="A2"), expected)


def test_account_timeline_adds_contacts_who_left_and_high_promises_broken(
    tiny_db: Path,
) -> None:
    # K2, the approver of D1, left A1 on 2026-05-01; S1 (high) is open past its due date
    # and its client was told; S7 (medium) is not counted.
    expected = frame(TIMELINE_SCHEMA, [
        (d("2026-06-01"), "promise_broken", "high",
         "High repair case S1 was promised by 1 Jun 2026: still open, 29 days overdue",
         "service", "S1"),
        (d("2026-05-01"), "key_contact_left", "high",
         "Peter Left (CFO) left the client: approver", "contacts", "K2"),
        (d("2025-12-01"), "price_dispute", "low", "Discount request", "recorded", "E4"),
    ])
    assert_frame_equal(run("account_timeline", tiny_db, account_id="A1"), expected)


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
    assert run("pipeline_open_deals", tiny_db, **{parameter: [INJECTION]}).height == 0
    assert run("buying_center_rated", tiny_db, **{parameter: [INJECTION]}).height == 0


def test_injection_looking_account_id_matches_nothing(tiny_db: Path) -> None:
    assert run("account_profile", tiny_db, account_id=INJECTION).height == 0
    assert run("account_monthly", tiny_db, account_id=INJECTION).height == 0
    assert run("account_timeline", tiny_db, account_id=INJECTION).height == 0
    assert run("account_deals", tiny_db, account_id=INJECTION).height == 0
    # The database is untouched: every account is still there.
    assert run("account_choices", tiny_db).height == 6


# --- the runner --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("pipeline_open_deals", "as_of"),
        ("portfolio_headline", "stage_probabilities"),
        ("buying_center_rated", "recent_days"),
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
        **RULE_SETTINGS,
        "account_id": "A1",
    }
    del params[missing]
    with pytest.raises(queries.QueryParameterError, match=missing):
        queries.run(name, db=tiny_db, **params)


def test_parameters_a_query_does_not_use_are_ignored(tiny_db: Path) -> None:
    result = run("filter_regions", tiny_db, account_id="A1")
    assert result["region"].to_list() == ["North", "South"]
