"""Derivations the pages show, each a named function of a view (portfolio/read/context.py)
so that the read layer caches it under the function's own name (`PageContext.memo`): two
pages that show the same thing call the same function and share one result."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from portfolio.read import scoring
from portfolio.read.buying_center import select_deals
from portfolio.read.context import PageContext
from portfolio.read.service import ServiceSettings, service_band, with_service_status


def scores(ctx: PageContext, config: scoring.ScoringConfig) -> pl.DataFrame:
    """Every account in view scored on the as-of date, with reasons in words: the scoring
    the figures count (`scores_of` "now"), put in words."""
    return scoring.put_in_words(scores_of(ctx, config, "now"), ctx.run("risk_signals"),
                                config, ctx.currency)


def scores_on(ctx: PageContext, config: scoring.ScoringConfig, day: date) -> pl.DataFrame:
    """Every account in view scored on `day` without words (the overview compares the as-of
    date with a week and a year earlier). Each date with its own deals and service
    (scoring_relationship as of `day`): the rules of a suggestion read them (win rate,
    pipeline, large losses), so a date scored without them suggests other things and every
    suggestion of the as-of date would read as new."""
    metrics = ctx.run("scoring_metrics", as_of=scoring.metrics_day(day, ctx.filters.as_of))
    relationship = ctx.run("scoring_relationship", **{**config.relationship_params(),
                                                      "as_of": day})
    return scoring.score_accounts(scoring.combine_factors(metrics, relationship),
                                  ctx.run("risk_signals", as_of=day), config, ctx.currency,
                                  in_words=False)


def overview_dates(as_of: date) -> dict[str, date]:
    """The overview's three dates: now, a week and a year earlier."""
    return {"now": as_of, "week": scoring.shifted(as_of, weeks=1),
            "year": scoring.shifted(as_of, years=1)}


def scores_of(ctx: PageContext, config: scoring.ScoringConfig, period: str) -> pl.DataFrame:
    """Every account in view scored on one of the overview's dates ("now", "week", "year"):
    a page that needs only "now" does not pay for the others."""
    day = overview_dates(ctx.filters.as_of)[period]
    return ctx.memo_accounts(scores_on, config=config, day=day)


def decisions_shown(ctx: PageContext, config: scoring.ScoringConfig,
                    hidden: tuple[str, ...] = ()) -> pl.DataFrame:
    """The decisions the overview lists this week, put in words (only those few), without
    the accounts in `hidden` (decided: portfolio/read/decisions.py)."""
    now = scores_of(ctx, config, "now")
    if hidden:
        now = now.filter(~pl.col("account_id").is_in(list(hidden)))
    return scoring.put_in_words(
        scoring.decisions_this_week(now, scores_of(ctx, config, "week"),
                                    config.decisions_shown),
        ctx.run("risk_signals"), config, ctx.currency)


def service_statuses(ctx: PageContext, settings: ServiceSettings) -> pl.DataFrame:
    """Every account's service status with its reason (~70 ms of words at 10,000 accounts)."""
    return with_service_status(ctx.run("service_account_status", **settings.query_params()),
                               settings)


def service_bands(ctx: PageContext, settings: ServiceSettings) -> pl.DataFrame:
    """Every account's service band without the words (the overview only counts them)."""
    return ctx.run("service_account_status", **settings.query_params()).select(
        "account_id", service_band(settings))


def picked_deals(ctx: PageContext, params: dict[str, Any],
                 choice: dict[str, Any]) -> pl.DataFrame:
    """A list of open deals in view (buying_center.select_deals on the rated deals)."""
    return select_deals(ctx.accounts_rows("buying_center_rated", **params), **choice)
