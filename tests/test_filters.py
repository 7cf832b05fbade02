"""The shared filters: URL values are data, checked against what exists."""

from datetime import date

import pytest

from portfolio.core.filters import FilterOptions, Filters, parse_query_params

OPTIONS = FilterOptions(manager_ids=frozenset({"M01", "M02"}), regions=frozenset({"DACH", "CEE"}),
                        newest_on=date(2026, 11, 22), oldest_on=date(2024, 11, 1))


def test_valid_link_gives_those_filters_and_no_notice():
    parsed = parse_query_params({"manager": ["M02"], "region": ["CEE", "DACH"], "tier": ["key"],
                                 "stage": ["mid_kam"], "as_of": ["2026-06-30"]}, OPTIONS)
    assert parsed.notices == []
    assert parsed.filters == Filters(as_of=date(2026, 6, 30), manager_ids=("M02",),
                                     regions=("CEE", "DACH"), tiers=("key",),
                                     kam_stages=("mid_kam",))


def test_no_parameters_mean_everything_as_of_the_newest_date():
    parsed = parse_query_params({}, OPTIONS)
    assert parsed.filters == Filters(as_of=date(2026, 11, 22))
    assert parsed.notices == []


@pytest.mark.parametrize(
    ("raw", "expected_notice"),
    [
        ({"manager": ["M99"]}, "Unknown manager “M99”"),
        ({"manager": ["x' OR '1'='1"]}, "Unknown manager “x? OR ?1???1”"),
        ({"region": ["'; DROP TABLE accounts; --"]}, "Unknown region"),
        ({"tier": ["gold"]}, "Unknown tier “gold”"),
        ({"stage": ["<script>alert(1)</script>"]}, "Unknown relationship stage “?script?alert"),
        ({"as_of": ["yesterday"]}, "is not a date like 2026-06-30"),
        ({"as_of": ["2026-02-30"]}, "does not exist"),
        ({"as_of": ["1999-01-01"]}, "is outside it"),
        ({"as_of": ["2026-01-01", "2026-02-01"]}, "several as-of dates"),
        ({"manager": ["M" * 10_000]}, "Unknown manager “" + "M" * 40 + "…”"),
        ({"tier": ["key"] * 500}, "only the first 200 were read"),
        ({"utm_source": ["mail"]}, "“utm_source” is not used"),
    ],
    ids=["unknown-manager", "sql-injection-manager", "sql-injection-region", "unknown-tier",
         "markup-stage", "word-date", "impossible-date", "date-out-of-range", "repeated-date",
         "huge-value", "too-many-values", "unknown-parameter"],
)
def test_bad_link_values_give_a_notice_and_a_sane_default(raw, expected_notice):
    parsed = parse_query_params(raw, OPTIONS)
    assert any(expected_notice in notice for notice in parsed.notices), parsed.notices
    defaults = Filters(as_of=date(2026, 11, 22))
    if "tier" in raw and raw["tier"][0] == "key":
        assert parsed.filters.tiers == ("key",)
    elif "as_of" in raw and len(raw["as_of"]) == 2:
        assert parsed.filters.as_of == date(2026, 1, 1)
    else:
        assert parsed.filters == defaults


def test_known_values_survive_next_to_unknown_ones():
    parsed = parse_query_params({"manager": ["M01", "nobody", "M01"]}, OPTIONS)
    assert parsed.filters.manager_ids == ("M01",)
    assert len(parsed.notices) == 1


def test_url_form_leaves_out_the_newest_as_of_date_and_empty_lists():
    newest = date(2026, 11, 22)
    assert Filters(as_of=newest, tiers=("key",)).query_params(newest) == {"tier": ["key"]}
    assert Filters(as_of=date(2026, 6, 30), manager_ids=("M02", "M01")).query_params(newest) == {
        "manager": ["M02", "M01"], "as_of": ["2026-06-30"]}


def test_round_trip_through_the_url():
    chosen = Filters(as_of=date(2025, 3, 31), manager_ids=("M02",), regions=("CEE",),
                     tiers=("strategic", "key"), kam_stages=("early_kam",))
    assert parse_query_params(chosen.query_params(OPTIONS.newest_on), OPTIONS).filters == chosen


def test_page_parameters_are_not_reported_as_unknown():
    parsed = parse_query_params({"account": ["A0001"]}, OPTIONS, known_other_keys=("account",))
    assert parsed.notices == []


def test_description_names_managers_and_filters():
    chosen = Filters(as_of=date(2026, 1, 1), manager_ids=("M02",), tiers=("key",))
    assert chosen.describe({"M02": "Jonas Weber"}) == "Jonas Weber · key"
    assert Filters(as_of=date(2026, 1, 1)).describe({}) == "All managers"


def test_description_says_when_a_lead_sees_their_team():
    chosen = Filters(as_of=date(2026, 1, 1), manager_ids=("M02", "M05"))
    names = {"M02": "Jonas Weber", "M05": "Lena Hoffmann"}
    assert chosen.describe(names, leads=frozenset({"M02"})) == (
        "Jonas Weber and team, Lena Hoffmann")
