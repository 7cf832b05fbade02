"""The decision log (issue #21), the same suite on both engines: SQLite in WAL mode beside
the releases, and PostgreSQL on a real server started here (tests/postgres_server.py).

The tiny portfolio (tests/data/tiny) as of its newest date 2026-07-31 suggests two
decisions: A1 Acme Steel (Leo Lead's) drop, strategic → standard; A2 ООО Ромашка (Mia
Manager's, in Leo's team) repair.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from portfolio.core.access import OPEN_VIEWER, Viewer
from portfolio.decisions import DecisionError, SqliteLog, open_log
from portfolio.delivery.export import decisions_markdown
from portfolio.read import decisions, figures, scoring, views
from portfolio.read.digest import overview_digest, scope_view
from portfolio.write.importer import import_sources
from tests.postgres_server import postgres_server

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny"
NEWEST = date(2026, 7, 31)
WHEN = datetime(2026, 8, 3, 9, 30, tzinfo=UTC)  # "the wall clock at the edge", fixed here
CONFIG = scoring.load_scoring_config()
_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One real PostgreSQL server for the session; fails (never skips) when it cannot start."""
    with postgres_server() as url:
        yield url


def fresh_postgres_database(url: str) -> str:
    import psycopg

    name = f"decisions_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which engine keeps the log: SQLite at its default place (no PORTFOLIO_DECISIONS),
    or a fresh database on the session's PostgreSQL server."""
    monkeypatch.delenv("PORTFOLIO_SIGN_IN", raising=False)
    monkeypatch.delenv("PORTFOLIO_EXECUTIVES", raising=False)
    if request.param == "sqlite":
        monkeypatch.delenv("PORTFOLIO_DECISIONS", raising=False)
    else:
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("PORTFOLIO_DECISIONS", fresh_postgres_database(url))
    return request.param


@pytest.fixture()
def served(tmp_path: Path, engine: str) -> Path:
    """The tiny portfolio published as release 1 behind a served name."""
    link = tmp_path / "served" / "portfolio.duckdb"
    report = import_sources([TINY], link)
    assert report.ok, report.problems
    return link


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portfolio", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def view(link: Path, as_of: date = NEWEST):
    return scope_view(link.resolve(), as_of, (), None)


def decide(link: Path, account: str, verdict: str, **fields):
    fields.setdefault("by", "Erika Exec")
    fields.setdefault("signed_in", False)
    fields.setdefault("viewer", OPEN_VIEWER)
    return decisions.record_decision(view(link), CONFIG, account_id=account, verdict=verdict,
                                     decided_at=WHEN, **fields)


def states_of(link: Path, as_of: date = NEWEST) -> dict[str, tuple[str, str]]:
    found = decisions.states(view(link, as_of), CONFIG)
    return {row["account_id"]: (row["state"], row["detail"])
            for row in found.iter_rows(named=True)}


# --- concurrency ---------------------------------------------------------------------------

# Each worker is a process of its own (a fresh interpreter, as the server, the command line
# and the export are), scores first, then records five decisions once all four are ready.
WORKER = r"""
import sys, time
from datetime import UTC, date, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from portfolio.core.access import OPEN_VIEWER
from portfolio.read import decisions, scoring
from portfolio.read.digest import scope_view
link, worker, go = Path(sys.argv[2]).resolve(), int(sys.argv[3]), Path(sys.argv[4])
config = scoring.load_scoring_config()
ctx = scope_view(link, date(2026, 7, 31), (), None)
decisions.account_now(ctx, config, "A2", OPEN_VIEWER)
(go.parent / f"ready-{worker}").touch()
while not go.exists():
    time.sleep(0.005)
for k in range(5):
    decisions.record_decision(
        ctx, config, account_id=("A1", "A2")[k % 2], verdict="defer", by=f"worker {worker}",
        signed_in=False, decided_at=datetime.now(UTC), viewer=OPEN_VIEWER,
        until=date(2026, 9, 1), note=f"w{worker}-{k}")
"""


def test_four_processes_record_twenty_decisions_at_once(served: Path, engine: str,
                                                        tmp_path: Path):
    go = tmp_path / "start" / "go"
    go.parent.mkdir()
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(ROOT), str(served), str(w),
                                 str(go)], stderr=subprocess.PIPE, text=True)
               for w in range(4)]
    for _ in range(12_000):  # all four scored and waiting (2 minutes at most)
        if len(list(go.parent.glob("ready-*"))) == 4 or any(w.poll() for w in workers):
            break
        time.sleep(0.01)
    go.touch()
    errors = [worker.communicate(timeout=120)[1] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0, 0], errors
    listed = cli("decisions", "--db", str(served), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert sorted(r["note"] for r in rows) == sorted(f"w{w}-{k}" for w in range(4)
                                                      for k in range(5))
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    assert len({r["id"] for r in rows}) == 20
    # the newest decision per account is its status; the earlier ones are superseded
    assert sorted(r["status"] for r in rows) == ["deferred until"] * 2 + ["superseded"] * 18
    if engine == "sqlite":
        log = served.parent / "decisions.sqlite"
        assert log.exists() and isinstance(open_log(served), SqliteLog)
        assert open_log(served).location == str(log)


# --- surviving releases, the command line --------------------------------------------------

def test_a_decision_survives_publishing_a_new_release(served: Path, engine: str):
    made = cli("decide", "A1", "--verdict", "reject", "--by", "Erika Exec", "--note",
               "their new owner invests; wait for the Q3 figures", "--db", str(served))
    assert made.returncode == 0, made.stderr
    assert "recorded decision 1: reject drop on A1 by Erika Exec" in made.stdout
    assert "release portfolio-000001, as of 2026-07-31" in made.stdout
    report = import_sources([TINY], served)
    assert report.ok, report.problems
    assert served.resolve().name == "portfolio-000002.duckdb"
    listed = cli("decisions", "--db", str(served), "--account", "A1", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert {key: row[key] for key in ("id", "account_id", "suggestion", "tier",
                                      "suggested_tier", "verdict", "by", "signed_in", "note",
                                      "until", "owner", "due", "release", "as_of", "status")} \
        == {"id": 1, "account_id": "A1", "suggestion": "drop", "tier": "strategic",
            "suggested_tier": "standard", "verdict": "reject", "by": "Erika Exec",
            "signed_in": False, "note": "their new owner invests; wait for the Q3 figures",
            "until": None, "owner": None, "due": None, "release": "portfolio-000001",
            "as_of": "2026-07-31", "status": "decided"}
    assert row["attractiveness"] == pytest.approx(24.5, abs=0.05)
    assert row["reasons"] and row["decided_at"].endswith("+00:00")
    csv_out = cli("decisions", "--db", str(served), "--format", "csv")
    header, line = csv_out.stdout.splitlines()[:2]
    assert header.split(",")[:3] == ["id", "account_id", "suggestion"]
    assert line.startswith("1,A1,drop,") and line.endswith(",decided,rejected by Erika Exec")
    # score --format json: the decision on the current suggestion, null elsewhere
    scored = {r["account_id"]: r for r in json.loads(cli("score", "--db", str(served)).stdout)}
    assert scored["A1"]["decision"]["id"] == 1
    assert scored["A1"]["decision"]["verdict"] == "reject"
    assert scored["A2"]["decision"] is None and scored["A5"]["decision"] is None


# --- refusals ------------------------------------------------------------------------------

def test_refused_with_the_reason_and_nothing_recorded(served: Path, engine: str):
    db = str(served)
    cases = [
        (["A1", "--verdict", "reject", "--by", "Erika"], {},
         "decision on A1: a rejection needs a note saying why (--note)"),
        (["A1", "--verdict", "defer", "--by", "Erika"], {},
         "decision on A1: a deferral needs the date it ends (--until)"),
        (["A9", "--verdict", "accept", "--by", "Erika"], {},
         "no account 'A9' in the data release portfolio-000001"),
        # Mia Manager sees her own portfolio (A2, A3), not her lead's A1
        (["A1", "--verdict", "accept", "--by", "mia.manager@example.com"],
         {"PORTFOLIO_SIGN_IN": "header"},
         "mia.manager@example.com may not decide on A1: it is outside their scope (signed in "
         "as Mia Manager: their portfolio and their team's)"),
        (["A1", "--verdict", "accept", "--by", "nobody@example.com"],
         {"PORTFOLIO_SIGN_IN": "header"},
         "nobody@example.com may not decide on A1: it is outside their scope (no manager in "
         "the portfolio has this e-mail address)"),
    ]
    for args, env, reason in cases:
        done = cli("decide", *args, "--db", db, env=env)
        assert done.returncode == 1, (args, done.stdout)
        assert done.stderr.strip() == f"python -m portfolio decide: error: {reason}"
    assert open_log(served).history() == []
    # in scope: her lead decides on her account, an executive on any
    lead = cli("decide", "A2", "--verdict", "accept", "--by", "leo.lead@example.com",
               "--due", "2026-08-31", "--db", db, env={"PORTFOLIO_SIGN_IN": "header"})
    assert lead.returncode == 0, lead.stderr
    boss = cli("decide", "A1", "--verdict", "accept", "--by", "erika@example.com", "--db", db,
               env={"PORTFOLIO_SIGN_IN": "header", "PORTFOLIO_EXECUTIVES": "erika@example.com"})
    assert boss.returncode == 0, boss.stderr
    assert [(d.account_id, d.by, d.owner, d.due) for d in open_log(served).history()] == [
        ("A1", "erika@example.com", "erika@example.com", None),
        ("A2", "leo.lead@example.com", "leo.lead@example.com", date(2026, 8, 31))]
    with pytest.raises(DecisionError, match="Mia Manager"):
        decide(served, "A1", "accept", viewer=Viewer("mia.manager@example.com", ("M3",),
                                                      "signed in as Mia Manager"))


# --- what the log shows, as of the as-of date ----------------------------------------------

def test_a_deferral_ends_on_its_date_as_of_the_as_of_date(served: Path, engine: str):
    decide(served, "A2", "defer", until=date(2026, 9, 1))
    scored = views.scores_of(view(served), CONFIG, "now")
    history = open_log(served).history()

    def on(day: date) -> tuple[str, str]:
        found = decisions.decision_states(scored, history, day, decisions.DecisionSettings.load(),
                                          "portfolio-000001")
        row = found.filter(pl.col("account_id") == "A2").row(0, named=True)
        return row["state"], row["detail"]

    # the wall clock (this test runs after 2026-09-01) plays no part
    assert on(NEWEST) == ("deferred until", "deferred until 2026-09-01 by Erika Exec")
    assert on(date(2026, 8, 31)) == ("deferred until", "deferred until 2026-09-01 by Erika Exec")
    assert on(date(2026, 9, 1)) == ("returned", "the deferral ended on 2026-09-01")
    # a view of a date before the decision does not see it
    assert on(date(2026, 7, 30)) == ("needs a decision", "")
    assert states_of(served)["A2"][0] == "deferred until"
    # the overview's list and count leave the deferred account out
    ctx = view(served)
    assert figures.values(ctx, CONFIG, ("needs_decision",))["needs_decision"] == 1
    assert decisions.to_decide(ctx, CONFIG)["account_id"].to_list() == ["A1"]


def test_returned_when_the_facts_change(served: Path, engine: str):
    decide(served, "A1", "reject", note="strategic for the group")
    decide(served, "A2", "reject", note="the new contact is promising")
    scored = views.scores_of(view(served), CONFIG, "now")
    history = open_log(served).history()
    settings = decisions.DecisionSettings(return_after_points=10, due_in_days=14)
    fell = scored.with_columns(
        pl.when(pl.col("account_id") == "A1").then(pl.col("attractiveness") - 10)
        .otherwise(pl.col("attractiveness")).alias("attractiveness"),
        pl.when(pl.col("account_id") == "A2").then(pl.lit("drop"))
        .otherwise(pl.col("suggestion")).alias("suggestion"))
    found = decisions.decision_states(fell, history, NEWEST, settings, "r")
    by_account = {r["account_id"]: (r["state"], r["detail"]) for r in found.iter_rows(named=True)}
    assert by_account == {
        "A1": ("returned", "attractiveness fell from 25 to 15 since 2026-07-31"),
        "A2": ("returned", "the suggestion was repair on 2026-07-31, now drop")}
    # 9.9 points is not enough
    less = scored.with_columns(
        pl.when(pl.col("account_id") == "A1").then(pl.col("attractiveness") - 9.9)
        .otherwise(pl.col("attractiveness")).alias("attractiveness"))
    found = decisions.decision_states(less, history, NEWEST, settings, "r")
    assert found.filter(pl.col("account_id") == "A1")["state"].to_list() == ["decided"]
    assert states_of(served) == {"A1": ("decided", "rejected by Erika Exec"),
                                 "A2": ("decided", "rejected by Erika Exec")}
    assert figures.values(view(served), CONFIG, ("needs_decision",))["needs_decision"] == 0


def test_an_accepted_tier_change_waits_for_the_crm_then_is_done(served: Path, engine: str,
                                                                 tmp_path: Path):
    ctx = view(served)
    assert figures.values(ctx, CONFIG, ("needs_decision",))["needs_decision"] == 2
    decide(served, "A1", "accept", owner="Leo Lead", due=date(2026, 8, 31))
    assert states_of(served)["A1"] == (
        "accepted, waiting for the CRM",
        "accepted strategic → standard by Erika Exec; the data still shows strategic")
    assert figures.values(view(served), CONFIG, ("needs_decision",))["needs_decision"] == 1
    # the weekly export's digest: decided this week, accepted and not yet done
    digest = overview_digest(served.resolve(), NEWEST)
    assert digest.decided_this_week == (
        "accept drop (strategic → standard) on A1 by Erika Exec (not signed in), owner Leo "
        "Lead, due 2026-08-31",)
    assert digest.accepted_open == (
        "Acme Steel: accepted, waiting for the CRM – accepted strategic → standard by Erika "
        "Exec; the data still shows strategic",)
    assert [d.account_id for d in digest.decisions] == ["A2"] and digest.waiting == 1
    assert decisions_markdown(digest) == (
        "Decisions this week: 1\n\n- accept drop (strategic → standard) on A1 by Erika Exec "
        "(not signed in), owner Leo Lead, due 2026-08-31\n\nAccepted, not yet done: 1\n\n"
        "- Acme Steel: accepted, waiting for the CRM – accepted strategic → standard by "
        "Erika Exec; the data still shows strategic\n\n")
    # past its due date and still not in the CRM: overdue, listed for its owner
    scored = views.scores_of(ctx, CONFIG, "now")
    late = decisions.decision_states(scored, open_log(served).history(), date(2026, 9, 1),
                                     decisions.DecisionSettings.load(), "portfolio-000001")
    owners = decisions.overdue_by_owner(late)
    assert list(owners) == ["Leo Lead"]
    assert owners["Leo Lead"]["account_id"].to_list() == ["A1"]
    assert late.filter(pl.col("account_id") == "A1")["detail"].to_list() == [
        "accepted by Erika Exec, owner Leo Lead, due 2026-08-31"]
    # the CRM's next export brings the new tier: a new release shows the account done
    source = tmp_path / "next"
    shutil.copytree(TINY, source, ignore=shutil.ignore_patterns("*.md"))
    accounts = pl.read_csv(source / "accounts.csv", infer_schema=False)
    accounts.with_columns(pl.when(pl.col("account_id") == "A1").then(pl.lit("standard"))
                          .otherwise(pl.col("tier")).alias("tier")
                          ).write_csv(source / "accounts.csv")
    report = import_sources([source], served)
    assert report.ok, report.problems
    assert states_of(served)["A1"] == (
        "done", "standard in the data of release portfolio-000002 (as of 2026-07-31)")
    listed = json.loads(cli("decisions", "--db", str(served)).stdout)
    assert [(r["account_id"], r["status"], r["release"]) for r in listed] == [
        ("A1", "done", "portfolio-000001")]


# --- a crash mid-write ---------------------------------------------------------------------

CRASHING_WRITER = """
import sys
from datetime import UTC, date, datetime
from portfolio.decisions import Decision, open_log
log = open_log(sys.argv[1])
for n in range(100_000):
    saved = log.record(Decision("A1", "drop", ("r",), 24.5, "strategic", "standard", "defer",
                                "writer", False, datetime.now(UTC), "portfolio-000001",
                                date(2026, 7, 31), note=f"n{n}", until=date(2026, 9, 1)))
    print(saved.id, flush=True)
"""


def test_a_crash_mid_write_loses_nothing_already_recorded(served: Path, engine: str):
    """A writer killed (SIGKILL) while it records: every decision it was told was recorded
    is there, and the log still takes new ones."""
    writer = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(served)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    confirmed = [int(writer.stdout.readline()) for _ in range(30)]
    writer.kill()
    writer.wait(timeout=30)
    confirmed += [int(line) for line in writer.stdout.read().split()]
    kept = {d.id for d in open_log(served).history()}
    assert set(confirmed) <= kept and len(kept) >= 30
    after = decide(served, "A2", "defer", until=date(2026, 9, 1))
    assert after.id == max(kept) + 1 and open_log(served).history()[0] == after
