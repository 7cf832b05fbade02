"""`python -m portfolio decisions`: the decision log, newest first, with each decision's
status as of the served release's newest date.

    python -m portfolio decisions [--account ID] [--format json|csv] [--db PATH]

Each record: the account, the suggestion and its reasons at the time, the score and tiers
then, verdict, by, signed in or not, when, note, until, owner, due, the data release and
as-of date it was decided on, and status: the account's state now (needs a decision,
returned, deferred until, decided, accepted, waiting for the CRM, done, overdue) for its
latest decision, "superseded" for earlier ones, "closed" when the account no longer has a
suggestion. Exit status 0; 1 with a message when the database cannot be read.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

import duckdb

from portfolio.commands.decide import add_database, served_view
from portfolio.commands.score import LIST_SEPARATOR
from portfolio.core.db import served_database_path
from portfolio.decisions import Decision, DecisionLogError
from portfolio.read import scoring
from portfolio.read.decisions import log_of, states

COLUMNS = ("id", "account_id", "suggestion", "reasons", "attractiveness", "tier",
           "suggested_tier", "verdict", "by", "signed_in", "decided_at", "note", "until",
           "owner", "due", "release", "as_of", "status", "status_detail")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", default=None, metavar="ID", help="one account's only")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    add_database(parser)


def fail(message: str) -> int:
    print(f"python -m portfolio decisions: error: {message}", file=sys.stderr)
    return 1


def with_status(history: list[Decision], found: dict[int, tuple[str, str]]) -> list[dict]:
    """Each decision's fields and status (newest first, as `history` is)."""
    seen: set[str] = set()
    records = []
    for decision in history:
        if decision.account_id in seen:
            status, detail = "superseded", "a later decision on the account replaced it"
        else:
            status, detail = found.get(decision.id or 0, (
                "closed", "the account has no suggestion to act on now"))
        seen.add(decision.account_id)
        records.append({**decision.fields(), "status": status, "status_detail": detail})
    return records


def run(args: argparse.Namespace) -> int:
    db = served_database_path(args.db)
    try:
        ctx = served_view(db)
        if isinstance(ctx, str):
            return fail(ctx)
        log = log_of(ctx)
        history = log.history(args.account)
        now = states(ctx, scoring.load_scoring_config(), log)
    except DecisionLogError as error:
        return fail(str(error))
    except duckdb.Error as error:
        return fail(f"cannot read {db}: {error}")
    found = {row["decision_id"]: (row["state"], row["detail"])
             for row in now.filter(now["decision_id"].is_not_null()).iter_rows(named=True)}
    records = with_status(history, found)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(as_json(records) if args.format == "json" else as_csv(records))
    return 0


def as_json(records: list[dict[str, Any]]) -> str:
    return json.dumps([{key: r[key] for key in COLUMNS} for r in records], ensure_ascii=False,
                      indent=2) + "\n"


def as_csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**r, "reasons": LIST_SEPARATOR.join(r["reasons"])} for r in records)
    return out.getvalue()
