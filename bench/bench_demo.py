"""Benchmark: how long the demo generator takes to build a database, small and large.

Prints the median and spread of several runs per scale, the ratio large/small measured in
the same run, and the row counts; appends a dated entry to bench/RESULTS.md.
Run: `.venv/bin/python bench/bench_demo.py [--runs 3] [--no-record]`
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portfolio.write.demo import build_demo_database  # noqa: E402  (after sys.path)

RESULTS = ROOT / "bench" / "RESULTS.md"


def time_build(scale: str, runs: int) -> tuple[list[float], dict[str, int]]:
    timings: list[float] = []
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            target = Path(folder) / f"{scale}-{run}.duckdb"
            started = time.perf_counter()
            counts = build_demo_database(target, scale)
            timings.append(time.perf_counter() - started)
            target.unlink()
    return timings, counts


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores, {memory:.0f} GiB, {platform.machine()}, "
            f"Python {platform.python_version()}")


def record(lines: list[str]) -> None:
    """Append a result section to bench/RESULTS.md."""
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("\n".join(lines) + "\n")


def commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    return result.stdout.strip() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    lines = [f"## Demo generator · {datetime.now():%Y-%m-%d %H:%M} · commit {commit()} · "
             f"{machine()}", "", "| scale | median s | min–max s | deals | buying-center rows | "
             "delivery + service rows |", "|---|---|---|---|---|---|"]
    medians = {}
    for scale in ("small", "large"):
        timings, counts = time_build(scale, args.runs)
        medians[scale] = statistics.median(timings)
        lines.append(f"| {scale} | {medians[scale]:.2f} | {min(timings):.2f}–{max(timings):.2f} | "
                     f"{counts['deals']:,} | {counts['deal_contacts']:,} | "
                     f"{counts['deliveries'] + counts['service_cases']:,} |")
    lines += ["", f"large / small time ratio: {medians['large'] / medians['small']:.0f}× "
              f"({args.runs} runs each, medians)", ""]
    print("\n".join(lines))
    if not args.no_record:
        record(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
