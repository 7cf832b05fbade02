"""Validation of import tables against every rule of the data model, before anything is
written. All problems are collected (file, row, column, value, rule), not just the first.

The rules are read from the schema itself (DuckDB's catalog: NOT NULL, PRIMARY KEY,
FOREIGN KEY and the CHECK constraints of queries/ddl/schema.sql), so they cannot drift
from the DDL; `table_rules()` refuses a CHECK constraint it does not understand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

import duckdb
import polars as pl

from portfolio.db import TABLES, create_schema
from portfolio.sources import FILE, ROW, Problem

MAX_REPORTED_PER_RULE = 20
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")


@dataclass
class TableRules:
    name: str
    columns: dict[str, str]  # column -> DuckDB type
    required: set[str] = field(default_factory=set)
    key: tuple[str, ...] = ()
    references: list[tuple[str, str, str]] = field(default_factory=list)  # col, table, col
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    minimums: dict[str, float] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    first_of_month: list[str] = field(default_factory=list)
    not_before: list[tuple[str, str]] = field(default_factory=list)  # later, earlier
    required_when: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)


_NAME = r'"?(\w+)"?'
_CHECKS: list[tuple[re.Pattern[str], Callable[[TableRules, re.Match[str]], None]]] = [
    (re.compile(rf"^CHECK\(\({_NAME} IN \((.*)\)\)\)$"),
     lambda r, m: r.enums.__setitem__(m[1], tuple(re.findall(r"'([^']*)'", m[2])))),
    (re.compile(rf"^CHECK\(\({_NAME} >= (-?[\d.]+)\)\)$"),
     lambda r, m: r.minimums.__setitem__(m[1], float(m[2]))),
    (re.compile(rf"^CHECK\(\({_NAME} BETWEEN (-?[\d.]+) AND (-?[\d.]+)\)\)$"),
     lambda r, m: r.ranges.__setitem__(m[1], (float(m[2]), float(m[3])))),
    (re.compile(rf"^CHECK\(\(dayofmonth\({_NAME}\) = 1\)\)$"),
     lambda r, m: r.first_of_month.append(m[1])),
    (re.compile(rf"^CHECK\(\(\({_NAME} IS NULL\) OR \({_NAME} >= {_NAME}\)\)\)$"),
     lambda r, m: r.not_before.append((m[2], m[3]))),
    (re.compile(rf"^CHECK\(\(\(NOT \({_NAME} IN \((.*)\)\)\) OR \({_NAME} IS NOT NULL\)\)\)$"),
     lambda r, m: r.required_when.append(
         (m[3], m[1], tuple(re.findall(r"'([^']*)'", m[2]))))),
]


@cache
def table_rules() -> dict[str, TableRules]:
    """The rules of every table, read from a fresh database built from the schema."""
    con = duckdb.connect()
    try:
        create_schema(con)
        rules = {name: TableRules(name, dict(zip(con.table(name).columns,
                                                 [str(t) for t in con.table(name).types],
                                                 strict=True)))
                 for name in TABLES}
        for table, kind, text, columns, ref_table, ref_columns in con.sql(
                "SELECT table_name, constraint_type, constraint_text, constraint_column_names, "
                "referenced_table, referenced_column_names FROM duckdb_constraints()").fetchall():
            if table not in rules:  # a derived table (deal_stage_spans, ...): never imported
                continue
            add_constraint(rules[table], kind, text, columns, ref_table, ref_columns)
    finally:
        con.close()
    return rules


def add_constraint(rules: TableRules, kind: str, text: str, columns: list[str],
                   ref_table: str | None, ref_columns: list[str]) -> None:
    if kind == "NOT NULL":
        rules.required.update(columns)
    elif kind in ("PRIMARY KEY", "UNIQUE"):
        rules.key = tuple(columns)
    elif kind == "FOREIGN KEY":
        rules.references.append((columns[0], str(ref_table), ref_columns[0]))
    elif kind == "CHECK":
        for pattern, apply in _CHECKS:
            match = pattern.match(text)
            if match:
                apply(rules, match)
                return
        raise RuntimeError(f"validation does not understand {rules.name}: {text}")


@dataclass
class Validation:
    """Typed tables ready to load, or the problems that stop the import."""

    tables: dict[str, pl.DataFrame]
    problems: list[Problem]
    total_problems: int

    @property
    def ok(self) -> bool:
        return self.total_problems == 0


class ProblemLog:
    """Collects problems, keeping a bounded number per rule but counting all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.total = 0

    def add_rows(self, rows: pl.DataFrame, column: str | None, rule: str,
                 value_column: str | None = None) -> None:
        if rows.height == 0:
            return
        self.total += rows.height
        shown = rows.head(MAX_REPORTED_PER_RULE)
        values = shown[value_column or column] if (value_column or column) else None
        for i, row in enumerate(shown.select(FILE, ROW).iter_rows()):
            value = None if values is None or values[i] is None else str(values[i])
            self.problems.append(Problem(row[0], row[1], column, value, rule))
        if rows.height > MAX_REPORTED_PER_RULE:
            self.problems.append(Problem(shown[FILE][0], None, column, None,
                                         f"… and {rows.height - MAX_REPORTED_PER_RULE:,} more "
                                         f"rows breaking the same rule ({rule})"))

    def add(self, problem: Problem) -> None:
        self.total += 1
        self.problems.append(problem)


def validate(incoming: dict[str, pl.DataFrame],
             existing_keys: Callable[[str, str], pl.Series] | None = None,
             carried: Iterable[str] = ()) -> Validation:
    """Check incoming all-text tables (with `_file`, `_row`) against every rule.

    `existing_keys(table, column)` gives the key values of a table carried over from the
    current release, so references into it resolve; `carried` names those tables, whose
    own references are checked against the incoming tables too.
    """
    rules = table_rules()
    log = ProblemLog()
    typed: dict[str, pl.DataFrame] = {}
    for name, frame in incoming.items():
        table = rules[name]
        frame = with_added_columns(frame, table)
        if not header_is_complete(frame, table, log):
            continue
        typed[name] = typed_columns(frame, table, log)
        check_values(typed[name], table, log)
        check_key(typed[name], table, log)
    for name in typed:
        check_references(typed[name], rules[name], typed, existing_keys, log)
    for name in carried:
        if existing_keys is not None:
            check_carried_references(name, rules[name], typed, existing_keys, log)
    return Validation(typed, sorted(log.problems, key=problem_order), log.total)


def problem_order(problem: Problem) -> tuple:
    return (problem.file, problem.row if problem.row is not None else 10**12,
            problem.column or "")


# Columns this project added to the data model (DATA_MODEL allows added columns): an export
# written without them stays valid, and they are empty.
ADDED_COLUMNS = {"accounts": ("annual_revenue", "employees")}


def with_added_columns(frame: pl.DataFrame, table: TableRules) -> pl.DataFrame:
    absent = [c for c in ADDED_COLUMNS.get(table.name, ()) if c not in frame.columns]
    return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in absent)


def header_is_complete(frame: pl.DataFrame, table: TableRules, log: ProblemLog) -> bool:
    name = frame[FILE][0] if frame.height else f"{table.name} (empty)"
    if frame.height == 0:
        log.add(Problem(name, None, None, None, "has a header but no rows"))
        return False
    missing = [c for c in table.columns if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in table.columns and c not in (FILE, ROW)]
    for column in missing:
        log.add(Problem(name, 1, column, None,
                        f"column is missing from the header (table {table.name} needs "
                        f"{', '.join(table.columns)})"))
    for column in unknown:
        log.add(Problem(name, 1, column, None,
                        f"is not a column of table {table.name} (a mapping file can rename it)"))
    return not missing and not unknown


def typed_columns(frame: pl.DataFrame, table: TableRules, log: ProblemLog) -> pl.DataFrame:
    """Cast each text column to its type; values that do not cast are problems."""
    casts = []
    for column, kind in table.columns.items():
        text = pl.col(column).str.strip_chars()
        text = pl.when(text == "").then(None).otherwise(text)
        casts.append(cast_expression(text, kind).alias(column))
        casts.append(text.alias(f"{column}__text"))
    wide = frame.with_columns(casts)
    for column, kind in table.columns.items():
        failed = wide.filter(pl.col(f"{column}__text").is_not_null() & pl.col(column).is_null())
        log.add_rows(failed, column, f"is not {type_words(kind)}", f"{column}__text")
    return wide.select(*table.columns, FILE, ROW)


def cast_expression(text: pl.Expr, kind: str) -> pl.Expr:
    if kind == "DATE":
        return pl.when(text.str.contains(ISO_DATE)).then(
            text.str.to_date("%Y-%m-%d", strict=False))
    if kind.startswith("DECIMAL") or kind in ("DOUBLE", "INTEGER", "BIGINT"):
        number = text.cast(pl.Float64, strict=False)
        return pl.when(number.is_finite()).then(number)
    if kind == "BOOLEAN":
        lowered = text.str.to_lowercase()
        return (pl.when(lowered.is_in(TRUE_WORDS)).then(True)
                .when(lowered.is_in(FALSE_WORDS)).then(False))
    return text


def type_words(kind: str) -> str:
    if kind == "DATE":
        return "a date written YYYY-MM-DD"
    if kind == "BOOLEAN":
        return "true or false"
    if kind.startswith("DECIMAL") or kind in ("DOUBLE", "INTEGER", "BIGINT"):
        return "a number (with a dot for decimals)"
    return f"a {kind.lower()}"


def check_values(frame: pl.DataFrame, table: TableRules, log: ProblemLog) -> None:
    for column in table.required:
        log.add_rows(frame.filter(pl.col(column).is_null()), column, "is required (empty)")
    for column, allowed in table.enums.items():
        log.add_rows(frame.filter(pl.col(column).is_not_null()
                                  & ~pl.col(column).is_in(list(allowed))), column,
                     f"is not one of {', '.join(allowed)}")
    for column, kind in table.columns.items():
        digits = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", kind)
        if digits:
            limit = 10.0 ** (int(digits[1]) - int(digits[2]))
            log.add_rows(frame.filter(pl.col(column).abs() >= limit), column,
                         f"is too large (at most {limit:,.0f})")
    for column, low in table.minimums.items():
        log.add_rows(frame.filter(pl.col(column) < low), column,
                     f"must not be below {low:g}")
    for column, (low, high) in table.ranges.items():
        log.add_rows(frame.filter((pl.col(column) < low) | (pl.col(column) > high)), column,
                     f"must lie between {low:g} and {high:g}")
    for column in table.first_of_month:
        log.add_rows(frame.filter(pl.col(column).dt.day() != 1), column,
                     "must be the first day of a month")
    for later, earlier in table.not_before:
        bad = frame.filter(pl.col(later) < pl.col(earlier))
        log.add_rows(bad.with_columns(pl.format("{} (before {} {})", pl.col(later),
                                                pl.lit(earlier), pl.col(earlier))
                                      .alias("__shown")),
                     later, f"must not be before {earlier}", "__shown")
    for column, when, values in table.required_when:
        log.add_rows(frame.filter(pl.col(when).is_in(list(values)) & pl.col(column).is_null()),
                     column, f"is required when {when} is {' or '.join(values)}")


def check_key(frame: pl.DataFrame, table: TableRules, log: ProblemLog) -> None:
    if not table.key:
        return
    duplicated = frame.filter(pl.struct(table.key).is_duplicated()
                              & pl.all_horizontal(pl.col(c).is_not_null() for c in table.key))
    shown = duplicated.with_columns(
        pl.concat_str([pl.col(c).cast(pl.String) for c in table.key], separator=" / ")
        .alias("__key"))
    log.add_rows(shown, " + ".join(table.key), "is a duplicate key", "__key")


def check_references(frame: pl.DataFrame, table: TableRules, typed: dict[str, pl.DataFrame],
                     existing_keys: Callable[[str, str], pl.Series] | None,
                     log: ProblemLog) -> None:
    for column, ref_table, ref_column in table.references:
        known = known_keys(ref_table, ref_column, typed, existing_keys)
        dangling = frame.filter(pl.col(column).is_not_null()
                                & ~pl.col(column).is_in(known.implode()))
        source = ("this import" if ref_table in typed
                  else "the current release" if existing_keys is not None else "the database")
        log.add_rows(dangling, column, f"does not match any {ref_table}.{ref_column} in {source}")
    for column, ref_table, _ in table.references:
        if ref_table == table.name:
            check_hierarchy(frame, table, column, log)


def known_keys(ref_table: str, ref_column: str, typed: dict[str, pl.DataFrame],
               existing_keys: Callable[[str, str], pl.Series] | None) -> pl.Series:
    if ref_table in typed:
        return typed[ref_table][ref_column].drop_nulls()
    if existing_keys is not None:
        return existing_keys(ref_table, ref_column)
    return pl.Series([], dtype=pl.String)


def check_hierarchy(frame: pl.DataFrame, table: TableRules, column: str,
                    log: ProblemLog) -> None:
    """A row's chain of parents (reports_to, parent account) must not loop back."""
    key = table.key[0]
    parent = dict(zip(frame[key].to_list(), frame[column].to_list(), strict=True))
    looping = []
    for start in parent:
        seen, node = set(), start
        while node is not None and node not in seen:
            seen.add(node)
            node = parent.get(node)
        if node == start:
            looping.append(start)
    log.add_rows(frame.filter(pl.col(key).is_in(looping)), column,
                 f"makes a loop: following {column} leads back to the same row")


def check_carried_references(name: str, table: TableRules, typed: dict[str, pl.DataFrame],
                             existing_keys: Callable[[str, str], pl.Series],
                             log: ProblemLog) -> None:
    """A table carried over from the current release must still point at existing rows."""
    for column, ref_table, ref_column in table.references:
        if ref_table not in typed:
            continue
        values = existing_keys(name, column).drop_nulls().unique()
        targets = typed[ref_table][ref_column].drop_nulls().implode()
        dangling = values.filter(~values.is_in(targets))
        for value in dangling.head(MAX_REPORTED_PER_RULE).to_list():
            log.add(Problem(f"{name} (carried over from the current release)", None, column,
                            str(value), f"no longer matches any {ref_table}.{ref_column}: "
                            f"import {name} too, or keep those {ref_table}"))
        log.total += max(0, dangling.len() - MAX_REPORTED_PER_RULE)
