"""Upload history and undoing one upload.

Rolling back a batch marks it rolled back and recomputes, for the keys it touched, which
version is current: the newest one from a batch that is still in force. So rows the batch
added disappear, rows it updated return to their previous version, and rows a later batch
changed again keep that later change. The rollback itself is recorded as a batch.

After ``handover purge`` (pipelines/purge.py) has removed the versions an older upload
replaced, that upload can no longer be rolled back exactly: rollback refuses it and says so.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from pipelines import audit
from pipelines.access import Actor, acting
from pipelines.errors import BatchError
from pipelines.store import Store
from pipelines.templates import template

BATCH_COLUMNS = (
    "batch_id, kind, action, file_name, source_format, user_name, created_at, "
    "count_rows_read, count_rows_added, count_rows_updated, count_rows_unchanged, "
    "count_rows_rejected, count_rows_withdrawn, count_rows_restored, extra_columns, target_batch_id, rolled_back_at, rolled_back_by, "
    "content_hash, report, purged_at, count_rows_purged"
)


def list_batches(store: Store) -> pd.DataFrame:
    """Every batch, newest first."""
    columns = [c.strip() for c in BATCH_COLUMNS.split(",")]
    if not store.exists():
        return pd.DataFrame(columns=columns)
    # select * and then the columns: a database not yet upgraded lacks the newest ones
    frame = store.query_df("select * from batches order by batch_id desc")
    frame = frame.reindex(columns=columns)
    return frame.astype(object).where(frame.notna(), None)


def rejected_rows(store: Store, batch_id: int) -> pd.DataFrame:
    return store.query_df(
        "select row_number, column_name, value, reason from batch_rejections "
        "where batch_id = ? order by row_number, column_name",
        [batch_id],
    )


def rollback(store: Store, batch_id: int, *, actor: Actor | None = None) -> int:
    """Undo an import batch; returns the id of the rollback batch that records it. The
    ``actor`` (else the command line's operator) needs the permission ``rollback``."""
    actor = acting(actor, "rollback")
    if not store.exists():
        raise BatchError(f"There is no batch {batch_id}: the database is empty.")
    return store.write(lambda conn: _rollback(conn, batch_id, actor.name))


def _refuse_if_purged(conn: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """A batch that replaced rows, loaded before a purge's cutoff, had the versions it
    replaced removed by that purge: rolling it back would drop those rows, not restore them."""
    row = conn.execute(
        """
        select p.purge_id, p.created_at, b.count_rows_updated
        from batches as b
        join purges as p
            on b.created_at < p.purged_before and p.count_rows_superseded > 0
        where b.batch_id = ? and b.count_rows_updated > 0
        order by p.purge_id
        limit 1
        """,
        [batch_id],
    ).fetchall()
    if row:
        purge_id, purged_at, updated = row[0]
        raise BatchError(
            f"Batch {batch_id} replaced {updated} row(s) of earlier uploads, and the purge of "
            f"{purged_at:%Y-%m-%d %H:%M} (purge {purge_id}) has removed those earlier "
            "versions: rolling it back would lose the rows instead of restoring them. Upload "
            "a corrected file instead.",
            title="Cannot roll back",
            code="rollback_after_purge",
            params={
                "batch": batch_id,
                "rows": updated,
                "purge": purge_id,
                "purged_at": f"{purged_at:%Y-%m-%d %H:%M}",
            },
        )


def _rollback(conn: duckdb.DuckDBPyConnection, batch_id: int, user: str) -> int:
    row = conn.execute(
        "select kind, action, rolled_back_at, rolled_back_by from batches where batch_id = ?",
        [batch_id],
    ).fetchall()
    if not row:
        raise BatchError(f"There is no batch {batch_id}. `handover batches` lists them.")
    kind, action, rolled_back_at, rolled_back_by = row[0]
    if action == "erase":
        raise BatchError(f"Batch {batch_id} is an erasure on request, which cannot be undone.")
    if action != "import":
        raise BatchError(f"Batch {batch_id} is itself a rollback and cannot be rolled back.")
    if rolled_back_at is not None:
        raise BatchError(
            f"Batch {batch_id} was already rolled back at {rolled_back_at:%Y-%m-%d %H:%M} "
            f"(batch {rolled_back_by})."
        )
    _refuse_if_purged(conn, batch_id)
    raw = template(kind).raw_table
    new_id = conn.execute("select nextval('batch_id_seq')").fetchall()[0][0]
    now = datetime.now()
    conn.execute(
        "update batches set rolled_back_at = ?, rolled_back_by = ? where batch_id = ?",
        [now, new_id, batch_id],
    )
    conn.execute(
        f"create or replace temp table touched as "
        f"select distinct record_key from {raw} where batch_id = ?",
        [batch_id],
    )
    removed = conn.execute(
        f"select count(*) from {raw} where batch_id = ? and is_current", [batch_id]
    ).fetchall()[0][0]
    conn.execute(
        f"update {raw} set is_current = false "
        f"where is_current and record_key in (select record_key from touched)"
    )
    restored = conn.execute(
        f"""
        update {raw} as r set is_current = true
        from (
            select v.record_key, max(v.batch_id) as batch_id
            from {raw} as v
            join batches as b on b.batch_id = v.batch_id
            where b.rolled_back_at is null
              and v.record_key in (select record_key from touched)
            group by v.record_key
        ) as newest
        where r.record_key = newest.record_key and r.batch_id = newest.batch_id
        """
    ).fetchall()[0][0]
    conn.execute("drop table touched")
    conn.execute(
        """
        insert into batches (batch_id, kind, action, user_name, created_at, target_batch_id,
                             count_rows_withdrawn, count_rows_restored)
        values (?, ?, 'rollback', ?, ?, ?, ?, ?)
        """,
        [new_id, kind, user, now, batch_id, removed, restored],
    )
    audit.record(
        conn,
        user,
        "rollback",
        batch_id,
        at=now,
        kind=kind,
        rollback_batch=new_id,
        withdrawn=removed,
        restored=restored,
    )
    return new_id
