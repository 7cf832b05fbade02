"""Scoring from what is there (tests/data/scoring_coverage, as of 30 Jun 2026): every factor
measured or missing, the weights of the measured ones rescaled, coverage, "not enough data"
below the minimum, revenue from won deals where no finance feed covers an account.

Hand computation (portfolio/read/scoring.toml): size = 100·ln(revenue / 50 000) / ln(200);
growth maps −30 … +30 % onto 0 … 100; margin 30 % → 60; market share s → s / 30 · 100;
share and health trends 0 → 50; after-sales 40 % → 53.33; client size: revenue
100·ln(r / 10M) / ln(1000), employees 100·ln(e / 50) / ln(1000), their mean. Attractiveness
weights: size 16, growth 12, margin 8, share 8, share trend 12, health 8, health trend 8,
after-sales 8, client size 20.
"""

from __future__ import annotations

from datetime import date
from math import log
from pathlib import Path

import duckdb
import polars as pl
import pytest

import queries
from portfolio.core.db import DERIVE_FILE, SCHEMA_FILE
from portfolio.read import scoring
from tests.conftest import build_fixture_database, open_page

AS_OF = date(2026, 6, 30)


def size(revenue: float) -> float:
    return 100 * log(revenue / 50_000) / log(200)


def client(revenue: float) -> float:
    return 100 * log(revenue / 10_000_000) / log(1000)


C1_SIZE = (client(1e9) + 100 * log(5000 / 50) / log(1000)) / 2  # both 66.67
C1_TERMS = {"size": 16 * size(1_200_000), "growth": 12 * (20 + 30) / 60 * 100,
            "gross_margin": 8 * 60, "market_share": 8 * 20 / 30 * 100,
            "market_share_trend": 12 * 50, "financial_health": 8 * 80,
            "financial_health_trend": 8 * 50, "aftersales": 8 * 40 / 75 * 100,
            "client_size": 20 * C1_SIZE}
C1 = sum(C1_TERMS.values()) / 100
# C2: no financial health: health (8) and its change (8) left out, the other 84 points of
# weight rescaled by 100 / 84
C2 = (sum(C1_TERMS.values()) - C1_TERMS["financial_health"]
      - C1_TERMS["financial_health_trend"]) / 84
# C3: won deals 300k + 100k, nothing the year before: growth counts as no change (50),
# measured are size 16 and client size 20 (500M a year, no employees)
C3 = (16 * size(400_000) + 12 * 50 + 20 * client(5e8)) / 48
# C5: won 1.0M the year before, 300k now (−70 % → 0); client 20M a year
C5 = (16 * size(300_000) + 12 * 0 + 20 * client(2e7)) / 48
C5_BEFORE = (16 * size(1_000_000) + 12 * 50 + 20 * client(2e7)) / 48


@pytest.fixture(scope="module")
def coverage_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("scoring_coverage",
                                  tmp_path_factory.mktemp("coverage") / "coverage.duckdb")


@pytest.fixture(scope="module")
def scored(coverage_db: Path) -> dict[str, dict]:
    frame = scoring.score_database(coverage_db, AS_OF)
    return {row["account_id"]: row for row in frame.iter_rows(named=True)}


def test_every_factor_measured_gives_coverage_100(scored):
    c1 = scored["C1"]
    assert c1["attractiveness"] == pytest.approx(C1)
    assert c1["data_coverage"] == 100.0
    assert c1["factors_assumed"] == []
    assert [f for f in c1["factors_missing"] if f in scoring.FACTORS
            and f in scoring.load_scoring_config().attractiveness_weights] == []
    assert c1["suggestion"] == "keep"


def test_a_missing_factor_rescales_the_others_exactly_as_documented(scored):
    c2 = scored["C2"]
    assert c2["attractiveness"] == pytest.approx(C2)
    assert c2["data_coverage"] == 84.0
    assert c2["factors_missing"][:2] == ["financial_health", "financial_health_trend"]
    config = scoring.load_scoring_config()
    explained = scoring.explain_account(c2, config, "USD").filter(
        pl.col("scorecard") == "Attractiveness")
    assert explained["contribution"].sum() == pytest.approx(C2)
    size_row = explained.filter(pl.col("factor") == "size").row(0, named=True)
    # size weighs 16 of the 84 measured points: 16 / 84 of its score
    assert size_row["contribution"] == pytest.approx(16 * size(1_200_000) / 84)
    health = explained.filter(pl.col("factor") == "financial_health").row(0, named=True)
    assert (health["state"], health["contribution"], health["value"]) == (
        "missing", None, "no data")
    assert health["to_fill"] == "import a credit feed (account_metrics.financial_health)"
    assert "Client financial health: not measured — import a credit feed " \
           "(account_metrics.financial_health)" in scoring.missing_in_words(c2)


def test_won_deals_stand_in_for_revenue_without_a_finance_feed(scored):
    c3 = scored["C3"]
    assert c3["revenue"] == 400_000.0 and c3["revenue_from_deals"]
    assert c3["attractiveness"] == pytest.approx(C3)
    assert c3["data_coverage"] == 36.0
    assert c3["factors_assumed"] == ["growth"]
    # won deals say nothing of after-sales where the database holds no service contracts
    assert "aftersales" in c3["factors_missing"]
    words = scoring.missing_in_words(c3)
    assert words[-1] == ("Revenue growth year on year: no figure 12 months earlier, counted "
                         "as no change — revenue for the 12 months before as well "
                         "(account_metrics revenue columns or won deals)")


def test_below_the_minimum_coverage_is_not_enough_data_naming_what_is_missing(scored):
    c4 = scored["C4"]
    assert c4["attractiveness"] is None and c4["data_coverage"] == 16.0
    assert (c4["suggestion"], c4["quadrant"], c4["band"]) == ("not_enough_data", None, None)
    assert c4["reasons"] == [
        "not enough data: 16 % of the attractiveness weight measured in the 12 months to "
        "Jun 2026 (at least 30 % needed)",
        "missing: margin, market share, market-share trend, financial health, health trend, "
        "after-sales, client size"]


def test_a_shrinking_crm_only_account_is_dropped_with_reasons_in_numbers(scored):
    c5 = scored["C5"]
    assert c5["attractiveness"] == pytest.approx(C5)
    assert c5["prev_attractiveness"] == pytest.approx(C5_BEFORE)
    assert (c5["suggestion"], c5["suggested_tier"]) == ("drop", "standard")
    assert c5["reasons"] == ["won revenue T12M $1.0M → $300k (−70 %)",
                             f"attractiveness {C5_BEFORE:.0f} → {C5:.0f} in 12 months"]


def test_not_enough_data_is_no_decision_of_the_week(scored, coverage_db):
    frame = scoring.score_database(coverage_db, AS_OF)
    week = scoring.score_database(coverage_db, scoring.shifted(AS_OF, weeks=1))
    decisions = scoring.decisions_this_week(frame, week, limit=8)
    assert decisions["account_id"].to_list() == ["C5"]
    records = scoring.records(frame)
    c4 = records.filter(pl.col("account_id") == "C4").row(0, named=True)
    assert (c4["coverage"], c4["revenue_source"], c4["suggestion"]) == (
        16.0, "won deals", "not_enough_data")


def test_the_overview_lists_only_decisions_and_counts_the_unscored_apart(coverage_db,
                                                                        monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DB", str(coverage_db))
    at = open_page("pages/overview.py", {})
    assert not at.error, [e.value for e in at.error]
    headings = [h.value for h in at.subheader]
    assert "Needs a decision this week: 1 account" in headings
    markdown = " ".join(m.value for m in at.markdown)
    assert "Shrinking Deals Ltd" in markdown and "Thin Data AB" not in markdown
    captions = [c.value for c in at.caption]
    unscored = [c for c in captions if "Not enough data to score" in c]
    assert len(unscored) == 1 and "Not enough data to score 1 account" in unscored[0]
    assert any("Revenue from won deals: no finance data imported for 3 accounts of 5" in c
               for c in captions)


def test_account_months_is_the_one_definition_of_revenue(coverage_db):
    rows = queries.run("account_monthly", db=coverage_db, account_id="C3", as_of=AS_OF,
                       visible=None)
    assert rows.select("month", "revenue_source", "equipment", "service").rows() == [
        (date(2026, 3, 1), "won_deals", 300_000.0, 0.0),
        (date(2026, 5, 1), "won_deals", 100_000.0, 0.0)]


def test_null_revenue_counts_as_no_finance_data_and_contracts_spread_over_their_term():
    """With the revenue columns NULL-able (a partial feed: NULL = that feed does not say),
    a row without revenue is no finance data: the account's won deals and contracts stand
    in, and the feed's other measures stay."""
    con = duckdb.connect()
    try:
        con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
        for column in ("equipment", "service", "consumables", "spares"):
            con.execute(f"ALTER TABLE account_metrics ALTER COLUMN {column}_revenue "
                        "DROP NOT NULL")
        con.execute("""
            INSERT INTO managers VALUES ('M1', 'Head', NULL, NULL, NULL);
            INSERT INTO accounts (account_id, name, manager_id, tier, kam_stage)
            VALUES ('A', 'Credit only', 'M1', 'key', 'mid_kam'),
                   ('B', 'Partial finance', 'M1', 'key', 'mid_kam');
            INSERT INTO account_metrics (account_id, month, financial_health)
            VALUES ('A', DATE '2026-03-01', 61);
            INSERT INTO account_metrics (account_id, month, equipment_revenue)
            VALUES ('B', DATE '2026-03-01', 500);
            INSERT INTO deals (deal_id, account_id, value, stage, opened_on, closed_on)
            VALUES ('D1', 'A', 1000, 'won', DATE '2026-01-05', DATE '2026-03-20'),
                   ('D2', 'B', 9999, 'won', DATE '2026-01-05', DATE '2026-03-20');
            INSERT INTO service_contracts (contract_id, account_id, kind, annual_value,
                                           starts_on, ends_on)
            VALUES ('K1', 'A', 'maintenance', 3650, DATE '2026-03-17', DATE '2026-04-10');
        """)
        con.execute(DERIVE_FILE.read_text(encoding="utf-8"))
        got = con.sql("SELECT account_id, month, equipment_revenue, service_revenue, "
                      "spares_revenue, revenue_source, financial_health FROM account_months "
                      "ORDER BY account_id, month").fetchall()
    finally:
        con.close()
    assert got == [
        # March: the won deal (1,000) and 15 days of the contract (3,650 / 365 a day); the
        # credit feed's health kept beside them
        ("A", date(2026, 3, 1), 1000.0, 150.0, 0.0, "won_deals", 61.0),
        ("A", date(2026, 4, 1), 0.0, 100.0, 0.0, "won_deals", None),
        # B has a finance feed: its revenue, the missing streams as 0, its won deal unused
        ("B", date(2026, 3, 1), 500.0, 0.0, 0.0, "finance", None),
    ]
