"""The app shell: navigation, page config, the database served, the sidebar and the view.

`dashboard.py` calls `navigation()` and `setup_app()` (page config, database, sign-in,
sidebar filters) and then runs the chosen page through `run_page`; every page starts with
`page_context(title)`, which gives it the read layer's view (portfolio/read/context.py)
on Streamlit's shared caches.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from portfolio.core import fmt
from portfolio.core.db import (
    DatabaseUnreadableError,
    database_version,
    readable_release,
    served_link_path,
)
from portfolio.core.filters import FilterOptions
from portfolio.core.registry import PAGES
from portfolio.decisions import DecisionLogError
from portfolio.read import stored
from portfolio.read.context import PageContext
from portfolio.ui.caches import STREAMLIT_CACHES
from portfolio.ui.errors import guarded, show_database_error
from portfolio.ui.sidebar import render_filter_widgets, seed_filters_from_url, write_filters_to_url
from portfolio.ui.signin import APP_TITLE, identify_viewer, show_viewer
from portfolio.write.demo import ensure_served_database

CONTEXT_KEY = "_page_context"


def navigation() -> Any:
    """The registered pages, for st.navigation in dashboard.py."""
    return st.navigation([st.Page(page.path, title=page.label, icon=page.icon,
                                  url_path=page.url_path or None, default=page is PAGES[0])
                          for page in PAGES])


def setup_app() -> PageContext:
    """Page config, database, sidebar filters and the URL; run by dashboard.py."""
    st.set_page_config(page_title=APP_TITLE, layout="wide", page_icon=":material/monitoring:")
    db = open_database()
    version = database_version(db)
    dates = guarded(lambda: STREAMLIT_CACHES.query(version, "data_dates", {}).row(0, named=True))
    if dates["newest_on"] is None:
        st.error("The database has no data yet. Build the demo with `python -m portfolio demo` "
                 "or import your exports.")
        st.stop()
    viewer = identify_viewer(version)
    scope = {"visible": viewer.sql_param()}
    managers = guarded(lambda: STREAMLIT_CACHES.query(version, "filter_managers", scope))
    regions = guarded(lambda: STREAMLIT_CACHES.query(version, "filter_regions", scope))
    regions = regions["region"].to_list()
    options = FilterOptions(frozenset(managers["manager_id"]), frozenset(regions),
                            dates["newest_on"], dates["oldest_on"])
    notices = seed_filters_from_url(options)
    # the whole portfolio's dates are warmed at publish time, not each manager's scope
    warmed = stored.warmed_dates(version) if viewer.sees_everything else []
    filters = render_filter_widgets(managers, regions, options, warmed)
    show_viewer(viewer)
    write_filters_to_url(filters, options.newest_on)
    names = dict(zip(managers["manager_id"], managers["name"], strict=True))
    leads = frozenset(managers.filter(pl.col("team_size") > 0)["manager_id"])
    context = PageContext(filters, dates["currency"], db, options.newest_on, names, leads,
                          viewer, STREAMLIT_CACHES)
    st.session_state[CONTEXT_KEY] = (context, notices)
    return context


def page_context(title: str) -> PageContext:
    """The shared context for a page, with its title, filter line and URL notices."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory or CONTEXT_KEY not in st.session_state:
        # STACK_NOTES' trap: on a fresh server a deep link runs the page file alone, in
        # Streamlit's legacy pages/ mode. Leave that mode and run again through the entry
        # script, which keeps the requested page and the URL's filters. The flag is
        # process-wide: when deep links arrive at once, the first session clears it and
        # the others only notice that the entry script (setup_app) never ran for them.
        PagesManager.uses_pages_directory = False
        st.rerun()
    context, notices = st.session_state[CONTEXT_KEY]
    st.title(title)
    described = context.filters
    if not described.manager_ids and context.viewer.visible:  # "all": all they may see
        described = replace(described, manager_ids=context.viewer.visible)
    st.caption(f"{described.describe(context.manager_names, context.leads)} · as of "
               f"{fmt.day(context.filters.as_of)} · amounts in {context.currency} · data release "
               f"{context.db.stem}")
    for notice in notices:
        st.warning(notice, icon=":material/link_off:")
    return context


def open_database() -> Path:
    """The release to serve; the last good one (with a warning) when the current one is
    broken; a clear message and no page when none can be read."""
    link = served_link_path()
    try:
        if not link.exists() and not link.is_symlink():
            with st.spinner("Building the demo portfolio (first run only)…"):
                ensure_served_database(link)
        path, notes = readable_release(link)
    except (DatabaseUnreadableError, duckdb.Error, OSError) as error:
        st.error(str(error), icon=":material/database:")
        st.stop()
        raise
    if notes:
        st.warning("The current data release cannot be read, so the previous one is shown. "
                   + " ".join(notes) + " Run `python -m portfolio check` for details.",
                   icon=":material/database:")
    return path


def run_page(page: Any) -> None:
    """Run the chosen page; a database that fails mid-page gets a message, not a traceback."""
    try:
        page.run()
    except duckdb.Error as error:
        show_database_error(error)
    except DecisionLogError as error:
        st.error(f"The decisions cannot be read: {error}. Check PORTFOLIO_DECISIONS "
                 "(docs/decisions.md).", icon=":material/database:")
