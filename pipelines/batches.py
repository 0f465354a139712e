"""Upload history and undoing one upload.

Rolling back a batch marks it rolled back and recomputes, for the keys it touched, which
version is current: the newest one from a batch that is still in force. So rows the batch
added disappear, rows it updated return to their previous version, and rows a later batch
changed again keep that later change. The rollback itself is recorded as a batch.
"""

from __future__ import annotations

import getpass
from datetime import datetime

import duckdb
import pandas as pd

from pipelines.errors import BatchError
from pipelines.store import Store
from pipelines.templates import template

BATCH_COLUMNS = (
    "batch_id, kind, action, file_name, source_format, user_name, created_at, "
    "count_rows_read, count_rows_added, count_rows_updated, count_rows_unchanged, "
    "count_rows_rejected, count_rows_withdrawn, count_rows_restored, extra_columns, target_batch_id, rolled_back_at, rolled_back_by, "
    "content_hash, report"
)


def list_batches(store: Store) -> pd.DataFrame:
    """Every batch, newest first."""
    if not store.exists():
        return pd.DataFrame(columns=[c.strip() for c in BATCH_COLUMNS.split(",")])
    frame = store.query_df(f"select {BATCH_COLUMNS} from batches order by batch_id desc")
    return frame.astype(object).where(frame.notna(), None)


def rejected_rows(store: Store, batch_id: int) -> pd.DataFrame:
    return store.query_df(
        "select row_number, column_name, value, reason from batch_rejections "
        "where batch_id = ? order by row_number, column_name",
        [batch_id],
    )


def rollback(store: Store, batch_id: int, user: str | None = None) -> int:
    """Undo an import batch; returns the id of the rollback batch that records it."""
    if not store.exists():
        raise BatchError(f"There is no batch {batch_id}: the database is empty.")
    return store.write(lambda conn: _rollback(conn, batch_id, user or getpass.getuser()))


def _rollback(conn: duckdb.DuckDBPyConnection, batch_id: int, user: str) -> int:
    row = conn.execute(
        "select kind, action, rolled_back_at, rolled_back_by from batches where batch_id = ?",
        [batch_id],
    ).fetchall()
    if not row:
        raise BatchError(f"There is no batch {batch_id}. `handover batches` lists them.")
    kind, action, rolled_back_at, rolled_back_by = row[0]
    if action != "import":
        raise BatchError(f"Batch {batch_id} is itself a rollback and cannot be rolled back.")
    if rolled_back_at is not None:
        raise BatchError(
            f"Batch {batch_id} was already rolled back at {rolled_back_at:%Y-%m-%d %H:%M} "
            f"(batch {rolled_back_by})."
        )
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
    return new_id
