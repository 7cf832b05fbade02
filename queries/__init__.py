"""The read side: one .sql file per dataset and one thin runner.

`run(name, db=..., **params)` executes `queries/<name>.sql` with named, bound parameters
on a cursor of a cached read-only connection, with the rule macros of
`queries/rules/macros.sql` installed, and returns a Polars frame. SQL is never
assembled from strings: a file's text is sent as it is and values travel as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pyarrow as pa

from portfolio.core.db import rules_cursor, served_database_path

QUERY_DIR = Path(__file__).resolve().parent
T = TypeVar("T")
_PARAMETER = re.compile(r"(?<![\w$])\$([A-Za-z_]\w*)")
_COMMENT = re.compile(r"--[^\n]*")
_ACCOUNT_GRAIN = re.compile(r"^-- grain: account\b", re.MULTILINE)
_ONE_ACCOUNT = re.compile(r"^-- grain: one account\b", re.MULTILINE)
_INPUT = re.compile(r"^-- input: (\w+) = (\w+)\s*$", re.MULTILINE)


class QueryParameterError(TypeError):
    """A query was called without a parameter its SQL needs."""


def available() -> list[str]:
    """Names of every dataset query (the .sql files beside this module)."""
    return sorted(path.stem for path in QUERY_DIR.glob("*.sql"))


@cache
def sql_text(name: str) -> str:
    path = QUERY_DIR / f"{name}.sql"
    if not path.is_file() or name not in available():
        raise KeyError(f"no query named {name!r}")
    return path.read_text(encoding="utf-8")


@cache
def parameters(name: str) -> frozenset[str]:
    """The named parameters ($name) a query's SQL uses, comments excluded."""
    return frozenset(_PARAMETER.findall(_COMMENT.sub("", sql_text(name))))


@cache
def per_account(name: str) -> bool:
    """Whether a query is marked `-- grain: account`: its rows are per account (an
    `account_id` column), each computed from that account's own data only, so the
    filters merely choose which accounts appear. Such a result, run once for the whole
    scope, can be narrowed to any filter's accounts instead of being run again
    (tests/test_account_grain.py proves it for every marked query)."""
    return bool(_ACCOUNT_GRAIN.search(sql_text(name)))


@cache
def one_account(name: str) -> bool:
    """Whether a query is marked `-- grain: one account`: its rows are those of account
    $account_id, computed from that account's own data, and the filters only decide
    whether the account is shown at all. Its rows under narrowing filters are its rows for
    the viewer's whole scope when the account is within the filters, else none
    (tests/test_account_grain.py proves it for every marked query)."""
    return bool(_ONE_ACCOUNT.search(sql_text(name)))


@cache
def declared_inputs(name: str) -> dict[str, str]:
    """The rows a query reads besides the tables, by the name it reads them under:
    `-- input: rated_deals = buying_center_rated` makes the rows of that query visible to
    this one as `rated_deals`. A page passes them from its cache; `run` computes them.

    An input holds the rows of the filtered accounts in the viewer's scope and no others
    (its source takes the filters and the scope; a page narrows a whole-scope result to
    the same accounts), so the reading query does not filter them again."""
    return dict(_INPUT.findall(sql_text(name)))


@cache
def reads(name: str) -> tuple[str, ...]:
    """The query and, depth first, the queries it reads as inputs: its rows follow from
    their SQL (a stored result's key hashes it all)."""
    return (name, *(read for source in declared_inputs(name).values() for read in reads(source)))


@cache
def depends_on(name: str) -> frozenset[str]:
    """The parameters a query's rows depend on: its own and those of its inputs. A cache
    of its results must key on all of them (an input query that reads no filter still
    changes with the filters, through its input)."""
    own = parameters(name)
    return own.union(*(depends_on(source) for source in declared_inputs(name).values()))


def run(name: str, *, db: Path | None = None,
        inputs: Mapping[str, pl.DataFrame | pa.Table] | None = None,
        **params: Any) -> pl.DataFrame:
    """Run one dataset query and return its rows.

    Parameters the SQL does not use are ignored, so pages can pass the whole filter set;
    a parameter the SQL needs but was not given is an error, never a silent NULL. Declared
    inputs not given in `inputs` are run first, with the same parameters.
    """
    return _execute(name, db, inputs, params, lambda relation: relation.pl())


def run_arrow(name: str, *, db: Path | None = None, **params: Any) -> pa.Table:
    """`run`, with the rows as an Arrow table straight from DuckDB (no copy): the form in
    which a query's rows that other queries read as their input are stored beside the
    release (the dashboard then keeps them in Polars, portfolio/ui.py `cached_input`)."""
    return _execute(name, db, None, params, lambda relation: relation.to_arrow_table())


def _execute(name: str, db: Path | None, inputs: Mapping[str, Any] | None,
             params: dict[str, Any], fetch: Callable[[Any], T]) -> T:
    given = dict(inputs or {})
    for alias, source in declared_inputs(name).items():
        if alias not in given:
            given[alias] = run_arrow(source, db=db, **params)
    needed = parameters(name)
    missing = needed - params.keys()
    if missing:
        raise QueryParameterError(f"query {name!r} needs {sorted(missing)}")
    bound = {key: params[key] for key in needed}
    with rules_cursor(db or served_database_path()) as cursor:
        for alias, frame in given.items():
            # Polars' newest Arrow form keeps its string views: no copy (the default
            # form copies every string; registered as is, DuckDB converts it slower still)
            cursor.register(alias, frame.to_arrow(compat_level=pl.CompatLevel.newest())
                            if isinstance(frame, pl.DataFrame) else frame)
        rows = fetch(cursor.sql(sql_text(name), params=bound))
        for alias in given:  # the cursor serves the next query (after an error it is closed)
            cursor.unregister(alias)
        return rows
