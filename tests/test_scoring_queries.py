"""Golden rows of the scoring and overview queries: tests/data/scoring (see its README)
and tests/data/tiny (its README lists the hand-computed figures), as of 30 Jun 2026."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.read.overview import headline_figures, late_coverage_by_roles
from portfolio.read.scoring import metrics_day
from tests.conftest import build_fixture_database

AS_OF = date(2026, 6, 30)
ALL = {"manager_ids": [], "regions": [], "tiers": [], "kam_stages": [], "visible": None,
       "as_of": AS_OF,
       "recent_days": 90, "on_time_days": 90, "stage_probabilities": [0.1, 0.25, 0.5, 0.75],
       "late_stages": ["demonstrating_capability", "obtaining_commitment"],
       "large_deal_quantile": 0.9, "inform_within_days": 2, "late_delivery_days": 7}


@pytest.fixture(scope="module")
def scoring_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("scoring",
                                  tmp_path_factory.mktemp("scoring_q") / "scoring.duckdb")


def test_scoring_metrics_now_and_a_year_earlier(scoring_db):
    got = queries.run("scoring_metrics", db=scoring_db, **ALL).select(
        "account_id", "period", "last_month", "revenue", "revenue_prior", "aftersales_share",
        "market_share", "market_share_before", "market_share_span", "health", "health_before",
        "share_of_wallet").filter(pl.col("account_id").is_in(["F1", "U1"]))
    expected = pl.DataFrame({
        "account_id": ["F1", "F1", "U1", "U1"],
        "period": pl.Series([0, 12, 0, 12], dtype=pl.Int32),
        "last_month": [date(2026, 6, 1), date(2025, 6, 1)] * 2,
        "revenue": [650_000.0, 1_000_000.0, 1_200_000.0, 600_000.0],
        "revenue_prior": [1_000_000.0, 1_000_000.0, 600_000.0, 600_000.0],
        "aftersales_share": [0.4] * 4,
        "market_share": [11.2, 18.0, 21.0, 15.0],
        "market_share_before": [18.0, 18.0, 15.0, 15.0],
        "market_share_span": [12] * 4,
        "health": [41.0, 72.0, 82.0, 70.0],
        "health_before": [72.0, 72.0, 70.0, 70.0],
        "share_of_wallet": [40.0, 40.0, 30.0, 30.0],
    })
    assert_frame_equal(got, expected, check_dtypes=False)


def test_scoring_metrics_window_ends_with_the_last_complete_month(scoring_db):
    # on 29 Jun 2026 June is not complete: "now" is Jun 2025 - May 2026, which holds the
    # June 2025 row (1.0M, share 18.0) and not the June 2026 one (650k, share 11.2)
    got = queries.run("scoring_metrics", db=scoring_db, **{**ALL, "as_of": date(2026, 6, 29)})
    f1 = got.filter((pl.col("account_id") == "F1") & (pl.col("period") == 0)).row(0, named=True)
    assert f1["last_month"] == date(2026, 5, 1)
    assert (f1["metric_months"], f1["revenue"], f1["market_share"]) == (1, 1_000_000.0, 18.0)


@pytest.mark.parametrize(("now", "shares"), [
    (date(2026, 6, 30), False),  # June complete now, not a week earlier
    (date(2026, 7, 6), False),   # a week earlier was 29 June: May the last complete month
    (date(2026, 7, 7), True),    # both after June
    (date(2026, 7, 31), False),  # July complete now, not a week earlier
    (date(2024, 3, 7), True),    # a week earlier was 29 Feb 2024, February complete
    (date(2025, 3, 1), False),
])
def test_a_week_earlier_shares_the_scoring_metrics_only_when_they_are_the_same(
        scoring_db, now, shares):
    week = now - timedelta(weeks=1)
    chosen = metrics_day(week, now)
    assert chosen == (now if shares else week)
    own = queries.run("scoring_metrics", db=scoring_db, **{**ALL, "as_of": week})
    used = queries.run("scoring_metrics", db=scoring_db, **{**ALL, "as_of": chosen})
    assert_frame_equal(used.drop("ref_day"), own.drop("ref_day"))


def test_scoring_metrics_follow_the_filters(scoring_db):
    got = queries.run("scoring_metrics", db=scoring_db, **{**ALL, "tiers": ["key"]})
    assert sorted(set(got["account_id"])) == ["F1", "F2", "H1"]


def test_scoring_relationship(scoring_db):
    got = queries.run("scoring_relationship", db=scoring_db, **ALL).filter(
        pl.col("account_id").is_in(["H1", "R1"]))
    expected = pl.DataFrame({
        "account_id": ["H1", "H1", "R1", "R1"],
        "period": pl.Series([0, 12, 0, 12], dtype=pl.Int32),
        "open_deals": [1, 0, 0, 0], "open_value": [100_000.0, 0.0, 0.0, 0.0],
        # D1: Anna holds decider + buyer (engaged 1 Jun); Ben's user role is stale (15 Jan)
        "coverage": [2 / 7, None, None, None],
        # L1 on the promised day, L2 nine days late
        "deliveries_due": [2, 0, 0, 0], "deliveries_on_time": [1, 0, 0, 0],
        # S1 due 8 Jun, still open
        "promises_due": [0, 0, 1, 0], "promises_kept": [0, 0, 0, 0],
        "overdue_cases": [0, 0, 1, 0],
        # no deal of H1 or R1 closed; the deals of the fixture (D1 100k, and U1's D2 150k and
        # D3 120k) are the distribution of values: its 0.9 quantile is 120k + 0.8 * 30k
        "deals_won": [0, 0, 0, 0], "deals_lost": [0, 0, 0, 0], "large_lost": [0, 0, 0, 0],
        "large_won": [0, 0, 0, 0],
        "large_lost_value": [0.0, 0.0, 0.0, 0.0], "large_deal_value": [144_000.0] * 4,
    })
    assert_frame_equal(got, expected, check_dtypes=False)


def test_risk_signals(scoring_db):
    got = queries.run("risk_signals", db=scoring_db, **ALL).filter(
        pl.col("account_id").is_in(["H1", "R1"])).select(
        "account_id", "kam_changed", "kam_changed_on", "kam_changed_severity",
        "kam_changed_note", "overdue_cases", "oldest_overdue_days", "overdue_kinds",
        "not_told_in_time", "never_told", "open_deals", "days_since_decider_contact")
    expected = pl.DataFrame({
        "account_id": ["H1", "R1"], "kam_changed": [0, 1],
        "kam_changed_on": [None, date(2026, 5, 10)], "kam_changed_severity": [None, 2],
        "kam_changed_note": [None, "Key-account manager changed: Max Old → Mia New"],
        "overdue_cases": [0, 1], "oldest_overdue_days": [None, 22],
        "overdue_kinds": [None, "repair"], "not_told_in_time": [0, 1], "never_told": [0, 1],
        "open_deals": [1, 0], "days_since_decider_contact": [29, None],
    })
    assert_frame_equal(got, expected, check_dtypes=False)


def test_risk_window_is_the_recent_days(scoring_db):
    # with a 30-day window the manager change of 10 May is no longer recent
    got = queries.run("risk_signals", db=scoring_db, **{**ALL, "recent_days": 30})
    assert got.filter(pl.col("account_id") == "R1")["kam_changed"].to_list() == [0]


def test_overview_figures_on_tiny(tiny_db):
    got = pl.DataFrame([headline_figures(queries.run("overview_figures", db=tiny_db, **ALL))])
    expected = pl.DataFrame({
        "accounts": [6], "key_accounts": [4],
        "revenue_t12m": [2500.0], "revenue_prior_t12m": [700.0], "revenue_from_deals": [0],
        "open_deals": [5], "open_value": [330_000.0], "weighted_value": [107_500.0],
        # D3 (demonstrating) and D4 (obtaining commitment): 2 of 7 roles each; D3 has no
        # decider or approver
        "late_deals": [2], "late_coverage": [2 / 7], "late_without_top": [1],
        "late_without_top_value": [80_000.0],
        "deliveries_due": [4], "deliveries_on_time": [1], "on_time_rate": [0.25],
    })
    assert_frame_equal(got, expected, check_dtypes=False)


def test_overview_late_coverage_on_tiny(tiny_db):
    got = late_coverage_by_roles(queries.run("overview_late_coverage", db=tiny_db, **ALL))
    assert got["roles_covered"].to_list() == list(range(8))
    two = got.filter(pl.col("roles_covered") == 2).row(0, named=True)
    assert two == {"roles_covered": 2, "deals": 2, "value": 120_000.0, "without_top": 1,
                   "without_top_value": 80_000.0}
    assert got["deals"].sum() == 2
