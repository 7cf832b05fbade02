"""The weekly export by mail: a real SMTP server on loopback (aiosmtpd) receives what
`python -m portfolio export --mail` sends; faults are named and the rest still go out."""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller

import queries
from portfolio.delivery.browser import free_port
from portfolio.delivery.mail import (
    SENT_LOG,
    MailSettingsError,
    Report,
    SentLog,
    SmtpSettings,
    send_reports,
)
from portfolio.read.digest import overview_digest

ROOT = Path(__file__).resolve().parent.parent
REFUSED = "refused@example.com"
EXECUTIVE = "exec.one@example.com"
PUBLIC_URL = "https://portfolio.example.com"


class Sink:
    """An SMTP server's handler that keeps every message and refuses some recipients with
    550, as a server refuses an unknown mailbox."""

    def __init__(self, refuse: frozenset[str] = frozenset({REFUSED})) -> None:
        self.refuse = refuse
        self.received: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for _, rcpts, m in self.received if address in rcpts]


@pytest.fixture(scope="module")
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def smtp_env(port: int, executives: str) -> dict[str, str]:
    return {"PORTFOLIO_SMTP_HOST": "127.0.0.1", "PORTFOLIO_SMTP_PORT": str(port),
            "PORTFOLIO_SMTP_FROM": "portfolio@supplier.example",
            "PORTFOLIO_EXECUTIVES": executives, "PORTFOLIO_PUBLIC_URL": PUBLIC_URL}


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith("PORTFOLIO_SMTP_") and k not in ("PORTFOLIO_EXECUTIVES",
                                                                 "PORTFOLIO_PUBLIC_URL")}


def run_export(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portfolio", "export", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False,
                          env={**clean_env(), **env, "PYTHONPATH": str(ROOT)})


def pdf_text(path: Path) -> str:
    """The PDF's text (poppler's pdftotext), whitespace collapsed: a name wrapped in a
    table cell reads as one."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return " ".join(text.split())


@pytest.fixture(scope="module")
def mail_db(tiny_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny portfolio where Max Miller (M4) has no e-mail address."""
    path = tmp_path_factory.mktemp("mail") / "tiny.duckdb"
    shutil.copy(tiny_db, path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE managers SET email = NULL WHERE manager_id = 'M4'")
    return path


@pytest.fixture(scope="module")
def first_run(mail_db: Path, sink, tmp_path_factory: pytest.TempPathFactory):
    """The whole portfolio (to an executive and a refused address), Mia Manager (M3) and
    Max Miller (M4, no e-mail address), mailed once."""
    handler, port = sink
    out = tmp_path_factory.mktemp("mail-export") / "week"
    result = run_export("--db", str(mail_db), "--out", str(out), "--scope", "all", "M3", "M4",
                        "--mail", env=smtp_env(port, f"{EXECUTIVE}, {REFUSED}"))
    return result, out, list(handler.received)


def test_each_recipient_gets_one_message_with_their_pdf(first_run, sink):
    _, out, received = first_run
    handler, _ = sink
    assert sorted(rcpt for _, rcpts, _ in received for rcpt in rcpts) == [
        EXECUTIVE, "mia.manager@example.com"]
    for address, slug, label in ((EXECUTIVE, "all", "Whole portfolio"),
                                 ("mia.manager@example.com", "manager-M3", "Mia Manager")):
        (message,) = handler.to(address)
        week = json.loads((out / "summary.json").read_text())["week"]
        assert message["Subject"] == f"Key-account portfolio, week {week}: {label}"
        assert message["To"] == address and message["From"] == "portfolio@supplier.example"
        attachments = list(message.iter_attachments())
        assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [
            ("application/pdf", f"portfolio-{week}-{slug}.pdf")]
        assert attachments[0].get_content() == (out / f"{slug}.pdf").read_bytes()
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for body in (plain, html):
            assert "Key accounts" in body and "Open pipeline" in body
            assert "Needs a decision this week" in body


def test_the_mail_holds_the_overviews_figures_and_links_to_the_filtered_views(first_run,
                                                                              sink, mail_db):
    _, out, _ = first_run
    handler, _ = sink
    (message,) = handler.to("mia.manager@example.com")
    summary = json.loads((out / "summary.json").read_text())
    as_of = date.fromisoformat(summary["as_of"])
    digest = overview_digest(mail_db, as_of, ["M3"], ["M3"])
    plain = message.get_body(("plain",)).get_content()
    for item in digest.headlines:
        shown = item.shown(item.now, digest.currency)
        change = item.change(item.week_ago, digest.currency) or "–"
        assert any(line.split() == [*item.label.split(), *shown.split(), *change.split()]
                   for line in plain.splitlines()), (item.label, shown, change, plain)
    html = message.get_body(("html",)).get_content()
    # the dashboard's own URL parameters (Filters.query_params): manager, and the as-of
    # date unless it is the newest date of the data
    newest = queries.run("data_dates", db=mail_db)["newest_on"][0]
    query = "manager=M3" + ("" if as_of == newest else f"&amp;as_of={as_of.isoformat()}")
    assert f"{PUBLIC_URL}/pipeline?{query}" in html
    assert f"{PUBLIC_URL}/?{query}" in html
    for decision in digest.decisions:
        assert decision.name in plain
        assert f"account={decision.account_id}" in html


def test_refused_and_addressless_scopes_are_named_and_the_status_is_not_zero(first_run):
    result, _, _ = first_run
    assert result.returncode == 1, result.stderr
    assert f"NOT SENT  Whole portfolio → {REFUSED}: refused by the server: 550" in result.stderr
    assert ("NOT SENT  Max Miller → nobody: no e-mail address to send it to (manager M4 has no "
            "e-mail address in managers.email)") in result.stderr
    assert f"sent      Whole portfolio → {EXECUTIVE}" in result.stdout
    assert "Mail: 2 sent, 2 not sent, 0 already sent earlier" in result.stdout


def test_a_managers_pdf_holds_their_accounts_names_as_text_and_not_others(first_run):
    _, out, _ = first_run
    mia, whole = pdf_text(out / "manager-M3.pdf"), pdf_text(out / "all.pdf")
    for name in ("Acme Steel Services", "ООО Ромашка"):  # Mia Manager's accounts
        assert name in mia and name in whole
    assert "Borealis Foods" not in mia  # Max Miller's
    assert "Borealis Foods" in whole


def test_the_sent_log_names_what_went_out(first_run):
    _, out, _ = first_run
    log = json.loads((out / SENT_LOG).read_text())
    assert [(e["scope"], e["to"]) for e in log["sent"]] == [
        ("all", EXECUTIVE), ("manager-M3", "mia.manager@example.com")]
    assert all(len(e["pdf_sha256"]) == 64 and e["message_id"].startswith("<")
               for e in log["sent"])
    assert not [p for p in out.iterdir() if p.name.startswith(".sent-")]  # no temporary left


def test_a_rerun_sends_nothing_twice_and_resend_does(first_run, sink, mail_db):
    _, out, _ = first_run
    handler, port = sink
    before = len(handler.received)
    picture = out / "manager-M3" / "01-overview.png"
    taken = picture.stat().st_mtime_ns
    again = run_export("--db", str(mail_db), "--out", str(out), "--scope", "all", "M3",
                       "--mail", env=smtp_env(port, EXECUTIVE))
    assert again.returncode == 0, again.stderr
    assert "skipped   Mia Manager → mia.manager@example.com: already sent" in again.stdout
    assert len(handler.received) == before
    assert picture.stat().st_mtime_ns == taken  # nothing to send: no pictures taken again
    resent = run_export("--db", str(mail_db), "--out", str(out), "--scope", "M3", "--mail",
                        "--resend", env=smtp_env(port, EXECUTIVE))
    assert resent.returncode == 0, resent.stderr
    assert [rcpts for _, rcpts, _ in handler.received[before:]] == [["mia.manager@example.com"]]


def test_mail_without_smtp_settings_fails_before_any_picture(tiny_db, tmp_path):
    out = tmp_path / "week"
    result = run_export("--db", str(tiny_db), "--out", str(out), "--scope", "all", "--mail",
                        env={"PORTFOLIO_SMTP_PORT": "587"})
    assert result.returncode == 2
    assert ("export failed: --mail needs the SMTP settings in the environment: "
            "PORTFOLIO_SMTP_HOST is not set (the SMTP server's host name); "
            "PORTFOLIO_SMTP_FROM is not set (the sender address of the mails)") in result.stderr
    assert not out.exists()


def test_smtp_settings_are_read_and_checked():
    settings = SmtpSettings.from_env({
        "PORTFOLIO_SMTP_HOST": "mail.example.com", "PORTFOLIO_SMTP_PORT": "587",
        "PORTFOLIO_SMTP_FROM": "kam@example.com", "PORTFOLIO_SMTP_USER": "kam",
        "PORTFOLIO_SMTP_PASSWORD": "secret", "PORTFOLIO_SMTP_STARTTLS": "true",
        "PORTFOLIO_EXECUTIVES": " a@example.com ,,b@example.com ",
        "PORTFOLIO_PUBLIC_URL": "https://kam.example.com/"})
    assert settings == SmtpSettings("mail.example.com", 587, "kam@example.com", "kam", "secret",
                                    True, "https://kam.example.com",
                                    ("a@example.com", "b@example.com"))
    with pytest.raises(MailSettingsError) as error:
        SmtpSettings.from_env({"PORTFOLIO_SMTP_HOST": "h", "PORTFOLIO_SMTP_PORT": "70000",
                               "PORTFOLIO_SMTP_FROM": "nobody", "PORTFOLIO_SMTP_USER": "u",
                               "PORTFOLIO_SMTP_STARTTLS": "maybe"})
    assert str(error.value) == (
        "--mail needs the SMTP settings in the environment: PORTFOLIO_SMTP_PORT='70000' is "
        "not a port number (1 to 65535); PORTFOLIO_SMTP_STARTTLS='maybe' is neither true nor "
        "false; PORTFOLIO_SMTP_FROM='nobody' is not an e-mail address; PORTFOLIO_SMTP_USER "
        "and PORTFOLIO_SMTP_PASSWORD go together: set both or neither")


def test_a_server_that_cannot_be_reached_is_named_for_each_recipient(tiny_db, tmp_path):
    pdf = tmp_path / "all.pdf"
    pdf.write_bytes(b"%PDF-1.4 test\n")
    digest = overview_digest(tiny_db, date(2026, 11, 22))
    port = free_port()  # nothing listens there
    settings = SmtpSettings("127.0.0.1", port, "kam@example.com",
                            executives=("a@example.com", "b@example.com"))
    report = Report("all", "Whole portfolio", None, settings.executives, pdf, digest)
    run = send_reports(settings, "2026-W47", [report], tmp_path, date(2026, 11, 22), "r1")
    assert [(o.recipient, o.sent) for o in run.outcomes] == [("a@example.com", False),
                                                             ("b@example.com", False)]
    assert all(o.detail.startswith(f"cannot reach 127.0.0.1:{port}:") for o in run.outcomes)
    assert not (tmp_path / SENT_LOG).exists()
    assert SentLog(tmp_path, "2026-W47").entries == []
