"""Charts of one account: (frame) -> figure."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from portfolio import fmt
from portfolio.charts.theme import REVENUE_COLORS, base_layout, money_axis_ticks


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
