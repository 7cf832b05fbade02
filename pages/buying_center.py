"""Buying center: which of the seven roles we have reached on each open deal, the gaps in
words, and where the riskiest valuable deals are."""


from typing import Any

import polars as pl
import streamlit as st

from portfolio.charts import pipeline as charts
from portfolio.core import fmt
from portfolio.core.fmt import count, plural
from portfolio.read import buying_center as logic
from portfolio.read import views
from portfolio.ui import (
    NO_BUYING_CENTERS,
    drawn,
    drill_to_account,
    figure_metrics,
    link_column,
    money_column,
    page_context,
    say_none_held,
    selectable_chart,
    show_chart,
    show_sections,
    show_table,
)

ctx = page_context("Buying center")
cur = ctx.currency
rules = logic.buying_center_settings()
params = rules.query_params()


def pick(**choice: Any) -> pl.DataFrame:
    """A list of open deals in view (logic.select_deals on the rated deals in view),
    cached per filters and choice."""
    return ctx.memo(views.picked_deals, params=params, choice=choice)


def buying_centers(deals: pl.DataFrame) -> pl.DataFrame:
    """The roles of these deals, read in one query."""
    return ctx.run("buying_center_roles", **params, deal_ids=sorted(deals["deal_id"]))


st.caption(f"A role is covered when a contact who is still with the client was engaged on the "
           f"deal in the {rules.recent_days} days before the as-of date. The alarm: a deal in "
           f"{rules.late_stage_words} without an active decider or approver. Settings: "
           "portfolio/core/settings.toml, [buying_center].")

# an export of deals alone records nobody on any deal: no role is known to be met or missed
held = ctx.held()["has_buying_centers"]
gaps = ctx.run("buying_center_gaps", **params)
totals = logic.finding_totals(gaps)
cols = st.columns(5)
figure_metrics(ctx, ("open_deals", "late_stage_alarm"), [cols[0], cols[2]])
cols[1].metric("Average coverage",
               fmt.percent(logic.average_coverage(gaps)) if held else fmt.MISSING,
               help="Covered roles of seven, averaged over the open deals")
cols[3].metric("Single-threaded deals",
               count(totals['single_threaded'].deals) if held else fmt.MISSING,
               help="One person engaged recently holds every covered role")
cols[4].metric("Value at high risk",
               fmt.money(totals["high_risk"].value, cur) if held else fmt.MISSING,
               help=f"{plural(totals['high_risk'].deals, 'deal')}: the alarm, an opponent "
                    "as decider or approver, or every decider gone" if held else
                    "The alarm, an opponent as decider or approver, or every decider gone")


def gaps_in_words() -> None:
    """The buying-center gaps in words, and the deals behind each."""
    st.subheader("Gaps")
    lines = logic.gap_lines(gaps, cur, rules)
    if lines:
        st.markdown("\n".join(f"- {line.text}" for line in lines))
        options = [gap for gap in logic.GAPS if totals[gap].deals]
        chosen = st.session_state.get("bc_gap", options[0])
        if chosen is not None and chosen not in options:  # a gap the filters emptied
            chosen = options[0]
        st.session_state["bc_gap"] = chosen  # kept across tabs (show_sections: keep)
        gap = st.segmented_control(
            "Show the deals behind a gap", options, key="bc_gap",
            format_func=lambda g: f"{logic.gap_choice_label(g)} ({count(totals[g].deals)})")
        if gap:
            behind = pick(gap=gap, sort_by="value", limit=logic.GAP_ROWS)
            roles = buying_centers(behind)
            if totals[gap].deals > behind.height:
                st.caption(f"The {behind.height} most valuable of "
                           f"{count(totals[gap].deals)} deals.")
            table = logic.grid_table(logic.with_roles(behind, roles), rules)
            show_table(
                table.with_columns(
                    fmt.label_expr("stage", "risk"),
                    ctx.account_links(table, account_tab="Buying center").alias("open"),
                ).select("deal_name", "account_name", "stage", "value", "owner_name", "risk",
                         "why", "open"),
                hide_index=True, width="stretch", height=300,
                column_config={
                    "deal_name": "Deal", "account_name": "Account", "stage": "Stage",
                    "value": money_column("Value", cur), "owner_name": "Owner", "risk": "Risk",
                    "why": st.column_config.TextColumn("Risk factors", width="large"),
                    "open": link_column("Account page"),
                },
            )
    else:
        st.success("No buying-center gaps among the open deals in view.",
                   icon=":material/check_circle:")


def deal_role_grid() -> None:
    """Every role of the riskiest valuable deals, a page at a time."""
    st.subheader("Deal × role grid, riskiest valuable deals first")
    search_col, page_col = st.columns([3, 1])
    search = search_col.text_input("Search deals", key="bc_search",
                                   placeholder="Deal, account or owner name").strip()
    grid_choice = pick(search=search, limit=logic.TABLE_ROWS)
    table_rows = logic.with_roles(grid_choice, buying_centers(grid_choice))
    matching = int(table_rows["matching_deals"][0]) if table_rows.height else 0
    pages = max(1, -(-min(matching, logic.TABLE_ROWS) // logic.GRID_PAGE_SIZE))
    page = page_col.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1,
                                 key="bc_page")
    first = (int(page) - 1) * logic.GRID_PAGE_SIZE
    grid_rows = table_rows.slice(first, logic.GRID_PAGE_SIZE)
    more = (f"The {table_rows.height} riskiest of {count(matching)}"
            if matching > table_rows.height else f"All {count(matching)}")
    st.caption(f"{more} open deals{f' matching “{search}”' if search else ''}: high risk first "
               f"(● red), then medium (● amber) and low (● green), the most valuable first within "
               f"each. Deals {first + 1}–{first + grid_rows.height} in the grid; click a cell to "
               "open its account.")
    if grid_rows.height:
        names = {r["deal_id"]: (r["deal_name"], r["account_name"])
                 for r in table_rows.iter_rows(named=True)}
        clicked = selectable_chart(
            drawn(charts.coverage_grid, grid_rows, cur, rules.recent_days, first_rank=first + 1),
            key=f"bc_grid_{first}")
        drill_to_account(ctx, clicked, names, tab="Buying center")
        table = logic.grid_table(table_rows, rules)
        show_table(
            table.with_columns(
                fmt.label_expr("stage", "risk"),
                ctx.account_links(table, account_tab="Buying center").alias("open"),
            ).select("deal_name", "account_name", "stage", "value", "risk", "coverage_pct",
                     *logic.ROLES, "why", "owner_name", "open"),
            hide_index=True, width="stretch", height=380,
            column_config={
                "deal_name": "Deal", "account_name": "Account", "stage": "Stage",
                "value": money_column("Value", cur), "risk": "Risk",
                "coverage_pct": st.column_config.ProgressColumn(
                    "Coverage", format="%.0f %%", min_value=0, max_value=100,
                    help="Roles covered of seven"),
                **{role: fmt.label(role) for role in logic.ROLES},
                "why": st.column_config.TextColumn("Risk factors", width="large"),
                "owner_name": "Owner", "open": link_column("Account page"),
            },
        )
    else:
        st.info("No open deals match.", icon=":material/search_off:")


def coverage() -> None:
    """Coverage against stage and value, and per manager."""
    st.subheader("Coverage against stage and value, and per manager")
    if totals["open"].deals == 0:
        st.info("No open deals in this selection.", icon=":material/info:")
        return
    left, right = st.columns(2)
    with left:
        valuable = pick(sort_by="value", limit=logic.SCATTER_POINTS)
        names = {r["deal_id"]: (r["deal_name"], r["account_name"])
                 for r in valuable.iter_rows(named=True)}
        clicked = selectable_chart(
            drawn(charts.coverage_scatter, valuable, cur, shown_of=totals["open"].deals,
                                    alarm_total=(totals["alarm"].deals, totals["alarm"].value)),
            key="bc_coverage_scatter")
        drill_to_account(ctx, clicked, names, tab="Buying center")
    with right:
        managers = ctx.run("buying_center_managers", **params)
        show_chart(drawn(charts.coverage_by_manager, managers, cur, logic.MANAGERS_CHARTED),
                   key="bc_managers")
    show_table(
        managers.with_columns(pl.col("average_coverage", "value_weighted_coverage") * 100).select(
            "owner_name", "deals", "value", "average_coverage", "value_weighted_coverage",
            "alarm_deals", "alarm_value", "high_risk_deals", "high_risk_value"),
        hide_index=True, width="stretch", height=300,
        column_config={
            "owner_name": "Deal owner", "deals": st.column_config.NumberColumn("Open deals"),
            "value": money_column("Open value", cur),
            "average_coverage": st.column_config.ProgressColumn(
                "Average coverage", format="%.0f %%", min_value=0, max_value=100),
            "value_weighted_coverage": st.column_config.ProgressColumn(
                "Coverage weighted by value", format="%.0f %%", min_value=0, max_value=100),
            "alarm_deals": st.column_config.NumberColumn(
                "Alarm deals", help="Late stage without an active decider or approver"),
            "alarm_value": money_column("Alarm value", cur),
            "high_risk_deals": st.column_config.NumberColumn("High-risk deals"),
            "high_risk_value": money_column("High-risk value", cur),
        },
    )


if held:
    show_sections({
        "Gaps": gaps_in_words,
        "Deal × role grid": deal_role_grid,
        "Coverage": coverage,
    }, key="buying_center_tab", keep=("bc_gap", "bc_search", "bc_page"))
else:
    say_none_held(NO_BUYING_CENTERS,
                  "no role of any deal can be known to be covered or missed: the gaps, the "
                  "deal × role grid, coverage and the late-stage alarm cannot be judged")
