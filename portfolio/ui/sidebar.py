"""The shared filters: sidebar widgets, seeded from the URL on a session's first run and
written back to it, so that a copied link reproduces the view."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from portfolio.core import fmt
from portfolio.core.filters import (
    AS_OF_KEY,
    FILTER_KEYS,
    KAM_STAGES,
    LIST_KEYS,
    TIERS,
    FilterOptions,
    Filters,
    parse_query_params,
)
from portfolio.core.registry import PAGE_KEYS

WIDGET_KEYS = {"manager": "f_manager", "region": "f_region", "tier": "f_tier",
               "stage": "f_stage", AS_OF_KEY: "f_as_of"}


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
                          options: FilterOptions, warmed: list[date]) -> Filters:
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
                              key=WIDGET_KEYS[AS_OF_KEY], format="YYYY-MM-DD",
                              help=as_of_help(warmed))
        st.caption(f"Data from {fmt.day(options.oldest_on)} to {fmt.day(options.newest_on)}.")
    return Filters(as_of=as_of or options.newest_on, manager_ids=tuple(manager_ids),
                   regions=tuple(chosen_regions), tiers=tuple(tiers), kam_stages=tuple(stages))


def as_of_help(warmed: list[date]) -> str:
    """What the as-of date does, and which dates open at once: those warmed at publish time
    (`warmed`, oldest first; portfolio/delivery/warm.py)."""
    text = "Every figure, chart and list as it stood at the end of this day."
    if len(warmed) > 1:
        text += (f" Prepared when the data was published, and so opening at once: "
                 f"{fmt.day(warmed[-1])} and the same weekday of each week back to "
                 f"{fmt.day(warmed[0])}. Another date takes a few seconds the first time "
                 "anyone opens it.")
    return text
