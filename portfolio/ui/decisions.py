"""Deciding on a suggestion from a page: accept (owner and due date), reject (a note is
required) or defer until a date, in a popover form per account; and an account's decision
history. The person deciding is the signed-in viewer; with sign-in off, they type their
name and the record says they were not signed in. Recorded through the read side
(portfolio/read/decisions.py) into the decision log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import streamlit as st

from portfolio.core import fmt
from portfolio.decisions import Decision, DecisionError, DecisionLogError
from portfolio.read import scoring
from portfolio.read.context import PageContext
from portfolio.read.decisions import (
    DecisionSettings,
    decision_in_words,
    log_of,
    record_decision,
)
from portfolio.ui.widgets import show_table

VERDICT_LABELS = {"accept": "Accept", "reject": "Reject", "defer": "Defer until"}
NOTICE_KEY = "_decision_recorded"


def what_is_accepted(row: dict[str, Any]) -> str:
    if row.get("suggested_tier") and row["suggested_tier"] != row.get("tier"):
        return (f"{fmt.label(row['suggestion'])}: {fmt.label(row['tier'])} → "
                f"{fmt.label(row['suggested_tier'])}")
    return f"{fmt.label(row['suggestion'])} plan"


def decision_form(ctx: PageContext, config: scoring.ScoringConfig, row: dict[str, Any],
                  key: str) -> None:
    """A "Decide" popover for one account's suggestion (`row`: account_id, name,
    suggestion, tier, suggested_tier). The decision is recorded by the submit button's
    callback, before the page runs again, so the page already shows it."""
    account_id = row["account_id"]
    signed_in = ctx.viewer.email is not None
    settings = DecisionSettings.load()
    as_of = ctx.filters.as_of
    names = {field: f"{field}_{key}_{account_id}" for field in FORM_FIELDS}
    with st.popover("Decide", icon=":material/gavel:", key=f"decide_{key}_{account_id}"):
        with st.form(f"decision_{key}_{account_id}", border=False):
            st.radio("Decision", list(VERDICT_LABELS), format_func=VERDICT_LABELS.get,
                     horizontal=True, key=names["verdict"],
                     captions=[what_is_accepted(row), "a note says why",
                               "it returns on the date"])
            if not signed_in:
                st.text_input("Your name", key=names["who"],
                              help="Sign-in is off: the decision is recorded under the name "
                                   "you type, as not signed in.")
            left, right = st.columns(2)
            left.text_input("Owner (accept)", value=ctx.viewer.email or "",
                            key=names["owner"])
            right.date_input("Due (accept)", value=as_of + timedelta(days=settings.due_in_days),
                             min_value=as_of, key=names["due"])
            st.date_input("Defer until", value=as_of + timedelta(weeks=4),
                          min_value=as_of + timedelta(days=1), key=names["until"])
            st.text_area("Note (required to reject)", key=names["note"], height=80)
            st.form_submit_button("Record the decision", type="primary", on_click=_record,
                                  args=(ctx, config, row, names))
    refused = st.session_state.get(REFUSED_KEY)
    if refused and refused[0] == names["verdict"]:
        st.session_state.pop(REFUSED_KEY)
        st.error(refused[1], icon=":material/error:")


FORM_FIELDS = ("verdict", "who", "owner", "due", "until", "note")
REFUSED_KEY = "_decision_refused"


def _record(ctx: PageContext, config: scoring.ScoringConfig, row: dict[str, Any],
            names: dict[str, str]) -> None:
    """The submit button's callback: record the decision, or keep why it was refused."""
    state = st.session_state
    verdict = state[names["verdict"]]
    signed_in = ctx.viewer.email is not None
    who = ctx.viewer.email if signed_in else state.get(names["who"], "")
    try:
        decision = record_decision(
            ctx, config, account_id=row["account_id"], verdict=verdict,
            by=(who or "").strip(), signed_in=signed_in, decided_at=datetime.now(UTC),
            viewer=ctx.viewer, note=state.get(names["note"]),
            until=state.get(names["until"]) if verdict == "defer" else None,
            owner=(state.get(names["owner"]) or who) if verdict == "accept" else None,
            due=state.get(names["due"]) if verdict == "accept" else None)
    except (DecisionError, DecisionLogError) as error:
        state[REFUSED_KEY] = (names["verdict"], str(error))
        return
    state[NOTICE_KEY] = recorded_words(decision, row["name"])


def recorded_words(decision: Decision, name: str) -> str:
    words = {"accept": "accepted", "reject": "rejected", "defer": "deferred"}[decision.verdict]
    more = (f" until {fmt.day(decision.until)}" if decision.verdict == "defer"
            else f", owner {decision.owner}, due {fmt.day(decision.due)}"
            if decision.verdict == "accept" and decision.due else "")
    return f"{fmt.label(decision.suggestion)} {words} for {name}{more}."


def show_recorded_notice() -> None:
    """The confirmation of a decision recorded on the previous run."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(f"Recorded: {notice}", icon=":material/check_circle:")


def decision_history(ctx: PageContext, config: scoring.ScoringConfig, account_id: str) -> None:
    """The account's decisions, newest first, as a table with formatted dates, and what
    the latest one means now (its state as of the view's date)."""
    from portfolio.read import decisions as log

    history = log_of(ctx).history(account_id)
    st.subheader(f"Decisions: {len(history)}")
    if not history:
        st.caption("Nobody has decided on this account's suggestions yet.")
        return
    latest = history[0]
    st.markdown(f"Latest, {fmt.day(latest.decided_at.date())}: " + scoring.escape_markdown(
        decision_in_words(latest, fmt.label, fmt.day)))
    now = log.states(ctx, config).filter(pl.col("account_id") == account_id)
    if now.height:
        state, detail = now.row(0)[1:3]
        st.caption(f"As of {fmt.day(ctx.filters.as_of)}: **{state}**"
                   + (f" — {scoring.escape_markdown(detail)}" if detail else ""))
    table = pl.DataFrame([{
        "decided_at": d.decided_at.astimezone(UTC).replace(tzinfo=None),
        "verdict": VERDICT_LABELS[d.verdict].replace(" until", ""),
        "suggestion": what_is_accepted({"suggestion": d.suggestion, "tier": d.tier,
                                        "suggested_tier": d.suggested_tier}),
        "by": d.by + ("" if d.signed_in else " (not signed in)"),
        "note": d.note or "", "until": d.until, "owner": d.owner or "", "due": d.due,
        "attractiveness": d.attractiveness, "as_of": d.as_of, "release": d.release,
        "reasons": " · ".join(d.reasons)} for d in history])
    show_table(table, hide_index=True, width="stretch", column_config={
        "decided_at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM YYYY, HH:mm"),
        "verdict": "Decision", "suggestion": "On the suggestion", "by": "By",
        "note": st.column_config.TextColumn("Note", width="medium"),
        "until": st.column_config.DateColumn("Deferred until", format="D MMM YYYY"),
        "owner": "Owner", "due": st.column_config.DateColumn("Due", format="D MMM YYYY"),
        "attractiveness": st.column_config.NumberColumn("Attractiveness then", format="%.0f"),
        "as_of": st.column_config.DateColumn("As of", format="D MMM YYYY"),
        "release": "Data release",
        "reasons": st.column_config.TextColumn("Reasons then", width="large")})


def open_decisions(ctx: PageContext, config: scoring.ScoringConfig) -> None:
    """The week in decisions under the overview's list: how many were taken this week, the
    accepted actions not yet done (overdue ones per owner, tier changes waiting for the
    CRM), deferrals, and tier changes the data now shows. Open in the print layout (the
    weekly export's picture)."""
    from portfolio.read import decisions as log
    from portfolio.ui.widgets import print_layout

    found = log.states(ctx, config)
    week = log.week_in_decisions(ctx, config, found)
    waiting = found.filter(pl.col("state") == log.WAITING)
    deferred = found.filter(pl.col("state") == log.DEFERRED)
    done = found.filter(pl.col("state") == log.DONE)
    late = log.overdue_by_owner(found)
    label = (f"Decisions this week: {len(week.decided)} · accepted, not yet done: "
             f"{week.accepted_open.height} ({week.overdue} overdue) · deferred: "
             f"{deferred.height} · done: {done.height}")
    with st.expander(label, icon=":material/fact_check:",
                     expanded=print_layout() or week.overdue > 0):
        if not week.decided and found.filter(pl.col("verdict").is_not_null()).is_empty():
            st.caption("Nothing decided yet: accept, reject or defer a suggestion with its "
                       "Decide button.")
        if week.decided:
            st.markdown("**Decided this week**")
        for decision in week.decided:
            st.markdown(f"- {scoring.escape_markdown(log.decision_in_words(decision))}")
        for owner, rows in late.items():
            st.markdown(f"**Overdue for {scoring.escape_markdown(owner)}**")
            for row in rows.iter_rows(named=True):
                st.markdown(f"- {scoring.escape_markdown(row['name'])}: "
                            f"{fmt.label(row['suggestion'])} — "
                            f"{scoring.escape_markdown(row['detail'])}")
        for title, rows in (("Accepted, waiting for the CRM", waiting),
                            ("Deferred", deferred), ("Done", done)):
            if rows.height:
                st.markdown(f"**{title}**")
                for row in rows.iter_rows(named=True):
                    st.markdown(f"- {scoring.escape_markdown(row['name'])}: "
                                f"{scoring.escape_markdown(row['detail'])}")
