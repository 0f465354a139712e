"""Physically removing dead row versions (`handover purge`, DOMAIN.md §5).

The raw tables keep every version of every row with the batch that loaded it, so that an
upload can be rolled back. Two kinds of versions can never be current again:

* versions of a **rolled-back** import batch (a rollback cannot be undone), and
* **superseded** versions: a newer upload replaced them while their own batch stays in force.

``purge(store, before)`` deletes the versions of batches rolled back before ``before``, and
the superseded versions whose replacement (the next version of the same key from a batch in
force) was loaded before ``before``, together with the rejected rows recorded with those
rolled-back batches. Without ``before`` everything dead so far goes. Current rows are never
touched, so every figure, score and check result stays the same.

Measured from the replacement, not from the version's own batch: a version loaded a year ago
but replaced yesterday is what rolling back yesterday's upload would restore, so it is kept
until yesterday falls before the cutoff. Every batch loaded at or after ``before`` can
therefore still be rolled back exactly. An older batch that replaced rows can no longer be
(its predecessors are gone); ``batches.rollback`` refuses it, naming the purge.

The batches table keeps every batch as history (``purged_at``, ``count_rows_purged``) and
each purge is recorded in ``purges``. DuckDB reuses the space freed by a deletion but returns
only the end of the file to the file system; when much of the file stays unused after the
``CHECKPOINT``, the database is rewritten (``COPY FROM DATABASE``) into a new file in a
private (0700) folder beside it, checked table by table, given the old file's mode and moved
over it, while the write connection still holds the old file, so that no other process ever
opens a half-finished or stale database.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import audit
from pipelines.access import Actor, acting
from pipelines.errors import BatchError
from pipelines.rewrite import RewriteError, rewrite_database
from pipelines.store import Store
from pipelines.templates import STORED

log = logging.getLogger(__name__)

RAW_TABLES: tuple[str, ...] = tuple(dict.fromkeys(t.raw_table for t in STORED.values()))
REASONS = ("rolled_back", "superseded")
# Rewrite the file when the checkpoint leaves more than this share of it unused (and at
# least MIN_SLACK bytes): below that, DuckDB reuses the space for the next uploads anyway.
SLACK_SHARE = 0.25
MIN_SLACK = 4 << 20


@dataclass
class PurgeReport:
    """What a purge removed (or, with ``dry_run``, would remove)."""

    before: datetime
    dry_run: bool
    removed: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> reason -> rows
    batches: list[int] = field(default_factory=list)  # batches that lost row versions
    purge_id: int | None = None
    size_before: int = 0  # bytes: the database file and its write-ahead log
    size_after: int = 0
    compacted: bool = False  # the file was rewritten to give the space back
    compact_note: str | None = None  # why it was not, when it would have helped
    seconds: float = 0.0

    def count(self, reason: str | None = None, tables=RAW_TABLES) -> int:
        return sum(
            n
            for table in tables
            for r, n in self.removed.get(table, {}).items()
            if reason is None or r == reason
        )

    @property
    def rejections(self) -> int:
        return self.removed.get("batch_rejections", {}).get("rolled_back", 0)

    def to_dict(self) -> dict[str, object]:
        return {
            "purge_id": self.purge_id,
            "before": self.before,
            "dry_run": self.dry_run,
            "removed": self.removed,
            "batches": self.batches,
            "size_before": self.size_before,
            "size_after": self.size_after,
            "compacted": self.compacted,
            "compact_note": self.compact_note,
            "seconds": round(self.seconds, 3),
        }


def file_size(path: Path) -> int:
    """Bytes of the database file and its write-ahead log."""
    total = 0
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            total += file.stat().st_size
        except OSError:
            pass
    return total


def _doomed_sql(raw: str) -> str:
    """(row_id, batch_id, reason) of the dead versions in ``raw``; parameter: the cutoff
    (twice). Only keys with a version that is not current are ranked."""
    return f"""
        with in_force as (
            select batch_id, created_at from batches
            where action = 'import' and rolled_back_at is null
        ),
        stale_keys as (
            select distinct record_key from {raw} where not is_current
        ),
        ranked as (
            select
                v.rowid as row_id, v.batch_id, v.is_current,
                lead(v.batch_id) over (partition by v.record_key order by v.batch_id)
                    as successor
            from {raw} as v
            join in_force as b on b.batch_id = v.batch_id
            where v.record_key in (select record_key from stale_keys)
        )
        select r.row_id, r.batch_id, 'superseded' as reason
        from ranked as r
        join in_force as s on s.batch_id = r.successor
        where not r.is_current and s.created_at < ?
        union all
        select v.rowid, v.batch_id, 'rolled_back'
        from {raw} as v
        join batches as b on b.batch_id = v.batch_id
        where b.rolled_back_at is not null and b.rolled_back_at < ? and not v.is_current
    """


REJECTIONS_SQL = """
    select r.rowid as row_id, r.batch_id, 'rolled_back' as reason
    from batch_rejections as r
    join batches as b on b.batch_id = r.batch_id
    where b.rolled_back_at is not null and b.rolled_back_at < ?
"""


def _count(
    conn: duckdb.DuckDBPyConnection, cutoff: datetime
) -> tuple[dict[str, dict[str, int]], dict[int, int]]:
    """Dead rows per table and reason, and per batch; read only."""
    removed: dict[str, dict[str, int]] = {}
    per_batch: dict[int, int] = {}
    for table in RAW_TABLES:
        rows = conn.execute(
            f"select reason, batch_id, count(*) from ({_doomed_sql(table)}) group by all",
            [cutoff, cutoff],
        ).fetchall()
        removed[table] = dict.fromkeys(REASONS, 0)
        for reason, batch_id, n in rows:
            removed[table][reason] += n
            per_batch[batch_id] = per_batch.get(batch_id, 0) + n
    rejections = conn.execute(
        f"select batch_id, count(*) from ({REJECTIONS_SQL}) group by all", [cutoff]
    ).fetchall()
    removed["batch_rejections"] = {"rolled_back": sum(n for _, n in rejections)}
    for batch_id, _ in rejections:
        per_batch.setdefault(batch_id, 0)
    return removed, per_batch


def _delete(
    conn: duckdb.DuckDBPyConnection, cutoff: datetime, user: str
) -> tuple[dict[str, dict[str, int]], dict[int, int], int | None]:
    """Inside the write transaction: delete, mark the batches, record the purge."""
    removed, per_batch = _count(conn, cutoff)
    if not per_batch:
        return removed, per_batch, None  # nothing dead: nothing to record either
    for table in RAW_TABLES:
        if sum(removed[table].values()):
            conn.execute(
                f"delete from {table} where rowid in (select row_id from ({_doomed_sql(table)}))",
                [cutoff, cutoff],
            )
    if removed["batch_rejections"]["rolled_back"]:
        conn.execute(
            f"delete from batch_rejections where rowid in (select row_id from ({REJECTIONS_SQL}))",
            [cutoff],
        )
    now = datetime.now()
    for batch_id, n in per_batch.items():
        conn.execute(
            "update batches set purged_at = ?, count_rows_purged = count_rows_purged + ? "
            "where batch_id = ?",
            [now, n, batch_id],
        )
    purge_id = conn.execute("select nextval('purge_id_seq')").fetchall()[0][0]
    rolled_back = sum(removed[t]["rolled_back"] for t in RAW_TABLES)
    superseded = sum(removed[t]["superseded"] for t in RAW_TABLES)
    conn.execute(
        "insert into purges (purge_id, user_name, created_at, purged_before, "
        "count_rows_rolled_back, count_rows_superseded, count_rejections, report) "
        "values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            purge_id,
            user,
            now,
            cutoff,
            rolled_back,
            superseded,
            removed["batch_rejections"]["rolled_back"],
            json.dumps({"removed": removed, "batches": sorted(per_batch)}),
        ],
    )
    audit.record(
        conn,
        user,
        "purge",
        purge_id,
        at=now,
        before=cutoff,
        rolled_back=rolled_back,
        superseded=superseded,
        batches=sorted(per_batch),
    )
    return removed, per_batch, purge_id


def purge(
    store: Store,
    before: datetime | None = None,
    *,
    dry_run: bool = False,
    actor: Actor | None = None,
    compact: str = "auto",
) -> PurgeReport:
    """Remove the dead row versions (see the module docstring); returns what was removed.
    The ``actor`` (else the command line's operator) needs the permission ``purge``, also
    for a ``dry_run``.

    ``compact``: "auto" rewrites the file when the checkpoint leaves much of it unused,
    "always" rewrites it anyway, "never" leaves the unused space for later uploads."""
    actor = acting(actor, "purge")
    if not store.exists():
        raise BatchError(
            f"There is no database at {store.path}: nothing to purge.",
            code="purge_no_database",
            params={"file": str(store.path)},
        )
    started = time.perf_counter()
    cutoff = before or datetime.now()
    store.ensure_schema()
    report = PurgeReport(before=cutoff, dry_run=dry_run, size_before=file_size(store.path))
    if dry_run:
        report.removed, per_batch = store.read(lambda conn: _count(conn, cutoff))
        report.batches = sorted(per_batch)
        report.size_after = report.size_before
        report.seconds = time.perf_counter() - started
        return report

    with store.connect(read_only=False) as conn:
        conn.execute("begin transaction")
        try:
            report.removed, per_batch, report.purge_id = _delete(conn, cutoff, actor.name)
        except BaseException:
            conn.execute("rollback")
            raise
        conn.execute("commit")
        report.batches = sorted(per_batch)
        conn.execute("checkpoint")
        if compact != "never":
            report.compacted, report.compact_note = _compact(
                conn, store.path, force=compact == "always"
            )
    report.size_after = file_size(store.path)
    report.seconds = time.perf_counter() - started
    log.info("purge %s: %s in %.2f s", report.purge_id, report.removed, report.seconds)
    return report


# -- giving the space back ------------------------------------------------------------------


def _unused_bytes(conn: duckdb.DuckDBPyConnection, path: Path) -> int:
    used = conn.execute(
        "select used_blocks * block_size from pragma_database_size() "
        "where database_name = current_database()"
    ).fetchall()[0][0]
    return max(path.stat().st_size - int(used), 0)


def _compact(
    conn: duckdb.DuckDBPyConnection, path: Path, force: bool = False
) -> tuple[bool, str | None]:
    """Rewrite the database into a new file and move it over the old one, if much of the
    file is unused (pipelines/rewrite.py). ``conn`` is the write connection: no other process
    has the file open, and none can open it until the new file is in place. Returns
    (compacted, why not)."""
    real = path.resolve()
    unused = _unused_bytes(conn, real)
    if not force and (unused < MIN_SLACK or unused < SLACK_SHARE * real.stat().st_size):
        return False, None
    encrypted = conn.execute(
        "select encrypted from duckdb_databases() where database_name = current_database()"
    ).fetchall()[0][0]
    if encrypted:
        return False, "the database is encrypted; its unused space is reused by later uploads"
    try:
        rewrite_database(conn, real)
    except RewriteError as err:
        log.warning("not compacting %s: %s", path, err.message)
        return False, err.message
    return True, None
