"""Deciding on the overview with sign-in off (AppTest): the person types their name, a
rejection needs a note, and the record says the person was not signed in."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio.decisions import open_log
from tests.conftest import open_page


def test_with_sign_in_off_the_person_types_their_name(tiny_db: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch):
    log_file = tmp_path / "decisions.sqlite"
    monkeypatch.setenv("PORTFOLIO_DB", str(tiny_db))
    monkeypatch.setenv("PORTFOLIO_DECISIONS", str(log_file))
    monkeypatch.delenv("PORTFOLIO_SIGN_IN", raising=False)
    at = open_page("pages/overview.py", {})
    assert at.subheader[0].value == "Needs a decision this week: 2 accounts"
    at.radio(key="verdict_overview_A1").set_value("reject")
    at.text_input(key="who_overview_A1").set_value("Erika Exec")
    submit = next(b for b in at.button if b.label == "Record the decision"
                  and "A1" in str(b.form_id))
    submit.click().run()
    assert [e.value for e in at.error] == [
        "decision on A1: a rejection needs a note saying why (--note)"]
    assert not log_file.exists() or open_log(env={"PORTFOLIO_DECISIONS": str(log_file)}
                                             ).history() == []
    at.text_area(key="note_overview_A1").set_value("the group invests in it")
    submit = next(b for b in at.button if b.label == "Record the decision"
                  and "A1" in str(b.form_id))
    submit.click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Recorded: Drop rejected for Acme Steel."]
    assert at.subheader[0].value == "Needs a decision this week: 1 account"
    [decision] = open_log(env={"PORTFOLIO_DECISIONS": str(log_file)}).history()
    assert (decision.account_id, decision.verdict, decision.by, decision.signed_in,
            decision.note, decision.owner, decision.due) == (
        "A1", "reject", "Erika Exec", False, "the group invests in it", None, None)
