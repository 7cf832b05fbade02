"""The one module below the pages that imports streamlit: navigation, the shared filters
(kept in the URL) and the cached query runner.

`dashboard.py` calls `setup_app()` (page config, database, sidebar filters) and then runs
the chosen page through `st.navigation`; every page starts with `page_context(title)`.
Filter widgets live in the entry script, so they keep their values across pages.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote_plus, urlencode

import duckdb
import plotly.graph_objects as go
import polars as pl
import streamlit as st

import queries
from portfolio import fmt, stored
from portfolio.access import (
    OPEN_VIEWER,
    AccessConfig,
    AccessConfigError,
    SignIn,
    Viewer,
    resolve_viewer,
)
from portfolio.charts.theme import has_data, nothing_to_show
from portfolio.db import (
    DatabaseUnreadableError,
    database_version,
    describe_database_error,
    ensure_served_database,
    readable_release,
    served_link_path,
)
from portfolio.filters import (
    AS_OF_KEY,
    FILTER_KEYS,
    KAM_STAGES,
    LIST_KEYS,
    TIERS,
    FilterOptions,
    Filters,
    parse_query_params,
    shown,
)
from portfolio.registry import LAYOUT_ENV, PAGES, PRINT_LAYOUT
from portfolio.settings import load_settings

APP_TITLE = "Key-account portfolio health"
T = TypeVar("T")


CONTEXT_KEY = "_page_context"
WIDGET_KEYS = {"manager": "f_manager", "region": "f_region", "tier": "f_tier",
               "stage": "f_stage", AS_OF_KEY: "f_as_of"}
# the pages' tabs keep the chosen section in the URL under these keys (`show_sections`)
SECTION_KEYS = ("pipeline_tab", "buying_center_tab", "service_tab", "attractiveness_tab",
                "account_tab")
PAGE_KEYS = ("account", *SECTION_KEYS)
UNNARROWED: dict[str, list[str]] = {attr: [] for attr in LIST_KEYS.values()}


@dataclass(frozen=True)
class PageContext:
    """What a page needs: the chosen filters and how to read data under them."""

    filters: Filters
    currency: str
    db: Path
    newest_on: date
    manager_names: dict[str, str]
    leads: frozenset[str] = frozenset()
    viewer: Viewer = OPEN_VIEWER
    _input_tables: dict[tuple[str, str], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def query_params(self, **extra: Any) -> dict[str, Any]:
        """The parameters of a query run: filters, shared settings, `extra`, and the
        viewer's scope, added last so that no caller can widen it."""
        settings = load_settings()
        return {**self.filters.sql_params(),
                "stage_probabilities": list(settings.stage_probabilities),
                "recent_days": settings.recent_days, **extra,
                "visible": self.viewer.sql_param()}

    def run(self, name: str, **extra: Any) -> pl.DataFrame:
        """A dataset query under the filters and the viewer's scope (part of the cache
        key)."""
        params = self.query_params(**extra)
        version = database_version(self.db)
        if queries.one_account(name) and self.filters.narrowed():
            # the account's rows do not change with the filters, only whether it is shown
            whole = guarded(lambda: cached_query(version, name,
                                                 used(name, {**params, **UNNARROWED})))
            shown = bool((self.account_ids() == extra.get("account_id")).any())
            return whole if shown else whole.clear()
        if queries.per_account(name) and self.filters.narrowed():
            # run once for the viewer's whole scope, then cut to the filtered accounts: a
            # filter change costs a lookup of account ids instead of re-reading deals
            whole = guarded(lambda: cached_query(version, name,
                                                 used(name, {**params, **UNNARROWED})))
            return whole.filter(pl.col("account_id").is_in(self.account_ids().implode()))
        sources = queries.declared_inputs(name)

        def inputs() -> dict[str, Any]:  # only when the result is not cached
            return {alias: self.input_rows(source, params) for alias, source in sources.items()}

        return guarded(lambda: cached_query(version, name, used(name, params),
                                            inputs if sources else None))

    def accounts_rows(self, name: str, **extra: Any) -> pl.DataFrame:
        """The rows of a per-account query that others read as input (`-- input:`), for
        the filtered accounts: the page's own selections work on them in Python (once per
        page run, like the queries reading them)."""
        return self.input_rows(name, self.query_params(**extra))

    def input_rows(self, source: str, params: dict[str, Any]) -> pl.DataFrame:
        """A query's rows as another's input (`-- input:`): computed once for the viewer's
        whole scope and cached, cut to the filtered accounts once per page run (several
        queries of a page read the same input). Kept in Polars: its strings are views,
        so the cut copies 16 bytes a string instead of the text (400,000 deals: 7 ms
        instead of 60–110), and DuckDB reads the views without a copy (`queries.run`)."""
        whole = cached_input(database_version(self.db), source,
                             used(source, {**params, **UNNARROWED}))
        if not self.filters.narrowed():
            return whole
        key = (source, repr(used(source, params)))
        if key not in self._input_tables:
            self._input_tables[key] = whole.filter(
                pl.col("account_id").is_in(self.account_ids().implode()))
        return self._input_tables[key]

    def memo(self, label: str, build: Callable[[], T], **inputs: Any) -> T:
        """A value derived in Python from this page's queries (scores, service bands, a
        built figure), cached like the queries: per data release, filters, viewer scope,
        `label` and `inputs` (everything else `build` depends on), bounded in entries and
        time. Reruns with unchanged filters then skip the row-by-row work."""
        key = {"filters": self.filters.sql_params(), "visible": self.viewer.sql_param(),
               "currency": self.currency, **inputs}
        return cached_derivation(database_version(self.db), label, key, build)

    def summed(self, name: str, combine: Callable[..., pl.DataFrame], *args: Any,
               **extra: Any) -> pl.DataFrame:
        """A per-account query's rows as the page shows them: `combine(rows, *args)` adds
        the filtered accounts up (portfolio/service_totals.py). Cached like `memo`, so a
        rerun with unchanged filters skips the adding up of 100,000s of rows."""
        label = f"summed:{name}:{combine.__module__}.{combine.__qualname__}"
        return self.memo(label, lambda: combine(self.run(name, **extra), *args),
                         args=args, **extra)

    def memo_accounts(self, label: str, build: Callable[[PageContext], pl.DataFrame],
                      **inputs: Any) -> pl.DataFrame:
        """`memo` for a frame with a row per account that `build` derives from per-account
        queries (`-- grain: account`) by rules that judge each account alone (scores,
        service status). Under narrowing filters it is built once for the viewer's whole
        scope, with the context `build` is given, and cut to the filtered accounts."""
        if not self.filters.narrowed():
            return self.memo(label, lambda: build(self), **inputs)
        whole = replace(self, filters=self.filters.unnarrowed())
        frame = whole.memo(label, lambda: build(whole), **inputs)
        return frame.filter(pl.col("account_id").is_in(self.account_ids().implode()))

    def account_ids(self) -> pl.Series:
        """The accounts within the filters and the viewer's scope."""
        params = {**self.filters.sql_params(), "visible": self.viewer.sql_param()}
        return guarded(lambda: cached_query(database_version(self.db), "scoped_account_ids",
                                            used("scoped_account_ids", params)))["account_id"]

    def link(self, page: str, **page_params: str) -> str:
        """A relative URL to a page with the current filters (and e.g. an account)."""
        params = {**self.filters.query_params(self.newest_on),
                  **{key: [value] for key, value in page_params.items()}}
        query = urlencode(params, doseq=True)
        spec = next(p for p in PAGES if p.path == page)
        return f"/{spec.url_path}" + (f"?{query}" if query else "")

    def account_links(self, frame: pl.DataFrame, page: str = "pages/account.py",
                      column: str = "account_id", **page_params: str) -> pl.Series:
        """A link per row to a page about that row's account, keeping the filters (and
        adding `page_params`, e.g. the tab to open).

        Vectorised: the filters' part of the URL is built once; only ids with characters
        that need escaping in a URL go through Python (never `map_elements`: a Python
        function called from Polars' thread pool can deadlock when sessions render)."""
        prefix = self.link(page, **page_params)
        prefix += "&account=" if "?" in prefix else "?account="
        ids = frame[column]
        escaped = {value: quote_plus(value) for value in
                   ids.filter(~ids.str.contains(r"^[A-Za-z0-9_.\-]*$")).unique().to_list()}
        plain = pl.lit(prefix) + pl.col(column)
        links = (pl.when(pl.col(column).is_in(list(escaped)))
                 .then(pl.lit(prefix) + pl.col(column).replace_strict(
                     escaped, default=None, return_dtype=pl.String))
                 .otherwise(plain)) if escaped else plain
        return frame.select(links.alias(column))[column]

    def page_params(self) -> dict[str, list[str]]:
        """The current filters as query parameters, for st.page_link."""
        return self.filters.query_params(self.newest_on)


# The caches below are shared by all sessions and bounded in entries and time. They hold
# the objects themselves (st.cache_resource), not pickled copies: a hit costs nothing, where
# unpickling a 10,000-row frame or re-validating a figure costs tens of milliseconds.
# Polars frames are immutable and no page changes a cached figure or dict.
@st.cache_resource(ttl=900, max_entries=512, show_spinner=False)
def cached_query(version: tuple[str, int, int], name: str, params: dict[str, Any],
                 _inputs: Callable[[], dict[str, Any]] | None = None) -> pl.DataFrame:
    """Query results cached per (database version, query, parameters). `_inputs` gives
    the rows of the query's declared inputs, which follow from those; not hashed.
    Default views are also stored beside the release for the next process (stored.py)."""
    kept = stored.load(version, name, params)
    if kept is not None:
        return pl.from_arrow(kept)
    result = queries.run(name, db=Path(version[0]), inputs=_inputs() if _inputs else None,
                         **params)
    if stored.storable(params):
        # string views: the next process maps them into Polars without a copy
        stored.save(version, name, params,
                    result.to_arrow(compat_level=pl.CompatLevel.newest()))
    return result


@st.cache_resource(ttl=900, max_entries=16, show_spinner=False)
def cached_input(version: tuple[str, int, int], name: str,
                 params: dict[str, Any]) -> pl.DataFrame:
    """The rows of a query that others read as their input (e.g. every open deal, rated),
    for a viewer's whole scope: a few tens of MB at large scale, so few are kept."""
    kept = stored.load(version, name, params)
    if kept is None:
        kept = queries.run_arrow(name, db=Path(version[0]), **params)
        stored.save(version, name, params, kept)
    return pl.from_arrow(kept)


def used(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a query's rows depend on (its SQL's and its inputs'): the rest must
    not split its cache entries."""
    needed = queries.depends_on(name)
    return {key: value for key, value in params.items() if key in needed}


@st.cache_resource(ttl=900, max_entries=256, show_spinner=False)
def cached_derivation(version: tuple[str, int, int], label: str, key: dict[str, Any],
                      _build: Callable[[], Any]) -> Any:
    """PageContext.memo's cache (`_build` is not hashed: label and key identify it)."""
    return _build()


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
    dates = guarded(lambda: cached_query(version, "data_dates", {}).row(0, named=True))
    if dates["newest_on"] is None:
        st.error("The database has no data yet. Build the demo with `python -m portfolio demo` "
                 "or import your exports.")
        st.stop()
    viewer = identify_viewer(version)
    scope = {"visible": viewer.sql_param()}
    managers = guarded(lambda: cached_query(version, "filter_managers", scope))
    regions = guarded(lambda: cached_query(version, "filter_regions", scope))["region"].to_list()
    options = FilterOptions(frozenset(managers["manager_id"]), frozenset(regions),
                            dates["newest_on"], dates["oldest_on"])
    notices = seed_filters_from_url(options)
    filters = render_filter_widgets(managers, regions, options)
    show_viewer(viewer)
    write_filters_to_url(filters, options.newest_on)
    names = dict(zip(managers["manager_id"], managers["name"], strict=True))
    leads = frozenset(managers.filter(pl.col("team_size") > 0)["manager_id"])
    context = PageContext(filters, dates["currency"], db, options.newest_on, names, leads,
                          viewer)
    st.session_state[CONTEXT_KEY] = (context, notices)
    return context


def identify_viewer(version: tuple[str, int, int]) -> Viewer:
    """Who is looking, under the operator's sign-in settings (portfolio.access). Stops the
    script with a clear message when nobody may see anything."""
    try:
        config = AccessConfig.from_env()
    except AccessConfigError as error:
        st.error(f"The dashboard's sign-in settings are wrong: {error}", icon=":material/lock:")
        st.stop()
        raise
    if config.sign_in is SignIn.OPEN:
        return OPEN_VIEWER
    email = signed_in_email(config)
    people = guarded(lambda: cached_query(version, "viewer_managers", {}))
    viewer = resolve_viewer(config, email, people)
    if viewer.sees_nothing:
        who = (f"You are signed in as {shown(viewer.email)}, but" if viewer.email
               else "Nobody is signed in, so")
        st.error(f"{who} no portfolio is shared with you ({viewer.reason}). Ask the person who "
                 "runs the dashboard to add your e-mail address to your manager record, or to "
                 "list you as an executive.", icon=":material/lock:")
        st.stop()
    return viewer


def signed_in_email(config: AccessConfig) -> str | None:
    if config.sign_in is SignIn.HEADER:
        return st.context.headers.get(config.header)
    if not oidc_configured():
        st.error("Sign-in is set to OpenID Connect (PORTFOLIO_SIGN_IN=oidc), but "
                 "`.streamlit/secrets.toml` has no `[auth]` section with the identity "
                 "provider's settings. See the README, section Sign-in.", icon=":material/lock:")
        st.stop()
    if not st.user.get("is_logged_in"):
        st.title(APP_TITLE)
        st.info("Sign in to see the portfolios shared with you.", icon=":material/lock:")
        st.button("Sign in", on_click=st.login, type="primary")
        st.stop()
    email = st.user.get("email")
    return str(email) if email else None


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def show_viewer(viewer: Viewer) -> None:
    if viewer.email is None:
        return
    with st.sidebar:
        st.caption(f"Signed in as **{shown(viewer.email)}** · "
                   + ("sees the whole portfolio" if viewer.sees_everything
                      else "sees their own portfolio and their team's"))
        if AccessConfig.from_env().sign_in is SignIn.OIDC:
            st.button("Sign out", on_click=st.logout)


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


def guarded(read: Any) -> Any:
    """Run a read of the database; on failure show what is wrong instead of a traceback."""
    try:
        return read()
    except duckdb.Error as error:
        st.error("This page could not read the portfolio database: "
                 f"{describe_database_error(error)} Run `python -m portfolio check` for "
                 "details.", icon=":material/database:")
        st.stop()
        raise


def seed_filters_from_url(options: FilterOptions) -> list[str]:
    """Load the URL's filters into the widgets at the start of a session (a deep link or a
    reload). Later the widgets lead and the URL follows them: Streamlit empties the query
    string when the page changes, and `write_filters_to_url` puts the filters back."""
    widgets_missing = any(key not in st.session_state for key in WIDGET_KEYS.values())
    if not widgets_missing:
        return st.session_state.get("_url_notices", [])
    raw = {key: st.query_params.get_all(key) for key in st.query_params}
    parsed = parse_query_params(raw, options, known_other_keys=PAGE_KEYS)
    for key in raw:
        if key not in FILTER_KEYS and key not in PAGE_KEYS:
            del st.query_params[key]
    chosen = parsed.filters
    for key, attr in LIST_KEYS.items():
        st.session_state[WIDGET_KEYS[key]] = list(getattr(chosen, attr))
    st.session_state[WIDGET_KEYS[AS_OF_KEY]] = chosen.as_of
    st.session_state["_url_notices"] = parsed.notices
    return parsed.notices


def write_filters_to_url(filters: Filters, newest_on: date) -> None:
    wanted = filters.query_params(newest_on)
    for key in FILTER_KEYS:
        if key in wanted:
            if st.query_params.get_all(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]
    if st.session_state.get("_filters_in_url") not in (None, wanted):
        st.session_state["_url_notices"] = []
    st.session_state["_filters_in_url"] = wanted


def manager_label(managers: pl.DataFrame) -> dict[str, str]:
    labels = {}
    for row in managers.iter_rows(named=True):
        team = f" · team of {row['team_size']}" if row["team_size"] else ""
        region = f" ({row['region']})" if row["region"] else ""
        labels[row["manager_id"]] = f"{row['name']}{region}{team}"
    return labels


def render_filter_widgets(managers: pl.DataFrame, regions: list[str],
                          options: FilterOptions) -> Filters:
    labels = manager_label(managers)
    with st.sidebar:
        st.markdown("**Filters**")
        manager_ids = st.multiselect(
            "Manager", options=list(labels), format_func=labels.get, key=WIDGET_KEYS["manager"],
            help="A lead or the head of key accounts selecting themselves sees their whole team.")
        chosen_regions = st.multiselect("Region", options=regions, key=WIDGET_KEYS["region"])
        tiers = st.multiselect("Tier", options=list(TIERS), format_func=fmt.label,
                               key=WIDGET_KEYS["tier"])
        stages = st.multiselect("Relationship stage", options=list(KAM_STAGES),
                                format_func=fmt.label, key=WIDGET_KEYS["stage"])
        as_of = st.date_input("As of", min_value=options.oldest_on, max_value=options.newest_on,
                              key=WIDGET_KEYS[AS_OF_KEY], format="YYYY-MM-DD")
        st.caption(f"Data from {fmt.day(options.oldest_on)} to {fmt.day(options.newest_on)}.")
    return Filters(as_of=as_of or options.newest_on, manager_ids=tuple(manager_ids),
                   regions=tuple(chosen_regions), tiers=tuple(tiers), kam_stages=tuple(stages))


def selectable_chart(figure: Any, key: str) -> list[dict[str, Any]]:
    """A chart whose points can be clicked; returns the selected points (none when the
    chart has nothing to show: it says so in words)."""
    if not has_data(figure):
        st.info(nothing_to_show(figure), icon=":material/bar_chart_off:")
        return []
    event = st.plotly_chart(figure, width="stretch", key=key, on_select="rerun",
                            selection_mode="points",
                            config={"displaylogo": False,
                                    "modeBarButtonsToRemove": ["lasso2d", "select2d"]})
    return list(event.selection.points) if event and event.selection else []


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
    on every rerun costs more than its cached queries. (A figure, not a dict: st.plotly_chart
    validates a dict all over again.)"""
    return _drawn(f"{builder.__module__}.{builder.__qualname__}", builder, *args, **kwargs)


@st.cache_resource(ttl=900, max_entries=256, show_spinner=False)
def _drawn(name: str, _builder: Callable[..., Any], *args: Any, **kwargs: Any) -> go.Figure:
    return _builder(*args, **kwargs)


def show_table(data: pl.DataFrame, **kwargs: Any) -> Any:
    """st.dataframe of a Polars frame, handed over as Arrow: Streamlit serialises an Arrow
    table as it is, where a Polars frame goes through pandas first (that conversion was a
    quarter of a rerun of the service page)."""
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
    st.plotly_chart(figure, width="stretch", key=key,
                    config={"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d"]})


def money_column(label: str, currency: str) -> Any:
    symbol = fmt.CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    return st.column_config.NumberColumn(label, format=f"{symbol}%,.0f")


def date_column(label: str) -> Any:
    return st.column_config.DateColumn(label, format="D MMM YYYY")


def link_column(label: str = "Open", text: str = "Open ›") -> Any:
    return st.column_config.LinkColumn(label, display_text=text, width="small")
