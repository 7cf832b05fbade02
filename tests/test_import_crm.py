"""The public "CRM Sales Opportunities" data set imports end to end and the pages show it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from portfolio.core import fmt
from portfolio.core.db import read_only_connection
from portfolio.core.registry import PAGES
from portfolio.read import scoring
from portfolio.write.importer import check_database, import_sources
from tests.charts import chart_spec, charts_in
from tests.conftest import CRM_DATASET

ROOT = Path(__file__).resolve().parent.parent
DATASET = CRM_DATASET
MAPPING = ROOT / "mappings" / "crm_sales_opportunities.toml"


@pytest.fixture(scope="module")
def crm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    link = tmp_path_factory.mktemp("crm") / "portfolio.duckdb"
    report = import_sources([DATASET], link, mapping=MAPPING)
    assert report.ok, [str(p) for p in report.problems[:10]]
    return link


def test_the_data_set_lands_with_every_placeable_opportunity(crm_db):
    pipeline = pl.read_csv(DATASET / "sales_pipeline.csv", infer_schema=False)
    with_account = pipeline.filter(pl.col("account").is_not_null()).height
    report_rows = import_sources([DATASET], crm_db, mapping=MAPPING)
    assert report_rows.rows["deals"] == with_account
    assert report_rows.skipped["deals"] == pipeline.height - with_account
    assert report_rows.rows["accounts"] == 85
    assert check_database(crm_db.resolve()) == ([], 0)


def open_page(crm_db: Path, monkeypatch: pytest.MonkeyPatch, page: str,
              **query: str) -> AppTest:
    """`page` on the imported data under AppTest, with `query` in its address; no
    exception."""
    monkeypatch.setenv("PORTFOLIO_DB", str(crm_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    if page == PAGES[0].path:
        at.run()
    else:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", [p.path for p in PAGES], ids=[p.label for p in PAGES])
def test_every_page_runs_on_the_imported_data(page, crm_db, monkeypatch):
    at = open_page(crm_db, monkeypatch, page)
    assert not at.error, [e.value for e in at.error]
    assert "as of 31 Dec 2017 · amounts in USD" in at.caption[0].value


AS_OF = date(2017, 12, 31)  # the data set's newest date


def crm_rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    cursor = read_only_connection(db.resolve()).cursor()
    try:
        return cursor.execute(sql, params or []).fetchall()
    finally:
        cursor.close()


@pytest.fixture(scope="module")
def crm_scored(crm_db: Path) -> pl.DataFrame:
    return scoring.score_database(crm_db.resolve(), AS_OF)


def test_nine_in_ten_key_accounts_with_won_deals_are_scored(crm_db, crm_scored):
    winners = {row[0] for row in crm_rows(crm_db, """
        SELECT DISTINCT d.account_id FROM deals d JOIN accounts a USING (account_id)
        WHERE a.tier IN ('strategic', 'key') AND d.stage = 'won'
          AND d.closed_on > DATE '2016-12-31' AND d.closed_on <= DATE '2017-12-31'""")}
    assert len(winners) == 32
    scored = set(crm_scored.filter(pl.col("attractiveness").is_not_null())["account_id"])
    assert len(winners & scored) >= 0.9 * len(winners)
    key = crm_scored.filter(pl.col("account_id").is_in(list(winners)))
    # revenue from won deals, the client's size from the export; nothing else of finance
    assert key["revenue_from_deals"].all()
    assert key["data_coverage"].min() >= 30
    assert all("client_size" not in missing for missing in key["factors_missing"])


def test_crm_suggestions_carry_reasons_a_person_can_check_against_the_deals(crm_db,
                                                                           crm_scored):
    decisions = crm_scored.filter(pl.col("suggestion").is_in(list(scoring.DECISIONS)))
    assert decisions.height >= 5
    assert all(reasons and all(any(ch.isdigit() for ch in r) for r in reasons)
               for reasons in decisions["reasons"].to_list())
    # the large deals lost, counted by hand: deals of at least the 90th percentile of all
    # deal values, closed in 2017
    row = decisions.filter(pl.col("reasons").list.join(" ").str.contains("large deals")).row(
        0, named=True)
    (line,), = crm_rows(crm_db, "SELECT quantile_cont(value, 0.9) FROM deals")
    lost, won, lost_value = crm_rows(crm_db, """
        SELECT count(*) FILTER (WHERE stage = 'lost'), count(*) FILTER (WHERE stage = 'won'),
               sum(value) FILTER (WHERE stage = 'lost')
        FROM deals WHERE account_id = ? AND value >= ? AND stage IN ('won', 'lost')
          AND closed_on > DATE '2016-12-31' AND closed_on <= DATE '2017-12-31'""",
                                     [row["account_id"], line])[0]
    assert lost > won and lost >= 3
    assert (f"lost {lost} of {lost + won} large deals (of {fmt.money(float(line), 'USD')} or "
            f"more) closed in 12 months, {fmt.money(float(lost_value), 'USD')} lost"
            in row["reasons"])
    # the open pipeline a year ago and now, from the deals: opened by the day, not closed
    row = decisions.filter(pl.col("reasons").list.join(" ").str.contains("open pipeline")).row(
        0, named=True)
    before, now = (crm_rows(crm_db, """
        SELECT sum(value) FROM deals WHERE account_id = ? AND opened_on <= ?
          AND (closed_on IS NULL OR closed_on > ?)""", [row["account_id"], day, day])[0][0]
                   for day in (date(2016, 12, 31), AS_OF))
    change = fmt.signed_percent(float(now) / float(before) - 1)
    assert (f"open pipeline {fmt.money(float(before), 'USD')} → {fmt.money(float(now), 'USD')} "
            f"in 12 months ({change})" in row["reasons"])


def test_score_cli_records_coverage_and_factors_on_the_crm_data(crm_db):
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "portfolio", "score", "--db", str(crm_db)],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8",
                          timeout=120)
    assert done.returncode == 0, done.stderr
    records = {r["account_id"]: r for r in json.loads(done.stdout)}
    kan = records["kan-code"]
    assert (kan["coverage"], kan["revenue_source"]) == (36.0, "won deals")
    assert kan["factors_assumed"] == ["growth"]
    assert kan["factors_used"][:3] == ["size", "growth", "client_size"]
    assert "financial_health" in kan["factors_missing"]


SERVICE_TABS_WITHOUT_FACTS = {
    "Broken promises": "no deliveries and no service cases",
    "Post-sale checklist": "no deliveries and no service cases",
    "Deliveries": "no deliveries",
    "Cases and setup": "no service cases",
    "Contracts": "no service contracts",
    "Revenue mix": "no revenue by stream and no service contracts",
}


@pytest.mark.parametrize(("tab", "held"), SERVICE_TABS_WITHOUT_FACTS.items())
def test_the_service_page_says_no_service_facts_were_imported_instead_of_counting_zeros(
        tab, held, crm_db, monkeypatch):
    at = open_page(crm_db, monkeypatch, "pages/service.py", service_tab=tab)
    metrics = {m.label: m.value for m in at.metric}
    for label in ("Overdue promises", "Told late or never", "Renewals due"):
        assert metrics[label] == fmt.MISSING, (label, metrics[label])
    notes = [i.value for i in at.info]
    assert any(f"This database holds {held}" in note for note in notes), notes
    # no "0 broken promises" or "0 renewals due" headings over records never imported
    assert not [s.value for s in at.subheader if s.value.startswith("0 ")]


def test_an_accounts_revenue_from_won_deals_claims_no_after_sales_mix(crm_db, monkeypatch):
    at = open_page(crm_db, monkeypatch, "pages/account.py", account="kan-code")
    mix = [spec for spec in map(chart_spec, charts_in(at))
           if "Revenue from won deals" in spec["layout"]["title"]["text"]]
    assert len(mix) == 1, [chart_spec(c)["layout"]["title"]["text"] for c in charts_in(at)]
    assert "after-sales is not known" in mix[0]["layout"]["title"]["text"]
    assert [trace["name"] for trace in mix[0]["data"]] == ["Won deals"]


def test_an_accounts_service_tab_says_no_service_facts_were_imported(crm_db, monkeypatch):
    at = open_page(crm_db, monkeypatch, "pages/account.py", account="kan-code",
                   account_tab="Service")
    notes = [i.value for i in at.info]
    assert any("holds no deliveries, service cases or service contracts" in n for n in notes)
    assert not [m.label for m in at.metric if m.label.startswith("Renewals due")]


def test_the_overview_calls_new_only_what_was_not_suggested_a_week_earlier(crm_db):
    """The overview scores a week earlier to mark suggestions "new this week": that scoring
    must suggest what the attractiveness page suggests as of that day. Scored without the
    deals of that day (win rate, pipeline, large losses) it suggested nothing, and all 12
    of the CRM's suggestions read as new though 10 were there a week before."""
    from portfolio.read import views
    from portfolio.read.digest import scope_view

    db, config = crm_db.resolve(), scoring.load_scoring_config()
    ctx = scope_view(db, AS_OF, [], None)
    week_day = views.overview_dates(AS_OF)["week"]
    by_period = {period: views.scores_of(ctx, config, period) for period in ("now", "week")}
    on_week_day = views.scores(scope_view(db, week_day, [], None), config)

    def suggested(frame: pl.DataFrame) -> dict[str, str]:
        chosen = frame.filter(pl.col("suggestion").is_in(list(scoring.DECISIONS)))
        return dict(zip(chosen["account_id"], chosen["suggestion"], strict=True))

    assert suggested(by_period["week"]) == suggested(on_week_day)
    week_before = suggested(on_week_day)
    listed = scoring.decisions_this_week(by_period["now"], by_period["week"], 12)
    assert listed.height == 12
    assert len(week_before) >= 10
    for row in listed.iter_rows(named=True):
        assert row["new"] == (week_before.get(row["account_id"]) != row["suggestion"]), row
    assert listed["new"].sum() == 12 - len(set(listed["account_id"]) & set(week_before))
    assert listed["new"].sum() <= 2


def test_the_pipeline_says_no_close_dates_were_imported_instead_of_nothing_closing(
        crm_db, monkeypatch):
    """The data set has no expected close dates: "$0 closing within 3 months" and a chart of
    one "No date" bar said that nothing closes; the page says it cannot tell."""
    at = open_page(crm_db, monkeypatch, "pages/pipeline.py")
    closing = next(m for m in at.metric if m.label == "Closing within 3 months")
    assert closing.value == fmt.MISSING
    assert closing.help == "This database holds no expected close date on any deal"
    notes = [i.value for i in at.info]
    assert any(note.startswith("No open deal has an expected close date (664 deals, $1.6M)")
               for note in notes), notes
    titles = [chart_spec(c)["layout"]["title"]["text"] for c in charts_in(at)]
    assert not [t for t in titles if "expected to close" in t], titles


def test_the_buying_center_page_says_no_buying_centers_were_imported(crm_db, monkeypatch):
    """No contact is recorded on any deal: "0 % coverage, alarm 0, $0 at high risk" and a
    grid of grey cells claimed that every role was never reached."""
    at = open_page(crm_db, monkeypatch, "pages/buying_center.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open deals"] == "664"
    for label in ("Average coverage", "Late-stage alarm", "Single-threaded deals",
                  "Value at high risk"):
        assert metrics[label] == fmt.MISSING, (label, metrics[label])
    assert [i.value for i in at.info if "holds no buying centers" in i.value]
    assert charts_in(at) == []


def test_the_overview_judges_no_late_stage_cover_or_delivery_without_the_facts(
        crm_db, monkeypatch):
    from portfolio.read import figures
    from portfolio.read.digest import scope_view

    ctx = scope_view(crm_db.resolve(), AS_OF, [], None)
    values = figures.values(ctx, scoring.load_scoring_config(),
                            ("late_stage_coverage", "late_stage_alarm",
                             "late_stage_alarm_value", "open_deals"), "now")
    assert values == {"late_stage_coverage": None, "late_stage_alarm": None,
                      "late_stage_alarm_value": None, "open_deals": 664.0}
    at = open_page(crm_db, monkeypatch, PAGES[0].path)
    notes = [i.value for i in at.info]
    assert [n for n in notes if n.startswith("This database holds no buying centers")], notes
    assert [n for n in notes if n.startswith("This database holds no deliveries")], notes
    titles = [chart_spec(c)["layout"]["title"]["text"] for c in charts_in(at)]
    assert not [t for t in titles if "decider" in t or "On-time delivery" in t], titles
    # "High uncoupling risk: 0" rests on purchases alone here, and the overview says so
    assert RISK_NOTE in [c.value for c in at.caption]
    # as does the attractiveness page under "To repair"
    at = open_page(crm_db, monkeypatch, "pages/attractiveness.py")
    assert RISK_NOTE in [c.value for c in at.caption]


RISK_NOTE = (":material/info: Uncoupling risk: this database holds no relationship events, "
             "contacts, contacts on deals, calls, deliveries or service cases, so what the risk "
             "signals would read from them is missing; the risk counts only what remains "
             "(docs/risk_signals.md).")


def test_an_accounts_buying_center_tab_says_no_buying_centers_were_imported(crm_db,
                                                                          monkeypatch):
    at = open_page(crm_db, monkeypatch, "pages/account.py", account="kan-code",
                   account_tab="Buying center")
    assert "Buying center" in [s.value for s in at.subheader]
    assert [i.value for i in at.info if i.value.startswith(
        "This database holds no buying centers")]
    assert not [s.value for s in at.subheader if s.value.startswith("Buying center: 0 people")]


def test_an_accounts_deals_say_nothing_of_roles_without_buying_centers(crm_db, monkeypatch):
    """"9 without a decider met", bars of "0 of 7 roles" and a 0 % coverage column were
    claims about contacts that were never imported."""
    at = open_page(crm_db, monkeypatch, "pages/account.py", account="kan-code",
                   account_tab="Deals")
    spec = next(spec for spec in map(chart_spec, charts_in(at))
                if "open deals worth" in spec["layout"]["title"]["text"])
    assert spec["layout"]["title"]["text"].startswith("9 open deals worth $24.0k")
    assert "decider" not in spec["layout"]["title"]["text"]
    texts = [text for trace in spec["data"] for text in trace["text"]]
    assert texts and not [t for t in texts if "roles" in t], texts
    table = next(df for df in at.dataframe if "deal_name" in df.value.columns)
    assert not {"roles_covered", "coverage", "decider_met", "risk"} & set(table.value.columns)


def test_the_stalling_deals_say_that_no_calls_were_imported(crm_db, monkeypatch):
    at = open_page(crm_db, monkeypatch, "pages/pipeline.py", pipeline_tab="Stalling deals")
    assert [c.value for c in at.caption if c.value.startswith(
        ":material/info: This database holds no calls")]
