"""The overview's totals, added up from per-account rows.

overview_figures, overview_late_coverage and pipeline_by_stage return one row per account
(`-- grain: account`), so a filter change narrows a cached result instead of re-reading
430,000 deals (portfolio/ui.py, PageContext.run). These functions turn such rows into
the totals the overview shows; an empty selection gives the same rows and NULLs as an
aggregate over no accounts would.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from portfolio.core.settings import OPEN_STAGES

STAGE_ORDER = pl.DataFrame({"stage": [*OPEN_STAGES, "won", "lost"],
                            "stage_order": pl.Series(range(1, 7), dtype=pl.Int32)})
ROLES_COVERED = pl.DataFrame({"roles_covered": pl.Series(range(8), dtype=pl.Int64)})
ADDED_UP = ("open_deals", "open_value", "weighted_value", "late_deals", "late_coverage_sum",
            "late_without_top", "late_without_top_value", "deliveries_due",
            "deliveries_on_time")


def _sum_or_none(column: pl.Series) -> float | None:
    """SQL's sum: NULL when no row has a value (an account without revenue rows)."""
    return None if column.is_null().all() else float(column.sum())


def headline_figures(accounts: pl.DataFrame) -> dict[str, Any]:
    """The overview's headline figures from overview_figures' per-account rows: counts and
    sums added up, means and rates from the added-up parts."""
    totals = {key: accounts[key].sum() for key in ADDED_UP}
    late_deals, due = totals["late_deals"], totals["deliveries_due"]
    return {
        "accounts": accounts.height,
        "key_accounts": int(accounts["key_account"].sum()),
        "revenue_t12m": _sum_or_none(accounts["revenue_t12m"]),
        "revenue_prior_t12m": _sum_or_none(accounts["revenue_prior_t12m"]),
        # accounts whose revenue is (partly) their won deals': no finance feed covers them
        "revenue_from_deals": int(accounts["revenue_from_deals"].sum()),
        "open_deals": totals["open_deals"], "open_value": float(totals["open_value"]),
        "weighted_value": float(totals["weighted_value"]),
        "late_deals": late_deals,
        "late_coverage": totals["late_coverage_sum"] / late_deals if late_deals else None,
        "late_without_top": totals["late_without_top"],
        "late_without_top_value": float(totals["late_without_top_value"]),
        "deliveries_due": due, "deliveries_on_time": totals["deliveries_on_time"],
        "on_time_rate": totals["deliveries_on_time"] / due if due else None,
    }


def late_coverage_by_roles(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per number of roles covered, 0 to 7, from overview_late_coverage's rows."""
    summed = rows.group_by("roles_covered").agg(
        pl.col("deals").sum(), pl.col("value").sum(), pl.col("without_top").sum(),
        pl.col("without_top_value").sum())
    return (ROLES_COVERED.join(summed.with_columns(pl.col("roles_covered").cast(pl.Int64)),
                               on="roles_covered", how="left")
            .with_columns(pl.col("deals", "without_top").fill_null(0).cast(pl.Int64),
                          pl.col("value", "without_top_value").fill_null(0.0).cast(pl.Float64))
            .sort("roles_covered"))


def pipeline_by_stage(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per stage, the four open ones then won and lost, from pipeline_by_stage's
    per-account rows: deals and their value."""
    summed = rows.group_by("stage").agg(pl.col("deals").sum(), pl.col("value").sum())
    return (STAGE_ORDER.join(summed, on="stage", how="left")
            .with_columns(pl.col("deals").fill_null(0).cast(pl.Int64),
                          pl.col("value").fill_null(0.0).cast(pl.Float64))
            .sort("stage_order"))
