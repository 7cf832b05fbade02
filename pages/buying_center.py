"""Buying center: which of the seven roles we have reached on each open deal."""

import polars as pl
import streamlit as st

from portfolio import fmt
from portfolio.charts import pipeline as pipeline_charts
from portfolio.settings import load_settings
from portfolio.ui import link_column, money_column, page_context, show_chart

ctx = page_context("Buying center")
coverage = ctx.run("deal_coverage")
st.caption(f"A role counts as covered when a contact who is still with the client was engaged "
           f"on the deal in the {load_settings().recent_days} days before the as-of date.")

cols = st.columns(3)
cols[0].metric("Open deals", f"{coverage.height}")
cols[1].metric("Average coverage", fmt.percent(coverage["coverage"].mean()))
single = coverage.filter((pl.col("people_covering") == 1) & (pl.col("roles_covered") >= 2))
cols[2].metric("Single-threaded deals", f"{single.height}",
               help="One person holds every covered role")

show_chart(pipeline_charts.coverage_scatter(coverage, ctx.currency), key="coverage_scatter")
table = coverage.with_columns(
    pl.col("stage").map_elements(fmt.label, return_dtype=pl.String),
    pl.col("account_id").map_elements(lambda a: ctx.link("pages/account.py", account=a),
                                      return_dtype=pl.String).alias("open"),
).sort(["decider_met", "value"], descending=[False, True])
st.dataframe(
    table.select("deal_name", "account_name", "stage", "value", "roles_covered", "coverage",
                 "decider_met", "approver_met", "people_covering", "open"),
    hide_index=True, width="stretch", height=420,
    column_config={
        "deal_name": "Deal", "account_name": "Account", "stage": "Stage",
        "value": money_column("Value", ctx.currency),
        "roles_covered": st.column_config.NumberColumn("Roles covered (of 7)", format="%d"),
        "coverage": st.column_config.ProgressColumn("Coverage", format="percent",
                                                    min_value=0, max_value=1),
        "decider_met": "Decider met", "approver_met": "Approver met",
        "people_covering": st.column_config.NumberColumn("People", format="%d"),
        "open": link_column("Account page"),
    },
)
