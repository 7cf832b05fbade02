"""The charts a page drew under AppTest: each is a portfolio_chart component
(portfolio/ui/plotly_chart.py) carrying its Plotly figure as JSON."""

from __future__ import annotations

import json
from typing import Any

from portfolio.ui.plotly_chart import COMPONENT_NAME


def charts_in(node: Any) -> list[Any]:
    """The chart elements under an AppTest node (the app, a tab, the sidebar...)."""
    return [element for element in node.get("bidi_component")
            if element.proto.component_name == COMPONENT_NAME]


def chart_data(element: Any) -> dict[str, Any]:
    return json.loads(element.proto.json)


def chart_spec(element: Any) -> dict[str, Any]:
    """The chart's Plotly figure: {"data": [...], "layout": {...}}."""
    return json.loads(chart_data(element)["figure"])


def chart_config(element: Any) -> dict[str, Any]:
    return chart_data(element)["config"]


def chart_specs(node: Any) -> list[dict[str, Any]]:
    return [chart_spec(element) for element in charts_in(node)]
