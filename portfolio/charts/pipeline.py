"""Charts of the large-sale pipeline and the buying center: (frame) -> figure."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from portfolio import fmt
from portfolio.charts.theme import STAGE_COLORS, STAGE_ORDER, base_layout, money_axis_ticks


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
