"""The read layer: what a view of the portfolio reads, and "find the result or compute it".

A `PageContext` is one view (filters, as-of date, the viewer's scope) over one data release.
It runs the dataset queries of `queries/` under that view, narrows a whole-scope result to
the filtered accounts where a query's grain allows it (`-- grain: account`), hands one
query's rows to another (`-- input:`), and caches derivations made in Python. Where results
are kept is a `Caches`: `MemoryCaches` here (the command line, the export, the tests), and
Streamlit's shared caches in the dashboard (portfolio/ui/caches.py), both over the same
`compute_query` / `compute_input`, which also read and write the results stored beside a
release (portfolio/read/stored.py). No streamlit import.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote_plus, urlencode

import polars as pl

import queries
from portfolio.core.access import OPEN_VIEWER, Viewer
from portfolio.core.db import database_version
from portfolio.core.filters import LIST_KEYS, Filters
from portfolio.core.registry import PAGES
from portfolio.core.settings import load_settings
from portfolio.read import stored
from portfolio.read.buying_center import buying_center_settings
from portfolio.read.service import ServiceSettings

T = TypeVar("T")
Version = tuple[str, int, int]
UNNARROWED: dict[str, list[str]] = {attr: [] for attr in LIST_KEYS.values()}


class Caches(Protocol):
    """Where a view's results are kept between runs (shared by every view of a process)."""

    def query(self, version: Version, name: str, params: dict[str, Any],
              inputs: Callable[[], dict[str, Any]] | None = None) -> pl.DataFrame: ...

    def input(self, version: Version, name: str, params: dict[str, Any]) -> pl.DataFrame: ...

    def derivation(self, version: Version, name: str, key: dict[str, Any],
                   build: Callable[[], Any]) -> Any: ...


def compute_query(version: Version, name: str, params: dict[str, Any],
                  inputs: Callable[[], dict[str, Any]] | None = None) -> pl.DataFrame:
    """A query's rows: the result stored beside the release, or the query run (and its
    result stored when it is a default view). `inputs` gives the rows of the query's
    declared inputs; it is called only when the query runs."""
    kept = stored.load(version, name, params)
    if kept is not None:
        return pl.from_arrow(kept)
    result = queries.run(name, db=Path(version[0]), inputs=inputs() if inputs else None,
                         **params)
    if stored.storable(params):
        # string views: the next process reads them into Polars without converting
        stored.save(version, name, params,
                    result.to_arrow(compat_level=pl.CompatLevel.newest()))
    return result


def compute_input(version: Version, name: str, params: dict[str, Any]) -> pl.DataFrame:
    """The rows of a query that others read as their input (e.g. every open deal, rated),
    for a viewer's whole scope."""
    kept = stored.load(version, name, params)
    if kept is None:
        kept = queries.run_arrow(name, db=Path(version[0]), **params)
        stored.save(version, name, params, kept)
    return pl.from_arrow(kept)


def compute_derivation(version: Version, name: str, key: dict[str, Any],
                       build: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """A per-account derivation's frame: the one stored beside the release for this key and
    code (portfolio/read/stored.py), or `build()`, then stored."""
    kept = stored.load_derivation(version, name, key)
    if kept is not None:
        return pl.from_arrow(kept)
    frame = build()
    stored.save_derivation(version, name, key, frame)
    return frame


def derivation_name(build: Callable[..., Any]) -> str:
    """The cache name of a derivation: its function's module and name. Lambdas and nested
    functions are refused, since two of them may share a name and differ in code."""
    qualified = f"{build.__module__}.{build.__qualname__}"
    if "<lambda>" in qualified or "<locals>" in qualified:
        raise TypeError(f"a cached derivation must be a module-level function, not {qualified}")
    return qualified


class _Bounded:
    """A thread-safe least-recently-used map with a fixed number of entries; one lock per
    key, so that two threads asking for the same missing value compute it once."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
                self._key_locks.pop(key, None)
            return value


def _key(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, default=repr)


class MemoryCaches:
    """Plain-Python caches: bounded in entries, keyed like the dashboard's."""

    def __init__(self, queries_kept: int = 512, inputs_kept: int = 16,
                 derivations_kept: int = 256) -> None:
        self._queries = _Bounded(queries_kept)
        self._inputs = _Bounded(inputs_kept)
        self._derivations = _Bounded(derivations_kept)

    def query(self, version: Version, name: str, params: dict[str, Any],
              inputs: Callable[[], dict[str, Any]] | None = None) -> pl.DataFrame:
        return self._queries.get(_key(version, name, params),
                                 lambda: compute_query(version, name, params, inputs))

    def input(self, version: Version, name: str, params: dict[str, Any]) -> pl.DataFrame:
        return self._inputs.get(_key(version, name, params),
                                lambda: compute_input(version, name, params))

    def derivation(self, version: Version, name: str, key: dict[str, Any],
                   build: Callable[[], Any]) -> Any:
        return self._derivations.get(_key(version, name, key), build)


MEMORY_CACHES = MemoryCaches()


def used(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a query's rows depend on (its SQL's and its inputs'): the rest must
    not split its cache entries."""
    needed = queries.depends_on(name)
    return {key: value for key, value in params.items() if key in needed}


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
    caches: Caches = field(default_factory=lambda: MEMORY_CACHES, repr=False, compare=False)
    # False for a view under settings of the moment (what-if weights): its per-account
    # frames are kept in memory only, not stored beside the release
    stores_derivations: bool = True
    _input_tables: dict[tuple[str, str], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def query_params(self, **extra: Any) -> dict[str, Any]:
        """The parameters of a query run: filters, shared settings, `extra`, and the
        viewer's scope, added last so that no caller can widen it."""
        settings = load_settings()
        return {**self.filters.sql_params(),
                "stage_probabilities": list(settings.stage_probabilities),
                **buying_center_settings().query_params(),
                "inform_within_days": ServiceSettings.load().inform_within_days,
                "late_delivery_days": ServiceSettings.load().late_delivery_days, **extra,
                "visible": self.viewer.sql_param()}

    def run(self, name: str, **extra: Any) -> pl.DataFrame:
        """A dataset query under the filters and the viewer's scope (part of the cache
        key)."""
        params = self.query_params(**extra)
        version = database_version(self.db)
        if queries.one_account(name) and self.filters.narrowed():
            # the account's rows do not change with the filters, only whether it is shown
            whole = self.caches.query(version, name, used(name, {**params, **UNNARROWED}))
            shown = bool((self.account_ids() == extra.get("account_id")).any())
            return whole if shown else whole.clear()
        if queries.per_account(name) and self.filters.narrowed():
            # run once for the viewer's whole scope, then cut to the filtered accounts: a
            # filter change costs a lookup of account ids instead of re-reading deals
            whole = self.caches.query(version, name, used(name, {**params, **UNNARROWED}))
            return whole.filter(pl.col("account_id").is_in(self.account_ids().implode()))
        sources = queries.declared_inputs(name)

        def inputs() -> dict[str, Any]:  # only when the result is not cached
            return {alias: self.input_rows(source, params) for alias, source in sources.items()}

        return self.caches.query(version, name, used(name, params),
                                 inputs if sources else None)

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
        whole = self.caches.input(database_version(self.db), source,
                                  used(source, {**params, **UNNARROWED}))
        if not self.filters.narrowed():
            return whole
        key = (source, repr(used(source, params)))
        if key not in self._input_tables:
            self._input_tables[key] = whole.filter(
                pl.col("account_id").is_in(self.account_ids().implode()))
        return self._input_tables[key]

    def memo(self, build: Callable[..., T], **inputs: Any) -> T:
        """A value derived in Python from this view's queries (scores, service bands, a
        pick of deals): `build(self, **inputs)`, cached per data release, filters, viewer
        scope, function and `inputs`, bounded in entries. The cache key names the function
        itself, so `build` must be a module-level function: two pages asking for the same
        derivation share it, and no page can reuse another's key with other code."""
        return self._memo(build, inputs, store=False)

    def memo_frame(self, build: Callable[..., pl.DataFrame], **inputs: Any) -> pl.DataFrame:
        """`memo` for a frame that is also stored beside the release when no filter narrows
        the view (`compute_derivation`): `inputs` must name everything it depends on
        besides the view's queries (e.g. the accounts the decision log hides)."""
        return self._memo(build, inputs, store=self.stores_derivations)

    def _memo(self, build: Callable[..., T], inputs: dict[str, Any], store: bool) -> T:
        key = {"filters": self.filters.sql_params(), "visible": self.viewer.sql_param(),
               "currency": self.currency, **inputs}
        version, name = database_version(self.db), derivation_name(build)

        def built() -> Any:
            return build(self, **inputs)

        return self.caches.derivation(
            version, name, key,
            (lambda: compute_derivation(version, name, key, built)) if store else built)

    def summed(self, name: str, combine: Callable[..., pl.DataFrame], *args: Any,
               **extra: Any) -> pl.DataFrame:
        """A per-account query's rows as the page shows them: `combine(rows, *args)` adds
        the filtered accounts up (portfolio/read/service_totals.py). Cached like `memo`, so
        a rerun with unchanged filters skips the adding up of 100,000s of rows. The totals of
        a view no filter narrows are also stored beside the release (`compute_derivation`),
        so that an as-of date warmed at publish time reads neither the rows nor adds them."""
        key = {"filters": self.filters.sql_params(), "visible": self.viewer.sql_param(),
               "args": args, **extra}
        version = database_version(self.db)
        derived = f"summed:{name}:{derivation_name(combine)}"

        def added_up() -> pl.DataFrame:
            return combine(self.run(name, **extra), *args)

        return self.caches.derivation(
            version, derived, key, lambda: compute_derivation(version, derived, key, added_up))

    def memo_accounts(self, build: Callable[..., pl.DataFrame], **inputs: Any) -> pl.DataFrame:
        """`memo` for a frame with a row per account that `build` derives from per-account
        queries (`-- grain: account`) by rules that judge each account alone (scores,
        service status). Under narrowing filters it is built once for the viewer's whole
        scope, with the context `build` is given, and cut to the filtered accounts. The
        whole scope's frame is also stored beside the release (`compute_derivation`), so
        that an as-of date warmed at publish time needs no scoring."""
        if not self.filters.narrowed():
            return self._memo(build, inputs, store=self.stores_derivations)
        whole = replace(self, filters=self.filters.unnarrowed())
        frame = whole._memo(build, inputs, store=self.stores_derivations)
        return frame.filter(pl.col("account_id").is_in(self.account_ids().implode()))

    def held(self) -> dict[str, bool]:
        """Which kinds of record the database holds at all (queries/data_held.sql): a
        section over records never imported says so instead of counting zeros."""
        return self.run("data_held").row(0, named=True)

    def account_ids(self) -> pl.Series:
        """The accounts within the filters and the viewer's scope."""
        params = {**self.filters.sql_params(), "visible": self.viewer.sql_param()}
        return self.caches.query(database_version(self.db), "scoped_account_ids",
                                 used("scoped_account_ids", params))["account_id"]

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
