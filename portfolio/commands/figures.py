"""`python -m portfolio figures`: every headline figure of one view, as the pages show it.

    python -m portfolio figures [--db PATH] [--as-of DATE] [--manager ID...] [--region R...]
                                [--tier T...] [--format table|json|csv]

Each row: name, label, value, display (exactly as the pages show it), unit, definition
(portfolio/read/figures.py). Exit status 0; 1 with a message when the database cannot be
read or a filter names something the data does not have; 2 for a malformed argument.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

import duckdb

import queries
from portfolio.commands.score import add_database_and_date
from portfolio.core.db import served_database_path
from portfolio.core.filters import TIERS, Filters
from portfolio.read import figures, scoring
from portfolio.read.context import PageContext

COLUMNS = ("name", "label", "value", "display", "unit", "definition")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_and_date(parser, "the figures")
    parser.add_argument("--manager", nargs="+", default=[], metavar="ID",
                        help="managers' ids; a lead covers their whole team")
    parser.add_argument("--region", nargs="+", default=[], metavar="R")
    parser.add_argument("--tier", nargs="+", default=[], choices=TIERS, metavar="T",
                        help=f"one or more of {', '.join(TIERS)}")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")


def fail(message: str) -> int:
    print(f"python -m portfolio figures: error: {message}", file=sys.stderr)
    return 1


def view(db: Path, args: argparse.Namespace) -> PageContext | str:
    """The view the arguments describe, or what is wrong with them."""
    dates = queries.run("data_dates", db=db).row(0, named=True)
    if dates["newest_on"] is None:
        return f"the database {db} has no data yet"
    managers = queries.run("filter_managers", db=db, visible=None)
    regions = set(queries.run("filter_regions", db=db, visible=None)["region"].to_list())
    unknown = sorted(set(args.manager) - set(managers["manager_id"]))
    if unknown:
        return f"no manager with the id {', '.join(unknown)} in {db}"
    unknown = sorted(set(args.region) - regions)
    if unknown:
        return f"no region {', '.join(unknown)} in {db} (regions: {', '.join(sorted(regions))})"
    filters = Filters(as_of=args.as_of or dates["newest_on"], manager_ids=tuple(args.manager),
                      regions=tuple(args.region), tiers=tuple(args.tier))
    names = dict(zip(managers["manager_id"], managers["name"], strict=True))
    return PageContext(filters, dates["currency"], db, dates["newest_on"], names)


def run(args: argparse.Namespace) -> int:
    db = served_database_path(args.db)
    if not db.is_file():
        return fail(f"no database at {db} (build one with `python -m portfolio demo --db "
                    f"{db}` or pass --db)")
    try:
        ctx = view(db, args)
        if isinstance(ctx, str):
            return fail(ctx)
        found = figures.rows(ctx, scoring.load_scoring_config())
    except scoring.ScoringConfigError as error:
        return fail(f"invalid scoring settings: {error}")
    except duckdb.Error as error:
        return fail(f"cannot read {db}: {error}")
    records = [{"name": row.figure.name, "label": row.figure.label, "value": row.value,
                "display": row.display, "unit": row.figure.unit,
                "definition": row.figure.definition} for row in found]
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write({"json": as_json, "csv": as_csv, "table": as_table}[args.format](records))
    return 0


def as_json(records: list[dict[str, object]]) -> str:
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def as_csv(records: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def as_table(records: list[dict[str, object]]) -> str:
    width = max(len(str(r["label"])) for r in records)
    return "".join(f"{r['label']:<{width}}  {r['display']:>10}\n" for r in records)
