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

Faults of the file and of the file system (a full disk, a read-only mount, a truncated or
corrupted file, a damaged write-ahead log, a folder that does not exist, a file of another
program or of a newer release) are turned into one ``StoreError`` sentence here, in
``store_fault`` and ``os_fault``, so that every caller (command line, dashboard, data checks)
reports them the same way. A write that fails changes nothing: its transaction is not
committed, and a database file it was creating is removed again. Files this module creates
(the database, its write-ahead log) are readable by their owner only (0600).
"""

from __future__ import annotations

import errno
import getpass
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

if TYPE_CHECKING:  # pandas only as a result type: a command without frames need not load it
    import pandas as pd

from pipelines.encryption import (
    ATTACHED_AS,
    Key,
    attach_sql,
    find_key,
    key_fault,
    load_crypto,
)
from pipelines.errors import (
    HandoverError,
    SchemaError,
    StoreBusyError,
    StoreDamagedError,
    StoreError,
    StoreFullError,
    StorePathError,
    StoreReadOnlyError,
)

DEFAULT_DB_NAME = "handover.duckdb"
DB_ENV = "HANDOVER_DB"
BUSY_TIMEOUT_ENV = "HANDOVER_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 60.0
MEMORY_LIMIT_ENV = "HANDOVER_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3GB"  # per connection; DuckDB spills to disk beyond it


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT


# the value types duckdb.connect(config=...) accepts
ConfigValue = str | bool | int | float | list[str]


def connection_config() -> dict[str, ConfigValue]:
    """The database-wide settings of every connection (the memory limit)."""
    return {"memory_limit": memory_limit()}


def quiet(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No progress bar of DuckDB's own on a connection: on a query of a few seconds it prints
    on the output of a command, of a script or in the server's log (long work shows the
    product's own progress, pipelines/progress.py). A setting of the connection, not of the
    database, so it is set on each one."""
    conn.execute("set enable_progress_bar = false")
    return conn


def open_encrypted(path: Path | str, key: Key, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to the encrypted database at ``path`` as its default database: an
    in-memory DuckDB with DuckDB's cryptography loaded, the file attached with its key. What
    DuckDB spills to disk goes beside the database (``<file>.tmp``, as for a plain file,
    encrypted too, and removed when the connection closes), not into the working folder."""
    spills = Path(path).with_name(Path(path).name + ".tmp")
    conn = duckdb.connect(
        config={**connection_config(), "temp_directory": str(spills), "temp_file_encryption": True}
    )
    try:
        load_crypto(conn)
        conn.execute(attach_sql(path, key, read_only))
        conn.execute(f"use {ATTACHED_AS}")
    except BaseException:
        conn.close()
        raise
    return conn


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for staging and scratch work, with the same settings."""
    return quiet(duckdb.connect(config=connection_config()))


T = TypeVar("T")
FIND_KEY = object()  # Store(key=...): look for the key where keys are looked for

_process_lock = threading.RLock()


def default_db_path() -> Path:
    """``$HANDOVER_DB``, else ``handover.duckdb`` in the working directory (DOMAIN.md §5)."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB_NAME)


def _is_lock_conflict(err: Exception) -> bool:
    text = str(err)
    return "Could not set lock" in text or "Conflicting lock" in text


def _is_config_conflict(err: Exception) -> bool:
    return "different configuration" in str(err)


# -- faults: DuckDB's and the operating system's errors as one sentence each ---------------

log = logging.getLogger(__name__)

_QUOTED_PATH = re.compile(r'(?:file|database|directory) "([^"]+)"')
_PID = re.compile(r"\(PID (\d+)\)")
_HELD_IN = re.compile(r"held in (.+?) \(PID")
_HANDOVER_COMMANDS = {
    "ingest",
    "batches",
    "rollback",
    "demo",
    "check",
    "failures",
    "metrics",
    "scores",
    "rollup",
    "serve",
}


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "this user"


def wal_path(path: Path) -> Path:
    """DuckDB's write-ahead log of a database file."""
    return path.with_name(path.name + ".wal")


def schema_too_new(path: Path | str, version: int, supported: int) -> SchemaError:
    return SchemaError(
        f"The database {path} was written by a newer release: schema version {version}, "
        f"this program understands {supported}; upgrade handover-insight.",
        title="Database too new",
        code="db_too_new",
        params={"file": str(path), "version": version, "supported": supported},
    )


def foreign_database(path: Path | str) -> SchemaError:
    return SchemaError(
        f"{path} is a DuckDB database of something else (it has tables but no "
        "schema_version): point --db or HANDOVER_DB at the handover-insight database.",
        title="Not a handover-insight database",
        code="db_foreign",
        params={"file": str(path)},
    )


def no_database(path: Path | str) -> SchemaError:
    return SchemaError(
        f"No database at {path}. Load data first: `handover ingest …` or `handover demo`.",
        title="No database",
        code="db_missing",
        params={"file": str(path)},
    )


def _disk_full(
    file: str, writing: bool | None, too_large: bool, database: bool = True
) -> StoreFullError:
    outcome = {
        True: "nothing was saved",
        False: "the command stopped and nothing was changed",
        None: "the command could not finish",
    }[writing]
    if too_large:
        return StoreFullError(
            f"{file} reached the largest file size this process may write (File too large), "
            f"so {outcome}: raise the limit (ulimit -f) and try again.",
            title="File too large",
            code="file_too_large",
            params={"file": file},
        )
    elsewhere = " (or point --db at a file on another disk)" if database else ""
    return StoreFullError(
        f"No space left on the disk holding {file}, so {outcome}: free some space on that "
        f"disk{elsewhere} and try again.",
        title="Disk full",
        code="disk_full",
        params={"file": file},
    )


def _read_only_fs(file: str, database: bool = True) -> StoreReadOnlyError:
    remedy = (
        "copy the database to a writable folder and point --db at the copy, or have the "
        "disk mounted read-write"
        if database
        else "choose a folder on a writable disk, or have the disk mounted read-write"
    )
    return StoreReadOnlyError(
        f"{file} is on a read-only file system, so nothing could be saved: {remedy}.",
        title="Read-only file system",
        code="read_only_fs",
        params={"file": file},
    )


def _permission_denied(
    file: str, writing: bool | None, database: bool = True
) -> StoreReadOnlyError:
    user = _user()
    own = "point --db at a file of your own" if database else "use a file of your own"
    if writing:
        text = (
            f"The user {user} may not write {file} (or its folder), so nothing was saved: "
            f"ask the owner for write access, or {own}."
        )
    elif writing is None:
        text = (
            f"The user {user} may not use {file} (or its folder): ask the owner for "
            f"access, or {own}."
        )
    else:
        text = f"The user {user} may not read {file}: ask the owner for read access, or {own}."
    return StoreReadOnlyError(
        text,
        title="Permission denied",
        code="permission_denied",
        params={"file": file, "user": user},
    )


def _is_folder(file: str) -> StorePathError:
    return StorePathError(
        f"{file} is a folder, not a database file: point --db (or HANDOVER_DB) at a file, "
        f"e.g. {Path(file) / DEFAULT_DB_NAME}.",
        title="Not a file",
        code="path_is_folder",
        params={"file": file},
    )


def _folder_missing(file: str, folder: Path) -> StorePathError:
    return StorePathError(
        f"The folder {folder} of {file} does not exist: create it, or point --db at a file in "
        "an existing folder.",
        title="No such folder",
        code="folder_missing",
        params={"file": file, "folder": str(folder)},
    )


def _not_a_folder(file: str, blocker: Path) -> StorePathError:
    return StorePathError(
        f"{file} cannot be created because {blocker} is a file, not a folder: move that file "
        "or choose another path.",
        title="A file is in the way",
        code="not_a_folder",
        params={"file": file, "blocker": str(blocker)},
    )


def _damaged(path: Path, detail: str) -> StoreDamagedError:
    return StoreDamagedError(
        f"The database {path} is damaged or truncated ({detail}), so it cannot be read: "
        "restore it from a backup, or point --db at another file.",
        title="Database damaged",
        code="db_corrupt",
        params={"file": str(path), "detail": detail},
    )


def _wal_damaged(path: Path, wal: str) -> StoreDamagedError:
    return StoreDamagedError(
        f"The write-ahead log {wal} of the database {path} is damaged and cannot be replayed, "
        "so the database cannot be opened and nothing was changed: restore the database from a "
        f"backup, or move {wal} aside to open it without the last changes that log holds.",
        title="Write-ahead log damaged",
        code="db_wal_corrupt",
        params={"file": str(path), "wal": wal},
    )


def _not_duckdb(path: Path) -> SchemaError:
    return SchemaError(
        f"{path} is not a DuckDB database (or its header is damaged): point --db at the "
        "handover-insight database, or restore it from a backup.",
        title="Not a database",
        code="db_not_duckdb",
        params={"file": str(path)},
    )


def _first_blocker(folder: Path) -> Path | None:
    """The nearest ancestor of ``folder`` that exists but is not a folder, if any."""
    for candidate in [folder, *folder.parents]:
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def _nearest_missing_folder(folder: Path) -> Path:
    missing = folder
    for candidate in folder.parents:
        if candidate.exists():
            break
        missing = candidate
    return missing


def _damage_detail(text: str, file: Path) -> str:
    if "aes tag differs" in text.lower():  # the key opened the file: a block was changed
        return "a block of the encrypted file fails its integrity check"
    if match := re.search(r"block at location (\d+)", text):
        return f"a block at byte {int(match.group(1)):,} fails its checksum"
    if match := re.search(r"from location (\d+)", text):
        try:
            size = f"only {file.stat().st_size:,} bytes long"
        except OSError:
            size = "shorter than it should be"
        return f"it is {size}; the data from byte {int(match.group(1)):,} on is missing"
    try:
        if file.stat().st_size == 0:
            return "it is empty: 0 bytes"
    except OSError:
        pass
    return "DuckDB: " + text.split("\n")[0][:160]


def store_fault(err: BaseException | str, path: Path | str, *, writing: bool) -> StoreError | None:
    """The sentence for a DuckDB error met while opening, reading or writing ``path``, or
    None when the error is not a fault of the file or the file system (a bug: let it rise).

    DuckDB raises ``IOException`` for file-system faults, the bare ``duckdb.Error`` for a
    block whose checksum fails, ``TransactionException`` when a commit cannot write the
    write-ahead log; what they have in common is the text, so that is what is classified.
    The file named is the one in DuckDB's message (the database, its .wal, a temporary file),
    else the database."""
    path = Path(path)
    text = str(err)
    lower = text.lower()
    quoted = _QUOTED_PATH.search(text)
    file = quoted.group(1) if quoted else str(path)
    if file == str(wal_path(path)) and "wal" not in lower.replace(file.lower(), ""):
        file = str(path)  # writing its log is writing the database, as far as users go
    database = file == str(path)  # else a temporary file: remedies that do not speak of --db

    if "could not set lock" in lower or "conflicting lock" in lower:
        return StoreBusyError(
            f"The database {path} is busy: another process holds it open; try again when it "
            "has finished.",
            title="Database busy",
            code="db_busy",
            params={"file": str(path)},
        )
    if "failure while replaying wal" in lower or "corrupt wal" in lower:
        return _wal_damaged(path, file if quoted else str(wal_path(path)))
    if "no space left on device" in lower or "disk quota exceeded" in lower:
        return _disk_full(file, writing, too_large=False, database=database)
    if "file too large" in lower:
        return _disk_full(file, writing, too_large=True, database=database)
    if "read-only file system" in lower:
        return _read_only_fs(file, database=database)
    if "permission denied" in lower or "operation not permitted" in lower:
        return _permission_denied(file, writing, database=database)
    if "is a directory" in lower:
        return _is_folder(file)
    if "not a directory" in lower:
        blocker = _first_blocker(Path(file).parent)
        return _not_a_folder(file, blocker or Path(file).parent)
    if "no such file or directory" in lower or "database does not exist" in lower:
        folder = Path(file).parent
        if not folder.exists():
            if blocker := _first_blocker(folder):
                return _not_a_folder(file, blocker)
            return _folder_missing(file, _nearest_missing_folder(folder))
        return no_database(file)
    if "not a valid duckdb database file" in lower:
        target = Path(file)
        try:
            empty = target.stat().st_size == 0
        except OSError:
            empty = False
        return _damaged(target, "it is empty: 0 bytes") if empty else _not_duckdb(target)
    if (
        "corrupt database file" in lower
        or "could not read enough bytes" in lower
        or "checksum" in lower
        or "aes tag differs" in lower
    ):
        target = Path(file) if quoted else path
        return _damaged(target, _damage_detail(text, target))
    if "trying to read a database file with version number" in lower:
        # DuckDB 2 writes files DuckDB 1.5 cannot read; releases of handover-insight before
        # encryption at rest used DuckDB 2: their files move over through a backup (Parquet)
        return SchemaError(
            f"The database {path} was written by a newer version of DuckDB than this program "
            f"uses (DuckDB {duckdb.__version__}): if an earlier release of handover-insight "
            "wrote it, back it up with that release (`handover backup`) and restore the "
            "backup with this one (`handover restore`); else upgrade handover-insight.",
            title="Database too new",
            code="db_storage_too_new",
            params={"file": str(path), "duckdb": duckdb.__version__},
        )
    if "invalidated" in lower and "fatal" in lower:
        return StoreDamagedError(
            f"The database {path} could not be used after an earlier failure in this process "
            f"({text.splitlines()[0][:160]}); nothing was saved: try again, and restore it "
            "from a backup if the error comes back.",
            title="Database failed",
            code="db_failed",
            params={"file": str(path)},
        )
    return None


_WRITE_FAULTS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}
_OS_FAULTS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.ENOENT,
    errno.EEXIST,
}


def os_fault(
    err: OSError,
    path: Path | str | None = None,
    *,
    writing: bool | None = None,
    database: bool = False,
) -> HandoverError | None:
    """The sentence for an operating-system error on a file (full disk, read-only mount,
    permission, a missing folder, a file in the way), or None for other errors. ``writing``
    None: not known whether the file was being read or written; ``database``: the file is
    the database (the remedies then speak of --db)."""
    if err.errno not in _OS_FAULTS:
        return None
    file = str(err.filename if err.filename is not None else path or "the file")
    if err.filename2 is not None and err.errno in _WRITE_FAULTS:
        file = str(err.filename2)  # a copy or a move: the target is the file being written
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return _disk_full(file, writing, too_large=False, database=database)
    if err.errno == errno.EFBIG:
        return _disk_full(file, writing, too_large=True, database=database)
    if err.errno == errno.EROFS:
        return _read_only_fs(file, database=database)
    if err.errno in (errno.EACCES, errno.EPERM):
        return _permission_denied(file, writing, database=database)
    if err.errno == errno.EISDIR:
        return _is_folder(file)
    if err.errno in (errno.ENOTDIR, errno.EEXIST):
        blocker = _first_blocker(Path(file)) or Path(file)
        return _not_a_folder(file, blocker)
    folder = Path(file).parent
    if not folder.exists():
        return _folder_missing(file, _nearest_missing_folder(folder))
    return HandoverError(
        f"{file} does not exist: check the path and try again.",
        title="No such file",
        code="file_missing",
        params={"file": file},
    )


def os_fault_reason(err: OSError) -> str:
    """Why a file could not be written, as a clause: "the disk is full", ..."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space is left on the disk"
    if err.errno == errno.EFBIG:
        return "a file reached the largest size this process may write"
    if err.errno == errno.EROFS:
        return "it is on a read-only file system"
    if err.errno in (errno.EACCES, errno.EPERM):
        return f"the user {_user()} may not write there"
    if err.errno in (errno.ENOTDIR, errno.EEXIST) and err.filename is not None:
        blocker = _first_blocker(Path(err.filename)) or Path(err.filename)
        return f"{blocker} is a file, not a folder"
    if err.errno == errno.ENOENT:
        return "a folder on the way does not exist"
    return err.strerror or str(err)


# -- who holds the lock ---------------------------------------------------------------------


def describe_process(pid: int | None, executable: str | None = None) -> str:
    """A short name of a process for a sentence: ``handover check``, ``the dashboard
    (streamlit)``, ``python3.11 import.py``."""
    args: list[str] = []
    if pid is not None:
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
            args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
        except OSError:
            args = []
    for i, arg in enumerate(args):
        base = os.path.basename(arg)
        after_m = i > 0 and args[i - 1] == "-m"
        if base == "handover" or (after_m and arg == "pipelines"):
            command = next((a for a in args[i + 1 :] if a in _HANDOVER_COMMANDS), None)
            return f"`handover {command}`" if command else "`handover`"
        if base == "streamlit" or (after_m and arg == "streamlit"):
            dashboard = any(a.replace("\\", "/").endswith("dashboard/app.py") for a in args)
            return "the dashboard (streamlit)" if dashboard else "streamlit"
    if args:
        name = os.path.basename(args[0])
        if name.startswith("python") and len(args) > 1:
            if args[1] == "-m" and len(args) > 2:
                name = f"{name} -m {args[2]}"
            elif not args[1].startswith("-"):
                name = f"{name} {os.path.basename(args[1])}"
        return name[:80]
    if executable:
        return os.path.basename(executable)
    return "another program"


def _busy(path: Path, err: Exception, seconds: float, wanted_write: bool) -> StoreBusyError:
    text = str(err)
    pid_match = _PID.search(text)
    pid = int(pid_match.group(1)) if pid_match else None
    held_in = _HELD_IN.search(text)
    program = describe_process(pid, held_in.group(1) if held_in else None)
    holder = "writer"
    if wanted_write:  # a reader keeps a writer out too: see whether we could read
        try:
            duckdb.connect(str(path), read_only=True, config=connection_config()).close()
            holder = "reader"
        except duckdb.Error:
            holder = "reader" if "open this database in read-only mode" in text else "writer"
    if pid is None:
        who = program
    elif program.endswith(")"):  # "the dashboard (streamlit)"
        who = f"{program[:-1]}, process {pid})"
    else:
        who = f"{program} (process {pid})"
    seconds_text = f"{seconds:.0f}" if seconds >= 10 else f"{seconds:g}"
    params: dict[str, object] = {
        "file": str(path),
        "program": program,
        "pid": pid,
        "seconds": seconds_text,
    }
    if pid is None and program == "another program":
        return StoreBusyError(
            f"The database {path} is busy: another process has kept it locked for more than "
            f"{seconds_text} s (usually a large import); try again when it has finished.",
            title="Database busy",
            code="db_busy",
            params=params,
        )
    if holder == "reader":
        return StoreBusyError(
            f"The database {path} is busy: {who} has had it open for reading for more than "
            f"{seconds_text} s, which keeps writers out; try again when it has finished, or "
            "close it.",
            title="Database busy",
            code="db_busy_reader",
            params=params,
        )
    return StoreBusyError(
        f"The database {path} is busy: {who} is writing to it and has kept it locked for "
        f"more than {seconds_text} s; try again when it has finished.",
        title="Database busy",
        code="db_busy_writer",
        params=params,
    )


_schema_checked: dict[tuple, bool] = {}
_schema_current: dict[tuple, bool] = {}  # file states seen at the latest schema version


def _remember(cache: dict[tuple, bool], key: tuple) -> None:
    if len(cache) > 256:
        cache.clear()
    cache[key] = True


def _file_state(path: Path) -> tuple | None:
    """What changes whenever the database does: the key of the schema check's cache."""
    try:
        stat = path.stat()
    except OSError:
        return None
    try:
        wal = wal_path(path).stat()
        wal_state = (wal.st_mtime_ns, wal.st_size)
    except OSError:
        wal_state = None
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size, stat.st_ino, wal_state)


@contextmanager
def _private_files(active: bool) -> Iterator[None]:
    """While a read-write connection is open, files DuckDB creates (the database, its
    write-ahead log) are the owner's only. The umask is the process's: it is set under the
    process lock, and other threads meanwhile create files that are private too, never
    more open."""
    if not active or os.name != "posix":
        yield
        return
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _chmod_private(path: Path) -> None:
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass


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
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]


class Store:
    """A DuckDB database file, reached only through short-lived connections."""

    def __init__(
        self,
        path: Path | str | None = None,
        busy_timeout: float | None = None,
        key: Key | None | object = FIND_KEY,
    ):
        self.path = Path(path) if path is not None else default_db_path()
        if busy_timeout is None:
            busy_timeout = float(os.environ.get(BUSY_TIMEOUT_ENV, DEFAULT_BUSY_TIMEOUT))
        self.busy_timeout = busy_timeout
        self._key = key

    def key(self) -> Key | None:
        """The database's key (pipelines/encryption.py): the one given, else the one found
        where keys are looked for (at each use: the environment may change); None for a
        plain database."""
        if self._key is FIND_KEY:
            return find_key(self.path)
        return self._key  # type: ignore[return-value]

    def beside(self, path: Path | str) -> Store:
        """A store of another file (a snapshot, a copy, a restore's file in the making) that
        opens with this one's key: the copy of an encrypted database is encrypted too."""
        return Store(path, busy_timeout=self.busy_timeout, key=self.key())

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- connections -------------------------------------------------------------------------

    @contextmanager
    def connect(
        self, read_only: bool = True, data_change: bool = True, as_is: bool = False
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for the length of a ``with`` block, retried while the file is locked.

        A read-only connection first makes sure the file is a handover-insight database this
        release understands, and brings an earlier release's schema and views up to this
        one's, unless ``as_is`` (a backup takes the file as it is). Faults of the file met inside the block become ``StoreError``;
        a read-write block that fails leaves no new file behind. A read-write block marks
        the data as changed (``data_version``) unless ``data_change`` is False: a write of the
        audit trail or of a sign-in alone, which no page's figures read."""
        with _process_lock, _private_files(not read_only):
            wal = wal_path(self.path)
            try:
                self._check_path(read_only)
                existed = self.path.exists()
                wal_existed = wal.exists()
            except OSError as err:  # stat refused: a folder this user may not enter
                raise (
                    os_fault(err, self.path, writing=not read_only, database=True) or err
                ) from err
            try:
                conn = self._open(read_only)
            except BaseException:
                if not read_only:
                    self._remove_new_files(existed, wal_existed)
                raise
            if not existed:
                _chmod_private(self.path)
            failed = True
            try:
                state = self._check_schema(conn) if read_only else "ready"
                if state == "older" and as_is:
                    state = "ready"
                if state != "ready":
                    conn.close()
                    if state == "blank":  # give it the schema, as a write would
                        self._initialise_blank()
                    else:  # an earlier release's schema or views: this release's first
                        self._upgrade_for_reading()
                    conn = self._open(read_only)
                yield conn
                failed = False
            except duckdb.Error as err:
                fault = store_fault(err, self.path, writing=not read_only)
                if fault is None:
                    raise
                raise fault from err
            except OSError as err:  # files the work beside the database writes (copies)
                writes = err.errno in _WRITE_FAULTS
                target = err.filename2 if writes and err.filename2 is not None else err.filename
                os_error = os_fault(
                    err,
                    writing=(not read_only) if writes else None,
                    database=str(target) == str(self.path),
                )
                if os_error is None:
                    raise
                raise os_error from err
            finally:
                try:
                    conn.close()
                except duckdb.Error as err:  # a checkpoint at close; the commit is in the log
                    log.debug("closing %s: %s", self.path, err)
                if failed and not read_only:
                    self._remove_new_files(existed, wal_existed)
                if not (read_only or failed or not data_change):
                    self._mark_data_change()  # a failed block committed nothing

    def _stamp_path(self) -> Path:
        return self.path.with_name(self.path.name + ".changed")

    def _mark_data_change(self) -> None:
        stamp = self._stamp_path()
        try:
            fd = os.open(stamp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(str(time.time_ns()))
        except OSError as err:  # the pages then key on the file itself (last_change)
            log.debug("cannot mark %s: %s", stamp, err)
            try:
                stamp.unlink()
            except OSError:
                pass

    def data_version(self) -> tuple:
        """A cheap key that changes whenever the data does, but not for a write of the audit
        trail or a sign-in alone (``data_change=False``), so that recording who looked at
        what does not make every page recompute. The database file's identity is part of
        it (a file replaced or restored counts as a change; not its size, which the
        checkpoint after a write of the audit trail may change too); without the mark (a
        database last written by an earlier release) it is ``last_change()``."""
        try:
            stamp = self._stamp_path().read_text(encoding="ascii").strip()
            file = self.path.stat()
        except OSError:
            return ("file", *self.last_change())
        return ("data", stamp, file.st_ino)

    def _check_path(self, read_only: bool) -> None:
        """Faults of the path itself, said before DuckDB tries (and says it less clearly)."""
        if self.path.is_dir():
            raise _is_folder(str(self.path))
        if read_only:
            if not self.path.exists():
                raise no_database(self.path)
            return
        folder = self.path.parent
        if not folder.is_dir():
            if blocker := _first_blocker(folder):
                raise _not_a_folder(str(self.path), blocker)
            raise _folder_missing(str(self.path), _nearest_missing_folder(folder))

    def _remove_new_files(self, existed: bool, wal_existed: bool) -> None:
        """After a failed write: remove the database file if this write created it, and an
        empty write-ahead log a failed commit leaves behind, so that nothing changed."""
        wal = wal_path(self.path)
        try:
            if not existed:
                for created in (self.path, wal):
                    if created.exists():
                        created.unlink()
            elif not wal_existed and wal.exists() and wal.stat().st_size == 0:
                wal.unlink()
        except OSError as err:
            log.debug("could not remove %s after a failed write: %s", self.path, err)

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.02
        key = self.key()
        while True:
            try:
                if key is not None:
                    return quiet(open_encrypted(self.path, key, read_only))
                return quiet(
                    duckdb.connect(str(self.path), read_only=read_only, config=connection_config())
                )
            except duckdb.Error as err:
                if not (_is_lock_conflict(err) or _is_config_conflict(err)):
                    fault = key_fault(err, self.path, key) or store_fault(
                        err, self.path, writing=not read_only
                    )
                    if fault is None:
                        raise
                    raise fault from err
                if time.monotonic() >= deadline:
                    raise _busy(self.path, err, self.busy_timeout, not read_only) from err
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)

    def open_for_library(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection for a library that manages its connections itself (Great
        Expectations through SQLAlchemy): opened as every other (settings, retries while the
        file is locked, the key of an encrypted database); the library closes it."""
        return self._open(read_only=True)

    def _check_schema(self, conn: duckdb.DuckDBPyConnection) -> str:
        """Refuse to read a file of another program or of a newer release. "blank" for a
        blank DuckDB file (no tables at all), "older" for a database whose schema or views
        an earlier release made (its reads would miss a column or read a view's old text),
        else "ready". A few small queries, cached per state of the file, so pages do not pay
        them on every read."""
        from pipelines.migrations import LATEST_VERSION, views_hash

        key = _file_state(self.path)
        if key is not None and _schema_checked.get(key):
            return "ready"
        has_version, tables = conn.execute(
            "select count(*) filter (where table_name = 'schema_version'), count(*) "
            "from information_schema.tables where table_schema = 'main' "
            "and table_catalog = current_database()"
        ).fetchall()[0]
        if not has_version:
            if tables:
                raise foreign_database(self.path)
            return "blank"
        version = conn.execute("select coalesce(max(version), 0) from schema_version").fetchall()[
            0
        ][0]
        if version > LATEST_VERSION:
            raise schema_too_new(self.path, version, LATEST_VERSION)
        stored = conn.execute("select value from schema_meta where key = 'views_hash'").fetchall()
        if version < LATEST_VERSION or stored != [(views_hash(),)]:
            return "older"
        if key is not None:
            _remember(_schema_checked, key)
            _remember(_schema_current, key)
        return "ready"

    def _upgrade_for_reading(self) -> None:
        """Bring an earlier release's database to this release's schema and views before it
        is read (one short write, as the first import would do). A file this process may
        only read is read as it is: its pages may then miss what the upgrade adds."""
        try:
            self.ensure_schema()
        except StoreReadOnlyError as err:
            log.warning("%s: read without upgrading its schema (%s)", self.path, err.message)

    def _initialise_blank(self) -> None:
        try:
            self.ensure_schema()
        except StoreError as err:
            raise SchemaError(
                f"The database {self.path} is a blank DuckDB file that could not be prepared "
                f"for reading ({err.message}): load data first, or point --db at another file.",
                title="No data",
                code="db_empty",
                params={"file": str(self.path)},
            ) from err

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

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T], as_is: bool = False) -> T:
        """Run several reads on one read-only connection (one consistent snapshot); with
        ``as_is``, of the file as it is, not brought up to this release's schema first."""
        with self.connect(read_only=True, as_is=as_is) as conn:
            return fn(conn)

    # -- writes ------------------------------------------------------------------------------

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], *, data_change: bool = True) -> T:
        """Run ``fn(conn)`` in one transaction: all of it is committed, or none of it.
        ``data_change`` False: the write touches only the audit trail or sign-in state."""
        from pipelines.migrations import migrate  # the schema is created on first write

        with self.connect(read_only=False, data_change=data_change) as conn:
            migrate(conn, self.path)
            conn.execute("begin transaction")
            try:
                result = fn(conn)
            except BaseException:
                try:
                    conn.execute("rollback")
                except duckdb.Error:  # the failure already ended the transaction
                    pass
                raise
            conn.execute("commit")
            return result

    def ensure_schema(self) -> int:
        """Create or upgrade the schema; returns the schema version. Not a change of the data
        (``data_version``): a reader that makes sure the tables exist (the latest check run,
        read by the data quality page) must not make every page compute again; an upgrade
        that did change the file changes its size, and with it the version. A file already
        seen at the latest version, unchanged since, is not opened for writing again (a
        write connection would make the pages' reads wait)."""
        from pipelines.migrations import LATEST_VERSION, current_version

        key = _file_state(self.path)
        if key is not None and _schema_current.get(key):
            return LATEST_VERSION
        version = self.write(current_version, data_change=False)
        after = _file_state(self.path)
        if after is not None and version == LATEST_VERSION:
            _remember(_schema_current, after)
        return version

    def exists(self) -> bool:
        """Whether there is something at the path. A path that cannot even be looked at (a
        folder this user may not enter) counts as there: opening it says why, in a sentence."""
        try:
            return self.path.exists()
        except OSError:
            return True

    def last_change(self) -> tuple[float, int]:
        """A cheap key that changes whenever the database does (for the dashboard's caches)."""
        try:
            stat = self.path.stat()
        except OSError:  # missing, or not ours to look at: reading it will say so
            return (0.0, 0)
        try:
            wal_mtime = wal_path(self.path).stat().st_mtime
        except OSError:
            wal_mtime = 0.0
        return (max(stat.st_mtime, wal_mtime), stat.st_size)
