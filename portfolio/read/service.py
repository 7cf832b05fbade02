"""Post-sale service below the pages: named settings, the per-account service status
(green / amber / red with its reasons in words) and small summaries of query results.

No streamlit here: the Service, Account and Overview pages, the export and tests all use it.
The facts come from `queries/service_account_status.sql`; run it with
`ServiceSettings.load().query_params()` and pass the frame to `with_service_status`.

The rule (thresholds in the [service] section of portfolio/core/settings.toml):

- **red** when a broken promise is open on the as-of date with severity high or critical,
  or one the client has not been told about, or when fewer than `on_time_red` of the
  deliveries due in the status window were delivered on time (judged from
  `min_deliveries` deliveries up);
- **amber** when any other broken promise is open, on-time delivery is below
  `on_time_amber`, `closed_late_amber` or more of the cases closed in the window were
  closed after their due date (from `min_cases` closed), the client was told late or not
  at all about `told_late_amber` or more of the cases opened in the window, or quality or
  invoice issues hit `issue_rate_amber` of the deliveries made;
- **no service data** when nothing can be judged: no delivery promised and no case opened
  in the `history_days` up to the as-of date, and no case open (a CRM export without
  deliveries or cases); never green for want of data;
- **green** otherwise.

Every band carries its reasons, most serious first, e.g. "3 high or critical cases overdue
(oldest 34 days): repair; client not told about 2 overdue cases" or "on time 95 % (19 of
20 deliveries) in 90 days, no case overdue". Overdue = open past the promised (due) date.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from portfolio.core import fmt
from portfolio.core.settings import load_settings

BANDS = ("red", "amber", "green", "no_data")
BAND_ORDER = {band: order for order, band in enumerate(BANDS)}
SETTINGS_SECTION = "service"


@dataclass(frozen=True)
class ServiceSettings:
    """The [service] section of portfolio/core/settings.toml, typed (see the comments there)."""

    inform_within_days: int = 2
    late_delivery_days: int = 7
    installation_lines: tuple[str, ...] = ("Production lines", "Packaging systems", "Automation")
    training_lines: tuple[str, ...] = ("Production lines", "Automation")
    renewal_days: int = 90
    status_window_days: int = 90
    history_days: int = 365
    setup_days: int = 180
    on_time_red: float = 0.75
    on_time_amber: float = 0.90
    min_deliveries: int = 3
    closed_late_amber: float = 0.30
    min_cases: int = 3
    told_late_amber: float = 0.20
    issue_rate_amber: float = 0.15
    table_rows: int = 200

    @classmethod
    def load(cls) -> ServiceSettings:
        raw = load_settings().section(SETTINGS_SECTION)
        defaults = cls()
        values = {name: type(getattr(defaults, name))(raw[name])
                  for name in cls.__dataclass_fields__ if name in raw}
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if not 0 <= self.on_time_red <= self.on_time_amber <= 1:
            raise ValueError("[service] needs 0 <= on_time_red <= on_time_amber <= 1")
        for name in ("issue_rate_amber", "closed_late_amber", "told_late_amber"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"[service] {name} must lie in (0, 1]")
        days = (self.inform_within_days, self.late_delivery_days, self.renewal_days,
                self.status_window_days,
                self.history_days, self.setup_days)
        if min(days) < 0 or min(self.min_deliveries, self.min_cases, self.table_rows) < 1:
            raise ValueError("[service] day counts must be >= 0 and counts >= 1")

    def query_params(self) -> dict[str, int]:
        """The named parameters the service queries take besides the filters."""
        return {
            "inform_within_days": self.inform_within_days,
            "late_delivery_days": self.late_delivery_days,
            "installation_lines": list(self.installation_lines),
            "training_lines": list(self.training_lines),
            "renewal_days": self.renewal_days,
            "status_window_days": self.status_window_days,
            "history_days": self.history_days,
            "setup_days": self.setup_days,
            "limit": self.table_rows,
        }


@dataclass(frozen=True)
class ServiceStatus:
    band: str
    reasons: tuple[str, ...]

    @property
    def name(self) -> str:
        """'Service red' … 'Service green', or 'No service data'."""
        return "No service data" if self.band == "no_data" else f"Service {self.band}"

    @property
    def reason(self) -> str:
        """The reasons as one sentence-like line, most serious first."""
        text = "; ".join(self.reasons)
        return text[0].upper() + text[1:] if text else ""


def _count(facts: Mapping[str, Any], key: str) -> int:
    return int(facts.get(key) or 0)


def _on_time_phrase(on_time: int, due: int) -> str:
    deliveries = fmt.plural(due, "delivery", "deliveries")
    return f"on time {fmt.percent(on_time / due)} ({on_time} of {deliveries})"


def red_reasons(facts: Mapping[str, Any], settings: ServiceSettings) -> list[str]:
    reasons = []
    severe, oldest = _count(facts, "overdue_severe"), facts.get("oldest_overdue_days")
    if severe:
        kinds = facts.get("overdue_kinds") or ""
        reasons.append(f"{fmt.plural(severe, 'high or critical case')} overdue"
                       + (f" (oldest {fmt.plural(int(oldest), 'day')})" if oldest else "")
                       + (f": {kinds}" if kinds else ""))
    not_told = _count(facts, "overdue_not_told")
    if not_told:
        reasons.append(f"client not told about {fmt.plural(not_told, 'overdue case')}")
    due, on_time = _count(facts, "deliveries_due"), _count(facts, "on_time")
    if due >= settings.min_deliveries and on_time / due < settings.on_time_red:
        reasons.append(_on_time_phrase(on_time, due))
    return reasons


def amber_reasons(facts: Mapping[str, Any], settings: ServiceSettings) -> list[str]:
    reasons = []
    window = f"{settings.status_window_days} days"
    overdue, severe = _count(facts, "overdue_cases"), _count(facts, "overdue_severe")
    if overdue > severe:
        other = overdue - severe
        what = "other case" if severe else "case"
        reasons.append(f"{fmt.plural(other, what)} overdue")
    due, on_time = _count(facts, "deliveries_due"), _count(facts, "on_time")
    if (due >= settings.min_deliveries
            and settings.on_time_red <= on_time / due < settings.on_time_amber):
        reasons.append(_on_time_phrase(on_time, due))
    closed, closed_late = _count(facts, "cases_closed"), _count(facts, "closed_late")
    if closed >= settings.min_cases and closed_late / closed >= settings.closed_late_amber:
        reasons.append(f"closed late: {closed_late} of {fmt.plural(closed, 'case')} closed in "
                       f"{window}")
    judged, told_late = _count(facts, "cases_judged"), _count(facts, "told_late_or_never")
    if judged and told_late / judged >= settings.told_late_amber:
        reasons.append(f"client told late or not at all: {told_late} of "
                       f"{fmt.plural(judged, 'case')} opened in {window}")
    delivered = _count(facts, "delivered")
    for key, what in (("quality_issues", "quality"), ("invoice_issues", "invoice")):
        issues = _count(facts, key)
        if delivered >= settings.min_deliveries and issues / delivered >= settings.issue_rate_amber:
            reasons.append(f"{what} issues: {issues} of "
                           f"{fmt.plural(delivered, 'delivery', 'deliveries')}")
    return reasons


def green_reason(facts: Mapping[str, Any], settings: ServiceSettings) -> str:
    due, on_time = _count(facts, "deliveries_due"), _count(facts, "on_time")
    window = f"{settings.status_window_days} days"
    if due:
        return f"{_on_time_phrase(on_time, due)} in {window}, no case overdue"
    return f"no delivery due in {window}, no case overdue"


def no_data_reason(settings: ServiceSettings) -> str:
    return (f"no delivery promised and no service case in the {settings.history_days} days "
            "up to the as-of date: nothing to judge")


def service_status(facts: Mapping[str, Any], settings: ServiceSettings) -> ServiceStatus:
    """The band of one account and why, from one row of service_account_status."""
    red, amber = red_reasons(facts, settings), amber_reasons(facts, settings)
    if red:
        return ServiceStatus("red", tuple(red + amber))
    if amber:
        return ServiceStatus("amber", tuple(amber))
    if facts.get("has_service_data") is False:  # unknown (missing, NULL) is not "none"
        return ServiceStatus("no_data", (no_data_reason(settings),))
    return ServiceStatus("green", (green_reason(facts, settings),))


def with_service_status(accounts: pl.DataFrame, settings: ServiceSettings) -> pl.DataFrame:
    """service_account_status rows with `band`, `band_order` (red 0 … green 2) and `reason`."""
    statuses = [service_status(row, settings) for row in accounts.iter_rows(named=True)]
    return accounts.with_columns(
        pl.Series("band", [s.band for s in statuses], dtype=pl.String),
        pl.Series("band_order", [BAND_ORDER[s.band] for s in statuses], dtype=pl.Int8),
        pl.Series("reason", [s.reason for s in statuses], dtype=pl.String),
    )


def _share_at_least(part: str, whole: str, least: float) -> pl.Expr:
    return pl.col(part).fill_null(0) / pl.col(whole) >= least


def service_band(settings: ServiceSettings) -> pl.Expr:
    """The band of `service_status` as one expression over the rows of
    service_account_status, for views that show the bands without their reasons (the
    overview counts them): 10,000 accounts in 3 ms instead of 80 ms of words.
    tests/test_service_status.py checks that it agrees with `service_status` row by row."""
    def n(key: str) -> pl.Expr:
        return pl.col(key).fill_null(0)

    judged = n("deliveries_due") >= settings.min_deliveries
    on_time = n("on_time") / pl.col("deliveries_due")
    delivered = n("delivered") >= settings.min_deliveries
    red = ((n("overdue_severe") > 0) | (n("overdue_not_told") > 0)
           | (judged & (on_time < settings.on_time_red)))
    amber = ((n("overdue_cases") > n("overdue_severe"))
             | (judged & (on_time < settings.on_time_amber))
             | ((n("cases_closed") >= settings.min_cases)
                & _share_at_least("closed_late", "cases_closed", settings.closed_late_amber))
             | ((n("cases_judged") > 0)
                & _share_at_least("told_late_or_never", "cases_judged",
                                  settings.told_late_amber))
             | (delivered & (_share_at_least("quality_issues", "delivered",
                                             settings.issue_rate_amber)
                             | _share_at_least("invoice_issues", "delivered",
                                               settings.issue_rate_amber))))
    return (pl.when(red).then(pl.lit("red")).when(amber).then(pl.lit("amber"))
            .when(~pl.col("has_service_data").fill_null(True)).then(pl.lit("no_data"))
            .otherwise(pl.lit("green")).alias("band"))


def bands_in_words(counts: dict[str, int],
                   mark: Callable[[str, str], str] = lambda band, text: text) -> str:
    """'9 red, 46 amber, 5 green' and, where some accounts have no service data, ', 85
    without service data' (the Overview and the Service page say it alike); `mark` dresses
    each part (band, text), e.g. in the band's colour."""
    parts = [mark(band, f"{counts[band]:,} {band}") for band in BANDS[:3]]
    if counts["no_data"]:
        parts.append(mark("no_data", f"{counts['no_data']:,} without service data"))
    return ", ".join(parts)


def band_counts(statuses: pl.DataFrame) -> dict[str, int]:
    """How many accounts in each band (every band present, zero when none)."""
    counts = dict(statuses.group_by("band").len().iter_rows())
    return {band: int(counts.get(band, 0)) for band in BANDS}


DELIVERY_SUMS = ("deliveries_due", "on_time", "delivered_late", "outstanding", "delivered",
                 "quality_issues", "invoice_issues", "open_cases", "overdue_cases",
                 "overdue_not_told", "cases_closed", "closed_late", "cases_judged",
                 "told_late_or_never")


def by_manager(statuses: pl.DataFrame) -> pl.DataFrame:
    """One row per manager of the accounts in view: the delivery and case facts summed,
    the on-time, quality-issue and invoice-issue rates, and accounts per band."""
    if statuses.height == 0:
        return pl.DataFrame(schema={"manager_id": pl.String, "manager_name": pl.String,
                                    "accounts": pl.UInt32,
                                    **{c: pl.Int64 for c in DELIVERY_SUMS},
                                    "red": pl.UInt32, "amber": pl.UInt32,
                                    "on_time_rate": pl.Float64, "quality_rate": pl.Float64,
                                    "invoice_rate": pl.Float64})
    sums = statuses.group_by("manager_id", "manager_name").agg(
        pl.len().alias("accounts"),
        *[pl.col(c).sum().cast(pl.Int64) for c in DELIVERY_SUMS],
        (pl.col("band") == "red").sum().alias("red"),
        (pl.col("band") == "amber").sum().alias("amber"),
    )
    return sums.with_columns(
        _ratio("on_time", "deliveries_due").alias("on_time_rate"),
        _ratio("quality_issues", "delivered").alias("quality_rate"),
        _ratio("invoice_issues", "delivered").alias("invoice_rate"),
    ).sort("on_time_rate", "manager_name", nulls_last=True)


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    return (pl.when(pl.col(denominator) > 0)
            .then(pl.col(numerator) / pl.col(denominator))
            .otherwise(None))


def portfolio_delivery_rates(statuses: pl.DataFrame) -> dict[str, float | int | None]:
    """The status window's delivery figures for all accounts in view."""
    sums = {c: int(statuses[c].sum() or 0) for c in DELIVERY_SUMS}
    due, delivered = sums["deliveries_due"], sums["delivered"]
    return {**sums,
            "on_time_rate": sums["on_time"] / due if due else None,
            "quality_rate": sums["quality_issues"] / delivered if delivered else None,
            "invoice_rate": sums["invoice_issues"] / delivered if delivered else None}
