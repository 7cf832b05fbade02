"""The dashboard's Streamlit layer, the only one that imports streamlit: the app shell
(app.py), sign-in (signin.py), the sidebar and the URL (sidebar.py), shared widgets
(widgets.py), deciding on suggestions (decisions.py) and the read layer's caches
(caches.py). Pages import what they use from here.
"""

from portfolio.read.context import PageContext
from portfolio.ui.app import navigation, page_context, run_page, setup_app
from portfolio.ui.decisions import decision_form, decision_history, show_recorded_notice
from portfolio.ui.widgets import (
    NO_BUYING_CENTERS,
    date_column,
    drawn,
    drill_to_account,
    figure_metrics,
    link_column,
    money_column,
    say_missing_risk_sources,
    say_none_held,
    selectable_chart,
    show_chart,
    show_sections,
    show_table,
)

__all__ = ["NO_BUYING_CENTERS", "PageContext", "date_column", "decision_form",
           "decision_history", "drawn", "drill_to_account", "figure_metrics", "link_column",
           "money_column", "navigation", "page_context", "run_page",
           "say_missing_risk_sources", "say_none_held", "selectable_chart", "setup_app",
           "show_chart", "show_recorded_notice", "show_sections", "show_table"]
