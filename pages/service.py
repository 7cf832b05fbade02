"""Service: are we keeping the promises made after the sale?"""

import polars as pl
import streamlit as st

from portfolio import fmt
from portfolio.charts import service as service_charts
from portfolio.ui import date_column, link_column, page_context, show_chart

ctx = page_context("Post-sale service")
show_chart(service_charts.on_time_trend(ctx.run("deliveries_by_month")), key="service_on_time")

overdue = ctx.run("service_cases_overdue")
never_told = overdue.filter(pl.col("client_informed_on").is_null())
st.subheader(f"{overdue.height} broken promises: service cases past their due date, "
             f"{never_told.height} of them never reported to the client")
table = overdue.with_columns(
    pl.col("kind").map_elements(fmt.label, return_dtype=pl.String),
    pl.col("severity").map_elements(fmt.label, return_dtype=pl.String),
    pl.col("account_id").map_elements(lambda a: ctx.link("pages/account.py", account=a),
                                      return_dtype=pl.String).alias("open"),
)
st.dataframe(
    table.select("account_name", "kind", "severity", "opened_on", "due_on", "days_overdue",
                 "client_informed_on", "manager_name", "open"),
    hide_index=True, width="stretch",
    column_config={
        "account_name": "Account", "kind": "Kind", "severity": "Severity",
        "opened_on": date_column("Opened"), "due_on": date_column("Promised by"),
        "days_overdue": st.column_config.NumberColumn("Days overdue", format="%d"),
        "client_informed_on": date_column("Client told on"), "manager_name": "Manager",
        "open": link_column("Account page"),
    },
)
