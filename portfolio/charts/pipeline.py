"""Charts of the large-sale pipeline and the buying center: (frame) -> figure.

Every chart states its finding in the title (computed from the data) and adds the detail
in a subtitle; bars and points carry the deal or account name and the value in their hover.
Deal-level charts put [account_id, deal_id] in `customdata`, so that a page can drill down
to the account of a clicked point.
"""

from __future__ import annotations

import math
from datetime import date

import plotly.graph_objects as go
import polars as pl

from portfolio.charts.theme import (
    ATTITUDE_COLORS,
    RISK_COLORS,
    ROLE_COLORS,
    STAGE_COLORS,
    STAGE_ORDER,
    STATUS_COLORS,
    SUBTITLE_COLOR,
    base_layout,
    money_axis_ticks,
    set_axes,
    set_props,
)
from portfolio.core import fmt
from portfolio.core.fmt import count, plural, quarter_label

OPEN_STAGE_ORDER = STAGE_ORDER[:4]
ROLE_ORDER = ("initiator", "user", "influencer", "gatekeeper", "buyer", "decider", "approver")
ROLE_STATE_ORDER = ("recent", "long_ago", "left", "never")
ATTITUDE_ORDER = ("champion", "supporter", "neutral", "skeptic", "opponent")
# Engagement states of a buying-center role in the theme's status colours: engaged recently
# is "on time", reached long ago is "late", a contact who left is "overdue", never reached
# is greyed out like a cancelled item.
ROLE_STATE_COLORS = {"recent": STATUS_COLORS["on_time"], "long_ago": STATUS_COLORS["late"],
                     "left": STATUS_COLORS["overdue"], "never": STATUS_COLORS["cancelled"]}
# What became of the deals that entered a stage: advanced like a won deal, lost like a lost
# one, still waiting like a pending item.
FATE_COLORS = {"advanced": STAGE_COLORS["won"], "lost": STAGE_COLORS["lost"],
               "still_open": STATUS_COLORS["pending"]}
CHART_HEIGHT = 460


# --- shared helpers ------------------------------------------------------------------------


def _stage_word(stage: str) -> str:
    return fmt.label(stage).lower()


def _wrapped(text: str, width: int = 14) -> str:
    """A tick label on two lines when long: 'Demonstrating<br>capability'."""
    if len(text) <= width or " " not in text:
        return text
    first, _, rest = text.partition(" ")
    return f"{first}<br>{rest}"


def _short(text: str | None, length: int) -> str:
    text = text or "–"
    return text if len(text) <= length else text[: length - 1] + "…"


def _money_axis(fig: go.Figure, currency: str, largest: float, axis: str = "y") -> None:
    """Money ticks: €500k, €2M; from a billion on spelled out (SI would say 'G'), with a
    step such that the largest value spans at most six steps up a vertical axis and four
    along a horizontal one (side by side, more labels run into each other on a narrow
    chart)."""
    if largest < 1e9:
        money_axis_ticks(fig, currency, axis)
        return
    most = 4 if axis == "x" else 6
    step = 10 ** math.floor(math.log10(largest / 4))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if largest / (step * m) <= most)
    ticks = [step * i for i in range(int(largest // step) + 2)]
    set_axes(fig, axis, tickvals=ticks, ticktext=[fmt.money(t, currency) for t in ticks])


def _finish(fig: go.Figure, detail: str | None = None, legend_rows: int = 1,
            height: int = CHART_HEIGHT) -> go.Figure:
    """Subtitle under the finding, room above the plot for title, subtitle and legend."""
    layout = fig.layout
    layout.height = height
    layout.margin.t = 40 + (22 if detail else 0) + 24 * legend_rows
    set_axes(fig, "x", tickangle=0)
    if detail:
        layout.title.subtitle = {"text": detail, "font": {"size": 12, "color": SUBTITLE_COLOR}}
    return fig


# --- charts shared with other pages ---------------------------------------------------------


def pipeline_by_stage(stages: pl.DataFrame, currency: str) -> go.Figure:
    """Value per stage (open stages, then won/lost of the last 12 months)."""
    open_rows = stages.filter(pl.col("stage_order") <= 4)
    biggest = (open_rows.sort("value", descending=True).row(0, named=True)
               if open_rows.height else None)
    total = open_rows["value"].sum()
    if biggest and total:
        title = (f"{fmt.money(total, currency)} open pipeline; most value sits in "
                 f"{fmt.label(biggest['stage']).lower()} ({fmt.money(biggest['value'], currency)})")
    else:
        title = "No open deals in this selection"
    labels = [fmt.label(s) for s in stages["stage"]]
    hover = [f"{fmt.label(s)}<br>{fmt.plural(d, 'deal')}<br>{fmt.money(v, currency)}"
             for s, d, v in stages.select("stage", "deals", "value").iter_rows()]
    fig = go.Figure(go.Bar(
        x=labels, y=stages["value"].to_list(),
        marker_color=[STAGE_COLORS[s] for s in stages["stage"]],
        text=[fmt.plural(d, "deal") for d in stages["deals"]], textposition="outside",
        hovertext=hover, hoverinfo="text",
    ))
    base_layout(fig, title, "Stage (won/lost: closed in the last 12 months)",
                f"Deal value ({currency})")
    _money_axis(fig, currency, float(stages["value"].max() or 0) if stages.height else 0)
    return fig


def coverage_scatter(coverage: pl.DataFrame, currency: str, *,
                     shown_of: int | None = None,
                     alarm_total: tuple[int, float] | None = None) -> go.Figure:
    """Each open deal: buying-center coverage against value, coloured by stage; late-stage
    deals without a decider or approver met (the alarm) ringed in red. `shown_of`: the
    number of open deals when `coverage` holds only the most valuable of them;
    `alarm_total`: the alarm's deals and value among all of them, for the title. With
    account_id and deal_id columns, clicking a point selects the deal (customdata)."""
    late = (pl.col("late_stage") if "late_stage" in coverage.columns
            else pl.col("stage").is_in(["demonstrating_capability", "obtaining_commitment"]))
    # spread the points of one coverage level a little so that they do not hide each other
    # (deterministic: by position)
    coverage = coverage.with_columns(
        (late & ~(pl.col("decider_met") & pl.col("approver_met"))).alias("_alarm"),
        (pl.col("coverage") * 100 + ((pl.int_range(pl.len()) * 7) % 11 - 5) * 0.5).alias("_x"))
    blind = coverage.filter(pl.col("_alarm"))
    alarm_deals, alarm_value = alarm_total or (blind.height, float(blind["value"].sum()))
    title = (f"{plural(alarm_deals, 'late-stage deal')} ({fmt.money(alarm_value, currency)}) "
             f"{'lacks' if alarm_deals == 1 else 'lack'} a decider or approver")
    detail = None
    if shown_of is not None and shown_of > coverage.height:
        detail = (f"{blind.height} of the {coverage.height} most valuable of "
                  f"{count(shown_of)} open deals shown here (red ring)")
    elif shown_of is not None:
        detail = "each point an open deal; red ring: the alarm"
    has_ids = {"account_id", "deal_id"} <= set(coverage.columns)

    def hover(rows: pl.DataFrame) -> list[str]:
        return [f"<b>{d}</b> · {a}<br>{fmt.money(v, currency)}, {fmt.label(s)}<br>"
                f"{r} of 7 roles covered" + ("<br><b>no decider or approver met</b>" if al else "")
                for d, a, v, s, r, al in rows.select("deal_name", "account_name", "value",
                                                      "stage", "roles_covered",
                                                      "_alarm").iter_rows()]

    fig = go.Figure()
    for stage in OPEN_STAGE_ORDER:
        rows = coverage.filter(pl.col("stage") == stage)
        if rows.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=rows["_x"].to_list(), y=rows["value"].to_list(), mode="markers",
            name=fmt.label(stage), marker={"color": STAGE_COLORS[stage], "size": 10,
                                           "line": {"width": 0.5, "color": "#333"}},
            customdata=rows.select("account_id", "deal_id").rows() if has_ids else None,
            hovertext=hover(rows), hoverinfo="text",
        ))
    if blind.height:
        fig.add_trace(go.Scatter(
            x=blind["_x"].to_list(), y=blind["value"].to_list(), mode="markers",
            name="Late stage, no decider or approver",
            marker={"color": "rgba(0,0,0,0)", "size": 15,
                    "line": {"width": 2.5, "color": RISK_COLORS["high"]}},
            customdata=blind.select("account_id", "deal_id").rows() if has_ids else None,
            hovertext=hover(blind), hoverinfo="text",
        ))
    base_layout(fig, title, "Buying-center roles covered (% of 7)", f"Deal value ({currency})")
    set_axes(fig, "x", range=[-5, 105], ticksuffix=" %")
    fig.layout.clickmode = "event+select"
    if detail:
        _finish(fig, detail, legend_rows=3)
        # two legend columns whatever the width of the plot
        set_props(fig.layout.legend, entrywidth=0.5, entrywidthmode="fraction")
    _money_axis(fig, currency, float(coverage["value"].max() or 0) if coverage.height else 0)
    return fig


# --- the pipeline page ---------------------------------------------------------------------


def stage_values(stages: pl.DataFrame, currency: str) -> go.Figure:
    """Value and weighted value per stage (`pipeline_stages`): the open stages, then won and
    lost in the last twelve months. customdata: the stage, so a click selects it."""
    open_rows = stages.filter(pl.col("stage_order") <= 4)
    weighted = open_rows["weighted_value"].sum()
    if open_rows["deals"].sum():
        biggest = open_rows.sort("value", descending=True).row(0, named=True)
        title = (f"Most open value waits in {_stage_word(biggest['stage'])}: "
                 f"{fmt.money(biggest['value'], currency)}")
        detail = (f"{fmt.money(open_rows['value'].sum(), currency)} open, "
                  f"{fmt.money(weighted, currency)} weighted; won and lost: last 12 months")
    else:
        title, detail = "No open deals in this selection", None
    labels = [fmt.label(s) for s in stages["stage"]]
    colors = [STAGE_COLORS[s] for s in stages["stage"]]
    hover = []
    for row in stages.iter_rows(named=True):
        text = (f"<b>{fmt.label(row['stage'])}</b><br>{plural(row['deals'], 'deal')}, "
                f"{fmt.money(row['value'], currency)}")
        if row["probability"] is not None:
            text += (f"<br>weighted {fmt.money(row['weighted_value'], currency)} "
                     f"(× {fmt.percent(row['probability'])})")
            if row["median_days_in_stage"] is not None:
                text += f"<br>median {row['median_days_in_stage']:.0f} days in the stage so far"
            text += "<br><i>click to list these deals</i>"
        else:
            text += "<br>closed in the last 12 months"
        hover.append(text)
    custom = [[s] for s in stages["stage"]]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=stages["value"].to_list(), name="Value",
        marker={"color": colors, "opacity": 0.45}, orientation="h",
        text=[plural(d, "deal") for d in stages["deals"]], textposition="outside",
        cliponaxis=False, hovertext=hover, hoverinfo="text", customdata=custom,
    ))
    fig.add_trace(go.Bar(
        y=labels, x=stages["weighted_value"].fill_null(0).to_list(),
        name="Weighted (value × stage probability)", marker_color=colors, width=0.4,
        orientation="h", hovertext=hover, hoverinfo="text", customdata=custom,
    ))
    base_layout(fig, title, f"Deal value ({currency})", "Stage")
    fig.layout.barmode = "overlay"
    fig.layout.clickmode = "event+select"
    set_axes(fig, "y", autorange="reversed")
    _finish(fig, detail, legend_rows=2)
    largest = float(stages["value"].max() or 0)
    _money_axis(fig, currency, largest, "x")
    set_axes(fig, "x", range=[0, (largest or 1) * 1.4])
    return fig


def _bucket_label(row: dict, as_of: date) -> str:
    """'Past<br>due', 'Nov<br>2026', 'Dec', 'Jan<br>2027', …, 'Later', 'No<br>date'."""
    if row["bucket"] == "overdue":
        return "Past<br>due"
    if row["bucket"] == "later":
        return "Later"
    if row["bucket"] == "no_date":
        return "No<br>date"
    month = row["month"]
    first = month.year == as_of.year and month.month == as_of.month
    return f"{month:%b}<br>{month:%Y}" if first or month.month == 1 else f"{month:%b}"


def _bucket_words(row: dict) -> str:
    if row["bucket"] == "month":
        return f"{row['month']:%b %Y}"
    return {"overdue": "Past due", "later": "Later", "no_date": "No date"}[row["bucket"]]


def expected_closes(closes: pl.DataFrame, as_of: date, currency: str) -> go.Figure:
    """Value of the open deals by month of expected close and stage
    (`pipeline_expected_closes`), past-due first."""
    buckets = closes.select("bucket", "month", "bucket_order").unique().sort("bucket_order")
    order = [_bucket_label(row, as_of) for row in buckets.iter_rows(named=True)]
    soon = closes.filter((pl.col("bucket") == "month") & (pl.col("bucket_order") <= 3))
    overdue = closes.filter(pl.col("bucket") == "overdue")
    if closes.height:
        title = (f"{fmt.money(soon['value'].sum(), currency)} expected to close within three "
                 f"months ({fmt.money(soon['weighted_value'].sum(), currency)} weighted)")
        detail = (f"{fmt.money(overdue['value'].sum(), currency)} in "
                  f"{plural(int(overdue['deals'].sum()), 'open deal')} is past its "
                  "expected close" if overdue.height
                  else "No open deal is past its expected close date")
    else:
        title, detail = "No open deals in this selection", None
    fig = go.Figure()
    for stage in OPEN_STAGE_ORDER:
        rows = closes.filter(pl.col("stage") == stage)
        if rows.height == 0:
            continue
        fig.add_trace(go.Bar(
            x=[_bucket_label(r, as_of) for r in rows.iter_rows(named=True)],
            y=rows["value"].to_list(), name=fmt.label(stage),
            marker_color=STAGE_COLORS[stage],
            hovertext=[
                f"<b>{_bucket_words(r)} · {fmt.label(stage)}</b>"
                f"<br>{plural(r['deals'], 'deal')}, {fmt.money(r['value'], currency)} "
                f"({fmt.money(r['weighted_value'], currency)} weighted)<br>largest: "
                f"{r['top_deal_name']} · {r['top_account_name']} "
                f"({fmt.money(r['top_deal_value'], currency)})"
                for r in rows.iter_rows(named=True)],
            hoverinfo="text",
        ))
    base_layout(fig, title, f"Month of expected close (from {fmt.day(as_of)})",
                f"Deal value ({currency})")
    fig.layout.barmode = "stack"
    set_axes(fig, "x", categoryorder="array", categoryarray=order, tickfont={"size": 11})
    _finish(fig, detail, legend_rows=0)
    # the stages' legend inside the plot, top right, where the later months are low
    set_props(fig.layout.legend, orientation="v", x=0.99, xanchor="right", y=0.99,
              yanchor="top", bgcolor="rgba(255,255,255,0.85)")
    stacked = closes.group_by("bucket_order").agg(pl.col("value").sum())["value"].max()
    _money_axis(fig, currency, float(stacked or 0))
    return fig


def _change_words(now: float, before: float) -> str:
    points = round((now - before) * 100)
    if points == 0:
        return "level with"
    return f"{'up' if points > 0 else 'down'} {abs(points)} points on"


def _quarter_tick(quarter: date, as_of: date) -> str:
    """'Q3<br>2026', or 'Q4<br>to 22 Nov' for the quarter still running on the as-of date."""
    label = quarter_label(quarter, as_of)
    if "(" in label:
        return f"{label.split()[0]}<br>{label.split('(')[1].rstrip(')')}"
    return label.replace(" ", "<br>")


def win_rate_trend(quarters: pl.DataFrame, as_of: date, currency: str) -> go.Figure:
    """Win rate per quarter, by number and by value (`pipeline_win_rate`)."""
    labels = [_quarter_tick(q, as_of) for q in quarters["quarter"]]
    last4, prior4 = quarters.tail(4), quarters.head(max(quarters.height - 4, 0)).tail(4)

    def rate(rows: pl.DataFrame) -> float | None:
        decided = rows["won"].sum() + rows["lost"].sum()
        return rows["won"].sum() / decided if decided else None

    now, before = rate(last4), rate(prior4)
    detail = None
    if now is None:
        title = "No deal was won or lost in the last four quarters"
    else:
        title = f"Win rate {fmt.percent(now)} by number over the last four quarters"
        if before is not None:
            detail = f"{_change_words(now, before)} the four before ({fmt.percent(before)})"
    hover = []
    for label, row in zip(labels, quarters.iter_rows(named=True), strict=True):
        text = (f"<b>{label.replace('<br>', ' ')}</b>: win rate "
                f"{fmt.percent(row['win_rate'])} by number, "
                f"{fmt.percent(row['win_rate_value'])} by value<br>won {row['won']} "
                f"({fmt.money(row['won_value'], currency)}), lost {row['lost']} "
                f"({fmt.money(row['lost_value'], currency)})")
        if row["top_win_name"]:
            text += (f"<br>biggest win: {row['top_win_name']} · {row['top_win_account']} "
                     f"({fmt.money(row['top_win_value'], currency)})")
        hover.append(text)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=labels, y=[None if r is None else r * 100 for r in quarters["win_rate"]],
        name="By number of deals", mode="lines+markers",
        line={"color": STAGE_COLORS["won"], "width": 3}, marker={"size": 8},
        hovertext=hover, hoverinfo="text",
    ))
    fig.add_trace(go.Scatter(
        x=labels, y=[None if r is None else r * 100 for r in quarters["win_rate_value"]],
        name="By value", mode="lines+markers",
        line={"color": STAGE_COLORS["won"], "width": 2, "dash": "dot"},
        hovertext=hover, hoverinfo="text",
    ))
    base_layout(fig, title, "Quarter of closing", "Won of the deals closed (%)")
    set_axes(fig, "y", range=[0, 100], ticksuffix=" %")
    return _finish(fig, detail)


def won_lost_by_quarter(quarters: pl.DataFrame, as_of: date, currency: str) -> go.Figure:
    """Value won and lost per quarter (`pipeline_win_rate`)."""
    labels = [_quarter_tick(q, as_of) for q in quarters["quarter"]]
    won, lost = quarters["won_value"].sum(), quarters["lost_value"].sum()
    detail = None
    if won + lost:
        worst = quarters.sort("lost_value", descending=True).row(0, named=True)
        title = (f"{fmt.money(won, currency)} won and {fmt.money(lost, currency)} lost "
                 "in eight quarters")
        detail = (f"most lost in {quarter_label(worst['quarter'], as_of)}: "
                  f"{fmt.money(worst['lost_value'], currency)} in "
                  f"{plural(worst['lost'], 'deal')}")
    else:
        title = "No deal was won or lost in the last eight quarters"
    fig = go.Figure()
    for outcome in ("won", "lost"):
        hover = []
        for label, row in zip(labels, quarters.iter_rows(named=True), strict=True):
            text = (f"<b>{label.replace('<br>', ' ')}</b>: {outcome} "
                    f"{plural(row[outcome], 'deal')}, "
                    f"{fmt.money(row[f'{outcome}_value'], currency)}")
            if outcome == "won" and row["top_win_name"]:
                text += (f"<br>biggest: {row['top_win_name']} · {row['top_win_account']} "
                         f"({fmt.money(row['top_win_value'], currency)})")
            hover.append(text)
        fig.add_trace(go.Bar(
            x=labels, y=quarters[f"{outcome}_value"].to_list(), name=fmt.label(outcome),
            marker_color=STAGE_COLORS[outcome], hovertext=hover, hoverinfo="text",
        ))
    base_layout(fig, title, "Quarter of closing", f"Deal value ({currency})")
    fig.layout.barmode = "group"
    _finish(fig, detail)
    _money_axis(fig, currency, float(max(quarters["won_value"].max() or 0,
                                         quarters["lost_value"].max() or 0)))
    return fig


def stage_conversion(conversion: pl.DataFrame, history_months: int,
                     currency: str = "EUR") -> go.Figure:
    """What became of the deals that entered each stage (`pipeline_conversion`)."""
    rows = conversion.filter(pl.col("entered") > 0)
    detail = None
    if rows.height:
        leak = rows.sort("loss_rate", descending=True).row(0, named=True)
        title = (f"Most deals leak in {_stage_word(leak['stage'])}: "
                 f"{fmt.percent(leak['loss_rate'])} lost there")
        last = conversion.row(-1, named=True)
        if last["entered"]:
            detail = (f"{fmt.percent(last['conversion'])} of the deals reaching "
                      f"{_stage_word(last['stage'])} were won; last {history_months} months")
    else:
        title = f"No deal entered a stage in the last {history_months} months"
    labels = [_wrapped(fmt.label(s)) for s in conversion["stage"]]
    fig = go.Figure()
    names = {"advanced": "Advanced", "lost": "Lost here", "still_open": "Still here"}
    for fate, name in names.items():
        shares = [(n / e * 100) if e else 0 for n, e in zip(conversion[fate],
                                                           conversion["entered"], strict=True)]
        fig.add_trace(go.Bar(
            y=labels, x=shares, name=name, orientation="h", marker_color=FATE_COLORS[fate],
            text=[f"{s:.0f} %" if s >= 9 else "" for s in shares], textposition="inside",
            insidetextanchor="middle", textangle=0,
            hovertext=[
                f"<b>{fmt.label(stage)}</b>: {count(e)} deals entered "
                f"({fmt.money(ve, currency)})<br>"
                f"advanced to a later stage or won: {count(a)} "
                f"({fmt.percent(a / e if e else None)}, {fmt.money(va, currency)})<br>"
                f"lost {count(lo)} ({fmt.money(vl, currency)}), still there {count(o)}"
                for stage, e, ve, a, va, lo, vl, o in conversion.select(
                    "stage", "entered", "value_entered", "advanced", "value_advanced", "lost",
                    "value_lost", "still_open").iter_rows()],
            hoverinfo="text",
        ))
    base_layout(fig, title, "Share of the deals that entered the stage (%)", "")
    fig.layout.barmode = "stack"
    set_axes(fig, "x", range=[0, 100], ticksuffix=" %")
    set_axes(fig, "y", categoryorder="array", categoryarray=labels[::-1])
    return _finish(fig, detail)


def time_in_stage(stage_time: pl.DataFrame, percentile_words: str) -> go.Figure:
    """Median and usual days in each open stage (`pipeline_stage_time`)."""
    rows = stage_time.filter(pl.col("median_days").is_not_null())
    detail = None
    if rows.height:
        slow = rows.sort("median_days", descending=True).row(0, named=True)
        over = int(stage_time["open_over_usual"].sum())
        title = (f"Deals wait longest in {_stage_word(slow['stage'])}: median "
                 f"{slow['median_days']:.0f} days")
        detail = (f"{plural(over, 'open deal')} {'is' if over == 1 else 'are'} in a stage "
                  f"longer than usual (longer than {percentile_words} of the stays)")
    else:
        title = "No deal left a stage in the history window"
    labels = [_wrapped(fmt.label(s)) for s in stage_time["stage"]]
    hover = []
    for row in stage_time.iter_rows(named=True):
        text = f"<b>{fmt.label(row['stage'])}</b><br>{row['finished_stays']} finished stays"
        if row["median_days"] is not None:
            text += (f": median {row['median_days']:.0f} days, "
                     f"75 % within {row['p75_days']:.0f}")
        if row["usual_days"] is not None:
            text += (f"<br>usual at most {row['usual_days']:.0f} days ({percentile_words} of "
                     f"the stays, {row['usual_scope']})")
        text += (f"<br>open now: {row['open_deals']}, {row['open_over_usual']} longer than "
                 "usual")
        hover.append(text)
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=labels, y=stage_time["median_days"].to_list(), name="Median stay",
        marker_color=[STAGE_COLORS[s] for s in stage_time["stage"]],
        text=[f"{d:.0f} d" if d is not None else "" for d in stage_time["median_days"]],
        textposition="inside", hovertext=hover, hoverinfo="text",
    ))
    fig.add_trace(go.Scatter(
        x=labels, y=stage_time["usual_days"].to_list(),
        name="Usual at most (longer = stalling)",
        mode="markers+text", marker={"symbol": "line-ew-open", "size": 44,
                                     "color": RISK_COLORS["high"],
                                     "line": {"width": 3, "color": RISK_COLORS["high"]}},
        text=[f"{d:.0f} d" if d is not None else "" for d in stage_time["usual_days"]],
        textposition="top center", hovertext=hover, hoverinfo="text",
    ))
    base_layout(fig, title, "Stage", "Days in the stage")
    top = max([d for d in stage_time["usual_days"].to_list() if d is not None] or [10])
    set_axes(fig, "y", range=[0, top * 1.2])
    return _finish(fig, detail)


def stalling_deals(stalling: pl.DataFrame, total: int, currency: str) -> go.Figure:
    """Each listed stalling deal: days without an advance against value, coloured by stage
    (customdata: account_id, deal_id)."""
    detail = None
    if stalling.height:
        by_stage = (stalling.group_by("stage").agg(pl.col("value").sum(), pl.len())
                    .sort("value", descending=True).row(0, named=True))
        top = stalling.row(0, named=True)
        title = (f"Most stalling value waits in {_stage_word(by_stage['stage'])}: "
                 f"{fmt.money(by_stage['value'], currency)} in "
                 f"{plural(by_stage['len'], 'deal')}")
        detail = (f"biggest: {top['deal_name']} · {top['account_name']} "
                  f"({fmt.money(top['value'], currency)}, {top['days_stalled']} days)")
        if total > stalling.height:
            detail += f"; the {stalling.height} most valuable of {count(total)} shown"
    else:
        title = "No stalling deals in this selection"
    fig = go.Figure()
    for stage in OPEN_STAGE_ORDER:
        rows = stalling.filter(pl.col("stage") == stage)
        if rows.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=rows["days_stalled"].to_list(), y=rows["value"].to_list(), mode="markers",
            name=fmt.label(stage),
            marker={"color": STAGE_COLORS[stage], "size": 11,
                    "line": {"width": 0.5, "color": "#333"}},
            customdata=rows.select("account_id", "deal_id").rows(),
            hovertext=[f"<b>{r['deal_name']}</b> · {r['account_name']}<br>"
                       f"{fmt.money(r['value'], currency)}, {fmt.label(r['stage'])}<br>"
                       f"{r['days_stalled']} days without an advance; last call: "
                       f"{fmt.label(r['last_outcome']).lower()}<br>owner {r['owner_name']}"
                       "<br><i>click to open the account</i>"
                       for r in rows.iter_rows(named=True)],
            hoverinfo="text",
        ))
    base_layout(fig, title, "Days without an advance or stage change",
                f"Deal value ({currency})")
    fig.layout.clickmode = "event+select"
    _finish(fig, detail, height=420)
    _money_axis(fig, currency, float(stalling["value"].max() or 0) if stalling.height else 0)
    return fig


# --- the buying-center page ------------------------------------------------------------------


def _state_words(state: str, recent_days: int) -> str:
    return {"recent": f"engaged in the last {recent_days} days", "long_ago": "reached longer ago",
            "left": "contact has left", "never": "never reached"}[state]


def _cell_hover(row: dict, role: str, state: str, attitude: str | None, contact: str | None,
                people: int, last: date | None, currency: str, recent_days: int) -> str:
    text = (f"<b>{row['deal_name']}</b> · {row['account_name']}<br>"
            f"{fmt.money(row['value'], currency)}, {fmt.label(row['stage'])}, "
            f"{row['risk']} risk<br><b>{fmt.label(role)}</b>: {_state_words(state, recent_days)}")
    if contact:
        text += f"<br>{contact}" + (f" (+{people - 1} more)" if people > 1 else "")
        text += f", {attitude or 'attitude unknown'}"
        if last:
            text += f", last engaged {fmt.day(last)}"
    return text + "<br><i>click to open the account</i>"


def coverage_grid(deals: pl.DataFrame, currency: str, recent_days: int,
                  first_rank: int = 1) -> go.Figure:
    """The deal x role grid of one page of deals (`with_roles` rows): each cell coloured by the
    role's state, a dot in the contact's attitude colour; deals top-down in the given order,
    each with a dot in its risk colour (customdata: account_id, deal_id)."""
    rows = list(deals.iter_rows(named=True))
    y_text = [f"<span style='color:{RISK_COLORS[r['risk']]}'>●</span> {first_rank + i}. "
              f"{_short(r['deal_name'], 28)} · {_short(r['account_name'], 24)} "
              f"({fmt.money(r['value'], currency)})" for i, r in enumerate(rows)]
    x_labels = [fmt.label(role) for role in ROLE_ORDER]
    # a long label ("Controller (approver)") breaks before its bracket: the columns are
    # narrow beside the deals' names, and one line would run into its neighbour's
    x_text = [f"<span style='color:{ROLE_COLORS[role]}'>■</span> {label.replace(' (', '<br>(')}"
              for role, label in zip(ROLE_ORDER, x_labels, strict=True)]
    codes = {state: i for i, state in enumerate(ROLE_STATE_ORDER)}
    z, hover, custom = [], [], []
    for r in rows:
        z.append([codes[s] for s in r["role_states"]])
        custom.append([[r["account_id"], r["deal_id"]]] * len(ROLE_ORDER))
        hover.append([_cell_hover(r, *cell, currency=currency, recent_days=recent_days)
                      for cell in zip(ROLE_ORDER, r["role_states"], r["role_attitudes"],
                                      r["role_contacts"], r["role_people"],
                                      r["role_last_contact"], strict=True)])
    scale = []
    for i, state in enumerate(ROLE_STATE_ORDER):
        low, high = i / len(ROLE_STATE_ORDER), (i + 1) / len(ROLE_STATE_ORDER)
        scale += [[low, ROLE_STATE_COLORS[state]], [high, ROLE_STATE_COLORS[state]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=x_labels, y=y_text, zmin=-0.5, zmax=len(ROLE_STATE_ORDER) - 0.5,
        colorscale=scale, showscale=False, xgap=3, ygap=3, hovertext=hover, hoverinfo="text",
        customdata=custom, name="",
    ))
    for state in ROLE_STATE_ORDER:  # legend entries for the cell colours
        fig.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers",
            name="Role " + _state_words(state, recent_days).replace("contact has", "contact"),
            marker={"color": ROLE_STATE_COLORS[state], "size": 13, "symbol": "square"},
            hoverinfo="skip",
        ))
    for attitude in ATTITUDE_ORDER:
        xs, ys, texts, cds = [], [], [], []
        for r, label, line in zip(rows, y_text, hover, strict=True):
            for i, (state, att) in enumerate(zip(r["role_states"], r["role_attitudes"],
                                                 strict=True)):
                if att == attitude and state != "never":
                    xs.append(x_labels[i])
                    ys.append(label)
                    texts.append(line[i])
                    cds.append([r["account_id"], r["deal_id"]])
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="markers", name=fmt.label(attitude),
            marker={"color": ATTITUDE_COLORS[attitude], "size": 11, "symbol": "circle",
                    "line": {"width": 1, "color": "#333"}},
            hovertext=texts, hoverinfo="text", customdata=cds,
        ))
    n = len(rows)
    no_decider = sum(1 for r in rows if not r["decider_met"])
    no_approver = sum(1 for r in rows if not r["approver_met"])
    if n:
        title = (f"{no_decider} of these {n} deals have no active decider, {no_approver} no "
                 "active approver")
        detail = (f"deals {first_rank}–{first_rank + n - 1}, riskiest first; dot before the "
                  "deal: its risk (red high, amber medium, green low)")
    else:
        title, detail = "No open deals match", None
    height = 200 + 30 * max(n, 3)
    base_layout(fig, title, "", "", height=height)
    set_axes(fig, "y", autorange="reversed", showgrid=False, tickfont={"size": 11},
             linecolor="white")
    _finish(fig, detail, legend_rows=1, height=height)
    set_axes(fig, "x", side="top", tickfont={"size": 12}, tickvals=x_labels, ticktext=x_text,
             linecolor="white")
    set_props(fig.layout.legend, orientation="h", x=0, xanchor="left", y=-0.01,
              yanchor="top")
    set_props(fig.layout.margin, l=10, r=10, t=110, b=60)
    fig.layout.clickmode = "event+select"
    return fig


def coverage_by_manager(managers: pl.DataFrame, currency: str, top: int) -> go.Figure:
    """Open value per deal owner split by buying-center risk (`buying_center_managers`),
    the owners with most value at high risk first (at most `top`)."""
    shown = managers.head(top)
    detail = None
    if shown.height:
        worst = shown.row(0, named=True)
        title = (f"{worst['owner_name']} carries the most value at high risk: "
                 f"{fmt.money(worst['high_risk_value'], currency)}")
        detail = (f"of {fmt.money(worst['value'], currency)} open; average coverage "
                  f"{fmt.percent(worst['average_coverage'])} (after each name)")
        if managers.height > top:
            detail += f"; top {top} of {managers.height} owners"
    else:
        title = "No open deals in this selection"
    labels = [f"{r['owner_name'] or r['owner_id']} · {fmt.percent(r['average_coverage'])}"
              for r in shown.iter_rows(named=True)]
    fig = go.Figure()
    for risk in ("high", "medium", "low"):
        fig.add_trace(go.Bar(
            y=labels, x=shown[f"{risk}_risk_value"].to_list(), orientation="h",
            name=f"{fmt.label(risk)} risk", marker_color=RISK_COLORS[risk],
            hovertext=[f"<b>{r['owner_name']}</b><br>{risk} risk: "
                       f"{plural(r[f'{risk}_risk_deals'], 'deal')}, "
                       f"{fmt.money(r[f'{risk}_risk_value'], currency)}<br>all open: "
                       f"{r['deals']} deals, {fmt.money(r['value'], currency)}; average "
                       f"coverage {fmt.percent(r['average_coverage'])}"
                       for r in shown.iter_rows(named=True)],
            hoverinfo="text",
        ))
    base_layout(fig, title, f"Open deal value ({currency})", "")
    fig.layout.barmode = "stack"
    set_axes(fig, "y", autorange="reversed")
    _finish(fig, detail, legend_rows=2, height=max(CHART_HEIGHT, 170 + 26 * shown.height))
    _money_axis(fig, currency, float(shown["value"].max() or 0) if shown.height else 0, "x")
    return fig
