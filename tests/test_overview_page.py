"""The Overview page under AppTest on tests/data/scoring (as of 30 Jun 2026, its newest
date): headline figures with their changes, the decisions of the week with their links,
and the small summaries."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from portfolio.core import fmt
from tests.charts import chart_spec, charts_in
from tests.conftest import build_fixture_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scoring_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_database("scoring",
                                  tmp_path_factory.mktemp("scoring_overview") / "scoring.duckdb")


def open_overview(db: Path, monkeypatch: pytest.MonkeyPatch,
                  query: dict[str, str] | None = None) -> AppTest:
    monkeypatch.setenv("PORTFOLIO_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_headline_figures_and_their_changes(scoring_db, monkeypatch):
    at = open_overview(scoring_db, monkeypatch)
    shown = {m.label: (m.value, m.proto.delta) for m in at.metric}
    # 4 strategic/key accounts; revenue T12M = 650k + 1.0M + 1.2M + 1.2M + 5.0M. A week
    # earlier June 2026 was not complete: T12M ended in May and held the June 2025 rows
    # (8.6M), and F1's fall was not yet visible.
    assert shown["Key accounts"] == ("4", "unchanged in a week")
    assert shown["Revenue T12M"] == (fmt.money(9_050_000),
                                     f"+{fmt.money(450_000)} (+5%) in a week")
    # D1 (investigation, €100k, probability 0.25), opened in January
    assert shown["Open pipeline"] == (fmt.money(100_000), "unchanged in a week")
    assert shown["Weighted pipeline"] == (fmt.money(25_000), "unchanged in a week")
    # no late-stage deal: no figure and no change; L2 (1 May) was late, L1 (1 Mar) is
    # outside the 90 days
    assert shown["Late-stage coverage"] == ("–", "")
    assert shown["On-time delivery"] == ("0 %", "unchanged in a week")
    assert shown["To downgrade or drop"] == ("1", "+1 in a week")
    assert shown["High uncoupling risk"] == ("1", "unchanged in a week")
    captions = [c.value for c in at.caption]
    # a year earlier: revenue 8.6M (the June 2025 rows), nothing suggested, no risk
    assert captions[2:10] == ["unchanged in a year", f"+{fmt.money(450_000)} (+5%) in a year",
                              f"+{fmt.money(100_000)} in a year",
                              f"+{fmt.money(25_000)} in a year", "a year ago: no data",
                              "a year ago: no data", "+1 in a year", "+1 in a year"]


def test_decisions_of_the_week_link_to_their_accounts(scoring_db, monkeypatch):
    at = open_overview(scoring_db, monkeypatch)
    assert at.subheader[0].value == "Needs a decision this week: 4 accounts"
    lines = [m.value for m in at.markdown if "/account?" in m.value]
    assert [line.split("**[")[1].split("]")[0] for line in lines] == [
        "Repair Mining AB", "Falling Steel AG", "ООО Подъём", "Borderline Chemie GmbH"]
    assert "(/account?account=R1)" in lines[0] and ">Repair<" in lines[0]
    assert "Key → Standard" in lines[1] and "revenue T12M €650k" in lines[1]
    # F1's fall appeared with June's figures, this week; R1's risk was there a week ago
    assert "new this week" in lines[1] and "new this week" not in lines[0]
    reasons = [c.value for c in at.caption if "market share" in c.value]
    assert reasons[0].startswith("client market share 18\\.0 % → 11\\.2 % in 12 months")


def test_a_manager_filter_keeps_the_links_and_the_summaries(scoring_db, monkeypatch):
    at = open_overview(scoring_db, monkeypatch, {"manager": "M2"})
    lines = [m.value for m in at.markdown if "/account?" in m.value]
    assert "(/account?manager=M2&account=R1)" in lines[0]
    titles = [chart_spec(c)["layout"]["title"]["text"]
              for c in charts_in(at)]
    # no late-stage deal: that chart would draw bare axes, so it says so in words instead
    assert len(titles) == 3
    assert [i.value for i in at.info] == ["No late-stage deals open"]
    assert titles[2] == "0 of 4 key accounts in Streamline (manage for cash)"


def test_the_late_stage_chart_names_the_deals_without_a_decider_or_approver() -> None:
    from portfolio.charts.portfolio import late_stage_coverage

    buckets = pl.DataFrame({"roles_covered": [2, 5], "deals": [3, 1], "without_top": [1, 0],
                            "without_top_value": [250_000.0, 0.0]})
    title = late_stage_coverage(buckets, "EUR").layout.title.text
    assert title == ("1 late-stage deal (€250k) lacks a decider or an approver<br><span "
                     "style='font-size:12px;color:#555'>4 late-stage deals cover 2.8 of 7 "
                     "buying-center roles on average</span>")
    many = buckets.with_columns(pl.col("deals") * 4000, pl.col("without_top") * 7000)
    assert late_stage_coverage(many, "EUR").layout.title.text.startswith(
        "7,000 late-stage deals (€250k) lack a decider or an approver<br>")


def test_the_demo_holds_every_record_the_risk_signals_read(demo_db: Path):
    """The overview's note on silent risk signals shows only where records are missing."""
    import queries
    from portfolio.read import scoring

    held = queries.run("data_held", db=demo_db).row(0, named=True)
    assert scoring.silent_risk_sources(held) == []
    assert scoring.silent_risk_sources({**held, "has_calls": False,
                                        "has_deliveries": False}) == ["calls", "deliveries"]
