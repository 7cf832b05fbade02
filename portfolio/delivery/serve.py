"""The dashboard's server:
`python -m portfolio.delivery.serve dashboard.py [streamlit run options]`.

The same as `streamlit run`, except that the modules the pages use are loaded before the
server answers. `streamlit run` loads none of the app until the first session runs the
script, so the first visitor after a start also waited for pandas, Plotly and the
project's modules to load and for Streamlit's REPL check: about 0.3 s on these machines,
on top of the page (bench/RESULTS.md, "server start"). Here that happens once, at the
start.
"""

from __future__ import annotations

import importlib
import sys
import time

# pandas first: Plotly checks sys.modules["pandas"], and a session that met a half-loaded
# pandas (another session importing it at that moment) crashed (STACK_NOTES: parallel
# first loads). The rest: every module the pages import (tests/test_serve.py checks that a
# page run after `preload` loads none of these packages).
PRELOADED = (
    "pandas",
    "portfolio.ui",
    "portfolio.read.buying_center",
    "portfolio.read.views",
    "portfolio.read.overview",
    "portfolio.read.pipeline",
    "portfolio.read.scoring",
    "portfolio.read.service",
    "portfolio.read.service_totals",
    "portfolio.charts.account",
    "portfolio.charts.pipeline",
    "portfolio.charts.portfolio",
    "portfolio.charts.service",
)


def preload() -> float:
    """Import PRELOADED and do Streamlit's once-per-process check; returns the seconds it
    took."""
    started = time.perf_counter()
    for name in PRELOADED:
        importlib.import_module(name)
    # Before its first element in a process Streamlit asks whether it runs in a REPL, by
    # walking the stack with `inspect`, which maps each of the ~1,500 loaded modules to its
    # file (60 ms). Asked once here, the map is built and the first visitor's ask is cheap.
    from streamlit import env_util

    env_util.is_repl()
    return time.perf_counter() - started


def main(argv: list[str]) -> None:
    preload()
    from streamlit.web import cli

    # exactly what `python -m streamlit run ...` does (Streamlit reads sys.argv itself)
    sys.argv = ["streamlit", "run", *argv]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
