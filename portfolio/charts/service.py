"""Charts of post-sale service: (frame) -> figure."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from portfolio import fmt
from portfolio.charts.theme import BAND_COLORS, base_layout


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
