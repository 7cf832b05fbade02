"""Charts drawn with Plotly's partial bundles (docs/architecture.md, "Charts").

st.plotly_chart brings the full Plotly bundle (4.7 MB), whose evaluation alone costs every
new tab of the browser about 0.9 s. Every chart here is a bar, scatter or heatmap, which
Plotly's "basic" bundle (bar, scatter, pie: 1.2 MB, 0.15 s) or "cartesian" bundle (those and
heatmap: 1.5 MB, 0.34 s) draws the same. The bundles, vendored from npm with the version of
plotly.js that this Plotly for Python writes for, lie in static/plotly/ and are served by
Streamlit's static file serving (.streamlit/config.toml), whose responses carry an ETag: a
new tab revalidates the cached bundle and reuses the browser's compiled code for it.
plotly_chart.js, a Streamlit component, loads the bundle a figure needs once per tab and
draws the figure. A chart the reader can click returns the clicked points, as
st.plotly_chart's on_select did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
import streamlit.components.v2 as components_v2

# Streamlit serves the app's static/ folder (next to dashboard.py) at app/static/
BUNDLE_PATH = ("app", "static", "plotly")
BASIC_BUNDLE = "plotly-basic.min.js"
CARTESIAN_BUNDLE = "plotly-cartesian.min.js"
# the trace types of each bundle (plotly.js' lib/index-basic.js and lib/index-cartesian.js)
BASIC_TRACES = frozenset({"bar", "scatter", "pie"})
CARTESIAN_TRACES = BASIC_TRACES | {"box", "contour", "heatmap", "histogram", "histogram2d",
                                   "histogram2dcontour", "image", "scatterternary", "violin"}
COMPONENT_NAME = "portfolio_chart"

_chart = components_v2.component(COMPONENT_NAME,
                                  js=Path(__file__).with_suffix(".js").read_text(encoding="utf-8"),
                                  isolate_styles=False)  # Plotly's styles live in <head>


def plotly_chart(figure: go.Figure, key: str, config: dict[str, Any],
                 selectable: bool = False) -> list[dict[str, Any]]:
    """Draw `figure` across the page's width; with `selectable`, return the points last
    clicked (each with its customdata, x and y), else []."""
    bundle, basic_only = bundle_for(figure)
    data = {"figure": figure_json(figure), "config": config, "bundle": bundle_url(bundle),
            "basic_only": basic_only, "selectable": selectable}
    if not selectable:
        _chart(data=data, key=key)
        return []
    result = _chart(data=data, key=key, default={"selection": []},
                    on_selection_change=lambda: None)
    return list(result["selection"] or [])


def bundle_for(figure: go.Figure) -> tuple[str, bool]:
    """The smallest bundle that draws every trace of `figure`, and whether the basic one
    does (then a tab that already holds the larger one uses it)."""
    types = {trace.type for trace in figure.data}
    if types <= BASIC_TRACES:
        return BASIC_BUNDLE, True
    if types <= CARTESIAN_TRACES:
        return CARTESIAN_BUNDLE, False
    raise ValueError(f"no Plotly bundle here draws {sorted(types - CARTESIAN_TRACES)}; "
                     "add the bundle that does to static/plotly")


def bundle_url(bundle: str) -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/".join(["", *([base] if base else []), *BUNDLE_PATH, bundle])


def figure_json(figure: go.Figure) -> str:
    """The figure as Plotly's JSON, written once per figure object (the pages' figures are
    cached, portfolio.ui.widgets.drawn)."""
    text = getattr(figure, "_portfolio_json", None)
    if text is None:
        text = pio.to_json(figure, validate=False)
        figure._portfolio_json = text  # a figure is unhashable; it keeps its own JSON
    return text
