"""The week in figures for one scope, as the overview page shows it: its headline figures
with their values a week and a year earlier, and the decisions needing attention.

No Streamlit here: the same query rows the overview page reads through its PageContext are
read with `queries.run` under the same parameters (filters, settings and the viewer's
scope), and handed to the same functions (`overview.headline_figures`,
`scoring.score_accounts`, `scoring.headlines`, `scoring.decisions_this_week`,
`scoring.put_in_words`). The weekly export's cover, its index and the mails read the
figures from `overview_digest` alone, so that a change of where figures come from is a
change of that one function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

import queries
from portfolio import fmt, overview, scoring
from portfolio.settings import load_settings

PERIODS = ("now", "week", "year")


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
    headlines: tuple[scoring.Headline, ...]
    decisions: tuple[Decision, ...]
    waiting: int  # accounts with a suggestion other than keep (decisions shows the first)

    def figures(self) -> dict[str, float | None]:
        """Each headline's value now, by key (summary.json)."""
        return {item.key: item.now for item in self.headlines}


def scope_params(as_of: date, manager_ids: Sequence[str],
                 visible: Sequence[str] | None) -> dict[str, Any]:
    """What PageContext.query_params gives a page: the filters (a manager, no region, tier
    or stage), the shared settings and the viewer's scope (None: everything)."""
    settings = load_settings()
    return {"manager_ids": list(manager_ids), "regions": [], "tiers": [], "kam_stages": [],
            "as_of": as_of, "stage_probabilities": list(settings.stage_probabilities),
            "recent_days": settings.recent_days,
            "visible": None if visible is None else list(visible)}


def overview_digest(db: Path, as_of: date, manager_ids: Sequence[str] = (),
                    visible: Sequence[str] | None = None) -> Digest:
    """The overview page's headline figures and decisions for the accounts of
    `manager_ids` (with their teams; empty: all) that a viewer seeing `visible` sees."""
    params = scope_params(as_of, manager_ids, visible)

    def run(name: str, **extra: Any) -> pl.DataFrame:
        return queries.run(name, db=db, **{**params, **extra})

    config = scoring.load_scoring_config()
    currency = queries.run("data_dates", db=db)["currency"][0]
    dates = {"now": as_of, "week": scoring.shifted(as_of, weeks=1),
             "year": scoring.shifted(as_of, years=1)}
    figures = {period: overview.headline_figures(
                   run("overview_figures", as_of=day, on_time_days=config.on_time_days))
               for period, day in dates.items()}
    relationship = run("scoring_relationship")
    scored = {period: scoring.score_accounts(
                  scoring.combine_factors(
                      run("scoring_metrics", as_of=scoring.metrics_day(day, as_of)),
                      relationship if period == "now" else None),
                  run("risk_signals", as_of=day), config, currency, in_words=False)
              for period, day in dates.items()}
    chosen = scoring.put_in_words(
        scoring.decisions_this_week(scored["now"], scored["week"], config.decisions_shown),
        run("risk_signals"), config, currency)
    decisions = tuple(Decision(row["account_id"], row["name"], row["suggestion"], row["tier"],
                               row["suggested_tier"], row["revenue"], row["manager_name"],
                               tuple(row["reasons"]), bool(row["new"]))
                      for row in chosen.iter_rows(named=True))
    waiting = scored["now"].filter(pl.col("suggestion") != "keep").height
    return Digest(as_of, dates["week"], dates["year"], currency,
                  tuple(scoring.headlines(figures, scored, config.on_time_days)), decisions,
                  waiting)
