"""The weekly report as a document: a PDF read at 100 % on a laptop or printed on A4.

A cover (week, scope, as-of date, data release, the overview's headline figures and
decisions) composed here as a small HTML document, then each dashboard page printed by
Chromium itself (`page.pdf()`, so its text stays text) on portrait or landscape A4 pages,
each section of a page starting on a new sheet. The parts are joined with pikepdf, with a
bookmark per page.

Why Plotly charts are not clipped: `page.pdf()` lays a page out again at the paper's
width, where the charts keep the pixel width they were drawn at on screen. The print rules
below pin the main column to its on-screen width and `scale` shrinks that width onto the
paper, so every chart keeps exactly the room it was drawn for.

No Streamlit import here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pikepdf
from playwright.async_api import Page

from portfolio.read.digest import Digest

Orientation = Literal["portrait", "landscape"]
MM = 96 / 25.4  # CSS pixels per millimetre
A4_MM = (210.0, 297.0)
A4_POINTS = {"portrait": (595.92, 842.88), "landscape": (842.88, 595.92)}  # as Chromium sets
MARGIN_MM = {"top": 10.0, "bottom": 14.0, "left": 10.0, "right": 10.0}
STYLE_ID = "portfolio-print"
BREAK_ATTRIBUTE = "data-print-break"

# Print rules for a dashboard page, applied by Chromium's print layout only (the pictures
# taken on screen stay as they are). {width}: the main column's width on screen in px.
PRINT_CSS = """@media print {{
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], [data-testid="stElementToolbar"], .modebar-container,
  [data-testid="stTextInput"] {{ display: none !important; }}
  html, body, #root, [data-testid="stApp"], [data-testid="stAppViewContainer"],
  [data-testid="stMain"] {{ height: auto !important; min-height: 0 !important;
    overflow: visible !important; position: static !important; display: block !important; }}
  [data-testid="stMainBlockContainer"] {{ width: {width}px !important;
    max-width: {width}px !important; padding: 0 !important; margin: 0 !important; }}
  [data-testid="stMain"] [data-testid="stVerticalBlock"] {{ display: block !important; }}
  /* Streamlit's own print rules stack columns holding charts: keep them side by side */
  [data-testid="stHorizontalBlock"] {{ display: flex !important; flex-wrap: nowrap !important; }}
  [data-testid="stMain"] [data-testid="stVerticalBlock"] > * {{ margin-bottom: 0.8rem; }}
  [data-testid="portfolio-chart"], [data-testid="stDataFrame"], [data-testid="stMetric"],
  [data-testid="stHorizontalBlock"], [data-testid="stVerticalBlockBorderWrapper"],
  [data-testid="stAlert"], [data-testid="stHeading"], [data-testid="stCaptionContainer"],
  [data-testid="stMarkdownContainer"] p {{ break-inside: avoid; }}
  [data-testid="stHeading"] {{ break-after: avoid; }}
  [{attribute}] {{ break-before: page; }}
  [data-testid="stDataFrame"] {{ display: none !important; }}
  table.{table_class} {{ display: table !important; }}
  /* the dashboard's variable web font prints as Type 3 glyph programs, one set per page
     printed: a system font prints as one subset and keeps the report small */
  [data-testid="stMain"] *:not([data-testid="stIconMaterial"]):not(.material-symbols-rounded) {{
    font-family: "Liberation Sans", "DejaVu Sans", sans-serif !important; }}
}}"""

# The data grids draw on a canvas, which would print as a picture without text: each is
# printed as a table of the rows it shows (its accessibility table holds them), so names
# can be searched and copied, with a note of how many rows the dashboard has in all.
TABLE_CLASS = "portfolio-print-table"
TABLE_CSS = f"""table.{TABLE_CLASS} {{ display: none; border-collapse: collapse; width: 100%;
  font-size: 12px; break-inside: auto; }}
table.{TABLE_CLASS} th {{ text-align: left; font-weight: 600; color: #555;
  border-bottom: 1px solid #bbb; padding: 3px 6px; }}
table.{TABLE_CLASS} td {{ border-bottom: 1px solid #e6e6e6; padding: 3px 6px;
  vertical-align: top; }}
table.{TABLE_CLASS} td.num {{ text-align: right; white-space: nowrap; }}
table.{TABLE_CLASS} tr {{ break-inside: avoid; }}
table.{TABLE_CLASS} caption {{ caption-side: bottom; text-align: left; color: #666;
  font-size: 11px; padding-top: 3px; }}"""
GRIDS_AS_TABLES_JS = r"""(cls) => {
  document.querySelectorAll(`table.${cls}`).forEach((t) => t.remove());
  const numeric = /^[−+\-]?[€$£]?[\d.,]+(\s?(%|k|M|B|d|pt))?$/;
  let count = 0;
  for (const grid of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    const source = grid.querySelector('table[role="grid"]');
    if (!source) continue;
    const table = document.createElement('table');
    table.className = cls;
    const rows = [...source.rows];
    rows.forEach((row, index) => {
      const tr = table.insertRow();
      for (const cell of row.cells) {
        const td = document.createElement(index === 0 ? 'th' : 'td');
        let text = (cell.innerText || '').trim();
        if (index > 0 && /^(https?:\/\/|\/)/.test(text)) text = 'link on the dashboard';
        // the accessibility table holds raw numbers: 2,600,000 and 51.3, not 2600000 and
        // 51.339285714 (the grid's own formats are not in the page)
        if (index > 0 && /^-?\d+(\.\d+)?$/.test(text)) {
          text = Number(text).toLocaleString('en-US', {maximumFractionDigits: 1});
        }
        if (index > 0 && numeric.test(text)) td.className = 'num';
        td.textContent = text;
        tr.appendChild(td);
      }
    });
    const total = Number(source.getAttribute('aria-rowcount') || rows.length) - 1;
    if (total > rows.length - 1) {
      table.createCaption().textContent =
        `The first ${rows.length - 1} of ${total} rows, as the dashboard shows them.`;
    }
    grid.after(table);
    count += 1;
  }
  return count;
}"""
REMOVE_TABLES_JS = """(cls) => document.querySelectorAll(`table.${cls}`)
  .forEach((t) => t.remove())"""

# Marks where each section after the first starts (a subheader directly in the page's
# column: sections are drawn one after another in the print layout), pins the print rules
# to the main column's width and returns that width.
PREPARE_JS = """([css, styleId, attribute, tableCss]) => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  const style = getComputedStyle(main);
  const width = Math.ceil(main.clientWidth - parseFloat(style.paddingLeft)
                          - parseFloat(style.paddingRight));
  document.querySelectorAll(`[${attribute}]`).forEach((e) => e.removeAttribute(attribute));
  const headings = [...main.querySelectorAll('[data-testid="stHeading"] h3')]
    .filter((h) => !h.closest('[data-testid="stColumn"]'))
    .map((h) => h.closest('[data-testid="stElementContainer"]'))
    .filter((e) => e !== null);
  headings.slice(1).forEach((e) => e.setAttribute(attribute, ''));
  let tag = document.getElementById(styleId);
  if (!tag) {
    tag = document.createElement('style');
    tag.id = styleId;
    document.head.appendChild(tag);
  }
  tag.textContent = css.replaceAll('{width}', String(width)) + tableCss;
  return {width, sections: headings.length};
}"""

FOOTER = ("<div style=\"font-family: 'Liberation Sans', 'DejaVu Sans', sans-serif; "
          "font-size: 7.5px; color: #666; width: 100%; margin: 0 10mm; display: flex; "
          "justify-content: space-between\"><span>{text}</span><span>page "
          "<span class=pageNumber></span> of <span class=totalPages></span></span></div>")


@dataclass(frozen=True)
class PrintedPart:
    """One part of a report: a PDF file, its bookmark title and its orientation."""

    path: Path
    title: str
    orientation: Orientation


def printable_width_px(orientation: Orientation) -> float:
    width_mm = A4_MM[0] if orientation == "portrait" else A4_MM[1]
    return (width_mm - MARGIN_MM["left"] - MARGIN_MM["right"]) * MM


def print_scale(content_px: float, orientation: Orientation) -> float:
    """How much the page's column is shrunk to fit the paper's width (never enlarged;
    Chromium accepts 0.1 to 2)."""
    return max(0.1, min(1.0, printable_width_px(orientation) / max(content_px, 1.0)))


def pdf_options(orientation: Orientation, footer: str, scale: float = 1.0) -> dict:
    return {"format": "A4", "landscape": orientation == "landscape",
            "print_background": True, "scale": scale,
            "margin": {side: f"{mm}mm" for side, mm in MARGIN_MM.items()},
            "display_header_footer": True, "header_template": "<div></div>",
            "footer_template": FOOTER.format(text=html.escape(footer))}


async def print_dashboard_page(tab: Page, target: Path, orientation: Orientation,
                               title: str, footer: str) -> PrintedPart:
    """Print the finished dashboard page shown in `tab` to `target`."""
    css = PRINT_CSS.format(width="{width}", attribute=BREAK_ATTRIBUTE, table_class=TABLE_CLASS)
    laid_out = await tab.evaluate(PREPARE_JS, [css, STYLE_ID, BREAK_ATTRIBUTE, TABLE_CSS])
    await tab.evaluate(GRIDS_AS_TABLES_JS, TABLE_CLASS)
    try:
        await tab.pdf(path=target, **pdf_options(orientation, footer,
                                                 print_scale(laid_out["width"], orientation)))
    finally:  # leave the page's DOM to Streamlit as it was
        await tab.evaluate(REMOVE_TABLES_JS, TABLE_CLASS)
    return PrintedPart(target, title, orientation)


async def print_cover(tab: Page, target: Path, cover_html: str, footer: str) -> PrintedPart:
    """Print the cover (a self-contained HTML document) in a tab of its own."""
    await tab.set_content(cover_html, wait_until="load")
    await tab.evaluate("document.fonts.ready.then(() => true)")
    await tab.pdf(path=target, **pdf_options("portrait", footer))
    return PrintedPart(target, "Cover", "portrait")


def page_counts(parts: Sequence[PrintedPart]) -> list[int]:
    counts = []
    for part in parts:
        with pikepdf.open(part.path) as document:
            counts.append(len(document.pages))
    return counts


def join_parts(parts: Sequence[PrintedPart], target: Path, title: str = "") -> Path:
    """One PDF of the parts in order, with a bookmark at the start of each, written under a
    temporary name and renamed (a reader never sees half a report)."""
    documents = [pikepdf.open(part.path) for part in parts]
    try:
        with pikepdf.new() as joined:
            with joined.open_outline() as outline:
                for part, document in zip(parts, documents, strict=True):
                    outline.root.append(pikepdf.OutlineItem(part.title, len(joined.pages)))
                    joined.pages.extend(document.pages)
            if title:
                joined.docinfo["/Title"] = title
            temporary = target.with_name(f".{target.name}.tmp")
            joined.save(temporary, compress_streams=True,
                        object_stream_mode=pikepdf.ObjectStreamMode.generate)
            temporary.replace(target)
    finally:
        for document in documents:
            document.close()
    return target


# --- the cover ---------------------------------------------------------------------------

COVER_CSS = """
@page { size: A4 portrait; }
body { font-family: 'Liberation Sans', 'DejaVu Sans', sans-serif; color: #1f2430;
       font-size: 11pt; margin: 0; }
h1 { font-size: 22pt; margin: 0 0 4pt; }
h2 { font-size: 14pt; margin: 18pt 0 6pt; }
.meta { color: #555; margin: 0 0 2pt; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4pt 6pt; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { font-size: 9pt; color: #555; font-weight: normal; }
.decision { border: 1px solid #ddd; border-radius: 4pt; padding: 5pt 8pt; margin: 0 0 5pt;
            break-inside: avoid; }
.decision .why { color: #555; font-size: 9.5pt; }
.pages li { margin: 0 0 2pt; }
a { color: #1a5fb4; }
"""


@dataclass(frozen=True)
class CoverFacts:
    """What the cover says besides the figures."""

    week: str
    scope: str
    release: str
    pages: tuple[tuple[str, int], ...]  # (page title, pages in the report)
    dashboard_url: str | None = None


def decided_html(digest: Digest) -> str:
    """The decision log's week: decisions taken, accepted actions not yet done."""
    return "".join(
        f"<h2>{html.escape(title)}: {len(lines)}</h2>"
        + ("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
           if lines else "")
        for title, lines in (("Decisions this week", digest.decided_this_week),
                             ("Accepted, not yet done", digest.accepted_open)))


def cover_html(facts: CoverFacts, digest: Digest) -> str:
    cur = digest.currency
    rows = "".join(
        f"<tr><td>{html.escape(item.label)}</td><td>{html.escape(item.shown(item.now, cur))}"
        f"</td><td>{html.escape(item.change(item.week_ago, cur) or '–')}</td>"
        f"<td>{html.escape(item.change(item.year_ago, cur) or '–')}</td></tr>"
        for item in digest.headlines)
    decisions = "".join(
        f"<div class=decision><b>{html.escape(d.summary(cur))}</b>"
        f"<div class=why>{html.escape(' · '.join(d.reasons[:3]))}</div></div>"
        for d in digest.decisions) or "<p>No account needs a downgrade, drop, repair, upgrade " \
                                      "or review.</p>"
    more = (f"<p class=meta>{digest.waiting} accounts have a suggestion; the first "
            f"{len(digest.decisions)} are above.</p>"
            if digest.waiting > len(digest.decisions) else "")
    link = (f'<p class=meta>Dashboard: <a href="{html.escape(facts.dashboard_url)}">'
            f"{html.escape(facts.dashboard_url)}</a></p>" if facts.dashboard_url else "")
    contents = "".join(f"<li>{html.escape(title)}: {pages} page{'s' if pages != 1 else ''}"
                       f"</li>" for title, pages in facts.pages)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>"
            f"{html.escape(facts.scope)} · {facts.week}</title><style>{COVER_CSS}</style>"
            f"</head><body><h1>Key-account portfolio · week {html.escape(facts.week)}</h1>"
            f"<p class=meta><b>{html.escape(facts.scope)}</b></p>"
            f"<p class=meta>As of {digest.as_of:%-d %b %Y} · amounts in {html.escape(cur)} · "
            f"data release {html.escape(facts.release)}</p>{link}"
            f"<h2>Headline figures</h2><table><tr><th>Figure</th><th>This week</th>"
            f"<th>Against {digest.week_ago:%-d %b}</th><th>Against {digest.year_ago:%-d %b %Y}"
            f"</th></tr>{rows}</table>"
            f"<h2>Needs a decision this week: {digest.waiting} account"
            f"{'s' if digest.waiting != 1 else ''}</h2>{decisions}{more}"
            f"{decided_html(digest)}"
            f"<h2>In this report</h2><ul class=pages>{contents}</ul></body></html>")
