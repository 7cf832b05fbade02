"""Account: one key account on one page (the account is in the URL: ?account=A0001)."""


import polars as pl
import streamlit as st

from portfolio.charts import account as account_charts
from portfolio.charts import service as service_charts
from portfolio.charts.theme import BAND_COLORS, SUGGESTION_COLORS
from portfolio.core import fmt
from portfolio.core.filters import shown
from portfolio.core.settings import load_settings
from portfolio.read import scoring, views
from portfolio.read.service import ServiceSettings, service_status
from portfolio.ui import (
    NO_BUYING_CENTERS,
    date_column,
    drawn,
    money_column,
    page_context,
    say_none_held,
    show_chart,
    show_sections,
    show_table,
)
from portfolio.ui.decisions import decision_form, decision_history, show_recorded_notice

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
PICKER_ROWS = 200  # a picker of 10,000 accounts took 0.4 s of the browser's work


def listed_accounts(find: str, current: str) -> tuple[list[str], int]:
    """The accounts the picker lists, in the choices' order (tier, name): those whose name
    or id contains `find`, at most PICKER_ROWS, with the current account first when it is
    not among them; and how many match."""
    matches = choices
    if find:
        matches = choices.filter(
            pl.col("name").str.to_lowercase().str.contains(find.lower(), literal=True)
            | pl.col("account_id").str.to_lowercase().str.contains(find.lower(), literal=True))
    listed = matches["account_id"].head(PICKER_ROWS).to_list()
    return ([] if current in listed else [current]) + listed, matches.height


current = st.session_state.get("account_pick")
if current not in labels:
    current = requested if requested in labels else ids[0]
    st.session_state["account_pick"] = current
find_col, pick_col = st.columns([1, 2])
find = find_col.text_input("Find an account", key="account_find",
                           placeholder="Part of its name or id").strip()
options, matching = listed_accounts(find, current)
account_id = pick_col.selectbox("Account", options, format_func=labels.get, key="account_pick")
if find and not matching:
    st.caption(f"No account in view matches “{shown(find)}”.")
elif matching > PICKER_ROWS:
    st.caption(f"{matching:,} accounts {f'match “{shown(find)}”' if find else 'are in view'}; "
               f"the list shows the first {PICKER_ROWS} (strategic, then key, then standard, "
               "by name). Type part of a name to find any other.")
st.query_params["account"] = account_id

svc = ServiceSettings.load()
params = {**svc.query_params(), "account_id": account_id}
cur, as_of = ctx.currency, ctx.filters.as_of
recent_days = load_settings().recent_days
ROLE_LABELS = {role: fmt.label(role) for role in account_charts.ROLES}


def small_fact(column, name: str, value: str) -> None:
    column.markdown(f"<small>{name}</small><br>**{value}**", unsafe_allow_html=True)


def count_column(label: str, help_text: str | None = None):
    return st.column_config.NumberColumn(label, format="%d", help=help_text)


def labelled(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.with_columns(fmt.label_expr(c)
                              for c in columns)


# --- who and where ----------------------------------------------------------------------
profile = ctx.run("account_profile", account_id=account_id).row(0, named=True)
st.subheader(profile["name"])
facts = {
    "Tier": fmt.label(profile["tier"]),
    "Relationship": fmt.label(profile["kam_stage"]),
    "Manager": profile["manager_name"] or "–",
    "Region": f"{profile['region'] or '–'} · {profile['country'] or '–'}",
    "Industry": profile["industry"] or "–",
    "Key account since": fmt.day(profile["key_since"]),
    "Part of": profile["parent_name"] or "–",
}
for column, (name, value) in zip(st.columns(len(facts)), facts.items(), strict=True):
    small_fact(column, name, value)
# the stage the data suggest, where it differs from the one recorded (purchases stopped)
signals = ctx.run("risk_signals").filter(pl.col("account_id") == account_id)
stage_note = (scoring.stage_from_data({**signals.row(0, named=True),
                                       "kam_stage": profile["kam_stage"]},
                                      scoring.load_scoring_config())
              if signals.height else None)
if stage_note:
    st.warning(scoring.escape_markdown(stage_note), icon=":material/trending_down:")

statuses = ctx.run("service_account_status", **svc.query_params())  # shared with Service
facts_row = statuses.filter(pl.col("account_id") == account_id)
status = service_status(facts_row.row(0, named=True), svc) if facts_row.height else None
if status:
    st.markdown(
        f"<div style='margin:0.6rem 0 0.2rem'><span style='background:{BAND_COLORS[status.band]};"
        f"color:white;font-weight:600;padding:0.15rem 0.6rem;border-radius:0.3rem'>"
        f"{status.name}</span>&nbsp; {status.reason}</div>",
        unsafe_allow_html=True)


def attractiveness() -> None:
    """The scoring model's verdict, then the 24-month trends it weighs."""
    st.subheader("Attractiveness")
    scoring_config = scoring.load_scoring_config()
    scored = ctx.memo_accounts(views.scores, config=scoring_config)
    verdict = scored.filter(pl.col("account_id") == account_id)
    if verdict.height:
        row = verdict.row(0, named=True)
        left, right = st.columns([3, 2], gap="large")
        with left:
            st.markdown(
                f"<span style='background:{SUGGESTION_COLORS[row['suggestion']]};color:white;"
                f"padding:2px 10px;border-radius:10px;font-weight:600'>"
                f"{fmt.label(row['suggestion'])}</span>&nbsp; quadrant **{row['quadrant'] or '–'}**"
                f", band **{row['band'] or '–'}**, uncoupling risk **{row['risk_level']}**",
                unsafe_allow_html=True)
            for reason in row["reasons"] or ["Nothing calls for a decision: keep."]:
                st.markdown(f"- {scoring.escape_markdown(reason)}")
            if row["risk_signals"] and row["suggestion"] != "repair":
                st.markdown("Relationship signals: " + "; ".join(
                    scoring.escape_markdown(s) for s in row["risk_signals"]))
            unmeasured = scoring.missing_in_words(row)
            if unmeasured:
                st.markdown(f"**Not measured** (the scores rest on the other factors; "
                            f"{row['data_coverage']:.0f} % of the attractiveness weight is "
                            "measured):\n" + "\n".join(
                                f"- {scoring.escape_markdown(w)}" for w in unmeasured))
            st.page_link("pages/attractiveness.py", label="Why: every factor and how it moved",
                         icon=":material/arrow_forward:",
                         query_params={**ctx.page_params(), "account": account_id,
                                       "attractiveness_tab": "Why"})
            show_recorded_notice()
            if row["suggestion"] in scoring.DECISIONS:
                decision_form(ctx, scoring_config, row, key="account")
        with right:
            a, s, t = st.columns(3)
            a.metric("Attractiveness", "–" if row["attractiveness"] is None
                     else f"{row['attractiveness']:.0f}")
            s.metric("Relative strength", "–" if row["strength"] is None
                     else f"{row['strength']:.0f}")
            t.metric("Trend, 12 months", "–" if row["trend"] is None else f"{row['trend']:+.0f}")
    st.caption("The 24-month trends of what the score weighs: the revenue mix, margin, the "
               "client's market share and financial health, our share of wallet.")
    monthly = ctx.run("account_monthly", account_id=account_id)
    if (monthly["revenue_source"] == "won_deals").any():
        st.caption(":material/info: Revenue from won deals: no finance data imported for this "
                   "account (its won deals' value in the month they closed, and service "
                   "contracts over their term, stand in for revenue).")
    if monthly.height:
        trend = account_charts.metric_trend
        left, right = st.columns([3, 2])
        with left:
            held = ctx.held()
            show_chart(drawn(account_charts.revenue_mix, monthly, cur,
                             held["has_finance_revenue"] or held["has_contracts"]),
                       key="account_mix")
        with right:
            show_chart(drawn(trend, monthly, "gross_margin_pct", "Gross margin", "%"),
                       key="account_margin")
        share, health, wallet = st.columns(3)
        with share:
            show_chart(drawn(trend, monthly, "client_market_share_pct", "Client market share", "%"),
                       key="account_market_share")
        with health:
            show_chart(drawn(trend, monthly, "financial_health", "Financial health", "score",
                             y_range=(0, 100)), key="account_health")
        with wallet:
            show_chart(drawn(trend, monthly, "share_of_wallet_pct", "Our share of wallet", "%"),
                       key="account_wallet")
    else:
        st.info("No monthly metrics for this account in the 24 months up to the as-of date.")
    decision_history(ctx, scoring_config, account_id)


def open_deals() -> None:
    """The account's open deals: stage, value, coverage and the last call."""
    deals = ctx.run("account_deals", **params)
    st.subheader(f"Open deals: {deals.height}, worth "
                 f"{fmt.money(deals['value'].sum() if deals.height else 0, cur)}")
    # an export without contacts on deals: nothing to say of roles, coverage or their risk
    held = ctx.held()["has_buying_centers"]
    roles = (["roles_covered", "coverage", "decider_met", "approver_met", "people_covering",
              "risk"] if held else [])
    if deals.height:
        show_chart(drawn(account_charts.open_deals, deals, cur, buying_centers=held),
                   key="account_deals")
        show_table(
            labelled(deals, "stage", "last_outcome", "risk").with_columns(
                pl.col("coverage") * 100).select(
                "deal_name", "stage", "value", "days_in_stage", "expected_close_on",
                "last_outcome", "last_call_on", *roles, "owner_name"),
            hide_index=True, width="stretch",
            column_config={
                "deal_name": "Deal", "stage": "Stage", "value": money_column("Value", cur),
                "days_in_stage": count_column("Days in stage"),
                "expected_close_on": date_column("Expected close"), "last_outcome": "Last call",
                "last_call_on": date_column("Last call on"),
                "roles_covered": count_column(
                    "Roles covered (of 7)", f"By a contact still at the client, engaged in the "
                    f"{recent_days} days before the as-of date"),
                "coverage": st.column_config.ProgressColumn("Coverage", format="%.0f %%",
                                                            min_value=0, max_value=100),
                "decider_met": st.column_config.CheckboxColumn("Decider met"),
                "approver_met": st.column_config.CheckboxColumn("Approver met"),
                "people_covering": count_column("People"),
                "risk": st.column_config.TextColumn(
                    "Risk", help="The buying center's risk, as on the Buying center page"),
                "owner_name": "Owner",
            },
        )
    else:
        st.caption("No deal of this account is open on the as-of date.")
    st.page_link("pages/pipeline.py", label="Every open deal on the Pipeline page",
                 icon=":material/arrow_forward:", query_params=ctx.page_params())


def buying_center() -> None:
    """Who decides at the client, in which role, and who left."""
    members = ctx.run("account_buying_center", **params)
    held = ctx.held()["has_buying_centers"]
    if members.height == 0 and not held:
        st.subheader("Buying center")
        say_none_held(NO_BUYING_CENTERS,
                      "who decides at this client, in which role, cannot be shown")
        return
    people = (
        members.group_by("contact_id", maintain_order=True).agg(
            pl.col("name").first(), pl.col("title").first(),
            pl.col("role").drop_nulls().replace_strict(ROLE_LABELS, return_dtype=pl.String)
            .str.join(", ").alias("roles"),
            pl.col("attitude").sort_by("last_contact_on", nulls_last=True).drop_nulls().last(),
            pl.col("last_contact_on").max(), pl.col("open_deals").max(),
            pl.col("engaged_recently").any(), pl.col("left_on").first(),
        )
    )
    left_people = people.filter(pl.col("left_on").is_not_null())
    st.subheader(f"Buying center: {fmt.plural(people.height, 'person', 'people')}, "
                 f"{left_people.height} of them left the client")
    if members.height:
        if held:
            show_chart(drawn(account_charts.buying_center_roles, members, recent_days),
                       key="account_roles")
        else:  # contacts without any deal's buying center (Salesforce without roles)
            say_none_held(NO_BUYING_CENTERS,
                          "the roles these people hold on the account's deals cannot be shown")
        show_table(
            labelled(people, "attitude").with_columns(
                pl.when(pl.col("left_on").is_not_null()).then(pl.lit("Left the client"))
                .when(pl.col("engaged_recently")).then(pl.lit("Engaged recently"))
                .when(pl.col("last_contact_on").is_not_null()).then(pl.lit("Not engaged recently"))
                .when(pl.col("roles") != "").then(pl.lit("Not engaged by the as-of date"))
                .otherwise(pl.lit("No role on a current deal")).alias("state")).select(
                "name", "title", "roles", "attitude", "state", "last_contact_on", "open_deals",
                "left_on"),
            hide_index=True, width="stretch", height=min(420, 38 + 35 * people.height),
            column_config={
                "name": "Person", "title": "Title",
                "roles": st.column_config.TextColumn(
                    "Roles", help="On the account's deals open on the as-of date or closed in "
                                  "the 12 months before", width="medium"),
                "attitude": st.column_config.TextColumn("Attitude", help="At the latest "
                                                                         "engagement"),
                "state": st.column_config.TextColumn(
                    "Engagement", help=f"Recently: within {recent_days} days before the as-of "
                                       "date"),
                "last_contact_on": date_column("Last engaged"),
                "open_deals": count_column("On open deals"), "left_on": date_column("Left on"),
            },
        )
    else:
        st.caption("No contacts recorded for this account.")
    st.page_link("pages/buying_center.py", label="Buying-center coverage of every deal",
                 icon=":material/arrow_forward:", query_params=ctx.page_params())


def service() -> None:
    """Service status, deliveries, open cases and contracts."""
    held = ctx.held()
    if not (held["has_deliveries"] or held["has_service_cases"] or held["has_contracts"]):
        say_none_held("deliveries, service cases or service contracts",
                      "this account's service after the sale cannot be followed")
        return
    cases = ctx.run("account_service_cases", **params)
    contracts = ctx.run("account_contracts", **params)
    band = status.name if status else "No service data"
    overdue_count = cases.filter(pl.col("state") == "overdue").height
    st.subheader(f"{band}, {fmt.plural(overdue_count, 'case')} overdue")
    if facts_row.height:
        row = facts_row.row(0, named=True)
        running = contracts.filter(pl.col("state").is_in(["running", "renewal_due"]))
        due = contracts.filter(pl.col("state") == "renewal_due")
        cols = st.columns(5)
        cols[0].metric(f"On time, {svc.status_window_days} days",
                       fmt.percent(row["on_time_rate"]),
                       help=f"{row['on_time']} of {row['deliveries_due']} deliveries promised in "
                            f"the last {svc.status_window_days} days delivered on time")
        cols[1].metric("Open cases", f"{row['open_cases']}",
                       help="Service cases open on the as-of date")
        cols[2].metric("Overdue cases", f"{row['overdue_cases']}",
                       help=f"Open past the promised date; {row['overdue_not_told']} not told to "
                            "the client")
        cols[3].metric("Service contracts", fmt.money(running["annual_value"].sum(), cur),
                       help=f"Annual value of the {running.height} contracts running on the as-of "
                            "date")
        cols[4].metric(f"Renewals due, {svc.renewal_days} days",
                       fmt.money(due["annual_value"].sum(), cur),
                       help=f"{due.height} contracts ending within {svc.renewal_days} days")
    left, right = st.columns(2)
    with left:
        monthly = ctx.run("account_deliveries_by_month", **params)
        show_chart(drawn(service_charts.on_time_trend, monthly, target=svc.on_time_amber),
                   key="account_on_time")
    with right:
        show_chart(drawn(account_charts.open_cases, cases, as_of), key="account_open_cases")
    show_table(
        labelled(cases, "kind", "severity", "state", "told").select(
            "state", "kind", "severity", "opened_on", "due_on", "closed_on", "days_open",
            "days_overdue", "client_informed_on", "told", "case_id"),
        hide_index=True, width="stretch", height=min(420, 38 + 35 * max(cases.height, 1)),
        column_config={
            "state": st.column_config.TextColumn(
                "State", help=f"Open (overdue or pending) on the as-of date, or closed after the "
                              f"promised date in the last {svc.history_days} days"),
            "kind": "Kind", "severity": "Severity", "opened_on": date_column("Opened"),
            "due_on": date_column("Promised by"), "closed_on": date_column("Closed"),
            "days_open": count_column("Days open"), "days_overdue": count_column("Days overdue"),
            "client_informed_on": date_column("Client told on"),
            "told": st.column_config.TextColumn(
                "Client told", help=f"In time: within {svc.inform_within_days} days of opening"),
            "case_id": "Case",
        },
    )
    show_table(
        labelled(contracts, "kind", "state").select(
            "kind", "state", "annual_value", "starts_on", "ends_on", "days_left", "auto_renew",
            "contract_id"),
        hide_index=True, width="stretch", height=min(320, 38 + 35 * max(contracts.height, 1)),
        column_config={
            "kind": "Contract", "state": st.column_config.TextColumn(
                "State", help=f"Renewal due: ends within {svc.renewal_days} days"),
            "annual_value": money_column("Annual value", cur), "starts_on": date_column("Starts"),
            "ends_on": date_column("Ends"), "days_left": count_column("Days left"),
            "auto_renew": st.column_config.CheckboxColumn("Renews by itself"),
            "contract_id": "Contract id",
        },
    )

    st.page_link("pages/service.py", label="Service across the portfolio",
                 icon=":material/arrow_forward:", query_params=ctx.page_params())


def after_the_sale() -> None:
    """The post-sale checklist of every deal won in 12 months."""
    checks = ctx.run("postsale_checklist", **params).filter(pl.col("account_id") == account_id)
    with_points = checks.filter(pl.col("open_points") > 0).height
    st.subheader(f"After the sale: {fmt.plural(checks.height, 'deal')} won in the last "
                 f"{svc.history_days} days, {with_points} with open points")
    if not checks.height:
        st.caption("No deal of this account was won in that time.")
        return
    st.caption(f"Late: more than {svc.late_delivery_days} days after the promised day. "
               "Installation and training: needed by product line ([service] "
               "installation_lines, training_lines); missing = delivered, no such case opened "
               "since the deal was won. Client not told: late deliveries the client did not "
               f"hear of within {svc.inform_within_days} days of the promised day.")
    show_table(
        labelled(checks, "installation", "training").select(
            "deal_name", "product_line", "closed_on", "value", "deliveries", "on_time", "late",
            "to_come", "quality_issues", "invoice_issues", "installation", "training",
            "not_told", "open_points"),
        hide_index=True, width="stretch", height=min(420, 38 + 35 * checks.height),
        column_config={
            "deal_name": "Deal", "product_line": "Product line",
            "closed_on": date_column("Won on"), "value": money_column("Value", cur),
            "deliveries": count_column("Deliveries due"), "on_time": count_column("On time"),
            "late": count_column("Late"), "to_come": count_column("To come"),
            "quality_issues": count_column("Quality issues"),
            "invoice_issues": count_column("Invoice issues"),
            "installation": "Installation", "training": "Training",
            "not_told": count_column("Client not told"),
            "open_points": count_column("Open points"),
        },
    )
    st.page_link("pages/service.py", label="The post-sale checklist of every account",
                 icon=":material/arrow_forward:",
                 query_params={**ctx.page_params(), "service_tab": "Post-sale checklist"})


def relationship_timeline() -> None:
    """Every event of the relationship in 24 months."""
    events = ctx.run("account_timeline", **params)
    st.subheader(f"Relationship timeline: {fmt.plural(events.height, 'event')} in 24 months")
    show_chart(drawn(account_charts.relationship_timeline, events, as_of), key="account_timeline")
    show_table(
        events.with_columns(
            pl.col("kind").replace_strict(account_charts.EVENT_LANES, default=pl.col("kind")),
            fmt.label_expr("severity"),
            pl.col("source").replace_strict(account_charts.SOURCE_NAMES, default=pl.col("source")),
        ).select("occurred_on", "kind", "severity", "note", "source"),
        hide_index=True, width="stretch", height=min(420, 38 + 35 * max(events.height, 1)),
        column_config={"occurred_on": date_column("When"), "kind": "What",
                       "severity": "Severity",
                       "note": st.column_config.TextColumn("Note", width="large"),
                       "source": "Source"},
    )


show_sections({
    "Attractiveness": attractiveness,
    "Deals": open_deals,
    "Buying center": buying_center,
    "Service": service,
    "After the sale": after_the_sale,
    "Timeline": relationship_timeline,
}, key="account_tab")
