"""The buying-center page's logic below the layout: its settings, the words for role states,
risks and gaps, and the grid's cells. No streamlit import here.

The rules themselves (which role is covered, what a gap is, how risky a deal is) live in
the SQL of queries/buying_center_*.sql; this module names and explains their results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from portfolio.core import fmt
from portfolio.core.fmt import plural
from portfolio.core.settings import OPEN_STAGES, load_settings

ROLES = ("initiator", "user", "influencer", "gatekeeper", "buyer", "decider", "approver")
STATES = ("recent", "long_ago", "left", "never")
ATTITUDES = ("champion", "supporter", "neutral", "skeptic", "opponent")
RISKS = ("high", "medium", "low")
GAPS = ("no_decider", "no_approver", "decider_left", "approver_left", "doubters",
        "single_threaded", "dark")

GRID_PAGE_SIZE = 25  # deals per page of the deal x role grid
TABLE_ROWS = 500  # rows of the coverage table (the riskiest first)
SCATTER_POINTS = 300  # the most valuable open deals in the coverage chart
GAP_ROWS = 200  # deals listed behind one gap
MANAGERS_CHARTED = 15  # managers in the per-manager chart (most value at high risk first)


@dataclass(frozen=True)
class BuyingCenterSettings:
    """The [buying_center] section of portfolio/core/settings.toml (see the comments there)."""

    recent_days: int
    late_stages: tuple[str, ...]
    min_roles_covered: int

    def __post_init__(self) -> None:
        if self.recent_days < 1:
            raise ValueError("[buying_center] recent_days must be >= 1")
        unknown = set(self.late_stages) - set(OPEN_STAGES)
        if unknown:
            raise ValueError(f"[buying_center] late_stages: unknown stages {sorted(unknown)}")
        if not 0 <= self.min_roles_covered <= len(ROLES):
            raise ValueError("[buying_center] min_roles_covered must lie between 0 and 7")

    def query_params(self) -> dict[str, Any]:
        return {"recent_days": self.recent_days, "late_stages": list(self.late_stages),
                "min_roles_covered": self.min_roles_covered}

    @property
    def late_stage_words(self) -> str:
        return " or ".join(fmt.label(stage).lower() for stage in self.late_stages)


def buying_center_settings() -> BuyingCenterSettings:
    raw = load_settings().section("buying_center")
    return BuyingCenterSettings(
        recent_days=int(raw.get("recent_days", 90)),
        late_stages=tuple(raw.get("late_stages", ("demonstrating_capability",
                                                  "obtaining_commitment"))),
        min_roles_covered=int(raw.get("min_roles_covered", 3)),
    )


# The column of buying_center_rated that marks each gap a list can be cut to.
GAP_COLUMNS = {gap: "has_doubters" if gap == "doubters" else gap for gap in GAPS}
RISK_RANK = {risk: len(RISKS) - place for place, risk in enumerate(RISKS)}  # high first
# a deal row of the page: buying_center_rated's facts, then the roles' details
DEAL_COLUMNS = (
    "deal_id", "deal_name", "account_id", "account_name", "stage", "stage_order", "value",
    "owner_id", "owner_name", "risk", "roles_covered", "coverage", "people_engaged",
    "decider_met", "approver_met", "no_decider", "no_approver", "decider_left",
    "deciders_left", "approver_left", "has_doubters", "doubters", "opponent_at_top",
    "single_threaded", "single_thread", "dark", "late_stage", "role_states",
    "role_attitudes", "role_contacts", "role_people", "role_last_contact", "matching_deals",
    "matching_value")


def select_deals(rated: pl.DataFrame, *, gap: str = "", search: str = "",
                 sort_by: str = "risk", limit: int, offset: int = 0) -> pl.DataFrame:
    """Open deals of `buying_center_rated` (the accounts in view) for a list: those with
    `gap` ('' = all) whose deal, account or owner name contains `search` (any case; '' =
    all), riskiest then most valuable first (`sort_by` 'risk') or most valuable first
    ('value'), `limit` rows from `offset`; matching_deals and matching_value give the size
    and value of the whole selection. A few milliseconds on the page's cached rows (only
    the columns that choose are sorted, and only the rows chosen are gathered), where the
    same in SQL took 30 ms a list."""
    if gap and gap not in GAP_COLUMNS:
        raise ValueError(f"unknown buying-center gap {gap!r}")
    names = ("deal_name", "account_name", "owner_name")
    used = ["deal_id", "value", "risk", *([GAP_COLUMNS[gap]] if gap else []),
            *(names if search else [])]
    keys = rated.select(used).with_row_index("_row")
    if gap:
        keys = keys.filter(pl.col(GAP_COLUMNS[gap]))
    if search:
        needle = search.lower()
        keys = keys.filter(pl.any_horizontal(
            pl.col(column).fill_null("").str.to_lowercase().str.contains(needle, literal=True)
            for column in names))
    order = [pl.col("value"), pl.col("deal_id")]
    if sort_by == "risk":
        order.insert(0, pl.col("risk").replace_strict(RISK_RANK, default=1))
    chosen = (keys.sort(order, descending=[True] * (len(order) - 1) + [False],
                        nulls_last=True)
              .slice(offset, limit)["_row"])
    return rated[chosen].with_columns(
        pl.lit(keys.height, dtype=pl.Int64).alias("matching_deals"),
        pl.lit(keys["value"].sum(), dtype=pl.Float64).alias("matching_value"))


def with_roles(deals: pl.DataFrame, roles: pl.DataFrame) -> pl.DataFrame:
    """Deals of `select_deals` with their buying centers (`buying_center_roles` rows)."""
    return (deals.join(roles, on="deal_id", how="left", maintain_order="left")
            .with_columns(pl.col("people_engaged").fill_null(0))
            .select(DEAL_COLUMNS))


def state_label(state: str, recent_days: int) -> str:
    return {"recent": f"Engaged in the last {recent_days} days",
            "long_ago": "Reached longer ago",
            "left": "Contact has left",
            "never": "Never reached"}[state]


STATE_SHORT = {"recent": "Recent", "long_ago": "Long ago", "left": "Left", "never": "—"}


def cell_text(state: str, attitude: str | None, contact: str | None, people: int) -> str:
    """One grid cell in words for the table, e.g. 'Recent · champion · Иван Петров +1'."""
    if state == "never":
        return STATE_SHORT[state]
    parts = [STATE_SHORT[state]]
    if attitude:
        parts.append(attitude)
    if contact:
        parts.append(contact + (f" +{people - 1}" if people > 1 else ""))
    return " · ".join(parts)


def risk_factors(row: dict[str, Any], settings: BuyingCenterSettings) -> str:
    """What weighs on a deal (a `with_roles` row), in words, the gravest first."""
    factors = []
    missing = [role for role, met in (("decider", row["decider_met"]),
                                      ("approver", row["approver_met"])) if not met]
    if missing and row["late_stage"]:
        factors.append(f"no active {' or '.join(missing)} in a late stage")
    if row["decider_left"]:
        factors.append(f"decider has left ({row['deciders_left']})" if row["deciders_left"]
                       else "decider has left")
    if row["approver_left"] and not row["late_stage"]:
        factors.append("approver has left")
    if row["has_doubters"]:
        factors.append(f"doubters at the top: {row['doubters']}" if row["doubters"]
                       else "a skeptic or opponent as decider or approver")
    if row["single_threaded"]:
        factors.append(f"single-threaded ({row['single_thread']})" if row["single_thread"]
                       else "single-threaded")
    if row["dark"]:
        factors.append(f"nobody engaged in {settings.recent_days} days")
    elif row["roles_covered"] < settings.min_roles_covered:
        factors.append(f"only {row['roles_covered']} of 7 roles covered")
    if missing and not row["late_stage"]:
        met = [f"no {role} met" for role, gap in (("decider", row["no_decider"]),
                                                   ("approver", row["no_approver"])) if gap]
        factors.extend(met)
    return "; ".join(factors) or "–"


def grid_table(deals: pl.DataFrame, settings: BuyingCenterSettings) -> pl.DataFrame:
    """Deals (`with_roles` rows) as a table: one text column per role, the risk in words."""
    role_columns: dict[str, list[str]] = {role: [] for role in ROLES}
    reasons = []
    for row in deals.iter_rows(named=True):
        cells = zip(row["role_states"], row["role_attitudes"], row["role_contacts"],
                    row["role_people"], strict=True)
        for role, (state, attitude, contact, people) in zip(ROLES, cells, strict=True):
            role_columns[role].append(cell_text(state, attitude, contact, people))
        reasons.append(risk_factors(row, settings))
    return deals.select(
        "deal_id", "deal_name", "account_id", "account_name", "stage", "value", "owner_name",
        "risk", "roles_covered", "coverage", "people_engaged",
    ).with_columns(
        pl.Series("why", reasons, dtype=pl.String),
        (pl.col("coverage") * 100).alias("coverage_pct"),
        *(pl.Series(role, cells, dtype=pl.String) for role, cells in role_columns.items()),
    )


@dataclass(frozen=True)
class GapLine:
    """One sentence of the gap list and what it counts."""

    gap: str
    text: str
    deals: int
    value: float


def _deals_worth(deals: int, value: float, currency: str) -> str:
    return f"{plural(deals, 'deal')} worth {fmt.money(value, currency)}"


def gap_lines(gaps: pl.DataFrame, currency: str,
              settings: BuyingCenterSettings) -> list[GapLine]:
    """The gaps of `buying_center_gaps` in words, the alarm first: 'No decider met on 12
    deals worth €4.0M in obtaining commitment'. Gaps without deals are left out."""
    lines: list[GapLine] = []
    late_first = [*reversed([s for s in OPEN_STAGES if s in settings.late_stages])]
    early = [s for s in OPEN_STAGES if s not in settings.late_stages]
    for gap, role in (("no_decider", "decider"), ("no_approver", "approver")):
        rows = gaps.filter(pl.col("finding") == gap)
        for stage in late_first:
            part = rows.filter(pl.col("stage") == stage)
            if part.height:
                deals, value = int(part["deals"].sum()), float(part["value"].sum())
                lines.append(GapLine(gap, f"No {role} met on {_deals_worth(deals, value, currency)}"
                                          f" in {fmt.label(stage).lower()}", deals, value))
        part = rows.filter(pl.col("stage").is_in(early))
        if part.height:
            deals, value = int(part["deals"].sum()), float(part["value"].sum())
            stages = ", ".join(fmt.label(s).lower() for s in early)
            lines.append(GapLine(gap, f"No {role} met on {_deals_worth(deals, value, currency)}"
                                      f" in earlier stages ({stages})", deals, value))
    sentences = {
        "decider_left": "The only decider has left on {worth}",
        "approver_left": "The only approver has left on {worth}",
        "doubters": "A skeptic or opponent is decider or approver on {worth}",
        "single_threaded": "{Worth} are single-threaded: one person holds every covered role",
        "dark": f"Nobody was engaged in the last {settings.recent_days} days on {{worth}}",
    }
    for gap, sentence in sentences.items():
        part = gaps.filter(pl.col("finding") == gap)
        if part.height:
            deals, value = int(part["deals"].sum()), float(part["value"].sum())
            worth = _deals_worth(deals, value, currency)
            text = sentence.format(worth=worth, Worth=worth[0].upper() + worth[1:])
            lines.append(GapLine(gap, text, deals, value))
    return lines


def gap_choice_label(gap: str) -> str:
    return {"no_decider": "No decider met", "no_approver": "No approver met",
            "decider_left": "Decider has left", "approver_left": "Approver has left",
            "doubters": "Skeptic or opponent at the top",
            "single_threaded": "Single-threaded", "dark": "Nobody engaged recently"}[gap]


@dataclass(frozen=True)
class Finding:
    deals: int
    value: float


def finding_totals(gaps: pl.DataFrame) -> dict[str, Finding]:
    """Deals and value per finding of `buying_center_gaps`, summed over the stages."""
    totals = gaps.group_by("finding").agg(pl.col("deals").sum(), pl.col("value").sum())
    found = {row["finding"]: Finding(int(row["deals"]), float(row["value"]))
             for row in totals.iter_rows(named=True)}
    return {name: found.get(name, Finding(0, 0.0))
            for name in ("open", "alarm", "high_risk", *GAPS)}


def average_coverage(gaps: pl.DataFrame) -> float | None:
    """The mean coverage of the open deals, from the per-stage rows of `buying_center_gaps`."""
    rows = gaps.filter(pl.col("finding") == "open")
    deals = rows["deals"].sum()
    if not deals:
        return None
    return float((rows["average_coverage"] * rows["deals"]).sum() / deals)
