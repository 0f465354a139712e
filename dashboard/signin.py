"""Who uses the dashboard: the sign-in page, the session's account, sign-out and idle expiry.

Every run of the app starts with ``gate()``. It returns the account (a
``pipelines.access.Actor``) this browser session is signed in as, or shows the sign-in page
and stops the run. The account is re-read from the users table on every run, so disabling an
account or changing its role takes effect at the next click.

The ways in:

- **local accounts**: name and password, checked by ``pipelines.accounts.authenticate``
  (argon2id; after 5 failures the account is locked for 15 minutes; every attempt is in the
  audit trail);
- **OpenID Connect** (dashboard/oidc.py) when the server has an ``[auth]`` secrets section;
- **the local administrator**: ``handover serve`` on a loopback address sets
  ``HANDOVER_LOCAL_ADMIN``; while no account exists, whoever opens the page is the person at
  the machine, an administrator, and every page says so. Once an account exists, everybody
  signs in.

The account lives in the server's session state under keys no widget uses; nothing the
browser sends (URL, query parameter, widget value) can set it. A session idle for longer than
``HANDOVER_SESSION_IDLE_MINUTES`` (default 480, eight hours) ends at its next click.
Reloading the page starts a new session (Streamlit keeps no state across reloads), which signs
in again.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

import streamlit as st

from dashboard import data, oidc
from dashboard.i18n import t
from pipelines import accounts, audit
from pipelines.access import Actor
from pipelines.errors import HandoverError, SignInError

log = logging.getLogger("handover.dashboard")

LOCAL_ADMIN_ENV = "HANDOVER_LOCAL_ADMIN"
IDLE_ENV = "HANDOVER_SESSION_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 8 * 60
LOOPBACK = ("127.0.0.1", "localhost", "::1")

# session-state keys: a leading underscore and no widget of the app uses them
ACCOUNT = "_signin_account"  # the account name a password or OIDC sign-in established
METHOD = "_signin_method"  # "password", "oidc" or "local"
LAST_ACTIVE = "_signin_last_active"
ACTOR = "_signin_actor"  # this run's account, for session_actor()
NOTICE = "_signin_notice"  # why the sign-in page is shown (expired, account gone…)


def idle_timeout() -> timedelta:
    raw = os.environ.get(IDLE_ENV, "").strip()
    try:
        minutes = int(raw) if raw else DEFAULT_IDLE_MINUTES
    except ValueError:
        minutes = 0
    if minutes <= 0:
        log.warning(
            "%s=%r is not a positive number of minutes; using %d",
            IDLE_ENV,
            raw,
            DEFAULT_IDLE_MINUTES,
        )
        minutes = DEFAULT_IDLE_MINUTES
    return timedelta(minutes=minutes)


def local_admin() -> Actor | None:
    """The local administrator, when this server may have one: started by ``handover serve``
    on a loopback address, and no account exists yet."""
    if os.environ.get(LOCAL_ADMIN_ENV) != "1":
        return None
    address = (st.get_option("server.address") or "").strip("[]")
    if address not in LOOPBACK:
        return None
    if data.has_accounts():
        return None
    from pipelines.access import os_user

    return Actor(f"{os_user()} (local)", "administrator")


def session_actor() -> Actor:
    """The account of this run, as ``gate()`` established it."""
    actor = st.session_state.get(ACTOR)
    if not isinstance(actor, Actor):
        raise RuntimeError("no signed-in account: the page ran without dashboard/app.py")
    return actor


def is_local_admin() -> bool:
    return st.session_state.get(METHOD) == "local"


def gate() -> Actor | None:
    """The signed-in account of this run, or None after showing why nobody is (the caller
    then shows the sign-in page and stops)."""
    state = st.session_state
    state.pop(ACTOR, None)
    now = datetime.now()
    name = state.get(ACCOUNT)
    if name and state.get(METHOD) in ("password", "oidc"):
        last = state.get(LAST_ACTIVE)
        if last is not None and now - last > idle_timeout():
            method = state.get(METHOD)
            _end(name, "session_expired", idle_minutes=int(idle_timeout().total_seconds() // 60))
            state[NOTICE] = "signin.expired"
            if method == "oidc":  # else the provider's cookie signs the session straight in
                oidc.sign_out()
            return None
        actor = data.active_user(name)
        if actor is None:
            _end(name, None)
            state[NOTICE] = "signin.account_gone"
            return None
        state[LAST_ACTIVE] = now
        state[ACTOR] = actor
        return actor
    if oidc.configured():
        try:
            actor = oidc.signed_in_actor(data.store())
        except SignInError as error:
            state["_signin_error"] = error
            actor = None
        if actor is not None:
            _start(actor, "oidc")
            state[ACTOR] = actor
            return actor
        if _foreign_identity_cookie():
            state[NOTICE] = "signin.foreign_cookie"
    local = local_admin()
    if local is not None:
        state[METHOD], state[ACTOR] = "local", local
        return local
    if state.get(METHOD) == "local":  # an account was created meanwhile: sign in
        state.pop(METHOD, None)
        state[NOTICE] = "signin.accounts_now"
    return None


IDENTITY_COOKIE = "_streamlit_user"  # Streamlit's signed identity cookie (st.login)


def _foreign_identity_cookie() -> bool:
    """The browser sent an identity cookie that this server did not sign (another server's,
    or altered): Streamlit ignores it; the attempt is recorded once per session."""
    try:
        sent = IDENTITY_COOKIE in st.context.cookies
    except Exception:  # noqa: BLE001 (no request context, e.g. under AppTest)
        return False
    if not sent or st.user.is_logged_in:
        return False
    if not st.session_state.get("_signin_foreign_recorded"):
        try:
            audit.append(
                data.store(), None, "signin_failed", None, reason="foreign_cookie", method="oidc"
            )
        except HandoverError as error:
            log.warning("could not record a foreign identity cookie: %s", error)
        st.session_state["_signin_foreign_recorded"] = True
    return True


def _start(actor: Actor, method: str) -> None:
    state = st.session_state
    state[ACCOUNT], state[METHOD], state[LAST_ACTIVE] = actor.name, method, datetime.now()
    state.pop(NOTICE, None)


def _end(name: str, action: str | None, **detail) -> None:
    """Forget the session's account; ``action`` (sign_out, session_expired) goes to the
    audit trail."""
    for key in (ACCOUNT, METHOD, LAST_ACTIVE, ACTOR):
        st.session_state.pop(key, None)
    if action:
        try:
            audit.append(data.store(), name, action, name, **detail)
        except HandoverError as error:  # the sign-out itself must not fail
            log.warning("could not record %s of %s: %s", action, name, error)


def sign_out() -> None:
    method, name = st.session_state.get(METHOD), st.session_state.get(ACCOUNT)
    if name:
        _end(name, "sign_out", method=method)
    if method == "oidc":
        oidc.sign_out()
    st.session_state[NOTICE] = "signin.signed_out"


def sidebar_account(actor: Actor) -> None:
    """Who is signed in, and the sign-out button (not for the local administrator)."""
    side = st.sidebar
    if is_local_admin():
        side.warning(t("signin.local_admin", user=actor.name), icon=":material/person:")
        return
    side.caption(t("signin.signed_in_as", user=actor.name, role=t(f"roles.{actor.role}")))
    if side.button(t("signin.sign_out"), icon=":material/logout:", key="signin_sign_out"):
        sign_out()
        st.rerun()


def sign_in_page() -> None:
    """The sign-in form (and the organisation's sign-in, when configured)."""
    state = st.session_state
    st.title(t("app.title"))
    st.subheader(t("signin.title"))
    notice = state.pop(NOTICE, None)
    if notice:
        st.info(t(notice), icon=":material/info:")
    error = state.pop("_signin_error", None)
    if error is not None:  # signed in at the identity provider, refused here
        from dashboard.components import show_error

        show_error(error)
        st.caption(t("oidc.refused_hint"))
        if st.button(
            t("oidc.sign_in_other"), icon=":material/switch_account:", key="signin_oidc_other"
        ):
            oidc.sign_out()
    if not data.has_accounts():
        st.warning(t("signin.no_accounts"), icon=":material/person_off:")
        return
    with st.form("signin_form", clear_on_submit=True, enter_to_submit=True):
        name = st.text_input(
            t("signin.name"),
            value=state.get("_signin_last_name", ""),
            max_chars=accounts.MAX_NAME_LENGTH,
            autocomplete="username",
        )
        password = st.text_input(
            t("signin.password"), type="password", max_chars=1024, autocomplete="current-password"
        )
        submitted = st.form_submit_button(
            t("signin.submit"), type="primary", icon=":material/login:"
        )
    if submitted:
        state["_signin_last_name"] = name
        try:
            actor = accounts.authenticate(data.store(), name, password)
        except SignInError as refused:
            from dashboard.components import show_error

            show_error(refused)
        else:
            state.pop("_signin_last_name", None)
            _start(actor, "password")
            st.rerun()
    if error is None and oidc.configured():
        st.divider()
        oidc.offer_login()
