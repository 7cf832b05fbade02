"""Per-account queries (`-- grain: account`): a result for the whole scope, narrowed to
a filter's accounts, equals the query run under that filter. The dashboard relies on
this to answer a filter change from a cached result (PageContext.run); the totals the
overview adds up from such rows are checked against the demo's own sums."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.read import overview
from portfolio.read import service_totals as totals
from tests.test_access import PARAMS

AS_OF = date(2026, 11, 22)
PER_ACCOUNT = [name for name in queries.available() if queries.per_account(name)]
NARROWING = [
    {"tiers": ["key"]},
    {"regions": ["CEE"]},
    {"manager_ids": ["M02"]},                       # a lead: the lead and the team
    {"kam_stages": ["mid_kam", "uncoupling_kam"]},
    {"regions": ["DACH"], "tiers": ["strategic", "key"]},
    {"manager_ids": ["M11"], "regions": ["DACH"]},  # nobody: CEE manager, DACH region
]
VIEWERS = [None, ["M04"]]  # everything; one lead's team
# rows in no particular order: only read as the input of queries that order their own
UNORDERED = {"pipeline_deals"}


def params(**overrides: Any) -> dict[str, Any]:
    return {**PARAMS, "as_of": AS_OF, **overrides}


def narrowed(db: Path, name: str, visible: list[str] | None, **filters: Any) -> pl.DataFrame:
    """What PageContext.run returns: the whole scope's rows cut to the filter's accounts."""
    whole = queries.run(name, db=db, **params(visible=visible))
    chosen = queries.run("scoped_account_ids", db=db, **params(visible=visible, **filters))
    return whole.filter(pl.col("account_id").is_in(chosen["account_id"].implode()))


def test_the_per_account_queries_are_the_ones_expected() -> None:
    assert set(PER_ACCOUNT) == {"buying_center_rated", "overview_figures",
                                "overview_late_coverage", "pipeline_by_stage",
                                "pipeline_conversion_accounts", "pipeline_deals",
                                "risk_signals", "scoring_metrics", "scoring_relationship",
                                "service_account_status", "pipeline_finished_stays",
                                *totals.SUMMED, *totals.LISTED}


@pytest.mark.parametrize("visible", VIEWERS)
@pytest.mark.parametrize("filters", NARROWING, ids=lambda f: "-".join(map(str, f.values())))
@pytest.mark.parametrize("name", PER_ACCOUNT)
def test_narrowing_the_whole_result_equals_running_under_the_filter(
        demo_db: Path, name: str, filters: dict[str, list[str]],
        visible: list[str] | None) -> None:
    direct = queries.run(name, db=demo_db, **params(visible=visible, **filters))
    assert_frame_equal(narrowed(demo_db, name, visible, **filters), direct,
                       check_row_order=name not in UNORDERED)


WITH_INPUTS = [name for name in queries.available() if queries.declared_inputs(name)]


def test_the_queries_with_inputs_are_the_ones_expected() -> None:
    assert set(WITH_INPUTS) == {"buying_center_gaps",
                                "buying_center_managers", "pipeline_conversion",
                                "pipeline_expected_closes", "pipeline_open_deals",
                                "pipeline_stage_time", "pipeline_stages", "pipeline_win_rate",
                                "stalling_deals"}


@pytest.mark.parametrize("visible", VIEWERS)
@pytest.mark.parametrize("filters", NARROWING[:4], ids=lambda f: "-".join(map(str, f.values())))
@pytest.mark.parametrize("name", WITH_INPUTS)
def test_a_query_reading_a_narrowed_input_equals_running_it_under_the_filter(
        demo_db: Path, name: str, filters: dict[str, list[str]],
        visible: list[str] | None) -> None:
    """What PageContext.run does: the inputs come from the cache, narrowed."""
    inputs = {alias: narrowed(demo_db, source, visible, **filters)
              for alias, source in queries.declared_inputs(name).items()}
    direct = queries.run(name, db=demo_db, **params(visible=visible, **filters))
    assert direct.height > 0 or visible is not None  # a filter outside the scope: none
    assert_frame_equal(
        queries.run(name, db=demo_db, inputs=inputs, **params(visible=visible, **filters)),
        direct)


def test_the_check_catches_a_query_whose_rows_depend_on_the_other_accounts(
        demo_db: Path) -> None:
    # stalling_deals counts all filtered deals in every row (stalling_deals): narrowing
    # its whole result gives other rows than running it under the filter.
    direct = queries.run("stalling_deals", db=demo_db,
                            **params(visible=None, tiers=["key"]))
    with pytest.raises(AssertionError):
        assert_frame_equal(narrowed(demo_db, "stalling_deals", None, tiers=["key"]),
                           direct)


def test_the_narrowing_filters_leave_some_accounts_and_not_all(demo_db: Path) -> None:
    everyone = queries.run("scoped_account_ids", db=demo_db, **params(visible=None)).height
    sizes = [queries.run("scoped_account_ids", db=demo_db, **params(visible=None, **f)).height
             for f in NARROWING]
    assert all(size < everyone for size in sizes)
    assert sizes[-1] == 0 and min(sizes[:-1]) > 0


def test_headline_figures_add_up_the_accounts(demo_db: Path) -> None:
    rows = queries.run("overview_figures", db=demo_db, **params(visible=None))
    figures = overview.headline_figures(rows)
    assert figures["accounts"] == rows.height == 120
    assert figures["open_deals"] == rows["open_deals"].sum() > 0
    assert figures["late_coverage"] == pytest.approx(
        rows["late_coverage_sum"].sum() / rows["late_deals"].sum())
    assert figures["on_time_rate"] == pytest.approx(
        rows["deliveries_on_time"].sum() / rows["deliveries_due"].sum())
    # the late-stage deals by roles covered are the same deals
    by_roles = overview.late_coverage_by_roles(
        queries.run("overview_late_coverage", db=demo_db, **params(visible=None)))
    assert by_roles["deals"].sum() == figures["late_deals"]
    assert by_roles["without_top"].sum() == figures["late_without_top"]
    by_stage = overview.pipeline_by_stage(
        queries.run("pipeline_by_stage", db=demo_db, **params(visible=None)))
    assert by_stage["deals"][:4].sum() == figures["open_deals"]
    assert by_stage["value"][:4].sum() == pytest.approx(figures["open_value"])


def test_totals_over_no_accounts_are_zero_counts_and_no_rates(demo_db: Path) -> None:
    nobody = params(visible=None, **NARROWING[-1])
    figures = overview.headline_figures(queries.run("overview_figures", db=demo_db, **nobody))
    assert figures == {
        "accounts": 0, "key_accounts": 0, "revenue_t12m": None, "revenue_prior_t12m": None,
        "open_deals": 0, "open_value": 0.0, "weighted_value": 0.0, "late_deals": 0,
        "late_coverage": None, "late_without_top": 0, "late_without_top_value": 0.0,
        "deliveries_due": 0, "deliveries_on_time": 0, "on_time_rate": None,
        "revenue_from_deals": 0}
    by_roles = overview.late_coverage_by_roles(
        queries.run("overview_late_coverage", db=demo_db, **nobody))
    assert by_roles["roles_covered"].to_list() == list(range(8))
    assert by_roles["deals"].to_list() == [0] * 8
    by_stage = overview.pipeline_by_stage(queries.run("pipeline_by_stage", db=demo_db, **nobody))
    assert by_stage["stage"].to_list() == ["preliminaries", "investigation",
                                           "demonstrating_capability", "obtaining_commitment",
                                           "won", "lost"]
    assert by_stage["value"].to_list() == [0.0] * 6


@pytest.mark.parametrize("filters", NARROWING[:4], ids=lambda f: "-".join(map(str, f.values())))
def test_scores_and_service_status_judge_each_account_alone(
        demo_db: Path, filters: dict[str, list[str]]) -> None:
    """PageContext.memo_accounts builds these once for the whole scope and narrows them."""
    from portfolio.read import scoring
    from portfolio.read.service import ServiceSettings, with_service_status

    def scores(**chosen: Any) -> pl.DataFrame:
        def rows(name: str) -> pl.DataFrame:
            return queries.run(name, db=demo_db, **params(visible=None, **chosen))
        factors = scoring.combine_factors(rows("scoring_metrics"), rows("scoring_relationship"))
        return scoring.score_accounts(factors, rows("risk_signals"),
                                      scoring.load_scoring_config())

    def statuses(**chosen: Any) -> pl.DataFrame:
        settings = ServiceSettings.load()
        return with_service_status(queries.run(
            "service_account_status", db=demo_db,
            **params(visible=None, **chosen, **settings.query_params())), settings)

    chosen = queries.run("scoped_account_ids", db=demo_db,
                         **params(visible=None, **filters))["account_id"].implode()
    for derive in (scores, statuses):
        direct = derive(**filters)
        assert direct.height > 0
        assert_frame_equal(derive().filter(pl.col("account_id").is_in(chosen)), direct)



@pytest.mark.parametrize("name", WITH_INPUTS)
def test_a_query_with_inputs_is_keyed_on_the_filters_of_its_inputs(name: str) -> None:
    # the input already holds the filtered accounts only, so the SQL need not read the
    # filters; its cached results must still be told apart by them (PageContext: `used`)
    assert {"manager_ids", "regions", "tiers", "kam_stages", "visible"} <= queries.depends_on(name)
    assert set(queries.declared_inputs(name).values()) <= set(queries.reads(name)[1:])


ONE_ACCOUNT = [name for name in queries.available() if queries.one_account(name)]


def test_the_one_account_queries_are_the_ones_expected() -> None:
    assert set(ONE_ACCOUNT) == {"account_buying_center", "account_contracts", "account_deals",
                                "account_deliveries_by_month", "account_profile",
                                "account_service_cases", "account_timeline"}


@pytest.mark.parametrize("visible", VIEWERS)
@pytest.mark.parametrize("filters", NARROWING, ids=lambda f: "-".join(map(str, f.values())))
@pytest.mark.parametrize("name", ONE_ACCOUNT)
def test_an_accounts_rows_are_its_whole_scope_rows_or_none(
        demo_db: Path, name: str, filters: dict[str, list[str]],
        visible: list[str] | None) -> None:
    """What PageContext.run does for a `-- grain: one account` query under a filter."""
    chosen = set(queries.run("scoped_account_ids", db=demo_db,
                             **params(visible=visible, **filters))["account_id"])
    scope = sorted(queries.run("scoped_account_ids", db=demo_db,
                               **params(visible=visible))["account_id"])
    inside = [a for a in scope if a in chosen][:2]
    outside = [a for a in scope if a not in chosen][:2]
    for account in inside + outside:
        whole = queries.run(name, db=demo_db, **params(visible=visible, account_id=account))
        direct = queries.run(name, db=demo_db,
                             **params(visible=visible, account_id=account, **filters))
        assert_frame_equal(direct, whole if account in chosen else whole.clear())
    assert inside or outside
    assert outside or visible is not None  # a team can lie wholly within a filter
