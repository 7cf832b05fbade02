"""The weekly export in a real browser: files, full-height pictures, PDFs, index, failures."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pikepdf
import pytest
from PIL import Image, ImageStat

from portfolio.core.db import READ_ONLY_CONFIG
from portfolio.core.registry import PAGES, PageSpec
from portfolio.delivery.export import (
    ExportError,
    Week,
    all_or_nothing,
    export,
    last_complete_week,
    resolve_scopes,
)

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT_HEIGHT = 900


def png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as picture:
        header = picture.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def grey_spread(path: Path) -> float:
    with Image.open(path) as picture:
        return ImageStat.Stat(picture.convert("L")).stddev[0]


def processes_serving(db: Path) -> list[int]:
    """Processes whose environment points the dashboard at this database."""
    marker = f"PORTFOLIO_DB={db}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def exported(demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("exports") / "2026-W47"
    previous = out.parent / "2026-W46"
    previous.mkdir()
    (previous / "summary.json").write_text(json.dumps({
        "week": "2026-W46", "as_of": "2026-11-15",
        "scopes": {"all": {"figures": {"key_accounts": 38, "overdue_cases": 20}}}}))
    return export(demo_db, out=out, week=Week(2026, 47), scope_specs=["all", "M02"])


def test_every_expected_file_exists(exported):
    out = exported.out
    for scope in ("all", "manager-M02"):
        for number, page in enumerate(PAGES, start=1):
            assert (out / scope / f"{number:02d}-{page.slug}.png").is_file()
        assert (out / f"{scope}.pdf").is_file()
    assert {p.name for p in out.iterdir()} >= {"index.html", "index.md", "summary.json"}
    assert len(exported.pictures) == 2 * len(PAGES)


def test_pictures_are_full_height_and_not_blank(exported):
    heights = []
    for picture in exported.pictures:
        width, height = png_size(picture)
        assert width == 1400
        assert grey_spread(picture) > 10, f"{picture} looks blank"
        heights.append(height)
    long_pages = [h for h in heights if h > VIEWPORT_HEIGHT]
    assert len(long_pages) >= len(PAGES), heights  # tables and charts run past one screen


def test_each_pdf_has_one_page_per_dashboard_page(exported):
    for pdf in exported.pdfs:
        with pikepdf.open(pdf) as document:
            assert len(document.pages) == len(PAGES)


def test_index_names_week_as_of_scope_release_and_changes(exported):
    index = (exported.out / "index.md").read_text(encoding="utf-8")
    assert "Week 2026-W47 · as of 22 Nov 2026 · data release demo.duckdb" in index
    assert "compared with the export of 2026-W46" in index
    assert "## Whole portfolio" in index and "## Jonas Weber and team" in index
    summary = json.loads((exported.out / "summary.json").read_text())
    key_accounts = summary["scopes"]["all"]["figures"]["key_accounts"]
    assert f"| Key accounts | {key_accounts} | {key_accounts - 38:+d} |" in index
    html = (exported.out / "index.html").read_text(encoding="utf-8")
    assert 'src="manager-M02/02-pipeline.png"' in html


def test_manager_pictures_show_the_manager_filter(exported, demo_db):
    # the filter line on the picture comes from the page; check the page text the export saw
    # through the same URL in the summary: the lead's team figures differ from the whole
    summary = json.loads((exported.out / "summary.json").read_text())
    team = summary["scopes"]["manager-M02"]
    whole = summary["scopes"]["all"]["figures"]
    assert team["label"] == "Jonas Weber and team"
    # signed in as the manager (the export checked the sidebar of the first page), so the
    # pictures show the scope that manager sees when signed in
    assert team["viewer"] == "jonas.weber@supplier.example"
    assert summary["scopes"]["all"]["viewer"] is None  # the export's executive identity
    with duckdb.connect(str(demo_db), read_only=True, config=READ_ONLY_CONFIG) as con:
        expected = con.execute(
            "SELECT count(*) FROM accounts WHERE tier IN ('strategic', 'key') AND manager_id IN "
            "('M02', 'M05', 'M06', 'M07')").fetchone()[0]
    assert team["figures"]["key_accounts"] == expected < whole["key_accounts"]


def test_default_week_is_the_last_complete_iso_week():
    from datetime import date

    assert str(last_complete_week(date(2026, 11, 22))) == "2026-W47"  # a Sunday
    assert str(last_complete_week(date(2026, 11, 20))) == "2026-W46"  # a Friday
    assert str(last_complete_week(date(2026, 7, 31))) == "2026-W30"


def test_each_manager_scope_lists_managers_with_accounts(tiny_db):
    scopes = resolve_scopes(["all", "each-manager"], tiny_db)
    assert scopes[0].label == "Whole portfolio"
    assert all(s.manager_id for s in scopes[1:])


def run_export(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portfolio", "export", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_failing_page_fails_the_export_loudly_and_stops_the_server(tiny_db, tmp_path):
    broken = tmp_path / "broken.duckdb"
    shutil.copy(tiny_db, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute("DROP TABLE deal_contacts")  # the buying-center page reads it
    result = run_export("--db", str(broken), "--out", str(tmp_path / "out"), "--scope", "all")
    assert result.returncode == 1
    assert "export failed: page '" in result.stderr
    assert "for scope 'Whole portfolio'" in result.stderr
    assert any(f"page '{page.label}'" in result.stderr for page in PAGES)
    assert processes_serving(broken) == []


# Two pages besides the default one at /. The second fails for every manager's scope: the
# first, opened by its URL, keeps the manager in the session; the second is reached through
# the sidebar.
TWO_PAGE_APP = """
import streamlit as st


def one():
    st.title("One")
    st.write("scope", st.session_state.manager)


def two():
    st.title("Two")
    if st.session_state.manager != "all":
        raise RuntimeError("two-fails-for-" + st.session_state.manager)
    st.write("fine")


st.set_page_config(initial_sidebar_state="expanded")
if "manager" not in st.session_state:
    st.session_state.manager = st.query_params.get("manager", "all")
st.sidebar.write("Manager:", st.session_state.manager)
# like the dashboard in sign-in mode: say whom the export's header signed in
st.sidebar.caption("Signed in as " + st.context.headers.get("X-Portfolio-Export-Viewer", ""))
st.navigation([st.Page(lambda: st.title("Start"), title="Start", default=True),
               st.Page(one, title="One", url_path="one"),
               st.Page(two, title="Two", url_path="two")]).run()
"""


def test_a_failing_page_in_one_tab_stops_every_tab_and_the_server(tiny_db, tmp_path):
    app = tmp_path / "app.py"
    app.write_text(TWO_PAGE_APP, encoding="utf-8")
    pages = (PageSpec("one.py", "One", ""), PageSpec("two.py", "Two", ""))
    scopes = resolve_scopes(["all", "each-manager"], tiny_db)
    assert len(scopes) >= 3  # both tabs have work when the first manager's page fails
    with pytest.raises(ExportError, match=r"(?s)page 'Two' for scope '.+' shows an error.*"
                                          r"two-fails-for-M"):
        export(tiny_db, out=tmp_path / "out", week=Week(2026, 47), app=app, pages=pages,
               scope_specs=["all", "each-manager"], tabs=2)
    assert processes_serving(tiny_db) == []
    assert (tmp_path / "out" / "all" / "01-one.png").is_file()  # taken before the others began


def test_the_first_failure_cancels_the_other_tabs():
    cancelled = []

    async def failing() -> None:
        await asyncio.sleep(0.05)
        raise ExportError("page 'Service' for scope 'Whole portfolio' shows an error")

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    with pytest.raises(ExportError, match="page 'Service'"):
        asyncio.run(asyncio.wait_for(all_or_nothing([slow(), failing()]), timeout=10))
    assert cancelled == [True]


def test_bad_week_and_scope_are_refused_with_a_message(tiny_db, tmp_path):
    result = run_export("--db", str(tiny_db), "--week", "2026-53x", "--out", str(tmp_path))
    assert result.returncode == 1 and "not an ISO week like 2026-W47" in result.stderr
    result = run_export("--db", str(tiny_db), "--week", "2030-W01", "--out", str(tmp_path))
    assert result.returncode == 1 and "outside the data" in result.stderr
    result = run_export("--db", str(tiny_db), "--scope", "NOBODY", "--out", str(tmp_path))
    assert result.returncode == 1 and "unknown scope 'NOBODY'" in result.stderr


def test_the_export_fails_when_the_dashboard_does_not_sign_in_as_the_scope(tiny_db, tmp_path):
    app = tmp_path / "app.py"
    app.write_text(TWO_PAGE_APP.replace('st.sidebar.caption("Signed in as "', 'print(""'),
                   encoding="utf-8")
    pages = (PageSpec("one.py", "One", ""),)
    with pytest.raises(ExportError, match=r"did not sign in as export-.*could show another"):
        export(tiny_db, out=tmp_path / "out", week=Week(2026, 47), app=app, pages=pages,
               scope_specs=["all"], tabs=1)
    assert processes_serving(tiny_db) == []
