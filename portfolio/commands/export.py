"""`python -m portfolio export [--week YYYY-Www] [--scope all|each-manager|MANAGER_ID...]
[--out DIR] [--db PATH] [--mail [--resend]]`: the weekly screenshots and reports of every
page, and with --mail each scope's report sent to its people (portfolio/delivery/mail.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from portfolio.core.db import served_database_path
from portfolio.delivery.export import (
    ExportError,
    ExportResult,
    Scope,
    Week,
    choose_week,
    default_out,
    export,
    resolve_scopes,
)
from portfolio.delivery.mail import (
    SENT_LOG,
    MailRun,
    MailSettingsError,
    Report,
    SentLog,
    SmtpSettings,
    send_reports,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--week", help="ISO week to export, e.g. 2026-W47 (default: the last "
                                       "complete week of the data); pictures are as of its "
                                       "Sunday")
    parser.add_argument("--scope", nargs="+", default=["all", "each-manager"],
                        metavar="SCOPE",
                        help="all, each-manager and/or manager ids (default: all each-manager)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: data/exports/<week>/)")
    parser.add_argument("--db", type=Path, default=None,
                        help="database to export (default: the served database)")
    parser.add_argument("--mail", action="store_true",
                        help="send each scope's report to its people: a manager's to the "
                             "manager's e-mail, the whole portfolio's to PORTFOLIO_EXECUTIVES "
                             "(SMTP settings: PORTFOLIO_SMTP_*, see docs/export.md)")
    parser.add_argument("--resend", action="store_true",
                        help="with --mail: send again what this week's sent-log says was sent")


def run(args: argparse.Namespace) -> int:
    settings = None
    if args.resend and not args.mail:
        print("export failed: --resend goes with --mail", file=sys.stderr)
        return 2
    if args.mail:
        try:  # before any picture is taken
            settings = SmtpSettings.from_env()
        except MailSettingsError as error:
            print(f"export failed: {error}", file=sys.stderr)
            return 2
    db = served_database_path(args.db)
    if not db.exists():
        print(f"export failed: no database at {db}", file=sys.stderr)
        return 1
    try:
        week: Week = choose_week(db, args.week)
        if settings is not None and not args.resend and all_sent(settings, db, week, args):
            return 0
        result = export(db, out=args.out, week=week, scope_specs=args.scope)
    except ExportError as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    except duckdb.Error as error:
        print(f"export failed: the database {db} cannot be read: {error}", file=sys.stderr)
        return 1
    print(f"Exported week {result.week} (as of {result.as_of:%-d %b %Y}) to {result.out} in "
          f"{result.seconds:.1f} s: {len(result.pictures)} pictures, {len(result.pdfs)} PDFs, "
          f"index {result.index.name if result.index else '–'}")
    if settings is None:
        return 0
    try:
        return report_mail(mail_reports(settings, result, args.resend))
    except ValueError as error:  # an unreadable sent-log
        print(f"export mail failed: {error}", file=sys.stderr)
        return 1


def recipients(settings: SmtpSettings, scope: Scope) -> tuple[str, ...]:
    """A manager's report to the manager (a lead's covers the team), the whole portfolio's
    to the executives."""
    if scope.manager_id is None:
        return settings.executives
    return (scope.viewer,) if scope.viewer else ()


def all_sent(settings: SmtpSettings, db: Path, week: Week, args: argparse.Namespace) -> bool:
    """Whether this week's sent-log has every report of the scopes asked for with every
    recipient: then a re-run has nothing to do (no pictures are taken again)."""
    out = args.out or default_out(week)
    if not (out / SENT_LOG).exists():
        return False
    log = SentLog(out, str(week))
    scopes = resolve_scopes(args.scope, db)
    wanted = [(scope, recipients(settings, scope)) for scope in scopes]
    if not all(people and all(log.has(scope.slug, person) for person in people)
               for scope, people in wanted):
        return False
    for scope, people in wanted:
        for person in people:
            print(f"skipped   {scope.label} → {person}: already sent this week (--resend "
                  "sends again)")
    print(f"Mail: nothing to send, every report of week {week} went out already "
          f"({out / SENT_LOG})")
    return True


def mail_reports(settings: SmtpSettings, result: ExportResult, resend: bool) -> MailRun:
    reports = [Report(scope.slug, scope.label, scope.manager_id, recipients(settings, scope),
                      result.out / f"{scope.slug}.pdf", result.digests[scope.slug])
               for scope in result.scopes]
    return send_reports(settings, str(result.week), reports, result.out, result.newest_on,
                        result.release, resend=resend)


def report_mail(run: MailRun) -> int:
    """One line per message, then the totals; 1 when anyone did not get their report."""
    for outcome in run.outcomes:
        print(outcome.line(), file=sys.stdout if outcome.sent else sys.stderr)
    for scope, recipient in run.skipped:
        print(f"skipped   {scope} → {recipient}: already sent this week (--resend sends "
              "again)")
    sent = sum(outcome.sent for outcome in run.outcomes)
    print(f"Mail: {sent} sent, {len(run.failed)} not sent, {len(run.skipped)} already sent "
          "earlier")
    if run.failed:
        print("export mail incomplete: " + "; ".join(
            f"{o.scope} → {o.recipient or 'nobody'}" for o in run.failed), file=sys.stderr)
        return 1
    return 0
