"""The week in figures for one scope, as the overview page shows it: its headline figures
with their values a week and a year earlier, and the decisions needing attention.

No Streamlit here: the figures come from the registry (portfolio/read/figures.py) and the
decisions from the same view function the overview calls (portfolio/read/views.py), through
the read layer with plain-Python caches. The weekly export's cover, its index and the mails
read the figures from `overview_digest` alone, with the week's decisions and the accepted
actions not yet done from the decision log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import queries
from portfolio.core import fmt
from portfolio.core.access import Viewer
from portfolio.core.filters import Filters
from portfolio.read import decisions as decision_log
from portfolio.read import figures, scoring, views
from portfolio.read.context import MemoryCaches, PageContext

PERIODS = figures.PERIODS


@dataclass(frozen=True)
class Headline:
    """One registry figure with its value now, a week and a year earlier."""

    figure: figures.Figure
    now: float | None
    week_ago: float | None
    year_ago: float | None

    @property
    def key(self) -> str:
        return self.figure.name

    @property
    def label(self) -> str:
        return self.figure.label

    @property
    def kind(self) -> str:
        return self.figure.unit

    def shown(self, value: float | None, currency: str) -> str:
        return self.figure.display(value, currency)

    def change(self, before: float | None, currency: str) -> str | None:
        return self.figure.change(self.now, before, currency)


@dataclass(frozen=True)
class Decision:
    """One account on the overview's "Needs a decision this week" list."""

    account_id: str
    name: str
    suggestion: str
    tier: str
    suggested_tier: str
    revenue: float | None
    manager_name: str | None
    reasons: tuple[str, ...]
    new: bool

    def summary(self, currency: str) -> str:
        """One line: "Downgrade: Kesselmed GmbH · Key → Standard · revenue T12M €1.2M"."""
        move = (f" → {fmt.label(self.suggested_tier)}"
                if self.suggested_tier != self.tier else "")
        new = " · new this week" if self.new else ""
        return (f"{fmt.label(self.suggestion)}: {self.name} · {fmt.label(self.tier)}{move} · "
                f"revenue T12M {fmt.money(self.revenue, currency)} · "
                f"{self.manager_name or '–'}{new}")


@dataclass(frozen=True)
class Digest:
    """The overview's headline figures and decisions for one scope on one date."""

    as_of: date
    week_ago: date
    year_ago: date
    currency: str
    headlines: tuple[Headline, ...]
    decisions: tuple[Decision, ...]
    waiting: int  # accounts with a suggestion other than keep (decisions shows the first)
    # the decision log (portfolio/read/decisions.py): decided in the week, in words, and the
    # accepted actions not yet done ("<account>: <state> – <detail>")
    decided_this_week: tuple[str, ...] = ()
    accepted_open: tuple[str, ...] = ()

    def figures(self) -> dict[str, float | None]:
        """Each headline's value now, by key (summary.json)."""
        return {item.key: item.now for item in self.headlines}


def scope_view(db: Path, as_of: date, manager_ids: Sequence[str],
               visible: Sequence[str] | None) -> PageContext:
    """The view a page of that scope reads: the manager filter and the viewer's scope."""
    dates = queries.run("data_dates", db=db).row(0, named=True)
    viewer = Viewer(None, None if visible is None else tuple(visible), "the weekly export")
    return PageContext(Filters(as_of=as_of, manager_ids=tuple(manager_ids)), dates["currency"],
                       db, dates["newest_on"], {}, viewer=viewer, caches=MemoryCaches())


def overview_digest(db: Path, as_of: date, manager_ids: Sequence[str] = (),
                    visible: Sequence[str] | None = None) -> Digest:
    """The overview page's headline figures and decisions for the accounts of
    `manager_ids` (with their teams; empty: all) that a viewer seeing `visible` sees."""
    ctx = scope_view(db, as_of, manager_ids, visible)
    config = scoring.load_scoring_config()
    found = {period: figures.values(ctx, config, figures.OVERVIEW_HEADLINES, period)
             for period in PERIODS}
    headlines = tuple(Headline(figures.FIGURES[name], found["now"][name],
                               found["week"][name], found["year"][name])
                      for name in figures.OVERVIEW_HEADLINES)
    chosen = decision_log.to_decide(ctx, config)  # the overview's list, decided ones left out
    decisions = tuple(Decision(row["account_id"], row["name"], row["suggestion"], row["tier"],
                               row["suggested_tier"], row["revenue"], row["manager_name"],
                               tuple(row["reasons"]), bool(row["new"]))
                      for row in chosen.iter_rows(named=True))
    waiting = figures.values(ctx, config, ("needs_decision",))["needs_decision"]
    dates = views.overview_dates(as_of)
    week = decision_log.week_in_decisions(ctx, config)
    accepted_open = tuple(f"{row['name']}: {row['state']} – {row['detail']}"
                          for row in week.accepted_open.iter_rows(named=True))
    return Digest(as_of, dates["week"], dates["year"], ctx.currency, headlines, decisions,
                  int(waiting or 0), tuple(map(decision_log.decision_in_words, week.decided)),
                  accepted_open)
