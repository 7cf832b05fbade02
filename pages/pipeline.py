"""Pipeline: where each large deal stands in Rackham's four stages."""

import polars as pl
import streamlit as st

from portfolio import fmt
from portfolio.charts import pipeline as pipeline_charts
from portfolio.ui import date_column, link_column, money_column, page_context, show_chart

ctx = page_context("Pipeline")
stages = ctx.run("pipeline_by_stage")
show_chart(pipeline_charts.pipeline_by_stage(stages, ctx.currency), key="pipeline_stages")

deals = ctx.run("deals_open")
st.subheader(f"{deals.height} open deals worth {fmt.money(deals['value'].sum(), ctx.currency)}")
table = deals.with_columns(
    pl.col("stage").map_elements(fmt.label, return_dtype=pl.String),
    pl.col("last_outcome").map_elements(fmt.label, return_dtype=pl.String),
    pl.col("account_id").map_elements(lambda a: ctx.link("pages/account.py", account=a),
                                      return_dtype=pl.String).alias("open"),
)
st.dataframe(
    table.select("deal_name", "account_name", "stage", "value", "days_in_stage", "last_outcome",
                 "last_call_on", "owner_name", "expected_close_on", "open"),
    hide_index=True, width="stretch", height=420,
    column_config={
        "deal_name": "Deal", "account_name": "Account", "stage": "Stage",
        "value": money_column("Value", ctx.currency),
        "days_in_stage": st.column_config.NumberColumn("Days in stage", format="%d"),
        "last_outcome": "Last call", "last_call_on": date_column("Last call on"),
        "owner_name": "Owner", "expected_close_on": date_column("Expected close"),
        "open": link_column("Account page"),
    },
)
