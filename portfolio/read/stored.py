"""Query results stored beside a release, so that a new server process starts warm.

A release never changes once published, so what a query returned for it stays true. The
dashboard keeps the results of its default views (no filter narrowing the accounts; any
viewer scope) in `<release>.results/`, one Arrow IPC file per query and parameters
(compressed with zstd: 4 to 10 times smaller, read back in milliseconds). A server started
later (a restart, a second worker, the weekly export's own server) reads them instead of
running the query again. The key holds the query's SQL text, the rule macros
(queries/rules/macros.sql) and the database file's version, so a changed query or rule or
a file replaced in place is never answered from an old result; the folder goes when its
release is pruned.

The per-account derivations made in Python from those results (scores, service status:
`PageContext.memo_accounts`; the service totals: `PageContext.summed`) are stored the same
way, keyed by their function, their inputs and the code they may run (`code_fingerprint`:
the read layer, the queries, the settings and the versions of Polars and PyArrow), so that
a changed rule is never answered from an old frame. Only functions of the read layer and
core, whose code the fingerprint covers, are stored.

Warming a release (portfolio/delivery/warm.py) stores the default views of the newest
date and of the weeks before it: the weekly snapshots an as-of change reads.

The folder is bounded: every as-of date visited stores another set of results (~57 MB at
large scale, every tab of every page), so saving a result removes the least recently used
ones until the folder holds at most `max_mb` of [stored_results] in settings.toml
(PORTFOLIO_STORED_RESULTS_MB overrides it). A result read is touched (its mtime is the
time of its last use); the one just written is never removed. Several processes may save
at once: a file another one removed first is simply gone.

Storing is best effort: a folder that cannot be written, or a damaged file, only means
the query runs. `PORTFOLIO_STORED_RESULTS=off` turns reading and writing off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

import queries
from portfolio.core.db import PROJECT_ROOT, RESULTS_SUFFIX, rules_text
from portfolio.core.filters import LIST_KEYS
from portfolio.core.settings import SETTINGS_FILE, load_settings

FILTER_PARAMS = tuple(LIST_KEYS.values())  # manager_ids, regions, tiers, kam_stages


SWITCH = "PORTFOLIO_STORED_RESULTS"
CAP_ENV = "PORTFOLIO_STORED_RESULTS_MB"
MB = 1024 * 1024
SUFFIX = ".arrow"
COMPRESSION = pa.ipc.IpcWriteOptions(compression="zstd")
# what a derivation stored beside a release may have read: its code, every query and rule,
# and the settings (a derivation's own settings are in its key; others it may load itself)
DERIVATION_SOURCES = ("portfolio/read", "portfolio/core", "queries")
DERIVATION_SUFFIXES = (".py", ".sql", ".toml")
DERIVATION_MODULES = ("portfolio.read.", "portfolio.core.")
WARMED_FILE = "warmed.json"


class StoredResultsSettingError(ValueError):
    """A setting of the stored results is out of its range (the size cap, the weeks)."""


def enabled() -> bool:
    return os.environ.get(SWITCH, "on").strip().lower() != "off"


def cap_bytes() -> int:
    """The most a release's results folder may hold: PORTFOLIO_STORED_RESULTS_MB when set,
    else `max_mb` of [stored_results] in settings.toml (megabytes of 1024 x 1024 bytes)."""
    if os.environ.get(CAP_ENV, "").strip():
        source, value = CAP_ENV, os.environ[CAP_ENV].strip()
    else:
        source = f"{SETTINGS_FILE.name} [stored_results] max_mb"
        value = load_settings().section("stored_results").get("max_mb", 1024)
    try:
        megabytes = float(value)
    except (TypeError, ValueError):
        megabytes = math.nan
    if not (math.isfinite(megabytes) and megabytes >= 0):
        raise StoredResultsSettingError(
            f"{source} = {value!r}: must be a number of megabytes, 0 or more")
    return int(megabytes * MB)


def snapshot_weeks() -> int:
    """How many weeks before the newest date a release is warmed for at publish time
    (`snapshot_weeks` of [stored_results] in settings.toml; portfolio/delivery/warm.py)."""
    weeks = load_settings().section("stored_results").get("snapshot_weeks", 12)
    if not isinstance(weeks, int) or isinstance(weeks, bool) or weeks < 0:
        raise StoredResultsSettingError(
            f"{SETTINGS_FILE.name} [stored_results] snapshot_weeks = {weeks!r}: "
            "must be a whole number of weeks, 0 or more")
    return weeks


def results_dir(version: tuple[str, int, int]) -> Path:
    """The folder beside a release (`version`: its real path, mtime and size)."""
    real = Path(version[0])
    return real.with_name(real.name + RESULTS_SUFFIX)


def storable(params: Mapping[str, Any]) -> bool:
    """Only default views are stored: no filter narrows the accounts (the viewer's scope
    may), so the folder holds a bounded number of results per release."""
    return enabled() and not any(params.get(key) for key in FILTER_PARAMS)


def result_path(version: tuple[str, int, int], name: str, params: Mapping[str, Any]) -> Path:
    sql = "".join(map(queries.sql_text, queries.reads(name))) + rules_text()
    text = json.dumps([name, hashlib.sha256(sql.encode()).hexdigest(), list(version),
                       dict(params)], sort_keys=True, default=str)
    return results_dir(version) / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:24]}{SUFFIX}"


@functools.cache
def code_fingerprint() -> str:
    """A digest of every file a stored derivation may depend on, and of the libraries that
    compute and store it (read once per process, when this module is imported: a process
    whose files are replaced later keeps storing under the code it runs)."""
    digest = hashlib.sha256(f"polars {pl.__version__} pyarrow {pa.__version__}".encode())
    for folder in DERIVATION_SOURCES:
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.suffix in DERIVATION_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def stores_derivation(name: str) -> bool:
    """Whether a derivation (`module.function`, or `summed:query:module.function`) is of
    code the fingerprint covers."""
    return name.rsplit(":", 1)[-1].startswith(DERIVATION_MODULES)


def derivation_path(version: tuple[str, int, int], name: str, key: Mapping[str, Any]) -> Path:
    """Where a derivation's frame is stored: its function's name, its key (filters, scope,
    settings given) and the code it may run."""
    text = json.dumps([name, code_fingerprint(), list(version), dict(key)], sort_keys=True,
                      default=repr)
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    readable = re.sub(r"[^A-Za-z0-9_]+", "_", name.rsplit(".", 1)[-1])
    return results_dir(version) / f"d.{readable}-{digest}{SUFFIX}"


def load(version: tuple[str, int, int], name: str, params: Mapping[str, Any]) -> pa.Table | None:
    """The stored result, or None when there is none (or it cannot be read)."""
    if not storable(params):
        return None
    return load_file(result_path(version, name, params))


def load_derivation(version: tuple[str, int, int], name: str,
                    key: Mapping[str, Any]) -> pa.Table | None:
    """A derivation's stored frame (`key` as `PageContext.memo` builds it), or None."""
    if not (storable(key.get("filters", {})) and stores_derivation(name)):
        return None
    return load_file(derivation_path(version, name, key))


def save_derivation(version: tuple[str, int, int], name: str, key: Mapping[str, Any],
                    frame: pl.DataFrame) -> None:
    """Store a derivation's frame, when its view and code allow (string views kept)."""
    if storable(key.get("filters", {})) and stores_derivation(name):
        save_file(derivation_path(version, name, key),
                  frame.to_arrow(compat_level=pl.CompatLevel.newest()))


def record_warmed(version: tuple[str, int, int], days: list[date]) -> None:
    """Note the as-of dates a warm stored (portfolio/delivery/warm.py); best effort."""
    folder = results_dir(version)
    with contextlib.suppress(OSError):
        folder.mkdir(exist_ok=True)
        temporary = folder / f".{WARMED_FILE}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(sorted(day.isoformat() for day in days)),
                             encoding="utf-8")
        os.replace(temporary, folder / WARMED_FILE)


def warmed_dates(version: tuple[str, int, int]) -> list[date]:
    """The as-of dates the last warm of a release stored, oldest first (none when it was not
    warmed, or storing is off)."""
    if not enabled():
        return []
    try:
        return [date.fromisoformat(day) for day in json.loads(
            (results_dir(version) / WARMED_FILE).read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        return []


def load_file(path: Path) -> pa.Table | None:
    try:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid):
        return None
    with contextlib.suppress(OSError):  # used now: the last to be evicted (gone: no matter)
        os.utime(path)
    return table


def save(version: tuple[str, int, int], name: str, params: Mapping[str, Any],
         table: pa.Table) -> None:
    """Store a result (written under a temporary name, then renamed into place)."""
    if storable(params):
        save_file(result_path(version, name, params), table)


def save_file(path: Path, table: pa.Table) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        with pa.OSFile(str(temporary), "wb") as sink, \
                pa.ipc.new_file(sink, table.schema, options=COMPRESSION) as writer:
            writer.write_table(table)
        os.replace(temporary, path)
    except (OSError, pa.ArrowException):
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return
    evict(stored_files(path.parent), keep=path, cap=cap_bytes())


@dataclass(frozen=True)
class StoredFile:
    path: Path
    size: int
    used_ns: int  # mtime: written or last read


def stored_files(folder: Path) -> list[StoredFile]:
    """The results in a folder, least recently used first (files being written, whose
    names start with a dot, are not counted; files that vanish while listed are left out)."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(".") or not entry.name.endswith(SUFFIX):
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:  # removed by another process meanwhile
                continue
            found.append(StoredFile(Path(entry.path), stat.st_size, stat.st_mtime_ns))
    return sorted(found, key=lambda f: (f.used_ns, f.path.name))


def evict(files: list[StoredFile], keep: Path, cap: int) -> list[Path]:
    """Remove the least recently used of `files` (never `keep`) until they hold at most
    `cap` bytes; the paths removed, in order. A file already gone counts as removed."""
    total = sum(f.size for f in files)
    removed = []
    for stored_file in files:
        if total <= cap:
            break
        if stored_file.path == keep:
            continue
        with contextlib.suppress(OSError):  # gone already, or cannot be removed: skip it
            stored_file.path.unlink(missing_ok=True)
            removed.append(stored_file.path)
        total -= stored_file.size
    return removed


code_fingerprint()  # now: see its docstring
