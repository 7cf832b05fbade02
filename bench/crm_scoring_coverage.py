"""How many accounts of an imported CRM Sales Opportunities database are scored, and on
how much of the attractiveness weight (bench/RESULTS.md, "Scoring from what a CRM holds").

    python -m portfolio import ../shared/datasets/crm-sales-opportunities \
        --mapping mappings/crm_sales_opportunities.toml --db /tmp/crm/portfolio.duckdb --no-warm
    python bench/crm_scoring_coverage.py /tmp/crm/portfolio.duckdb

Works on checkouts before the coverage field (commit 79f7dcc: attractiveness_data_weight).
"""

from __future__ import annotations

import statistics
import sys
from datetime import date
from pathlib import Path

import polars as pl

from portfolio.core.db import read_only_connection
from portfolio.read import scoring

AS_OF = date(2017, 12, 31)  # the data set's newest date


def main(db: Path) -> None:
    frame = scoring.score_database(db, AS_OF)
    weight = ("attractiveness_data_weight" if "attractiveness_data_weight" in frame.columns
              else "data_coverage")
    cursor = read_only_connection(db).cursor()
    winners = {row[0] for row in cursor.execute("""
        SELECT DISTINCT d.account_id FROM deals d JOIN accounts a USING (account_id)
        WHERE a.tier IN ('strategic', 'key') AND d.stage = 'won'
          AND d.closed_on > DATE '2016-12-31' AND d.closed_on <= DATE '2017-12-31'""").fetchall()}
    cursor.close()
    key = frame.filter(pl.col("account_id").is_in(list(winners)))
    scored = frame.filter(pl.col("attractiveness").is_not_null())
    values = key[weight].to_list()
    print(f"accounts scored: {scored.height} of {frame.height}")
    print(f"key/strategic with won deals in the 12 months: "
          f"{key.filter(pl.col('attractiveness').is_not_null()).height} of {key.height} scored")
    print(f"coverage of those: median {statistics.median(values):.0f}, min {min(values):.0f}, "
          f"max {max(values):.0f}")
    print("suggestions:", dict(sorted(frame.group_by("suggestion").len().iter_rows())))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
