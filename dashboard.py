"""Key-account portfolio health: the entry script. `python -m portfolio.serve dashboard.py`
(`streamlit run dashboard.py` with the pages' modules loaded first; `make run`).

Sets up the app (database, shared filters in the sidebar and the URL) and runs the page
chosen in the navigation. The pages live in pages/ and are registered in portfolio/ui.py.
"""

# plotly checks sys.modules["pandas"]; importing pandas first avoids a crash when several
# sessions load pages at once (STACK_NOTES: parallel first loads).
import pandas  # noqa: F401  isort: skip

from portfolio.ui import navigation, setup_app

page = navigation()
setup_app()
page.run()
