"""The attractiveness model on hand-checkable scenarios (tests/data/scoring, as of 30 Jun
2026), its settings, the `score` command and the stories planted in the demo.

Hand computation (portfolio/read/scoring.toml): size = 100·ln(revenue / 50 000) / ln(200);
growth, share trend and health trend map −30 … +30 onto 0 … 100; margin 30 % → 60;
after-sales 40 % → 53.33; market share s → s / 30 · 100; health as it is. Weights 16, 12,
8, 8, 12, 8, 8, 8 and client size 20, which this fixture does not hold: the other weights
are rescaled by 100 / 80, i.e. 20, 15, 10, 10, 15, 10, 10, 10 (the figures below). Relative
strength: stage (mid 55, partnership 80, early 30) 24, wallet (w / 60 · 100) 20, coverage
(c / 80 %) 16, on time ((r − 50) / 50) 12, promises kept ((r − 50) / 50) 8, win rate 20 (no
closed deals here: missing), over the factors with data; the ratios, and so the scores, are
those of 30, 25, 20, 15, 10.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from math import log
from pathlib import Path

import polars as pl
import pytest

from portfolio.read import scoring
from tests.conftest import build_fixture_database

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 6, 30)
AFTERSALES = 40 / 75 * 100  # 40 % of revenue is after-sales everywhere


def size(revenue: float) -> float:
    return 100 * log(revenue / 50_000) / log(200)


# F1 now: revenue 650k (growth −35 % → 0), share 11.2, trend −37.8 % → 0, health 41,
# health trend −31 → 0.  A year earlier: 1.0M, growth 0 → 50, share 18, health 72, trends 50.
F1_NOW = (20 * size(650_000) + 15 * 0 + 10 * 60 + 10 * 11.2 / 30 * 100 + 15 * 0 + 10 * 41
          + 10 * 0 + 10 * AFTERSALES) / 100
F1_BEFORE = (20 * size(1_000_000) + 15 * 50 + 10 * 60 + 10 * 60 + 15 * 50 + 10 * 72 + 10 * 50
             + 10 * AFTERSALES) / 100
# U1 now: 1.2M (+100 % → 100), share 21 (+40 % → 100), health 82 (+12 → 70)
U1_NOW = (20 * size(1_200_000) + 15 * 100 + 10 * 60 + 10 * 70 + 15 * 100 + 10 * 82 + 10 * 70
          + 10 * AFTERSALES) / 100
# R1: 5M flat, share 25, health 80; strength: partnership 80, wallet 50, one promise broken
R1_NOW = (20 * size(5_000_000) + 15 * 50 + 10 * 60 + 10 * 25 / 30 * 100 + 15 * 50 + 10 * 80
          + 10 * 50 + 10 * AFTERSALES) / 100
R1_STRENGTH = (30 * 80 + 25 * 50 / 60 * 100 + 10 * 0) / 65
# H1 strength: mid 55, wallet 40, 2 of 7 roles covered on its open deal, 1 of 2 deliveries
# on time (50 % → 0); no service promise due
H1_STRENGTH = (30 * 55 + 25 * 40 / 60 * 100 + 20 * (2 / 7 * 100) / 80 * 100 + 15 * 0) / 90


@pytest.fixture(scope="module")
def scoring_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("scoring",
                                  tmp_path_factory.mktemp("scoring") / "scoring.duckdb")


@pytest.fixture(scope="module")
def scored(scoring_db: Path) -> dict[str, dict]:
    frame = scoring.score_database(scoring_db, AS_OF)
    return {row["account_id"]: row for row in frame.iter_rows(named=True)}


def test_falling_key_account_is_downgraded_with_both_reasons(scored):
    f1 = scored["F1"]
    assert f1["attractiveness"] == pytest.approx(F1_NOW)
    assert f1["prev_attractiveness"] == pytest.approx(F1_BEFORE)
    assert f1["trend"] == pytest.approx(F1_NOW - F1_BEFORE)
    assert (f1["suggestion"], f1["suggested_tier"], f1["band"]) == ("downgrade", "standard", "red")
    assert f1["reasons"] == [
        "client market share 18.0 % → 11.2 % in 12 months",
        "financial health 72 → 41 in 12 months",
        "revenue −35 % year on year (€1.0M → €650k)",
        "attractiveness 56 → 29 in 12 months",
    ]
    assert f1["risk_level"] == "low" and f1["risk_signals"] == []


def test_healthy_growing_key_account_is_kept(scored):
    h1 = scored["H1"]
    assert h1["suggestion"] == "keep" and h1["reasons"] == []
    assert h1["trend"] > 0
    assert h1["strength"] == pytest.approx(H1_STRENGTH)
    assert h1["quadrant"] == "Star"  # attractive, but our position is still weak


def test_standard_account_grown_attractive_is_an_upgrade_candidate(scored):
    u1 = scored["U1"]
    assert u1["attractiveness"] == pytest.approx(U1_NOW)
    assert (u1["suggestion"], u1["suggested_tier"]) == ("upgrade", "key")
    assert u1["reasons"][:2] == [
        "attractiveness 76, above the upgrade line of 65 (was 53 12 months ago)",
        "revenue €1.2M in 12 months, +100 % year on year",
    ]
    assert "client market share 15.0 % → 21.0 % in 12 months" in u1["reasons"]


def test_valuable_account_with_manager_change_and_broken_repair_gets_repair(scored):
    r1 = scored["R1"]
    assert r1["attractiveness"] == pytest.approx(R1_NOW)
    assert r1["strength"] == pytest.approx(R1_STRENGTH)
    # manager change 3 (medium severity) + one serious overdue repair 2 + client not told 2
    assert (r1["risk_points"], r1["risk_level"]) == (7.0, "high")
    assert r1["risk_signals"] == [
        "key-account manager changed on 10 May 2026 (Max Old → Mia New)",
        "a serious service case past due (repair), the oldest by 22 days",
        "client not told in time of 1 overdue case (1 never told)",
    ]
    assert r1["suggestion"] == "repair"
    assert r1["reasons"][1:] == r1["risk_signals"]


def test_borderline_account_is_reviewed_not_downgraded(scored):
    f2 = scored["F2"]
    assert f2["suggestion"] == "review"
    assert f2["reasons"] == ["client market share 20.0 % → 15.0 % in 12 months"]


def test_suggestions_come_in_decision_order(scoring_db):
    frame = scoring.score_database(scoring_db, AS_OF)
    assert frame["account_id"].to_list() == ["R1", "F1", "U1", "F2", "H1"]


def test_more_weight_on_market_share_trend_turns_review_into_downgrade(scoring_db):
    config = scoring.load_scoring_config()
    weights = {"size": 10, "growth": 10, "gross_margin": 10, "market_share": 10,
               "market_share_trend": 40, "financial_health": 10,
               "financial_health_trend": 5, "aftersales": 5, "client_size": 0}
    heavy = scoring.score_database(scoring_db, AS_OF, config.with_weights(weights))
    f2 = heavy.filter(pl.col("account_id") == "F2").row(0, named=True)
    # share 15 → 50 points, trend −25 % → 8.33, the rest as before
    expected = (10 * size(1_000_000) + 10 * 50 + 10 * 60 + 10 * 50 + 40 * 25 / 3 + 10 * 75
                + 5 * 50 + 5 * AFTERSALES) / 100
    assert f2["attractiveness"] == pytest.approx(expected)
    assert f2["attractiveness"] < config.rules.downgrade_below
    assert f2["suggestion"] == "downgrade"


def test_less_weight_on_growth_and_trends_loses_the_upgrade(scoring_db):
    config = scoring.load_scoring_config()
    margin_only = {key: 0.0 for key in config.attractiveness_weights} | {"gross_margin": 100.0}
    flat = scoring.score_database(scoring_db, AS_OF, config.with_weights(margin_only))
    u1 = flat.filter(pl.col("account_id") == "U1").row(0, named=True)
    assert u1["attractiveness"] == pytest.approx(60.0)  # margin 30 % → 60
    assert u1["suggestion"] == "keep"


def test_weights_must_sum_to_100():
    config = scoring.load_scoring_config()
    assert sum(config.attractiveness_weights.values()) == 100
    assert sum(config.strength_weights.values()) == 100
    with pytest.raises(scoring.ScoringConfigError, match="sum to 100, not 110"):
        config.with_weights({**config.attractiveness_weights, "size": 26})
    with pytest.raises(scoring.ScoringConfigError, match="missing"):
        config.with_weights({"size": 100})
    assert scoring.normalised_weights({"a": 1, "b": 3}) == {"a": 25.0, "b": 75.0}


def test_a_settings_file_with_bad_weights_is_refused(tmp_path):
    text = scoring.SCORING_FILE.read_text(encoding="utf-8").replace("size = 16 ", "size = 21 ")
    bad = tmp_path / "scoring.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(scoring.ScoringConfigError, match="attractiveness weights must sum to "
                                                        "100, not 105"):
        scoring.load_scoring_config(bad)


def test_explanation_contributions_add_up_to_the_scores(scored, scoring_db):
    config = scoring.load_scoring_config()
    explained = scoring.explain_account(scored["F1"], config)
    attractiveness = explained.filter(pl.col("scorecard") == "Attractiveness")
    assert attractiveness["contribution"].sum() == pytest.approx(F1_NOW)
    assert attractiveness["contribution_before"].sum() == pytest.approx(F1_BEFORE)
    share = attractiveness.filter(pl.col("factor") == "market_share").row(0, named=True)
    assert (share["value_before"], share["value"]) == ("18.0 %", "11.2 %")
    assert share["change"] == pytest.approx(10 * (11.2 / 30 * 100 - 60) / 100)
    growth = attractiveness.filter(pl.col("factor") == "growth").row(0, named=True)
    assert (growth["value_before"], growth["value"]) == ("+0 %", "−35 %")
    # as of 30 Jun 2025, the year before has no history: growth counts as no change (50)
    early = scoring.score_database(scoring_db, date(2025, 6, 30)).filter(
        pl.col("account_id") == "F1").row(0, named=True)
    growth = scoring.explain_account(early, config).filter(
        pl.col("factor") == "growth").row(0, named=True)
    assert (growth["value_before"], growth["score_before"]) == ("no data: no change (50)", 50.0)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portfolio", "score", *args], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def test_cli_json_field_by_field(scoring_db):
    done = run_cli("--db", str(scoring_db))  # default as-of: the newest date, 30 Jun 2026
    assert done.returncode == 0, done.stderr
    records = {r["account_id"]: r for r in json.loads(done.stdout)}
    assert list(records) == ["R1", "F1", "U1", "F2", "H1"]
    assert records["F1"] == {
        "account_id": "F1", "name": "Falling Steel AG", "tier": "key", "kam_stage": "mid_kam",
        "manager_name": "Mia New", "attractiveness": round(F1_NOW, 1),
        "strength": round((30 * 55 + 25 * 40 / 60 * 100) / 55, 1), "quadrant": "Status",
        "band": "red", "trend": round(F1_NOW - F1_BEFORE, 1), "suggestion": "downgrade",
        "suggested_tier": "standard",
        "reasons": ["client market share 18.0 % → 11.2 % in 12 months",
                    "financial health 72 → 41 in 12 months",
                    "revenue −35 % year on year (€1.0M → €650k)",
                    "attractiveness 56 → 29 in 12 months"],
        "risk_level": "low", "risk_points": 0.0, "risk_signals": [], "risk_signal_codes": [],
        # two years of business since its first revenue month (June 2024); no deals
        "key_traits": ["relationship_years"],
        "revenue_t12m": 650000.0, "revenue_source": "finance",
        # the fixture holds no client size, and F1 no open deal, delivery, service case or
        # closed deal: 80 of the 100 points of attractiveness weight are measured
        "coverage": 80.0, "strength_coverage": 44.0,
        "factors_used": ["size", "growth", "gross_margin", "market_share",
                         "market_share_trend", "financial_health", "financial_health_trend",
                         "aftersales", "relationship_stage", "share_of_wallet"],
        "factors_missing": ["client_size", "coverage", "on_time_delivery", "promises_kept",
                            "win_rate"],
        "factors_assumed": [],
        "decision": None,  # nobody decided (the decision log: tests/test_decisions.py)
    }
    r1 = records["R1"]
    assert (r1["suggestion"], r1["risk_level"], r1["attractiveness"], r1["strength"]) == (
        "repair", "high", round(R1_NOW, 1), round(R1_STRENGTH, 1))
    assert r1["risk_signals"][0] == "key-account manager changed on 10 May 2026 (Max Old → " \
                                    "Mia New)"
    assert r1["risk_signal_codes"] == ["kam_changed", "promise_broken", "client_not_informed"]
    assert records["U1"]["name"] == "ООО Подъём"
    assert isinstance(records["H1"]["trend"], float) and records["H1"]["reasons"] == []


def test_cli_trend_is_null_without_history_and_csv_joins_lists(scoring_db):
    done = run_cli("--db", str(scoring_db), "--as-of", "2024-06-30")
    records = {r["account_id"]: r for r in json.loads(done.stdout)}
    # the fixture starts in June 2024: as of 30 Jun 2024 there is no score a year earlier
    assert records["F1"]["trend"] is None and records["F1"]["suggestion"] == "keep"
    assert records["F1"]["attractiveness"] == round(F1_BEFORE, 1)
    csv = run_cli("--db", str(scoring_db), "--format", "csv")
    assert csv.returncode == 0
    table = pl.read_csv(csv.stdout.encode(), infer_schema=False)
    f1 = table.filter(pl.col("account_id") == "F1").row(0, named=True)
    assert f1["reasons"].startswith("client market share 18.0 % → 11.2 % in 12 months | "
                                    "financial health 72 → 41")


def test_cli_refuses_a_missing_database_and_a_bad_date(tmp_path, scoring_db):
    missing = run_cli("--db", str(tmp_path / "nothing.duckdb"))
    assert missing.returncode == 1
    assert "no database at" in missing.stderr and missing.stdout == ""
    bad = run_cli("--db", str(scoring_db), "--as-of", "2026-13-45")
    assert bad.returncode == 2
    assert "not a date like 2026-06-30: '2026-13-45'" in bad.stderr


# --- the demo's planted stories -----------------------------------------------------------

@pytest.fixture(scope="module")
def demo_scored(demo_db: Path) -> pl.DataFrame:
    return scoring.score_database(demo_db, date(2026, 11, 22))


# the stopped-purchases story: no revenue since April 2026
STOPPED_SQL = """
    SELECT account_id FROM account_metrics GROUP BY account_id
    HAVING sum(equipment_revenue + service_revenue + consumables_revenue + spares_revenue)
           FILTER (WHERE month >= DATE '2026-04-01') = 0"""


def story_accounts(db: Path, sql: str) -> set[str]:
    from portfolio.core.db import read_only_connection

    cursor = read_only_connection(db).cursor()
    try:
        return {row[0] for row in cursor.execute(sql).fetchall()}
    finally:
        cursor.close()


def test_demo_falling_key_accounts_are_downgraded_or_dropped(demo_db, demo_scored):
    falling = story_accounts(demo_db, """
        SELECT account_id FROM account_metrics JOIN accounts USING (account_id)
        WHERE tier <> 'standard' GROUP BY account_id
        HAVING arg_max(client_market_share_pct, month)
                   < 0.7 * arg_min(client_market_share_pct, month)
           AND arg_max(financial_health, month) < arg_min(financial_health, month) - 25""")
    assert len(falling) >= 4
    suggested = dict(demo_scored.select("account_id", "suggestion").iter_rows())
    assert {suggested[a] for a in falling} <= {"downgrade", "drop"}
    assert "drop" in {suggested[a] for a in falling}
    downgrades = demo_scored.filter(pl.col("account_id").is_in(list(falling)))
    for reasons in downgrades["reasons"]:
        assert any(r.startswith("client market share") for r in reasons)
        assert any(r.startswith("financial health") for r in reasons)


def test_demo_uncoupling_account_gets_repair_not_downgrade(demo_db, demo_scored):
    (account,) = story_accounts(demo_db, "SELECT account_id FROM relationship_events "
                                         "WHERE note LIKE 'Key-account manager changed:%'")
    row = demo_scored.filter(pl.col("account_id") == account).row(0, named=True)
    assert (row["suggestion"], row["risk_level"]) == ("repair", "high")
    assert any(s.startswith("key-account manager changed") for s in row["risk_signals"])
    assert any(s.startswith("key contact left") for s in row["risk_signals"])
    # the only repairs of the small demo are stories: the noise does not drown them (the
    # late-delivery and the stopped-purchases stories are repaired too: both attractive)
    late = story_accounts(demo_db, "SELECT account_id FROM deliveries "
                                   "WHERE delivery_id IN ('LP001', 'LP002', 'LP003')")
    stopped = story_accounts(demo_db, STOPPED_SQL)
    assert set(demo_scored.filter(pl.col("suggestion") == "repair")["account_id"]) == {
        account, *late, *stopped}


def story_row(demo_db: Path, demo_scored: pl.DataFrame, sql: str) -> dict:
    (account,) = story_accounts(demo_db, sql)
    return demo_scored.filter(pl.col("account_id") == account).row(0, named=True)


def test_demo_late_deliveries_never_told_make_a_repair(demo_db, demo_scored):
    row = story_row(demo_db, demo_scored,
                    "SELECT DISTINCT account_id FROM deliveries WHERE delivery_id = 'LP001'")
    assert {"late_delivery", "client_not_informed"} <= set(row["risk_signal_codes"])
    assert "3 deliveries more than 7 days late (up to 27 days)" in row["risk_signals"]
    assert "client not told in time of 3 late deliveries" in row["risk_signals"]
    assert (row["risk_level"], row["suggestion"]) == ("high", "repair")


def test_demo_silence_after_delivery_is_raised(demo_db, demo_scored):
    row = story_row(demo_db, demo_scored,
                    "SELECT account_id FROM deliveries WHERE delivery_id = 'LP004'")
    assert row["risk_signal_codes"] == ["silence_after_delivery"]
    assert row["risk_signals"] == [
        "no call or contact in the 76 days since the delivery of 7 Sep 2026 (allowed: 60)"]


def test_demo_stopped_purchases_are_uncoupling_never_kept(demo_db, demo_scored):
    row = story_row(demo_db, demo_scored, STOPPED_SQL)
    assert "transactions_stopped" in row["risk_signal_codes"]
    assert row["suggestion"] == "repair"  # still attractive
    assert (row["months_without_purchase"], row["kam_stage"]) == (7, "mid_kam")
    assert scoring.stage_from_data(row, scoring.load_scoring_config()).startswith(
        "The data suggest the uncoupling stage (recorded: Mid KAM): purchases stopped: no "
        "revenue or deal won in 7 complete months since Mar 2026")


def test_demo_complacent_key_account_is_raised(demo_db, demo_scored):
    row = story_row(demo_db, demo_scored,
                    "SELECT account_id FROM accounts WHERE key_since = DATE '2019-03-01'")
    assert "complacency" in row["risk_signal_codes"]
    assert any(s.startswith("complacency: key account for 8 years, calls ")
               for s in row["risk_signals"])


def test_demo_grown_standard_accounts_are_upgrade_candidates(demo_db, demo_scored):
    grown = story_accounts(demo_db, """
        SELECT account_id FROM account_metrics JOIN accounts USING (account_id)
        WHERE tier = 'standard' GROUP BY account_id
        HAVING arg_max(client_market_share_pct, month)
                   > 1.3 * arg_min(client_market_share_pct, month)""")
    assert len(grown) >= 2
    upgrades = set(demo_scored.filter(pl.col("suggestion") == "upgrade")["account_id"])
    assert grown <= upgrades


def test_decisions_of_the_week_give_each_kind_a_turn():
    kinds = ["repair"] * 6 + ["drop"] * 2 + ["upgrade"] + ["review"] * 3 + ["keep"] * 2
    now = pl.DataFrame({
        "account_id": [f"A{i:02d}" for i in range(len(kinds))], "suggestion": kinds,
        "priority": [scoring.SUGGESTIONS.index(k) for k in kinds],
        "revenue": [float(100 - i) for i in range(len(kinds))]})
    # a week ago A01 was already a repair; the others were kept
    week_ago = now.with_columns(
        pl.when(pl.col("account_id") == "A01").then(pl.lit("repair"))
        .otherwise(pl.lit("keep")).alias("suggestion"))
    chosen = scoring.decisions_this_week(now, week_ago, limit=6)
    # two of each decision kind (new repairs first: A01 is not new), then the next most
    # urgent (a third repair, before any review)
    assert chosen["account_id"].to_list() == ["A00", "A02", "A03", "A06", "A07", "A08"]
    assert chosen["new"].to_list() == [True] * 6


def test_a_few_accounts_put_in_words_read_as_in_the_whole_scoring(demo_db, demo_scored):
    """The overview scores without words and puts only the decisions it shows in words."""
    import queries
    from portfolio.core.settings import load_settings

    params = {**scoring.NO_FILTERS, "as_of": date(2026, 11, 22),
              "recent_days": load_settings().recent_days, "inform_within_days": 2,
              "late_delivery_days": 7}
    config = scoring.load_scoring_config()
    factors = scoring.combine_factors(queries.run("scoring_metrics", db=demo_db, **params),
                                      queries.run("scoring_relationship", db=demo_db, **params,
                                                  **config.relationship_params()))
    signals = queries.run("risk_signals", db=demo_db, **params)
    bare = scoring.score_accounts(factors, signals, config, "EUR", in_words=False)
    assert bare["reasons"].list.len().sum() == 0 and bare["risk_signals"].list.len().sum() == 0
    shown = bare.filter(pl.col("suggestion") != "keep").head(5).with_columns(new=pl.lit(True))
    worded = scoring.put_in_words(shown, signals, config, "EUR")
    expected = demo_scored.join(shown.select("account_id"), on="account_id", how="semi")
    assert worded.columns == shown.columns
    assert worded["reasons"].list.len().min() > 0
    assert worded.drop("new").to_dicts() == expected.to_dicts()
