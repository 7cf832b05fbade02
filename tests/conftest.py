"""Shared fixtures: databases built from text fixtures or the demo, never from "today"."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from portfolio.core.db import TABLES, close_cached_connections, write_database
from portfolio.write.demo import build_demo_database

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
# The public CRM data set lives in ../shared beside the project (as on CI)
_SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
CRM_DATASET = ((_SHARED if _SHARED.exists() else Path("/work/shared"))
               / "datasets" / "crm-sales-opportunities")


def read_fixture_tables(folder: Path) -> dict[str, pl.DataFrame]:
    """Every `<table>.csv` in a folder, all columns as text (empty = NULL); DuckDB casts
    them to the schema's types on insert, so a fixture reads like a canonical import."""
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if path.exists():
            tables[name] = pl.read_csv(path, infer_schema=False)
    return tables


def build_fixture_database(scenario: str, target: Path) -> Path:
    write_database(target, read_fixture_tables(DATA / scenario))
    return target


def open_page(page: str, query: Mapping[str, str | list[str]]) -> AppTest:
    """A page of the dashboard under AppTest, entered through dashboard.py with `query` in
    the address (as a link opens it); fails on an exception."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="session")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/tiny/*.csv loaded into a DuckDB file (shared, read-only use)."""
    return build_fixture_database("tiny", tmp_path_factory.mktemp("tiny") / "tiny.duckdb")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo portfolio with the default seed (shared, read-only use)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo_database(path)
    return path


@pytest.fixture(autouse=True, scope="session")
def _close_connections_at_end():
    yield
    close_cached_connections()
