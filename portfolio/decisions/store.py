"""Where decisions are kept: one interface, two engines.

- **SQLite in WAL mode** (the default): `decisions.sqlite` beside the served database's
  releases (`data/decisions.sqlite` for `data/portfolio.duckdb`), or the path in
  `PORTFOLIO_DECISIONS`. Readers never wait for the writer; writers queue for a few
  milliseconds each (busy timeout), so the server, the command line and the export can
  record at once from several processes. Every decision is committed with a full sync
  before `record` returns: a crash loses at most the decision being written.
- **PostgreSQL** (`PORTFOLIO_DECISIONS=postgresql://...`): one log for several servers.

Both are append-only: a decision is inserted in its own transaction and never changed;
the tables' triggers refuse UPDATE and DELETE. The SQL is in sql/, one file per statement
and dialect.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from portfolio.core.db import RELEASES_FOLDER, served_link_path
from portfolio.decisions.record import REASON_SEPARATOR, Decision, check

SQL_DIR = Path(__file__).with_name("sql")
DECISIONS_ENV = "PORTFOLIO_DECISIONS"
DEFAULT_NAME = "decisions.sqlite"
BUSY_TIMEOUT_S = 30.0
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
IDLE_CONNECTIONS = 4  # PostgreSQL connections kept open per process
SCHEMA_LOCK = 2_126_021  # the advisory lock that serialises creating the table in PostgreSQL


class DecisionLogError(RuntimeError):
    """The log cannot be read or written (unreachable server, unwritable file, ...)."""


class DecisionLog(Protocol):
    """The decision log: append a decision, read them back newest first."""

    location: str

    def record(self, decision: Decision) -> Decision:
        """Append `decision` (checked first) in one transaction; returns it with its id."""
        ...

    def history(self, account_id: str | None = None) -> list[Decision]:
        """Every decision (or one account's), newest first."""
        ...

    def version(self) -> int:
        """Changes whenever a decision is recorded (the id of the last one; 0: empty)."""
        ...


@cache
def statement(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def row_params(decision: Decision) -> dict[str, Any]:
    return {"account_id": decision.account_id, "suggestion": decision.suggestion,
            "reasons": REASON_SEPARATOR.join(decision.reasons),
            "attractiveness": decision.attractiveness, "tier": decision.tier,
            "suggested_tier": decision.suggested_tier, "verdict": decision.verdict,
            "decided_by": decision.by.strip(), "signed_in": decision.signed_in,
            "decided_at": decision.decided_at, "note": decision.note,
            "defer_until": decision.until, "owner": decision.owner, "due_on": decision.due,
            "data_release": decision.release, "as_of": decision.as_of}


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def from_row(row: Mapping[str, Any]) -> Decision:
    decided_at = row["decided_at"]
    return Decision(
        account_id=row["account_id"], suggestion=row["suggestion"],
        reasons=tuple(r for r in row["reasons"].split(REASON_SEPARATOR) if r),
        attractiveness=row["attractiveness"], tier=row["tier"],
        suggested_tier=row["suggested_tier"], verdict=row["verdict"], by=row["decided_by"],
        signed_in=bool(row["signed_in"]),
        decided_at=(decided_at if isinstance(decided_at, datetime)
                    else datetime.fromisoformat(decided_at)),
        release=row["data_release"], as_of=_day(row["as_of"]) or date.min, note=row["note"],
        until=_day(row["defer_until"]), owner=row["owner"], due=_day(row["due_on"]),
        id=int(row["id"]))


class SqliteLog:
    """The log in one SQLite file in WAL mode (stdlib sqlite3)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self._created = False
        self._lock = threading.Lock()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            # `timeout` is SQLite's busy timeout: a writer waits for the others this long
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                  detect_types=0)
        except sqlite3.Error as error:
            raise DecisionLogError(f"the decision log {self.location}: {error}") from error
        try:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA synchronous = FULL")
            yield con
        except sqlite3.Error as error:
            raise DecisionLogError(f"the decision log {self.location}: {error}") from error
        finally:
            con.close()

    def _create(self, con: sqlite3.Connection) -> None:
        if self._created:
            return
        with self._lock:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(statement("create.sqlite"))
            self._created = True

    def record(self, decision: Decision) -> Decision:
        check(decision)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        params = row_params(decision)
        params.update(signed_in=int(decision.signed_in),
                      decided_at=decision.decided_at.isoformat(),
                      defer_until=_iso(decision.until), due_on=_iso(decision.due),
                      as_of=decision.as_of.isoformat())
        with self._connection() as con:
            self._create(con)
            con.execute("BEGIN IMMEDIATE")
            try:
                new_id = con.execute(statement("insert.sqlite"), params).fetchone()[0]
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return _with_id(decision, new_id)

    def history(self, account_id: str | None = None) -> list[Decision]:
        if not self.path.exists():
            return []
        with self._connection() as con:
            self._create(con)
            rows = con.execute(statement("history.sqlite"), {"account_id": account_id})
            return [from_row(row) for row in rows]

    def version(self) -> int:
        if not self.path.exists():
            return 0
        with self._connection() as con:
            self._create(con)
            return int(con.execute(statement("version")).fetchone()[0])


class PostgresLog:
    """The log in a PostgreSQL database (psycopg 3), for several servers sharing one log.
    A few connections are kept open for the next call (a new one costs ~10 ms)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.location = url.split("@")[-1]  # never show a password
        self._created = False
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        import psycopg
        from psycopg.rows import dict_row

        con = psycopg.connect(self.url, row_factory=dict_row, connect_timeout=10,
                              autocommit=True)
        if not self._created:
            with con.transaction():
                con.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_LOCK])
                con.execute(statement("create.postgres"))
            self._created = True
        return con

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        import psycopg
        from psycopg.pq import TransactionStatus

        with self._lock:
            con = self._idle.pop() if self._idle else None
        try:
            if con is None or con.closed:
                con = self._connect()
            yield con
        except psycopg.Error as error:
            if con is not None:
                con.close()
            raise DecisionLogError(f"the decision log {self.location}: "
                                   f"{str(error).strip()}") from error
        except BaseException:
            if con is not None:
                con.close()
            raise
        if con.closed or con.info.transaction_status != TransactionStatus.IDLE:
            con.close()
            return
        with self._lock:
            if len(self._idle) < IDLE_CONNECTIONS:
                self._idle.append(con)
                return
        con.close()

    def record(self, decision: Decision) -> Decision:
        check(decision)
        with self._connection() as con, con.transaction():
            new_id = con.execute(statement("insert.postgres"), row_params(decision)
                                 ).fetchone()["id"]
        return _with_id(decision, new_id)

    def history(self, account_id: str | None = None) -> list[Decision]:
        with self._connection() as con:
            rows = con.execute(statement("history.postgres"), {"account_id": account_id})
            return [from_row(row) for row in rows.fetchall()]

    def version(self) -> int:
        with self._connection() as con:
            row = con.execute(statement("version")).fetchone()
            return int(next(iter(row.values())))


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _with_id(decision: Decision, new_id: int) -> Decision:
    from dataclasses import replace

    return replace(decision, id=int(new_id))


def log_location(db: str | Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """Where the log is: PORTFOLIO_DECISIONS (a path or a postgresql:// URL), else
    decisions.sqlite in the folder of the served database (beside its releases/)."""
    env = os.environ if env is None else env
    chosen = env.get(DECISIONS_ENV, "").strip()
    if chosen:
        return chosen
    folder = served_link_path(db).parent
    if folder.name == RELEASES_FOLDER:  # a release's own path: the log sits beside releases/
        folder = folder.parent
    return str(folder / DEFAULT_NAME)


_logs: dict[str, DecisionLog] = {}
_logs_lock = threading.Lock()


def open_log(db: str | Path | None = None, env: Mapping[str, str] | None = None) -> DecisionLog:
    """The decision log for the served database `db` (see log_location), one per process."""
    location = log_location(db, env)
    with _logs_lock:
        log = _logs.get(location)
        if log is None:
            log = (PostgresLog(location) if location.startswith(POSTGRES_SCHEMES)
                   else SqliteLog(Path(os.path.abspath(Path(location).expanduser()))))
            _logs[location] = log
        return log
