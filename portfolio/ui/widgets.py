"""Shared widgets of the pages: charts, tables and their columns, tabs, links to accounts."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from portfolio.charts.theme import has_data, nothing_to_show
from portfolio.core import fmt
from portfolio.core.filters import shown
from portfolio.core.registry import LAYOUT_ENV, PRINT_LAYOUT, SECTION_KEYS
from portfolio.read import figures, scoring
from portfolio.read.context import PageContext
from portfolio.ui.plotly_chart import plotly_chart


def selectable_chart(figure: Any, key: str) -> list[dict[str, Any]]:
    """A chart whose points can be clicked; returns the selected points (none when the
    chart has nothing to show: it says so in words)."""
    if not has_data(figure):
        st.info(nothing_to_show(figure), icon=":material/bar_chart_off:")
        return []
    return plotly_chart(figure, key, chart_config(["lasso2d", "select2d"]), selectable=True)


def chart_config(removed_buttons: list[str]) -> dict[str, Any]:
    """Plotly's options: in the print layout a chart is a picture (no hover, zoom or tool
    bar), which Plotly draws in about half the browser's time."""
    if print_layout():
        return {"staticPlot": True}
    return {"displaylogo": False, "modeBarButtonsToRemove": removed_buttons}


def drill_to_account(ctx: PageContext, points: list[dict[str, Any]],
                     names: dict[str, tuple[str, str]], tab: str = "Deals") -> None:
    """After a click on a deal in a chart (customdata = account id, deal id): a link to its
    account's `tab`, filters kept."""
    chosen = [p["customdata"] for p in points if p.get("customdata")]
    if not chosen:
        return
    account_id, deal_id = chosen[0][0], chosen[0][1]
    deal, account = names.get(deal_id, (deal_id, account_id))
    st.page_link("pages/account.py", label=f"Open {account} (deal {deal}) on the Account page",
                 icon=":material/arrow_forward:",
                 query_params={**ctx.page_params(), "account": account_id,
                               "account_tab": tab})


def drawn(builder: Callable[..., Any], *args: Any, **kwargs: Any) -> go.Figure:
    """A chart cached per builder and data: building and validating a page's Plotly figures
    on every rerun costs more than its cached queries (and its JSON is written once per
    figure, portfolio.ui.plotly_chart)."""
    return _drawn(f"{builder.__module__}.{builder.__qualname__}", builder, *args, **kwargs)


@st.cache_resource(ttl=900, max_entries=256, show_spinner=False)
def _drawn(name: str, _builder: Callable[..., Any], *args: Any, **kwargs: Any) -> go.Figure:
    return _builder(*args, **kwargs)


def show_table(data: pl.DataFrame, **kwargs: Any) -> Any:
    """st.dataframe of a Polars frame, handed over as Arrow: Streamlit serialises an Arrow
    table as it is, where a Polars frame goes through pandas first (that conversion was a
    quarter of a rerun of the service page). A missing value shows as the house's dash, not
    Streamlit's "None" (an export without calls has no last call on any deal)."""
    kwargs.setdefault("placeholder", fmt.MISSING)
    return st.dataframe(data.to_arrow() if isinstance(data, pl.DataFrame) else data, **kwargs)


def print_layout() -> bool:
    """Whether every section of a page is drawn, one after another (PORTFOLIO_LAYOUT=print:
    the weekly export's pictures and the warm step), instead of as tabs."""
    return os.environ.get(LAYOUT_ENV, "").strip().lower() == PRINT_LAYOUT[LAYOUT_ENV]


def show_sections(sections: dict[str, Callable[[], None]], key: str,
                  keep: tuple[str, ...] = ()) -> None:
    """A page's sections as tabs; only the chosen one runs (its queries and its charts), so
    a page opens with a fraction of the work. The chosen tab is kept in the URL (?key=label),
    so a link or a reload opens the same tab. The widgets named in `keep` (in some section)
    keep their values while another tab is shown. In the print layout every section runs,
    one after another."""
    for widget in keep:
        if widget in st.session_state:  # Streamlit forgets the value of a widget not drawn
            st.session_state[widget] = st.session_state[widget]
    if print_layout():
        for draw in sections.values():
            draw()
        return
    assert key in SECTION_KEYS, key
    labels = list(sections)
    requested = st.query_params.get(key)
    if requested is not None and requested not in labels:
        st.warning(f"This page has no tab “{shown(requested)}”; showing “{labels[0]}”. Its "
                   f"tabs are: {', '.join(labels)}.", icon=":material/link_off:")
    for tab, draw in zip(st.tabs(labels, key=key, bind="query-params"), sections.values(),
                         strict=True):
        if tab.open:
            with tab:
                draw()


def show_chart(figure: Any, key: str) -> None:
    """A chart; one with nothing to show says so in words instead of drawing empty axes."""
    if not has_data(figure):
        st.info(nothing_to_show(figure), icon=":material/bar_chart_off:")
        return
    plotly_chart(figure, key, chart_config(["lasso2d"]))


def money_column(label: str, currency: str) -> Any:
    symbol = fmt.CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    return st.column_config.NumberColumn(label, format=f"{symbol}%,.0f")


def date_column(label: str) -> Any:
    return st.column_config.DateColumn(label, format="D MMM YYYY")


def link_column(label: str = "Open", text: str = "Open ›") -> Any:
    return st.column_config.LinkColumn(label, display_text=text, width="small")


def figure_metrics(ctx: PageContext, names: tuple[str, ...], columns: list[Any],
                   config: scoring.ScoringConfig | None = None) -> dict[str, float | None]:
    """Headline figures of the registry (portfolio/read/figures.py) as metrics, one per
    column: the registry's label, value as it formats it, and definition as the help."""
    found = figures.values(ctx, config or scoring.load_scoring_config(), names)
    for column, name in zip(columns, names, strict=True):
        figure = figures.FIGURES[name]
        column.metric(figure.label, figure.display(found[name], ctx.currency),
                      help=figure.definition)
    return found


def say_missing_risk_sources(held: dict[str, Any]) -> None:
    """Under figures of uncoupling risk: the records (rows of data_held) the risk signals
    read that the database holds none of, so that "0 at high risk" is read as "0 of what
    could be seen" (a CRM export of deals alone: purchases only)."""
    silent = scoring.silent_risk_sources(held)
    if silent:
        listed = ", ".join(silent[:-1]) + " or " + silent[-1] if len(silent) > 1 else silent[0]
        st.caption(f":material/info: Uncoupling risk: this database holds no {listed}, so "
                   "what the risk signals would read from them is missing; the risk counts "
                   "only what remains (docs/risk_signals.md).")


NO_BUYING_CENTERS = "buying centers (contacts recorded on deals)"  # for say_none_held


def say_none_held(what: str, then: str) -> None:
    """A section over facts the database holds none of says so, instead of showing zeros
    counted over records that were never imported."""
    st.info(f"This database holds no {what} (an export of deals alone, say), so {then}. "
            "Import them to see this section (docs/mappings.md).", icon=":material/block:")
