"""Where the served database lives, how it is created and how it is read.

Nothing here imports streamlit: the CLI, the export job, the tests and the pages share it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = PROJECT_ROOT / "queries" / "ddl" / "schema.sql"
DEFAULT_DATABASE = PROJECT_ROOT / "data" / "portfolio.duckdb"
DATABASE_ENV = "PORTFOLIO_DB"

# The dashboard's connections can read only the database they were opened on: no other
# files, no extension downloads, and no query may switch that back on.
READ_ONLY_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
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
_build_lock = threading.Lock()


class DatabaseMissingError(FileNotFoundError):
    """The served database file does not exist."""


def served_database_path(override: str | Path | None = None) -> Path:
    """The one place that decides which database file is served.

    An explicit path wins, then the PORTFOLIO_DB environment variable, then
    data/portfolio.duckdb. Symlinks are resolved so caches key on the real file.
    """
    if override:
        chosen = Path(override)
    elif os.environ.get(DATABASE_ENV):
        chosen = Path(os.environ[DATABASE_ENV])
    else:
        chosen = DEFAULT_DATABASE
    return chosen.expanduser().resolve()


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table (and the shared filter macro) of the canonical data model."""
    con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))


def database_version(path: Path) -> tuple[str, int, int]:
    """Identifies one state of a database file: its real path, mtime and size."""
    real = path.resolve()
    stat = real.stat()
    return (str(real), stat.st_mtime_ns, stat.st_size)


def read_only_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A cached read-only connection to one version of a database file.

    Callers take a cursor() per query: a DuckDB connection refuses calls from several
    threads at once, and Streamlit runs each browser session in its own thread.
    """
    if not path.exists():
        raise DatabaseMissingError(f"No database at {path}")
    version = database_version(path)
    with _connections_lock:
        con = _connections.get(version)
        if con is None:
            close_replaced_versions(version[0])
            con = duckdb.connect(version[0], read_only=True, config=READ_ONLY_CONFIG)
            _connections[version] = con
        return con


def close_replaced_versions(real_path: str) -> None:
    """Close connections to earlier versions of a file that was replaced in place.

    In one process DuckDB hands back the instance already open for a path, with its old
    data, until every connection to it is closed (STACK_NOTES).
    """
    for version in [v for v in _connections if v[0] == real_path]:
        _connections.pop(version).close()


def close_cached_connections() -> None:
    """Close every cached read-only connection (tests and tools that rewrite files)."""
    with _connections_lock:
        for con in _connections.values():
            con.close()
        _connections.clear()


def ensure_served_database(path: Path | None = None) -> Path:
    """Return the served database path, building the demo portfolio there if missing."""
    target = path or served_database_path()
    if target.exists():
        return target
    with _build_lock:
        if not target.exists():
            from portfolio.demo import build_demo_database

            build_demo_database(target)
    return target


SELF_REFERENCES = {"managers": ("manager_id", "reports_to"),
                   "accounts": ("account_id", "parent_account_id")}


def load_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame]) -> None:
    """Insert frames into an empty schema, parents first, matching columns by name."""
    for name in TABLES:
        if name not in tables:
            continue
        frame = tables[name].select(con.table(name).columns)
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
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(temporary, path)
