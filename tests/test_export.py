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
from portfolio.delivery.report import A4_POINTS

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


def pdf_text(path: Path, page: int | None = None, layout: bool = False) -> str:
    """The PDF's text (poppler's pdftotext), of one page or all, whitespace collapsed;
    `layout`: a table's row on one line."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    pages += ["-layout"] if layout else []
    text = subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return " ".join(text.split())


def test_each_report_is_a_cover_then_each_page_on_a4_sheets_of_its_orientation(exported):
    orientations = {"account": "portrait"}  # portfolio/core/settings.toml, [export]
    for scope in exported.scopes:
        layout = exported.layout[scope.slug]
        assert [(title, orientation) for title, _, orientation in layout] == [
            ("Cover", "portrait"),
            *[(page.label, orientations.get(page.slug, "landscape")) for page in PAGES]]
        assert all(sheets >= 1 for _, sheets, _ in layout)
        expected = [A4_POINTS[orientation] for _, sheets, orientation in layout
                    for _ in range(sheets)]
        with pikepdf.open(exported.out / f"{scope.slug}.pdf") as document:
            sizes = [tuple(round(float(v), 2) for v in page.mediabox[2:])
                     for page in document.pages]
            bookmarks = [(item.title, item.destination[0].objgen)
                         for item in document.open_outline().root]
            starts = [page.objgen for page in document.pages]
        assert sizes == expected  # A4 in points: 595.92 x 842.88, or turned
        first_sheets = [1 + sum(sheets for _, sheets, _ in layout[:n])
                        for n in range(len(layout))]
        assert bookmarks == [(title, starts[sheet - 1])
                             for (title, _, _), sheet in zip(layout, first_sheets, strict=True)]
        # each page starts on a sheet of its own, with its title and the scope's filter line
        for (title, _, _), sheet in zip(layout[1:], first_sheets[1:], strict=True):
            text = pdf_text(exported.out / f"{scope.slug}.pdf", sheet)
            heading = "Portfolio overview" if title == "Overview" else title
            assert heading in text, (title, text[:200])
            assert f"{title} · {scope.label} · week 2026-W47" in text  # the sheet's footer


def test_the_cover_names_week_scope_as_of_release_and_the_overviews_figures(exported):
    cover = pdf_text(exported.out / "manager-M02.pdf", 1, layout=True)
    digest = exported.digests["manager-M02"]
    assert cover.startswith("Key-account portfolio · week 2026-W47 Jonas Weber and team "
                            "As of 22 Nov 2026 · amounts in EUR · data release demo.duckdb (")
    for item in digest.headlines:
        assert (f"{item.label} {item.shown(item.now, 'EUR')} "
                f"{item.change(item.week_ago, 'EUR') or '–'}") in cover
    assert digest.decisions and all(d.name in cover for d in digest.decisions)


def test_a_managers_report_holds_their_accounts_as_text_and_no_other_teams(exported, demo_db):
    with duckdb.connect(str(demo_db), read_only=True, config=READ_ONLY_CONFIG) as con:
        rows = con.execute("SELECT name, manager_id IN ('M02', 'M05', 'M06', 'M07') "
                           "FROM accounts").fetchall()
    team = {name for name, mine in rows if mine}
    others = {name for name, mine in rows if not mine
              and not any(name in own for own in team)}
    text = pdf_text(exported.out / "manager-M02.pdf")
    shown = {name for name in team if name in text}
    assert len(shown) >= len(team) // 2, sorted(team - shown)  # tables and lists, as text
    assert sorted(name for name in others if name in text) == []
    whole = pdf_text(exported.out / "all.pdf")
    assert any(name in whole for name in others)


def test_the_reports_and_pictures_are_small(exported):
    """One manager's report at most 3 MB; the week's folder at most 30 MB for the demo's
    13 scopes, so at most 30 MB / 13 a scope here."""
    assert (exported.out / "manager-M02.pdf").stat().st_size <= 3 * 2**20
    folder = sum(p.stat().st_size for p in exported.out.rglob("*") if p.is_file())
    assert folder / len(exported.scopes) <= 30 * 2**20 / 13, folder
    assert not (exported.out / ".report-parts").exists()


def test_index_names_week_as_of_scope_release_and_changes(exported):
    index = (exported.out / "index.md").read_text(encoding="utf-8")
    assert "Week 2026-W47 · as of 22 Nov 2026 · data release demo.duckdb" in index
    assert "compared with the export of 2026-W46" in index
    assert "## Whole portfolio" in index and "## Jonas Weber and team" in index
    summary = json.loads((exported.out / "summary.json").read_text())
    key_accounts = summary["scopes"]["all"]["figures"]["key_accounts"]
    assert f"| Key accounts | {key_accounts:,.0f} | {key_accounts - 38:+,.0f} |" in index
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
            "('M02', 'M05', 'M06', 'M07')").fetchall()[0][0]
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
        # the account page reads its columns (a table of that name must exist: the rules
        # installed on every connection count its rows)
        con.execute("DROP TABLE deal_contacts")
        con.execute("CREATE TABLE deal_contacts (nothing INTEGER)")
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
