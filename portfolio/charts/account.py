"""Charts of one account: (frame) -> figure.

Colours come from the theme (REVENUE_COLORS, STAGE_COLORS, ATTITUDE_COLORS,
CASE_KIND_COLORS, STATUS_COLORS for overdue, RISK_COLORS for the severity of relationship
events). A single-series trend has no category to colour, so
it is drawn in one neutral ink, TREND_INK.
"""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl

from portfolio.charts.service import wrap_title
from portfolio.charts.theme import (
    ATTITUDE_COLORS,
    CASE_KIND_COLORS,
    REVENUE_COLORS,
    RISK_COLORS,
    STAGE_COLORS,
    STAGE_ORDER,
    STATUS_COLORS,
    base_layout,
    money_axis_ticks,
    set_axes,
)
from portfolio.core import fmt

TREND_INK = "#34495e"
ROLES = ("initiator", "user", "influencer", "gatekeeper", "buyer", "decider", "approver")
ATTITUDES = ("champion", "supporter", "neutral", "skeptic", "opponent")
EVENT_LANES = {
    "kam_changed": "Manager changed",
    "key_contact_left": "Key contact left",
    "promise_broken": "Promise broken",
    "complaint_escalated": "Complaint escalated",
    "price_dispute": "Price dispute",
    "personal_conflict": "Personal conflict",
    "culture_clash": "Culture clash",
}
SOURCE_SYMBOLS = {"recorded": "circle", "contacts": "diamond", "service": "square"}
SOURCE_NAMES = {"recorded": "recorded event", "contacts": "from the contacts",
                "service": "from the service cases"}


def revenue_mix(monthly: pl.DataFrame, currency: str, streams_known: bool = True) -> go.Figure:
    """Stacked monthly revenue by stream: where after-sales out-sells equipment. Without
    `streams_known` (no finance feed and no service contracts: revenue is won deals alone)
    one series of won deals, and a title that claims no mix."""
    streams = ("equipment", "service", "consumables", "spares")
    totals = {s: monthly[s].sum() for s in streams}
    aftersales = totals["service"] + totals["consumables"] + totals["spares"]
    months = f" over {fmt.plural(monthly.height, 'month')}" if monthly.height else ""
    if streams_known:
        verdict = "out-sell" if aftersales > totals["equipment"] else "trail"
        title = (f"Service, consumables and spares {verdict} equipment{months}: "
                 f"{fmt.money(aftersales, currency)} vs "
                 f"{fmt.money(totals['equipment'], currency)}")
    else:
        streams = ("equipment",)
        title = (f"Revenue from won deals{months}: {fmt.money(totals['equipment'], currency)}; "
                 "no finance data or service contracts, so after-sales is not known")
    fig = go.Figure()
    for stream in streams:
        name = stream.capitalize() if streams_known else "Won deals"
        fig.add_trace(go.Bar(
            x=monthly["month"].to_list(), y=monthly[stream].to_list(), name=name,
            marker_color=REVENUE_COLORS[stream],
            hovertext=[f"{m.strftime('%b %Y')} · {name.lower()}: {fmt.money(v, currency)}"
                       for m, v in monthly.select("month", stream).iter_rows()],
            hoverinfo="text",
        ))
    fig.layout.barmode = "stack"
    base_layout(fig, title, "Month", f"Revenue ({currency})")
    money_axis_ticks(fig, currency)
    return wrap_title(fig)


def metric_trend(monthly: pl.DataFrame, column: str, name: str, unit: str,
                 y_range: tuple[float, float] | None = None) -> go.Figure:
    """One monthly indicator of the account over time, titled with its move."""
    rows = monthly.drop_nulls(column)
    if rows.height >= 2:
        first, last = rows.row(0, named=True), rows.row(-1, named=True)
        title = (f"{name} {_value(first[column], unit)} → {_value(last[column], unit)}<br>"
                 f"{first['month'].strftime('%b %Y')} to {last['month'].strftime('%b %Y')}")
    elif rows.height:
        title = f"{name} {_value(rows[column][0], unit)}<br>one month of data"
    else:
        title = f"{name}: nothing recorded in the 24 months"
    fig = go.Figure(go.Scatter(
        x=rows["month"].to_list(), y=rows[column].to_list(), mode="lines+markers",
        line={"color": TREND_INK, "width": 2.5}, marker={"size": 5}, name=name,
        hovertext=[f"{m.strftime('%b %Y')}: {name.lower()} {_value(v, unit)}"
                   for m, v in rows.select("month", column).iter_rows()],
        hoverinfo="text",
    ))
    axis = "Percent" if unit == "%" else "Score (0–100)"  # the title names the measure
    base_layout(fig, title, "Month", axis, height=300)
    if y_range:
        set_axes(fig, "y", range=list(y_range))
    if unit == "%":
        set_axes(fig, "y", ticksuffix=" %")
    return wrap_title(fig)


def _value(value: float, unit: str) -> str:
    return f"{value:.1f} %" if unit == "%" else f"{value:.0f}"


def client_indicators(monthly: pl.DataFrame) -> go.Figure:
    """The client's own market share and financial health over time (kept for callers of
    the first version; the account page draws them as separate metric_trend charts)."""
    return metric_trend(monthly, "client_market_share_pct", "Client market share", "%")


def open_deals(deals: pl.DataFrame, currency: str, top: int = 15,
               buying_centers: bool = True) -> go.Figure:
    """The account's open deals (account_deals rows): value by deal, coloured by stage,
    labelled with the buying-center roles covered (with `buying_centers`: the database
    holds some; else with the days in the stage, and nothing said of roles)."""
    total = deals["value"].sum() if deals.height else 0
    no_decider = deals.filter(~pl.col("decider_met")).height
    single = deals.filter(pl.col("people_covering") == 1).height
    if deals.height:
        title = f"{fmt.plural(deals.height, 'open deal')} worth {fmt.money(total, currency)}"
        if buying_centers:
            title += f"; {no_decider} without a decider met, {single} single-threaded"
    else:
        title = "No open deals on the as-of date"
    rows = deals.head(top).reverse()
    fig = go.Figure()
    for stage in STAGE_ORDER[:4]:
        part = rows.filter(pl.col("stage") == stage)
        if part.height == 0:
            continue
        fig.add_trace(go.Bar(
            y=part["deal_name"].to_list(), x=part["value"].to_list(), orientation="h",
            name=fmt.label(stage), marker_color=STAGE_COLORS[stage],
            text=[f"{r} of 7 roles" if buying_centers else fmt.plural(d, "day")
                  for r, d in part.select("roles_covered", "days_in_stage").iter_rows()],
            textposition="auto",
            hovertext=[f"{n}<br>{fmt.label(stage)} for {fmt.plural(d, 'day')} · "
                       f"{fmt.money(v, currency)}" + (
                           f"<br>{r} of 7 roles covered by "
                           f"{fmt.plural(p, 'person', 'people')}; decider "
                           f"{'met' if dm else 'not met'}, approver "
                           f"{'met' if am else 'not met'}" if buying_centers else "")
                       for n, d, v, r, p, dm, am in part.select(
                           "deal_name", "days_in_stage", "value", "roles_covered",
                           "people_covering", "decider_met", "approver_met").iter_rows()],
            hoverinfo="text",
        ))
    more = f" ({top} largest of {deals.height})" if deals.height > top else ""
    base_layout(fig, title, f"Deal value ({currency}){more}", "",
                height=max(260, 110 + 34 * rows.height))
    set_axes(fig, "y", categoryorder="array", categoryarray=rows["deal_name"].to_list())
    money_axis_ticks(fig, currency, axis="x")
    fig.layout.barmode = "stack"
    return wrap_title(fig, chars=100, plot_width=1000)


def buying_center_roles(members: pl.DataFrame, recent_days: int) -> go.Figure:
    """People per buying-center role on the account's open deals (account_buying_center
    rows), by attitude; people who left the client shown apart."""
    on_open = members.filter(pl.col("open_deals") > 0)
    still = on_open.filter(pl.col("left_on").is_null())
    gone = on_open.filter(pl.col("left_on").is_not_null())
    engaged = set(still.filter(pl.col("engaged_recently"))["role"])
    unreached = [r for r in ROLES if r not in engaged]
    if on_open.height:
        missing = ", ".join(fmt.label(r).lower() for r in unreached) or "none"
        people = on_open["contact_id"].n_unique()
        title = (f"{len(ROLES) - len(unreached)} of 7 roles engaged in the last {recent_days} "
                 f"days (missing: {missing}); {fmt.plural(people, 'person', 'people')} on open "
                 f"deals, {gone['contact_id'].n_unique()} of them left the client")
    else:
        title = "Nobody recorded on an open deal of this account"
    labels = [fmt.label(r) for r in ROLES]
    fig = go.Figure()
    for attitude in ATTITUDES:
        part = still.filter(pl.col("attitude") == attitude)
        if part.height == 0:
            continue
        fig.add_trace(_role_bar(part, labels, fmt.label(attitude),
                                {"color": ATTITUDE_COLORS[attitude]}))
    unknown = still.filter(pl.col("attitude").is_null())
    if unknown.height:
        fig.add_trace(_role_bar(unknown, labels, "Attitude unknown",
                                {"color": "#ffffff", "line": {"color": "#999", "width": 1}}))
    if gone.height:
        fig.add_trace(_role_bar(gone, labels, "Left the client",
                                {"color": "#ffffff", "line": {"color": "#555", "width": 1},
                                 "pattern": {"shape": "x", "fgcolor": "#555"}}))
    fig.layout.barmode = "stack"
    base_layout(fig, title, "Buying-center role (on the open deals)", "People (count)")
    set_axes(fig, "y", dtick=1)
    return wrap_title(fig, chars=100, plot_width=1000)


def _role_bar(part: pl.DataFrame, labels: list[str], name: str, marker: dict) -> go.Bar:
    people = {role: sorted(part.filter(pl.col("role") == role)["name"].fill_null("?").to_list())
              for role in ROLES}
    return go.Bar(
        x=labels, y=[len(people[r]) for r in ROLES], name=name, marker=marker,
        hovertext=[f"{fmt.label(r)} · {name.lower()}: " + (", ".join(people[r]) or "nobody")
                   for r in ROLES],
        hoverinfo="text",
    )


def relationship_timeline(events: pl.DataFrame, as_of: date, recent_days: int = 90) -> go.Figure:
    """Relationship events of the account (account_timeline rows) on one lane per kind,
    coloured by severity (critical counts as high), shaped by source."""
    recent = events.filter(pl.col("occurred_on") > as_of - timedelta(days=recent_days))
    if recent.height:
        counts = recent.group_by("kind").len()
        parts = [f"{n}× {EVENT_LANES.get(k, fmt.label(k)).lower()}" if n > 1
                 else EVENT_LANES.get(k, fmt.label(k)).lower()
                 for k, n in counts.sort("len", "kind", descending=[True, False]).iter_rows()]
        title = f"Last {recent_days} days: " + ", ".join(parts)
    elif events.height:
        title = f"No relationship event in the last {recent_days} days ({events.height} before)"
    else:
        title = "No relationship event in the last 24 months"
    lanes = [k for k in EVENT_LANES if k in set(events["kind"])]
    fig = go.Figure()
    for severity in ("low", "medium", "high"):
        part = events.filter(pl.col("severity").replace({"critical": "high"}) == severity)
        if part.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=part["occurred_on"].to_list(),
            y=[EVENT_LANES.get(k, fmt.label(k)) for k in part["kind"]],
            mode="markers", name=f"{fmt.label(severity)} severity", showlegend=False,
            marker={"color": RISK_COLORS[severity], "size": 14,
                    "symbol": [SOURCE_SYMBOLS.get(s, "circle") for s in part["source"]],
                    "line": {"color": "#333", "width": 0.5}},
            hovertext=[f"{fmt.day(d)} · {EVENT_LANES.get(k, fmt.label(k))} ({severity})<br>"
                       f"{n or ''}<br><i>{SOURCE_NAMES.get(s, s)}</i>"
                       for d, k, n, s in part.select("occurred_on", "kind", "note",
                                                     "source").iter_rows()],
            hoverinfo="text",
        ))
    for severity in ("low", "medium", "high"):  # legend entries: colour only, no shape
        if events.height and severity in set(events["severity"].replace({"critical": "high"})):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers",
                                     name=f"{fmt.label(severity)} severity",
                                     marker={"color": RISK_COLORS[severity], "size": 12}))
    start = as_of - timedelta(days=731)
    fig.add_vrect(x0=as_of - timedelta(days=recent_days), x1=as_of, fillcolor="#f3f3f3",
                  line_width=0, layer="below")
    base_layout(fig, title, "Date (shaded: the last "
                f"{recent_days} days; ● recorded, ◆ contacts, ■ service cases)", "",
                height=max(260, 120 + 40 * len(lanes)))
    set_axes(fig, "x", range=[start, as_of + timedelta(days=10)])
    set_axes(fig, "y", categoryorder="array",
             categoryarray=[EVENT_LANES[k] for k in reversed(lanes)])
    set_axes(fig, "y", automargin=True)
    return wrap_title(fig, chars=110, plot_width=1000)


def open_cases(cases: pl.DataFrame, as_of: date, top: int = 20) -> go.Figure:
    """The account's service cases open on the as-of date (account_service_cases rows with
    state pending or overdue): one bar per case from its opening to the as-of date in the
    colour of its kind, the stretch past the promised date in the overdue colour."""
    rows = cases.filter(pl.col("state").is_in(["overdue", "pending"]))
    overdue = rows.filter(pl.col("state") == "overdue")
    not_told = overdue.filter(pl.col("told") == "never").height
    if rows.height:
        worst = overdue["days_overdue"].max() if overdue.height else None
        title = (f"{overdue.height} of {fmt.plural(rows.height, 'open case')} past the promised "
                 "date" + (f", up to {fmt.plural(int(worst), 'day')}" if worst else "")
                 + (f"; client not told about {not_told}" if not_told else ""))
    else:
        title = "No service case open on the as-of date"
    shown = rows.head(top)
    labels = [f"{fmt.label(k)} {c}" for k, c in shown.select("kind", "case_id").iter_rows()]
    fig = go.Figure()
    seen: set[str] = set()
    for label, row in zip(labels, shown.iter_rows(named=True), strict=True):
        due = row["due_on"]
        promised_end = min(due, as_of) if due else as_of
        hover = (f"{fmt.label(row['kind'])} {row['case_id']} ({row['severity'] or 'no'} "
                 f"severity)<br>opened {fmt.day(row['opened_on'])}, promised by "
                 f"{fmt.day(due)}<br>"
                 + (f"{fmt.plural(row['days_overdue'], 'day')} overdue" if row["days_overdue"]
                    else f"{fmt.plural(row['days_open'], 'day')} open, not yet due")
                 + f"<br>client told: {fmt.label(row['told']).lower()}")
        fig.add_trace(go.Scatter(
            x=[row["opened_on"], promised_end], y=[label, label], mode="lines",
            line={"color": CASE_KIND_COLORS[row["kind"]], "width": 12},
            name=fmt.label(row["kind"]), legendgroup=row["kind"],
            showlegend=row["kind"] not in seen, hovertext=hover, hoverinfo="text",
        ))
        seen.add(row["kind"])
        if due and due < as_of:
            fig.add_trace(go.Scatter(
                x=[due, as_of], y=[label, label], mode="lines",
                line={"color": STATUS_COLORS["overdue"], "width": 12},
                name="Overdue", legendgroup="overdue",
                showlegend="overdue" not in seen, hovertext=hover, hoverinfo="text",
            ))
            seen.add("overdue")
    more = f"; {top} of {rows.height} open cases, overdue first" if rows.height > top else ""
    base_layout(fig, title, f"Open since (red: past the promised date){more}", "",
                height=max(300, 190 + 30 * shown.height))
    set_axes(fig, "y", categoryorder="array", categoryarray=labels[::-1], automargin=True)
    fig.add_vline(x=as_of, line={"color": "#999", "width": 1, "dash": "dot"})
    return wrap_title(fig)
