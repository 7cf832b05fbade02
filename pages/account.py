"""Account: one key account on one page (the account is in the URL: ?account=A0001)."""

import polars as pl
import streamlit as st

from portfolio import fmt
from portfolio.charts import account as account_charts
from portfolio.filters import shown
from portfolio.ui import date_column, page_context, show_chart

ctx = page_context("Account")
choices = ctx.run("account_choices")
ids = choices["account_id"].to_list()
if not ids:
    st.info("No accounts match the filters.")
    st.stop()
labels = dict(zip(ids, choices["name"], strict=True))
requested = st.query_params.get("account")
if requested and requested not in labels:
    st.warning(f"Account “{shown(requested)}” is not among the accounts in view; showing "
               f"{labels[ids[0]]} instead.", icon=":material/link_off:")
account_id = st.selectbox("Account", ids, index=ids.index(requested) if requested in labels else 0,
                          format_func=labels.get, key="account_pick")
st.query_params["account"] = account_id

profile = ctx.run("account_profile", account_id=account_id).row(0, named=True)
st.subheader(profile["name"])
facts = {
    "Tier": fmt.label(profile["tier"]),
    "Relationship": fmt.label(profile["kam_stage"]),
    "Manager": profile["manager_name"] or "–",
    "Region": f"{profile['region'] or '–'} · {profile['country'] or '–'}",
    "Industry": profile["industry"] or "–",
    "Key account since": fmt.day(profile["key_since"]),
}
for column, (name, value) in zip(st.columns(len(facts)), facts.items(), strict=True):
    column.markdown(f"<small>{name}</small><br>**{value}**", unsafe_allow_html=True)

monthly = ctx.run("account_monthly", account_id=account_id)
if monthly.height:
    left, right = st.columns(2)
    with left:
        show_chart(account_charts.revenue_mix(monthly, ctx.currency), key="account_mix")
    with right:
        show_chart(account_charts.client_indicators(monthly), key="account_indicators")
else:
    st.info("No monthly metrics for this account up to the as-of date.")

events = ctx.run("account_events", account_id=account_id)
st.subheader(f"Relationship timeline: {fmt.plural(events.height, 'event')}")
events = events.with_columns(pl.col("kind", "severity").map_elements(fmt.label,
                                                                      return_dtype=pl.String))
st.dataframe(events, hide_index=True, width="stretch",
             column_config={"occurred_on": date_column("When"), "kind": "What",
                            "severity": "Severity", "note": "Note"})
