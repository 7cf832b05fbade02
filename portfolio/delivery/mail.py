"""The weekly report by mail: each scope's PDF to its people, with the week in figures.

A manager's report goes to the manager's e-mail (a lead's report covers the team), the
whole portfolio's to every address in PORTFOLIO_EXECUTIVES; one message per recipient, so
that a refused address costs only its own message. The SMTP server is named by the
environment (`SmtpSettings.from_env`); the standard library's smtplib sends. What was sent
is kept in a small log in the week's export folder (`sent.json`, written atomically after
each message), so a re-run of the week sends only what has not gone out yet.

No Streamlit import here.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import urlencode

from portfolio.core.filters import Filters
from portfolio.core.registry import PAGES
from portfolio.read.digest import Digest

SENT_LOG = "sent.json"
SMTP_TIMEOUT_S = 60
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")
# (variable, what it is, required)
SMTP_VARIABLES = (
    ("PORTFOLIO_SMTP_HOST", "the SMTP server's host name", True),
    ("PORTFOLIO_SMTP_PORT", "its port, e.g. 587", True),
    ("PORTFOLIO_SMTP_FROM", "the sender address of the mails", True),
    ("PORTFOLIO_SMTP_USER", "user name to log in with (optional)", False),
    ("PORTFOLIO_SMTP_PASSWORD", "password to log in with (optional)", False),
    ("PORTFOLIO_SMTP_STARTTLS", "true to switch to TLS with STARTTLS (optional)", False),
)


class MailSettingsError(ValueError):
    """The SMTP settings in the environment are missing or wrong; the message names them."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    public_url: str | None = None  # the dashboard's address for the links in the mails
    executives: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """Read the settings; raise MailSettingsError naming every missing or bad one."""
        env = os.environ if env is None else env
        value = {name: env.get(name, "").strip() for name, _, _ in SMTP_VARIABLES}
        problems = [f"{name} is not set ({what})" for name, what, required in SMTP_VARIABLES
                    if required and not value[name]]
        port = 0
        if value["PORTFOLIO_SMTP_PORT"]:
            try:
                port = int(value["PORTFOLIO_SMTP_PORT"])
                if not 0 < port < 65536:
                    raise ValueError
            except ValueError:
                problems.append(f"PORTFOLIO_SMTP_PORT={value['PORTFOLIO_SMTP_PORT']!r} is not "
                                "a port number (1 to 65535)")
        starttls = value["PORTFOLIO_SMTP_STARTTLS"].lower()
        if starttls not in TRUE_WORDS + FALSE_WORDS:
            problems.append(f"PORTFOLIO_SMTP_STARTTLS={starttls!r} is neither true nor false")
        if value["PORTFOLIO_SMTP_FROM"] and "@" not in value["PORTFOLIO_SMTP_FROM"]:
            problems.append(f"PORTFOLIO_SMTP_FROM={value['PORTFOLIO_SMTP_FROM']!r} is not an "
                            "e-mail address")
        if bool(value["PORTFOLIO_SMTP_USER"]) != bool(value["PORTFOLIO_SMTP_PASSWORD"]):
            problems.append("PORTFOLIO_SMTP_USER and PORTFOLIO_SMTP_PASSWORD go together: "
                            "set both or neither")
        if problems:
            raise MailSettingsError("--mail needs the SMTP settings in the environment: "
                                    + "; ".join(problems))
        executives = tuple(item.strip() for item in env.get("PORTFOLIO_EXECUTIVES", "")
                           .split(",") if item.strip())
        return cls(value["PORTFOLIO_SMTP_HOST"], port, value["PORTFOLIO_SMTP_FROM"],
                   value["PORTFOLIO_SMTP_USER"] or None,
                   value["PORTFOLIO_SMTP_PASSWORD"] or None, starttls in TRUE_WORDS,
                   env.get("PORTFOLIO_PUBLIC_URL", "").strip().rstrip("/") or None,
                   executives)


@dataclass(frozen=True)
class Report:
    """One scope's report, ready to be mailed."""

    slug: str  # the export's scope slug: all, manager-M02
    label: str  # Whole portfolio, Jonas Weber and team
    manager_id: str | None
    recipients: tuple[str, ...]  # empty: nobody to send it to (a fault)
    pdf: Path
    digest: Digest


@dataclass(frozen=True)
class Outcome:
    scope: str  # label
    recipient: str | None
    sent: bool
    detail: str = ""

    def line(self) -> str:
        who = self.recipient or "nobody"
        if self.sent:
            return f"sent      {self.scope} → {who}"
        return f"NOT SENT  {self.scope} → {who}: {self.detail}"


@dataclass
class MailRun:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # already sent earlier

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.sent]


# --- links --------------------------------------------------------------------------------

def page_link(base: str, page_path: str, filters: Filters, newest_on: object,
              **extra: str) -> str:
    """The dashboard's own address of a page under these filters (Filters.query_params,
    as the dashboard writes them), plus e.g. an account."""
    spec = next(p for p in PAGES if p.path == page_path)
    params = {**filters.query_params(newest_on), **{k: [v] for k, v in extra.items()}}
    query = urlencode(params, doseq=True)
    return f"{base}/{spec.url_path}" + (f"?{query}" if query else "")


def report_links(base: str | None, report: Report, newest_on: object
                 ) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(page label, URL) per dashboard page, and the account page's URL per decision."""
    if base is None:
        return [], {}
    filters = Filters(as_of=report.digest.as_of,
                      manager_ids=(report.manager_id,) if report.manager_id else ())
    pages = [(spec.label, page_link(base, spec.path, filters, newest_on))
             for spec in PAGES if spec.path != "pages/account.py"]
    accounts = {d.account_id: page_link(base, "pages/account.py", filters, newest_on,
                                        account=d.account_id)
                for d in report.digest.decisions}
    return pages, accounts


# --- the message --------------------------------------------------------------------------

def subject(week: str, report: Report) -> str:
    return f"Key-account portfolio, week {week}: {report.label}"


def plain_body(week: str, report: Report, pages: Sequence[tuple[str, str]],
               accounts: Mapping[str, str], release: str) -> str:
    d, cur = report.digest, report.digest.currency
    lines = [f"Key-account portfolio, week {week}: {report.label}",
             f"As of {d.as_of:%-d %b %Y}, amounts in {cur}, data release {release}.", "",
             f"Headline figures (change against {d.week_ago:%-d %b}):"]
    width = max(len(item.label) for item in d.headlines)
    lines += [f"  {item.label:<{width}}  {item.shown(item.now, cur):>8}  "
              f"{item.change(item.week_ago, cur) or '–'}" for item in d.headlines]
    lines += ["", f"Needs a decision this week: {d.waiting} account"
                  f"{'s' if d.waiting != 1 else ''}"]
    for decision in d.decisions:
        lines.append(f"- {decision.summary(cur)}")
        lines += [f"    {reason}" for reason in decision.reasons[:3]]
        if decision.account_id in accounts:
            lines.append(f"    {accounts[decision.account_id]}")
    if not d.decisions:
        lines.append("- none: no account needs a downgrade, drop, repair, upgrade or review")
    lines += [""]
    if pages:
        lines += ["On the dashboard:"] + [f"  {label}: {url}" for label, url in pages]
    else:
        lines += ["(No dashboard links: PORTFOLIO_PUBLIC_URL is not set.)"]
    lines += ["", "The full report is attached as a PDF."]
    return "\n".join(lines) + "\n"


def html_body(week: str, report: Report, pages: Sequence[tuple[str, str]],
              accounts: Mapping[str, str], release: str) -> str:
    d, cur = report.digest, report.digest.currency
    esc = html.escape
    cell = "padding:4px 10px;border-bottom:1px solid #ddd;"
    rows = "".join(
        f"<tr><td style='{cell}'>{esc(item.label)}</td>"
        f"<td style='{cell}text-align:right'><b>{esc(item.shown(item.now, cur))}</b></td>"
        f"<td style='{cell}text-align:right;color:#555'>"
        f"{esc(item.change(item.week_ago, cur) or '–')}</td></tr>" for item in d.headlines)

    def decision_html(item) -> str:
        name = esc(item.name)
        if item.account_id in accounts:
            name = f"<a href='{esc(accounts[item.account_id])}'>{name}</a>"
        text = esc(item.summary(cur)).replace(esc(item.name), name, 1)
        reasons = esc(" · ".join(item.reasons[:3]))
        return f"<li style='margin-bottom:6px'>{text}<br><span style='color:#555'>{reasons}" \
               f"</span></li>"

    decisions = ("".join(decision_html(item) for item in d.decisions)
                 or "<li>None: no account needs a downgrade, drop, repair, upgrade or "
                    "review.</li>")
    links = (" · ".join(f"<a href='{esc(url)}'>{esc(label)}</a>" for label, url in pages)
             if pages else "(No dashboard links: PORTFOLIO_PUBLIC_URL is not set.)")
    return (f"<!doctype html><html><body style=\"font-family:'Liberation Sans',Arial,"
            f"sans-serif;color:#1f2430\"><h2 style='margin-bottom:2px'>Key-account "
            f"portfolio, week {esc(week)}: {esc(report.label)}</h2>"
            f"<p style='color:#555;margin-top:0'>As of {d.as_of:%-d %b %Y} · amounts in "
            f"{esc(cur)} · data release {esc(release)}</p>"
            f"<table style='border-collapse:collapse'><tr><th style='{cell}text-align:left'>"
            f"Figure</th><th style='{cell}'>This week</th><th style='{cell}'>Against "
            f"{d.week_ago:%-d %b}</th></tr>{rows}</table>"
            f"<h3>Needs a decision this week: {d.waiting} account{'s' if d.waiting != 1 else ''}"
            f"</h3><ul>{decisions}</ul><p>On the dashboard: {links}</p>"
            f"<p style='color:#555'>The full report is attached as a PDF.</p></body></html>")


def compose(settings: SmtpSettings, week: str, report: Report, recipient: str,
            newest_on: object, release: str) -> EmailMessage:
    """The message to one recipient: subject, plain and HTML bodies, the PDF attached."""
    pages, accounts = report_links(settings.public_url, report, newest_on)
    message = EmailMessage()
    message["Subject"] = subject(week, report)
    message["From"] = settings.sender
    message["To"] = recipient
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(plain_body(week, report, pages, accounts, release))
    message.add_alternative(html_body(week, report, pages, accounts, release), subtype="html")
    message.add_attachment(report.pdf.read_bytes(), maintype="application", subtype="pdf",
                           filename=f"portfolio-{week}-{report.slug}.pdf")
    return message


# --- the sent-log -------------------------------------------------------------------------

class SentLog:
    """Which (scope, recipient) pairs of a week have been sent: `sent.json` in the week's
    export folder, rewritten atomically (a temporary file renamed over it) after each
    message, so an interrupted run leaves a log of what did go out."""

    def __init__(self, folder: Path, week: str) -> None:
        self.path = folder / SENT_LOG
        self.week = week
        self.entries: list[dict[str, str]] = []
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self.entries = list(data["sent"])
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{self.path} is not a sent-log of this export ({error}); "
                                 "move it away to send again") from error

    def has(self, scope: str, recipient: str) -> bool:
        return any(e["scope"] == scope and e["to"] == recipient.lower() for e in self.entries)

    def add(self, scope: str, recipient: str, message_id: str, pdf: Path) -> None:
        self.entries = [e for e in self.entries
                        if not (e["scope"] == scope and e["to"] == recipient.lower())]
        self.entries.append({"scope": scope, "to": recipient.lower(), "message_id": message_id,
                             "pdf_sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()})
        self._write()

    def _write(self) -> None:
        text = json.dumps({"week": self.week, "sent": self.entries}, indent=2)
        fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=".sent-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise


# --- sending ------------------------------------------------------------------------------

def connect(settings: SmtpSettings) -> smtplib.SMTP:
    client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_S)
    try:
        if settings.starttls:
            client.starttls(context=ssl.create_default_context())
        if settings.user:
            client.login(settings.user, settings.password or "")
    except BaseException:
        client.close()
        raise
    return client


def refusal(error: smtplib.SMTPException) -> str:
    """The server's answer in words: '550 no such user'."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return f"refused by the server: {code} {text.decode(errors='replace')}"
    code = getattr(error, "smtp_code", None)
    text = getattr(error, "smtp_error", b"")
    if code is not None:
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"refused by the server: {code} {text}"
    return f"the server failed: {error}"


def deliveries(reports: Iterable[Report], log: SentLog, resend: bool, run: MailRun
               ) -> list[tuple[Report, str]]:
    """(report, recipient) pairs to send; a report nobody can receive is a fault, one
    already sent this week is skipped (unless `resend`)."""
    todo = []
    for report in reports:
        if not report.recipients:
            where = ("PORTFOLIO_EXECUTIVES is empty" if report.manager_id is None else
                     f"manager {report.manager_id} has no e-mail address in managers.email")
            run.outcomes.append(Outcome(report.label, None, False,
                                        f"no e-mail address to send it to ({where})"))
        for recipient in report.recipients:
            if log.has(report.slug, recipient) and not resend:
                run.skipped.append((report.label, recipient))
            else:
                todo.append((report, recipient))
    return todo


def send_reports(settings: SmtpSettings, week: str, reports: Sequence[Report], folder: Path,
                 newest_on: object, release: str, resend: bool = False) -> MailRun:
    """Send each report to each of its recipients; every fault is recorded by name and the
    rest are still sent."""
    run = MailRun()
    log = SentLog(folder, week)
    todo = deliveries(reports, log, resend, run)
    client: smtplib.SMTP | None = None
    try:
        for report, recipient in todo:
            message = compose(settings, week, report, recipient, newest_on, release)
            try:
                if client is None:
                    client = connect(settings)
                client.send_message(message, from_addr=settings.sender, to_addrs=[recipient])
            except smtplib.SMTPServerDisconnected as error:
                client = None  # connect again for the next message
                run.outcomes.append(Outcome(report.label, recipient, False,
                                            f"the server closed the connection: {error}"))
                continue
            except smtplib.SMTPException as error:
                run.outcomes.append(Outcome(report.label, recipient, False, refusal(error)))
                continue
            except OSError as error:
                run.outcomes.append(Outcome(
                    report.label, recipient, False,
                    f"cannot reach {settings.host}:{settings.port}: {error}"))
                client = None
                continue
            log.add(report.slug, recipient, message["Message-ID"], report.pdf)
            run.outcomes.append(Outcome(report.label, recipient, True))
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    return run
