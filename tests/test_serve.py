"""The server's launcher (portfolio/delivery/serve.py) loads every module the pages use, so that
the first visitor after a start does not wait for them. (The browser tests start their
servers through it: tests/test_browser_app.py and others.)"""

import json
import os
import subprocess
import sys
from pathlib import Path

from portfolio.delivery.serve import page_naming_base_address

ROOT = Path(__file__).resolve().parent.parent

# In a fresh process: preload, then every page and each of its tabs under AppTest; prints
# the modules loaded after the preload.
AFTER_PRELOAD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from streamlit.testing.v1 import AppTest
from portfolio.core.registry import PAGES
from portfolio.delivery.serve import preload
preload()
before = set(sys.modules)
runs = 0
for page in PAGES:
    at = AppTest.from_file(sys.argv[1] + "/dashboard.py", default_timeout=120)
    if page.path != "pages/overview.py":
        at.switch_page(page.path)
    at.run()
    runs += 1
    assert not at.exception, [e.value for e in at.exception]
    tab_key = page.path.rsplit("/", 1)[-1].removesuffix(".py") + "_tab"
    for label in [tab.label for tab in at.tabs][1:]:
        at.session_state[tab_key] = label
        at.run()
        runs += 1
        assert not at.exception, [e.value for e in at.exception]
print(json.dumps({"runs": runs, "pages": len(PAGES),
                  "loaded": sorted(set(sys.modules) - before)}))
"""

# packages whose loading takes long enough to matter (plotly's per-trace modules and
# Streamlit's own are loaded on first use and cost milliseconds)
HEAVY = ("pandas", "polars", "pyarrow", "duckdb", "numpy", "portfolio", "queries")


def test_no_page_loads_a_heavy_module_after_the_preload(demo_db: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", AFTER_PRELOAD, str(ROOT)], capture_output=True, text=True,
        timeout=300, env={**os.environ, "PORTFOLIO_DB": str(demo_db),
                          "PORTFOLIO_STORED_RESULTS": "off"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["pages"] == 6 and report["runs"] > 6  # every page and some tabs ran
    assert [name for name in report["loaded"] if name.split(".")[0] in HEAVY] == []


INDEX = ('<head>\n    <script type="module" crossorigin src="./static/js/index.js">'
         '</script>\n</head>')


def test_the_page_names_the_base_address_before_streamlits_scripts() -> None:
    page = page_naming_base_address(INDEX, None)
    script = 'new URL("/", location.origin).href'
    assert script in page
    assert page.index(script) < page.index('<script type="module"')
    assert 'new URL("/kam", location.origin).href' in page_naming_base_address(INDEX, "kam/")


def test_a_page_without_streamlits_module_script_is_served_as_it_is() -> None:
    assert page_naming_base_address("<html></html>", None) == "<html></html>"
