"""The vendored Plotly bundles (static/plotly/, portfolio/ui/plotly_chart.py) match the
plotly.js version Plotly for Python writes figures for, and draw every trace type the
charts use: a Plotly upgrade in requirements.txt without new bundles fails here, not in a
browser."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs_version

from portfolio.charts import account, pipeline, portfolio, service
from portfolio.ui import plotly_chart

STATIC = Path(__file__).resolve().parent.parent / "static" / "plotly"


@pytest.mark.parametrize("bundle", [plotly_chart.BASIC_BUNDLE, plotly_chart.CARTESIAN_BUNDLE])
def test_each_bundle_is_the_plotly_js_of_this_plotly(bundle: str) -> None:
    header = (STATIC / bundle).read_text(encoding="utf-8")[:200]
    version = re.search(r"plotly\.js \(\w+ - minified\) v(\S+)", header)
    assert version is not None, header
    assert version.group(1) == get_plotlyjs_version()


def test_every_trace_type_the_charts_build_has_a_bundle() -> None:
    sources = "".join(inspect.getsource(module)
                      for module in (account, pipeline, portfolio, service))
    built = {name.lower() for name in re.findall(r"go\.([A-Z]\w+)\(", sources)} - {"figure"}
    assert built  # the scan found the charts' traces
    assert built <= plotly_chart.CARTESIAN_TRACES, built - plotly_chart.CARTESIAN_TRACES


def test_a_figure_takes_the_smallest_bundle_that_draws_it() -> None:
    bar = go.Figure(go.Bar(x=[1], y=[1]))
    grid = go.Figure([go.Heatmap(z=[[1]]), go.Scatter(x=[1], y=[1])])
    assert plotly_chart.bundle_for(bar) == (plotly_chart.BASIC_BUNDLE, True)
    assert plotly_chart.bundle_for(grid) == (plotly_chart.CARTESIAN_BUNDLE, False)
    with pytest.raises(ValueError, match="scattergeo"):
        plotly_chart.bundle_for(go.Figure(go.Scattergeo(lat=[1], lon=[1])))
