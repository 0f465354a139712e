"""Local accounts: users stored in the database with an argon2id password hash.

Passwords are hashed with argon2-cffi's ``PasswordHasher`` (argon2id, its recommended
parameters), never stored or logged as typed, and never have a default. ``authenticate``
checks a password and returns the account as an ``Actor``; after ``MAX_FAILURES``
consecutive failures the account is locked for ``LOCKOUT``. Every change to an account and
every sign-in, failed sign-in and lockout is written to the audit trail in the same
transaction as the change.

A failed sign-in must be remembered although it is refused: its transaction commits, and
the refusal is raised after it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pipelines import access, audit
from pipelines.access import Actor
from pipelines.errors import AccountError, SignInError
from pipelines.store import Store

MAX_FAILURES = 5  # consecutive failed passwords before a lockout
LOCKOUT = timedelta(minutes=15)  # how long a lockout lasts
MIN_PASSWORD_LENGTH = 10
MAX_NAME_LENGTH = 64

hasher = PasswordHasher()  # argon2id with argon2-cffi's recommended parameters
_dummy_hash: str | None = None  # verified against for unknown users: the same time taken

USER_COLUMNS = [
    "name",
    "display_name",
    "role",
    "team",
    "staff",
    "email",
    "oidc_subject",
    "disabled_at",
    "failed_count",
    "locked_until",
    "created_at",
    "updated_at",
]


# -- checks on what is given ----------------------------------------------------------------


def check_name(name: str) -> str:
    name = (name or "").strip()
    bad = [ch for ch in name if unicodedata.category(ch)[0] in "CZ" and ch != " "]
    if not name or len(name) > MAX_NAME_LENGTH or bad:
        raise AccountError(
            f"{name!r} cannot be a user name: give 1 to {MAX_NAME_LENGTH} characters without "
            "line breaks, tabs or other control characters.",
            title="Invalid user name",
            code="user_name_invalid",
            params={"user": name, "limit": MAX_NAME_LENGTH},
        )
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"The password is too short: a password needs at least {MIN_PASSWORD_LENGTH} "
            "characters; nothing was changed.",
            title="Password too short",
            code="password_too_short",
            params={"minimum": MIN_PASSWORD_LENGTH},
        )
    return password


def check_role(
    role: str, team: str | None, staff: str | None
) -> tuple[str, str | None, str | None]:
    """The role, team and staff name an account may be given: a role limited to a team needs
    the team, one limited to its own handovers the staff name."""
    spec = access.role(role)  # raises role_unknown
    team = (team or "").strip() or None
    staff = (staff or "").strip() or None
    if spec.scope == "team" and not team:
        raise AccountError(
            f"The role {role} sees one team's handovers: name the team with --team.",
            title="Team missing",
            code="role_needs_team",
            params={"role": role},
        )
    if spec.scope == "own" and not staff:
        raise AccountError(
            f"The role {role} sees the handovers of one member of staff: name them with "
            "--staff (as written in the handover log).",
            title="Staff name missing",
            code="role_needs_staff",
            params={"role": role},
        )
    return role, team, staff


def _unknown_user(name: str) -> AccountError:
    return AccountError(
        f"There is no user {name!r}: `handover users list` lists them.",
        title="Unknown user",
        code="user_unknown",
        params={"user": name},
    )


def _find(conn: duckdb.DuckDBPyConnection, name: str) -> dict | None:
    cur = conn.execute("select * from users where name_key = ?", [name.strip().lower()])
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=False))


def _existing(conn: duckdb.DuckDBPyConnection, name: str) -> dict:
    found = _find(conn, name)
    if found is None:
        raise _unknown_user(name)
    return found


def _actor(row: dict) -> Actor:
    return Actor(row["name"], row["role"], row["team"], row["staff"])


def has_accounts(store: Store) -> bool:
    """At least one account exists (enabled or not). Reads only: never creates the
    database."""
    return bool(
        store.exists()
        and _has_users_table(store)
        and store.query("select count(*) from users").rows[0][0]
    )


def active_user(store: Store, name: str) -> Actor | None:
    """The account ``name`` as it is now, or None when it no longer exists or is disabled:
    what a signed-in session re-reads on every page, so that disabling an account or
    changing its role takes effect at once."""
    if not (store.exists() and _has_users_table(store)):
        return None
    row = store.read(lambda conn: _find(conn, name))
    if row is None or row["disabled_at"] is not None:
        return None
    return _actor(row)


# -- managing accounts ----------------------------------------------------------------------


def add_user(
    store: Store,
    name: str,
    password: str | None,
    role: str,
    *,
    team: str | None = None,
    staff: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    oidc_subject: str | None = None,
    actor: Actor | None = None,
) -> Actor:
    """Create an account. ``password`` None: an account that signs in through OpenID Connect
    only (it has no password, so no password can sign it in); it needs an e-mail address or
    a subject. ``oidc_subject`` (the provider's ``sub``) belongs to one account at most."""
    by = access.acting(actor, "manage_users").name
    name = check_name(name)
    role, team, staff = check_role(role, team, staff)
    oidc_subject = (oidc_subject or "").strip() or None
    if password is None and not (email or "").strip() and oidc_subject is None:
        raise AccountError(
            f"An account without a password signs in through OpenID Connect only: give "
            f"{name} an e-mail address (--email) or a subject (--subject).",
            title="Identity missing",
            code="user_oidc_needs_identity",
            params={"user": name},
        )
    password_hash = hasher.hash(check_password(password)) if password is not None else None
    now = datetime.now()

    def write(conn: duckdb.DuckDBPyConnection) -> Actor:
        if _find(conn, name) is not None:
            raise AccountError(
                f"There is already a user {name!r} (names ignore case).",
                title="User exists",
                code="user_exists",
                params={"user": name},
            )
        if oidc_subject is not None:
            holder = conn.execute(
                "select name from users where oidc_subject = ?", [oidc_subject]
            ).fetchone()
            if holder is not None:
                raise AccountError(
                    f"The OpenID Connect subject {oidc_subject!r} already belongs to the user "
                    f"{holder[0]}: a subject names one person.",
                    title="Subject in use",
                    code="user_subject_exists",
                    params={"subject": oidc_subject, "user": holder[0]},
                )
        conn.execute(
            "insert into users (name, name_key, display_name, role, team, staff, email, "
            "oidc_subject, password_hash, created_at, updated_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                name,
                name.lower(),
                display_name or None,
                role,
                team,
                staff,
                email or None,
                oidc_subject or None,
                password_hash,
                now,
                now,
            ],
        )
        audit.record(conn, by, "user_add", name, role=role, team=team, staff=staff, at=now)
        return Actor(name, role, team, staff)

    return store.write(write)


def list_users(store: Store) -> pd.DataFrame:
    """Every account, by name, without password hashes."""
    if not store.exists():
        return pd.DataFrame(columns=USER_COLUMNS)
    if not _has_users_table(store):
        return pd.DataFrame(columns=USER_COLUMNS)
    frame = store.query_df(f"select {', '.join(USER_COLUMNS)} from users order by name_key")
    return frame.astype(object).where(frame.notna(), None)


def _has_users_table(store: Store) -> bool:
    """False for a database of an earlier release not yet written to (reads never migrate)."""
    return bool(
        store.query(
            "select count(*) from information_schema.tables where table_name = 'users'"
        ).rows[0][0]
    )


def get_user(store: Store, name: str) -> Actor:
    row = (
        store.read(lambda conn: _find(conn, name))
        if store.exists() and _has_users_table(store)
        else None
    )
    if row is None:
        raise _unknown_user(name)
    return _actor(row)


def set_password(store: Store, name: str, password: str, *, actor: Actor | None = None) -> None:
    """Replace the password; also ends a lockout and clears the failure count."""
    by = access.acting(actor, "manage_users").name
    password_hash = hasher.hash(check_password(password))
    now = datetime.now()

    def write(conn: duckdb.DuckDBPyConnection) -> None:
        row = _existing(conn, name)
        conn.execute(
            "update users set password_hash = ?, failed_count = 0, "
            "locked_until = null, updated_at = ? where name_key = ?",
            [password_hash, now, row["name_key"]],
        )
        audit.record(conn, by, "user_passwd", row["name"], at=now)

    store.write(write)


def disable_user(store: Store, name: str, *, actor: Actor | None = None) -> bool:
    """Disable an account (it can no longer sign in; its history stays). False when it was
    already disabled."""
    by = access.acting(actor, "manage_users").name
    now = datetime.now()

    def write(conn: duckdb.DuckDBPyConnection) -> bool:
        row = _existing(conn, name)
        if row["disabled_at"] is not None:
            return False
        conn.execute(
            "update users set disabled_at = ?, updated_at = ? where name_key = ?",
            [now, now, row["name_key"]],
        )
        audit.record(conn, by, "user_disable", row["name"], at=now)
        return True

    return store.write(write)


def set_role(
    store: Store,
    name: str,
    role: str,
    *,
    team: str | None = None,
    staff: str | None = None,
    actor: Actor | None = None,
) -> Actor:
    """Give an account another role (and the team or staff name its scope needs)."""
    by = access.acting(actor, "manage_users").name
    role, team, staff = check_role(role, team, staff)
    now = datetime.now()

    def write(conn: duckdb.DuckDBPyConnection) -> Actor:
        row = _existing(conn, name)
        conn.execute(
            "update users set role = ?, team = ?, staff = ?, updated_at = ? where name_key = ?",
            [role, team, staff, now, row["name_key"]],
        )
        audit.record(
            conn,
            by,
            "user_role",
            row["name"],
            at=now,
            role=role,
            team=team,
            staff=staff,
            previous_role=row["role"],
        )
        return Actor(row["name"], role, team, staff)

    return store.write(write)


# -- signing in -----------------------------------------------------------------------------


@dataclass
class _Outcome:
    actor: Actor | None = None
    error: SignInError | None = None


def _wrong(name: str, unknown: bool = False) -> SignInError:
    # unknown user and wrong password read alike to the person signing in (their codes
    # differ, for the audit trail and tests): the sentence does not reveal which names exist
    if unknown:
        return SignInError(
            "Wrong user name or password.",
            title="Sign-in failed",
            code="signin_unknown_user",
            params={"user": name},
        )
    return SignInError(
        "Wrong user name or password.",
        title="Sign-in failed",
        code="signin_wrong_password",
        params={"user": name},
    )


def _locked(name: str, until: datetime) -> SignInError:
    return SignInError(
        f"The account {name} is locked after {MAX_FAILURES} failed sign-ins until "
        f"{until:%Y-%m-%d %H:%M}; try again then, or ask an administrator to set a new "
        "password.",
        title="Account locked",
        code="signin_locked",
        params={"user": name, "until": f"{until:%Y-%m-%d %H:%M}", "failures": MAX_FAILURES},
    )


def _verify(password_hash: str | None, password: str) -> bool:
    global _dummy_hash
    if password_hash is None:  # unknown user, or an OIDC-only account: spend the same time
        if _dummy_hash is None:
            _dummy_hash = hasher.hash("not a password of anyone")
        password_hash = _dummy_hash
        try:
            hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(store: Store, name: str, password: str, now: datetime | None = None) -> Actor:
    """The account ``name`` if ``password`` is its password; else a ``SignInError`` whose
    code says why (signin_unknown_user, signin_disabled, signin_wrong_password,
    signin_locked). Every attempt is in the audit trail."""
    now = now or datetime.now()
    name = (name or "").strip()

    def write(conn: duckdb.DuckDBPyConnection) -> _Outcome:
        row = _find(conn, name) if name else None
        if row is None:
            _verify(None, password)
            audit.record(conn, name, "signin_failed", name, at=now, reason="unknown_user")
            return _Outcome(error=_wrong(name, unknown=True))
        who, key = row["name"], row["name_key"]
        if row["locked_until"] is not None and now < row["locked_until"]:
            audit.record(conn, who, "signin_failed", who, at=now, reason="locked")
            return _Outcome(error=_locked(who, row["locked_until"]))
        if not _verify(row["password_hash"], password):
            failures = (row["failed_count"] or 0) + 1
            audit.record(
                conn, who, "signin_failed", who, at=now, reason="wrong_password", failures=failures
            )
            if failures >= MAX_FAILURES:
                until = now + LOCKOUT
                conn.execute(
                    "update users set failed_count = 0, locked_until = ? where name_key = ?",
                    [until, key],
                )
                audit.record(conn, who, "lockout", who, at=now, until=until, failures=failures)
                return _Outcome(error=_locked(who, until))
            conn.execute("update users set failed_count = ? where name_key = ?", [failures, key])
            return _Outcome(error=_wrong(who))
        if row["disabled_at"] is not None:
            audit.record(conn, who, "signin_failed", who, at=now, reason="disabled")
            return _Outcome(
                error=SignInError(
                    f"The account {who} is disabled: ask an administrator.",
                    title="Account disabled",
                    code="signin_disabled",
                    params={"user": who},
                )
            )
        new_hash = (
            hasher.hash(password)
            if hasher.check_needs_rehash(row["password_hash"])
            else row["password_hash"]
        )
        conn.execute(
            "update users set failed_count = 0, locked_until = null, "
            "password_hash = ? where name_key = ?",
            [new_hash, key],
        )
        audit.record(conn, who, "signin", who, at=now)
        return _Outcome(actor=_actor(row))

    outcome = store.write(write, data_change=False)  # sign-in state and the trail only
    if outcome.error is not None:
        raise outcome.error
    assert outcome.actor is not None, "an outcome holds an actor or an error"
    return outcome.actor
