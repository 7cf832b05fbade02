"""Import CRM, service-desk and finance exports safely.

SOURCE files are read as text (portfolio.write.sources), mapped onto the canonical tables (files
already named `<table>.csv|.parquet|.xlsx` need no mapping; others go through a mapping file,
portfolio.write.mapping), validated against every rule of the data model (portfolio.write.validate),
and only then published as a new release (portfolio.core.db.publish_release). Any problem stops
the import before a single byte of the served database changes. Tables absent from an
import are carried over from the current release, so the CRM and the service desk can be
imported separately.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from portfolio.core.db import (
    TABLES,
    publish_release,
    read_only_connection,
    recorded_schema,
    schema_fingerprint,
    write_database,
)
from portfolio.write.sources import (
    FILE,
    ROW,
    SUFFIXES,
    Problem,
    SourceError,
    long_fields,
    read_table_file,
)
from portfolio.write.validate import COMBINED_TABLES, header_problems, table_rules, validate

MAX_SHOWN_PROBLEMS = 200


@dataclass
class ImportReport:
    """What an import did: the release it published, or why it refused."""

    rows: dict[str, int] = field(default_factory=dict)
    carried: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_rows: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total_problems: int = 0
    release: Path | None = None
    empty_files: list[str] = field(default_factory=list)   # a header and no rows

    @property
    def ok(self) -> bool:
        return self.total_problems == 0 and self.release is not None


def source_files(sources: Sequence[Path]) -> tuple[dict[str, Path], list[Problem]]:
    """The files named by SOURCE: a folder's import files, or a list of files."""
    files: dict[str, Path] = {}
    problems = []
    for source in sources:
        if source.is_dir():
            found = sorted(p for p in source.iterdir()
                           if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                problems.append(Problem(str(source), None, None, None,
                                        "holds no CSV, Parquet or .xlsx file"))
            files.update((p.name, p) for p in found)
        elif source.exists():
            files[source.name] = source
        else:
            problems.append(Problem(str(source), None, None, None, "does not exist"))
    return files, problems


def read_sources(files: dict[str, Path]) -> tuple[dict[str, pl.DataFrame], list[Problem]]:
    frames, problems = {}, []
    for name, path in files.items():
        try:
            frames[name] = read_table_file(path)
        except SourceError as error:
            problems.append(error.problem)
            continue
        problems += long_fields(frames[name])
    return frames, problems


def canonical_tables(frames: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame],
                                                                list[Problem]]:
    """Files already in the canonical layout: `<table>.<ext>`, one per table; a table whose
    rows combine across files (account_metrics) also `<table>.<feed>.<ext>`, e.g.
    `account_metrics.finance.csv` beside `account_metrics.credit.csv`. Each file's header
    is checked here, where its name is known even when it has no rows."""
    grouped: dict[str, list[pl.DataFrame]] = {}
    problems = []
    rules = table_rules()
    for name, frame in frames.items():
        table, _, feed = Path(name).stem.lower().partition(".")
        if table not in TABLES:
            problems.append(Problem(name, None, None, None,
                                    f"is not named after a table of the data model "
                                    f"({', '.join(TABLES)}); use --mapping for other exports"))
        elif feed and table not in COMBINED_TABLES:
            problems.append(Problem(name, None, None, None,
                                    f"names a feed of table {table}, but only "
                                    f"{', '.join(COMBINED_TABLES)} combine files of several "
                                    f"feeds: name it {table}{Path(name).suffix}"))
        elif table in grouped and table not in COMBINED_TABLES:
            problems.append(Problem(name, None, None, None,
                                    f"is a second file for table {table}"))
        else:
            header = header_problems(name, frame.columns, rules[table])
            problems += header
            if not header:
                grouped.setdefault(table, []).append(frame)
    tables = {table: pl.concat(parts, how="diagonal")
              for table, parts in grouped.items()}
    return tables, problems


def mapped_tables(mapping_path: Path, frames: dict[str, pl.DataFrame],
                  report: ImportReport) -> tuple[dict[str, pl.DataFrame], bool]:
    from portfolio.write.mapping import MappingError, apply_mapping, load_mapping

    try:
        mapping = load_mapping(mapping_path)
    except MappingError as error:
        report.problems += [Problem(mapping_path.name, None, None, None, detail)
                            for detail in error.details or (str(error),)]
        return {}, True
    missing = [name for name in mapping.source_files() if name not in frames]
    for name in missing:
        report.problems.append(Problem(name, None, None, None,
                                       f"is needed by the mapping {mapping_path.name} "
                                       "but is not among the source files"))
    if missing:
        return {}, mapping.carry_over
    mapped = apply_mapping(mapping, frames)
    report.problems += mapped.problems
    report.skipped = dict(mapped.skipped)
    report.skipped_rows = list(mapped.skipped_rows)
    return mapped.tables, mapping.carry_over


def import_sources(sources: Sequence[Path], link: Path, mapping: Path | None = None,
                   carry_over: bool = True) -> ImportReport:
    """Read, map, validate and (only if everything holds) publish a new release."""
    report = ImportReport()
    files, problems = source_files(sources)
    report.problems += problems
    frames, problems = read_sources(files)
    report.problems += problems
    report.empty_files = [name for name, frame in frames.items() if frame.height == 0]
    if mapping is None:
        incoming, problems = canonical_tables(frames)
        report.problems += problems
    else:
        incoming, mapping_carries = mapped_tables(mapping, frames, report)
        carry_over = carry_over and mapping_carries
    if report.problems:
        return refused(report, len(report.problems))
    current = link.resolve() if link.exists() else None
    carried = [t for t in TABLES if t not in incoming] if carry_over and current else []
    existing = existing_keys_reader(current) if current else None
    checked = validate(incoming, existing, carried)
    if not checked.ok:
        report.problems = checked.problems
        return refused(report, checked.total_problems)
    report.rows = {name: frame.height for name, frame in checked.tables.items()}
    report.carried = carried
    report.release = publish_release(
        link, lambda target: write_release(target, checked.tables, current, carried))
    return report


def refused(report: ImportReport, total: int) -> ImportReport:
    report.total_problems = total
    report.problems = report.problems[:MAX_SHOWN_PROBLEMS]
    return report


def existing_keys_reader(current: Path):
    """Key values of the current release, for references into carried-over tables."""
    def keys(table: str, column: str) -> pl.Series:
        cursor = read_only_connection(current).cursor()
        try:
            return cursor.table(table).select(column).pl()[column]
        finally:
            cursor.close()
    return keys


def write_release(target: Path, incoming: dict[str, pl.DataFrame], current: Path | None,
                  carried: Sequence[str]) -> None:
    """A complete database: the imported tables, plus the carried-over ones as they are."""
    tables = {name: frame.drop(FILE, ROW) for name, frame in incoming.items()}
    if current is not None:
        cursor = read_only_connection(current).cursor()
        try:
            for name in carried:
                tables[name] = cursor.table(name).pl()
        finally:
            cursor.close()
    if "portfolio_settings" not in tables:
        tables["portfolio_settings"] = pl.DataFrame({"key": ["currency"], "value": ["EUR"]})
    write_database(target, tables)


def check_database(path: Path) -> tuple[list[Problem], int]:
    """Read every table of a database in full and check every rule of the data model."""
    if not path.exists():
        return [Problem(str(path), None, None, None, "does not exist")], 1
    try:
        con = read_only_connection(path).cursor()
    except duckdb.Error as error:
        return [Problem(path.name, None, None, None,
                        f"is not a readable DuckDB database: {error}")], 1
    try:
        tables, problems = read_all_tables(con, path.name)
        problems += schema_problems(con, path.name)
    finally:
        con.close()
    if problems:
        return problems, len(problems)
    checked = validate({name: frame for name, frame in tables.items() if frame.height})
    return checked.problems[:MAX_SHOWN_PROBLEMS], checked.total_problems


def schema_problems(con: duckdb.DuckDBPyConnection, name: str) -> list[Problem]:
    """A problem when the file was built from another version of the schema (its tables
    would not match the dashboard's queries)."""
    recorded = recorded_schema(con)
    if recorded is not None and recorded[0] == schema_fingerprint():
        return []
    return [Problem(name, None, "schema_info", recorded[0] if recorded else None,
                    f"was built by another version of the dashboard (it needs schema "
                    f"{schema_fingerprint()}); import the data again or rebuild the demo")]


def read_all_tables(con: duckdb.DuckDBPyConnection,
                    name: str) -> tuple[dict[str, pl.DataFrame], list[Problem]]:
    """Every table as text with `_file` = "<db> table <t>" and `_row` = its row number."""
    tables, problems = {}, []
    present = {row[0] for row in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
    for table in TABLES:
        if table not in present:
            problems.append(Problem(name, None, table, None, "table is missing"))
            continue
        try:
            frame = con.table(table).pl()
        except duckdb.Error as error:
            problems.append(Problem(f"{name} table {table}", None, None, None,
                                    f"cannot be read in full: {error}"))
            continue
        tables[table] = frame.with_columns(pl.all().cast(pl.String)).with_columns(
            pl.lit(f"{name} table {table}").alias(FILE),
            (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias(ROW))
    return tables, problems

