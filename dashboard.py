"""Key-account portfolio health: the entry script. `python -m portfolio.delivery.serve dashboard.py`
(`streamlit run dashboard.py` with the pages' modules loaded first; `make run`).

Sets up the app (database, shared filters in the sidebar and the URL) and runs the page
chosen in the navigation. The pages live in pages/ and are registered in portfolio/core/registry.py.
"""

# plotly checks sys.modules["pandas"]; importing pandas first avoids a crash when several
# sessions load pages at once (STACK_NOTES: parallel first loads).
import pandas  # noqa: F401  isort: skip

from portfolio.ui import navigation, run_page, setup_app

page = navigation()
setup_app()
run_page(page)
