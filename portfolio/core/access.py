"""Who sees what: optional sign-in and the scope a signed-in person may see.

The operator chooses how people are identified, with environment variables read when the
dashboard starts:

- `PORTFOLIO_SIGN_IN=open` (the default): no sign-in, everyone sees the whole portfolio.
- `PORTFOLIO_SIGN_IN=oidc`: Streamlit's built-in OpenID Connect login (`[auth]` in
  `.streamlit/secrets.toml`); the person's e-mail comes from the identity provider.
- `PORTFOLIO_SIGN_IN=header`: a company's single-sign-on proxy in front of the dashboard sets
  a trusted header with the person's e-mail (`PORTFOLIO_USER_HEADER`, default
  `X-Forwarded-Email`). Only safe when the dashboard can be reached through the proxy alone.

`PORTFOLIO_EXECUTIVES` lists e-mails (comma-separated) that see everything, as does a
manager at the top of the hierarchy. A signed-in manager sees their own portfolio and those
of the managers below them. Deny by default: no e-mail, or one that matches no manager and
no executive, sees nothing. The scope travels to every query as `$visible` (see
`scoped_accounts` in queries/rules/macros.sql), so it is applied in the database, and cached
results are keyed by it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

SIGN_IN_ENV = "PORTFOLIO_SIGN_IN"


class SignIn(StrEnum):
    OPEN = "open"
    OIDC = "oidc"
    HEADER = "header"


DEFAULT_HEADER = "X-Forwarded-Email"


class AccessConfigError(ValueError):
    """The operator's sign-in settings are not valid."""


@dataclass(frozen=True)
class AccessConfig:
    sign_in: SignIn = SignIn.OPEN
    header: str = DEFAULT_HEADER
    executives: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AccessConfig:
        env = os.environ if env is None else env
        raw = env.get(SIGN_IN_ENV, "open").strip().lower() or "open"
        try:
            sign_in = SignIn(raw)
        except ValueError:
            choices = ", ".join(mode.value for mode in SignIn)
            raise AccessConfigError(
                f"PORTFOLIO_SIGN_IN={raw!r} is not a sign-in mode; use one of {choices}."
            ) from None
        header = env.get("PORTFOLIO_USER_HEADER", DEFAULT_HEADER).strip() or DEFAULT_HEADER
        executives = frozenset(normal_email(item)
                               for item in env.get("PORTFOLIO_EXECUTIVES", "").split(",")
                               if item.strip())
        return cls(sign_in, header, executives)


@dataclass(frozen=True)
class Viewer:
    """The person looking and what they may see.

    `visible` is None for everything, else the managers whose portfolios (with their teams
    below) may be seen; an empty tuple sees nothing."""

    email: str | None
    visible: tuple[str, ...] | None
    reason: str

    @property
    def sees_everything(self) -> bool:
        return self.visible is None

    @property
    def sees_nothing(self) -> bool:
        return self.visible == ()

    def sql_param(self) -> list[str] | None:
        return None if self.visible is None else list(self.visible)


OPEN_VIEWER = Viewer(None, None, "sign-in is not configured, so the dashboard is open")


def normal_email(text: str) -> str:
    return text.strip().lower()


def resolve_viewer(config: AccessConfig, email: str | None, people: pl.DataFrame) -> Viewer:
    """The scope of a person, from the `viewer_managers` query (manager_id, name, email,
    is_top). Deny by default."""
    if config.sign_in is SignIn.OPEN:
        return OPEN_VIEWER
    if not email or not email.strip():
        return Viewer(None, (), "nobody is signed in")
    email = normal_email(email)
    if email in config.executives:
        return Viewer(email, None, "listed as an executive")
    matches = people.filter(pl.col("email") == email)
    if matches.is_empty():
        return Viewer(email, (), "no manager in the portfolio has this e-mail address")
    if matches["is_top"].any():
        return Viewer(email, None, "at the top of the manager hierarchy")
    names = ", ".join(matches["name"].to_list())
    return Viewer(email, tuple(matches["manager_id"].to_list()),
                  f"signed in as {names}: their portfolio and their team's")
