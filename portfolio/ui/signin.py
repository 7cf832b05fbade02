"""Sign-in screens: who is looking, under the operator's settings (portfolio.core.access)."""

from __future__ import annotations

import streamlit as st

from portfolio.core.access import (
    OPEN_VIEWER,
    AccessConfig,
    AccessConfigError,
    SignIn,
    Viewer,
    resolve_viewer,
)
from portfolio.core.db import Version
from portfolio.core.filters import shown
from portfolio.ui.caches import STREAMLIT_CACHES
from portfolio.ui.errors import guarded

APP_TITLE = "Key-account portfolio health"


def identify_viewer(version: Version) -> Viewer:
    """Who is looking, under the operator's sign-in settings (portfolio.core.access). Stops the
    script with a clear message when nobody may see anything."""
    try:
        config = AccessConfig.from_env()
    except AccessConfigError as error:
        st.error(f"The dashboard's sign-in settings are wrong: {error}", icon=":material/lock:")
        st.stop()
        raise
    if config.sign_in is SignIn.OPEN:
        return OPEN_VIEWER
    email = signed_in_email(config)
    people = guarded(lambda: STREAMLIT_CACHES.query(version, "viewer_managers", {}))
    viewer = resolve_viewer(config, email, people)
    if viewer.sees_nothing:
        who = (f"You are signed in as {shown(viewer.email)}, but" if viewer.email
               else "Nobody is signed in, so")
        st.error(f"{who} no portfolio is shared with you ({viewer.reason}). Ask the person who "
                 "runs the dashboard to add your e-mail address to your manager record, or to "
                 "list you as an executive.", icon=":material/lock:")
        st.stop()
    return viewer


def signed_in_email(config: AccessConfig) -> str | None:
    if config.sign_in is SignIn.HEADER:
        return st.context.headers.get(config.header)
    if not oidc_configured():
        st.error("Sign-in is set to OpenID Connect (PORTFOLIO_SIGN_IN=oidc), but "
                 "`.streamlit/secrets.toml` has no `[auth]` section with the identity "
                 "provider's settings. See the README, section Sign-in.", icon=":material/lock:")
        st.stop()
    if not st.user.get("is_logged_in"):
        st.title(APP_TITLE)
        st.info("Sign in to see the portfolios shared with you.", icon=":material/lock:")
        st.button("Sign in", on_click=st.login, type="primary")
        st.stop()
    email = st.user.get("email")
    return str(email) if email else None


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def show_viewer(viewer: Viewer) -> None:
    if viewer.email is None:
        return
    with st.sidebar:
        st.caption(f"Signed in as **{shown(viewer.email)}** · "
                   + ("sees the whole portfolio" if viewer.sees_everything
                      else "sees their own portfolio and their team's"))
        if AccessConfig.from_env().sign_in is SignIn.OIDC:
            st.button("Sign out", on_click=st.logout)
