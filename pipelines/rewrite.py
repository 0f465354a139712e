"""Rewriting a database file: copy what is in force into a new file, verify it, swap.

DuckDB reuses the blocks it frees but never shrinks its file nor wipes them: rows deleted or
updated stay as bytes in the file until their blocks are written over. Two commands need
them gone: ``handover purge`` (to give the space back) and ``handover erase`` (so that no
erased value is left in the file); a later ``handover encrypt`` copies a plain file into an
encrypted one the same way. ``rewrite_database`` is that one copy-verify-swap.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import duckdb

from pipelines.errors import HandoverError
from pipelines.store import wal_path


class RewriteError(HandoverError):
    """The database could not be rewritten; it is as it was."""


def _tables(conn: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select table_name from duckdb_tables() where database_name = ? and not temporary "
            "order by table_name",
            [database],
        ).fetchall()
    ]


def _views(conn: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select view_name from duckdb_views() where database_name = ? and not internal "
            "and not temporary order by view_name",
            [database],
        ).fetchall()
    ]


def _sequences(conn: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    """The sequences' names. Not their values: the catalogue's last_value after a reopen is
    not the value last given on every DuckDB release (1.5 shows the next one), and a
    sequence cannot be read without moving it; COPY FROM DATABASE carries each on (tests
    draw the next values of a rewritten file)."""
    return [
        r[0]
        for r in conn.execute(
            "select sequence_name from duckdb_sequences() where database_name = ? order by 1",
            [database],
        ).fetchall()
    ]


def _checksum(conn: duckdb.DuckDBPyConnection, database: str, table: str) -> tuple:
    return tuple(
        conn.execute(
            f'select count(*), coalesce(bit_xor(hash(t)), 0) from "{database}".main."{table}" as t'
        ).fetchall()[0]
    )


def _mismatch(conn: duckdb.DuckDBPyConnection, database: str, copy: str) -> str | None:
    """How the copy differs from the database, or None: tables, views, sequences, and per
    table its row count and a checksum of its rows."""
    if _tables(conn, database) != _tables(conn, copy):
        return "the copy does not have the same tables"
    if _views(conn, database) != _views(conn, copy):
        return "the copy does not have the same views"
    if _sequences(conn, database) != _sequences(conn, copy):
        return "the copy does not have the same sequences"
    for table in _tables(conn, database):
        original, copied = _checksum(conn, database, table), _checksum(conn, copy, table)
        if original[0] != copied[0]:
            return f"table {table} has {original[0]} rows, its copy {copied[0]}"
        if original != copied:
            return f"table {table} differs from its copy"
    return None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rewrite_database(
    conn: duckdb.DuckDBPyConnection, path: Path, *, attach_options: str = ""
) -> None:
    """Rewrite the database ``conn`` holds into a new file and move it over ``path``: only
    the data in force is written, so nothing of the freed blocks or of the write-ahead log
    is left in the file. ``conn`` is a read-write connection of the store (its
    ``connect(read_only=False)``) after its last commit: while it is open no other process
    can open the file, and none can until the new file is in place.

    Checkpoint; copy every table, view and sequence (``COPY FROM DATABASE``) into a file in a
    private (0700) folder beside the database (``attach_options``: further options of its
    ``ATTACH``, e.g. an encryption key, without which an encrypted database is refused, as
    its copy would be written in clear); verify tables, views, sequences, row counts and a
    checksum of every table's rows; give it the old file's mode; sync it and move it over the
    old file (atomic on one file system). Any failure raises ``RewriteError`` and leaves the
    database as it was; the folder and the copy are removed in every case."""
    real = Path(path).resolve()
    conn.execute("checkpoint")
    if wal_path(real).exists() and wal_path(real).stat().st_size:
        raise RewriteError(
            "the database has changes in its write-ahead log that a checkpoint did not save",
            title="Database not rewritten",
        )
    database, encrypted = conn.execute(
        "select database_name, encrypted from duckdb_databases() "
        "where database_name = current_database()"
    ).fetchall()[0]
    if encrypted and not attach_options:  # a plain copy would write the data in clear
        raise RewriteError(
            "the database is encrypted and no key was given for its copy",
            title="Database not rewritten",
        )
    try:
        folder = Path(tempfile.mkdtemp(prefix=".handover-rewrite-", dir=real.parent))
    except OSError as err:
        raise RewriteError(
            f"no private folder could be made beside the database ({err.strerror})",
            title="Database not rewritten",
        ) from err
    alias = "handover_rewrite_copy"
    try:
        target = folder / real.name
        quoted = str(target).replace("'", "''")
        options = f" ({attach_options})" if attach_options else ""
        conn.execute(f"attach '{quoted}' as {alias}{options}")
        try:
            conn.execute(f'copy from database "{database}" to {alias}')
            mismatch = _mismatch(conn, database, alias)
        finally:
            conn.execute(f"detach {alias}")
        if mismatch:
            raise RewriteError(
                f"the copy was not faithful: {mismatch}", title="Database not rewritten"
            )
        if wal_path(target).exists():
            raise RewriteError("the copy was not fully written", title="Database not rewritten")
        os.chmod(target, stat.S_IMODE(real.stat().st_mode))
        _fsync(target)
        os.replace(target, real)
        _fsync(real.parent)
    except duckdb.Error as err:
        raise RewriteError(
            f"DuckDB: {str(err).splitlines()[0][:160]}", title="Database not rewritten"
        ) from err
    except OSError as err:
        raise RewriteError(
            f"the copy could not be written or moved into place ({err.strerror or err})",
            title="Database not rewritten",
        ) from err
    finally:
        shutil.rmtree(folder, ignore_errors=True)
