"""The Service page's figures and lists, added up from per-account rows.

Every service query returns rows per account (`-- grain: account`), so a filter change only
narrows a cached result for the whole scope (PageContext.run) and these functions add the
chosen accounts up. The lists keep at most `limit` rows per account in SQL, which always
holds the `limit` rows shown for any set of accounts; each row carries its account's counts,
from which the totals are summed. No streamlit here: the page and the tests both use it.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

CONTRACT_KINDS = ("maintenance", "support", "spare_parts", "consumables", "training")
SETUP_KINDS = ("installation", "training")
SETUP_STATES = ("done", "pending", "overdue")


def account_totals(rows: pl.DataFrame, totals: dict[str, str]) -> pl.DataFrame:
    """One row of totals, {total column: per-account count column}: each account's count
    once, summed."""
    per_account = rows.select("account_id", *totals.values()).unique("account_id")
    return pl.DataFrame({total: [per_account[column].sum()] for total, column in totals.items()})


def first_rows(rows: pl.DataFrame, by: list[str], descending: list[bool], limit: int,
               where: pl.Expr | None = None) -> pl.DataFrame:
    """The first `limit` rows in that order (of those `where` holds): only the sort keys
    are sorted and only the rows kept are copied, where sorting the whole frame copied
    every column of 100,000s of rows (a hundred MB held by the allocator)."""
    keys = rows.select(by).with_row_index("_row")
    if where is not None:
        keys = keys.filter(rows.select(where).to_series())
    chosen = keys.sort(by, descending=descending, nulls_last=True).head(limit)["_row"]
    return rows[chosen]


def with_totals(shown: pl.DataFrame, rows: pl.DataFrame, totals: dict[str, str]) -> pl.DataFrame:
    """The rows shown, without the per-account counts, with the totals on every row."""
    return (shown.drop(list(totals.values()))
            .join(account_totals(rows, totals), how="cross"))


def monthly_deliveries(rows: pl.DataFrame) -> pl.DataFrame:
    """deliveries_by_month: due, on time, late and outstanding per month, and the rate."""
    return (rows.group_by("month").agg(pl.col("due", "on_time", "late", "outstanding").sum())
            .with_columns((pl.col("on_time") / pl.col("due")).alias("on_time_rate"))
            .sort("month"))


def broken_by_kind(rows: pl.DataFrame) -> pl.DataFrame:
    """service_broken_by_kind: cases and most days overdue per kind, state and told."""
    return (rows.group_by("kind", "state", "told")
            .agg(pl.col("cases").sum(), pl.col("max_days_overdue").max())
            .sort(["kind", "state", "told"], descending=[False, True, False]))


def informed_by_month(rows: pl.DataFrame) -> pl.DataFrame:
    """service_informed_by_month: cases per month by when the client was told."""
    told = pl.col("in_time") + pl.col("late") + pl.col("never")
    return (rows.group_by("month")
            .agg(pl.col("cases", "in_time", "late", "never", "waiting").sum())
            .with_columns(pl.when(told > 0).then(pl.col("in_time") / told)
                          .alias("in_time_rate"))
            .sort("month"))


def contracts_by_kind(rows: pl.DataFrame) -> pl.DataFrame:
    """contracts_by_kind: every kind in a fixed order, zeros where none run."""
    figures = ("contracts", "annual_value", "renewals_due", "renewal_value",
               "renewals_automatic")
    sums = rows.group_by("kind").agg(pl.col(figures).sum())
    return (pl.DataFrame({"kind": CONTRACT_KINDS})
            .join(sums, on="kind", how="left", maintain_order="left")
            .with_columns(pl.col(figures).fill_null(0)))


def revenue_mix_by_month(rows: pl.DataFrame) -> pl.DataFrame:
    """revenue_mix_by_month: revenue by stream per month, and how many accounts reported."""
    return (rows.group_by("month")
            .agg(pl.col("equipment", "service", "consumables", "spares").sum(),
                 pl.len().cast(pl.Int64).alias("accounts"))
            .sort("month"))


def setup_status(rows: pl.DataFrame) -> pl.DataFrame:
    """service_setup_status: installation and training cases per kind and state (all six),
    with the median and longest age in days."""
    grid = pl.DataFrame({"kind": SETUP_KINDS}).join(
        pl.DataFrame({"state": SETUP_STATES}), how="cross")
    ages = rows.group_by("kind", "state").agg(
        pl.len().cast(pl.Int64).alias("cases"),
        pl.col("age_days").median().cast(pl.Float64).alias("median_age_days"),
        pl.col("age_days").max().alias("max_age_days"))
    return (grid.join(ages, on=["kind", "state"], how="left", maintain_order="left")
            .with_columns(pl.col("cases").fill_null(0)))


def revenue_mix(rows: pl.DataFrame, limit: int) -> pl.DataFrame:
    """revenue_mix_by_account: the largest accounts first, with the totals of them all."""
    led = rows.filter(pl.col("aftersales_led"))
    totals = pl.DataFrame({"accounts_total": [rows.height],
                           "aftersales_led_total": [led.height],
                           "aftersales_led_revenue": [float(led["revenue"].sum() or 0)],
                           "from_deals_total": [rows.filter(pl.col("from_deals")).height]},
                          schema={"accounts_total": pl.Int64,
                                  "aftersales_led_total": pl.Int64,
                                  "aftersales_led_revenue": pl.Float64,
                                  "from_deals_total": pl.Int64})
    return (first_rows(rows, ["revenue", "account_id"], [True, False], limit)
            .join(totals, how="cross"))


def setup_accounts(rows: pl.DataFrame, limit: int) -> pl.DataFrame:
    """service_setup_accounts: overdue installations and trainings first, then pending."""
    overdue = pl.col("installations_overdue") + pl.col("trainings_overdue")
    pending = pl.col("installations_pending") + pl.col("trainings_pending")
    return (rows.sort([overdue, pending, pl.col("deliveries"), pl.col("account_id")],
                      descending=[True, True, True, False])
            .head(limit)
            .with_columns(pl.lit(rows.height, dtype=pl.Int64).alias("accounts_total")))


def late_deliveries(rows: pl.DataFrame, limit: int) -> pl.DataFrame:
    """delivery_late: outstanding first, then the most days late; totals of them all."""
    shown = first_rows(rows, ["state", "days_late", "delivery_id"], [True, True, False], limit)
    return with_totals(shown, rows, {"late_total": "account_late",
                                     "outstanding_total": "account_outstanding"})


def postsale_checklist(rows: pl.DataFrame, limit: int) -> pl.DataFrame:
    """postsale_checklist: the won deals with the most open points first, then the latest
    won; with the totals of them all (deals, and deals with each kind of open point)."""
    shown = first_rows(rows, ["open_points", "closed_on", "deal_id"], [True, True, False], limit)
    totals = pl.DataFrame({
        "deals_total": [rows.height],
        "with_open_points": [rows.filter(pl.col("open_points") > 0).height],
        "late_total": [rows.filter(pl.col("late") > 0).height],
        "issues_total": [rows.filter((pl.col("quality_issues") + pl.col("invoice_issues")) > 0)
                         .height],
        "setup_missing_total": [rows.filter((pl.col("installation") == "missing")
                                            | (pl.col("training") == "missing")).height],
        "not_told_total": [rows.filter(pl.col("not_told") > 0).height],
    }, schema={name: pl.Int64 for name in ("deals_total", "with_open_points", "late_total",
                                           "issues_total", "setup_missing_total",
                                           "not_told_total")})
    return shown.join(totals, how="cross")


def broken_promises(rows: pl.DataFrame, limit: int) -> pl.DataFrame:
    """service_broken_promises: open ones first, each state by severity and days overdue,
    at most `limit` of each state; totals of them all."""
    shown = pl.concat([
        first_rows(rows, ["severity_rank", "days_overdue", "case_id"], [False, True, False],
                   limit, where=pl.col("state") == state)
        for state in ("open", "closed_late")])
    return with_totals(shown, rows, {"open_total": "account_open",
                                     "closed_late_total": "account_closed_late"}
                       ).drop("severity_rank")


def informed_lapses(rows: pl.DataFrame, limit: int) -> pl.DataFrame:
    """service_informed_lapses: never told and still open first, then never told, then the
    longest wait, oldest first; totals of them all."""
    shown = first_rows(rows, ["told", "still_open", "days_to_tell", "opened_on", "case_id"],
                       [True, True, True, False, False], limit)
    return with_totals(shown, rows, {"lapses_total": "account_lapses",
                                     "never_total": "account_never"})


def renewals(rows: pl.DataFrame, limit: int) -> pl.DataFrame:
    """contracts_renewals: those that do not renew by themselves first, then the soonest;
    totals of them all."""
    shown = first_rows(rows, ["auto_renew", "ends_on", "annual_value", "contract_id"],
                       [False, False, True, False], limit)
    return with_totals(shown, rows, {"renewals_total": "account_renewals",
                                     "renewal_value_total": "account_renewal_value"})


# query name -> how its per-account rows become what the page shows (tests use this too)
SUMMED: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "deliveries_by_month": monthly_deliveries,
    "service_broken_by_kind": broken_by_kind,
    "service_informed_by_month": informed_by_month,
    "contracts_by_kind": contracts_by_kind,
    "revenue_mix_by_month": revenue_mix_by_month,
    "service_setup_status": setup_status,
}
LISTED: dict[str, Callable[[pl.DataFrame, int], pl.DataFrame]] = {
    "revenue_mix_by_account": revenue_mix,
    "service_setup_accounts": setup_accounts,
    "delivery_late": late_deliveries,
    "service_broken_promises": broken_promises,
    "postsale_checklist": postsale_checklist,
    "service_informed_lapses": informed_lapses,
    "contracts_renewals": renewals,
}
