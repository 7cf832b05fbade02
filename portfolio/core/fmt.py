"""Numbers and dates formatted for people: €1.2M, 87 %, 3 Mar 2026."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

MISSING = "–"  # how every figure that cannot be known is shown
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF ", "SEK": "SEK ",
                    "PLN": "PLN "}


def money(value: float | None, currency: str = "EUR") -> str:
    """Compact money: €1.2M, €350k, €900; '–' for missing."""
    if value is None:
        return MISSING
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    sign = "−" if value < 0 else ""
    amount = abs(value)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= threshold:
            scaled = amount / threshold
            text = f"{scaled:.1f}" if scaled < 100 else f"{scaled:.0f}"
            return f"{sign}{symbol}{text}{suffix}"
    return f"{sign}{symbol}{amount:.0f}"


def percent(ratio: float | None, digits: int = 0) -> str:
    """A ratio as a percentage: 0.8712 -> '87 %'."""
    if ratio is None:
        return MISSING
    return f"{ratio * 100:.{digits}f} %"


def signed_percent(ratio: float | None, digits: int = 0) -> str:
    """A change as a signed percentage: -0.35 -> '−35 %'."""
    if ratio is None:
        return MISSING
    text = f"{abs(ratio) * 100:.{digits}f} %"
    return ("+" if ratio >= 0 else "−") + text


def label_expr(*columns: str) -> pl.Expr:
    """`label` as a Polars expression over one or more columns (keeps their names).

    Pages use this rather than `map_elements(label)`: a Python function called from
    Polars' thread pool can deadlock when several sessions render tables at once."""
    words = (pl.col(*columns).replace(NAMED_CODES).str.replace_all("_", " ")
             .str.replace_all(r"\bkam\b", "KAM"))
    return words.str.slice(0, 1).str.to_uppercase() + words.str.slice(1)


def delta_percent(ratio: float | None) -> str | None:
    """A change for st.metric's delta, which reads a leading ASCII '-' as a fall."""
    if ratio is None:
        return None
    return f"{ratio * 100:+.0f} %"


def count(number: int) -> str:
    """A count with thousands separators: 162140 -> '162,140'."""
    return f"{number:,}"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def day(value: date | None) -> str:
    return value.strftime("%-d %b %Y") if value else MISSING


# Enumeration values whose name for people is not their code's words: the seed's seventh
# buying-center role is the controller ("контролеры"), who authorises what deciders or
# buyers propose; the data model calls it `approver` (Webster & Wind, Bonoma).
NAMED_CODES = {"approver": "Controller (approver)", "no_data": "No service data"}


def label(code: str | None) -> str:
    """An enumeration value for people: 'obtaining_commitment' -> 'Obtaining commitment'."""
    if not code:
        return MISSING
    if code in NAMED_CODES:
        return NAMED_CODES[code]
    words = ["KAM" if word == "kam" else word for word in code.split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def quarter_label(quarter: date, as_of: date) -> str:
    """'Q3 2026', or 'Q4 2026 (to 22 Nov)' for the quarter still running on the as-of date."""
    text = f"Q{(quarter.month - 1) // 3 + 1} {quarter.year}"
    following = quarter.month + 3
    next_quarter = date(quarter.year + (following > 12), (following - 1) % 12 + 1, 1)
    if quarter <= as_of < next_quarter - timedelta(days=1):
        text += f" (to {as_of.day} {as_of:%b})"
    return text
