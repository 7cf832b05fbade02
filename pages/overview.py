"""Overview: where the key-account portfolio stands, what changed since last week and last
year, and the few decisions that need attention this week (the executive's first screen)."""

import html
from datetime import date

import polars as pl
import streamlit as st

from portfolio import fmt, overview, scoring
from portfolio.charts import pipeline as pipeline_charts
from portfolio.charts import portfolio as portfolio_charts
from portfolio.charts import service as service_charts
from portfolio.charts.theme import BAND_COLORS, SUGGESTION_COLORS
from portfolio.service import ServiceSettings, band_counts, service_band
from portfolio.service_totals import monthly_deliveries
from portfolio.ui import PageContext, drawn, page_context, show_chart

ctx = page_context("Portfolio overview")
config = scoring.load_scoring_config()
cur = ctx.currency
as_of = ctx.filters.as_of
dates = {"now": as_of, "week": scoring.shifted(as_of, weeks=1),
         "year": scoring.shifted(as_of, years=1)}
figures = {period: overview.headline_figures(
               ctx.run("overview_figures", as_of=day, on_time_days=config.on_time_days))
           for period, day in dates.items()}
# the suggestions and risk now, a week and a year earlier, without words (only the few
# decisions shown are put in words); strength only now: the earlier dates feed counts that
# do not depend on it, and leaving it out saves the deals scan


def scores_on(c: PageContext, day: date, strength: bool) -> pl.DataFrame:
    return scoring.score_accounts(
        scoring.combine_factors(c.run("scoring_metrics", as_of=scoring.metrics_day(day, as_of)),
                                c.run("scoring_relationship", **config.relationship_params())
                                if strength else None),
        c.run("risk_signals", as_of=day), config, cur, in_words=False)


scored = {period: ctx.memo_accounts(
              "scores_without_words",
              lambda c, day=day, strength=period == "now": scores_on(c, day, strength),
              config=config, day=day, strength=period == "now")
          for period, day in dates.items()}


def pill(text: str, color: str) -> str:
    return (f"<span style='background:{color};color:white;padding:1px 9px;"
            f"border-radius:9px;font-size:0.85em;font-weight:600'>{text}</span>")


st.caption(f"Changes against a week earlier ({fmt.day(dates['week'])}, the arrows) and a "
           f"year earlier ({fmt.day(dates['year'])}, below each figure).")
headline_list = scoring.headlines(figures, scored, config.on_time_days)
for row in (headline_list[:4], headline_list[4:]):
    for column, item in zip(st.columns(4), row, strict=True):
        week = item.change(item.week_ago, cur)
        same = week == "unchanged"
        column.metric(item.label, item.shown(item.now, cur),
                      delta=None if week is None else f"{week} in a week",
                      delta_color="off" if same else "normal" if item.rising_is_good
                      else "inverse", delta_arrow="off" if same else "auto", help=item.help)
        year = item.change(item.year_ago, cur)
        column.caption(f"{year.replace('-', '−')} in a year" if year else "a year ago: no data")
from_deals = figures["now"]["revenue_from_deals"]
if from_deals:
    st.caption(f":material/info: Revenue from won deals: no finance data imported for "
               f"{fmt.plural(from_deals, 'account')} of {figures['now']['accounts']:,} in view "
               "(their won deals' value in the month they closed, and service contracts over "
               "their term, stand in for revenue).")

decisions = ctx.memo("decisions", lambda: scoring.put_in_words(
    scoring.decisions_this_week(scored["now"], scored["week"], config.decisions_shown),
    ctx.run("risk_signals"), config, cur), config=config)
waiting = scored["now"].filter(pl.col("suggestion").is_in(list(scoring.DECISIONS))).height
unscored = scored["now"].filter(pl.col("suggestion") == "not_enough_data").height
st.subheader(f"Needs a decision this week: {fmt.plural(waiting, 'account')}"
             + (f", the first {decisions.height} below" if waiting > decisions.height else ""))
if unscored:
    st.caption(f":material/help: Not enough data to score {fmt.plural(unscored, 'account')}: "
               f"less than {config.rules.min_coverage:.0f} % of the attractiveness weight is "
               "measured, so no decision is suggested for them. The Attractiveness page names "
               "what is missing and what to import.")
if decisions.height == 0:
    st.success("No account needs a downgrade, drop, repair, upgrade or review.")
for row in decisions.iter_rows(named=True):
    name = scoring.escape_markdown(html.escape(row["name"], quote=False))
    link = ctx.link("pages/account.py", account=row["account_id"])
    move = (f" → {fmt.label(row['suggested_tier'])}"
            if row["suggested_tier"] != row["tier"] else "")
    new = " " + pill("new this week", "#555") if row["new"] else ""
    with st.container(border=True):
        st.markdown(
            f"{pill(fmt.label(row['suggestion']), SUGGESTION_COLORS[row['suggestion']])}"
            f" &nbsp; **[{name}]({link})** · {fmt.label(row['tier'])}{move} · revenue T12M "
            f"{fmt.money(row['revenue'], cur)}"
            f"{' (from won deals)' if row['revenue_from_deals'] else ''} · "
            f"{html.escape(row['manager_name'] or '–')}"
            f"{new}", unsafe_allow_html=True)
        reasons = row["reasons"][:3] + (["…"] if len(row["reasons"]) > 3 else [])
        st.caption(" · ".join(scoring.escape_markdown(r) for r in reasons))
st.page_link("pages/attractiveness.py", label="Every suggestion, the portfolio matrix and why",
             icon=":material/arrow_forward:", query_params=ctx.page_params())

left, right = st.columns(2)
with left:
    show_chart(drawn(pipeline_charts.pipeline_by_stage,
                     overview.pipeline_by_stage(ctx.run("pipeline_by_stage")), cur),
               key="overview_pipeline")
    st.page_link("pages/pipeline.py", label="Pipeline details", icon=":material/arrow_forward:",
                 query_params=ctx.page_params())
with right:
    show_chart(drawn(portfolio_charts.late_stage_coverage,
                     overview.late_coverage_by_roles(ctx.run("overview_late_coverage")), cur),
               key="overview_coverage")
    st.page_link("pages/buying_center.py", label="Buying-center details",
                 icon=":material/arrow_forward:", query_params=ctx.page_params())
left, right = st.columns(2)
with left:
    show_chart(drawn(service_charts.on_time_trend,
                     ctx.summed("deliveries_by_month", monthly_deliveries)),
               key="overview_on_time")
    service_settings = ServiceSettings.load()
    bands = band_counts(ctx.memo_accounts("service_bands", lambda c: c.run(
        "service_account_status", **service_settings.query_params()).select(
            "account_id", service_band(service_settings)), settings=service_settings))
    st.markdown("Service status of the accounts: " + ", ".join(
        f"<span style='color:{BAND_COLORS[band]};font-weight:600'>{bands[band]:,} {band}</span>"
        for band in ("red", "amber", "green")), unsafe_allow_html=True)
    st.page_link("pages/service.py", label="Deliveries in detail",
                 icon=":material/arrow_forward:",
                 query_params={**ctx.page_params(), "service_tab": "Deliveries"})
    st.page_link("pages/service.py", label="Every account's service status and why",
                 icon=":material/arrow_forward:",
                 query_params={**ctx.page_params(), "service_tab": "By account"})
with right:
    show_chart(drawn(portfolio_charts.quadrant_summary, scored["now"]), key="overview_quadrants")
    st.page_link("pages/attractiveness.py", label="Attractiveness details",
                 icon=":material/arrow_forward:", query_params=ctx.page_params())
