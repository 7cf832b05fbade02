"""The read layer's caches for the dashboard: Streamlit's, shared by every session.

They hold the objects themselves (st.cache_resource), not pickled copies: a hit costs
nothing, where unpickling a 10,000-row frame or re-validating a figure costs tens of
milliseconds. Polars frames are immutable and no page changes a cached figure or dict. The
computing is the read layer's (portfolio/read/context.py); this module only keeps results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from portfolio.read.context import Version, compute_input, compute_query


@st.cache_resource(ttl=900, max_entries=512, show_spinner=False)
def _query(version: Version, name: str, params: dict[str, Any],
           _inputs: Callable[[], dict[str, Any]] | None = None) -> pl.DataFrame:
    return compute_query(version, name, params, _inputs)


@st.cache_resource(ttl=900, max_entries=16, show_spinner=False)
def _input(version: Version, name: str, params: dict[str, Any]) -> pl.DataFrame:
    # a few tens of MB at large scale each, so few are kept
    return compute_input(version, name, params)


@st.cache_resource(ttl=900, max_entries=256, show_spinner=False)
def _derivation(version: Version, name: str, key: dict[str, Any],
                _build: Callable[[], Any]) -> Any:
    return _build()


class StreamlitCaches:
    """`portfolio.read.context.Caches` on Streamlit's shared caches."""

    def query(self, version: Version, name: str, params: dict[str, Any],
              inputs: Callable[[], dict[str, Any]] | None = None) -> pl.DataFrame:
        return _query(version, name, params, inputs)

    def input(self, version: Version, name: str, params: dict[str, Any]) -> pl.DataFrame:
        return _input(version, name, params)

    def derivation(self, version: Version, name: str, key: dict[str, Any],
                   build: Callable[[], Any]) -> Any:
        return _derivation(version, name, key, build)


STREAMLIT_CACHES = StreamlitCaches()
