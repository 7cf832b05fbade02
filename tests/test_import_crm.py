"""The public "CRM Sales Opportunities" data set imports end to end and the pages show it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from portfolio.core.registry import PAGES
from portfolio.write.importer import check_database, import_sources
from tests.conftest import CRM_DATASET

ROOT = Path(__file__).resolve().parent.parent
DATASET = CRM_DATASET
MAPPING = ROOT / "mappings" / "crm_sales_opportunities.toml"


@pytest.fixture(scope="module")
def crm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    link = tmp_path_factory.mktemp("crm") / "portfolio.duckdb"
    report = import_sources([DATASET], link, mapping=MAPPING)
    assert report.ok, [str(p) for p in report.problems[:10]]
    return link


def test_the_data_set_lands_with_every_placeable_opportunity(crm_db):
    pipeline = pl.read_csv(DATASET / "sales_pipeline.csv", infer_schema=False)
    with_account = pipeline.filter(pl.col("account").is_not_null()).height
    report_rows = import_sources([DATASET], crm_db, mapping=MAPPING)
    assert report_rows.rows["deals"] == with_account
    assert report_rows.skipped["deals"] == pipeline.height - with_account
    assert report_rows.rows["accounts"] == 85
    assert check_database(crm_db.resolve()) == ([], 0)


@pytest.mark.parametrize("page", [p.path for p in PAGES], ids=[p.label for p in PAGES])
def test_every_page_runs_on_the_imported_data(page, crm_db, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DB", str(crm_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    if page != PAGES[0].path:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert "as of 31 Dec 2017 · amounts in USD" in at.caption[0].value
