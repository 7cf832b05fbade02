"""Benchmark: a canonical import of about 1,000,000 rows, validated and published.

Writes the demo portfolio at 1,000 accounts (about 1.1 M rows over all tables) as
canonical CSV files, then times `import_sources` into a fresh served name several times,
against the baseline of only reading the same files with Polars, measured in the same run.
Appends the result to bench/RESULTS.md.
Run: `.venv/bin/python bench/bench_import.py [--runs 3] [--accounts 1000] [--no-record]`
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from bench.bench_demo import commit, machine, record  # noqa: E402  (after sys.path)
from portfolio.write.demo import generate  # noqa: E402
from portfolio.write.importer import import_sources  # noqa: E402


def write_canonical_csvs(folder: Path, accounts: int) -> int:
    rows = 0
    for name, frame in generate(accounts, 1).items():
        frame.write_csv(folder / f"{name}.csv")
        rows += frame.height
    return rows


def median_seconds(action, runs: int) -> tuple[float, float, float]:
    timings = []
    for run in range(runs):
        started = time.perf_counter()
        action(run)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), min(timings), max(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "source"
        source.mkdir()
        rows = write_canonical_csvs(source, args.accounts)

        def read_only(run: int) -> None:
            for path in source.glob("*.csv"):
                pl.read_csv(path, infer_schema=False)

        def full_import(run: int) -> None:
            report = import_sources([source], Path(folder) / f"served{run}" / "p.duckdb")
            assert report.ok, report.problems[:5]

        read = median_seconds(read_only, args.runs)
        imported = median_seconds(full_import, args.runs)
    lines = [f"## Canonical import · {datetime.now():%Y-%m-%d %H:%M} · commit {commit()} · "
             f"{machine()}", "",
             f"- {rows:,} rows in 13 CSV files (demo, {args.accounts:,} accounts)",
             f"- import (read, validate every rule, publish a release): median "
             f"{imported[0]:.1f} s (min {imported[1]:.1f}, max {imported[2]:.1f}; "
             f"{args.runs} runs), {rows / imported[0]:,.0f} rows/s",
             f"- baseline, reading the files only: median {read[0]:.2f} s; import / read = "
             f"{imported[0] / read[0]:.1f}×", ""]
    print("\n".join(lines))
    if not args.no_record:
        record(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
