"""Pure chart builders: (Polars frame, ...) -> Plotly figure, and the colours of the product.

One colour per stage, role, band, quadrant, tier and revenue stream, defined here once and
used by every page, so a stage looks the same wherever it appears.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from portfolio import fmt

STAGE_ORDER = ("preliminaries", "investigation", "demonstrating_capability",
               "obtaining_commitment", "won", "lost")
STAGE_COLORS = {
    "preliminaries": "#9ecae1",
    "investigation": "#4292c6",
    "demonstrating_capability": "#2171b5",
    "obtaining_commitment": "#08306b",
    "won": "#2ca25f",
    "lost": "#bdbdbd",
}
ROLE_COLORS = {
    "initiator": "#8dd3c7", "user": "#bebada", "influencer": "#80b1d3",
    "gatekeeper": "#fdb462", "buyer": "#b3de69", "decider": "#fb8072", "approver": "#bc80bd",
}
ATTITUDE_COLORS = {
    "champion": "#1a9850", "supporter": "#91cf60", "neutral": "#d9d9d9",
    "skeptic": "#fc8d59", "opponent": "#d73027",
}
BAND_COLORS = {"green": "#1a9850", "amber": "#f39c12", "red": "#d73027"}
QUADRANT_COLORS = {"Strategic": "#1b7837", "Star": "#2166ac", "Status": "#b2abd2",
                   "Streamline": "#b35806"}
TIER_COLORS = {"strategic": "#54278f", "key": "#807dba", "standard": "#bcbddc"}
REVENUE_COLORS = {"equipment": "#4e79a7", "service": "#f28e2b", "consumables": "#59a14f",
                  "spares": "#edc948"}

FONT = "Liberation Sans, DejaVu Sans, Arial, sans-serif"


def base_layout(fig: go.Figure, title: str, x_title: str, y_title: str,
                height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top",
               "yref": "container", "font": {"size": 16}},
        xaxis_title=x_title, yaxis_title=y_title, height=height,
        font={"family": FONT, "size": 12}, margin={"l": 60, "r": 20, "t": 96, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        plot_bgcolor="white", hoverlabel={"font": {"family": FONT}},
    )
    fig.update_xaxes(showgrid=False, linecolor="#999")
    fig.update_yaxes(gridcolor="#eee", linecolor="#999")
    return fig


def money_axis_ticks(fig: go.Figure, currency: str, axis: str = "y") -> None:
    prefix = fmt.CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    settings = {"tickprefix": prefix, "tickformat": "~s"}
    fig.update_yaxes(**settings) if axis == "y" else fig.update_xaxes(**settings)


def pipeline_by_stage(stages: pl.DataFrame, currency: str) -> go.Figure:
    """Value per stage (open stages, then won/lost of the last 12 months)."""
    open_rows = stages.filter(pl.col("stage_order") <= 4)
    biggest = (open_rows.sort("value", descending=True).row(0, named=True)
               if open_rows.height else None)
    total = open_rows["value"].sum()
    if biggest and total:
        title = (f"{fmt.money(total, currency)} open pipeline; most value sits in "
                 f"{fmt.label(biggest['stage']).lower()} ({fmt.money(biggest['value'], currency)})")
    else:
        title = "No open deals in this selection"
    labels = [fmt.label(s) for s in stages["stage"]]
    hover = [f"{fmt.label(s)}<br>{d} deals<br>{fmt.money(v, currency)}"
             for s, d, v in stages.select("stage", "deals", "value").iter_rows()]
    fig = go.Figure(go.Bar(
        x=labels, y=stages["value"].to_list(),
        marker_color=[STAGE_COLORS[s] for s in stages["stage"]],
        text=[f"{d} deals" for d in stages["deals"]], textposition="outside",
        hovertext=hover, hoverinfo="text",
    ))
    base_layout(fig, title, "Stage (won/lost: closed in the last 12 months)",
                f"Deal value ({currency})")
    money_axis_ticks(fig, currency)
    return fig


def coverage_scatter(coverage: pl.DataFrame, currency: str) -> go.Figure:
    """Each open deal: buying-center coverage against value, coloured by stage."""
    late = coverage.filter(pl.col("stage").is_in(["demonstrating_capability",
                                                 "obtaining_commitment"]))
    blind = late.filter(~pl.col("decider_met") | ~pl.col("approver_met"))
    title = (f"{blind.height} late-stage deals worth {fmt.money(blind['value'].sum(), currency)} "
             "have no decider or approver met")
    fig = go.Figure()
    for stage in STAGE_ORDER[:4]:
        rows = coverage.filter(pl.col("stage") == stage)
        if rows.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=(rows["coverage"] * 100).to_list(), y=rows["value"].to_list(), mode="markers",
            name=fmt.label(stage), marker={"color": STAGE_COLORS[stage], "size": 9,
                                           "line": {"width": 0.5, "color": "#333"}},
            hovertext=[f"{d} · {a}<br>{fmt.money(v, currency)}<br>{r} of 7 roles covered"
                       for d, a, v, r in rows.select("deal_name", "account_name", "value",
                                                     "roles_covered").iter_rows()],
            hoverinfo="text",
        ))
    base_layout(fig, title, "Buying-center roles covered (%)", f"Deal value ({currency})")
    fig.update_xaxes(range=[-5, 105], ticksuffix=" %")
    money_axis_ticks(fig, currency)
    return fig


def on_time_trend(months: pl.DataFrame) -> go.Figure:
    """On-time delivery rate per month of promised delivery."""
    if months.height:
        last = months.row(-1, named=True)
        title = (f"On-time delivery {fmt.percent(last['on_time_rate'])} in "
                 f"{last['month'].strftime('%b %Y')}, "
                 f"{fmt.percent(months['on_time'].sum() / months['due'].sum())} over 12 months")
    else:
        title = "No deliveries were due in the last 12 months"
    fig = go.Figure(go.Scatter(
        x=months["month"].to_list(), y=(months["on_time_rate"] * 100).to_list(),
        mode="lines+markers", line={"color": BAND_COLORS["green"], "width": 3},
        hovertext=[f"{m.strftime('%b %Y')}: {fmt.percent(r)} on time<br>{d} due, {late} late, "
                   f"{o} outstanding"
                   for m, r, d, late, o in months.select("month", "on_time_rate", "due", "late",
                                                         "outstanding").iter_rows()],
        hoverinfo="text", name="On time",
    ))
    base_layout(fig, title, "Month of promised delivery", "Delivered on time (%)")
    fig.update_yaxes(range=[0, 105], ticksuffix=" %")
    return fig


def revenue_mix(monthly: pl.DataFrame, currency: str) -> go.Figure:
    """Stacked monthly revenue by stream: where after-sales out-earns equipment."""
    streams = ("equipment", "service", "consumables", "spares")
    totals = {s: monthly[s].sum() for s in streams}
    aftersales = totals["service"] + totals["consumables"] + totals["spares"]
    verdict = "out-earn" if aftersales > totals["equipment"] else "trail"
    title = (f"Service, consumables and spares {verdict} equipment: "
             f"{fmt.money(aftersales, currency)} vs {fmt.money(totals['equipment'], currency)}")
    fig = go.Figure()
    for stream in streams:
        fig.add_trace(go.Bar(
            x=monthly["month"].to_list(), y=monthly[stream].to_list(), name=stream.capitalize(),
            marker_color=REVENUE_COLORS[stream],
            hovertext=[f"{m.strftime('%b %Y')} · {stream}: {fmt.money(v, currency)}"
                       for m, v in monthly.select("month", stream).iter_rows()],
            hoverinfo="text",
        ))
    fig.update_layout(barmode="stack")
    base_layout(fig, title, "Month", f"Revenue ({currency})")
    money_axis_ticks(fig, currency)
    return fig


def client_indicators(monthly: pl.DataFrame) -> go.Figure:
    """The client's own market share and financial health over time."""
    first, last = monthly.row(0, named=True), monthly.row(-1, named=True)
    title = (f"Client market share {first['client_market_share_pct']:.1f} % → "
             f"{last['client_market_share_pct']:.1f} %, financial health "
             f"{first['financial_health']:.0f} → {last['financial_health']:.0f}")
    fig = go.Figure()
    series = (("client_market_share_pct", "Client market share (%)", "#2166ac"),
              ("financial_health", "Financial health (0–100)", "#b35806"),
              ("share_of_wallet_pct", "Our share of wallet (%)", "#1b7837"))
    for column, name, colour in series:
        fig.add_trace(go.Scatter(
            x=monthly["month"].to_list(), y=monthly[column].to_list(), name=name,
            mode="lines", line={"color": colour, "width": 2.5},
            hovertemplate="%{x|%b %Y}: %{y:.1f}<extra>" + name + "</extra>",
        ))
    base_layout(fig, title, "Month", "Percent / score (0–100)")
    fig.update_yaxes(range=[0, 100])
    return fig


def account_movement(trends: pl.DataFrame, currency: str) -> go.Figure:
    """Per account: change in the client's market share against change in its health."""
    rows = trends.drop_nulls(["market_share_now", "market_share_year_ago", "health_now",
                              "health_year_ago"]).with_columns(
        (pl.col("market_share_now") - pl.col("market_share_year_ago")).alias("share_change"),
        (pl.col("health_now") - pl.col("health_year_ago")).alias("health_change"),
    )
    falling = rows.filter((pl.col("share_change") < -3) & (pl.col("health_change") < -10)
                          & pl.col("tier").is_in(["strategic", "key"]))
    title = (f"{falling.height} key accounts lost over 3 points of market share and 10 of "
             "financial health in 12 months (bottom left)")
    fig = go.Figure()
    largest = max(rows["revenue_t12m"].max() or 1, 1)
    for tier in ("strategic", "key", "standard"):
        part = rows.filter(pl.col("tier") == tier)
        if part.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=part["health_change"].to_list(), y=part["share_change"].to_list(),
            mode="markers", name=fmt.label(tier),
            marker={"color": TIER_COLORS[tier], "line": {"width": 0.5, "color": "#333"},
                    "size": [8 + 30 * (v or 0) / largest for v in part["revenue_t12m"]]},
            hovertext=[f"{n}<br>market share {a:.1f} % → {b:.1f} %<br>financial health "
                       f"{c:.0f} → {d:.0f}<br>revenue T12M {fmt.money(r, currency)}"
                       for n, a, b, c, d, r in part.select(
                           "name", "market_share_year_ago", "market_share_now",
                           "health_year_ago", "health_now", "revenue_t12m").iter_rows()],
            hoverinfo="text",
        ))
    base_layout(fig, title, "Change in financial health over 12 months (points)",
                "Change in client market share (percentage points)", height=460)
    fig.add_hline(y=0, line_color="#999", line_width=1)
    fig.add_vline(x=0, line_color="#999", line_width=1)
    return fig
