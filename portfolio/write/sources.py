"""Reading import files (CSV, Parquet, .xlsx) into all-text frames that remember where each
row came from, and the Problem every import error is reported as.

Every value is read as text so that validation, not the reader, decides what is wrong and
can name the file, row, column, value and rule. Two columns are added to each frame:
`_file` (the file's name) and `_row` (the row's number as a person sees it in the file:
for CSV and .xlsx the header is row 1, so the first record is row 2; for Parquet the first
record is row 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from portfolio.core.settings import load_settings

FILE = "_file"
ROW = "_row"
SUFFIXES = (".csv", ".parquet", ".xlsx")
MAX_FIELD_CHARS = 10_000  # a longer field is refused: no column of the model needs more


@cache
def null_spellings() -> tuple[str, ...]:
    """What real exports write for "no value" (#N/A, NULL, ...): read as empty everywhere
    (settings.toml, [import] null_spellings)."""
    spellings = load_settings().section("import").get("null_spellings", [])
    if not isinstance(spellings, list) or not all(isinstance(v, str) for v in spellings):
        raise ValueError("settings.toml: [import] null_spellings must be a list of texts")
    return tuple(spellings)


@dataclass(frozen=True)
class Problem:
    """One reason an import is refused: where, what, and which rule."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        if self.value is None:
            return f"{where}: {self.rule}"
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "…"
        return f"{where}: {shown!r} {self.rule}"


class SourceError(Exception):
    """A file could not be read at all."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_table_file(path: Path) -> pl.DataFrame:
    """One import file as text columns plus `_file` and `_row`."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceError(Problem(path.name, None, None, None,
                                  f"is not a CSV, Parquet or .xlsx file ({', '.join(SUFFIXES)})"))
    if not path.is_file():
        raise SourceError(Problem(path.name, None, None, None, "does not exist"))
    if path.stat().st_size == 0:
        raise SourceError(Problem(path.name, None, None, None, "is empty (no header row)"))
    readers = {".csv": read_csv_text, ".parquet": read_parquet_text, ".xlsx": read_xlsx_text}
    try:
        frame, first_row = readers[suffix](path)
    except SourceError:
        raise
    except Exception as error:  # the readers raise many kinds; all mean "cannot read"
        kind = {".csv": "CSV", ".parquet": "Parquet", ".xlsx": "Excel"}[suffix]
        message = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise SourceError(Problem(path.name, None, None, None,
                                  f"cannot be read as {kind}: {message}")) from error
    frame = without_null_spellings(clean_headers(frame, path.name))
    return with_origin(frame, path.name, first_row)


def read_csv_text(path: Path) -> tuple[pl.DataFrame, int]:
    head = path.read_bytes()[:4096]
    if b"\0" in head:
        raise SourceError(Problem(path.name, None, None, None,
                                  "is not a text file (it contains NUL bytes)"))
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8", raise_if_empty=True,
                        truncate_ragged_lines=False)
    return frame, 2


def read_parquet_text(path: Path) -> tuple[pl.DataFrame, int]:
    frame = pl.read_parquet(path)
    return frame.with_columns(pl.all().cast(pl.String)), 1


def read_xlsx_text(path: Path) -> tuple[pl.DataFrame, int]:
    frame = pl.read_excel(path, engine="calamine", infer_schema_length=0)
    return frame.with_columns(pl.all().cast(pl.String)), 2


def clean_headers(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Trim header names (and a UTF-8 BOM a spreadsheet left on the first one)."""
    renamed = {column: column.lstrip("\ufeff").strip() for column in frame.columns}
    duplicates = {new for new in renamed.values() if list(renamed.values()).count(new) > 1}
    if duplicates:
        raise SourceError(Problem(name, 1, ", ".join(sorted(duplicates)), None,
                                  "appears more than once in the header"))
    return frame.rename(renamed)


def without_null_spellings(frame: pl.DataFrame) -> pl.DataFrame:
    """Cells holding a null spelling (#N/A, NULL, ...) read as empty."""
    spellings = list(null_spellings())
    return frame.with_columns(
        pl.when(pl.col(c).str.strip_chars().is_in(spellings)).then(None).otherwise(pl.col(c))
        .alias(c) for c in frame.columns)


def with_origin(frame: pl.DataFrame, name: str, first_row: int) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(name).alias(FILE),
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias(ROW),
    )


def long_fields(frame: pl.DataFrame, limit: int = MAX_FIELD_CHARS) -> list[Problem]:
    """Fields longer than any column of the model can sensibly hold."""
    problems = []
    for column in frame.columns:
        if column in (FILE, ROW) or frame[column].dtype != pl.String:
            continue
        long = frame.filter(pl.col(column).str.len_chars() > limit)
        for row in long.head(5).iter_rows(named=True):
            problems.append(Problem(row[FILE], row[ROW], column, row[column][:40],
                                    f"is {len(row[column]):,} characters long "
                                    f"(at most {limit:,})"))
    return problems
