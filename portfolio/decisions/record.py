"""One decision on one account's suggestion, and the rules a decision must meet."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

VERDICTS = ("accept", "reject", "defer")
REASON_SEPARATOR = "\n"  # the reasons at the time, one a line in the log's text column


class DecisionError(ValueError):
    """A decision that cannot be recorded; the message says why."""


@dataclass(frozen=True)
class Decision:
    """What an executive or manager decided on an account's suggestion, with the facts
    it was decided on: the suggestion, its reasons, the score and tiers at the time, the
    data release and the as-of date of the view. `decided_at` is the wall clock at the
    edge (command or page) that recorded it; `id` is given by the log."""

    account_id: str
    suggestion: str
    reasons: tuple[str, ...]
    attractiveness: float | None
    tier: str | None
    suggested_tier: str | None
    verdict: str
    by: str
    signed_in: bool
    decided_at: datetime
    release: str
    as_of: date
    note: str | None = None
    until: date | None = None
    owner: str | None = None
    due: date | None = None
    id: int | None = None

    @property
    def tier_change(self) -> bool:
        """An accepted suggestion that moves the account to another tier."""
        return (self.verdict == "accept" and self.suggested_tier is not None
                and self.suggested_tier != self.tier)

    def fields(self) -> dict[str, Any]:
        """Every field, dates as ISO text (for json and csv)."""
        values = asdict(self)
        values["reasons"] = list(self.reasons)
        for key in ("decided_at", "as_of", "until", "due"):
            values[key] = None if values[key] is None else values[key].isoformat()
        return values


def check(decision: Decision) -> None:
    """Refuse a decision that misses what its verdict needs, with the reason."""
    where = f"decision on {decision.account_id}"
    if decision.verdict not in VERDICTS:
        raise DecisionError(f"{where}: verdict {decision.verdict!r} is not one of "
                            f"{', '.join(VERDICTS)}")
    if not decision.by.strip():
        raise DecisionError(f"{where}: who decided is missing (give a name or sign in)")
    if decision.verdict == "reject" and not (decision.note or "").strip():
        raise DecisionError(f"{where}: a rejection needs a note saying why (--note)")
    if decision.verdict == "defer":
        if decision.until is None:
            raise DecisionError(f"{where}: a deferral needs the date it ends (--until)")
        if decision.until <= decision.as_of:
            raise DecisionError(f"{where}: deferral until {decision.until} is not after the "
                                f"as-of date {decision.as_of}")
    if decision.verdict == "accept" and decision.due is not None \
            and decision.due < decision.as_of:
        raise DecisionError(f"{where}: due date {decision.due} is before the as-of date "
                            f"{decision.as_of}")
