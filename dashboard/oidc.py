"""Sign-in through the firm's identity provider (OpenID Connect), with Streamlit's own
``st.login``, ``st.user`` and ``st.logout``.

Streamlit does the protocol (Authlib: discovery, authorisation code with PKCE, the signed ID
token checked against the provider's keys, nonce and issuer) from the ``[auth]`` section of
its secrets. ``handover serve`` points Streamlit at the file named by
``HANDOVER_OIDC_SECRETS`` (``streamlit_options``), checked first by
``pipelines.identity.secrets_file``. This module adds what the dashboard needs on top: the
button, and the account the ID token's claims name (``pipelines.identity.actor_for_claims``:
by subject, then by verified e-mail; never a new account), once per browser session.

The sign-in page (dashboard/signin.py) calls::

    if oidc.configured():
        oidc.offer_login()
    try:
        actor = oidc.signed_in_actor(store)   # None: nobody signed in at the provider
    except SignInError as error:              # signed in there, refused here
        show_error(error); st.caption(t("oidc.refused_hint"))
        if st.button(t("oidc.sign_in_other")): oidc.sign_out()

and ``oidc.sign_out()`` from its sign-out button when the session came from here.

Streamlit is imported inside the functions: ``handover serve`` imports this module for
``streamlit_options`` without paying for Streamlit.
"""

from __future__ import annotations

import logging
from typing import cast

from pipelines import identity
from pipelines.access import Actor
from pipelines.errors import SignInError
from pipelines.store import Store

SESSION_KEY = "_oidc_signin"  # st.session_state: the claims mapped, and the account or refusal
BUTTON_KEY = "_oidc_login_button"

log = logging.getLogger("handover.oidc")


def streamlit_options() -> list[str]:
    """The extra ``streamlit run`` options that make Streamlit read its ``[auth]`` secrets
    from the file ``HANDOVER_OIDC_SECRETS`` names (Streamlit's ``secrets.files``, in place of
    ``.streamlit/secrets.toml``); an empty list when the variable is unset or empty. A file
    that is missing, not TOML, or lacks a setting raises a ``HandoverError`` (its sentence is
    in dashboard/locales/oidc.toml): better no dashboard than a sign-in that cannot work."""
    path = identity.secrets_file()
    return [] if path is None else ["--secrets.files", str(path)]


def _auth_section():
    import streamlit as st

    try:
        if not st.secrets.load_if_toml_exists():  # no secrets file: never raises
            return None
        return st.secrets.get("auth")
    except Exception as error:  # noqa: BLE001 - a secrets file Streamlit cannot read
        log.warning(
            "the secrets file cannot be read (%s): OpenID Connect is off", error.__class__.__name__
        )
        return None


def configured() -> bool:
    """Whether Streamlit's secrets hold an ``[auth]`` section with everything ``st.login``
    needs for its default provider (redirect_uri, cookie_secret, client_id, client_secret,
    server_metadata_url). False, never an exception, without secrets."""
    return not identity.missing_keys(_auth_section())


def offer_login() -> None:
    """The button "使用单位账号登录 / Sign in with your organisation account" and a line
    under it; a click starts ``st.login()`` (the browser goes to the identity provider and
    comes back signed in). Renders nothing when OpenID Connect is not configured."""
    import streamlit as st

    from dashboard.i18n import t

    if not configured():
        return
    if st.button(t("oidc.login_button"), key=BUTTON_KEY, type="primary", icon=":material/badge:"):
        st.login()
    st.caption(t("oidc.login_help"))


def _claims() -> tuple[str | None, str | None, str | None, object]:
    import streamlit as st

    user = st.user
    # st.user types every claim as any claim's type (str | bool | TokensProxy | None); the
    # standard's iss, sub and email are strings (actor_for_claims reads them so)
    return (
        cast(str | None, user.get("iss")),
        cast(str | None, user.get("sub")),
        cast(str | None, user.get("email")),
        user.get("email_verified"),
    )


def signed_in_actor(store: Store) -> Actor | None:
    """The account of the person signed in at the identity provider, or None when nobody is
    (``st.user.is_logged_in`` false, or OpenID Connect not configured).

    A person the provider vouches for but who has no enabled account here (unknown identity,
    unverified e-mail, two accounts, disabled account) raises the ``SignInError``; the
    caller shows its sentence (``dashboard.components.show_error``) with
    ``oidc.refused_hint`` and a button "``oidc.sign_in_other``" that calls ``sign_out()``.
    This function does not call ``st.logout()`` itself: that navigates away at once, before
    the sentence could be read, and would loop through the provider, which signs the same
    person in again.

    The mapping is kept in ``st.session_state["_oidc_signin"]`` for the claims it was made
    for, the refusal too: the audit trail gets one ``signin`` (or ``signin_failed``) per
    browser session, not one per rerun. A later call re-reads the kept account (read only,
    no audit entry): a new role shows at once, and an account disabled since is mapped
    again, which refuses it (``signin_disabled``, recorded once). Faults of the database
    (``StoreError``) are raised and not kept."""
    import streamlit as st

    if not configured() or not st.user.get("is_logged_in", False):
        st.session_state.pop(SESSION_KEY, None)
        return None
    issuer, subject, email, verified = claims = _claims()
    kept = st.session_state.get(SESSION_KEY)
    if kept is not None and kept["claims"] == claims:
        if kept["error"] is not None:
            raise kept["error"]
        current = identity.account_state(store, kept["actor"].name)
        if current is not None:  # still enabled; its role as it is now
            kept["actor"] = current
            return current
        # disabled (or gone) since: mapped again below, which records one refusal
    try:
        actor = identity.actor_for_claims(
            store, email=email, subject=subject, issuer=issuer, email_verified=verified
        )
    except SignInError as error:
        st.session_state[SESSION_KEY] = {"claims": claims, "actor": None, "error": error}
        raise
    st.session_state[SESSION_KEY] = {"claims": claims, "actor": actor, "error": None}
    return actor


def signed_in_here() -> bool:
    """Whether this session's person signed in through the identity provider (so that
    signing out is ``sign_out()``)."""
    import streamlit as st

    return configured() and bool(st.user.get("is_logged_in", False))


def sign_out() -> None:
    """Forget this session's mapping and, when the session came from the identity provider,
    ``st.logout()``: Streamlit deletes its identity cookie and sends the browser to the
    provider's sign-out (its end_session_endpoint, when it has one), then back to the
    dashboard, in a new session."""
    import streamlit as st

    for key in [k for k in st.session_state if str(k).startswith("_oidc_")]:
        del st.session_state[key]
    if signed_in_here():
        st.logout()
