"""Charts of the account portfolio: the attractiveness / relative-strength matrix with each
account's movement, the factors behind one account's score, accounts per quadrant, and
the buying-center coverage of late-stage deals. Pure (frame, ...) -> figure builders."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl

from portfolio.charts.theme import (
    QUADRANT_COLORS,
    RISK_COLORS,
    SUGGESTION_COLORS,
    add_level_line,
    base_layout,
    set_axes,
    set_props,
    with_note,
)
from portfolio.core import fmt

SUGGESTION_ORDER = ("repair", "drop", "downgrade", "upgrade", "review", "not_enough_data",
                    "keep")
QUADRANT_ACTIONS = {"Strategic": "invest", "Star": "build selectively",
                    "Status": "maintain efficiently", "Streamline": "manage for cash"}
NOW_COLOR = "#2b5d8a"      # a score's factor now
BEFORE_COLOR = "#c7c7c7"   # ... and twelve months earlier; also the movement trails
LABELLED = ("repair", "drop", "downgrade", "upgrade")
MAX_LABELS = 12
CROWDED = 80  # more bubbles than this: smaller bubbles, fewer labels and trails


@dataclass(frozen=True)
class MatrixLines:
    """Where the quadrant lines lie (portfolio/read/scoring.toml [quadrant])."""

    attractiveness_from: float
    strength_from: float


def title_room(fig: go.Figure) -> None:
    """Keep a two-line title (finding + note, theme.with_note) inside a short chart:
    base_layout puts the title at 98 % of the height, which leaves too little room above its
    first line."""
    fig.layout.title.y = 1 - 18 / (fig.layout.height or 450)


# --- the portfolio matrix ------------------------------------------------------------------

def matrix_selection(scored: pl.DataFrame, max_key: int = 150, max_decisions: int = 100,
                     max_standard: int = 25) -> tuple[pl.DataFrame, str]:
    """The accounts a person can read in the matrix, and a sentence saying which.

    Every strategic and key account while there are at most `max_key` of them; else the
    `max_decisions` largest (by revenue) needing a decision and the largest others up to
    `max_key`. Plus the `max_standard` most attractive standard accounts suggested for an
    upgrade or a repair."""
    scored = scored.filter(pl.col("attractiveness").is_not_null()
                           & pl.col("strength").is_not_null())
    key = scored.filter(pl.col("tier") != "standard")
    standard = scored.filter(pl.col("tier") == "standard")
    if key.height <= max_key:
        shown_key = key
        key_words = f"all {fmt.plural(key.height, 'strategic or key account')}"
    else:
        needing = key.filter(pl.col("suggestion") != "keep")
        kinds = max(needing["suggestion"].n_unique(), 1)
        each = -(-max_decisions // kinds)  # the largest of each suggestion, alike
        decided = needing.sort("revenue", descending=True, nulls_last=True).filter(
            pl.int_range(pl.len()).over("suggestion") < each).head(max_decisions)
        others = key.filter(~pl.col("account_id").is_in(decided["account_id"].to_list())).sort(
            "revenue", descending=True, nulls_last=True).head(max_key - decided.height)
        shown_key = pl.concat([decided, others])
        key_words = (f"{shown_key.height} of {key.height:,} strategic and key accounts: up to "
                     f"{each} of the largest for each suggestion, then the largest others")
    candidates = standard.filter(pl.col("suggestion").is_in(["upgrade", "repair"]))
    shown_standard = candidates.sort("attractiveness", descending=True).head(max_standard)
    shown = pl.concat([shown_key, shown_standard], how="vertical_relaxed").sort(
        ["priority", "revenue"], descending=[False, True], nulls_last=True)
    if standard.height == 0:
        return shown, f"Showing {key_words}."
    if shown_standard.height == 0:
        standard_words = "no standard account (none is an upgrade or repair candidate)"
    elif shown_standard.height == candidates.height:
        standard_words = (f"the {fmt.plural(shown_standard.height, 'standard account')} "
                          "suggested for an upgrade or repair")
    else:
        standard_words = (f"the {shown_standard.height} most attractive of "
                          f"{candidates.height:,} standard upgrade or repair candidates")
    rest = standard.height - shown_standard.height
    hidden = f"{rest:,} other standard account{'' if rest == 1 else 's'}"
    return shown, f"Showing {key_words}<br>and {standard_words}; {hidden} not drawn."


def portfolio_matrix(accounts: pl.DataFrame, lines: MatrixLines, currency: str,
                     note: str = "", highlight: str | None = None,
                     everyone: pl.DataFrame | None = None) -> go.Figure:
    """Attractiveness (y) against relative strength (x); bubble area = revenue T12M, colour
    = suggestion; a grey trail from each account's position twelve months earlier.
    `accounts`: the bubbles drawn (see matrix_selection); `everyone`: all scored accounts,
    whose suggestions the title counts (default: those drawn)."""
    fig = go.Figure()
    if accounts.height == 0:
        base_layout(fig, "No scored accounts in this selection", "Relative strength (0-100)",
                    "Attractiveness (0-100)", height=560)
        return fig
    crowded = accounts.height > CROWDED
    # in a crowded matrix only the accounts needing a decision show where they came from
    add_trails(fig, accounts.filter(pl.col("suggestion") != "keep") if crowded else accounts)
    largest = max(accounts["revenue"].fill_null(0).max() or 0, 1)
    totals = dict((everyone if everyone is not None else accounts)
                  .group_by("suggestion").len().iter_rows())
    for suggestion in SUGGESTION_ORDER:
        part = accounts.filter(pl.col("suggestion") == suggestion)
        if part.height:
            total = totals.get(suggestion, part.height)
            name = f"{fmt.label(suggestion)} ({part.height}" + (
                f" of {total:,})" if total > part.height else ")")
            fig.add_trace(suggestion_trace(part, suggestion, largest, currency, name,
                                           max_size=22 if crowded else 42))
    add_labels(fig, accounts, highlight)
    add_quadrants(fig, lines)
    base_layout(fig, matrix_title(accounts if everyone is None else everyone, note),
                "Relative strength with the client (0-100)",
                "Account attractiveness (0-100)", height=620)
    fig.layout.margin.t = 150 if "<br>" in note else 130
    fig.layout.legend.y = 1.01
    title_room(fig)
    set_axes(fig, "x", range=[-3, 103], zeroline=False, showgrid=False)
    set_axes(fig, "y", range=[-3, 103], zeroline=False, showgrid=False)
    return fig


def matrix_title(accounts: pl.DataFrame, note: str) -> str:
    counts = dict(accounts.group_by("suggestion").len().iter_rows())
    parts = [f"{counts[s]:,} to {s}" for s in ("downgrade", "drop", "repair") if counts.get(s)]
    upgrades = counts.get("upgrade", 0)
    if upgrades:
        parts.append(f"{upgrades:,} standard worth upgrading")
    finding = ("Accounts needing a decision: " + ", ".join(parts)) if parts else (
        "No account needs a downgrade, drop, repair or upgrade")
    return with_note(finding, note)


def add_trails(fig: go.Figure, accounts: pl.DataFrame) -> None:
    moved = accounts.drop_nulls(["prev_attractiveness", "prev_strength"])
    if moved.height == 0:
        return
    xs: list[float | None] = []
    ys: list[float | None] = []
    for x0, y0, x1, y1 in moved.select("prev_strength", "prev_attractiveness", "strength",
                                       "attractiveness").iter_rows():
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip",
                             line={"color": BEFORE_COLOR, "width": 1.2},
                             name="Movement over 12 months", legendrank=900))
    fig.add_trace(go.Scatter(
        x=moved["prev_strength"].to_list(), y=moved["prev_attractiveness"].to_list(),
        mode="markers", name="12 months ago", legendrank=901,
        marker={"symbol": "circle-open", "size": 6, "color": "#8c8c8c"},
        hovertext=[f"{n}, 12 months ago<br>attractiveness {a:.0f} · strength {s:.0f}"
                   for n, a, s in moved.select("name", "prev_attractiveness",
                                               "prev_strength").iter_rows()],
        hoverinfo="text"))


def suggestion_trace(part: pl.DataFrame, suggestion: str, largest: float, currency: str,
                     name: str, max_size: float = 42) -> go.Scatter:
    """One suggestion's bubbles; area grows with revenue T12M."""
    sizes = [6 + (max_size - 6) * ((r or 0) / largest) ** 0.5 for r in part["revenue"]]
    hover = []
    for row in part.iter_rows(named=True):
        trend = ("" if row["trend"] is None else
                 f" ({row['trend']:+.0f} in 12 months)".replace("-", "−"))
        why = f"<br>{row['reasons'][0]}" if row["reasons"] else ""
        hover.append(f"<b>{row['name']}</b> · {fmt.label(row['tier'])}<br>"
                     f"{fmt.label(suggestion)} · {row['quadrant']} quadrant<br>"
                     f"attractiveness {row['attractiveness']:.0f}{trend} · "
                     f"strength {row['strength']:.0f}<br>"
                     f"revenue T12M {fmt.money(row['revenue'], currency)} · "
                     f"risk {row['risk_level']}{why}")
    return go.Scatter(
        x=part["strength"].to_list(), y=part["attractiveness"].to_list(), mode="markers",
        name=name, legendrank=SUGGESTION_ORDER.index(suggestion),
        marker={"color": SUGGESTION_COLORS[suggestion], "size": sizes, "opacity": 0.85,
                "line": {"width": 0.8, "color": "#333"}},
        customdata=part["account_id"].to_list(), hovertext=hover, hoverinfo="text")


def add_labels(fig: go.Figure, accounts: pl.DataFrame, highlight: str | None) -> None:
    """Name the accounts that need a decision (a few) and the highlighted one."""
    limit = MAX_LABELS if accounts.height <= CROWDED else MAX_LABELS // 2
    named = accounts.filter(pl.col("suggestion").is_in(list(LABELLED))).sort(
        "revenue", descending=True, nulls_last=True).head(limit)
    placed: list[tuple[float, float, int]] = []
    for row in named.sort("attractiveness", descending=True).iter_rows(named=True):
        x, y = row["strength"], row["attractiveness"]
        # a label close to one already placed goes below its bubble instead of above
        crowded = any(abs(x - px) < 12 and abs(y - py) < 5 and shift > 0
                      for px, py, shift in placed)
        shift = -16 if crowded else 16
        placed.append((x, y, shift))
        fig.add_annotation(x=x, y=y, text=row["name"], showarrow=False, yshift=shift,
                           font={"size": 10, "color": "#333"})
    chosen = accounts.filter(pl.col("account_id") == highlight) if highlight else None
    if chosen is not None and chosen.height:
        row = chosen.row(0, named=True)
        fig.add_trace(go.Scatter(
            x=[row["strength"]], y=[row["attractiveness"]], mode="markers", hoverinfo="skip",
            name=f"Chosen: {row['name']}", legendrank=902,
            marker={"symbol": "circle-open", "size": 34, "color": "#111",
                    "line": {"width": 2.5}}))


def add_quadrants(fig: go.Figure, lines: MatrixLines) -> None:
    a, s = lines.attractiveness_from, lines.strength_from
    add_level_line(fig, "y", a, {"color": "#777", "dash": "dot", "width": 1})
    add_level_line(fig, "x", s, {"color": "#777", "dash": "dot", "width": 1})
    corners = {"Strategic": (101, 101, "right", "top"), "Star": (-1, 101, "left", "top"),
               "Status": (101, -1, "right", "bottom"), "Streamline": (-1, -1, "left", "bottom")}
    for name, (x, y, xanchor, yanchor) in corners.items():
        fig.add_annotation(x=x, y=y, xanchor=xanchor, yanchor=yanchor, showarrow=False,
                           text=f"<b>{name}</b>: {QUADRANT_ACTIONS[name]}",
                           font={"size": 12, "color": QUADRANT_COLORS[name]})


# --- why one account scores what it does -------------------------------------------------

def factor_contributions(explained: pl.DataFrame, scorecard: str, score: float | None,
                         previous: float | None) -> go.Figure:
    """Each factor's points in one score now and twelve months earlier (the points add up
    to the score); the title names the factors that moved it most."""
    rows = explained.filter(pl.col("scorecard") == scorecard)
    labels = [f"{label} ({weight:.0f} %)" for label, weight in
              rows.select("label", "weight").iter_rows()]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=rows["contribution_before"].fill_null(0).to_list(), orientation="h",
        name="12 months ago", marker_color=BEFORE_COLOR,
        hovertext=[f"{lab}<br>12 months ago: {v} → score {_num(sc)} of 100 → {_num(c, 1)} "
                   "points" for lab, v, sc, c in rows.select(
                       "label", "value_before", "score_before", "contribution_before"
                   ).iter_rows()],
        hoverinfo="text"))
    fig.add_trace(go.Bar(
        y=labels, x=rows["contribution"].fill_null(0).to_list(), orientation="h",
        name="Now", marker_color=NOW_COLOR,
        text=[f"{v}" for v in rows["value"]], textposition="outside", cliponaxis=False,
        hovertext=[f"{lab}<br>now: {v} → score {_num(sc)} of 100 → {_num(c, 1)} points"
                   for lab, v, sc, c in rows.select("label", "value", "score", "contribution"
                                                    ).iter_rows()],
        hoverinfo="text"))
    base_layout(fig, contribution_title(rows, scorecard, score, previous),
                f"Points contributed to {scorecard.lower()} (they add up to the score)",
                "Factor (weight)", height=150 + 46 * rows.height)
    fig.layout.barmode = "group"
    set_props(fig.layout.margin, l=300, r=90, t=96)
    set_props(fig.layout.legend, y=1.0, yanchor="bottom")
    title_room(fig)
    # the factor names carry the weights: no axis title needed beside them
    set_axes(fig, "y", autorange="reversed", title=None)
    return fig


def contribution_title(rows: pl.DataFrame, scorecard: str, score: float | None,
                       previous: float | None) -> str:
    if score is None:
        return f"{scorecard}: no data to score this account"
    head = f"{scorecard} {score:.0f}"
    if previous is None:
        return f"{head} (no data 12 months earlier)"
    change = score - previous
    movers = rows.drop_nulls("change").filter(
        (pl.col("change").abs() >= 0.5) & (pl.col("change").sign() == (1 if change >= 0 else -1))
    ).sort(pl.col("change").abs(), descending=True).head(3)
    direction = "up" if change >= 0 else "down"
    head += f", {direction} {abs(change):.0f} from {previous:.0f} in 12 months"
    if movers.height == 0 or abs(change) < 1:
        return head
    words = ", ".join(f"{short} {delta:+.1f}".replace("-", "−")
                      for short, delta in movers.select("short", "change").iter_rows())
    return with_note(head, f"moved most by: {words} points")


def _num(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


# --- small summaries (overview) ------------------------------------------------------------

def quadrant_summary(scored: pl.DataFrame) -> go.Figure:
    """Strategic and key accounts per quadrant, split by what is suggested for them."""
    key = scored.filter((pl.col("tier") != "standard") & pl.col("quadrant").is_not_null())
    fig = go.Figure()
    quadrants = list(QUADRANT_ACTIONS)
    counts = {(q, s): n for q, s, n in
              key.group_by("quadrant", "suggestion").len().iter_rows()}
    for suggestion in SUGGESTION_ORDER:
        values = [counts.get((q, suggestion), 0) for q in quadrants]
        if not any(values):
            continue
        fig.add_trace(go.Bar(
            x=[f"<span style='color:{QUADRANT_COLORS[q]}'><b>{q}</b></span><br>"
               + QUADRANT_ACTIONS[q].replace(" ", "<br>", 1) for q in quadrants], y=values,
            name=fmt.label(suggestion), marker_color=SUGGESTION_COLORS[suggestion],
            hovertext=[f"{q}: {n} {fmt.label(suggestion).lower()}" for q, n in
                       zip(quadrants, values, strict=True)], hoverinfo="text"))
    streamline = key.filter(pl.col("quadrant") == "Streamline").height
    # the count of suggestions is the registry's ("To downgrade or drop"): not repeated here
    title = (f"{streamline} of {fmt.plural(key.height, 'key account')} in Streamline "
             "(manage for cash)" if key.height else "No strategic or key accounts")
    base_layout(fig, title, "Quadrant (attractiveness × relative strength)",
                "Strategic and key accounts")
    fig.layout.barmode = "stack"
    set_axes(fig, "x", tickangle=0)
    return fig


def late_stage_coverage(buckets: pl.DataFrame, currency: str) -> go.Figure:
    """Late-stage deals by the number of buying-center roles covered, split by whether they
    have an active decider and an active approver (the late-stage alarm: one or both
    missing)."""
    deals = int(buckets["deals"].sum() or 0)
    blind = int(buckets["without_top"].sum() or 0)
    blind_value = float(buckets["without_top_value"].sum() or 0)
    if deals:
        mean = (buckets["roles_covered"] * buckets["deals"]).sum() / deals
        # the pipeline's coverage chart words its alarm the same way; short enough for a
        # half-width chart with five-digit counts
        title = with_note(
            f"{fmt.plural(blind, 'late-stage deal')} ({fmt.money(blind_value, currency)})"
            f" {'lacks' if blind == 1 else 'lack'} a decider or an approver",
            f"{fmt.plural(deals, 'late-stage deal')} cover {mean:.1f} of 7 "
            "buying-center roles on average")
    else:
        title = "No late-stage deals open"
    met = buckets["deals"] - buckets["without_top"]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=buckets["roles_covered"].to_list(), y=met.to_list(), name="Decider and approver met",
        marker_color=RISK_COLORS["low"],
        hovertext=[f"{r} of 7 roles covered: {n} deals with a decider and an approver met"
                   for r, n in zip(buckets["roles_covered"], met, strict=True)],
        hoverinfo="text"))
    fig.add_trace(go.Bar(
        x=buckets["roles_covered"].to_list(), y=buckets["without_top"].to_list(),
        name="Decider or approver missing", marker_color=RISK_COLORS["high"],
        hovertext=[f"{r} of 7 roles covered: {n} deals worth {fmt.money(v, currency)} with "
                   "a decider or an approver missing" for r, n, v in buckets.select(
                       "roles_covered", "without_top", "without_top_value").iter_rows()],
        hoverinfo="text"))
    base_layout(fig, title, "Buying-center roles covered (of 7)", "Late-stage deals")
    fig.layout.barmode = "stack"
    fig.layout.margin.t = 110
    set_axes(fig, "x", dtick=1)
    title_room(fig)
    return fig
