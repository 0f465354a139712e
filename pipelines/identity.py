"""OpenID Connect identities: which account a person signed in at the firm's identity provider
(Keycloak, Authing, Entra ID, a WeCom/DingTalk/Feishu gateway, …) is, and the settings file
that tells the dashboard where that provider is.

The dashboard signs people in through Streamlit's own ``st.login`` (dashboard/oidc.py); the
provider vouches for the ID token's claims, and ``actor_for_claims`` maps them to an account
of the ``users`` table, whose role and scope then apply. Accounts are never created here: an
administrator adds them (``handover users add NAME --role R --email E`` or ``--subject S``).

Matching, in this order:

1. ``oidc_subject``: the account whose subject is the token's ``sub`` (compared exactly, as
   the standard says). An account with a subject is matched by it alone, never by e-mail, so a
   reused or changed e-mail address cannot take it over.
2. ``email``: the accounts without a subject whose e-mail is the token's, ignoring case and
   surrounding spaces; only when the provider has not said the address is unverified
   (``email_verified`` false refuses). Two enabled accounts with that address are ambiguous
   and refused.

A disabled account is refused. A password lockout (pipelines/accounts.py) is about guessed
passwords and does not stop a sign-in through the provider. Every attempt, signed in or
refused, is one audit entry (``signin`` with ``method: oidc``, or ``signin_failed`` with
``reason``), written in its own transaction that commits before a refusal is raised. The
subjects of one provider are unique; the table keeps no issuer, so one provider is configured
at a time and the issuer is recorded in the audit entry only.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import audit
from pipelines.access import Actor
from pipelines.errors import HandoverError, SignInError
from pipelines.store import Store

SECRETS_ENV = "HANDOVER_OIDC_SECRETS"
# what Streamlit's st.login needs in [auth] for its default (unnamed) provider
REQUIRED_KEYS = (
    "redirect_uri",
    "cookie_secret",
    "client_id",
    "client_secret",
    "server_metadata_url",
)
CALLBACK_PATH = "/oauth2callback"  # the route Streamlit serves the provider's answer on
MIN_COOKIE_SECRET = 32  # characters: the key that signs the identity cookie


# -- the settings file ----------------------------------------------------------------------


def missing_keys(auth: Mapping | None) -> list[str]:
    """The keys of ``REQUIRED_KEYS`` that the ``[auth]`` section lacks (or leaves empty)."""
    if not isinstance(auth, Mapping):
        return list(REQUIRED_KEYS)
    return [
        key
        for key in REQUIRED_KEYS
        if not isinstance(value := auth.get(key), str) or not value.strip()
    ]


def secrets_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The OpenID Connect settings file named by ``HANDOVER_OIDC_SECRETS`` (a TOML file with
    an ``[auth]`` section, as Streamlit's secrets.toml), checked; None when the variable is
    unset or empty. A missing or unreadable file, bad TOML, a missing key, a redirect URI
    not ending in /oauth2callback or a short cookie secret is a ``HandoverError``: the
    dashboard does not start with a sign-in that cannot work."""
    environ = os.environ if environ is None else environ
    value = (environ.get(SECRETS_ENV) or "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise HandoverError(
            f"{SECRETS_ENV} names {path}, which cannot be read ({error.__class__.__name__}): "
            "give the path of the OpenID Connect settings file, or unset the variable.",
            title="OpenID Connect settings missing",
            code="oidc_secrets_missing",
            params={"file": str(path), "env": SECRETS_ENV},
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise HandoverError(
            f"{path} is not a valid TOML file ({error}); nothing was started.",
            title="OpenID Connect settings invalid",
            code="oidc_secrets_invalid",
            params={"file": str(path), "detail": str(error)},
        ) from None
    auth = data.get("auth")
    lacking = missing_keys(auth)
    if lacking:
        raise HandoverError(
            f"The [auth] section of {path} lacks {', '.join(lacking)}; nothing was started.",
            title="OpenID Connect settings incomplete",
            code="oidc_secrets_incomplete",
            params={"file": str(path), "keys": ", ".join(lacking)},
        )
    assert isinstance(auth, Mapping), "missing_keys finds no key in what is not a table"
    redirect = auth["redirect_uri"].strip()
    if not redirect.startswith(("http://", "https://")) or not redirect.endswith(CALLBACK_PATH):
        raise HandoverError(
            f"redirect_uri in {path} is {redirect!r}: it must be the dashboard's address "
            f"followed by {CALLBACK_PATH} (for example http://localhost:8501{CALLBACK_PATH}), "
            "and registered so at the identity provider.",
            title="OpenID Connect redirect URI invalid",
            code="oidc_redirect_uri_invalid",
            params={"file": str(path), "uri": redirect, "path": CALLBACK_PATH},
        )
    if len(auth["cookie_secret"]) < MIN_COOKIE_SECRET:
        raise HandoverError(
            f"cookie_secret in {path} is shorter than {MIN_COOKIE_SECRET} characters: it "
            "signs the identity cookie, so a short one can be guessed. Use a long random "
            'text (python -c "import secrets; print(secrets.token_urlsafe(32))").',
            title="OpenID Connect cookie secret too short",
            code="oidc_cookie_secret_short",
            params={"file": str(path), "minimum": MIN_COOKIE_SECRET},
        )
    return path


# -- mapping an identity to an account ------------------------------------------------------


@dataclass
class _Outcome:
    actor: Actor | None = None
    error: SignInError | None = None


def _verified(value: object) -> bool | None:
    """``email_verified`` as the provider sent it: some send the strings "true"/"false"."""
    if value is None:
        return None
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("false", "0", "no"):
            return False
        if lowered in ("true", "1", "yes"):
            return True
        return None
    return bool(value)


def _rows(conn: duckdb.DuckDBPyConnection, where: str, params: list) -> list[dict]:
    cur = conn.execute(f"select * from users where {where} order by name_key", params)
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row, strict=False)) for row in cur.fetchall()]


def _unknown(identity: str) -> SignInError:
    return SignInError(
        f"No account of this dashboard belongs to {identity}: ask an administrator to add one "
        "(handover users add NAME --role ROLE --email ADDRESS).",
        title="Sign-in failed",
        code="signin_oidc_unknown",
        params={"identity": identity},
    )


def _disabled(name: str) -> SignInError:
    return SignInError(
        f"The account {name} is disabled: ask an administrator.",
        title="Account disabled",
        code="signin_disabled",
        params={"user": name},
    )


def actor_for_claims(
    store: Store,
    *,
    email: str | None,
    subject: str | None,
    issuer: str | None = None,
    email_verified: object = None,
    now: datetime | None = None,
) -> Actor:
    """The enabled account that the identity provider's claims name, as an ``Actor``; else a
    ``SignInError`` whose code says why (signin_oidc_unknown, signin_oidc_unverified,
    signin_oidc_ambiguous, signin_disabled). ``email_verified`` is the claim as sent (None:
    not sent). Every attempt is in the audit trail."""
    now = now or datetime.now()
    email = (email or "").strip() or None
    subject = (subject or "").strip() or None
    verified = _verified(email_verified)
    identity = email or subject or "-"
    claimed = {"method": "oidc", "issuer": issuer, "subject": subject, "email": email}

    def refuse(conn, who: str, reason: str, error: SignInError, **more) -> _Outcome:
        audit.record(conn, who, "signin_failed", who, at=now, reason=reason, **claimed, **more)
        return _Outcome(error=error)

    def signed_in(conn, row: dict, matched: str) -> _Outcome:
        audit.record(conn, row["name"], "signin", row["name"], at=now, matched=matched, **claimed)
        return _Outcome(actor=Actor(row["name"], row["role"], row["team"], row["staff"]))

    def write(conn: duckdb.DuckDBPyConnection) -> _Outcome:
        if subject is not None:
            bound = _rows(conn, "oidc_subject = ?", [subject])
            enabled = [row for row in bound if row["disabled_at"] is None]
            if len(enabled) > 1:
                return refuse(
                    conn,
                    identity,
                    "ambiguous",
                    _ambiguous(subject, len(enabled)),
                    accounts=[row["name"] for row in enabled],
                )
            if enabled:
                return signed_in(conn, enabled[0], "subject")
            if bound:
                return refuse(conn, bound[0]["name"], "disabled", _disabled(bound[0]["name"]))
        if email is None:
            return refuse(conn, identity, "unknown_identity", _unknown(identity))
        same = _rows(conn, "lower(trim(email)) = lower(?)", [email])
        free = [row for row in same if row["oidc_subject"] is None]
        if same and not free:  # every account of that address is bound to another subject
            return refuse(
                conn,
                identity,
                "subject_mismatch",
                _unknown(identity),
                accounts=[row["name"] for row in same],
            )
        if not free:
            return refuse(conn, identity, "unknown_identity", _unknown(identity))
        if verified is False:
            return refuse(
                conn,
                identity,
                "email_unverified",
                SignInError(
                    f"The identity provider has not verified the e-mail address {email}: verify "
                    "it there, or ask an administrator to link your account by its subject "
                    "(handover users add … --subject).",
                    title="E-mail address not verified",
                    code="signin_oidc_unverified",
                    params={"email": email},
                ),
            )
        enabled = [row for row in free if row["disabled_at"] is None]
        if len(enabled) > 1:
            return refuse(
                conn,
                identity,
                "ambiguous",
                _ambiguous(email, len(enabled)),
                accounts=[row["name"] for row in enabled],
            )
        if not enabled:
            return refuse(conn, free[0]["name"], "disabled", _disabled(free[0]["name"]))
        return signed_in(conn, enabled[0], "email")

    outcome = store.write(write, data_change=False)  # the audit trail only
    if outcome.error is not None:
        raise outcome.error
    assert outcome.actor is not None, "an outcome holds an actor or an error"
    return outcome.actor


def _ambiguous(identity: str, count: int) -> SignInError:
    return SignInError(
        f"{count} enabled accounts belong to {identity}, so it is not clear which one is "
        "yours: ask an administrator to disable the accounts that are not.",
        title="Sign-in ambiguous",
        code="signin_oidc_ambiguous",
        params={"identity": identity, "count": count},
    )


def account_state(store: Store, name: str) -> Actor | None:
    """The account ``name`` as it is now (its role may have changed since sign-in), or None
    when it is disabled or gone: read only, no audit entry. For a session that signed in
    earlier to notice a change without signing in again."""
    if not store.exists():
        return None

    def read(conn: duckdb.DuckDBPyConnection) -> Actor | None:
        has_table = conn.execute(
            "select count(*) from information_schema.tables where table_name = 'users'"
        ).fetchall()[0][0]
        if not has_table:
            return None
        rows = _rows(conn, "name_key = ? and disabled_at is null", [name.strip().lower()])
        return (
            Actor(rows[0]["name"], rows[0]["role"], rows[0]["team"], rows[0]["staff"])
            if rows
            else None
        )

    return store.read(read)
