"""Where the served database lives, how it is created and how it is read.

Nothing here imports streamlit: the CLI, the export job, the tests and the pages share it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = PROJECT_ROOT / "queries" / "ddl" / "schema.sql"
DERIVE_FILE = PROJECT_ROOT / "queries" / "ddl" / "derive.sql"
RULES_FILE = PROJECT_ROOT / "queries" / "rules" / "macros.sql"
DEFAULT_DATABASE = PROJECT_ROOT / "data" / "portfolio.duckdb"
DATABASE_ENV = "PORTFOLIO_DB"
RELEASES_FOLDER = "releases"
KEEP_RELEASES = 3
OPEN_VERSIONS = 3  # connections kept open: the current release and two before it
IDLE_CURSORS = 8  # cursors with the rules installed, kept per connection for the next query

# The dashboard's connections can read only the database they were opened on: no other
# files, no extension downloads, and no query may switch that back on.
# Beside each release: the query results the dashboard stored for it (portfolio/read/stored.py).
RESULTS_SUFFIX = ".results"

READ_ONLY_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
    # DuckDB keeps the blocks it read in its buffer pool, up to 80 % of RAM by default; the
    # operating system's page cache holds the file anyway, so a modest pool costs little
    # speed and keeps the server's memory bounded (bench/RESULTS.md, peak memory).
    "memory_limit": "384MB",
}

TABLES = (
    "managers",
    "accounts",
    "account_metrics",
    "deals",
    "deal_stage_history",
    "calls",
    "contacts",
    "deal_contacts",
    "deliveries",
    "service_cases",
    "service_contracts",
    "relationship_events",
    "portfolio_settings",
)

_connections: dict[tuple[str, int, int], duckdb.DuckDBPyConnection] = {}
_connections_lock = threading.Lock()
_idle_cursors: dict[tuple[str, int, int], list[duckdb.DuckDBPyConnection]] = {}
_probed: set[tuple[str, int, int] | None] = set()


class DatabaseMissingError(FileNotFoundError):
    """The served database file does not exist."""


class SchemaOutdatedError(RuntimeError):
    """The file was built from another version of queries/ddl/schema.sql."""


class DatabaseUnreadableError(RuntimeError):
    """No release of the served database could be opened; the message says why and how to
    fix it."""


LOCK_RETRIES = 4
LOCK_WAIT_S = 0.5


def served_link_path(override: str | Path | None = None) -> Path:
    """The served database's name: an explicit path, else the PORTFOLIO_DB environment
    variable, else data/portfolio.duckdb. Imports publish releases behind this name."""
    if override:
        chosen = Path(override)
    elif os.environ.get(DATABASE_ENV):
        chosen = Path(os.environ[DATABASE_ENV])
    else:
        chosen = DEFAULT_DATABASE
    return Path(os.path.abspath(chosen.expanduser()))


def served_database_path(override: str | Path | None = None) -> Path:
    """The one place that decides which database file is served: the real file behind
    `served_link_path` (a release, when imports have published), so caches key on it."""
    return served_link_path(override).resolve()


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table of the canonical data model, and record which schema it was."""
    con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
    con.execute("CREATE TABLE schema_info AS SELECT ?::VARCHAR AS fingerprint",
                [schema_fingerprint()])


def schema_fingerprint() -> str:
    """Changes whenever the tables or the derived tables' content change; a release whose
    fingerprint differs is not read. The rule macros (RULES_FILE) are not in the file, so
    they are not in the fingerprint: a changed rule needs no new import."""
    return hashlib.sha256(SCHEMA_FILE.read_bytes() + DERIVE_FILE.read_bytes()).hexdigest()[:16]


@cache
def rules_text() -> str:
    """The rule macros every reading cursor installs (read once per process, like the
    queries' own SQL)."""
    return RULES_FILE.read_text(encoding="utf-8")


Version = tuple[str, int, int]  # a release's real path, mtime and size


def database_version(path: Path) -> Version:
    """Identifies one state of a database file: its real path, mtime and size."""
    real = path.resolve()
    stat = real.stat()
    return (str(real), stat.st_mtime_ns, stat.st_size)


def connect_read_only(path: str) -> duckdb.DuckDBPyConnection:
    """Open read-only; a lock held by a writing process is waited for a bounded time."""
    for attempt in range(LOCK_RETRIES):
        try:
            return duckdb.connect(path, read_only=True, config=READ_ONLY_CONFIG)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(LOCK_WAIT_S * (attempt + 1))
    raise AssertionError("unreachable")


def read_only_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A cached read-only connection to one version of a database file.

    Callers take a cursor() per query: a DuckDB connection refuses calls from several
    threads at once, and Streamlit runs each browser session in its own thread. A query
    that reads the rule macros takes `rules_cursor` instead.
    """
    return _cached_connection(path)[1]


def _cached_connection(path: Path) -> tuple[Version, duckdb.DuckDBPyConnection]:
    if not path.exists():
        raise DatabaseMissingError(f"No database at {path}")
    version = database_version(path)
    with _connections_lock:
        con = _connections.get(version)
        if con is None:
            close_replaced_versions(version[0])
            con = connect_read_only(version[0])
            _connections[version] = con
        return version, con


@contextmanager
def rules_cursor(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of the cached read-only connection to `path` with the rule macros of
    queries/rules/macros.sql installed, for one thread at a time.

    A read-only file refuses macros in its own catalog, and a temp macro is seen only by
    the cursor that created it; installing them takes ~5 ms, so cursors are kept for the
    next query. The connection's configuration stays locked (READ_ONLY_CONFIG): the
    macros are temp objects, not settings. A cursor is reused only when the block ended
    without an error, so the caller must leave it as it got it (unregister its views).
    """
    version, connection = _cached_connection(path)
    with _connections_lock:
        idle = _idle_cursors.get(version)
        cursor = idle.pop() if idle else None
    if cursor is None:
        cursor = connection.cursor()
        try:
            cursor.execute(rules_text())
        except BaseException:
            cursor.close()
            raise
    finished = False
    try:
        yield cursor
        finished = True
    finally:
        with _connections_lock:
            reuse = (finished and _connections.get(version) is connection
                     and len(_idle_cursors.get(version, ())) < IDLE_CURSORS)
            if reuse:
                _idle_cursors.setdefault(version, []).append(cursor)
        if not reuse:
            cursor.close()


def close_replaced_versions(real_path: str) -> None:
    """Close connections to earlier versions of a file that was replaced in place, and
    to all but the newest few releases.

    In one process DuckDB hands back the instance already open for a path, with its old
    data, until every connection to it is closed (STACK_NOTES). Connections to the last
    releases stay open a while so that a page still running on one can finish.
    """
    for version in [v for v in _connections if v[0] == real_path]:
        _close_version(version)
    while len(_connections) >= OPEN_VERSIONS:
        _close_version(next(iter(_connections)))


def _close_version(version: Version) -> None:
    """Close a cached connection (its cursors close with it). The caller holds the lock."""
    _idle_cursors.pop(version, None)
    _connections.pop(version).close()


def close_cached_connections() -> None:
    """Close every cached read-only connection (tests and tools that rewrite files)."""
    with _connections_lock:
        for version in list(_connections):
            _close_version(version)


def readable_release(link: Path) -> tuple[Path, list[str]]:
    """The release to serve: the current one if it opens and its tables can be read, else
    the newest earlier release that can (with a note on what was wrong)."""
    candidates = [link.resolve()] + [p for p in reversed(releases(link))
                                     if p != link.resolve()]
    notes: list[str] = []
    for path in candidates:
        try:
            probe_tables(path)
            return path, notes
        except (duckdb.Error, OSError, DatabaseMissingError, SchemaOutdatedError) as error:
            notes.append(f"{path.name}: {describe_database_error(error)}")
    raise DatabaseUnreadableError(
        "The portfolio database cannot be read. " + " ".join(notes) + " Check it with "
        "`python -m portfolio check`, then import again or rebuild the demo with "
        "`python -m portfolio demo`.")


def probe_tables(path: Path) -> None:
    """Open a release and read the first row of every table (fails fast when broken);
    a version that passed once is not probed again."""
    version = database_version(path) if path.exists() else None
    if version in _probed:
        return
    cursor = read_only_connection(path).cursor()
    try:
        for table in TABLES:
            cursor.table(table).limit(1).fetchall()
        recorded = recorded_schema(cursor)
    finally:
        cursor.close()
    if recorded is None or recorded[0] != schema_fingerprint():
        raise SchemaOutdatedError(f"schema {recorded[0] if recorded else 'unknown'}, "
                                  f"this dashboard needs {schema_fingerprint()}")
    _probed.add(version)


def recorded_schema(cursor: duckdb.DuckDBPyConnection) -> tuple[str] | None:
    """The schema fingerprint a database was built with; None for files built before
    fingerprints were recorded."""
    try:
        return next(iter(cursor.table("schema_info").limit(1).fetchall()), None)
    except duckdb.CatalogException:
        return None


def describe_database_error(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, DatabaseMissingError):
        return "the file is missing."
    if isinstance(error, SchemaOutdatedError):
        return ("it was built by another version of the dashboard; rebuild the demo with "
                "`python -m portfolio demo` or import your data again "
                f"({error}).")
    if "lock" in text.lower():
        return ("another program holds a write lock on it (an import or a script run by "
                "hand?); try again when it has finished.")
    if "Catalog Error" in text:
        return (f"it is not a portfolio database, or was built by an older version of the "
                f"schema; import it again or rebuild the demo ({text}).")
    return f"it is damaged or not a DuckDB database ({text})."


@contextmanager
def release_lock(folder: Path) -> Iterator[None]:
    """One publisher at a time per folder (another process waits)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def release_number(path: Path, stem: str) -> int | None:
    match = re.fullmatch(rf"{re.escape(stem)}-(\d{{6}})\.duckdb", path.name)
    return int(match[1]) if match else None


def releases(link: Path) -> list[Path]:
    """The published releases behind a served name, oldest first."""
    folder = link.parent / RELEASES_FOLDER
    found = [(release_number(p, link.stem), p) for p in folder.glob(f"{link.stem}-*.duckdb")]
    return [p for n, p in sorted((n, p) for n, p in found if n is not None)]


def publish_release(link: Path, write: Callable[[Path], None],
                    keep: int = KEEP_RELEASES) -> Path:
    """Publish a new database behind `link`: `write(path)` creates it under a temporary
    name; it is then renamed into releases/ and `link` is switched to it atomically (a
    symlink renamed over the old one). Readers see the old release or the new one, never
    a half-written file; if `write` fails, nothing that is served changes."""
    folder = link.parent / RELEASES_FOLDER
    with release_lock(folder):
        adopt_plain_file(link)
        existing = releases(link)
        number = (release_number(existing[-1], link.stem) or 0) + 1 if existing else 1
        target = folder / f"{link.stem}-{number:06d}.duckdb"
        temporary = folder / f".{target.name}.building"
        temporary.unlink(missing_ok=True)
        try:
            write(temporary)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, target)
        switch_link(link, target)
        for old in releases(link)[:-keep]:
            old.unlink(missing_ok=True)
            shutil.rmtree(old.with_name(old.name + RESULTS_SUFFIX), ignore_errors=True)
    return target


def adopt_plain_file(link: Path) -> None:
    """A served file that is not yet a link (a demo built in place) becomes release 0.

    It is hard-linked into releases/ first and the name then switched to a symlink, so
    the served name never goes missing, even for a moment."""
    if link.exists() and not link.is_symlink():
        folder = link.parent / RELEASES_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{link.stem}-000000.duckdb"
        target.unlink(missing_ok=True)
        os.link(link, target)
        switch_link(link, target)


def switch_link(link: Path, target: Path) -> None:
    temporary = link.with_name(f".{link.name}.switch")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(os.path.relpath(target, link.parent))
    os.replace(temporary, link)


SELF_REFERENCES = {"managers": ("manager_id", "reports_to"),
                   "accounts": ("account_id", "parent_account_id")}


# Rows stored in date order, so that DuckDB skips the row groups outside a query's date
# window (every row group keeps its min and max): the service queries read the last 12
# months of deliveries and cases, not all of them.
STORAGE_ORDER = {"deliveries": ("promised_on", "account_id"),
                 "service_cases": ("opened_on", "account_id")}


def load_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame]) -> None:
    """Insert frames into an empty schema, parents first, matching columns by name, in
    `STORAGE_ORDER` where given."""
    for name in TABLES:
        if name not in tables:
            continue
        columns = con.table(name).columns
        # a column the schema added later (accounts.annual_revenue, ...) may be absent: empty
        frame = tables[name].with_columns(pl.lit(None).alias(c) for c in columns
                                          if c not in tables[name].columns).select(columns)
        if name in STORAGE_ORDER:
            frame = frame.sort(STORAGE_ORDER[name], nulls_last=True)
        if name in SELF_REFERENCES:
            for level in hierarchy_levels(frame, *SELF_REFERENCES[name]):
                con.from_arrow(level.to_arrow()).insert_into(name)
        else:
            con.from_arrow(frame.to_arrow()).insert_into(name)


def hierarchy_levels(frame: pl.DataFrame, key: str, parent: str) -> list[pl.DataFrame]:
    """Split rows so each level only references rows of earlier levels.

    DuckDB checks a self-referencing foreign key against rows already in the table, so a
    hierarchy is inserted top-down. Rows in a cycle or pointing nowhere are kept for a
    last insert, where the database refuses them.
    """
    levels: list[pl.DataFrame] = []
    placed: set[str] = set()
    remaining = frame
    while remaining.height:
        ready = remaining.filter(pl.col(parent).is_null()
                                 | pl.col(parent).is_in(list(placed)))
        if ready.height == 0:
            levels.append(remaining)
            break
        levels.append(ready)
        placed.update(ready[key].to_list())
        remaining = remaining.filter(~pl.col(key).is_in(ready[key].to_list()))
    return levels


def write_database(path: Path, tables: dict[str, pl.DataFrame]) -> None:
    """Create a complete database at `path` from frames, atomically.

    The file is written under a temporary name, checkpointed and closed, then renamed over
    `path`, so a reader never sees a half-written database.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.building")
    temporary.unlink(missing_ok=True)
    con = duckdb.connect(str(temporary))
    try:
        create_schema(con)
        load_tables(con, tables)
        con.execute(DERIVE_FILE.read_text(encoding="utf-8"))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(temporary, path)
