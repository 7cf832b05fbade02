"""Pipeline: where each large deal stands in Rackham's four stages, which deals are stuck,
where deals leak and wait, what is expected to close and how often we win."""

from typing import Any

import streamlit as st

from portfolio.charts import pipeline as charts
from portfolio.core import fmt
from portfolio.core.settings import OPEN_STAGES
from portfolio.read import pipeline as logic
from portfolio.ui import (
    date_column,
    drawn,
    drill_to_account,
    figure_metrics,
    link_column,
    money_column,
    page_context,
    selectable_chart,
    show_chart,
    show_sections,
    show_table,
)

ctx = page_context("Pipeline")
cur = ctx.currency
stalling_rules = logic.stalling_settings()
history = stalling_rules.query_params()


stages = ctx.run("pipeline_stages")
head = logic.headline(stages)
# the benchmark over the viewer's whole scope: one reading, whatever the filters
usual_all = ctx.run("pipeline_usual_days", **history)["usual_all"].to_list()
stage_time = ctx.run("pipeline_stage_time", **history, usual_all=usual_all)
stalling = ctx.run("stalling_deals", **history, usual_days=logic.usual_days_by_stage(stage_time),
                   limit=logic.STALLING_SHOWN)
stalling_total = int(stalling["stalling_deals"][0]) if stalling.height else 0
stalling_value = float(stalling["stalling_value"][0]) if stalling.height else 0.0
closes = ctx.run("pipeline_expected_closes")
soon_deals, soon_value = logic.closing_within(closes, 3)

cols = st.columns(5)
figure_metrics(ctx, ("open_pipeline", "weighted_pipeline", "win_rate"),
               [cols[0], cols[1], cols[3]])
cols[2].metric("Stalling deals", fmt.count(stalling_total),
               help=f"Worth {fmt.money(stalling_value, cur)}; the rules are in the Stalling "
                    "deals tab")
# an export without expected close dates (the public CRM data set) cannot say what closes
# when, which is not "nothing closes"
dated = ctx.held()["has_close_dates"]
cols[4].metric("Closing within 3 months", fmt.money(soon_value, cur) if dated else fmt.MISSING,
               help=f"{fmt.plural(soon_deals, 'open deal')} expected to close by the end of "
                    "the second month after this one" if dated else
                    "This database holds no expected close date on any deal")


def open_pipeline() -> None:
    """The open deals by stage, when they are expected to close, and the list."""
    st.subheader(f"{fmt.count(head.open_deals)} open deals worth "
                 f"{fmt.money(head.open_value, cur)}")
    left, right = st.columns(2)
    picked: list[dict[str, Any]] = []
    with left:
        if stages["deals"].sum():
            picked = selectable_chart(drawn(charts.stage_values, stages, cur),
                                      key="pipeline_stage_values")
        else:
            st.info("No open deals and none closed in the last 12 months in this selection.",
                    icon=":material/info:")
    with right:
        if closes.height and dated:
            show_chart(drawn(charts.expected_closes, closes, ctx.filters.as_of, cur),
                       key="pipeline_closes")
        elif closes.height:
            deals_undated, value_undated = logic.undated(closes)
            st.info(f"No open deal has an expected close date ({fmt.plural(deals_undated, 'deal')}"
                    f", {fmt.money(value_undated, cur)}), so this view cannot say what is "
                    "expected to close when. Map the CRM's expected close date to "
                    "deals.expected_close_on to see it.", icon=":material/event_busy:")
        else:
            st.info("No open deals, so nothing is expected to close.", icon=":material/info:")

    picked_stages = [p["customdata"][0] for p in picked if p.get("customdata")]
    stage = picked_stages[0] if picked_stages and picked_stages[0] in OPEN_STAGES else ""
    search = st.text_input("Search open deals", key="pipeline_search",
                           placeholder="Deal, account or owner name",
                           help="Click a stage's bar in the chart to list only that stage.")
    deals = ctx.run("pipeline_open_deals", stage=stage, search=search.strip(),
                    limit=logic.OPEN_DEALS_SHOWN)
    matching = int(deals["matching_deals"][0]) if deals.height else 0
    notes = []
    if stage:
        notes.append(f"only {fmt.label(stage).lower()} (selected in the chart; double-click the "
                     "chart to clear)")
    if search.strip():
        notes.append(f"matching “{search.strip()}”")
    shown = (f"the {deals.height} most valuable of {fmt.count(matching)}"
             if matching > deals.height else f"all {fmt.count(matching)}")
    st.caption(f"Showing {shown} open deals" + (f", {', '.join(notes)}" if notes else "")
               + ". Sort by any column; download as CSV from the table's menu.")
    if picked_stages and not stage:
        st.info("Won and lost deals are closed: see the Win rate tab.", icon=":material/info:")
    show_table(
        deals.with_columns(
            fmt.label_expr("stage"),
            fmt.label_expr("last_outcome"),
            ctx.account_links(deals, account_tab="Deals").alias("open"),
        ).select("deal_name", "account_name", "stage", "value", "weighted_value", "days_in_stage",
                 "last_outcome", "last_call_on", "owner_name", "expected_close_on", "open"),
        hide_index=True, width="stretch", height=380,
        column_config={
            "deal_name": "Deal", "account_name": "Account", "stage": "Stage",
            "value": money_column("Value", cur), "weighted_value": money_column("Weighted", cur),
            "days_in_stage": st.column_config.NumberColumn("Days in stage", format="%d"),
            "last_outcome": "Last call", "last_call_on": date_column("Last call on"),
            "owner_name": "Owner", "expected_close_on": date_column("Expected close"),
            "open": link_column("Account page"),
        },
    )


def stalling_deals() -> None:
    """Open deals that stopped moving, and by which rule."""
    st.subheader(f"{fmt.plural(stalling_total, 'stalling deal')} worth "
                 f"{fmt.money(stalling_value, cur)}")
    counts = logic.stalling_rule_counts(stalling)
    listed = "" if stalling_total <= stalling.height else f" (of the {stalling.height} listed)"
    st.caption(
        f"An open deal is stalling when nothing moved it for {stalling_rules.no_advance_days} days "
        f"or more ({counts['no_advance']}{listed}), when its last "
        f"{stalling_rules.continuation_streak} or more calls all ended in a continuation "
        f"({counts['on_continuations']}), or when it has been in its stage longer than "
        f"{stalling_rules.percentile_words} of the deals that left that stage in the last "
        f"{stalling_rules.history_months} months ({counts['over_usual']}). Settings: "
        "portfolio/core/settings.toml, [stalling]."
    )
    if not ctx.held()["has_calls"]:
        st.caption(":material/info: This database holds no calls (an export of deals alone, "
                   "say): no call can move a deal or end in a continuation, so a deal stalls "
                   "here by its days in the stage alone.")
    if stalling.height:
        names = {r["deal_id"]: (r["deal_name"], r["account_name"])
                 for r in stalling.iter_rows(named=True)}
        clicked = selectable_chart(drawn(charts.stalling_deals, stalling, stalling_total, cur),
                                   key="pipeline_stalling_chart")
        drill_to_account(ctx, clicked, names)
        reasons = logic.with_reasons(stalling)
        show_table(
            reasons.with_columns(
                fmt.label_expr("stage"),
                fmt.label_expr("last_outcome"),
                ctx.account_links(reasons, account_tab="Deals").alias("open"),
            ).select("deal_name", "account_name", "stage", "value", "days_stalled", "why",
                     "last_outcome", "last_call_on", "owner_name", "open"),
            hide_index=True, width="stretch", height=380,
            column_config={
                "deal_name": "Deal", "account_name": "Account", "stage": "Stage",
                "value": money_column("Value", cur),
                "days_stalled": st.column_config.NumberColumn(
                    "Days stalled", format="%d",
                    help="Days since its last advance or stage change"),
                "last_outcome": "Last call", "last_call_on": date_column("Last call on"),
                "owner_name": "Owner", "why": st.column_config.TextColumn("Why", width="large"),
                "open": link_column("Account page"),
            },
        )
    else:
        st.success("No open deal is stalling under these rules.", icon=":material/check_circle:")


def leaks_and_waits() -> None:
    """Where deals leak (stage conversion) and where they wait (time in stage)."""
    st.subheader("Where deals leak and where they wait")
    conversion = ctx.run("pipeline_conversion", **history)
    left, right = st.columns(2)
    with left:
        if conversion["entered"].sum():
            show_chart(drawn(charts.stage_conversion, conversion,
                             stalling_rules.history_months, cur), key="pipeline_conversion")
        else:
            st.info(f"No deal entered a stage in the last {stalling_rules.history_months} months.",
                    icon=":material/info:")
    with right:
        if stage_time["finished_stays"].sum() or stage_time["open_deals"].sum():
            show_chart(drawn(charts.time_in_stage, stage_time, stalling_rules.percentile_words),
                       key="pipeline_time_in_stage")
        else:
            st.info("No deal is or was in a stage in this selection.", icon=":material/info:")
    scopes = {s for s in stage_time["usual_scope"].to_list() if s}
    if "all accounts" in scopes:
        thin = ", ".join(fmt.label(r["stage"]).lower() for r in stage_time.iter_rows(named=True)
                         if r["usual_scope"] == "all accounts")
        st.caption(f"Too few deals in view left {thin} in the last {stalling_rules.history_months} "
                   f"months (fewer than {stalling_rules.min_stays}): its usual time comes from all "
                   "accounts.")


def win_rate() -> None:
    """Won and lost deals by quarter."""
    st.subheader("Win rate over time")
    quarters = ctx.run("pipeline_win_rate")
    if quarters["won"].sum() + quarters["lost"].sum():
        left, right = st.columns(2)
        with left:
            show_chart(drawn(charts.win_rate_trend, quarters, ctx.filters.as_of, cur),
                       key="pipeline_win_rate")
        with right:
            show_chart(drawn(charts.won_lost_by_quarter, quarters, ctx.filters.as_of, cur),
                       key="pipeline_won_lost")
    else:
        st.info("No deal was won or lost in the last eight quarters in this selection.",
                icon=":material/info:")


show_sections({
    "Open pipeline": open_pipeline,
    "Stalling deals": stalling_deals,
    "Conversion and stage time": leaks_and_waits,
    "Win rate": win_rate,
}, key="pipeline_tab", keep=("pipeline_search",))
