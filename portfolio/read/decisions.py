"""What became of the suggestions: the decision log (portfolio/decisions) read against the
current scores, as of the view's as-of date (never the wall clock).

Each suggested account (and each with an accepted action still open) is in one state:

- `needs a decision`: nobody decided on it yet;
- `returned`: it was decided, but its deferral ended, the suggestion changed or its
  attractiveness fell `return_after_points` ([decisions] in settings.toml) or more since;
  the detail says what changed;
- `deferred until`: deferred, the date not reached;
- `decided`: accepted or rejected, nothing changed since (hidden from the lists);
- `accepted, waiting for the CRM`: an accepted tier change the release does not show yet;
- `done`: the release shows the accepted tier;
- `overdue`: an accepted action past its due date, listed for its owner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import polars as pl

from portfolio.core.access import OPEN_VIEWER, Viewer
from portfolio.core.settings import load_settings
from portfolio.decisions import Decision, DecisionError, DecisionLog, check, open_log
from portfolio.read import scoring, views
from portfolio.read.context import PageContext

NEEDS = "needs a decision"
RETURNED = "returned"
DEFERRED = "deferred until"
DECIDED = "decided"
WAITING = "accepted, waiting for the CRM"
DONE = "done"
OVERDUE = "overdue"
STATES = (NEEDS, RETURNED, DEFERRED, DECIDED, WAITING, DONE, OVERDUE)
TO_DECIDE = (NEEDS, RETURNED)  # listed under "needs a decision"; the others are decided

STATE_COLUMNS = {"account_id": pl.String, "state": pl.String, "detail": pl.String,
                 "decision_id": pl.Int64, "verdict": pl.String, "decided_by": pl.String,
                 "decided_at": pl.String, "owner": pl.String, "due": pl.Date,
                 "until": pl.Date}


@dataclass(frozen=True)
class DecisionSettings:
    return_after_points: float
    due_in_days: int

    @classmethod
    def load(cls) -> DecisionSettings:
        raw = load_settings().section("decisions")
        return cls(float(raw.get("return_after_points", 10)), int(raw.get("due_in_days", 14)))


def release_name(ctx: PageContext) -> str:
    """The data release a view reads (its file's name without .duckdb)."""
    return ctx.db.stem


def log_of(ctx: PageContext) -> DecisionLog:
    return open_log(ctx.db)


def latest(decisions: Iterable[Decision], as_of: date) -> dict[str, Decision]:
    """The last decision per account among those taken on views up to `as_of` (a view of
    an earlier date does not see decisions taken later). `decisions`: newest first."""
    found: dict[str, Decision] = {}
    for decision in decisions:
        if decision.as_of <= as_of and decision.account_id not in found:
            found[decision.account_id] = decision
    return found


def what_changed(current: Mapping[str, Any], decision: Decision,
                 settings: DecisionSettings) -> list[str]:
    """The facts that changed since the decision, in words (empty: none)."""
    changed = []
    if current["suggestion"] != decision.suggestion:
        changed.append(f"the suggestion was {decision.suggestion} on {decision.as_of}, "
                       f"now {current['suggestion']}")
    now, then = current.get("attractiveness"), decision.attractiveness
    if now is not None and then is not None and then - now >= settings.return_after_points:
        changed.append(f"attractiveness fell from {then:.0f} to {now:.0f} since "
                       f"{decision.as_of}")
    return changed


def judge(current: Mapping[str, Any], decision: Decision | None, as_of: date,
          settings: DecisionSettings, release: str) -> tuple[str, str]:
    """An account's state and its detail in words, as of `as_of`."""
    if decision is None:
        return NEEDS, ""
    changed = what_changed(current, decision, settings)
    late = (decision.verdict == "accept" and decision.due is not None
            and as_of > decision.due)
    if decision.tier_change:
        if current.get("tier") == decision.suggested_tier:
            return DONE, (f"{decision.suggested_tier} in the data of release {release} "
                          f"(as of {as_of})")
        if late:
            return OVERDUE, overdue_detail(decision)
        if changed:
            return RETURNED, "; ".join(changed)
        return WAITING, (f"accepted {decision.tier} → {decision.suggested_tier} by "
                         f"{decision.by}; the data still shows {current.get('tier')}")
    if decision.verdict == "defer" and decision.until is not None and as_of >= decision.until:
        return RETURNED, "; ".join([f"the deferral ended on {decision.until}", *changed])
    if changed:
        return RETURNED, "; ".join(changed)
    if decision.verdict == "defer":
        return DEFERRED, f"deferred until {decision.until} by {decision.by}"
    if late:
        return OVERDUE, overdue_detail(decision)
    return DECIDED, f"{decision.verdict}ed by {decision.by}"


def overdue_detail(decision: Decision) -> str:
    return (f"accepted by {decision.by}, owner {decision.owner or decision.by}, due "
            f"{decision.due}")


def decision_states(scored: pl.DataFrame, decisions: Sequence[Decision], as_of: date,
                    settings: DecisionSettings, release: str) -> pl.DataFrame:
    """A row per account that is suggested now (a decision to take) or whose last decision
    was an accepted action: account_id, state, detail and the last decision's verdict, by,
    when, owner, due and until. `scored`: the view's scores (any other columns ignored)."""
    last = latest(decisions, as_of)
    suggested = scored.filter(pl.col("suggestion").is_in(list(scoring.DECISIONS)))
    rows = [{"account_id": a, "state": NEEDS, "detail": ""}
            for a in suggested["account_id"].to_list() if a not in last]
    decided = scored.filter(pl.col("account_id").is_in(list(last)))
    for current in decided.iter_rows(named=True):
        decision = last[current["account_id"]]
        if current["suggestion"] not in scoring.DECISIONS and decision.verdict != "accept":
            continue  # no longer suggested and nothing accepted to follow up
        state, detail = judge(current, decision, as_of, settings, release)
        rows.append({"account_id": current["account_id"], "state": state, "detail": detail,
                     "decision_id": decision.id, "verdict": decision.verdict,
                     "decided_by": decision.by,
                     "decided_at": decision.decided_at.isoformat(timespec="seconds"),
                     "owner": decision.owner, "due": decision.due, "until": decision.until})
    return pl.DataFrame(rows, schema=STATE_COLUMNS)


def states(ctx: PageContext, config: scoring.ScoringConfig,
           log: DecisionLog | None = None) -> pl.DataFrame:
    """The decision state of every account in view that needs or had a decision, with the
    account's name, manager, tier, suggestion and suggested tier (read fresh from the log:
    a decision shows on the next run)."""
    scored = views.scores_of(ctx, config, "now")
    found = decision_states(scored, (log or log_of(ctx)).history(), ctx.filters.as_of,
                            DecisionSettings.load(), release_name(ctx))
    return found.join(scored.select("account_id", "name", "manager_name", "tier",
                                    "suggestion", "suggested_tier", "attractiveness"),
                      on="account_id", how="left")


def hidden_accounts(scored: pl.DataFrame, decisions: Sequence[Decision], day: date,
                    release: str) -> tuple[str, ...]:
    """The suggested accounts decided as of `day` (not listed under "needs a decision")."""
    found = decision_states(scored, decisions, day, DecisionSettings.load(), release)
    return tuple(sorted(found.filter(~pl.col("state").is_in(list(TO_DECIDE)))["account_id"]))


def decided_in_view(ctx: PageContext, config: scoring.ScoringConfig,
                    period: str = "now") -> tuple[str, ...]:
    """`hidden_accounts` for the view's scores of `period` (now, week or year earlier)."""
    day = views.overview_dates(ctx.filters.as_of)[period]
    history = log_of(ctx).history()
    if not history:
        return ()
    return hidden_accounts(views.scores_of(ctx, config, period), history, day,
                           release_name(ctx))


def to_decide(ctx: PageContext, config: scoring.ScoringConfig) -> pl.DataFrame:
    """The overview's decisions this week without the decided ones, each with its state
    (needs a decision or returned) and what changed."""
    hidden = decided_in_view(ctx, config)
    # the decided accounts are in the key: the log's other entries do not change the list
    shown = ctx.memo_frame(views.decisions_shown, config=config, hidden=hidden)
    found = states(ctx, config).select("account_id", "state", "detail")
    return shown.join(found, on="account_id", how="left", maintain_order="left").with_columns(
        pl.col("state").fill_null(NEEDS), pl.col("detail").fill_null(""))


def overdue_by_owner(found: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Overdue accepted actions (rows of `states`) per owner."""
    late = found.filter(pl.col("state") == OVERDUE).with_columns(
        pl.coalesce("owner", "decided_by").alias("owner"))
    return {owner: rows for (owner,), rows in late.sort("due").group_by("owner",
                                                                       maintain_order=True)}


# --- recording ---------------------------------------------------------------------------

def account_now(ctx: PageContext, config: scoring.ScoringConfig, account_id: str,
                viewer: Viewer) -> dict[str, Any]:
    """The account's scores and suggestion with reasons in words, as of the view's date;
    refused (DecisionError) when the account is unknown or outside `viewer`'s scope."""
    scope = replace(ctx, filters=ctx.filters.unnarrowed(), viewer=viewer)
    if not (scope.account_ids() == account_id).any():
        everyone = replace(scope, viewer=OPEN_VIEWER)
        if not (everyone.account_ids() == account_id).any():
            raise DecisionError(f"no account {account_id!r} in the data release "
                                f"{release_name(ctx)}")
        raise DecisionError(f"{viewer.email or 'this person'} may not decide on "
                            f"{account_id}: it is outside their scope ({viewer.reason})")
    scored = views.scores_of(scope, config, "now").filter(
        pl.col("account_id") == account_id)
    worded = scoring.put_in_words(scored, scope.run("risk_signals"), config, ctx.currency)
    return worded.row(0, named=True)


def record_decision(ctx: PageContext, config: scoring.ScoringConfig, *, account_id: str,
                    verdict: str, by: str, signed_in: bool, decided_at: datetime,
                    viewer: Viewer, note: str | None = None, until: date | None = None,
                    owner: str | None = None, due: date | None = None,
                    log: DecisionLog | None = None) -> Decision:
    """Record a decision on an account's current suggestion, as of the view's date and
    release; `decided_at` is the wall clock of the command or page that records it.
    Refused with the reason (DecisionError) when the account is unknown or outside the
    person's scope, or the verdict misses what it needs."""
    current = account_now(ctx, config, account_id, viewer)
    decision = Decision(
        account_id=account_id, suggestion=current["suggestion"],
        reasons=tuple(current["reasons"] or ()), attractiveness=current["attractiveness"],
        tier=current["tier"], suggested_tier=current["suggested_tier"], verdict=verdict,
        by=by, signed_in=signed_in, decided_at=decided_at, release=release_name(ctx),
        as_of=ctx.filters.as_of, note=(note or "").strip() or None, until=until,
        owner=(owner or "").strip() or None, due=due)
    check(decision)
    return (log or log_of(ctx)).record(decision)


def on_current_suggestion(scored: pl.DataFrame, decisions: Sequence[Decision],
                          as_of: date) -> dict[str, Decision | None]:
    """Per scored account: its latest decision when taken on the suggestion it has now,
    else None (`score --format json`'s `decision`)."""
    last = latest(decisions, as_of)
    return {account: (last[account] if account in last
                      and last[account].suggestion == suggestion else None)
            for account, suggestion in zip(scored["account_id"], scored["suggestion"],
                                           strict=True)}


# --- the week in decisions (the overview, the weekly export) --------------------------------

@dataclass(frozen=True)
class WeekInDecisions:
    """What was decided in the week up to the as-of date (decisions taken on views of those
    seven days), and the accepted actions not yet done (waiting for the CRM or overdue), for
    the accounts in view."""

    decided: tuple[Decision, ...]
    accepted_open: pl.DataFrame  # rows of `states`, waiting or overdue

    @property
    def overdue(self) -> int:
        return self.accepted_open.filter(pl.col("state") == OVERDUE).height


def week_in_decisions(ctx: PageContext, config: scoring.ScoringConfig,
                      found: pl.DataFrame | None = None) -> WeekInDecisions:
    """`found`: the view's `states` when the caller has them."""
    as_of = ctx.filters.as_of
    week_ago = views.overview_dates(as_of)["week"]
    decided = tuple(d for d in log_of(ctx).history() if week_ago < d.as_of <= as_of)
    if decided:
        in_view = set(ctx.account_ids().to_list())
        decided = tuple(d for d in decided if d.account_id in in_view)
    found = states(ctx, config) if found is None else found
    open_rows = found.filter(pl.col("state").is_in([WAITING, OVERDUE])).sort("due", "name")
    return WeekInDecisions(decided, open_rows)


def decision_in_words(decision: Decision, label: Callable[[str], str] = str,
                      day: Callable[[date], str] = date.isoformat) -> str:
    """One line: "accept downgrade (key → standard) on A0003 by …, owner …, due …"; `label`
    and `day` format the codes and dates (the pages pass fmt.label and fmt.day)."""
    move = (f" ({label(decision.tier or '')} → {label(decision.suggested_tier)})"
            if decision.suggested_tier and decision.suggested_tier != decision.tier else "")
    words = (f"{decision.verdict} {label(decision.suggestion)}{move} on {decision.account_id} "
             f"by {decision.by}{'' if decision.signed_in else ' (not signed in)'}")
    extras = [("owner", decision.owner), ("due", decision.due and day(decision.due)),
              ("until", decision.until and day(decision.until))]
    words += "".join(f", {name} {value}" for name, value in extras if value)
    return words + (f": {decision.note}" if decision.note else "")
