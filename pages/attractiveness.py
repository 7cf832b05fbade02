"""Attractiveness: which key accounts are worth less (or more) than their status says."""

import polars as pl
import streamlit as st

from portfolio import fmt
from portfolio.charts import portfolio as portfolio_charts
from portfolio.ui import link_column, money_column, page_context, show_chart

ctx = page_context("Account attractiveness")
trends = ctx.run("account_trends")
st.caption("Until the scoring model lands, this page shows the factors it will weigh: the "
           "client's market share, its financial health and the revenue trend.")
show_chart(portfolio_charts.account_movement(trends, ctx.currency), key="attractiveness_movement")

table = trends.with_columns(
    pl.col("tier").map_elements(fmt.label, return_dtype=pl.String),
    pl.col("kam_stage").map_elements(fmt.label, return_dtype=pl.String),
    (pl.col("market_share_now") - pl.col("market_share_year_ago")).alias("share_change"),
    pl.col("revenue_growth", "aftersales_share") * 100,
    (pl.col("health_now") - pl.col("health_year_ago")).alias("health_change"),
    pl.col("account_id").map_elements(lambda a: ctx.link("pages/account.py", account=a),
                                      return_dtype=pl.String).alias("open"),
).sort("share_change", nulls_last=True)
st.dataframe(
    table.select("name", "tier", "kam_stage", "manager_name", "revenue_t12m", "revenue_growth",
                 "aftersales_share", "market_share_year_ago", "market_share_now",
                 "health_year_ago", "health_now", "open"),
    hide_index=True, width="stretch", height=460,
    column_config={
        "name": "Account", "tier": "Tier", "kam_stage": "Relationship", "manager_name": "Manager",
        "revenue_t12m": money_column("Revenue T12M", ctx.currency),
        "revenue_growth": st.column_config.NumberColumn("Growth", format="%+.0f %%"),
        "aftersales_share": st.column_config.NumberColumn("After-sales share", format="%.0f %%"),
        "market_share_year_ago": st.column_config.NumberColumn("Market share 12 m ago",
                                                               format="%.1f %%"),
        "market_share_now": st.column_config.NumberColumn("Market share now", format="%.1f %%"),
        "health_year_ago": st.column_config.NumberColumn("Health 12 m ago", format="%.0f"),
        "health_now": st.column_config.NumberColumn("Health now", format="%.0f"),
        "open": link_column("Account page"),
    },
)
