"""The dashboard's pages, in navigation order: the one list that the app (st.navigation),
the weekly export and the tests all read. No streamlit import here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageSpec:
    path: str
    label: str
    icon: str
    tab_key: str | None = None  # the URL key of the chosen tab, for a page with tabs

    @property
    def url_path(self) -> str:
        """The address of the page: '' for the overview, else the file's stem."""
        return "" if self is PAGES[0] else Path(self.path).stem

    @property
    def slug(self) -> str:
        """A file-name-safe name, e.g. for screenshots: 'overview', 'buying_center'."""
        return Path(self.path).stem


PAGES = (
    PageSpec("pages/overview.py", "Overview", ":material/dashboard:"),
    PageSpec("pages/pipeline.py", "Pipeline", ":material/filter_alt:", "pipeline_tab"),
    PageSpec("pages/buying_center.py", "Buying center", ":material/groups:", "buying_center_tab"),
    PageSpec("pages/service.py", "Service", ":material/build:", "service_tab"),
    PageSpec("pages/attractiveness.py", "Attractiveness", ":material/scatter_plot:",
             "attractiveness_tab"),
    PageSpec("pages/account.py", "Account", ":material/domain:", "account_tab"),
)
# the URL keys of the pages' tabs, and every key a page reads besides the filters
SECTION_KEYS = tuple(page.tab_key for page in PAGES if page.tab_key)
PAGE_KEYS = ("account", *SECTION_KEYS)

# Pages show their sections as tabs and run only the chosen one. In the print layout every
# section runs, one after another: for the weekly export's pictures and for the warm step
# (which stores the results of every section).
LAYOUT_ENV = "PORTFOLIO_LAYOUT"
PRINT_LAYOUT = {LAYOUT_ENV: "print"}
