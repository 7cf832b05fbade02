"""Charts of the whole portfolio of accounts: (frame) -> figure."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from portfolio import fmt
from portfolio.charts.theme import TIER_COLORS, base_layout


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
