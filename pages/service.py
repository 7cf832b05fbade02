"""Service: are we keeping the promises made after the sale?"""


import polars as pl
import streamlit as st

from portfolio.charts import account as account_charts
from portfolio.charts import service as service_charts
from portfolio.charts.theme import BAND_COLORS
from portfolio.core import fmt
from portfolio.read import service_totals as totals
from portfolio.read import views
from portfolio.read.service import (
    ServiceSettings,
    band_counts,
    bands_in_words,
    by_manager,
    portfolio_delivery_rates,
)
from portfolio.ui import (
    date_column,
    drawn,
    link_column,
    money_column,
    page_context,
    say_none_held,
    show_chart,
    show_sections,
    show_table,
)

ctx = page_context("Post-sale service")
svc = ServiceSettings.load()
params = svc.query_params()
window, history = f"{svc.status_window_days} days", f"{svc.history_days} days"
cur = ctx.currency


def with_links(frame: pl.DataFrame, tab: str = "Service") -> pl.DataFrame:
    """Labels for enumeration columns and a link to each row's account page, on `tab`."""
    labelled = [fmt.label_expr(c)
                for c in ("kind", "severity", "tier", "state", "told") if c in frame.columns]
    return frame.with_columns(
        *labelled,
        ctx.account_links(frame, account_tab=tab).alias("open"),
    )


def percent_column(label: str, help_text: str | None = None):
    return st.column_config.NumberColumn(label, format="%.0f %%", help=help_text)


def count_column(label: str, help_text: str | None = None):
    return st.column_config.NumberColumn(label, format="%d", help=help_text)


def shown_of(shown: int, total: int, what: str) -> None:
    if total > shown:
        st.caption(f"The {shown} most urgent of {total:,} {what} are listed; the figures above "
                   "count them all.")


# every account's service status: ~70 ms of Python for 10,000 accounts, cached
statuses = ctx.memo_accounts(views.service_statuses, settings=svc)
if statuses.height == 0:
    st.info("No accounts match the filters.")
    st.stop()
rates = portfolio_delivery_rates(statuses)
months = ctx.summed("deliveries_by_month", totals.monthly_deliveries)
broken = ctx.summed("service_broken_promises", totals.broken_promises, svc.table_rows, **params)
broken_kinds = ctx.summed("service_broken_by_kind", totals.broken_by_kind, **params)
lapses = ctx.summed("service_informed_lapses", totals.informed_lapses, svc.table_rows, **params)
contracts = ctx.summed("contracts_by_kind", totals.contracts_by_kind, **params)

open_broken = broken.filter(pl.col("state") == "open")
kept_late = broken.filter(pl.col("state") == "closed_late")
open_total = int(broken["open_total"][0]) if broken.height else 0
late_total = int(broken["closed_late_total"][0]) if broken.height else 0
never_told = int(broken_kinds.filter((pl.col("state") == "open") & (pl.col("told") == "never"))
                 ["cases"].sum() or 0)
lapses_total = int(lapses["lapses_total"][0]) if lapses.height else 0
due_12m = int(months["due"].sum() or 0)
held = ctx.held()
# a promise can be judged broken only where deliveries or service cases were imported
promises_held = held["has_deliveries"] or held["has_service_cases"]

# --- headline -------------------------------------------------------------------------
cols = st.columns(6)
cols[0].metric("On time, 12 months",
               fmt.percent(months["on_time"].sum() / due_12m if due_12m else None),
               help=f"{due_12m:,} deliveries promised in the last 12 months, delivered on or "
                    "before the promised day")
cols[1].metric("Overdue promises", f"{open_total:,}" if promises_held else fmt.MISSING,
               help=f"Service cases open past their due date and deliveries more than "
                    f"{svc.late_delivery_days} days late not delivered yet; {never_told:,} never "
                    "reported to the client")
cols[2].metric("Told late or never",
               f"{lapses_total:,}" if held["has_service_cases"] else fmt.MISSING,
               help=f"Cases opened in the last {history} whose client was told more than "
                    f"{svc.inform_within_days} days after opening, or not at all")
cols[3].metric("Quality issues", fmt.percent(rates["quality_rate"], 1),
               help=f"Of {rates['delivered']:,} deliveries promised in the last {window} and "
                    "delivered")
cols[4].metric("Invoice issues", fmt.percent(rates["invoice_rate"], 1),
               help=f"Of {rates['delivered']:,} deliveries promised in the last {window} and "
                    "delivered")
cols[5].metric("Renewals due",
               fmt.money(contracts["renewal_value"].sum(), cur) if held["has_contracts"]
               else fmt.MISSING,
               help=f"{int(contracts['renewals_due'].sum()):,} service contracts ending "
                    f"within {svc.renewal_days} days of the as-of date, annual value")


def broken_promises() -> None:
    """Overdue service cases and late deliveries, and those the client was not told about in
    time."""
    if not promises_held:
        say_none_held("deliveries and no service cases",
                      "no promise made after the sale can be judged kept or broken")
        return
    st.subheader(f"{open_total:,} broken promises: service cases past their due date and "
                 f"deliveries more than {svc.late_delivery_days} days late, {never_told:,} of "
                 "them never reported to the client")
    left, right = st.columns(2)
    with left:
        show_chart(drawn(service_charts.broken_promises_by_kind, broken_kinds, svc.history_days),
                   key="service_broken_kinds")
    with right:
        informed = ctx.summed("service_informed_by_month", totals.informed_by_month, **params)
        show_chart(drawn(service_charts.informed_trend, informed, svc.inform_within_days),
                   key="service_informed")

    CASE_COLUMNS = {
        "account_name": "Account",
        "kind": st.column_config.TextColumn(
            "Kind", help="A service case's kind, or Delivery: a delivery more than "
                         f"{svc.late_delivery_days} days late (promised by = the promised day)"),
        "severity": "Severity",
        "opened_on": date_column("Opened"), "due_on": date_column("Promised by"),
        "closed_on": date_column("Closed"),
        "days_overdue": count_column("Days overdue", "To the as-of date, or to the closing day"),
        "client_informed_on": date_column("Client told on"),
        "told": st.column_config.TextColumn(
            "Client told", help=f"In time: within {svc.inform_within_days} days of opening"),
        "manager_name": "Manager", "open": link_column("Account page"),
    }
    show_table(
        with_links(open_broken).select("account_name", "kind", "severity", "opened_on", "due_on",
                                       "days_overdue", "client_informed_on", "told",
                                       "manager_name", "open"),
        hide_index=True, width="stretch", column_config=CASE_COLUMNS,
        height=min(420, 38 + 35 * max(open_broken.height, 1)),
    )
    shown_of(open_broken.height, open_total, "overdue promises")

    st.markdown(f"**Client not told in time: {lapses_total:,} cases** opened in the last {history} "
                f"were reported to the client more than {svc.inform_within_days} days after "
                f"opening, {int(lapses['never_total'][0]) if lapses.height else 0:,} never.")
    show_table(
        with_links(lapses).with_columns(
            pl.when(pl.col("still_open")).then(pl.lit("Open")).otherwise(pl.lit("Closed"))
            .alias("state")).select(
            "account_name", "kind", "severity", "opened_on", "client_informed_on", "told",
            "days_to_tell", "state", "past_due", "manager_name", "open"),
        hide_index=True, width="stretch", height=300,
        column_config={**CASE_COLUMNS,
                       "days_to_tell": count_column("Days to tell", "Empty: never told"),
                       "state": "Case", "past_due": st.column_config.CheckboxColumn(
                           "Went past due")},
    )
    shown_of(lapses.height, lapses_total, "cases")

    st.markdown(f"**Promises kept late: {late_total:,}**: cases opened in the last {history} "
                "closed after the promised date, and deliveries promised in that time delivered "
                f"more than {svc.late_delivery_days} days late.")
    # a fixed label: Streamlit keys an expander by its label too, and a count in it would
    # close an open panel whenever a filter changes the count
    kept_late_panel = st.expander("The cases kept late", key="service_kept_late",
                                  on_change="rerun")
    if kept_late_panel.open:  # its table is drawn only when asked for
        with kept_late_panel:
            show_table(
                with_links(kept_late).select("account_name", "kind", "severity", "opened_on",
                                             "due_on", "closed_on", "days_overdue", "told",
                                             "manager_name", "open"),
                hide_index=True, width="stretch", height=360, column_config=CASE_COLUMNS,
            )
            shown_of(kept_late.height, late_total, "cases kept late")


def status_by_account() -> None:
    """Every account's service status (red, amber, green) and why."""
    counts = band_counts(statuses)
    st.subheader(f"Service status by account: {bands_in_words(counts)}")
    st.caption(
        f"Red: an overdue case that is high or critical or that the client was not told about, "
        f"or on-time delivery below {fmt.percent(svc.on_time_red)}. Amber: any other overdue "
        f"case, on time below {fmt.percent(svc.on_time_amber)}, "
        f"{fmt.percent(svc.closed_late_amber)} or more of the cases closed late, "
        f"{fmt.percent(svc.told_late_amber)} or more told late, or quality or invoice issues on "
        f"{fmt.percent(svc.issue_rate_amber)} of deliveries. All over the last {window} "
        "(settings: portfolio/core/settings.toml, [service]). No service data: no delivery "
        f"promised and no case opened in the last {svc.history_days} days, none open.")
    TIER_ORDER = {"strategic": 0, "key": 1, "standard": 2}
    ranked = statuses.with_columns(
        pl.col("tier").replace_strict(TIER_ORDER, default=3).alias("tier_order"),
        *[pl.when(pl.col("delivered") > 0).then(pl.col(c) / pl.col("delivered") * 100)
          .alias(c.replace("issues", "rate")) for c in ("quality_issues", "invoice_issues")],
    ).sort("band_order", "tier_order", "overdue_cases", "on_time_rate",
           descending=[False, False, True, False], nulls_last=True)
    status_table = with_links(ranked.head(svc.table_rows)).with_columns(
        fmt.label_expr("band"),
        pl.col("on_time_rate") * 100,
    ).with_columns(pl.concat_list("band").alias("band")).select(
        "band", "account_name", "tier", "manager_name", "reason", "on_time_rate",
        "deliveries_due", "quality_rate", "invoice_rate", "overdue_cases", "open")
    show_table(
        status_table,
        hide_index=True, width="stretch", height=420,
        column_config={
            # a coloured label per band, in the bands' colours (a pandas Styler did the same
            # at a third of the page's rerun)
            "band": st.column_config.MultiselectColumn(
                "Status", options=[fmt.label(band) for band in BAND_COLORS],
                color=list(BAND_COLORS.values()), width="small"),
            "account_name": "Account", "tier": "Tier",
            "manager_name": "Manager", "reason": st.column_config.TextColumn("Why", width="large"),
            "on_time_rate": percent_column("On time"),
            "deliveries_due": count_column("Deliveries due"),
            "quality_rate": percent_column("Quality issues", "Of the deliveries made"),
            "invoice_rate": percent_column("Invoice issues", "Of the deliveries made"),
            "overdue_cases": count_column("Overdue cases"),
            "open": link_column("Account page"),
        },
    )
    shown_of(status_table.height, ranked.height, "accounts")


def deliveries() -> None:
    """On-time delivery over time and per manager; the late and overdue deliveries."""
    if not held["has_deliveries"]:
        say_none_held("deliveries",
                      "no delivery can be judged on time or late")
        return
    late = ctx.summed("delivery_late", totals.late_deliveries, svc.table_rows, **params)
    late_count = int(late["late_total"][0]) if late.height else 0
    outstanding_count = int(late["outstanding_total"][0]) if late.height else 0
    st.subheader(f"Deliveries: {late_count:,} delivered late and {outstanding_count:,} overdue "
                 f"for delivery in the last {history}")
    managers = by_manager(statuses)
    left, right = st.columns(2)
    with left:
        show_chart(drawn(service_charts.on_time_trend, months, target=svc.on_time_amber),
                   key="service_on_time")
    with right:
        show_chart(drawn(service_charts.on_time_by_manager, managers, svc.on_time_red,
                         svc.on_time_amber, svc.min_deliveries, svc.status_window_days),
                   key="service_on_time_managers")
    show_table(
        with_links(late).with_columns(
            pl.col("state").replace({"Outstanding": "Not delivered yet"})).select(
            "account_name", "deal_name", "promised_on", "delivered_on", "state", "days_late",
            "quality_issue", "invoice_issue", "manager_name", "open"),
        hide_index=True, width="stretch", height=320,
        column_config={
            "account_name": "Account", "deal_name": "Deal", "promised_on": date_column("Promised"),
            "delivered_on": date_column("Delivered"), "state": "State",
            "days_late": count_column("Days late", "To the delivery, or to the as-of date"),
            "quality_issue": st.column_config.CheckboxColumn("Quality issue"),
            "invoice_issue": st.column_config.CheckboxColumn("Invoice issue"),
            "manager_name": "Manager", "open": link_column("Account page"),
        },
    )
    shown_of(late.height, late_count + outstanding_count, "late deliveries")
    st.markdown(f"**By manager, last {window}**: deliveries promised, on time, quality and "
                "invoice issues, and the service status of their accounts.")
    show_table(
        managers.with_columns(pl.col("on_time_rate", "quality_rate", "invoice_rate") * 100).select(
            "manager_name", "accounts", "deliveries_due", "on_time_rate", "delivered_late",
            "outstanding", "quality_rate", "invoice_rate", "overdue_cases", "red", "amber"),
        hide_index=True, width="stretch", height=min(420, 38 + 35 * max(managers.height, 1)),
        column_config={
            "manager_name": "Manager", "accounts": count_column("Accounts"),
            "deliveries_due": count_column("Deliveries due"),
            "on_time_rate": percent_column("On time"),
            "delivered_late": count_column("Delivered late"),
            "outstanding": count_column("Not delivered yet"),
            "quality_rate": percent_column("Quality issues", "Of the deliveries made"),
            "invoice_rate": percent_column("Invoice issues", "Of the deliveries made"),
            "overdue_cases": count_column("Overdue cases"),
            "red": count_column("Red accounts"), "amber": count_column("Amber accounts"),
        },
    )


def cases_and_setup() -> None:
    """Service cases by kind and state; installation and training after delivery."""
    if not held["has_service_cases"]:
        say_none_held("service cases",
                      "no case, installation or training can be followed")
        return
    st.subheader("Service cases by kind and state, installation and training")
    left, right = st.columns([3, 2])
    with left:
        cases_kinds = ctx.run("service_cases_by_kind", **params)
        show_chart(drawn(service_charts.cases_by_kind, cases_kinds, svc.history_days),
                   key="service_cases_kinds")
    with right:
        show_chart(drawn(service_charts.setup_status,
                         ctx.summed("service_setup_status", totals.setup_status, **params),
                         svc.setup_days), key="service_setup")
    ages = cases_kinds.pivot(on="state", index="kind", values=["cases", "median_age_days"])
    for state in ("pending", "overdue", "done", "late"):
        for column in (f"cases_{state}", f"median_age_days_{state}"):
            if column not in ages.columns:
                ages = ages.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
    st.markdown(f"**Ages by kind**: days open so far for open cases, days taken for those closed "
                f"(median; cases opened in the last {history} or still open).")
    show_table(
        ages.with_columns(fmt.label_expr("kind"),
                          pl.col("^cases_.*$").fill_null(0)).select(
            "kind", "cases_pending", "median_age_days_pending", "cases_overdue",
            "median_age_days_overdue", "cases_done", "median_age_days_done", "cases_late",
            "median_age_days_late"),
        hide_index=True, width="stretch",
        column_config={
            "kind": "Kind", "cases_pending": count_column("Open, not yet due"),
            "median_age_days_pending": count_column("… days open"),
            "cases_overdue": count_column("Open, overdue"),
            "median_age_days_overdue": count_column("… days open"),
            "cases_done": count_column("Done on time"),
            "median_age_days_done": count_column("… days to close"),
            "cases_late": count_column("Done late"),
            "median_age_days_late": count_column("… days to close"),
        },
    )
    setup = ctx.summed("service_setup_accounts", totals.setup_accounts, svc.table_rows, **params)
    st.markdown(f"**Installation and training at accounts with recent deliveries** (last "
                f"{svc.setup_days} days), overdue first.")
    show_table(
        with_links(setup).select(
            "account_name", "deliveries", "last_delivered_on", "installations_done",
            "installations_pending", "installations_overdue", "trainings_done",
            "trainings_pending", "trainings_overdue", "manager_name", "open"),
        hide_index=True, width="stretch", height=320,
        column_config={
            "account_name": "Account", "deliveries": count_column("Deliveries"),
            "last_delivered_on": date_column("Last delivered"),
            "installations_done": count_column("Installations done"),
            "installations_pending": count_column("… pending"),
            "installations_overdue": count_column("… overdue"),
            "trainings_done": count_column("Trainings done"),
            "trainings_pending": count_column("… pending"),
            "trainings_overdue": count_column("… overdue"),
            "manager_name": "Manager", "open": link_column("Account page"),
        },
    )
    shown_of(setup.height, int(setup["accounts_total"][0]) if setup.height else 0, "accounts")


def contracts_and_renewals() -> None:
    """Service contracts by kind and the renewals coming due."""
    if not held["has_contracts"]:
        say_none_held("service contracts",
                      "no renewal can be seen coming due")
        return
    renewals = ctx.summed("contracts_renewals", totals.renewals, svc.table_rows, **params)
    renewals_total = int(renewals["renewals_total"][0]) if renewals.height else 0
    st.subheader(f"Service contracts: {renewals_total:,} renewals due within "
                 f"{svc.renewal_days} days")
    left, right = st.columns([2, 3])
    with left:
        show_chart(drawn(service_charts.contracts_by_kind, contracts, cur, svc.renewal_days),
                   key="service_contracts")
    with right:
        show_table(
            with_links(renewals).select("account_name", "kind", "annual_value", "ends_on",
                                        "days_left", "auto_renew", "manager_name", "open"),
            hide_index=True, width="stretch", height=380,
            column_config={
                "account_name": "Account", "kind": "Kind",
                "annual_value": money_column("Annual value", cur), "ends_on": date_column("Ends"),
                "days_left": count_column("Days left"),
                "auto_renew": st.column_config.CheckboxColumn("Renews by itself"),
                "manager_name": "Manager", "open": link_column("Account page"),
            },
        )
        shown_of(renewals.height, renewals_total, "renewals")


def revenue_mix() -> None:
    """Revenue by kind over time; where after-sales out-sells equipment."""
    if not (held["has_finance_revenue"] or held["has_contracts"]):
        say_none_held("revenue by stream and no service contracts",
                      "after-sales revenue cannot be told apart from equipment")
        return
    mix = ctx.summed("revenue_mix_by_account", totals.revenue_mix, svc.table_rows, **params)
    led = int(mix["aftersales_led_total"][0]) if mix.height else 0
    st.subheader(f"Revenue mix: after-sales out-sells equipment at {led:,} accounts")
    from_deals = int(mix["from_deals_total"][0]) if mix.height else 0
    if from_deals:
        st.caption(f":material/info: Revenue from won deals: no finance data imported for "
                   f"{fmt.plural(from_deals, 'account')} (their won deals' value counts as "
                   "equipment, service contracts over their term as after-sales).")
    left, right = st.columns(2)
    with left:
        show_chart(drawn(account_charts.revenue_mix,
                         ctx.summed("revenue_mix_by_month", totals.revenue_mix_by_month), cur),
                   key="service_revenue_mix")
    with right:
        show_chart(drawn(service_charts.aftersales_vs_equipment, mix, cur),
                   key="service_aftersales")
    show_table(
        with_links(mix, tab="Attractiveness").with_columns(  # its revenue mix
            pl.col("aftersales_share", "aftersales_share_before") * 100).select(
            "account_name", "tier", "revenue", "equipment", "service", "consumables", "spares",
            "aftersales_share", "aftersales_share_before", "aftersales_led", "manager_name",
            "open"),
        hide_index=True, width="stretch", height=380,
        column_config={
            "account_name": "Account", "tier": "Tier",
            "revenue": money_column("Revenue, 12 months", cur),
            "equipment": money_column("Equipment", cur), "service": money_column("Service", cur),
            "consumables": money_column("Consumables", cur),
            "spares": money_column("Spare parts", cur),
            "aftersales_share": percent_column("After-sales share"),
            "aftersales_share_before": percent_column("… 12 months before"),
            "aftersales_led": st.column_config.CheckboxColumn(
                "After-sales out-sells equipment"),
            "manager_name": "Manager", "open": link_column("Account page"),
        },
    )
    shown_of(mix.height, int(mix["accounts_total"][0]) if mix.height else 0, "accounts")


def postsale_checklist() -> None:
    """Every deal won in 12 months, checked after the sale: deliveries on time, quality and
    invoices, installation and training, the client told of problems."""
    if not promises_held:
        say_none_held("deliveries and no service cases",
                      "no won deal can be checked after the sale")
        return
    checks = ctx.summed("postsale_checklist", totals.postsale_checklist, svc.table_rows,
                        **params)
    first = checks.row(0, named=True) if checks.height else {}
    deals_total, open_total_ = first.get("deals_total", 0), first.get("with_open_points", 0)
    st.subheader(f"Post-sale checklist: {open_total_:,} of {deals_total:,} deals won in the "
                 f"last {history} have open points")
    st.caption(
        "The seed: the seller follows the client after every deal, so that there are no "
        "problems with the delivery schedule, quality or invoices, and sees to installation "
        f"and training. Late: more than {svc.late_delivery_days} days after the promised day. "
        "Installation needed for "
        + (", ".join(svc.installation_lines) or "no product line") + "; training for "
        + (", ".join(svc.training_lines) or "no product line")
        + " (settings: [service] installation_lines, training_lines). Missing: delivered, but "
        "no such service case opened since the deal was won.")
    cols = st.columns(4)
    cols[0].metric("With a late delivery", f"{first.get('late_total', 0):,}")
    cols[1].metric("With quality or invoice issues", f"{first.get('issues_total', 0):,}")
    cols[2].metric("Installation or training missing", f"{first.get('setup_missing_total', 0):,}")
    cols[3].metric("Client not told of a late delivery", f"{first.get('not_told_total', 0):,}")
    show_table(
        with_links(checks).with_columns(fmt.label_expr("installation", "training")).select(
            "account_name", "deal_name", "product_line", "closed_on", "value", "deliveries",
            "on_time", "late", "to_come", "quality_issues", "invoice_issues", "installation",
            "training", "not_told", "open_points", "manager_name", "open"),
        hide_index=True, width="stretch", height=420,
        column_config={
            "account_name": "Account", "deal_name": "Deal", "product_line": "Product line",
            "closed_on": date_column("Won on"), "value": money_column("Value", cur),
            "deliveries": count_column("Deliveries due"), "on_time": count_column("On time"),
            "late": count_column("Late", f"More than {svc.late_delivery_days} days late"),
            "to_come": count_column("To come"),
            "quality_issues": count_column("Quality issues"),
            "invoice_issues": count_column("Invoice issues"),
            "installation": "Installation", "training": "Training",
            "not_told": count_column(
                "Client not told", f"Late deliveries the client was not told of within "
                                   f"{svc.inform_within_days} days of the promised day"),
            "open_points": count_column("Open points"),
            "manager_name": "Manager", "open": link_column("Account page"),
        },
    )
    shown_of(checks.height, deals_total, "deals")


show_sections({
    "Broken promises": broken_promises,
    "Post-sale checklist": postsale_checklist,
    "By account": status_by_account,
    "Deliveries": deliveries,
    "Cases and setup": cases_and_setup,
    "Contracts": contracts_and_renewals,
    "Revenue mix": revenue_mix,
}, key="service_tab")
