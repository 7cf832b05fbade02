"""Query results stored beside a release (portfolio/read/stored.py): the same rows come back,
only default views are stored, a changed file or damaged result is never served, pruning
removes them, and a new server process answers its first run from them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.core.db import database_version, publish_release, releases, write_database
from portfolio.read import stored
from tests.conftest import read_fixture_tables
from tests.test_access import PARAMS

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 22)
DEFAULT = {**PARAMS, "as_of": AS_OF, "visible": None, "account_id": "A0088"}
DATASETS = [name for name in queries.available() if "visible" in queries.depends_on(name)]


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, copy)
    return copy


@pytest.mark.parametrize("name", DATASETS)
def test_a_stored_result_is_the_same_rows(demo_copy: Path, name: str) -> None:
    version = database_version(demo_copy)
    result = queries.run(name, db=demo_copy, **DEFAULT)
    assert stored.load(version, name, DEFAULT) is None
    stored.save(version, name, DEFAULT, result.to_arrow())
    kept = stored.load(version, name, DEFAULT)
    assert kept is not None
    assert_frame_equal(pl.from_arrow(kept), result)


def test_the_key_holds_the_parameters_the_file_version_and_the_query(demo_copy: Path) -> None:
    version = database_version(demo_copy)
    path = stored.result_path(version, "risk_signals", DEFAULT)
    assert path.parent == demo_copy.with_name("demo.duckdb.results")
    assert stored.result_path(version, "risk_signals", {**DEFAULT, "recent_days": 30}) != path
    assert stored.result_path(version, "risk_signals", {**DEFAULT, "visible": ["M04"]}) != path
    assert stored.result_path(version, "scoring_metrics", DEFAULT) != path
    os.utime(demo_copy, ns=(1, 1))  # the same file, changed in place
    assert stored.result_path(database_version(demo_copy), "risk_signals", DEFAULT) != path


def test_only_default_views_are_stored(demo_copy: Path) -> None:
    version = database_version(demo_copy)
    narrowed = {**DEFAULT, "tiers": ["key"]}
    result = queries.run("risk_signals", db=demo_copy, **narrowed)
    stored.save(version, "risk_signals", narrowed, result.to_arrow())
    assert stored.load(version, "risk_signals", narrowed) is None
    assert not stored.results_dir(version).exists()
    scoped = {**DEFAULT, "visible": ["M04"]}  # a viewer's scope is a default view
    stored.save(version, "risk_signals", scoped,
                queries.run("risk_signals", db=demo_copy, **scoped).to_arrow())
    assert stored.load(version, "risk_signals", scoped) is not None


def test_a_damaged_result_is_not_served(demo_copy: Path) -> None:
    version = database_version(demo_copy)
    stored.save(version, "risk_signals", DEFAULT,
                queries.run("risk_signals", db=demo_copy, **DEFAULT).to_arrow())
    path = stored.result_path(version, "risk_signals", DEFAULT)
    path.write_bytes(path.read_bytes()[:200])
    assert stored.load(version, "risk_signals", DEFAULT) is None


def test_a_folder_that_cannot_be_written_only_means_nothing_is_stored(demo_copy: Path) -> None:
    version = database_version(demo_copy)
    stored.results_dir(version).write_text("a file where the folder would be")
    stored.save(version, "risk_signals", DEFAULT,
                queries.run("risk_signals", db=demo_copy, **DEFAULT).to_arrow())
    assert stored.load(version, "risk_signals", DEFAULT) is None


def test_storing_can_be_turned_off(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTFOLIO_STORED_RESULTS", "off")
    version = database_version(demo_copy)
    stored.save(version, "risk_signals", DEFAULT,
                queries.run("risk_signals", db=demo_copy, **DEFAULT).to_arrow())
    assert not stored.results_dir(version).exists()


def test_pruning_a_release_removes_its_stored_results(tmp_path: Path) -> None:
    link = tmp_path / "portfolio.duckdb"
    tables = read_fixture_tables(ROOT / "tests" / "data" / "tiny")
    for _ in range(2):
        publish_release(link, lambda target: write_database(target, tables), keep=2)
    first = releases(link)[0]
    version = database_version(first)
    stored.save(version, "risk_signals", DEFAULT,
                queries.run("risk_signals", db=first, **DEFAULT).to_arrow())
    assert stored.results_dir(version).is_dir()
    publish_release(link, lambda target: write_database(target, tables), keep=2)
    assert first not in releases(link)
    assert not stored.results_dir(version).exists()


# A fresh process renders the overview under AppTest and prints which queries reached
# DuckDB and the headline figures shown.
FIRST_RUN = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import queries
ran = []
for attribute in ("run", "run_arrow"):
    original = getattr(queries, attribute)
    def counted(name, _original=original, **kwargs):
        ran.append(name)
        return _original(name, **kwargs)
    setattr(queries, attribute, counted)
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1] + "/dashboard.py", default_timeout=120)
at.run()
assert not at.exception, [e.value for e in at.exception]
print(json.dumps({"ran": ran, "metrics": [[m.label, m.value] for m in at.metric]}))
"""


def first_run(db: Path, **env: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-c", FIRST_RUN, str(ROOT)], capture_output=True,
                            text=True, timeout=300, check=True,
                            env={**os.environ, "PORTFOLIO_DB": str(db), **env})
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_new_process_answers_its_first_run_from_the_stored_results(demo_copy: Path) -> None:
    cold = first_run(demo_copy)
    assert "risk_signals" in cold["ran"] and "overview_figures" in cold["ran"]
    warm = first_run(demo_copy)
    assert warm["metrics"] == cold["metrics"] and len(warm["metrics"]) == 8
    assert warm["ran"] == [], warm["ran"]  # every query of the default view was stored
    off = first_run(demo_copy, PORTFOLIO_STORED_RESULTS="off")
    assert off["metrics"] == cold["metrics"] and sorted(off["ran"]) == sorted(cold["ran"])


def test_a_published_demo_is_warmed_for_its_first_visitor(tmp_path: Path) -> None:
    link = tmp_path / "portfolio.duckdb"
    done = subprocess.run([sys.executable, "-m", "portfolio", "demo", "--db", str(link),
                           "--scale", "small"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=True)
    assert "Warmed every page for its first visitor" in done.stdout
    stored_files = list(link.resolve().parent.glob("*.results/*"))
    assert len(stored_files) > 20  # every page's default view
    first = first_run(link)
    assert first["ran"] == [], first["ran"]  # the overview's first run reads no table
    assert len(first["metrics"]) == 8


def test_warming_with_stored_results_off_does_nothing(tmp_path: Path) -> None:
    link = tmp_path / "portfolio.duckdb"
    done = subprocess.run([sys.executable, "-m", "portfolio", "demo", "--db", str(link),
                           "--scale", "small"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=True,
                          env={**os.environ, "PORTFOLIO_STORED_RESULTS": "off"})
    assert "Warmed" not in done.stdout
    assert not list(link.resolve().parent.glob("*.results/*"))

