"""The dashboard's server:
`python -m portfolio.delivery.serve dashboard.py [streamlit run options]`.

The same as `streamlit run`, except for two things a visitor would otherwise wait for:
- the modules the pages use are loaded before the server answers. `streamlit run` loads
  none of the app until the first session runs the script, so the first visitor after a
  start also waited for pandas, Plotly and the project's modules to load and for
  Streamlit's REPL check: about 0.3 s on these machines, on top of the page
  (bench/RESULTS.md, "server start"). Here that happens once, at the start;
- the page Streamlit serves names the server's base address (`window.__streamlit`, the
  setting Streamlit reads for hosts that embed it). Without it, a tab opened on a page's
  own address (/service, /account?...) first looks for the server under that address,
  is refused, waits 100 ms and then tries the root: every link to a page but the
  overview started that much later (`serve_base_address`).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from typing import Any

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


# Before Streamlit's scripts: they read it once, when they load.
BASE_ADDRESS_SCRIPT = ("<script>window.__streamlit = Object.assign({{}}, window.__streamlit, "
                       "{{BACKEND_BASE_URL: new URL({path}, location.origin).href}});</script>")
MODULE_SCRIPT = '<script type="module"'


def page_naming_base_address(index_html: str, base_url: str | None) -> str:
    """Streamlit's index.html with the server's base address set before its scripts."""
    path = json.dumps("/" + (base_url or "").strip("/"))
    if MODULE_SCRIPT not in index_html:  # another Streamlit: serve its page as it is
        return index_html
    return index_html.replace(MODULE_SCRIPT, BASE_ADDRESS_SCRIPT.format(path=path)
                              + "\n    " + MODULE_SCRIPT, 1)


def serve_base_address() -> None:
    """Make Streamlit's file server answer every request for its index.html (the root and
    every page's address) with `page_naming_base_address`."""
    from starlette.responses import FileResponse, HTMLResponse
    from streamlit.web.server.starlette import starlette_static_routes as routes

    create_handler = routes.create_streamlit_static_handler

    def create_naming_handler(directory: str, base_url: str | None) -> Any:
        files = create_handler(directory=directory, base_url=base_url)
        index_path = os.path.realpath(files._index_path)
        with open(index_path, encoding="utf-8") as source:
            page = page_naming_base_address(source.read(), base_url)
        get_response = files.get_response

        async def get_named_response(path: str, scope: Any) -> Any:
            response = await get_response(path, scope)
            if isinstance(response, FileResponse) and os.path.realpath(response.path) == index_path:
                return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
            return response

        files.get_response = get_named_response
        return files

    routes.create_streamlit_static_handler = create_naming_handler


def main(argv: list[str]) -> None:
    preload()
    serve_base_address()
    from streamlit.web import cli

    # exactly what `python -m streamlit run ...` does (Streamlit reads sys.argv itself)
    sys.argv = ["streamlit", "run", *argv]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
