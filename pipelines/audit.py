"""The audit trail: an append-only table of who did what and when.

``record`` inserts one entry on the connection of the write transaction that performs the
action, so the entry commits with the action it describes, or neither does. Nothing here
or elsewhere updates or deletes an entry (tests/test_audit.py checks the sources). Actions
recorded: ``upload``, ``rollback``, ``purge``, ``check_run``, ``settings_change``, ``export``,
``record_view`` (a record opened with unmasked fields), ``user_add``, ``user_passwd``,
``user_disable``, ``user_role``, ``signin``, ``signin_failed``, ``lockout``, ``sign_out``,
``session_expired``, ``access_refused`` (a page, handover or filter outside the account's
role or scope, asked for by address).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from pipelines.store import Store

COLUMNS = ["id", "at", "user_name", "action", "target", "detail"]


def record(
    conn: duckdb.DuckDBPyConnection,
    user: str | None,
    action: str,
    target: object = None,
    *,
    at: datetime | None = None,
    **detail: Any,
) -> int:
    """Append one entry inside the caller's transaction; returns its id."""
    entry_id = conn.execute("select nextval('audit_id_seq')").fetchall()[0][0]
    conn.execute(
        'insert into audit_log (id, "at", user_name, action, target, detail) '
        "values (?, ?, ?, ?, ?, ?)",
        [
            entry_id,
            at or datetime.now(),
            user,
            action,
            None if target is None else str(target),
            json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
        ],
    )
    return entry_id


def append(
    store: Store, user: str | None, action: str, target: object = None, **detail: Any
) -> int:
    """Append one entry in a transaction of its own: for what is not itself a write (an
    export, opening a record with unmasked fields, signing out)."""
    return store.write(lambda conn: record(conn, user, action, target, **detail), data_change=False)


def entries(
    store: Store, since: datetime | date | None = None, user: str | None = None, *, actor=None
) -> pd.DataFrame:
    """The entries, oldest first; ``since`` a moment (a date: from its midnight), ``user``
    a user name (without regard to case). ``detail`` comes back as a dict. The ``actor``
    (else the command line's operator) needs the permission ``audit``."""
    from pipelines.access import acting

    acting(actor, "audit")
    if not store.exists():
        return pd.DataFrame(columns=COLUMNS)
    if isinstance(since, date) and not isinstance(since, datetime):
        since = datetime.combine(since, datetime.min.time())
    has_table = store.query(
        "select count(*) from information_schema.tables where table_name = 'audit_log'"
    ).rows[0][0]
    if not has_table:  # a database of an earlier release, not yet written to
        return pd.DataFrame(columns=COLUMNS)
    frame = store.query_df(
        'select id, "at", user_name, action, target, detail from audit_log '
        'where (cast(? as timestamp) is null or "at" >= ?) '
        "and (cast(? as varchar) is null or lower(user_name) = lower(?)) "
        "order by id",
        [since, since, user, user],
    )
    frame["detail"] = [json.loads(d) if d else {} for d in frame["detail"]]
    return frame.astype(object).where(frame.notna(), None)
