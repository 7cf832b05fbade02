"""Attractiveness: which accounts are worth less (or more) than their status says, which
relationships need repair, and why each account scores what it does."""

import html
from dataclasses import replace

import polars as pl
import streamlit as st

from portfolio.charts import portfolio as portfolio_charts
from portfolio.charts.theme import SUGGESTION_COLORS
from portfolio.core import fmt
from portfolio.read import decisions as decision_log
from portfolio.read import scoring, views
from portfolio.ui import (
    drawn,
    figure_metrics,
    link_column,
    money_column,
    page_context,
    say_missing_risk_sources,
    show_chart,
    show_sections,
    show_table,
)
from portfolio.ui.decisions import decision_form, show_recorded_notice

ctx = page_context("Account attractiveness")
saved = scoring.load_scoring_config()


def badge(suggestion: str) -> str:
    return (f"<span style='background:{SUGGESTION_COLORS[suggestion]};color:white;"
            f"padding:2px 10px;border-radius:10px;font-weight:600'>"
            f"{fmt.label(suggestion)}</span>")


WHAT_IF = "what_if_weights"  # the sliders' values, kept while the panel is closed


def weight_sliders(factors: tuple[scoring.Factor, ...], weights: dict[str, float],
                   prefix: str) -> dict[str, float]:
    kept = st.session_state.setdefault(WHAT_IF, {})
    chosen = {}
    for factor in factors:
        key = f"{prefix}_{factor.key}"
        if key not in st.session_state:  # Streamlit forgets a slider that was not drawn
            st.session_state[key] = kept.get(key, int(weights[factor.key]))
        kept[key] = st.slider(factor.label, 0, 40, key=key)
        chosen[factor.key] = float(kept[key])
    return chosen


def kept_weights(factors: tuple[scoring.Factor, ...], weights: dict[str, float],
                 prefix: str) -> dict[str, float]:
    kept = st.session_state.get(WHAT_IF, {})
    return {f.key: float(kept.get(f"{prefix}_{f.key}", weights[f.key])) for f in factors}


def reset_weights() -> None:
    st.session_state[WHAT_IF] = {}
    for prefix, weights in (("wa", saved.attractiveness_weights),
                            ("ws", saved.strength_weights)):
        for key, value in weights.items():
            st.session_state[f"{prefix}_{key}"] = int(value)


def what_if_panel() -> tuple[dict[str, float], dict[str, float]]:
    """The weight sliders, in a panel whose sliders are drawn only while it is open (13
    sliders were a fifth of the page's work in the browser); the chosen weights stay in
    use when it is closed."""
    panel = st.expander("What-if: change the weights (nothing is saved)",
                        icon=":material/tune:", key="what_if_panel", on_change="rerun")
    if not panel.open:
        return (kept_weights(scoring.ATTRACTIVENESS_FACTORS, saved.attractiveness_weights, "wa"),
                kept_weights(scoring.STRENGTH_FACTORS, saved.strength_weights, "ws"))
    with panel:
        st.caption("Move a slider to see how the scores and suggestions would change. Weights "
                   "are relative: they are rescaled to sum to 100. The saved weights live in "
                   "portfolio/read/scoring.toml; this page never writes them or the database.")
        left, right = st.columns(2)
        with left:
            st.markdown("**Attractiveness**")
            a_raw = weight_sliders(scoring.ATTRACTIVENESS_FACTORS, saved.attractiveness_weights,
                                   "wa")
        with right:
            st.markdown("**Relative strength**")
            s_raw = weight_sliders(scoring.STRENGTH_FACTORS, saved.strength_weights, "ws")
        for name, raw, factors in (("Attractiveness", a_raw, scoring.ATTRACTIVENESS_FACTORS),
                                   ("Relative strength", s_raw, scoring.STRENGTH_FACTORS)):
            total = sum(raw.values())
            if total and total != 100:
                shares = ", ".join(f"{f.short} {100 * raw[f.key] / total:.0f} %"
                                   for f in factors)
                st.caption(f"{name}: the sliders add up to {total:.0f}, so the weights used "
                           f"are {shares}.")
        st.button("Back to the saved weights", on_click=reset_weights, icon=":material/undo:")
    return a_raw, s_raw


a_raw, s_raw = what_if_panel()
what_if = (a_raw != saved.attractiveness_weights or s_raw != saved.strength_weights)
try:
    config = saved.with_weights(scoring.normalised_weights(a_raw),
                                scoring.normalised_weights(s_raw)) if what_if else saved
except scoring.ScoringConfigError as error:
    st.error(f"These weights cannot be used: {error}. Showing the saved weights.")
    config, what_if = saved, False



# the account page's scores too: one cache entry (what-if scores are not stored beside
# the release: each move of a slider would write another frame)
scored = (replace(ctx, stores_derivations=False) if what_if else ctx).memo_accounts(
    views.scores, config=config)
if scored.height == 0:
    st.info("No accounts match the filters.")
    st.stop()

if what_if:
    changed = scoring.suggestion_changes(
        scored, ctx.memo_accounts(views.scores, config=saved))
    names = ", ".join(f"{scoring.escape_markdown(n)} ({fmt.label(old).lower()} → "
                      f"{fmt.label(new).lower()})"
                      for n, new, old in changed.head(8).select(
                          "name", "suggestion", "saved_suggestion").iter_rows())
    more = f" and {changed.height - 8} more" if changed.height > 8 else ""
    st.info(f"**What-if weights in use.** {fmt.plural(changed.height, 'account')} would get "
            f"another suggestion than with the saved weights"
            + (f": {names}{more}." if changed.height else "."), icon=":material/tune:")

figure_metrics(ctx, ("accounts", "to_downgrade_or_drop", "to_repair", "to_upgrade",
                     "to_review", "not_enough_data"), st.columns(6), saved)
say_missing_risk_sources(ctx.held())  # under "To repair"

shown, note = portfolio_charts.matrix_selection(scored)
decision_ids = scored.filter(pl.col("suggestion") != "keep")["account_id"].to_list()
choices = list(dict.fromkeys([*decision_ids, *shown["account_id"].to_list()]))
requested = st.query_params.get("account")
if requested in scored["account_id"] and requested not in choices:
    choices.insert(0, requested)
chosen = requested if requested in choices else (choices[0] if choices else None)


def matrix_and_decisions() -> None:
    """The portfolio matrix and the accounts that need a decision, most urgent first."""
    lines = portfolio_charts.MatrixLines(config.attractiveness_from, config.strength_from)
    show_chart(drawn(portfolio_charts.portfolio_matrix, shown, lines, ctx.currency, note, chosen,
                     scored), key="attractiveness_matrix")

    states = decision_log.states(ctx, saved).select(
        "account_id", pl.when(pl.col("state") == decision_log.DEFERRED)
        .then(pl.format("{} {}", "state", pl.col("until").dt.strftime("%-d %b %Y")))
        .otherwise("state").alias("state"))
    decisions = scored.filter(pl.col("suggestion").is_in(list(scoring.DECISIONS))).join(
        states, on="account_id", how="left", maintain_order="left").filter(
        pl.col("state").is_null() | pl.col("state").is_in(list(decision_log.TO_DECIDE)))
    # (a deferral's state carries its date, so it is never among TO_DECIDE)
    st.subheader(f"{fmt.plural(decisions.height, 'account')} need a decision, most urgent first")
    st.caption("Repair (a valuable account whose relationship is damaged), drop, downgrade, "
               "upgrade, review, then the accounts with not enough data to score and those to "
               "keep; within each, by revenue. Reasons are in numbers you can check on the "
               "account and pipeline pages.")
    from_deals = scored.filter(pl.col("revenue_from_deals")).height
    if from_deals:
        st.caption(f":material/info: Revenue from won deals: no finance data imported for "
                   f"{fmt.plural(from_deals, 'account')} (column “From won deals”).")
    table = scored.join(states, on="account_id", how="left", maintain_order="left").with_columns(
        fmt.label_expr("suggestion", "tier", "suggested_tier", "risk_level"),
        pl.col("state").fill_null(pl.when(pl.col("suggestion").is_in(list(scoring.DECISIONS)))
                                  .then(pl.lit(decision_log.NEEDS))),
        pl.col("trend").round(0) + 0.0,  # no "−0"
        pl.col("reasons").list.join(" · ").alias("why"),
        ctx.account_links(scored, "pages/attractiveness.py",
                          attractiveness_tab="Why").alias("why_link"),
        ctx.account_links(scored).alias("open"),
    )
    show_table(
        table.select("suggestion", "state", "name", "why", "tier", "suggested_tier",
                     "attractiveness",
                     "trend", "strength", "quadrant", "risk_level", "revenue",
                     "revenue_from_deals", "data_coverage", "manager_name", "why_link", "open"),
        hide_index=True, width="stretch", height=420,
        column_config={
            "suggestion": "Suggestion", "state": "Decision", "name": "Account", "tier": "Tier",
            "suggested_tier": "Suggested tier",
            "attractiveness": st.column_config.ProgressColumn(
                "Attractiveness", min_value=0, max_value=100, format="%.0f"),
            "trend": st.column_config.NumberColumn("Trend, 12 m", format="%+.0f",
                                                   help="Attractiveness now minus 12 months ago"),
            "strength": st.column_config.NumberColumn("Strength", format="%.0f"),
            "quadrant": "Quadrant", "risk_level": "Risk",
            "why": st.column_config.TextColumn("Why", width="large"),
            "revenue": money_column("Revenue T12M", ctx.currency),
            "revenue_from_deals": st.column_config.CheckboxColumn(
                "From won deals", help="No finance data imported: the won deals' value stands "
                                       "in for revenue"),
            "data_coverage": st.column_config.NumberColumn(
                "Measured", format="%.0f %%",
                help="Share of the attractiveness weight measured"),
            "manager_name": "Manager",
            "open": link_column("Account page"),
            "why_link": link_column("Explain", "Why ›"),
        },
    )
    show_recorded_notice()
    if decisions.height:
        names = dict(zip(decisions["account_id"], decisions["name"], strict=True))
        pick = st.selectbox("Decide on", list(names), format_func=lambda a: names[a],
                            key="attractiveness_decide", help="The accounts that need a "
                            "decision (decided ones leave the list until the facts change)")
        if pick is not None:
            row = decisions.filter(pl.col("account_id") == pick).row(0, named=True)
            if what_if:  # the decision is on the saved weights' suggestion
                row = decision_log.account_now(ctx, saved, pick, ctx.viewer)
            decision_form(ctx, saved, row, key="attractiveness")


def why_an_account_scores() -> None:
    """One account's scores, factor by factor, now and 12 months ago."""
    st.subheader("Why an account scores what it does")
    labels = dict(zip(scored["account_id"], scored["name"], strict=True))
    pick = st.selectbox(
        "Account", choices, index=choices.index(chosen) if chosen in choices else 0,
        format_func=lambda a: f"{labels[a]} ({a})", key="attractiveness_pick",
        help="Accounts needing a decision and those drawn in the matrix; any other account "
             "through its “Why ›” link in the table.")
    if pick is None:
        return
    st.query_params["account"] = pick
    account = scored.filter(pl.col("account_id") == pick).row(0, named=True)

    head, figures = st.columns([4, 3], gap="large")
    with head:
        name = scoring.escape_markdown(html.escape(account["name"], quote=False))
        st.markdown(f"{badge(account['suggestion'])} &nbsp; **{name}** · "
                    f"{fmt.label(account['tier'])}"
                    + (f" → {fmt.label(account['suggested_tier'])}"
                       if account["suggested_tier"] != account["tier"] else ""),
                    unsafe_allow_html=True)
        for reason in account["reasons"] or ["Nothing calls for a decision: keep."]:
            st.markdown(f"- {scoring.escape_markdown(reason)}")
        if account["risk_signals"] and account["suggestion"] != "repair":
            st.markdown(f"Uncoupling risk **{account['risk_level']}** "
                        f"({account['risk_points']:g} points): "
                        + "; ".join(scoring.escape_markdown(s) for s in account["risk_signals"]))
        unmeasured = scoring.missing_in_words(account)
        if unmeasured:
            st.markdown(f"**Not measured** ({account['data_coverage']:.0f} % of the attractiveness "
                        "weight is measured; the weights of the others are rescaled):\n"
                        + "\n".join(f"- {scoring.escape_markdown(w)}" for w in unmeasured))
        st.page_link("pages/account.py", label="Open the account page",
                     icon=":material/arrow_forward:",
                     query_params={**ctx.page_params(), "account": pick})
    with figures:
        a, b, c = st.columns(3)
        trend = account["trend"]
        score = account["attractiveness"]
        a.metric("Attractiveness", "–" if score is None else f"{score:.0f}",
                 delta=None if trend is None else f"{round(trend) + 0:+d} in 12 m")
        b.metric("Strength", f"{account['strength']:.0f}"
                 if account["strength"] is not None else "–")
        c.metric("Risk", fmt.label(account["risk_level"]),
                 help=f"{account['risk_points']:g} points; high from {config.risk.high_from:g}")
        st.caption(f"Quadrant **{account['quadrant'] or '–'}** · band "
                   f"**{account['band'] or '–'}** · revenue T12M "
                   f"{fmt.money(account['revenue'], ctx.currency)}"
                   + (" (revenue from won deals: no finance data imported)"
                      if account["revenue_from_deals"] else ""))

    explained = scoring.explain_account(account, config, ctx.currency)
    show_chart(drawn(portfolio_charts.factor_contributions,
        explained, "Attractiveness", account["attractiveness"], account["prev_attractiveness"]),
        key="attractiveness_why")
    show_chart(drawn(portfolio_charts.factor_contributions,
        explained, "Relative strength", account["strength"], account["prev_strength"]),
        key="strength_why")
    show_table(
        explained.select("scorecard", "label", "weight", "state", "value_before", "value",
                         "score_before", "score", "contribution_before", "contribution",
                         "change"),
        hide_index=True, width="stretch", height=36 * (explained.height + 1) + 4,
        column_config={
            "scorecard": "Score", "label": "Factor",
            "weight": st.column_config.NumberColumn("Weight", format="%.0f %%"),
            "state": st.column_config.TextColumn(
                "Measured", help="measured; assumed: no figure 12 months earlier, counted as "
                                 "no change (50); missing: left out, the other weights rescaled"),
            "value_before": "12 months ago", "value": "Now",
            "score_before": st.column_config.NumberColumn("Score then (0-100)", format="%.0f"),
            "score": st.column_config.NumberColumn("Score now (0-100)", format="%.0f"),
            "contribution_before": st.column_config.NumberColumn("Points then", format="%.1f"),
            "contribution": st.column_config.NumberColumn("Points now", format="%.1f"),
            "change": st.column_config.NumberColumn("Change", format="%+.1f"),
        },
    )
    st.caption("Each factor's raw value is put on 0-100 between two anchors "
               "(portfolio/read/scoring.toml); its points = weight × score ÷ the weight of the "
               "factors with data. A change that cannot be measured counts as 50 (no change).")


show_sections({"Decisions": matrix_and_decisions, "Why": why_an_account_scores},
              key="attractiveness_tab")
