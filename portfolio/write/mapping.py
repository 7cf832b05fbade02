"""Mapping files: how a CRM or service-desk export becomes the canonical tables.

A mapping is a TOML file (documented in docs/mappings.md). Each `[[<table>]]` entry says
which source file feeds a table of the data model and how each canonical column is made
from the file's columns: renames, constants, value maps, null tokens, date formats, ids
derived from names, concatenation, lookups into other files, numeric bins, conditions,
fallbacks and defaults. `load_mapping` parses and checks the file (unknown keys, tables or
columns of the data model, bad specs raise MappingError); `apply_mapping` turns the source
frames of `portfolio.write.sources.read_table_file` into all-text canonical frames, vectorised
with Polars.

Rows a mapping cannot place (a required value missing with no default, a value outside a
value map, a bad date, a reference to a row this import does not place) are never dropped
silently: each becomes a Problem naming the source file, row, column and value. Rows of an
entry with `on_unplaced = "skip"` are left out and listed in `MappedImport.skipped_rows`
and counted in `MappedImport.skipped`; all others are in `MappedImport.problems`, and the
importer refuses an import that has any.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from portfolio.core.db import TABLES, create_schema
from portfolio.write.sources import FILE, ROW, Problem
from portfolio.write.validate import table_rules

ON_UNPLACED = ("report", "skip")
UNMAPPED = ("report", "keep", "null")
PICKS = ("first", "most_frequent", "count")
TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%T", "%R", "%f", "%z", "%p", "%c", "%s", "%Z")
SHOWN_MAP_KEYS = 8
ENTRY_COLUMN = "_entry"

IMPORT_KEYS = ("carry_over", "null_tokens", "description")
ENTRY_KEYS = ("file", "columns", "distinct", "null_tokens", "on_unplaced", "replace", "where")
SOURCE_KEYS = ("column", "value", "concat", "lookup")
SPEC_KEYS = (*SOURCE_KEYS, "separator", "on", "match", "take", "pick", "when", "map",
             "unmapped", "otherwise", "date", "number", "decimal_comma", "bins", "slug",
             "fallback", "default")
CONDITION_KEYS = ("column", "in", "present")

EXPONENT = r"([eE][+-]?\d+)?"  # scientific notation, as spreadsheets write it: 1.03444E11
NUMBER = rf"^[+-]?(\d+(\.\d*)?|\.\d+){EXPONENT}$"
NUMBER_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
NUMBER_COMMA = rf"^[+-]?(\d+(,\d*)?|,\d+){EXPONENT}$"
NUMBER_COMMA_GROUPED = r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$"
# Scientific notation is written out in full (1.03444E11 -> 103444000000) through an exact
# decimal of this many digits, this many after the point; larger values keep their notation
# (the importer's validation reads it, and refuses what the column cannot hold).
PLAIN_DECIMAL = pl.Decimal(38, 12)
SPACES = r"[ \u00a0\u202f']"


TODO = "TODO"   # a question a drafted mapping leaves to a person (portfolio.write.draft_mapping)


class MappingError(ValueError):
    """A mapping file that cannot be used: names the file, the key and what is wrong;
    `details` lists each of several problems (the TODOs left to answer)."""

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details


# ---------------------------------------------------------------------------------------
# The data model, read from the schema (never a hand-written list)


@dataclass(frozen=True)
class TableShape:
    columns: tuple[str, ...]
    required: frozenset[str]                         # NOT NULL without a schema default
    defaults: dict[str, str] = field(hash=False)     # NOT NULL with a literal default
    references: tuple[tuple[str, str, str], ...]     # column -> table.column


@cache
def data_model() -> dict[str, TableShape]:
    """Columns, required columns, defaults and references of every table of the schema."""
    con = duckdb.connect()
    try:
        create_schema(con)
        not_null: dict[str, dict[str, str | None]] = {}
        for table, column, default in con.sql(
                "SELECT table_name, column_name, column_default FROM information_schema.columns "
                "WHERE is_nullable = 'NO'").fetchall():
            not_null.setdefault(table, {})[column] = default
        references: dict[str, list[tuple[str, str, str]]] = {}
        for table, columns, ref_table, ref_columns in con.sql(
                "SELECT table_name, constraint_column_names, referenced_table, "
                "referenced_column_names FROM duckdb_constraints() "
                "WHERE constraint_type = 'FOREIGN KEY'").fetchall():
            references.setdefault(table, []).append((columns[0], ref_table, ref_columns[0]))
        shapes = {}
        for name in TABLES:
            required = not_null.get(name, {})
            shapes[name] = TableShape(
                columns=tuple(con.table(name).columns),
                required=frozenset(c for c, d in required.items() if d is None),
                defaults={c: d.strip("'") for c, d in required.items() if d is not None},
                references=tuple(references.get(name, [])))
        return shapes
    finally:
        con.close()


# ---------------------------------------------------------------------------------------
# The parsed mapping


@dataclass(frozen=True)
class Condition:
    """`{ column = "IsClosed", in = ["true"] }` or `{ column = "x", present = true }`."""

    column: str
    values: tuple[str, ...] | None = None
    present: bool | None = None


@dataclass(frozen=True)
class Bins:
    edges: tuple[float, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Lookup:
    file: str
    on: Spec
    match: str
    take: str
    pick: str = "first"


@dataclass(frozen=True)
class Spec:
    """How one canonical column is made. Exactly one source: column, value, concat, lookup."""

    key: str                                    # where it is in the mapping, for messages
    column: str | None = None
    value: str | None = None
    concat: tuple[Spec, ...] = ()
    separator: str = " "
    lookup: Lookup | None = None
    when: Condition | None = None
    value_map: dict[str, str | None] | None = field(default=None, hash=False)
    unmapped: str = "report"
    otherwise: str | None = None
    dates: tuple[str, ...] = ()
    number: bool = False
    decimal_comma: bool = False
    bins: Bins | None = None
    slug: bool = False
    fallback: Spec | None = None
    default: str | None = None


@dataclass(frozen=True)
class Entry:
    """One `[[<table>]]` entry: a file (or one row of constants) feeding a table."""

    table: str
    key: str                                    # e.g. "deals[1]"
    file: str | None
    columns: dict[str, Spec] = field(hash=False)
    distinct: tuple[str, ...] | None = None
    null_tokens: tuple[str, ...] = ()
    on_unplaced: str = "report"
    replace: dict[str, dict[str, str | None]] = field(default_factory=dict, hash=False)
    where: Condition | None = None


@dataclass(frozen=True)
class Mapping:
    path: Path
    carry_over: bool = True
    null_tokens: tuple[str, ...] = ()
    entries: tuple[Entry, ...] = ()
    description: str = ""

    def source_files(self) -> list[str]:
        """The file names the mapping reads (relative to the SOURCE folder), in order."""
        names: list[str] = []
        for entry in self.entries:
            if entry.file is not None:
                names.append(entry.file)
            for spec in entry.columns.values():
                names += [lookup.file for lookup in lookups_in(spec)]
        return list(dict.fromkeys(names))


def specs_in(spec: Spec) -> Iterator[Spec]:
    """The spec and every spec nested in it (concat parts, lookup keys, fallbacks)."""
    yield spec
    for part in spec.concat:
        yield from specs_in(part)
    if spec.lookup is not None:
        yield from specs_in(spec.lookup.on)
    if spec.fallback is not None:
        yield from specs_in(spec.fallback)


def lookups_in(spec: Spec) -> Iterator[Lookup]:
    return (s.lookup for s in specs_in(spec) if s.lookup is not None)


def columns_read(entry: Entry) -> list[str]:
    """The columns of the entry's own file that the entry reads."""
    names = list(entry.replace)
    if entry.where is not None:
        names.append(entry.where.column)
    for spec in entry.columns.values():
        for part in specs_in(spec):
            if part.column is not None:
                names.append(part.column)
            if part.when is not None:
                names.append(part.when.column)
    return list(dict.fromkeys(names))


# ---------------------------------------------------------------------------------------
# Loading and checking a mapping file


def load_mapping(path: Path) -> Mapping:
    """Parse and check a mapping file; MappingError names the file, key and problem."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as error:
        raise MappingError(f"{path}: the mapping file does not exist") from error
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(f"{path}: cannot be read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{path}: is not valid TOML: {error}") from error
    todos = list(_todos(document))
    if todos:
        raise MappingError(f"{path}: {len(todos)} TODO(s) left to answer: the import runs "
                           "once every TODO is replaced by an answer", tuple(todos))
    return _Parser(path).mapping(document)


def _todos(document: dict[str, Any]) -> Iterator[str]:
    """Every TODO marker left in a mapping: where it is and what it asks."""
    enums = {name: rules.enums for name, rules in table_rules().items()}
    for table in TABLES:
        entries = document.get(table)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                continue
            file = entry.get("file", "the mapping")
            columns = entry.get("columns")
            for target, spec in (columns.items() if isinstance(columns, dict) else ()):
                key = f"{table}[{i}].columns.{target}"
                allowed = enums.get(table, {}).get(target)
                yield from _spec_todos(spec, key, f"{table}.{target}", file, allowed)


def _spec_todos(spec: Any, key: str, target: str, file: str,
                allowed: tuple[str, ...] | None) -> Iterator[str]:
    if spec == TODO:
        yield (f"{key}: answer the TODO: name the column of {file} that gives {target} "
               f"(or a constant: {{ value = \"...\" }})")
        return
    if not isinstance(spec, dict):
        return
    answer = f"one of {', '.join(allowed)}" if allowed else "the canonical value"
    for name, value in spec.items():
        if name == "map" and isinstance(value, dict):
            for source, mapped in value.items():
                if mapped == TODO:
                    yield (f"{key}.map: {source!r} (a value of column {spec.get('column')} in "
                           f"{file}) is a TODO: answer it with {answer} for {target}, or "
                           "\"\" for no value")
        elif value == TODO:
            yield f"{key}.{name}: answer the TODO ({target}, from {file})"
        elif isinstance(value, dict):
            yield from _spec_todos(value, f"{key}.{name}", target, file, allowed)


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.model = data_model()

    def fail(self, key: str, message: str) -> MappingError:
        return MappingError(f"{self.path}: {key}: {message}")

    def known_keys(self, table: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
        for name in table:
            if name not in allowed:
                raise self.fail(f"{key}.{name}" if key else name,
                                f"unknown key (expected one of: {', '.join(allowed)})")

    def mapping(self, document: dict[str, Any]) -> Mapping:
        self.known_keys(document, "", ("import", *TABLES))
        settings = self.table(document.get("import", {}), "import")
        self.known_keys(settings, "import", IMPORT_KEYS)
        carry_over = settings.get("carry_over", True)
        if not isinstance(carry_over, bool):
            raise self.fail("import.carry_over", "must be true or false")
        entries = []
        for table in TABLES:
            if table not in document:
                continue
            items = document[table]
            if not isinstance(items, list) or not items:
                raise self.fail(table, f"must be a list of entries: write [[{table}]]")
            entries += [self.entry(table, item, f"{table}[{i}]")
                        for i, item in enumerate(items, start=1)]
        if not entries:
            raise self.fail("(top level)", "maps no table: add at least one [[<table>]] entry "
                            f"(tables: {', '.join(TABLES)})")
        return Mapping(path=self.path, carry_over=carry_over,
                       null_tokens=self.texts(settings.get("null_tokens", []),
                                              "import.null_tokens"),
                       entries=tuple(entries),
                       description=self.text(settings.get("description", ""),
                                             "import.description"))

    def entry(self, table: str, item: Any, key: str) -> Entry:
        item = self.table(item, key)
        self.known_keys(item, key, ENTRY_KEYS)
        shape = self.model[table]
        file = item.get("file")
        if file is not None and (not isinstance(file, str) or not file.strip()):
            raise self.fail(f"{key}.file", "must be a file name in quotes")
        columns_table = self.table(item.get("columns"), f"{key}.columns")
        if not columns_table:
            raise self.fail(f"{key}.columns", "is missing: map at least one column")
        columns = {}
        for target, raw in columns_table.items():
            if target not in shape.columns:
                raise self.fail(f"{key}.columns.{target}",
                                f"{table} has no column {target!r} "
                                f"(columns: {', '.join(shape.columns)})")
            columns[target] = self.spec(raw, f"{key}.columns.{target}")
        missing = sorted(shape.required - set(columns))
        if missing:
            raise self.fail(f"{key}.columns", f"{table}.{missing[0]} is required by the data "
                            f"model but not mapped (required: {', '.join(missing)})")
        if file is None:
            self.constant_row(columns, key)
            for name in ("where", "replace", "null_tokens", "distinct"):
                if name in item:
                    raise self.fail(f"{key}.{name}", "only applies to an entry with a file")
        on_unplaced = item.get("on_unplaced", "report")
        if on_unplaced not in ON_UNPLACED:
            raise self.fail(f"{key}.on_unplaced", f"must be one of {', '.join(ON_UNPLACED)}")
        return Entry(table=table, key=key, file=file, columns=columns,
                     distinct=self.distinct(item.get("distinct", False), columns, key),
                     null_tokens=self.texts(item.get("null_tokens", []), f"{key}.null_tokens"),
                     on_unplaced=on_unplaced,
                     replace=self.replace(item.get("replace", {}), f"{key}.replace"),
                     where=self.condition(item["where"], f"{key}.where")
                     if "where" in item else None)

    def constant_row(self, columns: dict[str, Spec], key: str) -> None:
        for target, spec in columns.items():
            if any(s.column is not None or s.lookup is not None or s.when is not None
                   for s in specs_in(spec)):
                raise self.fail(f"{key}.columns.{target}", "reads a column, but the entry has "
                                "no file: give `file`, or use constants (`value`) only")

    def distinct(self, raw: Any, columns: dict[str, Spec], key: str) -> tuple[str, ...] | None:
        if raw is False:
            return None
        if raw is True:
            return tuple(columns)
        names = self.texts(raw, f"{key}.distinct")
        for name in names:
            if name not in columns:
                raise self.fail(f"{key}.distinct", f"{name!r} is not a column this entry maps")
        if not names:
            raise self.fail(f"{key}.distinct", "must be true, false or a list of columns")
        return names

    def replace(self, raw: Any, key: str) -> dict[str, dict[str, str | None]]:
        table = self.table(raw, key)
        return {column: self.value_map(values, f"{key}.{column}")
                for column, values in table.items()}

    def spec(self, raw: Any, key: str) -> Spec:
        if isinstance(raw, str):
            if not raw.strip():
                raise self.fail(key, "an empty column name: use { value = \"...\" } for a "
                                "constant")
            return Spec(key=key, column=raw)
        table = self.table(raw, key, "a source column name in quotes or an inline table")
        self.known_keys(table, key, SPEC_KEYS)
        sources = [name for name in SOURCE_KEYS if name in table]
        if len(sources) != 1:
            raise self.fail(key, "needs exactly one of column, value, concat, lookup "
                            f"(found {', '.join(sources) or 'none'})")
        self.keys_need(table, key, ("separator",), "concat")
        self.keys_need(table, key, ("on", "match", "take", "pick"), "lookup")
        self.keys_need(table, key, ("unmapped", "otherwise"), "map")
        if "unmapped" in table and "otherwise" in table:
            raise self.fail(f"{key}.otherwise", "give either unmapped or otherwise, not both")
        parsers = [name for name in ("date", "number", "bins") if name in table]
        if len(parsers) > 1:
            raise self.fail(key, f"give only one of date, number, bins (found "
                            f"{', '.join(parsers)})")
        if "decimal_comma" in table and not ({"number", "bins"} & set(table)):
            raise self.fail(f"{key}.decimal_comma", "only applies with number or bins")
        unmapped = table.get("unmapped", "report")
        if unmapped not in UNMAPPED:
            raise self.fail(f"{key}.unmapped", f"must be one of {', '.join(UNMAPPED)} "
                            "(for a fixed value use otherwise = \"...\")")
        return Spec(
            key=key,
            column=self.text(table["column"], f"{key}.column", nonempty=True)
            if "column" in table else None,
            value=self.scalar(table["value"], f"{key}.value") if "value" in table else None,
            concat=self.concat(table["concat"], f"{key}.concat") if "concat" in table else (),
            separator=self.text(table.get("separator", " "), f"{key}.separator"),
            lookup=self.lookup(table, key) if "lookup" in table else None,
            when=self.condition(table["when"], f"{key}.when") if "when" in table else None,
            value_map=self.value_map(table["map"], f"{key}.map") if "map" in table else None,
            unmapped=unmapped,
            otherwise=self.scalar(table["otherwise"], f"{key}.otherwise")
            if "otherwise" in table else None,
            dates=self.dates(table["date"], f"{key}.date") if "date" in table else (),
            number=self.flag(table, "number", key),
            decimal_comma=self.flag(table, "decimal_comma", key),
            bins=self.bins(table["bins"], f"{key}.bins") if "bins" in table else None,
            slug=self.flag(table, "slug", key),
            fallback=self.spec(table["fallback"], f"{key}.fallback")
            if "fallback" in table else None,
            default=self.scalar(table["default"], f"{key}.default")
            if "default" in table else None)

    def keys_need(self, table: dict[str, Any], key: str, names: tuple[str, ...],
                  needed: str) -> None:
        for name in names:
            if name in table and needed not in table:
                raise self.fail(f"{key}.{name}", f"only applies with {needed}")

    def concat(self, raw: Any, key: str) -> tuple[Spec, ...]:
        if not isinstance(raw, list) or len(raw) < 2:
            raise self.fail(key, "must be a list of at least two columns (or specs)")
        return tuple(self.spec(part, f"{key}[{i}]") for i, part in enumerate(raw, start=1))

    def lookup(self, table: dict[str, Any], key: str) -> Lookup:
        for name in ("on", "match", "take"):
            if name not in table:
                raise self.fail(f"{key}.{name}", "is missing: a lookup needs lookup (the "
                                "file), on (this file's key), match (the key column there) "
                                "and take (the column to bring back)")
        pick = table.get("pick", "first")
        if pick not in PICKS:
            raise self.fail(f"{key}.pick", f"must be one of {', '.join(PICKS)}")
        return Lookup(file=self.text(table["lookup"], f"{key}.lookup", nonempty=True),
                      on=self.spec(table["on"], f"{key}.on"),
                      match=self.text(table["match"], f"{key}.match", nonempty=True),
                      take=self.text(table["take"], f"{key}.take", nonempty=True),
                      pick=pick)

    def condition(self, raw: Any, key: str) -> Condition:
        table = self.table(raw, key, '{ column = "...", in = [...] } or '
                           '{ column = "...", present = true }')
        self.known_keys(table, key, CONDITION_KEYS)
        if "column" not in table or ("in" in table) == ("present" in table):
            raise self.fail(key, 'needs column and exactly one of in = [...] or '
                            'present = true|false')
        present = table.get("present")
        if present is not None and not isinstance(present, bool):
            raise self.fail(f"{key}.present", "must be true or false")
        return Condition(column=self.text(table["column"], f"{key}.column", nonempty=True),
                         values=self.texts(table["in"], f"{key}.in") if "in" in table else None,
                         present=present)

    def value_map(self, raw: Any, key: str) -> dict[str, str | None]:
        table = self.table(raw, key)
        if not table:
            raise self.fail(key, "is empty")
        return {source: self.scalar(target, f"{key}.{source}") or None
                for source, target in table.items()}

    def dates(self, raw: Any, key: str) -> tuple[str, ...]:
        formats = (raw,) if isinstance(raw, str) else self.texts(raw, key)
        if not formats:
            raise self.fail(key, "needs at least one format")
        for fmt in formats:
            if not all(d in fmt for d in ("%Y", "%m", "%d")) and not any(
                    d in fmt for d in ("%F", "%D", "%y", "%b", "%B", "%j")):
                raise self.fail(key, f"{fmt!r} is not a strftime date format "
                                "(e.g. \"%Y-%m-%d\", \"%d.%m.%Y\")")
        return formats

    def bins(self, raw: Any, key: str) -> Bins:
        table = self.table(raw, key, "{ edges = [...], labels = [...] }")
        self.known_keys(table, key, ("edges", "labels"))
        edges = table.get("edges")
        if (not isinstance(edges, list) or not edges
                or not all(isinstance(e, int | float) and not isinstance(e, bool)
                           for e in edges)):
            raise self.fail(f"{key}.edges", "must be a list of numbers")
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise self.fail(f"{key}.edges", "must be strictly ascending")
        labels = self.texts(table.get("labels"), f"{key}.labels")
        if len(labels) != len(edges) + 1:
            raise self.fail(f"{key}.labels", f"needs {len(edges) + 1} labels for "
                            f"{len(edges)} edges (one below the first edge, one per edge)")
        return Bins(edges=tuple(float(e) for e in edges), labels=labels)

    def flag(self, table: dict[str, Any], name: str, key: str) -> bool:
        value = table.get(name, False)
        if not isinstance(value, bool):
            raise self.fail(f"{key}.{name}", "must be true or false")
        return value

    def table(self, raw: Any, key: str, expected: str = "a table") -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail(key, f"must be {expected}")
        return raw

    def text(self, raw: Any, key: str, nonempty: bool = False) -> str:
        if not isinstance(raw, str) or (nonempty and not raw.strip()):
            raise self.fail(key, "must be text in quotes" + (" (not empty)" if nonempty else ""))
        return raw

    def texts(self, raw: Any, key: str) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise self.fail(key, "must be a list of texts in quotes")
        return tuple(raw)

    def scalar(self, raw: Any, key: str) -> str:
        """A canonical value: text, or a number or boolean written without quotes."""
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, int | float):
            return str(raw)
        if isinstance(raw, str):
            return raw
        raise self.fail(key, "must be a text, number or boolean")


# ---------------------------------------------------------------------------------------
# Applying a mapping


@dataclass
class MappedImport:
    """Canonical frames (all text, plus `_file`/`_row` of the source row) and the rows the
    mapping could not place.

    `problems` are the unplaced rows (and missing files or columns) that refuse the import;
    `skipped_rows` are the unplaced rows of entries with `on_unplaced = "skip"`, left out
    and listed; `skipped` counts those rows per table.
    """

    tables: dict[str, pl.DataFrame]
    problems: list[Problem]
    skipped: dict[str, int]
    skipped_rows: list[Problem] = field(default_factory=list)


def slug_expr(name: pl.Expr) -> pl.Expr:
    """The id derived from a name: Unicode-normalised, lower case, runs of anything but
    letters and digits (any script) turned into one '-'. The same everywhere, so a name in
    one file resolves to the id derived from the same name in another file."""
    slug = (name.str.normalize("NFKC").str.to_lowercase()
            .str.replace_all(r"[^\p{L}\p{N}]+", "-").str.strip_chars("-"))
    return pl.when(slug == "").then(None).otherwise(slug)


def slug(name: str) -> str | None:
    """`slug_expr` for one name (for documentation and tests)."""
    return pl.select(slug_expr(pl.lit(name, dtype=pl.String))).item()


def apply_mapping(mapping: Mapping, files: dict[str, pl.DataFrame]) -> MappedImport:
    """Map source frames (file name -> frame of read_table_file) onto canonical tables."""
    model = data_model()
    lookups = _Lookups(files, mapping.null_tokens)
    outcomes = [_EntryMapper(mapping, index, files, model[entry.table], lookups).run()
                for index, entry in enumerate(mapping.entries)]
    tables: dict[str, pl.DataFrame] = {}
    for table in TABLES:
        frames = [o.frame for o in outcomes if o.entry.table == table]
        if frames:
            tables[table] = pl.concat(frames, how="vertical")
    labels = {i: o.labels for i, o in enumerate(outcomes)}
    for problem, index in _unplaced_references(tables, model, labels):
        outcomes[index].unplaced.append(problem)
        outcomes[index].unplaced_rows += 1
    problems, skipped_rows, skipped = [], [], {}
    for outcome in outcomes:
        problems += outcome.structural
        if outcome.entry.on_unplaced == "skip":
            skipped_rows += outcome.unplaced
            if outcome.unplaced_rows:
                table = outcome.entry.table
                skipped[table] = skipped.get(table, 0) + outcome.unplaced_rows
        else:
            problems += outcome.unplaced
    return MappedImport(
        tables={name: frame.select(*model[name].columns, FILE, ROW)
                for name, frame in tables.items()},
        problems=sorted(dict.fromkeys(problems), key=_problem_order),  # a file named once
        skipped=skipped,
        skipped_rows=sorted(skipped_rows, key=_problem_order))


def _problem_order(problem: Problem) -> tuple[str, int, str]:
    return (problem.file, problem.row if problem.row is not None else -1,
            problem.column or "")


def _raw_column(column: str) -> str:
    return f"_raw_{column}"


@dataclass
class _Outcome:
    entry: Entry
    frame: pl.DataFrame
    labels: dict[str, str | None]                # target column -> source column(s) it reads
    structural: list[Problem] = field(default_factory=list)
    unplaced: list[Problem] = field(default_factory=list)
    unplaced_rows: int = 0


@dataclass
class _Check:
    flag: str          # boolean column: the row breaks this check
    label: str | None  # the source column(s) named in the problem
    shown: str | None  # column holding the value named in the problem
    rule: str


@dataclass
class _Result:
    value: str                # column holding the canonical text
    label: str | None         # source column(s) read
    raw: str | None           # column holding the source value as read
    no_value: str = "gives no value"   # why a present source value gave nothing


class _Lookups:
    """Aggregated lookup tables, built once per (file, match, take, pick)."""

    def __init__(self, files: dict[str, pl.DataFrame], null_tokens: tuple[str, ...]) -> None:
        self.files = files
        self.null_tokens = null_tokens
        self.built: dict[tuple[str, str, str, str], pl.DataFrame] = {}

    def table(self, lookup: Lookup) -> pl.DataFrame:
        """Columns `key` and `found`: one row per distinct key of the looked-up file."""
        cache_key = (lookup.file, lookup.match, lookup.take, lookup.pick)
        if cache_key not in self.built:
            source = self.files[lookup.file]
            pairs = source.select(
                _cleaned(pl.col(lookup.match), self.null_tokens).alias("key"),
                _cleaned(pl.col(lookup.take), self.null_tokens).alias("found"),
            ).filter(pl.col("key").is_not_null())
            self.built[cache_key] = _aggregate(pairs, lookup.pick)
        return self.built[cache_key]


def _aggregate(pairs: pl.DataFrame, pick: str) -> pl.DataFrame:
    if pick == "count":
        return pairs.group_by("key").agg(pl.len().cast(pl.String).alias("found"))
    pairs = pairs.filter(pl.col("found").is_not_null())
    if pick == "first":
        return pairs.unique("key", keep="first", maintain_order=True)
    counted = pairs.group_by("key", "found").agg(pl.len().alias("n"))
    return (counted.sort(["key", "n", "found"], descending=[False, True, False])
            .unique("key", keep="first", maintain_order=True).select("key", "found"))


def _written_out(number: pl.Expr) -> pl.Expr:
    """A number in scientific notation written out (7.9e7 -> 79000000, -2.5E-3 -> -0.0025);
    others as they are."""
    plain = (number.cast(PLAIN_DECIMAL, strict=False).cast(pl.String)
             .str.strip_chars_end("0").str.strip_chars_end("."))
    return (pl.when(number.str.contains("[eE]") & plain.is_not_null()).then(plain)
            .otherwise(number))


def _cleaned(column: pl.Expr, null_tokens: tuple[str, ...]) -> pl.Expr:
    """Trimmed text; empty and the null tokens become null."""
    text = column.cast(pl.String).str.strip_chars()
    return pl.when((text == "") | text.is_in(list(null_tokens))).then(None).otherwise(text)


def _condition(condition: Condition) -> pl.Expr:
    column = pl.col(condition.column)
    if condition.values is not None:
        return column.is_in(list(condition.values)).fill_null(False)
    return column.is_not_null() if condition.present else column.is_null()


class _EntryMapper:
    """Maps one entry: builds its columns step by step on a working frame, collecting the
    checks each row must pass."""

    def __init__(self, mapping: Mapping, index: int, files: dict[str, pl.DataFrame],
                 shape: TableShape, lookups: _Lookups) -> None:
        self.mapping = mapping
        self.index = index
        self.entry = mapping.entries[index]
        self.files = files
        self.shape = shape
        self.lookups = lookups
        self.checks: list[_Check] = []
        self.counter = itertools.count()
        self.frame = pl.DataFrame()

    def run(self) -> _Outcome:
        structural = self.missing_inputs()
        labels: dict[str, str | None] = dict.fromkeys(self.shape.columns)
        if structural:
            return _Outcome(self.entry, self.empty_frame(), labels, structural)
        self.frame = self.source_frame()
        targets: dict[str, str] = {}
        raws: dict[str, str | None] = {}
        for target in self.shape.columns:
            spec = self.entry.columns.get(target)
            if spec is None:
                targets[target] = self.put(pl.lit(self.shape.defaults.get(target),
                                                  dtype=pl.String))
                raws[target] = None
                continue
            first_check = len(self.checks)
            result = self.compile(spec, target)
            value = result.value
            if target in self.shape.defaults:
                value = self.put(pl.col(value).fill_null(self.shape.defaults[target]))
            elif target in self.shape.required:
                self.require(target, result, self.checks[first_check:])
            targets[target], raws[target], labels[target] = value, result.raw, result.label
        return self.finish(targets, raws, labels)

    # -- inputs ---------------------------------------------------------------------------

    def missing_inputs(self) -> list[Problem]:
        entry = self.entry
        problems = []
        needed: list[tuple[str, list[str], str]] = []
        if entry.file is not None:
            needed.append((entry.file, columns_read(entry), entry.key))
        for target, spec in entry.columns.items():
            for lookup in lookups_in(spec):
                needed.append((lookup.file, [lookup.match, lookup.take],
                               f"{entry.key}.columns.{target}"))
        for file, columns, key in needed:
            if file not in self.files:
                problems.append(Problem(file, None, None, None,
                                        f"is needed by {key} of the mapping "
                                        f"{self.mapping.path.name} but was not given"))
                continue
            header = self.files[file].columns
            header_row = None if file.lower().endswith(".parquet") else 1
            problems += [Problem(file, header_row, column, None,
                                 f"is not a column of this file (the mapping "
                                 f"{self.mapping.path.name} reads it for {key})")
                         for column in columns if column not in header]
        return problems

    def empty_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {**{c: pl.Series([], dtype=pl.String) for c in self.shape.columns},
             FILE: pl.Series([], dtype=pl.String), ROW: pl.Series([], dtype=pl.Int64),
             ENTRY_COLUMN: pl.Series([], dtype=pl.Int32),
             **{_raw_column(c): pl.Series([], dtype=pl.String)
                for c, _, _ in self.shape.references}})

    def source_frame(self) -> pl.DataFrame:
        entry = self.entry
        if entry.file is None:
            return pl.DataFrame({FILE: [self.mapping.path.name],
                                 ROW: pl.Series([None], dtype=pl.Int64)})
        tokens = (*self.mapping.null_tokens, *entry.null_tokens)
        source = self.files[entry.file]
        frame = source.select(FILE, ROW, *[_cleaned(pl.col(c), tokens).alias(c)
                                           for c in columns_read(entry)])
        if entry.replace:
            frame = frame.with_columns(
                pl.col(c).replace(list(m), pl.Series(list(m.values()), dtype=pl.String))
                for c, m in entry.replace.items())
        if entry.where is not None:
            frame = frame.filter(_condition(entry.where))
        return frame

    # -- building columns -----------------------------------------------------------------

    def put(self, expr: pl.Expr) -> str:
        name = f"__m{next(self.counter)}"
        self.frame = self.frame.with_columns(expr.alias(name))
        return name

    def check(self, bad: pl.Expr, label: str | None, shown: str | None, rule: str) -> None:
        self.checks.append(_Check(self.put(bad), label, shown, rule))

    def compile(self, spec: Spec, target: str) -> _Result:
        result = self.source(spec, target)
        value = result.value
        if spec.when is not None:
            value = self.put(pl.when(_condition(spec.when)).then(pl.col(value)))
        if spec.value_map is not None:
            value = self.apply_map(spec, value, result.label, target)
        if spec.dates:
            value = self.parse_dates(spec, value, result.label, target)
        elif spec.number:
            value = self.parse_number(spec, value, result.label, target)
        elif spec.bins is not None:
            value = self.apply_bins(spec, value, result.label, target)
        if spec.slug:
            value = self.put(slug_expr(pl.col(value)))
        if spec.fallback is not None:
            fallback = self.compile(spec.fallback, target)
            value = self.put(pl.coalesce(value, fallback.value))
        if spec.default is not None:
            value = self.put(pl.col(value).fill_null(spec.default))
        return _Result(value, result.label, result.raw, result.no_value)

    def source(self, spec: Spec, target: str) -> _Result:
        if spec.column is not None:
            return _Result(spec.column, spec.column, spec.column)
        if spec.value is not None:
            return _Result(self.put(pl.lit(spec.value or None, dtype=pl.String)), None, None)
        if spec.concat:
            parts = [self.compile(part, target) for part in spec.concat]
            joined = pl.concat_str([pl.col(p.value) for p in parts], separator=spec.separator,
                                   ignore_nulls=True)
            value = self.put(pl.when(joined == "").then(None).otherwise(joined))
            label = " + ".join(p.label for p in parts if p.label) or None
            return _Result(value, label, value)
        assert spec.lookup is not None
        return self.join_lookup(spec.lookup, target)

    def join_lookup(self, lookup: Lookup, target: str) -> _Result:
        key = self.compile(lookup.on, target)
        found = f"__m{next(self.counter)}"
        table = self.lookups.table(lookup).rename({"key": key.value, "found": found})
        self.frame = self.frame.join(table, on=key.value, how="left", maintain_order="left")
        return _Result(found, key.label, key.raw,
                       f"has no match in {lookup.file} (column {lookup.match})")

    def apply_map(self, spec: Spec, value: str, label: str | None, target: str) -> str:
        assert spec.value_map is not None
        keys, targets = list(spec.value_map), list(spec.value_map.values())
        column = pl.col(value)
        mapped = column.replace_strict(keys, targets, default=None, return_dtype=pl.String)
        unmapped = column.is_not_null() & ~column.is_in(keys)
        if spec.otherwise is not None:
            mapped = pl.when(unmapped).then(pl.lit(spec.otherwise)).otherwise(mapped)
        elif spec.unmapped == "keep":
            mapped = pl.when(unmapped).then(column).otherwise(mapped)
        elif spec.unmapped == "report":
            shown = ", ".join(keys[:SHOWN_MAP_KEYS]) + (", …" if len(keys) > SHOWN_MAP_KEYS
                                                        else "")
            self.check(unmapped, label, value,
                       f"is not in the value map of {self.entry.table}.{target} "
                       f"({spec.key}.map: {shown})")
        return self.put(mapped)

    def parse_dates(self, spec: Spec, value: str, label: str | None, target: str) -> str:
        column = pl.col(value)
        parsed = pl.coalesce([
            column.str.strptime(pl.Datetime, fmt, strict=False).dt.date()
            if any(d in fmt for d in TIME_DIRECTIVES)
            else column.str.strptime(pl.Date, fmt, strict=False)
            for fmt in spec.dates])
        result = self.put(parsed.dt.to_string("%Y-%m-%d"))
        formats = " or ".join(spec.dates)
        self.check(column.is_not_null() & pl.col(result).is_null(), label, value,
                   f"is not a date in the format {formats} ({self.entry.table}.{target})")
        return result

    def number_text(self, spec: Spec, value: str) -> tuple[pl.Expr, pl.Expr]:
        """(valid, normalised text) for a number with optional thousands separators."""
        text = pl.col(value).str.replace_all(SPACES, "")
        if spec.decimal_comma:
            valid = text.str.contains(NUMBER_COMMA) | text.str.contains(NUMBER_COMMA_GROUPED)
            normal = text.str.replace_all(".", "", literal=True).str.replace(",", ".",
                                                                            literal=True)
        else:
            valid = text.str.contains(NUMBER) | text.str.contains(NUMBER_GROUPED)
            normal = text.str.replace_all(",", "", literal=True)
        return valid, _written_out(normal)

    def parse_number(self, spec: Spec, value: str, label: str | None, target: str) -> str:
        valid, normal = self.number_text(spec, value)
        self.check(pl.col(value).is_not_null() & ~valid, label, value,
                   f"is not a number ({self.entry.table}.{target})")
        return self.put(pl.when(valid).then(normal))

    def apply_bins(self, spec: Spec, value: str, label: str | None, target: str) -> str:
        assert spec.bins is not None
        valid, normal = self.number_text(spec, value)
        self.check(pl.col(value).is_not_null() & ~valid, label, value,
                   f"is not a number, so it falls in no bin of {self.entry.table}.{target}")
        number = pl.when(valid).then(normal).cast(pl.Float64)
        labels = spec.bins.labels
        binned = pl.when(number.is_null()).then(None)
        for edge, label_below in zip(spec.bins.edges, labels, strict=False):
            binned = binned.when(number < edge).then(pl.lit(label_below))
        return self.put(binned.otherwise(pl.lit(labels[-1])))

    def require(self, target: str, result: _Result, earlier: list[_Check]) -> None:
        """A required column left empty, unless an earlier check already named the row."""
        missing = pl.col(result.value).is_null()
        for check in earlier:
            missing = missing & ~pl.col(check.flag)
        required = f"{self.entry.table}.{target} is required"
        if result.raw is None:
            self.check(missing, result.label, None, f"gives no value, and {required}")
            return
        raw = pl.col(result.raw)
        self.check(missing & raw.is_null(), result.label, None,
                   f"is empty, and {required} (the mapping gives no default)")
        self.check(missing & raw.is_not_null(), result.label, result.raw,
                   f"{result.no_value}, and {required}")

    # -- result ---------------------------------------------------------------------------

    def finish(self, targets: dict[str, str], raws: dict[str, str | None],
               labels: dict[str, str | None]) -> _Outcome:
        outcome = _Outcome(self.entry, self.empty_frame(), labels)
        flags = [pl.col(c.flag) for c in self.checks]
        bad = pl.any_horizontal(flags) if flags else pl.lit(False)
        self.frame = self.frame.with_columns(bad.alias("__bad"))
        for check in self.checks:
            rows = self.frame.filter(pl.col(check.flag))
            shown = rows[check.shown] if check.shown is not None else None
            for i, (file, row) in enumerate(rows.select(FILE, ROW).iter_rows()):
                value = shown[i] if shown is not None else None
                outcome.unplaced.append(Problem(file, row, check.label, value, check.rule))
        placed = self.frame.filter(~pl.col("__bad"))
        outcome.unplaced_rows = self.frame.height - placed.height
        frame = placed.select(
            *[pl.col(targets[c]).alias(c) for c in self.shape.columns], FILE, ROW,
            *[(pl.col(raws[c]) if raws.get(c) else pl.lit(None, dtype=pl.String))
              .alias(_raw_column(c)) for c, _, _ in self.shape.references])
        if self.entry.distinct is not None:
            frame = frame.unique(list(self.entry.distinct), keep="first", maintain_order=True)
        outcome.frame = frame.with_columns(
            pl.lit(self.index, dtype=pl.Int32).alias(ENTRY_COLUMN))
        return outcome


def _unplaced_references(tables: dict[str, pl.DataFrame], model: dict[str, TableShape],
                         labels: dict[int, dict[str, str | None]]
                         ) -> Iterator[tuple[Problem, int]]:
    """Rows referring to a row this import does not place (parents first, so a skipped
    deal unplaces its buying-center rows); each is removed from its table in place."""
    for table in TABLES:
        if table not in tables:
            continue
        references = [r for r in model[table].references if r[1] in tables]
        changed = True
        while changed:
            changed = False
            for column, parent, parent_column in references:
                keys = tables[parent][parent_column].drop_nulls().implode()
                frame = tables[table]
                dangling = pl.col(column).is_not_null() & ~pl.col(column).is_in(keys)
                bad = frame.filter(dangling)
                if bad.height == 0:
                    continue
                tables[table] = frame.filter(~dangling)
                changed = changed or parent == table
                rule_tail = (f"matches no {parent}.{parent_column} this import places "
                             f"(for {table}.{column})")
                for row in bad.select(FILE, ROW, ENTRY_COLUMN, column,
                                      _raw_column(column)).iter_rows():
                    file, number, index, value, raw = row
                    shown = raw if raw is not None else value
                    rule = (f"gives {value!r}, which {rule_tail}" if shown != value
                            else rule_tail)
                    yield (Problem(file, number, labels[index].get(column), shown, rule), index)
