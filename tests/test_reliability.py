"""Faults and hostile input: a broken or locked database gets a clear message (and the last
good release where there is one), the dashboard's connection cannot read other files, and
no SQL is assembled from strings anywhere in the code."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from portfolio.core.db import (
    DatabaseUnreadableError,
    publish_release,
    read_only_connection,
    readable_release,
)

ROOT = Path(__file__).resolve().parent.parent
CODE_FOLDERS = ("portfolio", "pages", "queries", "bench")
SQL_CALLS = {"execute", "executemany", "sql", "query", "from_query"}


def run_app(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("PORTFOLIO_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def damaged_copy(source: Path, target: Path) -> Path:
    data = source.resolve().read_bytes()
    target.write_bytes(data[: len(data) // 3])
    return target


def test_a_damaged_database_gets_a_clear_message_not_a_traceback(demo_db, tmp_path,
                                                                 monkeypatch):
    at = run_app(damaged_copy(demo_db, tmp_path / "damaged.duckdb"), monkeypatch)
    message = at.error[0].value
    assert "The portfolio database cannot be read" in message
    assert "damaged.duckdb: it is damaged or not a DuckDB database" in message
    assert "python -m portfolio check" in message
    assert not at.metric


def test_an_empty_file_gets_a_clear_message(tmp_path, monkeypatch):
    empty = tmp_path / "empty.duckdb"
    empty.write_bytes(b"")
    at = run_app(empty, monkeypatch)
    assert "The portfolio database cannot be read" in at.error[0].value


def test_a_damaged_release_falls_back_to_the_last_good_one(demo_db, tmp_path, monkeypatch):
    link = tmp_path / "served" / "portfolio.duckdb"
    publish_release(link, lambda target: shutil.copy(demo_db, target))
    publish_release(link, lambda target: damaged_copy(demo_db, target))
    path, notes = readable_release(link)
    assert path.name == "portfolio-000001.duckdb"
    assert "portfolio-000002.duckdb" in notes[0]
    at = run_app(link, monkeypatch)
    assert "previous one is shown" in at.warning[0].value
    assert "as of 22 Nov 2026" in at.caption[0].value  # the overview is served
    assert len(at.metric) >= 4


def outdated_copy(source: Path, target: Path) -> Path:
    """A database as an older version of the dashboard would have built it."""
    shutil.copy(source, target)
    with duckdb.connect(str(target)) as con:
        con.execute("UPDATE schema_info SET fingerprint = 'older'")
    return target


def test_a_release_from_an_older_schema_is_named_and_the_last_good_one_served(
        demo_db, tmp_path, monkeypatch):
    from portfolio.write.importer import check_database

    link = tmp_path / "served" / "portfolio.duckdb"
    publish_release(link, lambda target: shutil.copy(demo_db, target))
    publish_release(link, lambda target: outdated_copy(demo_db, target))
    path, notes = readable_release(link)
    assert path.name == "portfolio-000001.duckdb"
    assert "built by another version of the dashboard" in notes[0]
    assert "python -m portfolio demo" in notes[0]
    at = run_app(link, monkeypatch)
    assert "previous one is shown" in at.warning[0].value
    problems, total = check_database(link.resolve())
    assert total == 1 and "another version of the dashboard" in problems[0].rule
    assert problems[0].value == "older"


def test_no_readable_release_raises_a_message_naming_each(tmp_path, demo_db):
    link = tmp_path / "served" / "portfolio.duckdb"
    publish_release(link, lambda target: damaged_copy(demo_db, target))
    with pytest.raises(DatabaseUnreadableError, match=r"portfolio-000001\.duckdb: it is damaged"):
        readable_release(link)


def test_a_write_lock_held_by_another_process_gets_a_message_after_a_bounded_wait(
        demo_db, tmp_path, monkeypatch):
    locked = tmp_path / "locked.duckdb"
    shutil.copy(demo_db.resolve(), locked)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); time.sleep(60)", str(locked)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.perf_counter()
        at = run_app(locked, monkeypatch)
        waited = time.perf_counter() - started
    finally:
        holder.kill()
        holder.wait()
    assert "another program holds a write lock" in at.error[0].value
    assert waited < 30


def test_the_dashboard_connection_cannot_read_other_files(demo_db):
    cursor = read_only_connection(demo_db.resolve()).cursor()
    try:
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            cursor.execute("SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(duckdb.Error, match="configuration has been locked"):
            cursor.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error, match="read-only"):
            cursor.execute("DELETE FROM accounts")
    finally:
        cursor.close()


def sql_built_from_strings(path: Path) -> list[str]:
    """Calls like cursor.execute(f"...") or con.sql("..." % x) / ("..." + x) / "...".format()."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_CALLS and node.args):
            continue
        first = node.args[0]
        formatted = (isinstance(first, ast.JoinedStr)
                     or isinstance(first, ast.BinOp)
                     or (isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute)
                         and first.func.attr == "format"))
        if formatted:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_sql_is_assembled_by_formatting():
    files = [p for folder in CODE_FOLDERS for p in (ROOT / folder).rglob("*.py")]
    files.append(ROOT / "dashboard.py")
    assert len(files) > 20
    offenders = [hit for path in files for hit in sql_built_from_strings(path)]
    assert offenders == []


def test_the_scan_would_catch_formatted_sql(tmp_path):
    sample = ROOT / "tests" / "_formatted_sql_sample.py"
    sample.write_text('def f(c, t):\n    c.execute(f"SELECT * FROM {t}")\n'
                      '    c.sql("SELECT %s" % t)\n    c.sql("SELECT {}".format(t))\n')
    try:
        assert len(sql_built_from_strings(sample)) == 3
    finally:
        sample.unlink()


def test_no_python_functions_run_inside_polars_in_the_app():
    """`map_elements` calls Python from Polars' thread pool; with several sessions
    rendering at once that deadlocked a page (found by bench/bench_pages.py)."""
    files = [p for folder in ("pages", "portfolio") for p in (ROOT / folder).rglob("*.py")]
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in files if p.name != "demo.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if ".map_elements(" in line]
    assert offenders == []


def test_three_browser_sessions_load_every_page_at_once_without_errors(demo_db):
    import threading

    from playwright.sync_api import sync_playwright

    from portfolio.core.registry import PAGES
    from portfolio.delivery.browser import DashboardServer, launch_chromium, wait_until_finished

    # each user opens every page once, under a filter of their own
    filters = ("", "?tier=key", "?region=DACH")
    errors: list[str] = []
    visits: list[str] = []

    def user(query: str) -> None:
        paths = [f"/{p.url_path}{query}" for p in PAGES]
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                tab = browser.new_page(viewport={"width": 1400, "height": 900})
                for path in paths:
                    tab.goto(server.url + path)
                    wait_until_finished(tab, timeout_ms=90_000)
                    visits.append(path)
                browser.close()
        except Exception as error:  # collected: the assertion below names it
            errors.append(str(error)[:300])

    with DashboardServer(ROOT / "dashboard.py", env={"PORTFOLIO_DB": str(demo_db)}) as server:
        users = [threading.Thread(target=user, args=(query,)) for query in filters]
        for thread in users:
            thread.start()
        for thread in users:
            thread.join()
    assert errors == []
    assert sorted(visits) == sorted(f"/{p.url_path}{q}" for q in filters for p in PAGES)


def test_make_run_rebuilds_an_outdated_demo_but_never_imported_data(demo_db, tmp_path):
    def demo_if_missing(link: Path) -> str:
        done = subprocess.run([sys.executable, "-m", "portfolio", "demo", "--if-missing",
                               "--no-warm", "--db", str(link)], cwd=ROOT, capture_output=True,
                              text=True,
                              check=True)
        return done.stdout

    link = tmp_path / "served" / "portfolio.duckdb"
    publish_release(link, lambda target: outdated_copy(demo_db, target))
    assert "rebuilding it" in demo_if_missing(link)
    assert link.resolve().name == "portfolio-000002.duckdb"
    assert readable_release(link)[0] == link.resolve()

    imported = tmp_path / "imported" / "portfolio.duckdb"

    def outdated_import(target: Path) -> None:
        outdated_copy(demo_db, target)
        with duckdb.connect(str(target)) as con:
            con.execute("UPDATE portfolio_settings SET value = 'import' WHERE key = 'source'")

    publish_release(imported, outdated_import)
    assert "left as it is" in demo_if_missing(imported)
    assert imported.resolve().name == "portfolio-000001.duckdb"
