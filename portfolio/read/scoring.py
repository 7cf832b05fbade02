"""Account attractiveness, relative strength, the portfolio matrix, a suggestion for every
account (keep / review / downgrade / drop / upgrade / repair) with reasons in numbers, and
the uncoupling risk. Plain Python and Polars below the pages; no streamlit import.

The data come from three queries, each an aggregate per account computed in DuckDB:
`queries/scoring_metrics.sql` (attractiveness factors and share of wallet, now and twelve
months earlier), `queries/scoring_relationship.sql` (coverage, deliveries, service
promises, now and twelve months earlier) and `queries/risk_signals.sql` (the uncoupling
signals of the recent window). Everything below is vectorised Polars, except putting the
reasons and signals into words.

The model (every number is named in portfolio/read/scoring.toml):

* **Attractiveness, 0-100** (McDonald's key-account portfolio, Gainsight-style scorecard):
  the weighted mean of eight factors over the trailing twelve complete months (T12M):
  size of the business (revenue of all four streams), its growth against the twelve
  months before, revenue-weighted gross margin, the client's market share and its
  relative change over twelve months, the client's financial health and its change in
  points, the after-sales share of revenue.
* **Relative strength, 0-100**: relationship stage (Millman & Wilson, a score per stage),
  share of wallet, buying-center coverage of open deals (value-weighted share of the seven
  roles held by an active contact engaged within `recent_days` of settings.toml), on-time
  deliveries over twelve months, service promises kept (service cases due in twelve months
  closed by their due date; the others, and those still open past it, are broken promises).
* **Normalisation**: each factor's raw value maps linearly onto 0-100 between two anchors
  (the value worth 0 and the value worth 100, e.g. growth -30 % -> 0, +30 % -> 100),
  clamped; revenue uses a log scale (50k -> 0, 10M -> 100: each tenfold adds the same).
  A factor without data is left out and the other weights rescaled (so the weights always
  sum to 100 over the factors that have data); a change that cannot be measured (no
  figures a year before) counts as 50, "no change", so that years with and without
  history compare like with like. Fewer than `min_data_weight` points of weight resting
  on data sends a key account to review. T12M = the twelve complete calendar months up
  to the as-of date (a month counts once its last day has passed).
* **Quadrant** from the two scores (Strategic, Star, Status, Streamline), **band** of
  attractiveness (red / amber / green) and **trend** = attractiveness now minus
  attractiveness computed the same way as of twelve months earlier (None without data).
  The relationship stage and tier have no history in the data model: the scores of
  twelve months earlier use today's stage.
* **Uncoupling risk** is separate: points for each signal of the recent window (manager
  changed, key contact left, personal conflict, broken promises, deliveries weeks late,
  client not told in time, silence after a delivery, purchases stopped, complacency, no
  decider engaged for long, escalated complaint, culture clash, price dispute); people
  changes weigh more in the early stages; low / medium / high by named thresholds. Each
  signal has a code (RISK_SIGNALS, docs/risk_signals.md): `risk_signal_codes`.
* **Suggestion**, first rule that matches: repair (high risk, or purchases stopped, on a
  valuable account), drop (collapse), downgrade (lost market share or financial trouble
  with falling or low attractiveness), upgrade (an attractive standard account with the
  key-account traits of the seed's table 6.3), review (any warning sign; purchases stopped
  on a less attractive account), keep. Every suggestion other than keep carries reasons a
  person can check.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from portfolio.core import fmt

SCORING_FILE = Path(__file__).with_name("scoring.toml")
NOW, YEAR_AGO = 0, 12  # the `period` values of queries/scoring_metrics.sql & _relationship


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    kind: str  # how its raw value reads: money, signed_percent, percent, percent1, ...
    short: str  # a few words, for titles


ATTRACTIVENESS_FACTORS: tuple[Factor, ...] = (
    Factor("size", "Size of business (revenue T12M)", "money", "size"),
    Factor("growth", "Revenue growth year on year", "signed_percent", "growth"),
    Factor("gross_margin", "Gross margin", "percent", "margin"),
    Factor("market_share", "Client market share", "percent1", "market share"),
    Factor("market_share_trend", "Client market share, change in 12 months",
           "signed_percent", "market-share trend"),
    Factor("financial_health", "Client financial health", "score", "financial health"),
    Factor("financial_health_trend", "Financial health, change in 12 months", "signed_points",
           "health trend"),
    Factor("aftersales", "After-sales share of revenue", "percent", "after-sales"),
    Factor("client_size", "Client's own size (annual revenue, employees)", "client_size",
           "client size"),
)
STRENGTH_FACTORS: tuple[Factor, ...] = (
    Factor("relationship_stage", "Relationship stage", "stage", "relationship stage"),
    Factor("share_of_wallet", "Share of wallet", "percent", "share of wallet"),
    Factor("coverage", "Buying-center coverage of open deals", "percent", "coverage"),
    Factor("on_time_delivery", "On-time deliveries, 12 months", "percent", "on-time delivery"),
    Factor("promises_kept", "Service promises kept, 12 months", "percent", "promises kept"),
    Factor("win_rate", "Win rate, 12 months (deals won of those closed)", "percent",
           "win rate"),
)
FACTORS = {f.key: f for f in (*ATTRACTIVENESS_FACTORS, *STRENGTH_FACTORS)}
KAM_STAGES = ("pre_kam", "early_kam", "mid_kam", "partnership_kam", "synergistic_kam",
              "uncoupling_kam")
EARLY_STAGES = ("pre_kam", "early_kam")
KEY_TIERS = ("strategic", "key")
TIER_BELOW = {"strategic": "key", "key": "standard"}
# suggestions in the order a decision is needed (the suggestions list sorts by it);
# not_enough_data is no decision: too little of the attractiveness weight is measured
SUGGESTIONS = ("repair", "drop", "downgrade", "upgrade", "review", "not_enough_data", "keep")
DECISIONS = ("repair", "drop", "downgrade", "upgrade", "review")
LOG_SCALES = ("size", "client_size", "client_employees")
# What a missing factor needs, in the words of the import (table.column)
TO_FILL = {
    "size": "import a finance feed (account_metrics revenue columns) or won deals (deals "
            "won, with value and closed_on)",
    "growth": "revenue for the 12 months before as well (account_metrics revenue columns or "
              "won deals)",
    "gross_margin": "import a finance feed (account_metrics.gross_margin_pct)",
    "market_share": "import market research (account_metrics.client_market_share_pct)",
    "market_share_trend": "market research 12 months back as well "
                          "(account_metrics.client_market_share_pct)",
    "financial_health": "import a credit feed (account_metrics.financial_health)",
    "financial_health_trend": "a credit feed 12 months back as well "
                              "(account_metrics.financial_health)",
    "aftersales": "import a finance feed (account_metrics service, consumables and spares "
                  "revenue) or service contracts (service_contracts)",
    "client_size": "import the client's annual revenue or employees (accounts.annual_revenue, "
                   "accounts.employees)",
    "relationship_stage": "set the relationship stage (accounts.kam_stage)",
    "share_of_wallet": "import our share of the client's spend "
                       "(account_metrics.share_of_wallet_pct)",
    "coverage": "needs open deals and their buying centers (contacts, deal_contacts)",
    "on_time_delivery": "import deliveries promised in the last 12 months (deliveries)",
    "promises_kept": "import service cases with the date promised (service_cases.due_on)",
    "win_rate": "needs enough deals won or lost in the last 12 months (deals)",
}
QUADRANTS = ("Strategic", "Star", "Status", "Streamline")
BANDS = ("red", "amber", "green")
RISK_LEVELS = ("low", "medium", "high")
SEVERITIES = ("low", "medium", "high")  # ranks 1, 2, 3 in queries/risk_signals.sql
# The uncoupling-risk signals: one vocabulary, the codes of risk_signal_codes (`score --format
# json`), the keys of [risk.points] and the order signals are listed in (the seed's causes,
# most frequent first); documented in docs/risk_signals.md.
RISK_SIGNALS = ("kam_changed", "key_contact_left", "personal_conflict", "promise_broken",
                "late_delivery", "client_not_informed", "silence_after_delivery",
                "transactions_stopped", "complacency", "no_decider_contact", "dispute",
                "culture_clash", "price_dispute")
# The key-account traits of the seed's table 6.3 the upgrade rule reads ([upgrade_traits])
TRAITS = {"calls_per_deal": "calls per deal", "buying_center": "people in the buying center",
          "deal_value": "deal size", "relationship_years": "years of relationship"}


class ScoringConfigError(ValueError):
    """scoring.toml (or a what-if) breaks a rule of the model, e.g. weights not summing
    to 100."""


@dataclass(frozen=True)
class Scale:
    """The raw values worth 0 and 100 points; `log` compares logarithms (revenue)."""

    zero: float
    full: float
    log: bool = False


@dataclass(frozen=True)
class SuggestionRules:
    market_share_fall: float
    health_fall: float
    health_trouble_below: float
    revenue_fall: float
    attractiveness_fall: float
    downgrade_below: float
    drop_below: float
    collapse_health_below: float
    collapse_revenue_fall: float
    upgrade_from: float
    upgrade_min_revenue: float
    repair_from: float
    min_coverage: float
    min_closed_deals: float
    win_rate_fall: float
    pipeline_fall: float
    large_deal_quantile: float
    large_losses_from: float


@dataclass(frozen=True)
class UpgradeTraits:
    """[upgrade_traits]: the thresholds of the key-account traits (the seed's table 6.3)."""

    calls_per_deal: float = 4
    buying_center: float = 4
    deal_value: float = 100_000
    relationship_years: float = 2
    upgrade_min_traits: int = 3


@dataclass(frozen=True)
class RiskRules:
    decider_silence_days: int
    early_stage_factor: float
    broken_promises_counted: int
    medium_from: float
    high_from: float
    points: dict[str, float] = field(compare=True)
    severity: dict[str, float] = field(compare=True)
    silence_after_delivery_days: int = 60
    stopped_months: int = 6
    regular_months: int = 6
    complacency_years: float = 3
    complacency_contact_fall: float = 30
    complacency_min_calls: int = 4
    complacency_wallet_fall: float = 5


@dataclass(frozen=True)
class ScoringConfig:
    """The whole model: weights, scales and thresholds (see scoring.toml)."""

    attractiveness_weights: dict[str, float]
    strength_weights: dict[str, float]
    scales: dict[str, Scale]
    stage_scores: dict[str, float]
    red_below: float
    green_from: float
    attractiveness_from: float
    strength_from: float
    rules: SuggestionRules
    risk: RiskRules
    traits: UpgradeTraits = field(default_factory=UpgradeTraits)
    on_time_days: int = 90
    decisions_shown: int = 8

    def relationship_params(self) -> dict[str, float]:
        """The settings queries/scoring_relationship.sql reads."""
        return {"large_deal_quantile": self.rules.large_deal_quantile}

    def with_weights(self, attractiveness: Mapping[str, float] | None = None,
                     strength: Mapping[str, float] | None = None) -> ScoringConfig:
        """The same model with other weights (a what-if); they must sum to 100."""
        changed = replace(
            self,
            attractiveness_weights=dict(attractiveness or self.attractiveness_weights),
            strength_weights=dict(strength or self.strength_weights))
        check_weights(changed.attractiveness_weights, ATTRACTIVENESS_FACTORS, "attractiveness")
        check_weights(changed.strength_weights, STRENGTH_FACTORS, "strength")
        return changed


# --- configuration ---------------------------------------------------------------------

def check_weights(weights: Mapping[str, float], factors: tuple[Factor, ...], name: str) -> None:
    expected = {f.key for f in factors}
    if set(weights) != expected:
        missing, unknown = expected - set(weights), set(weights) - expected
        raise ScoringConfigError(f"{name} weights: missing {sorted(missing)}, "
                                 f"unknown {sorted(unknown)}")
    if any(not isinstance(w, int | float) or w < 0 for w in weights.values()):
        raise ScoringConfigError(f"{name} weights must be numbers of at least 0")
    total = sum(weights.values())
    if abs(total - 100) > 1e-6:
        raise ScoringConfigError(f"{name} weights must sum to 100, not {total:g}")


def normalised_weights(raw: Mapping[str, float]) -> dict[str, float]:
    """Relative weights (e.g. slider positions) rescaled to sum to 100."""
    total = sum(raw.values())
    if total <= 0:
        raise ScoringConfigError("at least one weight must be above 0")
    return {key: 100 * value / total for key, value in raw.items()}


def _scale(name: str, values: Any, log: bool = False) -> Scale:
    if not (isinstance(values, list) and len(values) == 2
            and all(isinstance(v, int | float) for v in values) and values[0] != values[1]):
        raise ScoringConfigError(f"scale {name}: give [value scoring 0, value scoring 100]")
    if log and min(values) <= 0:
        raise ScoringConfigError(f"scale {name}: a log scale needs values above 0")
    return Scale(float(values[0]), float(values[1]), log)


def load_scoring_config(path: Path = SCORING_FILE) -> ScoringConfig:
    """Read and check scoring.toml: weights sum to 100, every factor has a scale, ..."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return _config_from(raw)
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as error:
        raise ScoringConfigError(f"{path}: {error!r}") from error
    except ScoringConfigError as error:
        raise ScoringConfigError(f"{path}: {error}") from error


def _config_from(raw: dict[str, Any]) -> ScoringConfig:
    attractiveness, strength = raw["attractiveness"], raw["strength"]
    a_weights = {k: float(v) for k, v in attractiveness["weights"].items()}
    s_weights = {k: float(v) for k, v in strength["weights"].items()}
    check_weights(a_weights, ATTRACTIVENESS_FACTORS, "attractiveness")
    check_weights(s_weights, STRENGTH_FACTORS, "strength")
    scales = {key: _scale(key, value, log=key in LOG_SCALES)
              for key, value in {**attractiveness["scale"], **strength["scale"]}.items()}
    scales["relationship_stage"] = Scale(0.0, 100.0)
    missing = set(FACTORS) - set(scales)
    if missing:
        raise ScoringConfigError(f"no scale for {sorted(missing)}")
    stages = {k: float(v) for k, v in strength["relationship_stage"].items()}
    if set(stages) != set(KAM_STAGES) or any(not 0 <= v <= 100 for v in stages.values()):
        raise ScoringConfigError("relationship_stage: a score 0-100 for each of "
                                 f"{', '.join(KAM_STAGES)}")
    bands, quadrant = raw["bands"], raw["quadrant"]
    if not bands["red_below"] <= bands["green_from"]:
        raise ScoringConfigError("bands: red_below must not exceed green_from")
    rules = SuggestionRules(**{k: float(v) for k, v in raw["suggestion"].items()})
    if not 0 <= rules.min_coverage <= 100 or not 0 < rules.large_deal_quantile < 1:
        raise ScoringConfigError("suggestion: min_coverage must be 0-100 and "
                                 "large_deal_quantile between 0 and 1")
    risk_raw = dict(raw["risk"])
    points = {k: float(v) for k, v in risk_raw.pop("points").items()}
    if set(points) != set(RISK_SIGNALS):
        raise ScoringConfigError(f"risk.points: one value for each of {', '.join(RISK_SIGNALS)}")
    severity = {k: float(v) for k, v in risk_raw.pop("severity").items()}
    if set(severity) != set(SEVERITIES):
        raise ScoringConfigError(f"risk.severity: one factor for each of {', '.join(SEVERITIES)}")
    risk = RiskRules(decider_silence_days=int(risk_raw["decider_silence_days"]),
                     early_stage_factor=float(risk_raw["early_stage_factor"]),
                     broken_promises_counted=int(risk_raw["broken_promises_counted"]),
                     medium_from=float(risk_raw["medium_from"]),
                     high_from=float(risk_raw["high_from"]), points=points,
                     severity=severity,
                     silence_after_delivery_days=int(risk_raw["silence_after_delivery_days"]),
                     stopped_months=int(risk_raw["stopped_months"]),
                     regular_months=int(risk_raw["regular_months"]),
                     complacency_years=float(risk_raw["complacency_years"]),
                     complacency_contact_fall=float(risk_raw["complacency_contact_fall"]),
                     complacency_min_calls=int(risk_raw["complacency_min_calls"]),
                     complacency_wallet_fall=float(risk_raw["complacency_wallet_fall"]))
    traits_raw = raw["upgrade_traits"]
    traits = UpgradeTraits(**{k: float(v) for k, v in traits_raw.items()
                              if k != "upgrade_min_traits"},
                           upgrade_min_traits=int(traits_raw["upgrade_min_traits"]))
    if not 0 <= traits.upgrade_min_traits <= len(TRAITS):
        raise ScoringConfigError(f"upgrade_traits: upgrade_min_traits must be 0-{len(TRAITS)}")
    if not 0 < risk.medium_from <= risk.high_from:
        raise ScoringConfigError("risk: need 0 < medium_from <= high_from")
    overview = raw.get("overview", {})
    return ScoringConfig(
        attractiveness_weights=a_weights, strength_weights=s_weights, scales=scales,
        stage_scores=stages, red_below=float(bands["red_below"]),
        green_from=float(bands["green_from"]),
        attractiveness_from=float(quadrant["attractiveness_from"]),
        strength_from=float(quadrant["strength_from"]), rules=rules, risk=risk, traits=traits,
        on_time_days=int(overview.get("on_time_days", 90)),
        decisions_shown=int(overview.get("decisions_shown", 8)))


# --- factors and scores ------------------------------------------------------------------

def _positive(name: str) -> pl.Expr:
    return pl.when(pl.col(name) > 0).then(pl.col(name))


def combine_factors(metrics: pl.DataFrame, relationship: pl.DataFrame) -> pl.DataFrame:
    """The rows of scoring_metrics with the columns of scoring_relationship (account x
    period)."""
    return metrics.join(relationship, on=["account_id", "period"], how="left")


def raw_value_expressions(config: ScoringConfig) -> dict[str, pl.Expr]:
    """Each factor's raw value from the columns of combine_factors."""
    return {
        "size": pl.col("revenue"),
        "growth": (pl.col("revenue") / _positive("revenue_prior") - 1) * 100,
        "gross_margin": pl.col("gross_margin_pct"),
        "market_share": pl.col("market_share"),
        "market_share_trend": (pl.col("market_share") / _positive("market_share_before") - 1)
        * 100,
        "financial_health": pl.col("health"),
        "financial_health_trend": pl.col("health") - pl.col("health_before"),
        # won deals alone say nothing of after-sales where the database holds no contracts
        "aftersales": pl.when(~pl.col("revenue_from_deals") | pl.col("has_contracts"))
        .then(pl.col("aftersales_share") * 100),
        "client_size": pl.col("client_revenue"),
        "relationship_stage": pl.col("kam_stage").replace_strict(
            config.stage_scores, default=None, return_dtype=pl.Float64),
        "share_of_wallet": pl.col("share_of_wallet"),
        # no buying-center rows in the whole database: not measured (not "nobody met")
        "coverage": pl.when((pl.col("open_deals") > 0) & pl.col("has_buying_centers"))
        .then(pl.col("coverage") * 100),
        "on_time_delivery": pl.when(pl.col("deliveries_due") > 0).then(
            100 * pl.col("deliveries_on_time") / pl.col("deliveries_due")),
        "promises_kept": pl.when(pl.col("promises_due") > 0).then(
            100 * pl.col("promises_kept") / pl.col("promises_due")),
        "win_rate": pl.when(pl.col("deals_won") + pl.col("deals_lost")
                            >= max(config.rules.min_closed_deals, 1)).then(
            100 * pl.col("deals_won") / (pl.col("deals_won") + pl.col("deals_lost"))),
    }


def normalise(value: pl.Expr, scale: Scale) -> pl.Expr:
    """A raw value on 0-100: linear (or logarithmic) between the anchors, clamped."""
    if scale.log:
        low, high = math.log(scale.zero), math.log(scale.full)
        floored = pl.when(value > scale.zero).then(value).otherwise(pl.lit(scale.zero))
        position = pl.when(value.is_not_null()).then((floored.log() - low) / (high - low))
    else:
        position = (value - scale.zero) / (scale.full - scale.zero)
    return (position.clip(0, 1) * 100).cast(pl.Float64)


def weighted_score(weights: Mapping[str, float]) -> tuple[pl.Expr, pl.Expr]:
    """The weighted mean of the factor scores that have data, and the weight behind it."""
    available = pl.sum_horizontal([
        pl.when(pl.col(f"score_{key}").is_not_null()).then(pl.lit(weight)).otherwise(0.0)
        for key, weight in weights.items()])
    total = pl.sum_horizontal([pl.col(f"score_{key}").fill_null(0) * weight
                               for key, weight in weights.items()])
    return pl.when(available > 0).then(total / available), available


def named_factors(keys: list[str], condition: Callable[[str], pl.Expr]) -> pl.Expr:
    """The names of the factors (in `keys` order) for which `condition(key)` holds."""
    return pl.concat_list([pl.when(condition(key)).then(pl.lit(key)).otherwise(None)
                           for key in keys]).list.drop_nulls()


# a change that cannot be measured counts as no change, where its level is measured
CHANGE_FACTORS = {"growth": "size", "market_share_trend": "market_share",
                  "financial_health_trend": "financial_health"}
NEUTRAL_SCORE = 50.0


def score_factors(factors: pl.DataFrame, config: ScoringConfig) -> pl.DataFrame:
    """Every row of combine_factors (account x period) with raw_<factor>, score_<factor>,
    attractiveness, strength, and what they rest on: `data_coverage` (published as
    `coverage`) and `strength_coverage`
    (the share of each scorecard's weight, 0-100, that was measured), factors_used (the
    factors in either score), factors_assumed (changes counted as "no change": an account
    whose level is measured now but not 12 months earlier gets 50 for the change, so that
    scores from years with and without history compare like with like) and
    factors_missing (left out; the weights of the used ones are rescaled to 100).

    Below `min_coverage` the attractiveness is not computed at all (None): a score that
    rests on too little is no score."""
    raw = raw_value_expressions(config)
    scored = factors.with_columns(
        [expr.cast(pl.Float64).alias(f"raw_{key}") for key, expr in raw.items()]
    ).with_columns(
        *[normalise(pl.col(f"raw_{key}"), config.scales[key]).alias(f"score_{key}")
          for key in raw if key != "client_size"],
        # the client's revenue and its employees, each on its log scale; their mean
        pl.mean_horizontal(
            normalise(pl.col("client_revenue").cast(pl.Float64), config.scales["client_size"]),
            normalise(pl.col("client_employees").cast(pl.Float64),
                      config.scales["client_employees"])).alias("score_client_size"),
    )
    a_weights, s_weights = config.attractiveness_weights, config.strength_weights
    scored = scored.with_columns(
        pl.sum_horizontal([pl.when(pl.col(f"score_{key}").is_not_null()).then(pl.lit(weight))
                           .otherwise(0.0) for key, weight in a_weights.items()])
        .alias("data_coverage"),
        named_factors(list(CHANGE_FACTORS), lambda key: pl.col(f"score_{key}").is_null()
                      & pl.col(f"score_{CHANGE_FACTORS[key]}").is_not_null())
        .alias("factors_assumed"),
    ).with_columns(
        [pl.when(pl.col(f"score_{key}").is_null() & pl.col(f"score_{level}").is_not_null())
         .then(NEUTRAL_SCORE).otherwise(pl.col(f"score_{key}")).alias(f"score_{key}")
         for key, level in CHANGE_FACTORS.items()])
    attractiveness, _ = weighted_score(a_weights)
    strength, s_weight = weighted_score(s_weights)
    used = [key for key in FACTORS if key in a_weights or key in s_weights]

    def in_score(key: str) -> pl.Expr:
        return pl.col(f"score_{key}").is_not_null()

    return scored.with_columns(
        pl.when(pl.col("data_coverage") >= config.rules.min_coverage).then(attractiveness)
        .alias("attractiveness"),
        strength.alias("strength"),
        s_weight.alias("strength_coverage"),
        named_factors(used, in_score).alias("factors_used"),
        named_factors(used, lambda key: ~in_score(key)).alias("factors_missing"),
    )


def quadrant_expr(config: ScoringConfig) -> pl.Expr:
    high = pl.col("attractiveness") >= config.attractiveness_from
    strong = pl.col("strength") >= config.strength_from
    return (pl.when(pl.col("attractiveness").is_null() | pl.col("strength").is_null())
            .then(None)
            .when(high & strong).then(pl.lit("Strategic"))
            .when(high).then(pl.lit("Star"))
            .when(strong).then(pl.lit("Status"))
            .otherwise(pl.lit("Streamline")))


def band_expr(config: ScoringConfig) -> pl.Expr:
    score = pl.col("attractiveness")
    return (pl.when(score.is_null()).then(None)
            .when(score < config.red_below).then(pl.lit("red"))
            .when(score < config.green_from).then(pl.lit("amber"))
            .otherwise(pl.lit("green")))


# --- uncoupling risk ---------------------------------------------------------------------

def risk_points_expressions(config: ScoringConfig) -> dict[str, pl.Expr]:
    """Points per signal from the columns of queries/risk_signals.sql (+ kam_stage)."""
    points, rules = config.risk.points, config.risk
    people = pl.when(pl.col("kam_stage").is_in(list(EARLY_STAGES))).then(
        rules.early_stage_factor).otherwise(1.0)

    def severity(rank: str) -> pl.Expr:
        factors = {i + 1: rules.severity[name] for i, name in enumerate(SEVERITIES)}
        return pl.col(rank).replace_strict(factors, default=rules.severity["medium"],
                                           return_dtype=pl.Float64)

    def event(count: str, signal: str, rank: str) -> pl.Expr:
        return pl.when(pl.col(count) > 0).then(points[signal] * severity(rank)).otherwise(0.0)

    contact_event = event("contact_left_events", "key_contact_left", "contact_left_severity")
    contact_seen = pl.when(pl.col("contacts_left") > 0).then(
        points["key_contact_left"] * rules.severity["medium"]).otherwise(0.0)
    broken = pl.max_horizontal("promise_broken", "overdue_cases")
    silent = (pl.col("open_deals") > 0) & pl.col("has_buying_centers") & (
        pl.col("days_since_decider_contact").is_null()
        | (pl.col("days_since_decider_contact") > rules.decider_silence_days))

    def flag(condition: pl.Expr, signal: str) -> pl.Expr:
        return pl.when(condition.fill_null(False)).then(points[signal]).otherwise(0.0)

    return {
        "kam_changed": event("kam_changed", "kam_changed", "kam_changed_severity") * people,
        "key_contact_left": pl.max_horizontal(contact_event, contact_seen) * people,
        "personal_conflict": event("personal_conflict", "personal_conflict",
                                   "personal_conflict_severity"),
        "promise_broken": broken.clip(0, rules.broken_promises_counted).cast(pl.Float64)
        * points["promise_broken"],
        "late_delivery": pl.col("late_deliveries").clip(0, rules.broken_promises_counted)
        .cast(pl.Float64) * points["late_delivery"],
        "client_not_informed": flag((pl.col("not_told_in_time") > 0)
                                    | (pl.col("late_not_told") > 0), "client_not_informed"),
        "silence_after_delivery": flag(pl.col("silent_days_after_delivery")
                                       > rules.silence_after_delivery_days,
                                       "silence_after_delivery"),
        "transactions_stopped": flag(purchases_stopped(config)
                                     | (pl.col("kam_stage") == "uncoupling_kam"),
                                     "transactions_stopped"),
        "complacency": flag(complacent(config), "complacency"),
        "no_decider_contact": flag(silent, "no_decider_contact"),
        "dispute": event("complaint_escalated", "dispute", "complaint_escalated_severity"),
        "culture_clash": event("culture_clash", "culture_clash", "culture_clash_severity"),
        "price_dispute": event("price_dispute", "price_dispute", "price_dispute_severity"),
    }


def purchases_stopped(config: ScoringConfig) -> pl.Expr:
    """No revenue and no deal won for `stopped_months` complete months, after purchases in
    at least `regular_months` of the 12 months up to the last one (columns of
    risk_signals)."""
    rules = config.risk
    return ((pl.col("months_without_purchase") >= rules.stopped_months)
            & (pl.col("purchase_months") >= rules.regular_months)).fill_null(False)


def complacent(config: ScoringConfig) -> pl.Expr:
    """A strategic or key account for `complacency_years` whose calls fell by
    `complacency_contact_fall` % and whose share of wallet fell by `complacency_wallet_fall`
    points, both over 12 months (columns of risk_signals)."""
    rules = config.risk
    return (pl.col("tier").is_in(list(KEY_TIERS))
            & (pl.col("key_years") >= rules.complacency_years)
            & (pl.col("calls_prior_12m") >= rules.complacency_min_calls)
            & (pl.col("calls_12m") <= pl.col("calls_prior_12m")
               * (1 - rules.complacency_contact_fall / 100))
            & (pl.col("wallet_before") - pl.col("wallet_now")
               >= rules.complacency_wallet_fall)).fill_null(False)


def key_traits(config: ScoringConfig) -> dict[str, pl.Expr]:
    """Whether an account shows each key-account trait of table 6.3 (columns of
    risk_signals); a trait the data cannot show is not shown."""
    t = config.traits
    return {"calls_per_deal": (pl.col("calls_per_deal") >= t.calls_per_deal).fill_null(False),
            "buying_center": (pl.col("people_per_deal") >= t.buying_center).fill_null(False),
            "deal_value": (pl.col("won_deal_value") >= t.deal_value).fill_null(False),
            "relationship_years": (pl.col("relationship_years") >= t.relationship_years)
            .fill_null(False)}


def assess_risk(signals: pl.DataFrame, stages: pl.DataFrame,
                config: ScoringConfig, in_words: bool = True) -> pl.DataFrame:
    """One row per account: risk_points, risk_level and risk_signals (list of words;
    empty without `in_words`)."""
    frame = signals.join(stages.select("account_id", "kam_stage"), on="account_id", how="left")
    parts = risk_points_expressions(config)
    frame = frame.with_columns([expr.alias(f"risk_{key}") for key, expr in parts.items()])
    traits = key_traits(config)
    frame = frame.with_columns(
        pl.sum_horizontal([f"risk_{key}" for key in parts]).alias("risk_points"),
        named_factors(list(RISK_SIGNALS), lambda key: pl.col(f"risk_{key}") > 0)
        .alias("risk_signal_codes"),
        (pl.col("risk_transactions_stopped") > 0).alias("transactions_stopped"),
        purchases_stopped(config).alias("purchases_stopped"),
        named_factors(list(TRAITS), lambda key: traits[key]).alias("key_traits"))
    frame = frame.with_columns(
        pl.when(pl.col("risk_points") >= config.risk.high_from).then(pl.lit("high"))
        .when(pl.col("risk_points") >= config.risk.medium_from).then(pl.lit("medium"))
        .otherwise(pl.lit("low")).alias("risk_level"))
    return with_words(frame, pl.col("risk_points") > 0 if in_words else pl.lit(False),
                      "risk_signals", lambda row: risk_words(row, config))


def with_words(frame: pl.DataFrame, needed: pl.Expr, name: str,
               words: Callable[[dict[str, Any]], list[str]]) -> pl.DataFrame:
    """Add a list-of-strings column `name`, built row by row only where `needed` holds
    (the few accounts with signals or a suggestion other than keep); empty elsewhere."""
    rows = frame.with_row_index("_row").filter(needed)
    lists = [words(row) for row in rows.iter_rows(named=True)]
    # one word per row, gathered into lists by Polars: building a Series of thousands of
    # Python lists converts each list on its own, which cost more than the words
    built = (pl.DataFrame({"_row": pl.Series([row for row, listed in zip(rows["_row"], lists,
                                                                          strict=True)
                                              for _ in listed], dtype=rows["_row"].dtype),
                           name: pl.Series([word for listed in lists for word in listed],
                                           dtype=pl.String)})
             .group_by("_row", maintain_order=True).agg(pl.col(name)))
    return (frame.with_row_index("_row").join(built, on="_row", how="left", maintain_order="left")
            .with_columns(pl.col(name).fill_null([])).drop("_row"))


def _times(count: int, one: str, many: str) -> str:
    return one if count == 1 else f"{count} {many}"


def risk_words(row: Mapping[str, Any], config: ScoringConfig) -> list[str]:
    """The signals of one account in words a person can check, strongest cause first."""
    words: list[str] = []
    if row["risk_kam_changed"]:
        detail = _note_detail(row["kam_changed_note"], "key-account manager changed")
        words.append(f"key-account manager changed on {fmt.day(row['kam_changed_on'])}"
                     + (f" ({detail})" if detail else ""))
    if row["risk_key_contact_left"]:
        if row["contacts_left"]:
            who = row["contact_left_who"]
            more = (f" and {row['contacts_left'] - 1} more buying-center contact(s)"
                    if row["contacts_left"] > 1 else "")
            words.append(f"key contact left: {who} on {fmt.day(row['contact_left_on'])}{more}")
        else:
            detail = _note_detail(row["contact_left_note"], "")
            words.append(f"key contact left on {fmt.day(row['contact_left_event_on'])}"
                         + (f" ({detail})" if detail else ""))
    if row["risk_personal_conflict"]:
        words.append(_dated(row["personal_conflict"], "personal conflict", "personal conflicts",
                            row["personal_conflict_on"]))
    if row["risk_promise_broken"]:
        if row["overdue_cases"]:
            cases = _times(row["overdue_cases"], "a serious service case",
                           "serious service cases")
            words.append(f"{cases} past due ({row['overdue_kinds']}), the oldest by "
                         f"{fmt.plural(row['oldest_overdue_days'], 'day')}")
        if row["promise_broken"]:
            words.append(_dated(row["promise_broken"], "broken promise recorded",
                                "broken promises recorded", row["promise_broken_on"]))
    words += broken_delivery_words(row, config)
    words += after_sale_words(row, config)
    if row["risk_no_decider_contact"]:
        days = row["days_since_decider_contact"]
        words.append("no decider or approver engaged on any deal" if days is None else
                     f"no contact with a decider or approver for {days} days")
    if row["risk_dispute"]:
        words.append(_dated(row["complaint_escalated"], "complaint escalated",
                            "complaints escalated", row["complaint_escalated_on"]))
    if row["risk_culture_clash"]:
        words.append(_dated(row["culture_clash"], "culture clash", "culture clashes",
                            row["culture_clash_on"]))
    if row["risk_price_dispute"]:
        words.append(_dated(row["price_dispute"], "price dispute", "price disputes",
                            row["price_dispute_on"]))
    return words


def broken_delivery_words(row: Mapping[str, Any], config: ScoringConfig) -> list[str]:
    """Late deliveries and the client not told in time, in words."""
    words = []
    if row["risk_late_delivery"]:
        late = row["late_deliveries"]
        outstanding = row["late_outstanding"]
        words.append(f"{_times(late, 'a delivery', 'deliveries')} more than "
                     f"{row['late_delivery_days']} days late (up to "
                     f"{fmt.plural(row['most_days_late'], 'day')}"
                     + (f"; {outstanding} not delivered yet)" if outstanding else ")"))
    if row["risk_client_not_informed"]:
        parts = []
        if row["not_told_in_time"]:
            never = row["never_told"]
            parts.append(fmt.plural(row["not_told_in_time"], "overdue case")
                         + (f" ({never} never told)" if never else ""))
        if row["late_not_told"]:
            parts.append(fmt.plural(row["late_not_told"], "late delivery", "late deliveries"))
        words.append("client not told in time of " + " and ".join(parts))
    return words


def after_sale_words(row: Mapping[str, Any], config: ScoringConfig) -> list[str]:
    """Silence after delivery, purchases stopped and complacency, in words."""
    rules, words = config.risk, []
    if row["risk_silence_after_delivery"]:
        days, delivered = row["silent_days_after_delivery"], fmt.day(row["silent_delivery_on"])
        words.append((f"no call or contact in the {days} days since the delivery of {delivered}"
                      if row["still_silent"] else
                      f"no call or contact for {days} days after the delivery of {delivered}")
                     + f" (allowed: {rules.silence_after_delivery_days})")
    if row["risk_transactions_stopped"]:
        if row["purchases_stopped"]:
            words.append(stopped_words(row))
        if row["kam_stage"] == "uncoupling_kam":
            words.append("relationship stage recorded as uncoupling")
    if row["risk_complacency"]:
        words.append(f"complacency: key account for {row['key_years']:.0f} years, calls "
                     f"{row['calls_prior_12m']} → {row['calls_12m']} and share of wallet "
                     f"{row['wallet_before']:.0f} % → {row['wallet_now']:.0f} % in 12 months")
    return words


def stopped_words(row: Mapping[str, Any]) -> str:
    """"purchases stopped: no revenue or deal won in 7 months since Apr 2026, after
    purchases in 11 of the 12 months before"."""
    last = row["last_purchase_month"]
    return (f"purchases stopped: no revenue or deal won in "
            f"{fmt.plural(row['months_without_purchase'], 'complete month')} since "
            f"{last:%b %Y}, after purchases in {row['purchase_months']} of the 12 months up "
            "to then")


def stage_from_data(row: Mapping[str, Any], config: ScoringConfig) -> str | None:
    """The relationship stage the data suggest where it differs from the one recorded
    (a row of score_accounts, or of risk_signals with kam_stage), else None: uncoupling
    where purchases stopped ([risk] stopped_months after regular_months), and not
    uncoupling where one is recorded but the account bought in its last complete month."""
    rules = config.risk
    stopped = ((row.get("months_without_purchase") or 0) >= rules.stopped_months
               and (row.get("purchase_months") or 0) >= rules.regular_months)
    if stopped and row.get("kam_stage") != "uncoupling_kam":
        return (f"The data suggest the uncoupling stage (recorded: "
                f"{fmt.label(row.get('kam_stage') or 'none')}): {stopped_words(row)}.")
    if (row.get("kam_stage") == "uncoupling_kam" and row.get("months_without_purchase") == 0
            and row.get("purchase_months")):
        return (f"Recorded as uncoupling, but the data show purchases in "
                f"{row['purchase_months']} of the last 12 months, the latest in "
                f"{row['last_purchase_month']:%b %Y}.")
    return None


def _dated(count: int, one: str, many: str, latest: date | None) -> str:
    if count == 1:
        return f"{one} on {fmt.day(latest)}"
    return f"{count} {many}, latest on {fmt.day(latest)}"


def _note_detail(note: str | None, redundant_prefix: str) -> str:
    """The informative part of an event note ("Key-account manager changed: A → B")."""
    if not note:
        return ""
    text = note.strip()
    if redundant_prefix and text.lower().startswith(redundant_prefix.lower()):
        text = text[len(redundant_prefix):].lstrip(" :–-")
    return text


# The records the uncoupling-risk signals read (docs/risk_signals.md), by data_held's flag:
# a database holding none of one leaves the signals without it, which the pages say
# (ui.widgets.say_missing_risk_sources).
RISK_SOURCES = (("has_relationship_events", "relationship events"), ("has_contacts", "contacts"),
                ("has_buying_centers", "contacts on deals"), ("has_calls", "calls"),
                ("has_deliveries", "deliveries"), ("has_service_cases", "service cases"))


def silent_risk_sources(held: Mapping[str, Any]) -> list[str]:
    """The kinds of record the uncoupling-risk signals read that the database holds none
    of (rows of data_held)."""
    return [words for flag, words in RISK_SOURCES if not held[flag]]


# --- accounts: scores, trend, suggestion -----------------------------------------------

def score_accounts(factors: pl.DataFrame, signals: pl.DataFrame, config: ScoringConfig,
                   currency: str = "EUR", in_words: bool = True) -> pl.DataFrame:
    """One row per account: scores now and twelve months earlier, trend, quadrant, band,
    risk and the suggestion with its reasons, in decision order (see SUGGESTIONS).
    `factors`: combine_factors(...); `signals`: the rows of risk_signals. Without
    `in_words` the reasons and risk signals stay empty (for counts, or for a page that
    shows a few accounts and puts them in words with `put_in_words`: the words of every
    account cost more than the scoring itself)."""
    scored = score_factors(factors, config)
    keys = [*FACTORS]
    now = scored.filter(pl.col("period") == NOW)
    before = scored.filter(pl.col("period") == YEAR_AGO).select(
        "account_id",
        *[pl.col(c).alias(f"prev_{c}") for c in (
            "attractiveness", "strength", "revenue", "metric_months", "data_coverage",
            "open_value", "deals_won", "deals_lost",
            *[f"raw_{k}" for k in keys], *[f"score_{k}" for k in keys])])
    accounts = now.join(before, on="account_id", how="left").with_columns(
        (pl.col("attractiveness") - pl.col("prev_attractiveness")).alias("trend"),
        quadrant_expr(config).alias("quadrant"),
        band_expr(config).alias("band"),
    )
    risk = assess_risk(signals, accounts, config, in_words=False).select(
        "account_id", "risk_points", "risk_level", "risk_signals", *RISK_FACTS)
    accounts = accounts.join(risk, on="account_id", how="left").with_columns(
        pl.col("risk_level").fill_null("low"), pl.col("risk_points").fill_null(0.0),
        pl.col("risk_signals").fill_null([]), pl.col("risk_signal_codes").fill_null([]),
        pl.col("key_traits").fill_null([]),
        pl.col("transactions_stopped", "purchases_stopped").fill_null(False))
    accounts = with_warning_signs(accounts, config)
    accounts = accounts.with_columns(suggestion_expr(config).alias("suggestion"))
    accounts = accounts.with_columns(
        pl.when(pl.col("suggestion") == "downgrade")
        .then(pl.col("tier").replace_strict(TIER_BELOW, default=None))
        .when(pl.col("suggestion") == "drop").then(pl.lit("standard"))
        .when(pl.col("suggestion") == "upgrade").then(pl.lit("key"))
        .otherwise(pl.col("tier")).alias("suggested_tier"),
        pl.col("suggestion").replace_strict({s: i for i, s in enumerate(SUGGESTIONS)})
        .alias("priority"),
    )
    accounts = accounts.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("reasons"))
    accounts = accounts.sort(["priority", "revenue", "account_id"],
                             descending=[False, True, False], nulls_last=True)
    return put_in_words(accounts, signals, config, currency) if in_words else accounts


# what score_accounts keeps of assess_risk besides the level: the signal codes, whether the
# purchases stopped (and the numbers behind it, for the reasons and the stage the data
# suggest), the key-account traits shown and the numbers behind them
RISK_FACTS = ("risk_signal_codes", "transactions_stopped", "purchases_stopped",
              "last_purchase_month", "months_without_purchase", "purchase_months",
              "key_traits", "calls_per_deal", "people_per_deal", "won_deal_value",
              "relationship_years")


def put_in_words(accounts: pl.DataFrame, signals: pl.DataFrame, config: ScoringConfig,
                 currency: str = "EUR") -> pl.DataFrame:
    """`accounts` (rows of score_accounts without words, any other columns kept) with their
    risk signals and the reasons for their suggestion in words; `signals`: the rows of
    risk_signals for them (or more)."""
    chosen = signals.filter(pl.col("account_id").is_in(accounts["account_id"].implode()))
    risk = assess_risk(chosen, accounts, config).select("account_id", "risk_signals")
    worded = (accounts.drop("risk_signals")
              .join(risk, on="account_id", how="left", maintain_order="left")
              .with_columns(pl.col("risk_signals").fill_null([])))
    return with_words(worded.drop("reasons"), pl.col("suggestion") != "keep", "reasons",
                      lambda row: reasons_for(row, config, currency)).select(accounts.columns)


def with_warning_signs(accounts: pl.DataFrame, config: ScoringConfig) -> pl.DataFrame:
    """The boolean signs the suggestion rules read (each one a named threshold)."""
    r = config.rules
    return accounts.with_columns(
        (pl.col("raw_market_share_trend") <= -r.market_share_fall).fill_null(False)
        .alias("share_fell"),
        (pl.col("raw_financial_health_trend") <= -r.health_fall).fill_null(False)
        .alias("health_fell"),
        (pl.col("raw_financial_health") < r.health_trouble_below).fill_null(False)
        .alias("health_trouble"),
        (pl.col("raw_growth") <= -r.revenue_fall).fill_null(False).alias("revenue_fell"),
        (pl.col("trend") <= -r.attractiveness_fall).fill_null(False)
        .alias("attractiveness_fell"),
        ((pl.col("raw_financial_health") < r.collapse_health_below)
         | (pl.col("raw_growth") <= -r.collapse_revenue_fall)).fill_null(False)
        .alias("collapse"),
        # without the client's own figures, a shrinking business with us is the sign
        (pl.col("raw_market_share").is_null() & pl.col("raw_financial_health").is_null()
         & (pl.col("raw_growth") <= -r.revenue_fall)).fill_null(False)
        .alias("business_fell"),
        (pl.col("prev_raw_win_rate") - pl.col("raw_win_rate") >= r.win_rate_fall)
        .fill_null(False).alias("win_rate_fell"),
        ((pl.col("prev_open_value") > 0)
         & (pl.col("open_value") <= pl.col("prev_open_value") * (1 - r.pipeline_fall / 100)))
        .fill_null(False).alias("pipeline_fell"),
        ((pl.col("large_lost") >= r.large_losses_from)
         & (pl.col("large_lost") > pl.col("large_won"))).fill_null(False).alias("large_losses"),
        pl.col("attractiveness").is_null().alias("not_enough_data"),
    )


def suggestion_expr(config: ScoringConfig) -> pl.Expr:
    """keep / review / downgrade / drop / upgrade / repair / not_enough_data; the first rule
    that holds."""
    r = config.rules
    score = pl.col("attractiveness")
    key_tier = pl.col("tier").is_in(list(KEY_TIERS))
    high_risk = pl.col("risk_level") == "high"
    stopped = pl.col("transactions_stopped")
    client_decline = (pl.col("share_fell") | pl.col("health_fell") | pl.col("health_trouble")
                      | pl.col("business_fell"))
    warning = (client_decline | pl.col("revenue_fell") | pl.col("attractiveness_fell")
               | (score < config.red_below).fill_null(False) | high_risk
               | pl.col("win_rate_fell") | pl.col("pipeline_fell") | pl.col("large_losses"))
    return (
        pl.when(pl.col("not_enough_data")).then(pl.lit("not_enough_data"))
        .when((high_risk | stopped) & (score >= r.repair_from).fill_null(False))
        .then(pl.lit("repair"))
        .when(key_tier & (score < r.drop_below).fill_null(False) & pl.col("collapse"))
        .then(pl.lit("drop"))
        .when(key_tier & client_decline & ~stopped
              & (pl.col("attractiveness_fell") | (score < r.downgrade_below).fill_null(False)))
        .then(pl.lit("downgrade"))
        .when((pl.col("tier") == "standard") & (score >= r.upgrade_from).fill_null(False)
              & (pl.col("revenue") >= r.upgrade_min_revenue).fill_null(False)
              & (pl.col("raw_growth").is_null() | (pl.col("raw_growth") >= 0))
              & (pl.col("key_traits").list.len() >= config.traits.upgrade_min_traits)
              & ~stopped)
        .then(pl.lit("upgrade"))
        .when((key_tier & warning) | stopped).then(pl.lit("review"))
        .otherwise(pl.lit("keep")))


def reasons_for(row: Mapping[str, Any], config: ScoringConfig, currency: str) -> list[str]:
    """Why an account got its suggestion, in numbers a person can check."""
    kind = row["suggestion"]
    if kind == "not_enough_data":
        return not_enough_data_reasons(row, config)
    if kind == "repair":
        why = (f"uncoupling risk is high ({row['risk_points']:g} points)"
               if row["risk_level"] == "high" else
               f"the relationship is uncoupling (risk {row['risk_points']:g} points)")
        return [f"attractiveness {row['attractiveness']:.0f}: worth keeping (repair from "
                f"{config.rules.repair_from:.0f}), but {why}", *row["risk_signals"]]
    if kind == "upgrade":
        return upgrade_reasons(row, config, currency)
    reasons = decline_reasons(row, config, currency) + deal_reasons(row, currency)
    if kind == "review":
        if row["transactions_stopped"] and row["risk_level"] != "high":
            reasons.append(f"attractiveness {row['attractiveness']:.0f}, below the repair line "
                           f"of {config.rules.repair_from:.0f}, and uncoupling: "
                           + "; ".join(row["risk_signals"]) + " (review: repair or drop)")
        if row["risk_level"] == "high":
            reasons.append(f"uncoupling risk high ({row['risk_points']:g} points) on a less "
                           "attractive account: " + "; ".join(row["risk_signals"]))
    return reasons


def decline_reasons(row: Mapping[str, Any], config: ScoringConfig, currency: str) -> list[str]:
    r = config.rules
    reasons: list[str] = []
    if row["share_fell"]:
        reasons.append(f"client market share {row['market_share_before']:.1f} % → "
                       f"{row['market_share']:.1f} % in {_span(row['market_share_span'])}")
    if row["health_fell"]:
        reasons.append(f"financial health {row['health_before']:.0f} → {row['health']:.0f} "
                       f"in {_span(row['health_span'])}")
    elif row["health_trouble"]:
        reasons.append(f"financial health {row['health']:.0f}, below "
                       f"{r.health_trouble_below:.0f} (financial trouble)")
    if row["revenue_fell"] or (row["collapse"] and row["raw_growth"] is not None
                               and row["raw_growth"] <= -r.collapse_revenue_fall):
        reasons.append(revenue_change_words(row, currency))
    if row["attractiveness_fell"]:
        reasons.append(f"attractiveness {row['prev_attractiveness']:.0f} → "
                       f"{row['attractiveness']:.0f} in 12 months")
    elif row["attractiveness"] is not None and row["attractiveness"] < config.red_below:
        reasons.append(f"attractiveness {row['attractiveness']:.0f}, in the red band "
                       f"(below {config.red_below:.0f})")
    return reasons


def upgrade_reasons(row: Mapping[str, Any], config: ScoringConfig, currency: str) -> list[str]:
    reasons = [f"attractiveness {row['attractiveness']:.0f}, above the upgrade line of "
               f"{config.rules.upgrade_from:.0f}"
               + (f" (was {row['prev_attractiveness']:.0f} 12 months ago)"
                  if row["prev_attractiveness"] is not None else "")]
    growth = row["raw_growth"]
    reasons.append(f"revenue {fmt.money(row['revenue'], currency)} in 12 months"
                   + (f", {fmt.signed_percent(growth / 100)} year on year"
                      if growth is not None else ""))
    if row["raw_market_share_trend"] is not None and row["raw_market_share_trend"] > 0:
        reasons.append(f"client market share {row['market_share_before']:.1f} % → "
                       f"{row['market_share']:.1f} % in {_span(row['market_share_span'])}")
    if row["raw_financial_health_trend"] is not None and row["raw_financial_health_trend"] > 0:
        reasons.append(f"financial health {row['health_before']:.0f} → {row['health']:.0f} "
                       f"in {_span(row['health_span'])}")
    reasons.append(traits_words(row, config, currency))
    return reasons


def traits_words(row: Mapping[str, Any], config: ScoringConfig, currency: str) -> str:
    """The key-account traits (the seed's table 6.3) an account shows, in numbers:
    "key-account traits: 5.2 calls per deal (from 4), 4.8 people in the buying center
    (from 4), deals won of €310k on average (from €100k)"."""
    t, shown = config.traits, set(row["key_traits"] or [])
    values = {
        "calls_per_deal": lambda: f"{row['calls_per_deal']:.1f} calls per deal "
                                  f"(from {t.calls_per_deal:g})",
        "buying_center": lambda: f"{row['people_per_deal']:.1f} people in the buying center "
                                 f"per deal (from {t.buying_center:g})",
        "deal_value": lambda: f"deals won of {fmt.money(row['won_deal_value'], currency)} on "
                              f"average (from {fmt.money(t.deal_value, currency)})",
        "relationship_years": lambda: f"{row['relationship_years']:.1f} years of business "
                                      f"(from {t.relationship_years:g})",
    }
    return ("key-account traits (table 6.3): "
            + ", ".join(values[key]() for key in TRAITS if key in shown))


def revenue_change_words(row: Mapping[str, Any], currency: str) -> str:
    """The revenue move of the last 12 months: the finance feed's, or the won deals' where
    they stand in for it (as the pipeline page can confirm)."""
    change = fmt.signed_percent(row["raw_growth"] / 100)
    before, now = fmt.money(row["revenue_prior"], currency), fmt.money(row["revenue"], currency)
    if row["revenue_from_deals"]:
        return f"won revenue T12M {before} → {now} ({change})"
    return f"revenue {change} year on year ({before} → {now})"


def deal_reasons(row: Mapping[str, Any], currency: str) -> list[str]:
    """The decline signals a CRM holds, in numbers the pipeline page can confirm."""
    reasons = []
    if row["win_rate_fell"]:
        reasons.append(
            f"win rate {row['prev_raw_win_rate']:.0f} % → {row['raw_win_rate']:.0f} % "
            f"({row['deals_won']} of {row['deals_won'] + row['deals_lost']} closed deals won "
            f"in 12 months; {row['prev_deals_won']} of "
            f"{row['prev_deals_won'] + row['prev_deals_lost']} the 12 months before)")
    if row["pipeline_fell"]:
        change = row["open_value"] / row["prev_open_value"] - 1
        reasons.append(f"open pipeline {fmt.money(row['prev_open_value'], currency)} → "
                       f"{fmt.money(row['open_value'], currency)} in 12 months "
                       f"({fmt.signed_percent(change)})")
    if row["large_losses"]:
        closed = row["large_lost"] + row["large_won"]
        reasons.append(f"lost {row['large_lost']} of {closed} large deals (of "
                       f"{fmt.money(row['large_deal_value'], currency)} or more) closed in 12 "
                       f"months, {fmt.money(row['large_lost_value'], currency)} lost")
    return reasons


def missing_in_words(row: Mapping[str, Any]) -> list[str]:
    """Each factor left out of the scores, and what to import to measure it:
    "Client financial health: not measured — import a credit feed (...)"; a change counted
    as no change says so."""
    words = [f"{FACTORS[key].label}: not measured — {TO_FILL[key]}"
             for key in row["factors_missing"] or []]
    words += [f"{FACTORS[key].label}: no figure 12 months earlier, counted as no change — "
              f"{TO_FILL[key]}" for key in row["factors_assumed"] or []]
    return words


def not_enough_data_reasons(row: Mapping[str, Any], config: ScoringConfig) -> list[str]:
    missing = [FACTORS[key].short for key in row["factors_missing"] or []
               if key in config.attractiveness_weights]
    month = row["last_month"]
    return [f"not enough data: {row['data_coverage']:.0f} % of the attractiveness weight "
            f"measured in the 12 months to {month:%b %Y} (at least "
            f"{config.rules.min_coverage:.0f} % needed)",
            "missing: " + ", ".join(missing)]


def _span(months: int | None) -> str:
    return fmt.plural(months, "month") if months else "12 months"


# --- explanation -------------------------------------------------------------------------

def explain_account(account: Mapping[str, Any], config: ScoringConfig,
                    currency: str = "EUR") -> pl.DataFrame:
    """Why one account scores what it does: one row per factor of both scorecards with the
    raw value and the 0-100 score now and twelve months earlier, the weight, and the
    points it contributes to the score (contributions add up to the score), whether it was
    `measured`, counted as no change (`assumed`) or left out (`missing`), and for the latter
    two what to import to measure it (`to_fill`)."""
    missing = set(account.get("factors_missing") or [])
    assumed = set(account.get("factors_assumed") or [])
    rows = []
    for scorecard, factors, weights, total in (
            ("Attractiveness", ATTRACTIVENESS_FACTORS, config.attractiveness_weights,
             "attractiveness"),
            ("Relative strength", STRENGTH_FACTORS, config.strength_weights, "strength")):
        for prefix, suffix in (("", "now"), ("prev_", "before")):
            # no points where there is no score (e.g. not enough data 12 months earlier)
            scored = account.get(f"{prefix}{total}") is not None
            available = sum(weights[f.key] for f in factors
                            if account.get(f"{prefix}score_{f.key}") is not None) if scored else 0
            for f in factors:
                score = account.get(f"{prefix}score_{f.key}")
                contribution = (weights[f.key] * score / available
                                if score is not None and available else None)
                state = ("missing" if f.key in missing else "assumed" if f.key in assumed
                         else "measured")
                value = describe_value(f, account.get(f"{prefix}raw_{f.key}"),
                                       account.get("kam_stage"), currency,
                                       account.get("client_employees"))
                if value == "no data" and score is not None:
                    value = "no data: no change (50)"
                rows.append({"scorecard": scorecard, "factor": f.key, "label": f.label,
                             "short": f.short, "state": state,
                             "to_fill": TO_FILL[f.key] if state != "measured" else "",
                             "weight": weights[f.key], "period": suffix,
                             "value": value, "score": score, "contribution": contribution})
    long = pl.DataFrame(rows, schema={"scorecard": pl.String, "factor": pl.String,
                                      "label": pl.String, "short": pl.String,
                                      "state": pl.String, "to_fill": pl.String,
                                      "weight": pl.Float64,
                                      "period": pl.String, "value": pl.String,
                                      "score": pl.Float64, "contribution": pl.Float64})
    now = long.filter(pl.col("period") == "now").drop("period")
    before = long.filter(pl.col("period") == "before").select(
        "factor", pl.col("value").alias("value_before"), pl.col("score").alias("score_before"),
        pl.col("contribution").alias("contribution_before"))
    return now.join(before, on="factor", how="left", maintain_order="left").with_columns(
        (pl.col("contribution") - pl.col("contribution_before")).alias("change"))


def describe_value(factor: Factor, value: float | None, stage: str | None,
                   currency: str, employees: float | None = None) -> str:
    """A raw factor value as people read it: €1.2M, +12 %, 18.0 %, 72, 3."""
    if factor.kind == "stage":
        return fmt.label(stage) if value is not None else "no data"
    if factor.kind == "client_size":
        parts = ([f"{fmt.money(value, currency)} a year"] if value is not None else []) + (
            [f"{employees:,.0f} employees"] if employees is not None else [])
        return ", ".join(parts) or "no data"
    if value is None:
        return "no data"
    formats = {
        "money": lambda v: fmt.money(v, currency),
        "signed_percent": lambda v: fmt.signed_percent(v / 100),
        "percent": lambda v: f"{v:.0f} %",
        "percent1": lambda v: f"{v:.1f} %",
        "score": lambda v: f"{v:.0f}",
        "signed_points": lambda v: f"{round(v) + 0:+d} points".replace("-", "−"),
        "count": lambda v: f"{v:.0f} overdue",
    }
    return formats[factor.kind](value)


# --- running it ------------------------------------------------------------------------

# The command line runs as the operator, who sees everything (visible = None).
NO_FILTERS: dict[str, list[str] | None] = {"manager_ids": [], "regions": [], "tiers": [],
                                           "kam_stages": [], "visible": None}


def score_database(db: Path, as_of: date, config: ScoringConfig | None = None,
                   filters: Mapping[str, list[str]] | None = None) -> pl.DataFrame:
    """Score every account of a database (within optional filters) as of a date."""
    import queries
    from portfolio.core.settings import load_settings

    config = config or load_scoring_config()
    from portfolio.read.service import ServiceSettings

    params = {**NO_FILTERS, **(filters or {}), "as_of": as_of,
              "recent_days": load_settings().recent_days,
              "inform_within_days": ServiceSettings.load().inform_within_days,
              "late_delivery_days": ServiceSettings.load().late_delivery_days}
    currency = queries.run("data_dates", db=db)["currency"][0]
    factors = combine_factors(queries.run("scoring_metrics", db=db, **params),
                              queries.run("scoring_relationship", db=db, **params,
                                          **config.relationship_params()))
    return score_accounts(factors, queries.run("risk_signals", db=db, **params), config,
                          currency)


RECORD_FIELDS = ("account_id", "name", "tier", "kam_stage", "manager_name", "attractiveness",
                 "strength", "quadrant", "band", "trend", "suggestion", "suggested_tier",
                 "reasons", "risk_level", "risk_points", "risk_signals", "risk_signal_codes",
                 "key_traits", "revenue",
                 "revenue_from_deals", "data_coverage", "strength_coverage", "factors_used",
                 "factors_missing", "factors_assumed")


def records(scored: pl.DataFrame) -> pl.DataFrame:
    """The published fields of scored accounts, numbers rounded to one decimal;
    revenue_source: where revenue T12M comes from ("finance", "won deals", None)."""
    return scored.select(RECORD_FIELDS).with_columns(
        pl.col("attractiveness", "strength", "trend", "risk_points", "data_coverage",
               "strength_coverage").round(1),
        pl.col("data_coverage").round(1).alias("coverage"),
        pl.col("revenue").round(2).alias("revenue_t12m"),
        pl.when(pl.col("revenue").is_null()).then(None)
        .when(pl.col("revenue_from_deals")).then(pl.lit("won deals"))
        .otherwise(pl.lit("finance")).alias("revenue_source"),
    ).drop("revenue", "revenue_from_deals", "data_coverage")


def shifted(day: date, *, weeks: int = 0, years: int = 0) -> date:
    """A day some weeks or years earlier (29 February falls back to the 28th)."""
    day = day - timedelta(weeks=weeks)
    if years:
        try:
            day = day.replace(year=day.year - years)
        except ValueError:
            day = day.replace(year=day.year - years, day=28)
    return day


def last_complete_month(day: date) -> date:
    """The first day of the last month complete on `day` (a month counts once its last day
    is on or before `day`), as queries/scoring_metrics.sql counts."""
    first = day.replace(day=1)
    if (day + timedelta(days=1)).day == 1:
        return first
    return (first - timedelta(days=1)).replace(day=1)


def metrics_day(day: date, now: date) -> date:
    """`now` when scoring_metrics as of `day` reads the same months as as of `now` (both of
    its periods end after the same complete months, as a week earlier usually does), so the
    two scorings share one query; else `day`. The rows differ only in ref_day, which the
    scoring does not read."""
    same = all(last_complete_month(shifted(day, years=years))
               == last_complete_month(shifted(now, years=years)) for years in (0, 1))
    return now if same else day


# --- for the pages -------------------------------------------------------------------------

_MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|<>~$:")


def escape_markdown(text: str) -> str:
    """Data (names, notes) shown through st.markdown literally: no links, no LaTeX."""
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIALS else ch for ch in text)


def suggestion_changes(what_if: pl.DataFrame, saved: pl.DataFrame) -> pl.DataFrame:
    """Accounts whose suggestion differs between two scorings (e.g. a what-if and the saved
    weights): account_id, name, suggestion (what-if) and saved_suggestion."""
    return (what_if.select("account_id", "name", "suggestion", "priority")
            .join(saved.select("account_id", pl.col("suggestion").alias("saved_suggestion")),
                  on="account_id", how="inner")
            .filter(pl.col("suggestion") != pl.col("saved_suggestion"))
            .sort("priority", "name").drop("priority"))


def decisions_this_week(now: pl.DataFrame, week_ago: pl.DataFrame,
                        limit: int) -> pl.DataFrame:
    """The few decisions to take this week, `limit` at most: the first of each kind of
    decision (repair, drop, downgrade, upgrade) in turn, so that one kind cannot crowd out
    the others, then the most urgent of the rest (reviews last); within a kind, suggestions
    that are new since a week ago first, then by revenue. `new`: whether it is new."""
    before = week_ago.select("account_id", pl.col("suggestion").alias("suggestion_week_ago"))
    ranked = (now.filter(pl.col("suggestion").is_in(list(DECISIONS)))
              .join(before, on="account_id", how="left")
              .with_columns((pl.col("suggestion") != pl.col("suggestion_week_ago"))
                            .fill_null(True).alias("new"))
              .sort(["priority", "new", "revenue"], descending=[False, True, True],
                    nulls_last=True)
              .with_columns(pl.int_range(pl.len()).over("suggestion").alias("_rank")))
    decisions = ranked.filter(pl.col("suggestion") != "review")
    kinds = max(decisions["suggestion"].n_unique(), 1)
    each = -(-limit // kinds)
    chosen = decisions.filter(pl.col("_rank") < each).sort("_rank", "priority").head(limit)
    rest = ranked.filter(~pl.col("account_id").is_in(chosen["account_id"].to_list()))
    chosen = pl.concat([chosen, rest.head(limit - chosen.height)])
    return chosen.sort(["priority", "new", "revenue"], descending=[False, True, True],
                       nulls_last=True).drop("_rank")
