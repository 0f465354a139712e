"""Loading typed rows as one batch: staged in memory, then one short write transaction.

Every importer (tabular files, survey exports) converts its file into typed rows of a
``Template`` and hands them to ``Staging``. Staging keeps them in an in-memory DuckDB, so
that the whole file is validated (duplicate keys included) before the database file is
opened for writing. ``Staging.load`` then classifies the rows against the current versions
(added / updated / unchanged by a hash of the row), inserts the new versions, and records the
batch with its rejected rows, all in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import audit
from pipelines.encryption import Key, attach_sql, load_crypto
from pipelines.errors import Problem
from pipelines.store import Store, connect_memory
from pipelines.templates import Template

REJECTION_COLUMNS = [
    "batch_id",
    "row_number",
    "column_name",
    "value",
    "reason",
    "code",
    "field",
    "params",
]
SQL_TYPES = {"date": "date", "timestamp": "timestamp", "boolean": "boolean", "number": "double"}


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def batch_with_hash(store: Store, kind: str, content_hash: str) -> int | None:
    """The batch that already loaded these exact bytes as ``kind``, if importing them again
    would change nothing; None when the file must be imported (again).

    A file is "already loaded" by batch B when B is the newest import of these bytes as
    ``kind``, B is in force (not rolled back), and since B no batch of ``kind`` has changed
    which rows are current other than by adding new keys: every later batch of the kind is an
    import that updated no row (no rollback, no update, nothing else). Then every row of the
    file is still current exactly as B left it: the rows B added or updated and the rows it
    found unchanged (which have no versions of B's own, so a rule about B's versions alone
    would miss them), because a current row stops being current only by an update or a
    rollback. The rule is deliberately coarse: after any later update or rollback of the
    kind the file is imported again, which is always right (rows still current are counted
    unchanged, the others come back as the newer upload), only slower.

    The trap it closes: F loaded as batch 9, the same rows with CRLF line endings as batch 10
    (all unchanged), batch 9 rolled back; the CRLF file is now imported again instead of
    being called "already loaded as batch 10" while none of its rows is current."""
    if not store.exists():
        return None
    return store.query(
        """
        with loaded as (
            select max(batch_id) as batch_id from batches
            where kind = ? and action = 'import' and content_hash = ?
                and rolled_back_at is null
        )
        select loaded.batch_id from loaded
        where not exists (
            select 1 from batches as later
            where later.kind = ? and later.batch_id > loaded.batch_id
                and (later.action <> 'import' or later.count_rows_updated > 0)
        )
        """,
        [kind, content_hash, kind],
    ).scalar()


@dataclass
class BatchRecord:
    """What the batches table remembers of one upload."""

    kind: str
    file_name: str
    content_hash: str
    source_format: str
    user_name: str
    rows_read: int
    rows_rejected: int
    extra_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    report: dict[str, object] = field(default_factory=dict)


def key_expression(tpl: Template) -> str:
    """SQL for the record key: the key columns joined by '|', timestamps to the second."""
    parts = []
    for name in tpl.key:
        if tpl.column(name).type == "timestamp":
            parts.append(f"strftime({name}, '%Y-%m-%d %H:%M:%S')")
        else:
            parts.append(f"coalesce({name}, '')")
    return parts[0] if len(parts) == 1 else f"concat_ws('|', {', '.join(parts)})"


class Staging:
    """The typed rows of one file, in memory until they are loaded as a batch."""

    def __init__(
        self,
        tpl: Template,
        path: Path | None = None,
        config: dict[str, str] | None = None,
        key: Key | None = None,
    ):
        """In memory; or, with ``path``, in a DuckDB file of its own (a private temporary
        folder's) that DuckDB can spill to, for files too large to hold in memory. There the
        filler adds each row's ``record_key`` and ``row_hash`` (``keyed_rows``' columns) and
        ``load`` reads the file from the database's own connection (ATTACH), not through
        Python. ``key``: the database's, when it is encrypted: the staging file is too."""
        self.tpl = tpl
        self.path = path
        self.config = config
        self.key = key
        self.rows = "staged"  # what a file's load reads: a table or a view of keyed rows
        self.row_count: int | None = None  # how many rows that is, when the filler knows
        self.conn = connect_memory()
        self.closed = False
        if path is not None:  # pipelines/store.py opens every DuckDB: attach the file to it
            for name, value in (config or {}).items():
                self.conn.execute(f"set {name} = '{value}'")
            if key is not None:
                load_crypto(self.conn)
                self.conn.execute("set temp_file_encryption = true")
            self.conn.execute(attach_sql(path, key, False, alias="staging_file"))
            self.conn.execute("use staging_file")
        self.conn.execute(f"create table staged ({staged_columns(tpl)})")

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.conn.close()
            self.closed = True

    def add(self, frame: pd.DataFrame) -> None:
        """Append typed rows: columns named as the template's, plus source_row and extra."""
        if frame.empty:
            return
        self.conn.register("chunk", frame)
        self.conn.execute("insert into staged by name select * from chunk")
        self.conn.unregister("chunk")

    def duplicate_keys(self) -> list[tuple[str, list[int]]]:
        """(key, source rows) of every key that appears on more than one row."""
        return duplicate_keys(self.conn, self.tpl)

    def drop_rows(self, rows: list[int]) -> None:
        if rows:
            self.conn.execute("delete from staged where source_row in (select unnest(?))", [rows])

    def load(self, store: Store, batch: BatchRecord) -> tuple[int, int, int, int]:
        """Write the staged rows as one batch: (batch_id, added, updated, unchanged)."""
        if self.path is not None:
            self.close()  # the database's connection reads the file itself
            path = str(self.path)

            limit = (self.config or {}).get("memory_limit")

            def from_file(conn: duckdb.DuckDBPyConnection) -> tuple[int, int, int, int]:
                if limit:  # this connection's DuckDB ends with the write: spill, not grow
                    conn.execute(f"set memory_limit = '{limit}'")
                # attached for the rest of this write's connection, which closes after the
                # commit (DuckDB 1.5 detaches nothing a transaction has read)
                conn.execute(attach_sql(path, self.key, True, alias="staging_file"))
                return _load_streamed(
                    conn, self.tpl, f"staging_file.{self.rows}", batch, self.row_count
                )

            return store.write(from_file)
        self.conn.execute(f"create or replace table staged as {keyed_rows(self.tpl, 'staged')}")
        incoming = self.conn.sql("select * from staged").to_arrow_reader(100_000)

        def from_arrow(conn: duckdb.DuckDBPyConnection) -> tuple[int, int, int, int]:
            conn.register("incoming", incoming)
            try:
                return _load(conn, self.tpl, "incoming", batch)
            finally:
                conn.unregister("incoming")

        return store.write(from_arrow)


def staged_columns(tpl: Template) -> str:
    """The columns of a staging table: source row, the template's typed columns, extra."""
    columns = ", ".join(f"{c.name} {SQL_TYPES.get(c.type, 'varchar')}" for c in tpl.columns)
    return f"source_row integer, {columns}, extra varchar"


def keyed_rows(tpl: Template, table: str) -> str:
    """SQL of the staged rows with their record key and the hash of their content."""
    hashed = ", ".join(f"coalesce(cast({c.name} as varchar), chr(0))" for c in tpl.columns)
    return f"""
        select
            *,
            {key_expression(tpl)} as record_key,
            md5(concat_ws(chr(31), {hashed}, coalesce(extra, chr(0)))) as row_hash
        from {table}
        """


def duplicate_keys(conn: duckdb.DuckDBPyConnection, tpl: Template) -> list[tuple[str, list[int]]]:
    """(key, source rows) of every key that appears on more than one staged row."""
    return conn.execute(
        f"""
        select key, list(source_row order by source_row) as source_rows
        from (
            select {key_expression(tpl)} as key, source_row from staged
            where {
            " and ".join(f"{k} is not null" for k in tpl.key if tpl.column(k).required) or "true"
        }
        )
        group by key
        having count(*) > 1
        order by min(source_row)
        """
    ).fetchall()


def _load(
    conn: duckdb.DuckDBPyConnection, tpl: Template, incoming: str, batch: BatchRecord
) -> tuple[int, int, int, int]:
    """Inside the write transaction: (batch_id, added, updated, unchanged). ``incoming`` is
    SQL naming the keyed rows (``keyed_rows``): a relation or a parenthesised query."""
    batch_id = conn.execute("select nextval('batch_id_seq')").fetchall()[0][0]
    conn.execute(
        f"""
        create or replace temp table classified as
        select i.*, c.row_hash as current_hash
        from {incoming} as i
        left join {tpl.raw_table} as c
            on c.is_current and c.record_key = i.record_key
        """
    )
    added, updated, unchanged = conn.execute(
        """
        select
            count(*) filter (where current_hash is null),
            count(*) filter (where current_hash <> row_hash),
            count(*) filter (where current_hash = row_hash)
        from classified
        """
    ).fetchall()[0]
    if updated:
        conn.execute(
            f"""
            update {tpl.raw_table} set is_current = false
            where is_current and record_key in (
                select record_key from classified where current_hash <> row_hash
            )
            """
        )
    columns = ", ".join(c.name for c in tpl.columns)
    conn.execute(
        f"""
        insert into {tpl.raw_table}
            (batch_id, source_row, record_key, row_hash, is_current, {columns}, extra)
        select ?, source_row, record_key, row_hash, true, {columns}, extra
        from classified
        where current_hash is null or current_hash <> row_hash
        """,
        [batch_id],
    )
    conn.execute("drop table classified")
    _record_batch(conn, batch_id, batch, added, updated, unchanged)
    return batch_id, added, updated, unchanged


def _load_streamed(
    conn: duckdb.DuckDBPyConnection,
    tpl: Template,
    incoming: str,
    batch: BatchRecord,
    total: int | None = None,
) -> tuple[int, int, int, int]:
    """``_load`` for rows too many to copy once more: ``incoming`` (keyed rows, one per key)
    is read twice, by the update of the replaced rows and by the insert of the new ones,
    and classified by their counts: the same rows and counts as ``_load``."""
    batch_id = conn.execute("select nextval('batch_id_seq')").fetchall()[0][0]
    raw = tpl.raw_table
    if total is None:
        total = conn.execute(f"select count(*) from {incoming}").fetchall()[0][0]
    updated = conn.execute(
        f"""
        update {raw} set is_current = false
        where is_current and record_key in (
            select i.record_key from {incoming} as i
            join {raw} as c
                on c.is_current and c.record_key = i.record_key and c.row_hash <> i.row_hash
        )
        """
    ).fetchall()[0][0]
    columns = ", ".join(c.name for c in tpl.columns)
    inserted = conn.execute(
        f"""
        insert into {raw}
            (batch_id, source_row, record_key, row_hash, is_current, {columns}, extra)
        select ?, source_row, record_key, row_hash, true, {columns}, extra
        from {incoming} as i
        where not exists (
            select 1 from {raw} as c
            where c.is_current and c.record_key = i.record_key and c.row_hash = i.row_hash
        )
        """,
        [batch_id],
    ).fetchall()[0][0]
    added, unchanged = inserted - updated, total - inserted
    _record_batch(conn, batch_id, batch, added, updated, unchanged)
    return batch_id, added, updated, unchanged


def _record_batch(
    conn: duckdb.DuckDBPyConnection,
    batch_id: int,
    batch: BatchRecord,
    added: int,
    updated: int,
    unchanged: int,
) -> None:
    conn.execute(
        """
        insert into batches (
            batch_id, kind, action, file_name, content_hash, source_format, user_name,
            created_at, count_rows_read, count_rows_added, count_rows_updated,
            count_rows_unchanged, count_rows_rejected, extra_columns, report
        ) values (?, ?, 'import', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            batch_id,
            batch.kind,
            batch.file_name,
            batch.content_hash,
            batch.source_format,
            batch.user_name,
            datetime.now(),
            batch.rows_read,
            added,
            updated,
            unchanged,
            batch.rows_rejected,
            batch.extra_columns,
            json.dumps(batch.report, ensure_ascii=False, default=str) if batch.report else None,
        ],
    )
    if batch.problems:
        rejections = pd.DataFrame(
            [
                (
                    batch_id,
                    p.row,
                    p.column,
                    p.value,
                    p.why,
                    p.code,
                    p.field,
                    json.dumps(p.params, ensure_ascii=False, default=str) if p.code else None,
                )
                for p in batch.problems
            ],
            columns=REJECTION_COLUMNS,
        )
        conn.register("rejections", rejections)
        conn.execute(
            f"insert into batch_rejections ({', '.join(REJECTION_COLUMNS)}) "
            "select * from rejections"
        )
        conn.unregister("rejections")
    audit.record(
        conn,
        batch.user_name,
        "upload",
        batch_id,
        kind=batch.kind,
        file=batch.file_name,
        added=added,
        updated=updated,
        unchanged=unchanged,
        rejected=batch.rows_rejected,
    )


def rejected_rows(store: Store, batch_id: int, file: str) -> list[Problem]:
    """The rows a batch rejected (loaded with --skip-invalid), as the problems they were, in
    the order of their rows; ``file`` is the batch's file name. A row rejected before schema
    6 has no code: its ``why`` is the English sentence it was stored with."""
    rows = store.query(
        f"select {', '.join(REJECTION_COLUMNS[1:])} from batch_rejections where batch_id = ? "
        "order by row_number, rowid",
        [batch_id],
    ).rows
    return [
        Problem(
            file,
            int(row),
            column or "",
            value if value is not None else "",
            reason,
            code,
            json.loads(params) if params else {},
            field,
        )
        for row, column, value, reason, code, field, params in rows
    ]


def update_report(store: Store, batch_id: int, report: dict[str, object]) -> None:
    """Replace the JSON report of a batch (figures known only once its rows are in)."""
    store.write(
        lambda conn: conn.execute(
            "update batches set report = ? where batch_id = ?",
            [json.dumps(report, ensure_ascii=False, default=str), batch_id],
        )
    )
