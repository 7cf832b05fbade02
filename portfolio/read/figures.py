"""The headline figures: each defined once, with its meaning beside it.

A figure has a name, a label, a unit (and so its format), a one-sentence definition and
exactly one computation, from the dataset queries of `queries/` through the read layer.
The overview, the other pages' metrics, the weekly export and `python -m portfolio
figures` all ask for figures here by name; the definition is each metric's help tooltip.
A page that shows a figure's label shows that figure's value, formatted by `display`
(tests/test_figures.py walks every page to check it).

Settled rules (one home each):
- a **late stage** is one of `late_stages` in settings.toml's [buying_center];
- a late-stage deal **lacks cover** when it misses an active decider *or* an active
  approver (a contact in the role who has not left the client);
- a client is **told in time** when told within `inform_within_days` ([service]) of the day
  the problem became known (queries/rules/macros.sql `told_in_time`);
- the week and year comparisons compute the same figure as of a week and a year earlier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import polars as pl

from portfolio.core import fmt
from portfolio.read import decisions, overview, scoring, views
from portfolio.read.context import PageContext
from portfolio.read.pipeline import headline as pipeline_headline

PERIODS = ("now", "week", "year")


class FigureSources:
    """What the figures of one view on one date are computed from, read lazily: a page
    that shows two figures runs only the queries those two need."""

    def __init__(self, ctx: PageContext, config: scoring.ScoringConfig, period: str) -> None:
        self.ctx, self.config, self.period = ctx, config, period
        self.day = views.overview_dates(ctx.filters.as_of)[period]

    @cached_property
    def totals(self) -> dict[str, Any]:
        """overview_figures' per-account rows added up (portfolio/read/overview.py)."""
        return overview.headline_figures(self.ctx.run(
            "overview_figures", as_of=self.day, on_time_days=self.config.on_time_days))

    @cached_property
    def buying_centers_held(self) -> bool:
        """Whether the database holds any buying centers (queries/data_held.sql)."""
        return self.ctx.held()["has_buying_centers"]

    @cached_property
    def scored(self) -> pl.DataFrame:
        return views.scores_of(self.ctx, self.config, self.period)

    @cached_property
    def pipeline(self) -> Any:
        return pipeline_headline(self.ctx.run("pipeline_stages", as_of=self.day))

    @cached_property
    def decided(self) -> tuple[str, ...]:
        """The suggested accounts decided on as of this period's date (the decision log)."""
        return decisions.decided_in_view(self.ctx, self.config, self.period)

    def accounts(self, suggestions: Iterable[str] | None = None, *,
                 needs_history: bool = False, risk: str | None = None,
                 exclude: tuple[str, ...] = ()) -> float | None:
        """How many scored accounts get one of `suggestions` (or have `risk`), leaving out
        `exclude`; None where the scoring had no data, or (`needs_history`) no score
        twelve months earlier to judge a fall by."""
        frame = self.scored
        if frame.height == 0 or (needs_history and frame["trend"].is_null().all()):
            return None
        condition = (pl.col("risk_level") == risk if risk is not None
                     else pl.col("suggestion").is_in(list(suggestions or ())))
        if exclude:
            condition = condition & ~pl.col("account_id").is_in(list(exclude))
        return float(frame.filter(condition).height)


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    unit: str  # count, money or percent
    definition: str
    compute: Callable[[FigureSources], float | None]
    rising_is_good: bool = True

    def display(self, value: float | None, currency: str) -> str:
        """The value as every page shows it: 1,234 · €1.2M · 87 %; '–' when unknown."""
        if value is None:
            return "–"
        if self.unit == "money":
            return fmt.money(value, currency)
        if self.unit == "percent":
            return fmt.percent(value)
        return f"{value:,.0f}"

    def change(self, now: float | None, before: float | None, currency: str) -> str | None:
        """The change from `before` to `now`, for people: +3, -€1.2M (-4%), +2.1 points,
        "unchanged"; None when either is unknown. A fall starts with an ASCII '-', which
        st.metric reads as a fall."""
        if now is None or before is None:
            return None
        delta = now - before
        if abs(delta) < 1e-9:
            return "unchanged"
        if self.unit == "percent":
            shown = f"{delta * 100:+.1f}"
            return "unchanged" if shown in ("+0.0", "-0.0") else f"{shown} points"
        if self.unit == "money":
            sign = "+" if delta >= 0 else "-"
            relative = f" ({delta / before:+.0%})" if before else ""
            return f"{sign}{fmt.money(abs(delta), currency)}{relative}"
        return f"{delta:+,.0f}"


def _total(key: str) -> Callable[[FigureSources], float | None]:
    def compute(sources: FigureSources) -> float | None:
        value = sources.totals[key]
        return None if value is None else float(value)
    compute.__name__ = f"total_{key}"
    return compute


def _buying_center_total(key: str) -> Callable[[FigureSources], float | None]:
    """`_total(key)`, unknown where the database holds no buying centers: a CRM export of
    deals alone cannot say that a role is covered or missed."""
    total = _total(key)

    def compute(sources: FigureSources) -> float | None:
        return total(sources) if sources.buying_centers_held else None
    compute.__name__ = f"buying_center_total_{key}"
    return compute


FIGURES: dict[str, Figure] = {figure.name: figure for figure in (
    Figure("accounts", "Accounts in view", "count",
           "Every account within the filters and the viewer's portfolio.",
           _total("accounts")),
    Figure("key_accounts", "Key accounts", "count",
           "Accounts in the strategic or key tier that had entered the programme by the "
           "as-of date.", _total("key_accounts")),
    Figure("revenue_t12m", "Revenue T12M", "money",
           "Revenue of all four streams (equipment, service, consumables, spares) over the "
           "twelve complete months up to the as-of date.", _total("revenue_t12m")),
    Figure("open_deals", "Open deals", "count",
           "Deals in one of the four open stages on the as-of date.", _total("open_deals")),
    Figure("open_pipeline", "Open pipeline", "money",
           "The value of the deals open on the as-of date.", _total("open_value")),
    Figure("weighted_pipeline", "Weighted pipeline", "money",
           "The value of each open deal times its stage's probability "
           "(settings.toml, [pipeline]).", _total("weighted_value")),
    Figure("late_stage_coverage", "Late-stage coverage", "percent",
           "The mean share of the seven buying-center roles covered by a contact engaged "
           "recently, over the open deals in a late stage.",
           _buying_center_total("late_coverage")),
    Figure("late_stage_alarm", "Late-stage alarm", "count",
           "Open deals in a late stage that lack an active decider or an active approver.",
           _buying_center_total("late_without_top"), rising_is_good=False),
    Figure("late_stage_alarm_value", "Late-stage value at risk", "money",
           "The value of the open late-stage deals that lack an active decider or approver.",
           _buying_center_total("late_without_top_value"), rising_is_good=False),
    Figure("on_time_delivery", "On-time delivery", "percent",
           "The share of the deliveries promised in the scoring window (scoring.toml, "
           "on_time_days) up to the as-of date that arrived by the promised day.",
           _total("on_time_rate")),
    Figure("win_rate", "Win rate, 12 months", "percent",
           "Deals won as a share of the deals won or lost in the twelve months up to the "
           "as-of date, by number.", lambda s: s.pipeline.win_rate),
    Figure("revenue_from_deals", "Revenue from won deals", "count",
           "Accounts no finance feed covers, whose won deals (and service contracts) stand "
           "in for their revenue.", _total("revenue_from_deals")),
    Figure("needs_decision", "Needs a decision", "count",
           "Accounts with a suggestion to act on (repair, drop, downgrade, upgrade or review) "
           "that nobody has decided on yet, or whose decision returned: its deferral ended, "
           "the suggestion changed or attractiveness fell since.",
           lambda s: s.accounts(scoring.DECISIONS, exclude=s.decided), rising_is_good=False),
    Figure("not_enough_data", "Not enough data", "count",
           "Accounts whose measured factors carry less than the minimum coverage of the "
           "attractiveness weight (scoring.toml, min_coverage): no suggestion for them.",
           lambda s: s.accounts(("not_enough_data",))),
    Figure("to_downgrade_or_drop", "To downgrade or drop", "count",
           "Accounts the scoring model suggests to downgrade or drop (judged only where a "
           "score of twelve months earlier exists).",
           lambda s: s.accounts(("downgrade", "drop"), needs_history=True),
           rising_is_good=False),
    Figure("to_repair", "To repair", "count",
           "Valuable accounts whose relationship is at high risk: repair before deciding.",
           lambda s: s.accounts(("repair",)), rising_is_good=False),
    Figure("to_upgrade", "To upgrade", "count",
           "Standard accounts the scoring model finds attractive enough for the programme.",
           lambda s: s.accounts(("upgrade",))),
    Figure("to_review", "To review", "count",
           "Accounts with a warning sign that no stronger suggestion covers.",
           lambda s: s.accounts(("review",)), rising_is_good=False),
    Figure("to_keep", "To keep", "count", "Accounts with no suggestion but keep.",
           lambda s: s.accounts(("keep",))),
    Figure("high_risk", "High uncoupling risk", "count",
           "Accounts whose uncoupling-risk points reach the high threshold (scoring.toml, "
           "[risk]).", lambda s: s.accounts(risk="high"), rising_is_good=False),
)}

OVERVIEW_HEADLINES = ("key_accounts", "revenue_t12m", "open_pipeline", "weighted_pipeline",
                      "late_stage_coverage", "on_time_delivery", "to_downgrade_or_drop",
                      "high_risk")
BY_LABEL = {figure.label: figure for figure in FIGURES.values()}
FROM_DECISION_LOG = frozenset({"needs_decision"})  # figures that read the decision log too


def figure_values(ctx: PageContext, config: scoring.ScoringConfig, period: str,
                  names: tuple[str, ...], log: int = 0) -> dict[str, float | None]:
    """The values of `names` for a view, as of its date (`period` "now") or a week or a
    year earlier. Cache it through `values` (`log`: the decision log's version, only in
    the cache key)."""
    sources = FigureSources(ctx, config, period)
    return {name: FIGURES[name].compute(sources) for name in names}


def figure_row(ctx: PageContext, config: scoring.ScoringConfig, period: str,
               names: tuple[str, ...]) -> pl.DataFrame:
    """`figure_values` as a one-row frame (every value a float or None), so that the read
    layer can store it with the weekly snapshots."""
    found = figure_values(ctx, config, period, names)
    return pl.DataFrame({name: [value] for name, value in found.items()},
                        schema=dict.fromkeys(found, pl.Float64))


def values(ctx: PageContext, config: scoring.ScoringConfig, names: Iterable[str],
           period: str = "now") -> dict[str, float | None]:
    """`figure_values`, cached by the read layer per view, period and names (and the
    decision log's version, for the figures that read it); those that do not read the log
    are also stored beside the release for a view no filter narrows (`memo_frame`)."""
    names = tuple(names)
    if FROM_DECISION_LOG & set(names):
        # in memory only: the log's version (its last decision's id) would not tell a log
        # that was replaced from the one a stored value was counted from
        return ctx.memo(figure_values, config=config, period=period, names=names,
                        log=decisions.log_of(ctx).version())
    return ctx.memo_frame(figure_row, config=config, period=period,
                          names=names).row(0, named=True)


@dataclass(frozen=True)
class FigureRow:
    figure: Figure
    value: float | None
    display: str


def rows(ctx: PageContext, config: scoring.ScoringConfig,
         names: Iterable[str] | None = None) -> list[FigureRow]:
    """Every figure (or `names`) of a view, as the command line and the export list them."""
    chosen = tuple(names or FIGURES)
    found = values(ctx, config, chosen)
    return [FigureRow(FIGURES[name], found[name],
                      FIGURES[name].display(found[name], ctx.currency)) for name in chosen]


