"""Golden rows of the buying-center queries on the `pipeline` fixture (tests/data/pipeline).

Every expected value was worked out by hand from the fixture's CSV files (README there):
a contact who left (K2), a person holding several roles (K1 on P1, K5 on P5), an engagement
exactly 90 days back (K4 on P2) and rows dated after the as-of date (K5 as buyer on P5).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.read import buying_center as logic
from tests.conftest import build_fixture_database

AS_OF = date(2026, 6, 30)
S, I64, I32, F64 = pl.String, pl.Int64, pl.Int32, pl.Float64
SETTINGS = logic.BuyingCenterSettings(
    recent_days=90, late_stages=("demonstrating_capability", "obtaining_commitment"),
    min_roles_covered=3)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("pipeline", tmp_path_factory.mktemp("bc") / "bc.duckdb")


def run(name: str, db: Path, **overrides: Any) -> pl.DataFrame:
    params: dict[str, Any] = {
        "manager_ids": [], "regions": [], "tiers": [], "kam_stages": [], "visible": None,
        "as_of": AS_OF,
        **SETTINGS.query_params(), "gap": "", "search": "", "sort_by": "risk", "limit": 100,
        "offset": 0, **overrides,
    }
    if name == "buying_center_deals":  # as the page lists deals: chosen, then their roles
        return deals_with_roles(db, params)
    return queries.run(name, db=db, **params)


def deals_with_roles(db: Path, params: dict[str, Any]) -> pl.DataFrame:
    rated = queries.run("buying_center_rated", db=db, **params)
    chosen = logic.select_deals(rated, gap=params["gap"], search=params["search"],
                                sort_by=params["sort_by"], limit=params["limit"],
                                offset=params["offset"])
    roles = queries.run("buying_center_roles", db=db,
                        **{**params, "deal_ids": chosen["deal_id"].to_list()})
    return logic.with_roles(chosen, roles)


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- buying_center_deals ------------------------------------------------------------------


def test_deals_riskiest_then_most_valuable_first_with_their_risk(db):
    result = run("buying_center_deals", db)
    assert result.select("deal_id", "risk", "roles_covered", "people_engaged", "value",
                         "owner_name").rows() == [
        ("P1", "high", 3, 1, 200000.0, "Leo Lead"),    # late stage, approver left
        ("P2", "high", 3, 2, 100000.0, "Mia Manager"),  # an opponent as approver
        ("P3", "high", 2, 2, 80000.0, "Mia Manager"),   # its only decider left
        ("P5", "medium", 3, 1, 90000.0, "Max Miller"),  # single-threaded
        ("P4", "medium", 0, 0, 50000.0, "Max Miller"),  # nobody engaged
    ]
    assert result["coverage"].to_list() == pytest.approx([3 / 7, 3 / 7, 2 / 7, 3 / 7, 0.0])
    assert (result["matching_deals"][0], result["matching_value"][0]) == (5, 520000.0)


def test_one_person_holding_several_roles_and_an_approver_who_left(db):
    p1 = run("buying_center_deals", db).row(0, named=True)
    assert p1["role_states"] == ["recent", "never", "never", "never", "recent", "recent", "left"]
    assert p1["role_attitudes"] == ["champion", None, None, None, "supporter", "supporter",
                                    "neutral"]
    assert p1["role_contacts"] == ["Olga Buyer", None, None, None, "Olga Buyer", "Olga Buyer",
                                   "Peter Left"]
    assert p1["role_people"] == [1, 0, 0, 0, 1, 1, 1]
    assert p1["role_last_contact"] == [d("2026-06-10"), None, None, None, d("2026-06-10"),
                                       d("2026-06-10"), d("2026-04-20")]
    assert (p1["single_threaded"], p1["single_thread"]) == (True, "Olga Buyer")
    assert (p1["decider_met"], p1["approver_met"], p1["approver_left"]) == (True, False, True)
    assert (p1["no_approver"], p1["late_stage"]) == (False, True)


def test_recent_window_counts_its_first_day_and_long_ago_is_still_met(db):
    p2 = run("buying_center_deals", db).row(1, named=True)
    # K4 as influencer on 2026-04-01 (90 days: recent), as approver on 2025-11-15
    assert p2["role_states"] == ["never", "recent", "recent", "never", "never", "recent",
                                 "long_ago"]
    assert p2["role_attitudes"] == [None, "neutral", "supporter", None, None, "skeptic",
                                    "opponent"]
    assert p2["doubters"] == "Sara Old (approver, opponent); Иван Петров (decider, skeptic)"
    assert (p2["approver_met"], p2["opponent_at_top"], p2["has_doubters"]) == (True, True, True)
    shorter = run("buying_center_deals", db, recent_days=89).row(1, named=True)
    assert shorter["role_states"][2] == "long_ago"


def test_the_only_decider_left_and_engagements_after_as_of_do_not_count(db):
    rows = {r["deal_id"]: r for r in run("buying_center_deals", db).iter_rows(named=True)}
    p3, p5, p4 = rows["P3"], rows["P5"], rows["P4"]
    assert p3["role_states"][5] == "left"
    assert (p3["decider_left"], p3["deciders_left"], p3["no_decider"]) == (True, "Peter Left",
                                                                           False)
    assert p3["no_approver"] and not p3["decider_met"]
    # K5's buyer engagement of 2026-07-20 is after as-of: never reached on 2026-06-30
    assert p5["role_states"] == ["recent", "never", "never", "never", "never", "recent",
                                 "recent"]
    assert p4["dark"] and p4["no_decider"] and p4["role_states"] == ["never"] * 7
    later = {r["deal_id"]: r for r in run("buying_center_deals", db, as_of=date(2026, 7, 14))
             .iter_rows(named=True)}
    assert later["P5"]["role_states"][4] == "never"  # still before the engagement


@pytest.mark.parametrize(("overrides", "deal_ids"), [
    pytest.param({"gap": "no_decider"}, ["P4"], id="no-decider"),
    pytest.param({"gap": "no_approver"}, ["P3", "P4"], id="no-approver"),
    pytest.param({"gap": "decider_left"}, ["P3"], id="decider-left"),
    pytest.param({"gap": "approver_left"}, ["P1"], id="approver-left"),
    pytest.param({"gap": "doubters"}, ["P2"], id="doubters"),
    pytest.param({"gap": "single_threaded"}, ["P1", "P5"], id="single-threaded"),
    pytest.param({"gap": "dark"}, ["P4"], id="dark"),
    pytest.param({"sort_by": "value"}, ["P1", "P2", "P5", "P3", "P4"], id="by-value"),
    pytest.param({"limit": 2, "offset": 2}, ["P3", "P5"], id="second-page"),
    pytest.param({"search": "ромашка"}, ["P2"], id="cyrillic-search"),
    pytest.param({"search": "MAX"}, ["P5", "P4"], id="owner-search"),
    pytest.param({"manager_ids": ["M2"]}, ["P1", "P2", "P3"], id="lead-and-team"),
    pytest.param({"search": "'; DROP TABLE deals; --"}, [], id="injection-is-text"),
])
def test_deals_by_gap_sort_page_search_and_filter(db, overrides, deal_ids):
    assert run("buying_center_deals", db, **overrides)["deal_id"].to_list() == deal_ids


def test_late_stages_and_minimum_coverage_are_settings(db):
    early_alarm = run("buying_center_deals", db, late_stages=["preliminaries"])
    risks = dict(zip(early_alarm["deal_id"], early_alarm["risk"], strict=True))
    assert risks == {"P2": "high", "P3": "high", "P4": "high", "P1": "medium", "P5": "medium"}
    strict = run("buying_center_deals", db, min_roles_covered=4, late_stages=[])
    assert dict(zip(strict["deal_id"], strict["risk"], strict=True))["P5"] == "medium"


# --- buying_center_gaps -------------------------------------------------------------------

GAPS_SCHEMA = {"finding": S, "finding_order": I32, "stage": S, "stage_order": I32,
               "deals": I64, "value": F64, "average_coverage": F64}


def test_gaps_per_finding_and_stage(db):
    rows = [
        ("open", 1, "obtaining_commitment", 4, 1, 200000.0, 3 / 7),
        ("open", 1, "demonstrating_capability", 3, 1, 80000.0, 2 / 7),
        ("open", 1, "investigation", 2, 2, 190000.0, 3 / 7),
        ("open", 1, "preliminaries", 1, 1, 50000.0, 0.0),
        ("alarm", 2, "obtaining_commitment", 4, 1, 200000.0, 3 / 7),
        ("alarm", 2, "demonstrating_capability", 3, 1, 80000.0, 2 / 7),
        ("high_risk", 3, "obtaining_commitment", 4, 1, 200000.0, 3 / 7),
        ("high_risk", 3, "demonstrating_capability", 3, 1, 80000.0, 2 / 7),
        ("high_risk", 3, "investigation", 2, 1, 100000.0, 3 / 7),
        ("no_decider", 4, "preliminaries", 1, 1, 50000.0, 0.0),
        ("no_approver", 5, "demonstrating_capability", 3, 1, 80000.0, 2 / 7),
        ("no_approver", 5, "preliminaries", 1, 1, 50000.0, 0.0),
        ("decider_left", 6, "demonstrating_capability", 3, 1, 80000.0, 2 / 7),
        ("approver_left", 7, "obtaining_commitment", 4, 1, 200000.0, 3 / 7),
        ("doubters", 8, "investigation", 2, 1, 100000.0, 3 / 7),
        ("single_threaded", 9, "obtaining_commitment", 4, 1, 200000.0, 3 / 7),
        ("single_threaded", 9, "investigation", 2, 1, 90000.0, 3 / 7),
        ("dark", 10, "preliminaries", 1, 1, 50000.0, 0.0),
    ]
    expected = pl.DataFrame(rows, schema=GAPS_SCHEMA, orient="row")
    assert_frame_equal(run("buying_center_gaps", db), expected)


def test_gaps_agree_with_the_deal_list(db):
    gaps = run("buying_center_gaps", db, manager_ids=["M2"])
    for gap in logic.GAPS:
        listed = run("buying_center_deals", db, manager_ids=["M2"], gap=gap)
        counted = gaps.filter(pl.col("finding") == gap)
        assert counted["deals"].sum() == listed.height, gap
        assert counted["value"].sum() == listed["value"].sum(), gap


def test_gap_lines_say_the_gaps_in_words(db):
    lines = logic.gap_lines(run("buying_center_gaps", db), "EUR", SETTINGS)
    assert [line.text for line in lines] == [
        "No decider met on 1 deal worth €50.0k in earlier stages (preliminaries, investigation)",
        "No approver met on 1 deal worth €80.0k in demonstrating capability",
        "No approver met on 1 deal worth €50.0k in earlier stages (preliminaries, investigation)",
        "The only decider has left on 1 deal worth €80.0k",
        "The only approver has left on 1 deal worth €200k",
        "A skeptic or opponent is decider or approver on 1 deal worth €100k",
        "2 deals worth €290k are single-threaded: one person holds every covered role",
        "Nobody was engaged in the last 90 days on 1 deal worth €50.0k",
    ]
    totals = logic.finding_totals(run("buying_center_gaps", db))
    assert (totals["alarm"].deals, totals["alarm"].value) == (2, 280000.0)
    assert logic.average_coverage(run("buying_center_gaps", db)) == pytest.approx(11 / 35)


def test_gap_lines_for_obtaining_commitment_name_the_stage(db):
    gaps = pl.DataFrame([("no_decider", 4, "obtaining_commitment", 4, 12, 4.1e6, 0.2)],
                        schema=GAPS_SCHEMA, orient="row")
    assert [line.text for line in logic.gap_lines(gaps, "EUR", SETTINGS)] == [
        "No decider met on 12 deals worth €4.1M in obtaining commitment"]


# --- buying_center_managers ---------------------------------------------------------------

MANAGERS_SCHEMA = {"owner_id": S, "owner_name": S, "deals": I64, "value": F64,
                   "average_coverage": F64, "value_weighted_coverage": F64,
                   "high_risk_deals": I64, "high_risk_value": F64, "medium_risk_deals": I64,
                   "medium_risk_value": F64, "low_risk_deals": I64, "low_risk_value": F64,
                   "alarm_deals": I64, "alarm_value": F64}


def test_managers_by_deal_owner_most_value_at_high_risk_first(db):
    # P3's owner is Mia Manager although its account is Leo Lead's
    expected = pl.DataFrame([
        ("M2", "Leo Lead", 1, 200000.0, 3 / 7, 3 / 7, 1, 200000.0, 0, 0.0, 0, 0.0, 1, 200000.0),
        ("M3", "Mia Manager", 2, 180000.0, 5 / 14, (300 / 7 + 160 / 7) / 180, 2, 180000.0, 0,
         0.0, 0, 0.0, 1, 80000.0),
        ("M4", "Max Miller", 2, 140000.0, 3 / 14, (270 / 7) / 140, 0, 0.0, 2, 140000.0, 0, 0.0,
         0, 0.0),
    ], schema=MANAGERS_SCHEMA, orient="row")
    assert_frame_equal(run("buying_center_managers", db), expected)


# --- the page's words ----------------------------------------------------------------------


def test_grid_table_writes_each_cell_and_the_risk_factors(db):
    table = logic.grid_table(run("buying_center_deals", db), SETTINGS)
    p1 = table.row(0, named=True)
    assert (p1["initiator"], p1["user"], p1["approver"]) == (
        "Recent · champion · Olga Buyer", "—", "Left · neutral · Peter Left")
    assert p1["why"] == "no active approver in a late stage; single-threaded (Olga Buyer)"
    by_deal = dict(zip(table["deal_id"], table["why"], strict=True))
    assert by_deal["P3"] == ("no active decider or approver in a late stage; "
                             "decider has left (Peter Left); only 2 of 7 roles covered")
    assert by_deal["P4"] == "nobody engaged in 90 days; no decider met; no approver met"
    assert table.row(1, named=True)["approver"] == "Long ago · opponent · Sara Old"


def test_the_buying_center_queries_share_one_definition_of_the_rules():
    """The per-deal rules (covered, gaps, risk) live once, in the rule macro
    rated_open_deals (queries/rules/macros.sql); buying_center_rated reads it, the two
    summaries read its rows (the page's deal lists pick from them too, select_deals) and
    none writes the rules again."""
    assert "FROM rated_open_deals(" in queries.sql_text("buying_center_rated")
    assert "bit_count(" not in queries.sql_text("buying_center_roles")
    for name in ("buying_center_gaps", "buying_center_managers"):
        text = queries.sql_text(name)
        assert queries.declared_inputs(name) == {"rated_deals": "buying_center_rated"}
        assert "FROM rated_deals" in text
        assert "bit_count(" not in text and "WHEN 'high'" not in text.split("rated AS")[0]
    rules = (Path(queries.__file__).parent / "rules" / "macros.sql").read_text()
    assert re.search(r"CREATE TEMP MACRO rated_open_deals\(", rules)


def test_settings_are_read_and_checked():
    settings = logic.buying_center_settings()
    assert settings.recent_days == 90
    assert "obtaining_commitment" in settings.late_stages
    with pytest.raises(ValueError, match="late_stages"):
        logic.BuyingCenterSettings(90, ("closing",), 3)



def test_roles_are_read_only_for_deals_within_the_viewers_scope(db):
    everyone = run("buying_center_roles", db, deal_ids=["P1", "P2", "P3", "P4", "P5", "nope"])
    assert everyone["deal_id"].to_list() == ["P1", "P2", "P3", "P4", "P5"]
    team = run("buying_center_roles", db, deal_ids=["P1", "P2", "P3", "P4", "P5"],
               visible=["M2"])
    assert team["deal_id"].to_list() == ["P1", "P2", "P3"]
    assert run("buying_center_roles", db, deal_ids=["P4"], visible=[]).height == 0
