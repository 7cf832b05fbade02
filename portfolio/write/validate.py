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

from portfolio.core.db import TABLES, create_schema
from portfolio.write.sources import FILE, ROW, Problem

MAX_REPORTED_PER_RULE = 20
# Tables whose rows combine across files by key: each feed (finance, a credit agency,
# market research) gives the measures it knows for an account and month, in a file of its
# own, and a file may leave out the optional columns it does not give.
COMBINED_TABLES = ("account_metrics",)
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
                 value_column: str | None = None, rule_column: str | None = None) -> None:
        """One problem per row (at most MAX_REPORTED_PER_RULE shown, all counted); the rule
        is `rule`, or each row's own from `rule_column`."""
        if rows.height == 0:
            return
        self.total += rows.height
        shown = rows.head(MAX_REPORTED_PER_RULE)
        values = shown[value_column or column] if (value_column or column) else None
        rules = shown[rule_column].to_list() if rule_column else [rule] * shown.height
        for i, row in enumerate(shown.select(FILE, ROW).iter_rows()):
            value = None if values is None or values[i] is None else str(values[i])
            self.problems.append(Problem(row[0], row[1], column, value, rules[i]))
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
        complete = with_complete_header(frame, table, log)
        if complete is None:
            continue
        typed[name] = typed_columns(complete, table, log)
        check_values(typed[name], table, log)
        if name in COMBINED_TABLES:
            check_key(typed[name], table, log, within_file=True)
            typed[name] = combined_rows(typed[name], table, log)
        else:
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
ADDED_COLUMNS = {"accounts": ("annual_revenue", "employees"),
                 "deliveries": ("client_informed_on",)}


def header_problems(name: str, columns: Iterable[str], table: TableRules) -> list[Problem]:
    """A file's header against its table: every column, or for a table whose rows combine
    across files (COMBINED_TABLES) at least the required ones; nothing else."""
    columns = [c for c in columns if c not in (FILE, ROW)]
    needed = (table.required if table.name in COMBINED_TABLES
              else [c for c in table.columns if c not in ADDED_COLUMNS.get(table.name, ())])
    missing = [c for c in table.columns if c in needed and c not in columns]
    unknown = [c for c in columns if c not in table.columns]
    return ([Problem(name, 1, column, None,
                     f"column is missing from the header (table {table.name} needs "
                     f"{', '.join(c for c in table.columns if c in needed)})")
             for column in missing]
            + [Problem(name, 1, column, None,
                       f"is not a column of table {table.name} (a mapping file can rename it)")
               for column in unknown])


def with_complete_header(frame: pl.DataFrame, table: TableRules,
                         log: ProblemLog) -> pl.DataFrame | None:
    """The frame with every column of the table (optional ones a combined table's file
    leaves out are empty), or None when its header breaks a rule. A header without rows
    is an empty table."""
    name = frame[FILE][0] if frame.height else table.name
    problems = header_problems(name, frame.columns, table)
    for problem in problems:
        log.add(problem)
    if problems:
        return None
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias(c)
                              for c in table.columns if c not in frame.columns)


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


def check_key(frame: pl.DataFrame, table: TableRules, log: ProblemLog,
              within_file: bool = False) -> None:
    """Keys unique (`within_file`: unique in each file, for rows that combine across
    files)."""
    if not table.key:
        return
    scope = [*table.key, FILE] if within_file else list(table.key)
    duplicated = frame.filter(pl.struct(scope).is_duplicated()
                              & pl.all_horizontal(pl.col(c).is_not_null() for c in table.key))
    shown = duplicated.with_columns(
        pl.concat_str([pl.col(c).cast(pl.String) for c in table.key], separator=" / ")
        .alias("__key"))
    log.add_rows(shown, " + ".join(table.key), "is a duplicate key", "__key")


def combined_rows(frame: pl.DataFrame, table: TableRules, log: ProblemLog) -> pl.DataFrame:
    """One row per key from the rows of several files: each cell takes the one value the
    files give (empty where none does). Two files giving different values for one cell is
    a problem naming both. The combined row keeps the first file's name and row."""
    key = list(table.key)
    measures = [c for c in table.columns if c not in key]
    complete = frame.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in key))
    if complete.select(FILE).n_unique() <= 1:
        return frame
    single = complete.filter(~pl.struct([*key, FILE]).is_duplicated())  # else a duplicate key
    cells = (single.select(*key, FILE, ROW, *[pl.col(c).cast(pl.String) for c in measures])
             .unpivot(on=measures, index=[*key, FILE, ROW], variable_name="__column",
                      value_name="__value")
             .drop_nulls("__value"))
    first = cells.group_by([*key, "__column"], maintain_order=True).first()
    other = cells.join(first, on=[*key, "__column"], suffix="__first")
    clashes = other.filter(pl.col("__value") != pl.col("__value__first"))
    for column in measures:
        rows = clashes.filter(pl.col("__column") == column)
        log.add_rows(
            rows.with_columns(
                pl.format("differs from {}, row {}, which gives {} for {}: files for the same "
                          "{} combine, and each cell takes one value",
                          pl.col(f"{FILE}__first"), pl.col(f"{ROW}__first"),
                          pl.col("__value__first"),
                          pl.concat_str([pl.lit(f"{c} ") + pl.col(c).cast(pl.String)
                                         for c in key], separator=", "),
                          pl.lit(" and ".join(key))).alias("__rule")),
            column, "differs from another file's value for the same cell", "__value",
            rule_column="__rule")
    return complete.group_by(key, maintain_order=True).agg(
        pl.col(FILE).first(), pl.col(ROW).first(),
        *[pl.col(c).drop_nulls().first() for c in measures]).select(*table.columns, FILE, ROW)


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
