"""The look of every chart: one colour per stage, role, attitude, band, quadrant, tier and
revenue stream, defined here once so a stage looks the same wherever it appears, and the
shared layout (title that states the finding, labelled axes, fonts).
"""

from __future__ import annotations

import re

import plotly.graph_objects as go

from portfolio.core import fmt

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
BAND_COLORS = {"green": "#1a9850", "amber": "#f39c12", "red": "#d73027", "no_data": "#9e9e9e"}
QUADRANT_COLORS = {"Strategic": "#1b7837", "Star": "#2166ac", "Status": "#b2abd2",
                   "Streamline": "#b35806"}
TIER_COLORS = {"strategic": "#54278f", "key": "#807dba", "standard": "#bcbddc"}
SUGGESTION_COLORS = {"keep": "#1a9850", "review": "#f39c12", "downgrade": "#e6550d",
                     "drop": "#a50f15", "upgrade": "#2166ac", "repair": "#762a83",
                     "not_enough_data": "#8c8c8c"}
RISK_COLORS = {"low": "#1a9850", "medium": "#f39c12", "high": "#d73027"}
CASE_KIND_COLORS = {
    "installation": "#66c2a5", "training": "#a6d854", "maintenance": "#8da0cb",
    "repair": "#fc8d62", "upgrade": "#e78ac3", "complaint": "#d73027", "invoicing": "#ffd92f",
}
# delivery and case states, e.g. on time / late / outstanding, done / pending / overdue
STATUS_COLORS = {"on_time": "#1a9850", "done": "#1a9850", "late": "#f39c12",
                 "pending": "#9ecae1", "outstanding": "#d73027", "overdue": "#d73027",
                 "cancelled": "#bdbdbd"}
CONTRACT_KIND_COLORS = {"maintenance": "#4e79a7", "consumables": "#59a14f",
                        "spare_parts": "#edc948", "training": "#a6d854", "support": "#f28e2b"}
REVENUE_COLORS = {"equipment": "#4e79a7", "service": "#f28e2b", "consumables": "#59a14f",
                  "spares": "#edc948"}

FONT = "Liberation Sans, DejaVu Sans, Arial, sans-serif"
SUBTITLE_COLOR = "#555"


def with_note(finding: str, note: str) -> str:
    """A chart title: the finding (drawn bold, plotly_chart.js), then a note in the
    subtitles' size and colour, each `<br>`-separated line of it in a span of its own."""
    return finding + "".join(f"<br><span style='font-size:12px;color:{SUBTITLE_COLOR}'>{line}"
                             "</span>" for line in note.split("<br>"))


def base_layout(fig: go.Figure, title: str, x_title: str, y_title: str,
                height: int = 380) -> go.Figure:
    # Set property by property: the same settings through update_layout and
    # update_xaxes/update_yaxes cost 2.5 times as much (plotly resolves every
    # "legend_traceorder"-style path), about 5 ms a chart on every filter change.
    layout = fig.layout
    layout.title = {"text": title, "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top",
                    "yref": "container", "font": {"size": 16}}
    layout.height = height
    layout.font = {"family": FONT, "size": 12}
    layout.margin = {"l": 60, "r": 20, "t": 96 if len(fig.data) > 1 else 56, "b": 50}
    layout.legend = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left",
                     "x": 0, "traceorder": "normal"}
    layout.plot_bgcolor = "white"
    layout.hoverlabel = {"font": {"family": FONT}}
    set_axes(fig, "x", showgrid=False, linecolor="#999")
    layout.xaxis.title.text = x_title
    set_axes(fig, "y", gridcolor="#eee", linecolor="#999")
    layout.yaxis.title.text = y_title
    return fig


def money_axis_ticks(fig: go.Figure, currency: str, axis: str = "y") -> None:
    set_axes(fig, axis, tickprefix=fmt.CURRENCY_SYMBOLS.get(currency, f"{currency} "),
             tickformat="~s")


def set_axes(fig: go.Figure, axis: str, **settings: object) -> None:
    """update_xaxes / update_yaxes for the figure's one x or y axis (`axis`; no chart here
    has subplots), set one by one: half the cost of Plotly's update machinery."""
    set_props(fig.layout.xaxis if axis == "x" else fig.layout.yaxis, **settings)


def set_props(target: object, **settings: object) -> None:
    """`target.update(settings)` for a part of a figure (its legend, margin, an axis), set
    one by one: half the cost of Plotly's update machinery, and like it, settings not
    given stay as they were."""
    for name, value in settings.items():
        setattr(target, name, value)


def add_level_line(fig: go.Figure, axis: str, at: float, line: dict,
                   label: str | None = None) -> None:
    """A line across the plot at `at` on the y (axis="y") or x axis, with an optional label
    at its start: what add_hline/add_vline draw, at a third of their cost."""
    across = "x" if axis == "y" else "y"
    fig.add_shape({"type": "line", "line": line, f"{axis}ref": axis, f"{axis}0": at,
                   f"{axis}1": at, f"{across}ref": f"{across} domain", f"{across}0": 0,
                   f"{across}1": 1})
    if label:
        fig.add_annotation({"text": label, "showarrow": False, f"{axis}ref": axis, axis: at,
                            f"{across}ref": f"{across} domain", across: 0,
                            "xanchor": "left", "yanchor": "bottom"})


def has_data(fig: go.Figure) -> bool:
    """Whether a figure draws anything: a point or line with a value, a bar that is not 0,
    a heatmap cell. Without, Plotly draws bare axes (running from -1 to 4)."""
    for trace in fig.data:
        if trace.type == "heatmap":
            if any(v is not None for row in (trace.z or ()) for v in row):
                return True
            continue
        values = trace.x if getattr(trace, "orientation", None) == "h" else trace.y
        drawn = [v for v in (values or ()) if v is not None]
        if trace.type == "bar":
            drawn = [v for v in drawn if v != 0]
        if drawn:
            return True
    return False


def nothing_to_show(fig: go.Figure) -> str:
    """What an empty figure would have said, in words: its title (the builders title an
    empty chart with the reason, e.g. "No service case open on the as-of date")."""
    text = fig.layout.title.text or "Nothing to show"
    text = re.sub(r"<br\s*/?>", ". ", text)
    return re.sub(r"<[^>]+>", "", text).replace("..", ".").strip()
