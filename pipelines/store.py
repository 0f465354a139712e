"""The one module that opens the DuckDB file.

DuckDB lets one process write a database file, and while it does, no other process may even
read it; read-only connections of several processes can coexist, but any of them keeps the
writer out. So every connection here is short-lived: a reader opens read-only, runs its query
and closes; the writer opens, runs one transaction and closes. Whoever finds the file locked
waits and retries with backoff for a bounded time (``busy_timeout``), then raises
``StoreBusyError`` with a sentence a user can act on. Within one process a lock serialises
connections, because DuckDB refuses a read-write and a read-only instance of the same file in
one process at the same time. The dashboard caches what it reads, so it never holds the file
open between page renders, and an import from the command line goes through while it runs.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from pipelines.errors import SchemaError, StoreBusyError

DEFAULT_DB_NAME = "handover.duckdb"
DB_ENV = "HANDOVER_DB"
BUSY_TIMEOUT_ENV = "HANDOVER_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 60.0
MEMORY_LIMIT_ENV = "HANDOVER_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3GB"  # per connection; DuckDB spills to disk beyond it


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for staging and scratch work, with the same memory limit."""
    return duckdb.connect(config={"memory_limit": memory_limit()})

T = TypeVar("T")

_process_lock = threading.RLock()


def default_db_path() -> Path:
    """``$HANDOVER_DB``, else ``handover.duckdb`` in the working directory (DOMAIN.md §5)."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB_NAME)


def _is_lock_conflict(err: Exception) -> bool:
    text = str(err)
    return "Could not set lock" in text or "Conflicting lock" in text


def _is_config_conflict(err: Exception) -> bool:
    return "different configuration" in str(err)


@dataclass
class Results:
    """Rows of one query with their column names."""

    columns: list[str]
    rows: list[tuple]

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def first(self) -> tuple | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


class Store:
    """A DuckDB database file, reached only through short-lived connections."""

    def __init__(self, path: Path | str | None = None, busy_timeout: float | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        if busy_timeout is None:
            busy_timeout = float(os.environ.get(BUSY_TIMEOUT_ENV, DEFAULT_BUSY_TIMEOUT))
        self.busy_timeout = busy_timeout

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- connections -------------------------------------------------------------------------

    @contextmanager
    def connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for the length of a ``with`` block, retried while the file is locked."""
        if read_only and not self.path.exists():
            raise SchemaError(
                f"No database at {self.path}. Load data first: `handover ingest …` or "
                "`handover demo`.",
                title="No database",
            )
        with _process_lock:
            conn = self._open(read_only)
            try:
                yield conn
            finally:
                conn.close()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.02
        while True:
            try:
                return duckdb.connect(
                    str(self.path), read_only=read_only, config={"memory_limit": memory_limit()}
                )
            except (duckdb.IOException, duckdb.ConnectionException) as err:
                if not (_is_lock_conflict(err) or _is_config_conflict(err)):
                    if "not a valid DuckDB database file" in str(err) or "database file" in str(
                        err
                    ):
                        raise SchemaError(
                            f"{self.path} is not a DuckDB database of this product: {err}"
                        ) from err
                    raise
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"The database {self.path} is busy: another process has been writing to "
                        f"it for more than {self.busy_timeout:.0f} s (usually a large import). "
                        "Try again when it has finished.",
                        title="Database busy",
                    ) from err
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Keep this process's other connections out while a library (Great Expectations)
        opens connections of its own to the file."""
        with _process_lock:
            yield

    # -- reads -------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Results:
        with self.connect(read_only=True) as conn:
            cur = conn.execute(sql, params or [])
            rows = cur.fetchall()
            columns = [d[0] for d in cur.description] if cur.description else []
        return Results(columns, rows)

    def query_df(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> pd.DataFrame:
        with self.connect(read_only=True) as conn:
            return conn.execute(sql, params or []).df()

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run several reads on one read-only connection (one consistent snapshot)."""
        with self.connect(read_only=True) as conn:
            return fn(conn)

    # -- writes ------------------------------------------------------------------------------

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn(conn)`` in one transaction: all of it is committed, or none of it."""
        from pipelines.migrations import migrate  # the schema is created on first write

        with self.connect(read_only=False) as conn:
            migrate(conn, self.path)
            conn.execute("begin transaction")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("rollback")
                raise
            conn.execute("commit")
            return result

    def ensure_schema(self) -> int:
        """Create or upgrade the schema; returns the schema version."""
        from pipelines.migrations import current_version

        return self.write(current_version)

    def exists(self) -> bool:
        return self.path.exists()

    def last_change(self) -> tuple[float, int]:
        """A cheap key that changes whenever the database does (for the dashboard's caches)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return (0.0, 0)
        wal = self.path.with_name(self.path.name + ".wal")
        wal_mtime = wal.stat().st_mtime if wal.exists() else 0.0
        return (max(stat.st_mtime, wal_mtime), stat.st_size)
