"""A database that cannot be read: a clear message on the page, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import duckdb
import streamlit as st

from portfolio.core.db import describe_database_error

T = TypeVar("T")


def show_database_error(error: duckdb.Error) -> None:
    st.error("This page could not read the portfolio database: "
             f"{describe_database_error(error)} Run `python -m portfolio check` for "
             "details.", icon=":material/database:")


def guarded(read: Callable[[], T]) -> T:
    """Run a read of the database; on failure show what is wrong and stop the script."""
    try:
        return read()
    except duckdb.Error as error:
        show_database_error(error)
        st.stop()
        raise
