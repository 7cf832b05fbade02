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
    PageSpec("pages/pipeline.py", "Pipeline", ":material/filter_alt:"),
    PageSpec("pages/buying_center.py", "Buying center", ":material/groups:"),
    PageSpec("pages/service.py", "Service", ":material/build:"),
    PageSpec("pages/attractiveness.py", "Attractiveness", ":material/scatter_plot:"),
    PageSpec("pages/account.py", "Account", ":material/domain:"),
)

# Pages show their sections as tabs and run only the chosen one. In the print layout every
# section runs, one after another: for the weekly export's pictures and for the warm step
# (which stores the results of every section).
LAYOUT_ENV = "PORTFOLIO_LAYOUT"
PRINT_LAYOUT = {LAYOUT_ENV: "print"}
