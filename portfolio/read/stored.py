"""Query results stored beside a release, so that a new server process starts warm.

A release never changes once published, so what a query returned for it stays true. The
dashboard keeps the results of its default views (no filter narrowing the accounts; any
viewer scope) in `<release>.results/`, one Arrow IPC file per query and parameters. A
server started later (a restart, a second worker, the weekly export's own server) reads
them, memory-mapped, instead of running the query again. The key holds the query's SQL
text and the database file's version, so a changed query or a file replaced in place is
never answered from an old result; the folder goes when its release is pruned.

Storing is best effort: a folder that cannot be written, or a damaged file, only means
the query runs. `PORTFOLIO_STORED_RESULTS=off` turns reading and writing off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

import queries
from portfolio.core.db import RESULTS_SUFFIX
from portfolio.core.filters import LIST_KEYS

FILTER_PARAMS = tuple(LIST_KEYS.values())  # manager_ids, regions, tiers, kam_stages


SWITCH = "PORTFOLIO_STORED_RESULTS"


def enabled() -> bool:
    return os.environ.get(SWITCH, "on").strip().lower() != "off"


def results_dir(version: tuple[str, int, int]) -> Path:
    """The folder beside a release (`version`: its real path, mtime and size)."""
    real = Path(version[0])
    return real.with_name(real.name + RESULTS_SUFFIX)


def storable(params: Mapping[str, Any]) -> bool:
    """Only default views are stored: no filter narrows the accounts (the viewer's scope
    may), so the folder holds a bounded number of results per release."""
    return enabled() and not any(params.get(key) for key in FILTER_PARAMS)


def result_path(version: tuple[str, int, int], name: str, params: Mapping[str, Any]) -> Path:
    sql = hashlib.sha256("".join(map(queries.sql_text, queries.reads(name))).encode()).hexdigest()
    text = json.dumps([name, sql, list(version), dict(params)], sort_keys=True, default=str)
    return results_dir(version) / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:24]}.arrow"


def load(version: tuple[str, int, int], name: str, params: Mapping[str, Any]) -> pa.Table | None:
    """The stored result, or None when there is none (or it cannot be read)."""
    if not storable(params):
        return None
    path = result_path(version, name, params)
    try:
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid):
        return None


def save(version: tuple[str, int, int], name: str, params: Mapping[str, Any],
         table: pa.Table) -> None:
    """Store a result (written under a temporary name, then renamed into place)."""
    if not storable(params):
        return
    path = result_path(version, name, params)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        with pa.OSFile(str(temporary), "wb") as sink, \
                pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
