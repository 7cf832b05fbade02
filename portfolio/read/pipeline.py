"""The pipeline page's logic below the layout: the stalling rules' settings, the words that
say why a deal is stalling, and the headline figures. No streamlit import here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from portfolio.core import fmt
from portfolio.core.settings import OPEN_STAGES, load_settings

OPEN_DEALS_SHOWN = 500  # rows of the open-deal table (the most valuable first)
STALLING_SHOWN = 200  # rows of the stalling list and points of its chart


@dataclass(frozen=True)
class StallingSettings:
    """The [stalling] section of portfolio/core/settings.toml (see the comments there)."""

    no_advance_days: int
    continuation_streak: int
    usual_percentile: float
    history_months: int
    min_stays: int

    def __post_init__(self) -> None:
        if self.no_advance_days < 1 or self.continuation_streak < 1:
            raise ValueError("[stalling] no_advance_days and continuation_streak must be >= 1")
        if not 0 < self.usual_percentile < 1:
            raise ValueError("[stalling] usual_percentile must lie between 0 and 1")
        if self.history_months < 1 or self.min_stays < 1:
            raise ValueError("[stalling] history_months and min_stays must be >= 1")

    def query_params(self) -> dict[str, Any]:
        """The bound parameters of the stalling and stage-history queries."""
        return {"no_advance_days": self.no_advance_days,
                "continuation_streak": self.continuation_streak,
                "usual_percentile": self.usual_percentile,
                "history_months": self.history_months, "min_stays": self.min_stays}

    @property
    def percentile_words(self) -> str:
        """0.9 -> '90 %'."""
        return fmt.percent(self.usual_percentile)


def stalling_settings() -> StallingSettings:
    raw = load_settings().section("stalling")
    return StallingSettings(
        no_advance_days=int(raw.get("no_advance_days", 60)),
        continuation_streak=int(raw.get("continuation_streak", 3)),
        usual_percentile=float(raw.get("usual_percentile", 0.9)),
        history_months=int(raw.get("history_months", 24)),
        min_stays=int(raw.get("min_stays", 20)),
    )


def usual_days_by_stage(stage_time: pl.DataFrame) -> list[float | None]:
    """The usual days in each open stage, in stage order, from `pipeline_stage_time`:
    the `$usual_days` parameter of `stalling_deals`."""
    usual = dict(zip(stage_time["stage"], stage_time["usual_days"], strict=True))
    return [usual.get(stage) for stage in OPEN_STAGES]


def stalling_reasons(row: dict[str, Any]) -> str:
    """Why one deal of `stalling_deals` is listed, in words, e.g. 'no advance for 63 days;
    last 4 calls were continuations; 111 days in stage, usual at most 87'."""
    reasons = []
    if row["no_advance"]:
        reasons.append(f"no advance for {row['days_stalled']} days")
    if row["on_continuations"]:
        reasons.append(f"last {row['continuation_streak']} calls were continuations")
    if row["over_usual"]:
        reasons.append(f"{row['days_in_stage']} days in stage, usual at most "
                       f"{row['usual_days']:.0f}")
    return "; ".join(reasons)


def with_reasons(stalling: pl.DataFrame) -> pl.DataFrame:
    """`stalling_deals` with a `why` column."""
    why = [stalling_reasons(row) for row in stalling.iter_rows(named=True)]
    return stalling.with_columns(pl.Series("why", why, dtype=pl.String))


def stalling_rule_counts(stalling: pl.DataFrame) -> dict[str, int]:
    """How many of the listed deals each rule caught (a deal may be caught by several)."""
    return {rule: int(stalling[rule].sum()) if stalling.height else 0
            for rule in ("no_advance", "on_continuations", "over_usual")}


@dataclass(frozen=True)
class PipelineHeadline:
    open_deals: int
    open_value: float
    weighted_value: float
    won: int
    lost: int
    won_value: float

    @property
    def win_rate(self) -> float | None:
        """Won / (won + lost) over the twelve months to the as-of date, by number."""
        return self.won / (self.won + self.lost) if self.won + self.lost else None


def headline(stages: pl.DataFrame) -> PipelineHeadline:
    """Headline figures from `pipeline_stages`."""
    open_rows = stages.filter(pl.col("stage_order") <= 4)
    by_stage = {row["stage"]: row for row in stages.iter_rows(named=True)}
    return PipelineHeadline(
        open_deals=int(open_rows["deals"].sum()),
        open_value=float(open_rows["value"].sum()),
        weighted_value=float(open_rows["weighted_value"].sum()),
        won=int(by_stage["won"]["deals"]), lost=int(by_stage["lost"]["deals"]),
        won_value=float(by_stage["won"]["value"]),
    )


def undated(closes: pl.DataFrame) -> tuple[int, float]:
    """Deals and value of `pipeline_expected_closes` without an expected close date."""
    rows = closes.filter(pl.col("bucket") == "no_date")
    return int(rows["deals"].sum()), float(rows["value"].sum())


def closing_within(closes: pl.DataFrame, months: int) -> tuple[int, float]:
    """Deals and value of `pipeline_expected_closes` expected from the as-of date to the
    end of the month `months - 1` months after its month (3 on 22 Nov: up to 31 Jan)."""
    rows = closes.filter((pl.col("bucket") == "month") & (pl.col("bucket_order") <= months))
    return int(rows["deals"].sum()), float(rows["value"].sum())
