"""Charts of post-sale service: (frame) -> figure.

Every title states what the data shows; colours come from the theme: STATUS_COLORS for
on time / late / pending / overdue, BAND_COLORS for green / amber / red judgements,
CONTRACT_KIND_COLORS and TIER_COLORS.
"""

from __future__ import annotations

import textwrap

import plotly.graph_objects as go
import polars as pl

from portfolio.charts.theme import (
    BAND_COLORS,
    CONTRACT_KIND_COLORS,
    STATUS_COLORS,
    TIER_COLORS,
    add_level_line,
    base_layout,
    money_axis_ticks,
    set_axes,
)
from portfolio.core import fmt

CASE_KINDS = ("installation", "training", "maintenance", "repair", "upgrade", "complaint",
              "invoicing")
CASE_STATES = {"done": "Done on time", "late": "Done late", "pending": "Open, not yet due",
               "overdue": "Open, overdue", "cancelled": "Cancelled"}
HATCH = {"shape": "/", "fgcolor": "rgba(0,0,0,0.5)", "solidity": 0.3, "fillmode": "overlay"}


def _month(value) -> str:
    return value.strftime("%b %Y")


def wrap_title(fig: go.Figure, chars: int = 58, plot_width: int = 380) -> go.Figure:
    """Break a long finding into lines of at most `chars` characters and make room above
    the plot for the title lines and the legend (charts often sit in half-width columns,
    where Plotly would cut a one-line title off)."""
    title = fig.layout.title.text or ""
    lines = textwrap.wrap(title, chars) if "<br>" not in title else title.split("<br>")
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    legend_rows = 0
    if len(names) > 1 and fig.layout.showlegend is not False:
        # Plotly puts a legend that does not fit in one row on a grid of its widest entry
        widths = [len(n) * 7 + 40 for n in names]
        per_row = len(names) if sum(widths) <= plot_width else max(1, plot_width // max(widths))
        legend_rows = -(-len(names) // per_row)
    layout = fig.layout  # set directly: update_layout's "title_text" paths cost ~2 ms
    layout.title.text = "<br>".join(lines)
    layout.margin.t = 24 + 21 * len(lines) + 22 * legend_rows + 8 * (legend_rows > 0)
    if len(lines) > 1:  # Plotly lifts a multi-line title above its top anchor by ~14 px
        layout.title.y = 1 - 22 / (layout.height or 450)
    return fig


def on_time_trend(months: pl.DataFrame, target: float | None = None) -> go.Figure:
    """On-time delivery rate per month of promised delivery (deliveries_by_month rows:
    month, due, on_time, late, outstanding, on_time_rate), with an optional target line."""
    if months.height:
        last = months.row(-1, named=True)
        title = (f"On-time delivery {fmt.percent(last['on_time_rate'])} in "
                 f"{_month(last['month'])}, "
                 f"{fmt.percent(months['on_time'].sum() / months['due'].sum())} over 12 months")
    else:
        title = "No deliveries were due in the last 12 months"
    fig = go.Figure(go.Scatter(
        x=months["month"].to_list(), y=(months["on_time_rate"] * 100).to_list(),
        mode="lines+markers", line={"color": STATUS_COLORS["on_time"], "width": 3},
        hovertext=[f"{_month(m)}: {fmt.percent(r)} on time<br>{d} due, {late} late, "
                   f"{o} outstanding"
                   for m, r, d, late, o in months.select("month", "on_time_rate", "due", "late",
                                                         "outstanding").iter_rows()],
        hoverinfo="text", name="On time",
    ))
    base_layout(fig, title, "Month of promised delivery", "Delivered on time (%)")
    set_axes(fig, "y", range=[0, 105], ticksuffix=" %")
    if target is not None:
        add_level_line(fig, "y", target * 100,
                       {"color": BAND_COLORS["amber"], "dash": "dash", "width": 1.5},
                       label=f"target {fmt.percent(target)}")
    return wrap_title(fig)


def on_time_by_manager(managers: pl.DataFrame, red_below: float, amber_below: float,
                       min_deliveries: int, window_days: int, top: int = 15) -> go.Figure:
    """Per manager (portfolio.read.service.by_manager rows): on-time rate of the deliveries due
    in the status window, worst first, coloured by the service-status thresholds."""
    judged = managers.filter(pl.col("deliveries_due") >= min_deliveries)
    rows = judged.sort("on_time_rate", "manager_name").head(top)
    if rows.height:
        worst, best = rows.row(0, named=True), judged.sort("on_time_rate").row(-1, named=True)
        below = judged.filter(pl.col("on_time_rate") < amber_below).height
        title = (f"{below:,} of {fmt.plural(judged.height, 'manager')} below "
                 f"{fmt.percent(amber_below)} on time; worst {worst['manager_name']} "
                 f"{fmt.percent(worst['on_time_rate'])}, best {best['manager_name']} "
                 f"{fmt.percent(best['on_time_rate'])}")
    else:
        title = f"No manager had {min_deliveries} or more deliveries due in {window_days} days"
    shown = rows.reverse()
    colours = [BAND_COLORS["red"] if r < red_below else BAND_COLORS["amber"] if r < amber_below
               else BAND_COLORS["green"] for r in shown["on_time_rate"]]
    fig = go.Figure(go.Bar(
        y=shown["manager_name"].to_list(), x=(shown["on_time_rate"] * 100).to_list(),
        orientation="h", marker_color=colours,
        text=[fmt.percent(r) for r in shown["on_time_rate"]], textposition="auto",
        hovertext=[f"{m}: {fmt.percent(r)} on time<br>{due} due, {late} delivered late, "
                   f"{out} outstanding<br>quality issues {fmt.percent(q)}, invoice issues "
                   f"{fmt.percent(i)} of {d} delivered<br>{a} accounts"
                   for m, r, due, late, out, q, i, d, a in shown.select(
                       "manager_name", "on_time_rate", "deliveries_due", "delivered_late",
                       "outstanding", "quality_rate", "invoice_rate", "delivered",
                       "accounts").iter_rows()],
        hoverinfo="text", name="On time",
    ))
    more = f"; worst {top} of {judged.height} managers" if judged.height > top else ""
    base_layout(fig, title, f"On time, deliveries due in {window_days} days (%){more}", "",
                height=max(300, 90 + 26 * shown.height))
    set_axes(fig, "x", range=[0, 105], ticksuffix=" %")
    set_axes(fig, "y", automargin=True)
    return wrap_title(fig)


def broken_promises_by_kind(broken: pl.DataFrame, history_days: int) -> go.Figure:
    """Broken promises per kind (service_broken_by_kind rows: service cases by their kind,
    late deliveries as "delivery"): open past due and closed late, the part the client was
    never told about hatched."""
    open_total = int(broken.filter(pl.col("state") == "open")["cases"].sum() or 0)
    open_never = int(broken.filter((pl.col("state") == "open") & (pl.col("told") == "never"))
                     ["cases"].sum() or 0)
    late_total = int(broken.filter(pl.col("state") == "closed_late")["cases"].sum() or 0)
    title = (f"{fmt.plural(open_total, 'promise')} overdue now, {open_never:,} never told to the "
             f"client; {late_total:,} kept late in {history_days} days")
    kinds = [k for k in ("delivery", *CASE_KINDS) if k in set(broken["kind"])]
    fig = go.Figure()
    parts = (("open", False, "Overdue", STATUS_COLORS["overdue"]),
             ("open", True, "Overdue, not told", STATUS_COLORS["overdue"]),
             ("closed_late", False, "Kept late", STATUS_COLORS["late"]),
             ("closed_late", True, "Kept late, not told", STATUS_COLORS["late"]))
    for state, never, name, colour in parts:
        rows = broken.filter((pl.col("state") == state)
                             & ((pl.col("told") == "never") == never)).group_by("kind").agg(
            pl.col("cases").sum(), pl.col("max_days_overdue").max())
        counts = dict(zip(rows["kind"], rows["cases"], strict=True))
        worst = dict(zip(rows["kind"], rows["max_days_overdue"], strict=True))
        if not counts:
            continue
        fig.add_trace(go.Bar(
            y=[fmt.label(k) for k in kinds], x=[counts.get(k, 0) for k in kinds],
            orientation="h", name=name,
            marker={"color": colour, "pattern": HATCH if never else {}},
            hovertext=[f"{fmt.label(k)}: {counts.get(k, 0)} {name.lower()}"
                       + (f"<br>up to {fmt.plural(worst[k], 'day')} overdue" if k in worst
                          else "") for k in kinds],
            hoverinfo="text",
        ))
    fig.layout.barmode = "stack"
    base_layout(fig, title, "Promises past the promised date (count)", "Kind")
    set_axes(fig, "y", categoryorder="array", categoryarray=[fmt.label(k) for k in kinds][::-1])
    return wrap_title(fig)


def informed_trend(months: pl.DataFrame, inform_within_days: int) -> go.Figure:
    """Per month of opening (service_informed_by_month rows): cases whose client was told in
    time, late, never, or not yet."""
    in_time, late, never = (int(months[c].sum() or 0) for c in ("in_time", "late", "never"))
    judged = in_time + late + never
    if judged:
        title = (f"Client told within {fmt.plural(inform_within_days, 'day')} for "
                 f"{fmt.percent(in_time / judged)} of cases; {never:,} never told, {late:,} told "
                 "late in 12 months")
    else:
        title = "No service cases opened in the last 12 months"
    fig = go.Figure()
    parts = (("in_time", f"Told within {inform_within_days} days", STATUS_COLORS["done"]),
             ("late", "Told late", STATUS_COLORS["late"]),
             ("never", "Not told", STATUS_COLORS["overdue"]),
             ("waiting", "Too recent to judge", STATUS_COLORS["pending"]))
    for column, name, colour in parts:
        if not months[column].sum():
            continue
        fig.add_trace(go.Bar(
            x=months["month"].to_list(), y=months[column].to_list(), name=name,
            marker_color=colour,
            hovertext=[f"{_month(m)}: {v} of {c} cases {name.lower()}"
                       for m, v, c in months.select("month", column, "cases").iter_rows()],
            hoverinfo="text",
        ))
    fig.layout.barmode = "stack"
    base_layout(fig, title, "Month the case was opened", "Service cases (count)")
    return wrap_title(fig)


def cases_by_kind(kinds: pl.DataFrame, history_days: int) -> go.Figure:
    """Service cases per kind and state on the as-of date (service_cases_by_kind rows)."""
    total = int(kinds["cases"].sum() or 0)
    late = int(kinds.filter(pl.col("state") == "late")["cases"].sum() or 0)
    closed = int(kinds.filter(pl.col("state").is_in(["done", "late"]))["cases"].sum() or 0)
    overdue = int(kinds.filter(pl.col("state") == "overdue")["cases"].sum() or 0)
    pending = int(kinds.filter(pl.col("state") == "pending")["cases"].sum() or 0)
    if total:
        title = (f"{total:,} cases: {fmt.percent(late / closed if closed else None)} of those "
                 f"closed were late; {overdue + pending:,} open, {overdue:,} of them overdue")
    else:
        title = f"No service cases opened in the last {history_days} days"
    present = [k for k in CASE_KINDS if k in set(kinds["kind"])]
    fig = go.Figure()
    for state, name in CASE_STATES.items():
        rows = kinds.filter(pl.col("state") == state)
        if rows.height == 0:
            continue
        facts = {r["kind"]: r for r in rows.iter_rows(named=True)}
        age = "days open" if state in ("pending", "overdue") else "days to close"
        fig.add_trace(go.Bar(
            y=[fmt.label(k) for k in present],
            x=[facts[k]["cases"] if k in facts else 0 for k in present],
            orientation="h", name=name, marker_color=STATUS_COLORS[state],
            hovertext=[_case_hover(k, name, facts.get(k), age) for k in present],
            hoverinfo="text",
        ))
    fig.layout.barmode = "stack"
    base_layout(fig, title, f"Service cases opened in the last {history_days} days or still "
                "open (count)", "Kind of case", height=400)
    set_axes(fig, "y", categoryorder="array", categoryarray=[fmt.label(k) for k in present][::-1])
    return wrap_title(fig)


def _case_hover(kind: str, state: str, facts: dict | None, age: str) -> str:
    if not facts:
        return f"{fmt.label(kind)}: no case {state.lower()}"
    text = f"{fmt.label(kind)}: {facts['cases']} {state.lower()}"
    if facts["median_age_days"] is not None:
        text += (f"<br>median {facts['median_age_days']:.0f} {age}, "
                 f"longest {facts['max_age_days']}")
    return text


def setup_status(setup: pl.DataFrame, setup_days: int) -> go.Figure:
    """Installation and training cases of recent deliveries: done, pending, overdue
    (service_setup_status rows)."""
    overdue = int(setup.filter(pl.col("state") == "overdue")["cases"].sum() or 0)
    pending = int(setup.filter(pl.col("state") == "pending")["cases"].sum() or 0)
    done = int(setup.filter(pl.col("state") == "done")["cases"].sum() or 0)
    total = overdue + pending + done
    if total:
        title = (f"Installation and training: {done:,} of {total:,} done, {pending:,} pending, "
                 f"{overdue:,} overdue")
    else:
        title = f"No installation or training opened in the last {setup_days} days"
    kinds = ["installation", "training"]
    fig = go.Figure()
    for state in ("done", "pending", "overdue"):
        rows = {r["kind"]: r for r in setup.filter(pl.col("state") == state).iter_rows(
            named=True)}
        age = "days to close" if state == "done" else "days open"
        fig.add_trace(go.Bar(
            y=[fmt.label(k) for k in kinds],
            x=[rows[k]["cases"] if k in rows else 0 for k in kinds],
            orientation="h", name=fmt.label(state), marker_color=STATUS_COLORS[state],
            hovertext=[_case_hover(k, fmt.label(state), rows.get(k), age) for k in kinds],
            hoverinfo="text",
        ))
    fig.layout.barmode = "stack"
    base_layout(fig, title, f"Cases opened in the last {setup_days} days (count)", "",
                height=260)
    set_axes(fig, "y", categoryorder="array", categoryarray=["Training", "Installation"])
    return wrap_title(fig, chars=44, plot_width=220)


def contracts_by_kind(contracts: pl.DataFrame, currency: str, renewal_days: int) -> go.Figure:
    """Annual value of the service contracts running on the as-of date per kind, the part
    up for renewal within `renewal_days` hatched (contracts_by_kind rows)."""
    total, due = contracts["annual_value"].sum(), contracts["renewal_value"].sum()
    count_due = int(contracts["renewals_due"].sum() or 0)
    if total:
        title = (f"{fmt.money(total, currency)} a year in service contracts; "
                 f"{fmt.money(due, currency)} ({fmt.plural(count_due, 'contract')}) up for "
                 f"renewal within {renewal_days} days")
    else:
        title = "No service contract running on the as-of date"
    labels = [fmt.label(k) for k in contracts["kind"]]
    colours = [CONTRACT_KIND_COLORS[k] for k in contracts["kind"]]
    running = (contracts["annual_value"] - contracts["renewal_value"]).to_list()
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=labels, y=running, name="Running on", marker_color=colours,
        hovertext=[f"{fmt.label(k)}: {n - r} contracts running on, "
                   f"{fmt.money(v, currency)} a year"
                   for k, n, r, v in zip(contracts["kind"], contracts["contracts"],
                                         contracts["renewals_due"], running, strict=True)],
        hoverinfo="text",
    ))
    fig.add_trace(go.Bar(
        x=labels, y=contracts["renewal_value"].to_list(),
        name=f"Renewal due within {renewal_days} days",
        marker={"color": colours, "pattern": HATCH},
        hovertext=[f"{fmt.label(k)}: {r} up for renewal ({a} renew by themselves), "
                   f"{fmt.money(v, currency)} a year"
                   for k, r, a, v in contracts.select("kind", "renewals_due",
                                                      "renewals_automatic",
                                                      "renewal_value").iter_rows()],
        hoverinfo="text",
    ))
    fig.layout.barmode = "stack"
    base_layout(fig, title, "Kind of contract", f"Annual value ({currency})")
    money_axis_ticks(fig, currency)
    return wrap_title(fig, chars=44, plot_width=220)


def aftersales_vs_equipment(accounts: pl.DataFrame, currency: str) -> go.Figure:
    """Per account (revenue_mix_by_account rows): after-sales against equipment revenue of
    the last twelve months; above the diagonal after-sales out-sells equipment."""
    if accounts.height:
        first = accounts.row(0, named=True)
        led, total = first["aftersales_led_total"], first["accounts_total"]
        revenue = fmt.money(first["aftersales_led_revenue"], currency)
        title = (f"{led:,} of {fmt.plural(total, 'account')} ({revenue} revenue) earn more from "
                 "service, consumables and spares than from equipment: above the line")
    else:
        title = "No revenue in the last twelve months"
    fig = go.Figure()
    largest = max(accounts["revenue"].max() or 1, 1) if accounts.height else 1
    for tier in ("strategic", "key", "standard"):
        part = accounts.filter(pl.col("tier") == tier)
        if part.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=part["equipment"].to_list(), y=part["aftersales"].to_list(), mode="markers",
            name=fmt.label(tier),
            marker={"color": TIER_COLORS[tier], "line": {"width": 0.5, "color": "#333"},
                    "size": [7 + 28 * (v / largest) ** 0.5 for v in part["revenue"]]},
            hovertext=[f"{n}<br>equipment {fmt.money(e, currency)} · after-sales "
                       f"{fmt.money(a, currency)} ({fmt.percent(s)} of "
                       f"{fmt.money(r, currency)})<br>service {fmt.money(sv, currency)}, "
                       f"consumables {fmt.money(c, currency)}, spares {fmt.money(sp, currency)}"
                       for n, e, a, s, r, sv, c, sp in part.select(
                           "account_name", "equipment", "aftersales", "aftersales_share",
                           "revenue", "service", "consumables", "spares").iter_rows()],
            hoverinfo="text",
        ))
    top = max((accounts["equipment"].max() or 0), (accounts["aftersales"].max() or 0), 1) \
        if accounts.height else 1
    fig.add_shape(type="line", x0=0, y0=0, x1=top * 1.05, y1=top * 1.05,
                  line={"color": "#999", "dash": "dot", "width": 1})
    shown = "" if not accounts.height or accounts.height >= accounts["accounts_total"][0] \
        else f" ({accounts.height} largest of {accounts['accounts_total'][0]})"
    base_layout(fig, title, f"Equipment revenue, last 12 months ({currency}){shown}",
                f"Service + consumables + spares ({currency})", height=440)
    money_axis_ticks(fig, currency)
    money_axis_ticks(fig, currency, axis="x")
    return wrap_title(fig)
