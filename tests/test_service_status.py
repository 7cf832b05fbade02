"""The per-account service status (portfolio/read/service.py): the band and its reasons, from
hand-made facts and from the `service` fixture's query rows."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest

import queries
from portfolio.read.service import (
    ServiceSettings,
    band_counts,
    bands_in_words,
    by_manager,
    portfolio_delivery_rates,
    service_band,
    service_status,
    with_service_status,
)
from tests.conftest import build_fixture_database

SETTINGS = ServiceSettings()
QUIET = {"deliveries_due": 10, "on_time": 10, "delivered": 10, "quality_issues": 0,
         "invoice_issues": 0, "overdue_cases": 0, "overdue_severe": 0, "overdue_not_told": 0,
         "oldest_overdue_days": None, "overdue_kinds": None, "cases_closed": 5,
         "closed_late": 0, "cases_judged": 5, "told_late_or_never": 0}


def status(**changes):
    return service_status({**QUIET, **changes}, SETTINGS)


def test_nothing_to_judge_is_no_service_data_never_green() -> None:
    # a CRM export: no delivery, no case in the history window, none open
    nothing = {key: 0 for key in QUIET} | {"oldest_overdue_days": None, "overdue_kinds": None,
                                           "has_service_data": False}
    result = service_status(nothing, SETTINGS)
    assert (result.band, result.name, result.reason) == (
        "no_data", "No service data", "No delivery promised and no service case in the 365 "
        "days up to the as-of date: nothing to judge")
    assert service_status({**nothing, "has_service_data": True}, SETTINGS).band == "green"
    assert bands_in_words({"red": 0, "amber": 0, "green": 0, "no_data": 85}) == (
        "0 red, 0 amber, 0 green, 85 without service data")
    assert bands_in_words({"red": 2, "amber": 1, "green": 7, "no_data": 0}) == (
        "2 red, 1 amber, 7 green")


def test_an_account_keeping_every_promise_is_green_and_says_so() -> None:
    result = status()
    assert result.band == "green"
    assert result.reason == "On time 100 % (10 of 10 deliveries) in 90 days, no case overdue"


def test_no_deliveries_due_is_green_with_its_own_words() -> None:
    result = status(deliveries_due=0, on_time=0, delivered=0)
    assert (result.band, result.reason) == ("green",
                                            "No delivery due in 90 days, no case overdue")


@pytest.mark.parametrize(("on_time", "band"), [(10, "green"), (9, "green"), (8, "amber"),
                                               (7, "red")])
def test_on_time_thresholds_are_inclusive_at_the_lower_band(on_time: int, band: str) -> None:
    # 9 of 10 = 90 % is the amber threshold itself: green; 75 % would be amber; 70 % is red
    assert status(on_time=on_time).band == band


def test_exactly_75_percent_on_time_is_amber_not_red() -> None:
    assert status(deliveries_due=4, on_time=3, delivered=4).band == "amber"


def test_too_few_deliveries_are_not_judged() -> None:
    assert status(deliveries_due=2, on_time=0, delivered=2).band == "green"


def test_a_severe_overdue_case_never_told_is_red_with_both_reasons() -> None:
    result = status(overdue_cases=3, overdue_severe=2, overdue_not_told=1,
                    oldest_overdue_days=34, overdue_kinds="repair")
    assert result.band == "red"
    assert result.reasons == ("2 high or critical cases overdue (oldest 34 days): repair",
                              "client not told about 1 overdue case", "1 other case overdue")


def test_a_low_overdue_case_the_client_knows_about_is_amber() -> None:
    result = status(overdue_cases=1, oldest_overdue_days=3, overdue_kinds="training")
    assert (result.band, result.reasons) == ("amber", ("1 case overdue",))


def test_cases_closed_late_count_from_a_share_of_enough_cases() -> None:
    assert status(cases_closed=10, closed_late=3).reasons == (
        "closed late: 3 of 10 cases closed in 90 days",)
    assert status(cases_closed=10, closed_late=2).band == "green"
    assert status(cases_closed=2, closed_late=2).band == "green"  # fewer than min_cases


def test_telling_the_client_late_is_amber_from_a_fifth_of_the_cases() -> None:
    assert status(told_late_or_never=1).reasons == (
        "client told late or not at all: 1 of 5 cases opened in 90 days",)
    assert status(cases_judged=6, told_late_or_never=1).band == "green"


def test_quality_and_invoice_issue_rates() -> None:
    result = status(quality_issues=2, invoice_issues=1)
    assert result.reasons == ("quality issues: 2 of 10 deliveries",)


@pytest.fixture(scope="module")
def statuses(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    db = build_fixture_database("service", tmp_path_factory.mktemp("status") / "s.duckdb")
    facts = queries.run("service_account_status", db=db, visible=None, manager_ids=[], regions=[],
                        tiers=[], kam_stages=[], as_of=date(2026, 6, 30),
                        **SETTINGS.query_params())
    return with_service_status(facts, SETTINGS)


def test_the_fixture_accounts_get_their_bands_and_reasons(statuses: pl.DataFrame) -> None:
    assert statuses.select("account_id", "band", "band_order", "reason").rows() == [
        ("B1", "red", 0, "1 high or critical case overdue (oldest 22 days): repair; client "
                         "not told about 1 overdue case; on time 25 % (1 of 4 deliveries); "
                         "client told late or not at all: 1 of 3 cases opened in 90 days"),
        ("B2", "amber", 1, "1 case overdue; client told late or not at all: 3 of 3 cases "
                           "opened in 90 days"),
        ("B3", "red", 0, "1 high or critical case overdue (oldest 121 days): installation"),
    ]
    assert band_counts(statuses) == {"red": 2, "amber": 1, "green": 0, "no_data": 0}


def test_per_manager_rates_sum_their_accounts(statuses: pl.DataFrame) -> None:
    managers = by_manager(statuses)
    assert managers.select("manager_name", "accounts", "deliveries_due", "on_time_rate",
                           "invoice_rate", "quality_rate", "red", "amber").rows() == [
        ("Max Manager", 2, 4, 0.25, 0.5, 0.0, 2, 0),
        ("Nina Nord", 1, 1, 1.0, 0.0, 1.0, 0, 1),
    ]
    rates = portfolio_delivery_rates(statuses)
    assert (rates["deliveries_due"], rates["on_time_rate"], rates["quality_rate"]) == (
        5, 0.4, 1 / 3)


def test_settings_refuse_thresholds_in_the_wrong_order() -> None:
    with pytest.raises(ValueError, match="on_time_red"):
        ServiceSettings(on_time_red=0.95, on_time_amber=0.9).check()
    with pytest.raises(ValueError, match="told_late_amber"):
        ServiceSettings(told_late_amber=0).check()


def test_an_empty_portfolio_has_no_manager_rows() -> None:
    empty = with_service_status(pl.DataFrame(schema={c: pl.Int64 for c in QUIET}
                                             | {"manager_id": pl.String,
                                                "manager_name": pl.String,
                                                "open_cases": pl.Int64,
                                                "delivered_late": pl.Int64,
                                                "outstanding": pl.Int64}), SETTINGS)
    assert by_manager(empty).height == 0
    assert band_counts(empty) == {"red": 0, "amber": 0, "green": 0, "no_data": 0}


def random_facts(count: int, seed: int) -> pl.DataFrame:
    """Facts around every threshold, with some missing (NULL) counts."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        due = rng.choice([0, 1, 2, 3, 4, 10, 20, None])
        closed, judged = rng.choice([0, 2, 3, 10, None]), rng.choice([0, 1, 5, None])
        delivered = rng.choice([0, 2, 3, 10, 20, None])
        overdue = rng.choice([0, 0, 1, 3, None])
        rows.append({
            **QUIET, "deliveries_due": due,
            "on_time": rng.choice([rng.randint(0, due or 0), None]),
            "overdue_cases": overdue, "overdue_severe": rng.randint(0, overdue or 0),
            "overdue_not_told": rng.choice([0, 0, 0, 1, None]),
            "cases_closed": closed,
            "closed_late": rng.choice([rng.randint(0, closed or 0), None]),
            "cases_judged": judged,
            "told_late_or_never": rng.choice([rng.randint(0, judged or 0), None]),
            "delivered": delivered,
            "quality_issues": rng.choice([rng.randint(0, delivered or 0), None]),
            "invoice_issues": rng.choice([0, rng.randint(0, delivered or 0), None]),
            "has_service_data": rng.choice([True, True, True, False, None])})
    return pl.DataFrame(rows, schema={key: pl.Int64 for key in QUIET}
                        | {"overdue_kinds": pl.String, "has_service_data": pl.Boolean})


@pytest.mark.parametrize("settings", [SETTINGS, ServiceSettings(
    on_time_red=0.5, on_time_amber=0.95, min_deliveries=1, min_cases=1,
    closed_late_amber=0.5, told_late_amber=1.0, issue_rate_amber=0.1)])
def test_the_band_expression_agrees_with_the_rule_in_words(settings: ServiceSettings) -> None:
    facts = random_facts(4000, seed=7)
    expected = [service_status(row, settings).band for row in facts.iter_rows(named=True)]
    assert set(expected) == {"red", "amber", "green", "no_data"}  # every branch is exercised
    assert facts.select(service_band(settings))["band"].to_list() == expected


@pytest.mark.parametrize("as_of", [date(2025, 3, 31), date(2025, 12, 1), date(2026, 11, 22)])
def test_the_band_expression_agrees_with_the_rule_on_the_demo(demo_db, as_of: date) -> None:
    facts = queries.run("service_account_status", db=demo_db, visible=None, manager_ids=[],
                        regions=[], tiers=[], kam_stages=[], as_of=as_of,
                        **SETTINGS.query_params())
    assert facts.height > 100
    assert (facts.select(service_band(SETTINGS))["band"].to_list()
            == with_service_status(facts, SETTINGS)["band"].to_list())
