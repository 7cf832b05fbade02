"""Golden rows of the pipeline queries on the `pipeline` fixture (tests/data/pipeline).

Every expected frame was computed by hand from the fixture's CSV files (the scenario and
its key figures are in tests/data/pipeline/README.md). All tests look at the portfolio as
of 2026-06-30; the fixture holds later rows on purpose, so that the as-of cut is checked.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.core import fmt
from portfolio.read import pipeline as logic
from tests.conftest import build_fixture_database

AS_OF = date(2026, 6, 30)
STALLING = {"no_advance_days": 60, "continuation_streak": 3, "usual_percentile": 0.9,
            "history_months": 24, "min_stays": 3}
USUAL_DAYS = [41.5, 68.5, 42.2, 65.6]  # pipeline_stage_time's usual_days, in stage order
S, I64, I32, F64, D, B = pl.String, pl.Int64, pl.Int32, pl.Float64, pl.Date, pl.Boolean


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("pipeline", tmp_path_factory.mktemp("pipeline") / "p.duckdb")


def run(name: str, db: Path, **overrides: Any) -> pl.DataFrame:
    params: dict[str, Any] = {
        "manager_ids": [], "regions": [], "tiers": [], "kam_stages": [], "visible": None,
        "as_of": AS_OF,
        "stage_probabilities": [0.1, 0.25, 0.5, 0.75], "recent_days": 90, **STALLING,
        "usual_days": USUAL_DAYS, "limit": 200, "stage": "", "search": "", **overrides,
    }
    if name == "pipeline_stage_time":  # as the page runs it: the benchmark first
        params["usual_all"] = queries.run("pipeline_usual_days", db=db,
                                          **params)["usual_all"].to_list()
    return queries.run(name, db=db, **params)


def frame(schema: dict[str, Any], rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- pipeline_stages ------------------------------------------------------------------------

STAGES_SCHEMA = {"stage": S, "stage_order": I32, "deals": I64, "value": F64,
                 "probability": F64, "weighted_value": F64, "median_days_in_stage": F64}


def test_stages_count_value_and_weight_open_deals_and_the_last_twelve_months_closed(db):
    # P5 (won on 2026-07-15, after as-of) is still in investigation; W2 (won 2025-05-15)
    # and W3 closed more than twelve months back. Investigation days: P2 121, P5 20.
    expected = frame(STAGES_SCHEMA, [
        ("preliminaries", 1, 1, 50000.0, 0.1, 5000.0, 107.0),
        ("investigation", 2, 2, 190000.0, 0.25, 47500.0, 70.5),
        ("demonstrating_capability", 3, 1, 80000.0, 0.5, 40000.0, 29.0),
        ("obtaining_commitment", 4, 1, 200000.0, 0.75, 150000.0, 60.0),
        ("won", 5, 1, 150000.0, None, None, None),
        ("lost", 6, 2, 100000.0, None, None, None),
    ])
    assert_frame_equal(run("pipeline_stages", db), expected)


def test_stages_follow_the_manager_filter_and_the_headline_reads_them(db):
    stages = run("pipeline_stages", db, manager_ids=["M4"])  # A3: P4, P5; W2 too old
    assert stages.select("stage", "deals").rows() == [
        ("preliminaries", 1), ("investigation", 1), ("demonstrating_capability", 0),
        ("obtaining_commitment", 0), ("won", 0), ("lost", 0)]
    head = logic.headline(run("pipeline_stages", db))
    assert (head.open_deals, head.open_value, head.weighted_value) == (5, 520000.0, 242500.0)
    assert (head.won, head.lost) == (1, 2) and head.win_rate == pytest.approx(1 / 3)


# --- pipeline_stage_time --------------------------------------------------------------------

STAGE_TIME_SCHEMA = {"stage": S, "stage_order": I32, "finished_stays": I64, "median_days": F64,
                     "p75_days": F64, "usual_days": F64, "usual_scope": S, "open_deals": I64,
                     "open_median_days": F64, "open_over_usual": I64}


def test_stage_time_from_stays_finished_in_the_window_up_to_as_of(db):
    # W3's stay (ended 2024-05-01) is outside the 24 months; P5's investigation stay ends
    # after as-of. Preliminaries: 22, 27, 28, 30, 30, 30, 40, 45 -> p90 = 40 + 0.3 * 5.
    expected = frame(STAGE_TIME_SCHEMA, [
        ("preliminaries", 1, 8, 30.0, 32.5, 41.5, "in view", 1, 107.0, 1),
        ("investigation", 2, 6, 31.0, 39.25, 68.5, "in view", 2, 70.5, 1),
        ("demonstrating_capability", 3, 4, 31.0, 35.0, 42.2, "in view", 1, 29.0, 0),
        ("obtaining_commitment", 4, 3, 44.0, 57.5, 65.6, "in view", 1, 60.0, 0),
    ])
    assert_frame_equal(run("pipeline_stage_time", db), expected)


def test_stage_time_takes_the_usual_from_all_accounts_when_too_few_stays_in_view(db):
    # Max Miller (A3): stays W2 22/28/31/44 and P5 40 (preliminaries). Two preliminaries
    # stays in view (< 3): the usual comes from all accounts; one per other stage, too.
    result = run("pipeline_stage_time", db, manager_ids=["M4"])
    assert result.select("stage", "finished_stays", "median_days", "usual_days",
                         "usual_scope").rows() == [
        ("preliminaries", 2, 31.0, 41.5, "all accounts"),
        ("investigation", 1, 28.0, 68.5, "all accounts"),
        ("demonstrating_capability", 1, 31.0, pytest.approx(42.2), "all accounts"),
        ("obtaining_commitment", 1, 44.0, pytest.approx(65.6), "all accounts"),
    ]
    in_view = run("pipeline_stage_time", db, manager_ids=["M4"], min_stays=1)
    assert in_view["usual_scope"].to_list() == ["in view"] * 4
    assert in_view["usual_days"][0] == pytest.approx(22 + 0.9 * 18)  # p90 of 22 and 40


def test_stage_time_window_is_a_setting(db):
    # twelve months: only stays that ended after 2025-06-30
    result = run("pipeline_stage_time", db, history_months=12)
    assert result["finished_stays"].to_list() == [7, 5, 3, 2]  # W2 ended before


# --- pipeline_conversion --------------------------------------------------------------------

CONVERSION_SCHEMA = {"stage": S, "stage_order": I32, "entered": I64, "advanced": I64,
                     "lost": I64, "still_open": I64, "value_entered": F64,
                     "value_advanced": F64, "value_lost": F64, "conversion": F64,
                     "loss_rate": F64}


def test_conversion_follows_each_deal_that_entered_a_stage_in_the_window(db):
    # Preliminaries: every deal but W3 (2024) entered; all advanced but P4. Investigation:
    # L1 lost there; P2 and P5 (won after as-of) still there. Obtaining: L2 lost there.
    expected = frame(CONVERSION_SCHEMA, [
        ("preliminaries", 1, 9, 8, 0, 1, 840000.0, 790000.0, 0.0, 8 / 9, 0.0),
        ("investigation", 2, 8, 5, 1, 2, 790000.0, 540000.0, 60000.0, 5 / 8, 1 / 8),
        ("demonstrating_capability", 3, 5, 4, 0, 1, 540000.0, 460000.0, 0.0, 0.8, 0.0),
        ("obtaining_commitment", 4, 4, 2, 1, 1, 460000.0, 220000.0, 40000.0, 0.5, 0.25),
    ])
    assert_frame_equal(run("pipeline_conversion", db), expected)


def test_conversion_for_a_region_without_deals_is_zero_not_missing(db):
    result = run("pipeline_conversion", db, regions=["Nowhere"])
    assert result["entered"].to_list() == [0, 0, 0, 0]
    assert result["conversion"].to_list() == [None] * 4


# --- pipeline_expected_closes ---------------------------------------------------------------

CLOSES_SCHEMA = {"bucket": S, "month": D, "bucket_order": I64, "stage": S, "stage_order": I32,
                 "deals": I64, "value": F64, "weighted_value": F64, "top_deal_name": S,
                 "top_account_name": S, "top_deal_value": F64}


def test_expected_closes_put_past_due_first_then_months_then_later_and_undated(db):
    expected = frame(CLOSES_SCHEMA, [
        ("overdue", None, 0, "investigation", 2, 1, 100000.0, 25000.0, "Сервисный контракт",
         "ООО Ромашка", 100000.0),
        ("month", d("2026-07-01"), 2, "investigation", 2, 1, 90000.0, 22500.0, "Future win",
         "Borealis Foods", 90000.0),
        ("month", d("2026-07-01"), 2, "obtaining_commitment", 4, 1, 200000.0, 150000.0,
         "Press line", "Acme Steel", 200000.0),
        ("later", None, 13, "demonstrating_capability", 3, 1, 80000.0, 40000.0, "Robot cell",
         "Acme Steel", 80000.0),
        ("no_date", None, 14, "preliminaries", 1, 1, 50000.0, 5000.0, "Conveyor",
         "Borealis Foods", 50000.0),
    ])
    closes = run("pipeline_expected_closes", db)
    assert_frame_equal(closes, expected)
    assert logic.closing_within(closes, 3) == (2, 290000.0)
    assert logic.closing_within(closes, 1) == (0, 0.0)


# --- pipeline_win_rate ----------------------------------------------------------------------

WIN_RATE_SCHEMA = {"quarter": D, "won": I64, "lost": I64, "won_value": F64, "lost_value": F64,
                   "win_rate": F64, "win_rate_value": F64, "top_win_name": S,
                   "top_win_account": S, "top_win_value": F64}


def test_win_rate_per_quarter_for_the_eight_quarters_up_to_as_of(db):
    empty = (0, 0, 0.0, 0.0, None, None, None, None, None)
    expected = frame(WIN_RATE_SCHEMA, [
        (d("2024-07-01"), *empty), (d("2024-10-01"), *empty), (d("2025-01-01"), *empty),
        (d("2025-04-01"), 1, 0, 70000.0, 0.0, 1.0, 1.0, "Packaging", "Borealis Foods", 70000.0),
        (d("2025-07-01"), *empty),
        (d("2025-10-01"), 0, 1, 0.0, 40000.0, 0.0, 0.0, None, None, None),
        (d("2026-01-01"), 1, 0, 150000.0, 0.0, 1.0, 1.0, "Old press", "Acme Steel", 150000.0),
        (d("2026-04-01"), 0, 1, 0.0, 60000.0, 0.0, 0.0, None, None, None),
    ])
    assert_frame_equal(run("pipeline_win_rate", db), expected)


def test_win_rate_as_of_later_counts_the_win_that_happened_after_the_first_as_of(db):
    later = run("pipeline_win_rate", db, as_of=date(2026, 7, 31))
    assert later.row(-1, named=True)["quarter"] == d("2026-07-01")
    assert later.row(-1, named=True)["won"] == 1  # P5, won 2026-07-15


def test_quarter_labels_mark_the_quarter_still_running():
    assert fmt.quarter_label(d("2026-04-01"), AS_OF) == "Q2 2026"
    assert fmt.quarter_label(d("2026-10-01"), d("2026-11-22")) == "Q4 2026 (to 22 Nov)"
    assert fmt.quarter_label(d("2026-01-01"), d("2026-03-31")) == "Q1 2026"


# --- pipeline_open_deals --------------------------------------------------------------------

OPEN_SCHEMA = {"deal_id": S, "deal_name": S, "account_id": S, "account_name": S, "stage": S,
               "stage_order": I32, "value": F64, "weighted_value": F64, "days_in_stage": I64,
               "last_outcome": S, "last_call_on": D, "owner_id": S, "owner_name": S,
               "expected_close_on": D, "matching_deals": I64, "matching_value": F64}


def test_open_deals_most_valuable_first_with_last_call_before_as_of(db):
    # P2's last call before as-of is a continuation (the advance of 2026-07-05 is later);
    # P1 has no owner: its account's manager; P3's owner is not its account's manager.
    expected = frame(OPEN_SCHEMA, [
        ("P1", "Press line", "A1", "Acme Steel", "obtaining_commitment", 4, 200000.0, 150000.0,
         60, "advance", d("2026-06-20"), "M2", "Leo Lead", d("2026-07-20"), 5, 520000.0),
        ("P2", "Сервисный контракт", "A2", "ООО Ромашка", "investigation", 2, 100000.0,
         25000.0, 121, "continuation", d("2026-06-01"), "M3", "Mia Manager", d("2026-06-15"),
         5, 520000.0),
        ("P5", "Future win", "A3", "Borealis Foods", "investigation", 2, 90000.0, 22500.0, 20,
         None, None, "M4", "Max Miller", d("2026-07-10"), 5, 520000.0),
        ("P3", "Robot cell", "A1", "Acme Steel", "demonstrating_capability", 3, 80000.0,
         40000.0, 29, "continuation", d("2026-06-20"), "M3", "Mia Manager", d("2027-08-01"),
         5, 520000.0),
        ("P4", "Conveyor", "A3", "Borealis Foods", "preliminaries", 1, 50000.0, 5000.0, 107,
         None, None, "M4", "Max Miller", None, 5, 520000.0),
    ])
    assert_frame_equal(run("pipeline_open_deals", db), expected)


@pytest.mark.parametrize(("overrides", "deal_ids", "matching"), [
    pytest.param({"stage": "investigation"}, ["P2", "P5"], 2, id="one-stage"),
    pytest.param({"search": "РОМАШКА"}, ["P2"], 1, id="cyrillic-account-any-case"),
    pytest.param({"search": "mia"}, ["P2", "P3"], 2, id="owner-name"),
    pytest.param({"search": "press"}, ["P1"], 1, id="deal-name"),
    pytest.param({"limit": 2}, ["P1", "P2"], 5, id="top-n-keeps-the-total"),
    pytest.param({"search": "x' OR '1'='1"}, [], None, id="injection-is-text"),
    pytest.param({"stage": "won"}, [], None, id="closed-stage-lists-nothing"),
])
def test_open_deals_filter_by_stage_and_search_and_limit(db, overrides, deal_ids, matching):
    result = run("pipeline_open_deals", db, **overrides)
    assert result["deal_id"].to_list() == deal_ids
    if matching is not None:
        assert result["matching_deals"][0] == matching


# --- stalling_deals -------------------------------------------------------------------------

STALLING_SCHEMA = {"deal_id": S, "deal_name": S, "account_id": S, "account_name": S,
                   "stage": S, "stage_order": I32, "value": F64, "days_stalled": I64,
                   "days_in_stage": I64, "last_advance_on": D, "last_outcome": S,
                   "last_call_on": D, "continuation_streak": I64, "continuations_since": D,
                   "usual_days": F64, "no_advance": B, "on_continuations": B, "over_usual": B,
                   "owner_id": S, "owner_name": S, "stalling_deals": I64, "stalling_value": F64}


def test_stalling_deals_name_every_rule_that_caught_them(db):
    # P2 lives on continuations (three, the advance after as-of does not count), never
    # advanced since entering investigation 121 days ago (usual at most 68.5). P4 has had
    # no call at all for 107 days in preliminaries (usual at most 41.5). P1 advanced 10
    # days ago; P3 has only two continuations in a row.
    expected = frame(STALLING_SCHEMA, [
        ("P2", "Сервисный контракт", "A2", "ООО Ромашка", "investigation", 2, 100000.0, 121,
         121, None, "continuation", d("2026-06-01"), 3, d("2026-04-01"), 68.5, True, True,
         True, "M3", "Mia Manager", 2, 150000.0),
        ("P4", "Conveyor", "A3", "Borealis Foods", "preliminaries", 1, 50000.0, 107, 107, None,
         None, None, 0, None, 41.5, True, False, True, "M4", "Max Miller", 2, 150000.0),
    ])
    assert_frame_equal(run("stalling_deals", db), expected)


def test_stalling_usual_days_come_from_the_stage_time_query(db):
    usual = logic.usual_days_by_stage(run("pipeline_stage_time", db))
    assert usual == pytest.approx(USUAL_DAYS)
    assert run("stalling_deals", db, usual_days=usual)["deal_id"].to_list() == ["P2", "P4"]


@pytest.mark.parametrize(("overrides", "deal_ids"), [
    pytest.param({"continuation_streak": 2}, ["P2", "P3", "P4"], id="two-continuations"),
    pytest.param({"no_advance_days": 200, "usual_days": [None] * 4}, ["P2"],
                 id="only-the-continuation-rule"),
    pytest.param({"no_advance_days": 200, "continuation_streak": 9}, ["P2", "P4"],
                 id="only-the-usual-time-rule"),
    pytest.param({"no_advance_days": 11}, ["P2", "P5", "P3", "P4"], id="eleven-days"),
    pytest.param({"manager_ids": ["M3"]}, ["P2"], id="manager"),
    pytest.param({"limit": 1}, ["P2"], id="top-n"),
])
def test_stalling_rules_follow_their_settings_and_the_filters(db, overrides, deal_ids):
    assert run("stalling_deals", db, **overrides)["deal_id"].to_list() == deal_ids


def test_stalling_totals_survive_the_row_limit(db):
    top = run("stalling_deals", db, limit=1)
    assert (top["stalling_deals"][0], top["stalling_value"][0]) == (2, 150000.0)


def test_stalling_reasons_in_words(db):
    reasons = logic.with_reasons(run("stalling_deals", db, continuation_streak=2))
    assert dict(zip(reasons["deal_id"], reasons["why"], strict=True)) == {
        "P2": "no advance for 121 days; last 3 calls were continuations; "
              "121 days in stage, usual at most 68",
        "P3": "last 2 calls were continuations",
        "P4": "no advance for 107 days; 107 days in stage, usual at most 42",
    }
    counts = logic.stalling_rule_counts(reasons)
    assert counts == {"no_advance": 2, "on_continuations": 2, "over_usual": 2}


def test_stalling_settings_are_read_and_checked():
    settings = logic.stalling_settings()
    assert settings.query_params().keys() == STALLING.keys()
    with pytest.raises(ValueError, match="usual_percentile"):
        logic.StallingSettings(60, 3, 1.5, 24, 20)


def test_the_usual_days_benchmark_stays_within_the_viewers_scope(db):
    everyone = run("pipeline_usual_days", db)["usual_all"].to_list()
    assert all(days is not None for days in everyone)
    assert run("pipeline_usual_days", db, visible=[])["usual_all"].to_list() == [None] * 4
    # the filters do not move it: it is the fallback when the accounts in view have few stays
    assert run("pipeline_usual_days", db, manager_ids=["M4"])["usual_all"].to_list() == everyone
