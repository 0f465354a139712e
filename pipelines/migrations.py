"""Schema creation and upgrade: numbered SQL migrations plus views recreated from their files.

A database remembers its schema version in ``schema_version``. An older database is upgraded
in place by the migrations it lacks; a newer one (written by a later release) is refused, and
a DuckDB file of something else is refused, never recreated. Views hold no data, so they are
recreated from ``sql/views/*.sql`` whenever their text changes (``schema_meta.views_hash``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.store import foreign_database, schema_too_new

SQL_DIR = Path(__file__).parent / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEWS_DIR = SQL_DIR / "views"


def migrations() -> list[tuple[int, Path]]:
    """(version, file) of every migration, in order; file names start with the version."""
    found = []
    for path in MIGRATIONS_DIR.glob("*.sql"):
        match = re.match(r"(\d+)_", path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


LATEST_VERSION = migrations()[-1][0]


def _view_files() -> list[Path]:
    # Marts read the staging views: stg_* first, then the others by name.
    return sorted(VIEWS_DIR.glob("*.sql"), key=lambda p: (not p.name.startswith("stg_"), p.name))


def views_hash() -> str:
    digest = hashlib.sha256()
    for path in _view_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    row = conn.execute(
        "select count(*) from information_schema.tables where table_name = 'schema_version'"
    ).fetchall()[0]
    if not row[0]:
        return 0
    return conn.execute("select coalesce(max(version), 0) from schema_version").fetchall()[0][0]


def migrate(conn: duckdb.DuckDBPyConnection, path: Path | str = "") -> int:
    """Bring the schema up to date; returns the version. Each step is its own transaction."""
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise schema_too_new(path, version, LATEST_VERSION)
    if version == 0:
        other = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'main'"
        ).fetchall()[0][0]
        if other:
            raise foreign_database(path)
        conn.execute("create table schema_version (version integer not null, applied_at timestamp)")
        conn.execute("create table schema_meta (key varchar not null, value varchar)")

    for number, file in migrations():
        if number <= version:
            continue
        conn.execute("begin transaction")
        try:
            conn.execute(file.read_text(encoding="utf-8"))
            conn.execute("insert into schema_version values (?, ?)", [number, datetime.now()])
            conn.execute("commit")
        except Exception:
            try:
                conn.execute("rollback")
            except duckdb.Error:  # a failed commit has already ended the transaction
                pass
            raise
        version = number

    wanted = views_hash()
    stored = conn.execute("select value from schema_meta where key = 'views_hash'").fetchall()
    if not stored or stored[0][0] != wanted:
        conn.execute("begin transaction")
        for file in _view_files():
            conn.execute(file.read_text(encoding="utf-8"))
        conn.execute("delete from schema_meta where key = 'views_hash'")
        conn.execute("insert into schema_meta values ('views_hash', ?)", [wanted])
        conn.execute("commit")
    return version
