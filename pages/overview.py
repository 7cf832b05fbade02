"""Overview: where the key-account portfolio stands (the executive's first screen)."""

import streamlit as st

from portfolio import fmt
from portfolio.charts import pipeline as pipeline_charts
from portfolio.charts import service as service_charts
from portfolio.ui import page_context, show_chart

ctx = page_context("Portfolio overview")
head = ctx.run("portfolio_headline").row(0, named=True)
cur = ctx.currency

growth = None
if head["revenue_t12m"] and head["revenue_prior_t12m"]:
    growth = head["revenue_t12m"] / head["revenue_prior_t12m"] - 1

cols = st.columns(6)
cols[0].metric("Key accounts", f"{head['key_accounts']}",
               help=f"Strategic and key tier, of {head['accounts']} accounts in view")
cols[1].metric("Revenue T12M", fmt.money(head["revenue_t12m"], cur),
               delta=fmt.delta_percent(growth), help="Against the 12 months before")
cols[2].metric("Open pipeline", fmt.money(head["open_value"], cur),
               help=f"{head['open_deals']} open deals")
cols[3].metric("Weighted pipeline", fmt.money(head["weighted_value"], cur),
               help="Open value × stage probability (portfolio/settings.toml)")
cols[4].metric("On time, 90 days", fmt.percent(head["on_time_rate_90d"]),
               help=f"{head['deliveries_due_90d']} deliveries promised in the last 90 days")
cols[5].metric("Overdue cases", f"{head['overdue_cases']}",
               help="Open past the date promised to the client")

left, right = st.columns(2)
with left:
    stages = ctx.run("pipeline_by_stage")
    show_chart(pipeline_charts.pipeline_by_stage(stages, cur), key="overview_pipeline")
    st.page_link("pages/pipeline.py", label="Pipeline details", icon=":material/arrow_forward:",
                 query_params=ctx.page_params())
with right:
    deliveries = ctx.run("deliveries_by_month")
    show_chart(service_charts.on_time_trend(deliveries), key="overview_on_time")
    st.page_link("pages/service.py", label="Service details", icon=":material/arrow_forward:",
                 query_params=ctx.page_params())
