"""The shared filters and their life in the URL.

A view is reproducible from its address: `?manager=M02&tier=key&as_of=2026-06-30`.
Values arriving from a URL are data, never code: each is checked against the values that
exist, and anything unknown or malformed becomes a friendly notice and a sane default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

TIERS = ("strategic", "key", "standard")
KAM_STAGES = ("pre_kam", "early_kam", "mid_kam", "partnership_kam", "synergistic_kam",
              "uncoupling_kam")
LIST_KEYS = {"manager": "manager_ids", "region": "regions", "tier": "tiers",
             "stage": "kam_stages"}
AS_OF_KEY = "as_of"
FILTER_KEYS = (*LIST_KEYS, AS_OF_KEY)
MAX_VALUES = 200
MAX_VALUE_LENGTH = 120
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class FilterOptions:
    """What may be chosen: the values that exist in the served database."""

    manager_ids: frozenset[str]
    regions: frozenset[str]
    newest_on: date
    oldest_on: date


@dataclass(frozen=True)
class Filters:
    as_of: date
    manager_ids: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    kam_stages: tuple[str, ...] = ()

    def sql_params(self) -> dict[str, object]:
        """The bound parameters every dataset query understands."""
        return {"manager_ids": list(self.manager_ids), "regions": list(self.regions),
                "tiers": list(self.tiers), "kam_stages": list(self.kam_stages),
                "as_of": self.as_of}

    def narrowed(self) -> bool:
        """Whether any filter besides the as-of date narrows the accounts."""
        return bool(self.manager_ids or self.regions or self.tiers or self.kam_stages)

    def unnarrowed(self) -> Filters:
        """The same as-of date with every account in scope."""
        return Filters(as_of=self.as_of)

    def query_params(self, newest_on: date) -> dict[str, list[str]]:
        """The URL form. The as-of date is left out while it is the newest date of the
        data, so a bookmark of the current view stays current."""
        params = {key: list(getattr(self, attr)) for key, attr in LIST_KEYS.items()
                  if getattr(self, attr)}
        if self.as_of != newest_on:
            params[AS_OF_KEY] = [self.as_of.isoformat()]
        return params

    def describe(self, manager_names: Mapping[str, str],
                 leads: frozenset[str] = frozenset()) -> str:
        """One line saying what is shown, e.g. for a screenshot's header."""
        parts = [", ".join(manager_names.get(m, m) + (" and team" if m in leads else "")
                           for m in self.manager_ids) or "All managers"]
        if self.regions:
            parts.append(", ".join(self.regions))
        if self.tiers:
            parts.append(", ".join(self.tiers))
        if self.kam_stages:
            parts.append(", ".join(s.replace("_", " ") for s in self.kam_stages))
        return " · ".join(parts)


@dataclass
class ParsedFilters:
    filters: Filters
    notices: list[str] = field(default_factory=list)


def shown(value: str) -> str:
    """A URL value safe to echo in a notice: short, and without markup characters."""
    cleaned = re.sub(r"[^\w .@:+-]", "?", value[:40])
    return cleaned + ("…" if len(value) > 40 else "")


def parse_list(name: str, values: Sequence[str], allowed: frozenset[str] | Sequence[str],
               notices: list[str]) -> tuple[str, ...]:
    kept: list[str] = []
    if len(values) > MAX_VALUES:
        notices.append(f"The link had {len(values)} values for “{name}”; only the first "
                       f"{MAX_VALUES} were read.")
        values = values[:MAX_VALUES]
    for value in values:
        if len(value) > MAX_VALUE_LENGTH or value not in allowed:
            notices.append(f"Unknown {name} “{shown(value)}” in the link was ignored.")
        elif value not in kept:
            kept.append(value)
    return tuple(kept)


def parse_as_of(values: Sequence[str], options: FilterOptions, notices: list[str]) -> date:
    if not values:
        return options.newest_on
    if len(values) > 1:
        notices.append("The link gave several as-of dates; the first was used.")
    text = values[0]
    if not _ISO_DATE.fullmatch(text):
        notices.append(f"The as-of date “{shown(text)}” is not a date like 2026-06-30; "
                       "showing the newest data instead.")
        return options.newest_on
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        notices.append(f"The as-of date “{shown(text)}” does not exist; showing the newest "
                       "data instead.")
        return options.newest_on
    if not options.oldest_on <= chosen <= options.newest_on:
        notices.append(f"The data covers {options.oldest_on:%-d %b %Y} to "
                       f"{options.newest_on:%-d %b %Y}; {chosen:%-d %b %Y} is outside it, so "
                       "the newest data is shown.")
        return options.newest_on
    return chosen


def parse_query_params(raw: Mapping[str, Sequence[str]], options: FilterOptions,
                       known_other_keys: Sequence[str] = ()) -> ParsedFilters:
    """Turn URL query parameters into filters, collecting a notice for anything off."""
    notices: list[str] = []
    allowed = {"manager": options.manager_ids, "region": options.regions, "tier": TIERS,
               "stage": KAM_STAGES}
    names = {"manager": "manager", "region": "region", "tier": "tier",
             "stage": "relationship stage"}
    lists = {attr: parse_list(names[key], list(raw.get(key, ())), allowed[key], notices)
             for key, attr in LIST_KEYS.items()}
    as_of = parse_as_of(list(raw.get(AS_OF_KEY, ())), options, notices)
    for key in raw:
        if key not in FILTER_KEYS and key not in known_other_keys:
            notices.append(f"The link parameter “{shown(key)}” is not used by this dashboard "
                           "and was ignored.")
    return ParsedFilters(Filters(as_of=as_of, **lists), notices)
