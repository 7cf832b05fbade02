"""Overview: where the key-account portfolio stands, what changed since last week and last
year, and the few decisions that need attention this week (the executive's first screen)."""

import html

import streamlit as st

from portfolio.charts import pipeline as pipeline_charts
from portfolio.charts import portfolio as portfolio_charts
from portfolio.charts import service as service_charts
from portfolio.charts.theme import BAND_COLORS, SUGGESTION_COLORS
from portfolio.core import fmt
from portfolio.read import decisions as decision_log
from portfolio.read import figures, overview, scoring, views
from portfolio.read.service import ServiceSettings, band_counts, bands_in_words
from portfolio.read.service_totals import monthly_deliveries
from portfolio.ui import (
    NO_BUYING_CENTERS,
    drawn,
    page_context,
    say_missing_risk_sources,
    say_none_held,
    show_chart,
)
from portfolio.ui.decisions import decision_form, open_decisions, show_recorded_notice

ctx = page_context("Portfolio overview")
config = scoring.load_scoring_config()
cur = ctx.currency
as_of = ctx.filters.as_of
dates = views.overview_dates(as_of)
# the headline figures now, a week and a year earlier (portfolio/read/figures.py)
headline = {period: figures.values(ctx, config, figures.OVERVIEW_HEADLINES, period)
            for period in figures.PERIODS}


def pill(text: str, color: str) -> str:
    return (f"<span style='background:{color};color:white;padding:1px 9px;"
            f"border-radius:9px;font-size:0.85em;font-weight:600'>{text}</span>")


st.caption(f"Changes against a week earlier ({fmt.day(dates['week'])}, the arrows) and a "
           f"year earlier ({fmt.day(dates['year'])}, below each figure).")
for row in (figures.OVERVIEW_HEADLINES[:4], figures.OVERVIEW_HEADLINES[4:]):
    for column, name in zip(st.columns(4), row, strict=True):
        figure, now = figures.FIGURES[name], headline["now"][name]
        week = figure.change(now, headline["week"][name], cur)
        same = week == "unchanged"
        column.metric(figure.label, figure.display(now, cur),
                      delta=None if week is None else f"{week} in a week",
                      delta_color="off" if same else "normal" if figure.rising_is_good
                      else "inverse", delta_arrow="off" if same else "auto",
                      help=figure.definition)
        year = figure.change(now, headline["year"][name], cur)
        column.caption(f"{year.replace('-', '−')} in a year" if year else "a year ago: no data")
# which facts beyond deals the database holds (a CRM export of deals alone holds none)
held = ctx.held()
in_view = figures.values(ctx, config, ("revenue_from_deals", "accounts"))
from_deals = int(in_view["revenue_from_deals"] or 0)
if from_deals:
    st.caption(f":material/info: Revenue from won deals: no finance data imported for "
               f"{fmt.plural(from_deals, 'account')} of {in_view['accounts']:,.0f} in view "
               "(their won deals' value in the month they closed, and service contracts over "
               "their term, stand in for revenue).")
say_missing_risk_sources(held)

decisions = decision_log.to_decide(ctx, config)  # without the suggestions decided on
waiting = int(figures.values(ctx, config, ("needs_decision",))["needs_decision"] or 0)
unscored = int(figures.values(ctx, config, ("not_enough_data",))["not_enough_data"] or 0)
st.subheader(f"Needs a decision this week: {fmt.plural(waiting, 'account')}"
             + (f", the first {decisions.height} below" if waiting > decisions.height else ""))
if unscored:
    st.caption(f":material/help: Not enough data to score {fmt.plural(unscored, 'account')}: "
               f"less than {config.rules.min_coverage:.0f} % of the attractiveness weight is "
               "measured, so no decision is suggested for them. The Attractiveness page names "
               "what is missing and what to import.")
show_recorded_notice()
if decisions.height == 0:
    st.success("No account needs a downgrade, drop, repair, upgrade or review.")
for row in decisions.iter_rows(named=True):
    name = scoring.escape_markdown(html.escape(row["name"], quote=False))
    link = ctx.link("pages/account.py", account=row["account_id"])
    move = (f" → {fmt.label(row['suggested_tier'])}"
            if row["suggested_tier"] != row["tier"] else "")
    new = " " + pill("new this week", "#555") if row["new"] else ""
    if row["state"] == decision_log.RETURNED:
        new += " " + pill("returned", "#8a5a00")
    with st.container(border=True, key=f"decision_card_{row['account_id']}"):
        st.markdown(
            f"{pill(fmt.label(row['suggestion']), SUGGESTION_COLORS[row['suggestion']])}"
            f" &nbsp; **[{name}]({link})** · {fmt.label(row['tier'])}{move} · revenue T12M "
            f"{fmt.money(row['revenue'], cur)}"
            f"{' (from won deals)' if row['revenue_from_deals'] else ''} · "
            f"{html.escape(row['manager_name'] or '–')}"
            f"{new}", unsafe_allow_html=True)
        reasons = row["reasons"][:3] + (["…"] if len(row["reasons"]) > 3 else [])
        st.caption(" · ".join(scoring.escape_markdown(r) for r in reasons))
        if row["detail"]:
            st.caption(":material/undo: Since the decision: "
                       + scoring.escape_markdown(row["detail"]))
        decision_form(ctx, config, row, key="overview")
open_decisions(ctx, config)
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
    if held["has_buying_centers"]:
        show_chart(drawn(portfolio_charts.late_stage_coverage,
                         overview.late_coverage_by_roles(ctx.run("overview_late_coverage")),
                         cur), key="overview_coverage")
    else:
        say_none_held(NO_BUYING_CENTERS,
                      "no late-stage deal can be known to have or lack a decider or approver")
    st.page_link("pages/buying_center.py", label="Buying-center details",
                 icon=":material/arrow_forward:", query_params=ctx.page_params())
left, right = st.columns(2)
with left:
    if held["has_deliveries"]:
        show_chart(drawn(service_charts.on_time_trend,
                         ctx.summed("deliveries_by_month", monthly_deliveries)),
                   key="overview_on_time")
    else:
        say_none_held("deliveries", "on-time delivery cannot be judged")
    service_settings = ServiceSettings.load()
    bands = band_counts(ctx.memo_accounts(views.service_bands, settings=service_settings))
    st.markdown("Service status of the accounts: " + bands_in_words(
        bands, lambda band, text: f"<span style='color:{BAND_COLORS[band]};font-weight:600'>"
                                  f"{text}</span>"), unsafe_allow_html=True)
    st.page_link("pages/service.py", label="Deliveries in detail",
                 icon=":material/arrow_forward:",
                 query_params={**ctx.page_params(), "service_tab": "Deliveries"})
    st.page_link("pages/service.py", label="Every account's service status and why",
                 icon=":material/arrow_forward:",
                 query_params={**ctx.page_params(), "service_tab": "By account"})
with right:
    show_chart(drawn(portfolio_charts.quadrant_summary,
                     views.scores_of(ctx, config, "now")), key="overview_quadrants")
    st.page_link("pages/attractiveness.py", label="Attractiveness details",
                 icon=":material/arrow_forward:", query_params=ctx.page_params())
