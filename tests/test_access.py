"""Who sees what: sign-in settings, the viewer's scope in every query, and the real app
behind a trusted single-sign-on header (portfolio/core/access.py, scoped_accounts)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.core.access import AccessConfig, AccessConfigError, SignIn, resolve_viewer
from tests.charts import charts_in

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 22)
NOBODY = "no-such-manager"
# A query reading inputs is scoped through them (queries.declared_inputs).
SCOPED = [name for name in queries.available() if "visible" in queries.depends_on(name)]
# The scoped queries that also take the filters; the others list the filters' choices or
# read one account.
FILTERED = [name for name in SCOPED if "manager_ids" in queries.depends_on(name)]
# The account page's reads that take no filters, and one that does (the events): an
# account outside the viewer's scope shows nothing in either.
UNFILTERED_ONE_ACCOUNT = ["account_monthly"]
ONE_ACCOUNT = [*UNFILTERED_ONE_ACCOUNT, "account_timeline"]
PARAMS: dict[str, Any] = {
    "manager_ids": [], "regions": [], "tiers": [], "kam_stages": [], "as_of": AS_OF,
    "stage_probabilities": [0.1, 0.25, 0.5, 0.75], "recent_days": 90, "late_stages":
    ["demonstrating_capability", "obtaining_commitment"], "min_roles_covered": 3,
    "no_advance_days": 60, "continuation_streak": 3, "usual_percentile": 0.9,
    "history_months": 24, "min_stays": 3, "usual_days": [40.0, 60.0, 40.0, 60.0],
    "usual_all": [40.0, 60.0, 40.0, 60.0],
    "inform_within_days": 2, "late_delivery_days": 7, "renewal_days": 90,
    "status_window_days": 90,
    "installation_lines": ["Production lines", "Packaging systems", "Automation"],
    "training_lines": ["Production lines", "Automation"],
    "history_days": 365, "setup_days": 180, "on_time_days": 90, "limit": 10_000,
    "offset": 0, "stage": "", "search": "", "gap": "", "sort_by": "risk", "deal_ids": [],
    "large_deal_quantile": 0.9,
}


def test_every_dataset_query_takes_the_viewer_scope() -> None:
    unscoped = set(queries.available()) - set(SCOPED)
    # no portfolio data in any: dates, who is who, whether a table holds rows at all
    assert unscoped == {"data_dates", "viewer_managers", "data_held"}


# --- the operator's settings and who is who ------------------------------------------


def test_the_default_is_open_and_sees_everything() -> None:
    config = AccessConfig.from_env({})
    assert config.sign_in is SignIn.OPEN
    assert resolve_viewer(config, None, pl.DataFrame()).sees_everything


def test_settings_are_read_from_the_environment() -> None:
    config = AccessConfig.from_env({"PORTFOLIO_SIGN_IN": "Header",
                                    "PORTFOLIO_USER_HEADER": "X-Auth-Mail",
                                    "PORTFOLIO_EXECUTIVES": " Ceo@Example.com, cfo@example.com,"})
    assert config == AccessConfig(SignIn.HEADER, "X-Auth-Mail",
                                  frozenset({"ceo@example.com", "cfo@example.com"}))


def test_an_unknown_sign_in_mode_is_refused_with_the_choices() -> None:
    with pytest.raises(AccessConfigError, match="open, oidc, header"):
        AccessConfig.from_env({"PORTFOLIO_SIGN_IN": "ldap"})


@pytest.fixture(scope="module")
def people(tiny_db: Path) -> pl.DataFrame:
    return queries.run("viewer_managers", db=tiny_db)


HEADER = AccessConfig(SignIn.HEADER, executives=frozenset({"board@example.com"}))


@pytest.mark.parametrize(("email", "visible"), [
    ("mia.manager@example.com", ("M3",)),
    ("  Leo.Lead@Example.com ", ("M2",)),       # case and spaces do not matter
    ("helen.head@example.com", None),           # the top of the hierarchy sees everything
    ("board@example.com", None),                # a listed executive sees everything
    ("stranger@example.com", ()),               # deny by default
    ("", ()),
    (None, ()),
])
def test_a_signed_in_person_is_matched_by_email(people: pl.DataFrame, email: str | None,
                                                visible: tuple[str, ...] | None) -> None:
    assert resolve_viewer(HEADER, email, people).visible == visible


# --- the scope is applied in the database, for every query -----------------------------


@pytest.fixture(scope="module")
def teams(demo_db: Path) -> dict[str, Any]:
    """Two managers with their own accounts and no one below them, and a lead with a team."""
    managers = queries.run("filter_managers", db=demo_db, visible=None)
    leaves = managers.filter((pl.col("team_size") == 0) & (pl.col("own_accounts") > 0))
    leads = managers.filter((pl.col("team_size") > 0) & pl.col("reports_to").is_not_null())
    return {"a": leaves["manager_id"][0], "b": leaves["manager_id"][-1],
            "lead": leads["manager_id"][0]}


def account_ids(db: Path, **params: Any) -> set[str]:
    chosen = {**PARAMS, "visible": None, **params}
    return set(queries.run("account_choices", db=db, **chosen)["account_id"])


def run(db: Path, name: str, **params: Any) -> pl.DataFrame:
    chosen = {**PARAMS, **params}
    if "account_id" in queries.parameters(name):
        chosen.setdefault("account_id", "")
    return queries.run(name, db=db, **chosen)


def test_only_the_filter_lists_and_one_account_reads_lack_the_filters() -> None:
    # buying_center_roles reads the buying centers of deals a page picked under the filters;
    # pipeline_usual_days is the benchmark of the whole scope
    assert set(SCOPED) - set(FILTERED) == {"filter_managers", "filter_regions",
                                           *UNFILTERED_ONE_ACCOUNT,
                                           "buying_center_roles", "pipeline_usual_days"}


@pytest.mark.parametrize("name", ONE_ACCOUNT)
def test_an_account_outside_the_scope_shows_nothing(demo_db: Path, teams: dict[str, str],
                                                   name: str) -> None:
    own = sorted(account_ids(demo_db, manager_ids=[teams["a"]]))
    other = sorted(account_ids(demo_db, manager_ids=[teams["b"]]))
    shown = run(demo_db, name, visible=[teams["a"]], account_id=own[0])
    assert shown.height > 0
    assert_frame_equal(shown, run(demo_db, name, visible=None, account_id=own[0]))
    assert run(demo_db, name, visible=[teams["a"]], account_id=other[0]).height == 0
    assert run(demo_db, name, visible=[], account_id=own[0]).height == 0


@pytest.mark.parametrize("name", FILTERED)
def test_a_manager_sees_exactly_their_own_portfolio_in_every_query(
        demo_db: Path, teams: dict[str, str], name: str) -> None:
    # The manager filter is tested page by page; a signed-in manager's view must equal it.
    for who in (teams["a"], teams["b"], teams["lead"]):
        account = sorted(account_ids(demo_db, manager_ids=[who]))[0]
        assert_frame_equal(run(demo_db, name, visible=[who], account_id=account),
                           run(demo_db, name, visible=None, manager_ids=[who],
                               account_id=account), check_row_order=False)


@pytest.mark.parametrize("name", FILTERED)
def test_filters_cannot_widen_the_scope(demo_db: Path, teams: dict[str, str],
                                        name: str) -> None:
    other_account = sorted(account_ids(demo_db, manager_ids=[teams["b"]]))[0]
    seen = run(demo_db, name, visible=[teams["a"]], manager_ids=[teams["b"]],
               account_id=other_account)
    nothing = run(demo_db, name, visible=None, manager_ids=[NOBODY], account_id=other_account)
    assert_frame_equal(seen, nothing)
    if "account_id" in queries.parameters(name):  # another manager's account, no filter
        assert_frame_equal(run(demo_db, name, visible=[teams["a"]], account_id=other_account),
                           nothing)


@pytest.mark.parametrize("name", FILTERED)
def test_an_empty_scope_sees_nothing(demo_db: Path, name: str) -> None:
    some_account = sorted(account_ids(demo_db))[0]
    assert_frame_equal(run(demo_db, name, visible=[], account_id=some_account),
                       run(demo_db, name, visible=None, manager_ids=[NOBODY],
                           account_id=some_account))


def test_the_filter_lists_offer_only_what_the_viewer_may_see(
        demo_db: Path, teams: dict[str, str]) -> None:
    from portfolio.core.db import read_only_connection

    assert queries.run("filter_managers", db=demo_db, visible=[]).height == 0
    assert queries.run("filter_regions", db=demo_db, visible=[]).height == 0
    with read_only_connection(demo_db).cursor() as con:
        for who in teams.values():
            managers = queries.run("filter_managers", db=demo_db, visible=[who])
            assert managers["manager_id"][0] == who  # the one at the top of the team first
            team = managers["manager_id"].to_list()
            expected = {row[0] for row in con.execute(
                "SELECT DISTINCT region FROM accounts WHERE list_contains(?, manager_id) "
                "AND region IS NOT NULL", [team]).fetchall()}
            shown = set(queries.run("filter_regions", db=demo_db, visible=[who])["region"])
            assert shown == expected and shown


def test_two_managers_never_share_an_account_and_a_lead_sees_the_team(
        demo_db: Path, teams: dict[str, str]) -> None:
    a, b = account_ids(demo_db, visible=[teams["a"]]), account_ids(demo_db, visible=[teams["b"]])
    assert a and b and not a & b
    managers = queries.run("filter_managers", db=demo_db, visible=[teams["lead"]])
    assert len(managers) == 1 + managers["team_size"][0] > 1
    team_accounts = account_ids(demo_db, manager_ids=managers["manager_id"].to_list())
    assert account_ids(demo_db, visible=[teams["lead"]]) == team_accounts
    assert len(team_accounts) > len(account_ids(demo_db, manager_ids=[teams["lead"]],
                                                visible=None) - team_accounts)


# --- the real app behind a trusted header, in the browser ------------------------------


def test_signed_in_people_see_their_scope_and_cached_results_do_not_cross(
        demo_db: Path, teams: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    from portfolio.delivery.browser import DashboardServer, launch_chromium, wait_until_finished

    people = queries.run("viewer_managers", db=demo_db)
    email = dict(zip(people["manager_id"], people["email"], strict=True))
    def key_accounts(visible: list[str] | None) -> int:
        return run(demo_db, "portfolio_headline", visible=visible)["key_accounts"][0]

    counts = {who: key_accounts([teams[who]]) for who in ("a", "b")}
    everyone = key_accounts(None)
    assert len({counts["a"], counts["b"], everyone}) == 3  # else the test proves little
    env = {"PORTFOLIO_DB": str(demo_db), "PORTFOLIO_SIGN_IN": "header",
           "PORTFOLIO_USER_HEADER": "X-Forwarded-Email",
           "PORTFOLIO_EXECUTIVES": "board@example.com"}

    def key_accounts_shown(page: Any) -> int:
        metric = page.get_by_test_id("stMetric").filter(has_text="Key accounts").first
        return int(metric.get_by_test_id("stMetricValue").inner_text().replace(",", ""))

    with DashboardServer(ROOT / "dashboard.py", env=env) as server, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            seen: list[tuple[str, int]] = []
            # Alternate people on one server: the shared cache must keep them apart.
            for who, mail in [("a", email[teams["a"]]), ("b", email[teams["b"]]),
                              ("exec", "board@example.com"), ("a", email[teams["a"]])]:
                context = browser.new_context(extra_http_headers={"X-Forwarded-Email": mail})
                page = context.new_page()
                page.goto(server.url + "/")
                wait_until_finished(page)
                seen.append((who, key_accounts_shown(page)))
                assert mail in page.get_by_test_id("stSidebar").inner_text()
                context.close()
            assert seen == [("a", counts["a"]), ("b", counts["b"]), ("exec", everyone),
                            ("a", counts["a"])]

            for headers in ({"X-Forwarded-Email": "stranger@example.com"}, {}):
                context = browser.new_context(extra_http_headers=headers)
                page = context.new_page()
                page.goto(server.url + "/pipeline")
                wait_until_finished(page)
                alert = page.get_by_test_id("stAlertContentError").inner_text()
                assert "no portfolio is shared with you" in alert
                assert page.get_by_test_id("stMetric").count() == 0
                assert page.get_by_test_id("portfolio-chart").count() == 0
                context.close()
        finally:
            browser.close()


# --- OpenID Connect and bad settings, under AppTest ------------------------------------


def app_with(monkeypatch: pytest.MonkeyPatch, demo_db: Path, sign_in: str,
             secrets: dict[str, Any] | None = None) -> Any:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PORTFOLIO_DB", str(demo_db))
    monkeypatch.setenv("PORTFOLIO_SIGN_IN", sign_in)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_oidc_without_a_signed_in_person_offers_sign_in_and_shows_no_data(
        monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    auth = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
            "client_id": "dashboard", "client_secret": "s",
            "server_metadata_url": "https://sso.example.com/.well-known/openid-configuration"}
    at = app_with(monkeypatch, demo_db, "oidc", {"auth": auth})
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not charts_in(at) and not at.dataframe
    assert not at.sidebar.multiselect  # no filters, so no manager names either


def test_oidc_without_provider_settings_says_what_is_missing(
        monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = app_with(monkeypatch, demo_db, "oidc")
    assert "no `[auth]` section" in at.error[0].value
    assert not at.metric and not charts_in(at)


def test_a_wrong_sign_in_setting_is_named_and_nothing_is_shown(
        monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = app_with(monkeypatch, demo_db, "kerberos")
    assert "PORTFOLIO_SIGN_IN='kerberos'" in at.error[0].value
    assert not at.metric and not charts_in(at)
