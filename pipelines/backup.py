"""Backups of the database and restoring them (issue 13, part 2).

A backup is a folder ``handover-backup-YYYYmmddTHHMMSSZ`` holding DuckDB's ``EXPORT
DATABASE`` of the database as Parquet (one file per table, ``schema.sql``, ``load.sql``) and
``manifest.json``: the format, the schema version the database holds, the rows of every
table, the sha256 and size of every file, when it was taken, by which release, of which file.

Consistency: the snapshot is taken on one read-only connection of the store
(``Store.read``). While any connection holds the file, DuckDB keeps every writer of another
process out, so an import started meanwhile waits (the store retries for its busy timeout)
and the backup holds each import either whole or not at all; the dashboard's reads go on.

Nothing that looks like a backup exists before it is complete: the files are written into
``<folder>/.partial-handover-backup-<stamp>-<pid>``, the manifest last, and the folder is
renamed to its final name only then (a rename is atomic). A backup killed half-way or stopped
by a full disk leaves at most a partial folder, which the next backup removes.
``keep`` removes the oldest complete backups (our name and a manifest) beyond that number.

Restoring verifies every file against the manifest before anything is written, builds the
database in a temporary file beside the target, loads the tables, compares their rows with
the manifest, upgrades an older schema (the store's migrations) and only then renames it into
place. An existing database is replaced only when asked, and is then kept beside it as
``NAME.before-restore-<stamp>`` (with its write-ahead log).

Encryption (issue 13, part 1) is not built yet: the snapshot's files are written in one
place, ``_write_snapshot``, and read in one place, ``_load_snapshot``, which is where it goes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.access import Actor, administrator
from pipelines.encryption import KEY_FILE_ENV, Key, add_backup_key, fingerprint, looked_in
from pipelines.errors import HandoverError, StoreFullError
from pipelines.store import Store, wal_path

FORMAT = "handover-insight backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PREFIX = "handover-backup-"
PARTIAL = ".partial-" + PREFIX
BACKUP_NAME = re.compile(r"^handover-backup-\d{8}T\d{6}Z(?:-\d+)?$")
_PARTIAL_NAME = re.compile(r"^\.partial-handover-backup-\d{8}T\d{6}Z-(\d+)$")
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_COPY = re.compile(r"""COPY\s+("?)([A-Za-z_][A-Za-z0-9_]*)\1\s+FROM\s+'([^']*)'""", re.I)
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_CHUNK = 1 << 20


class BackupError(HandoverError):
    """A backup that could not be written or a backup that cannot be restored: nothing was
    written (no backup, no database), and the database is unchanged."""


@dataclass
class BackupReport:
    folder: Path
    created_at: str
    schema_version: int
    tables: dict[str, int]
    files: int
    bytes: int
    removed: list[Path] = field(default_factory=list)  # older backups beyond --keep
    partials_removed: list[Path] = field(default_factory=list)  # left by a crash

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "created_at": self.created_at,
            "schema_version": self.schema_version,
            "tables": self.tables,
            "rows": self.rows,
            "files": self.files,
            "bytes": self.bytes,
            "removed": [str(p) for p in self.removed],
            "partials_removed": [str(p) for p in self.partials_removed],
        }


@dataclass
class RestoreReport:
    database: Path
    backup: Path
    backup_schema_version: int
    schema_version: int
    tables: dict[str, int]
    bytes: int
    kept: Path | None = None  # the replaced database, renamed

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def upgraded(self) -> bool:
        return self.schema_version != self.backup_schema_version

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": str(self.database),
            "backup": str(self.backup),
            "backup_schema_version": self.backup_schema_version,
            "schema_version": self.schema_version,
            "upgraded": self.upgraded,
            "tables": self.tables,
            "rows": self.rows,
            "bytes": self.bytes,
            "kept": None if self.kept is None else str(self.kept),
        }


# -- who may ----------------------------------------------------------------------------------

# -- backup -----------------------------------------------------------------------------------


def default_folder(store: Store) -> Path:
    """``backups/`` beside the database."""
    return store.path.parent / "backups"


def backup(
    store: Store,
    folder: Path | str | None = None,
    keep: int | None = None,
    *,
    actor: Actor | None = None,
) -> BackupReport:
    """Write a consistent snapshot of ``store`` into a new backup folder inside ``folder``
    (default: ``backups/`` beside the database); then, with ``keep``, remove the oldest
    complete backups beyond that number."""
    administrator(actor, "back up the database")
    if keep is not None and keep < 1:
        raise BackupError(
            f"--keep {keep}: keep at least 1 backup (the one just written).",
            title="Bad option",
            code="backup_keep",
            params={"keep": keep},
        )
    folder = Path(folder) if folder is not None else default_folder(store)
    if folder.exists() and not folder.is_dir():
        raise BackupError(
            f"{folder} is a file, not a folder: give a folder for the backups.",
            title="Not a folder",
            code="backup_folder_is_file",
            params={"folder": str(folder)},
        )
    if not store.exists():
        store.read(lambda conn: None, as_is=True)  # the store's sentence: no database at the path
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    partials = _remove_partials(folder)

    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    partial = folder / f"{PARTIAL}{stamp}-{os.getpid()}"
    try:
        partial.mkdir(mode=0o700)
        key = store.key()
        version, tables, files = store.read(
            lambda conn: _write_snapshot(conn, partial, key), as_is=True
        )
        manifest: dict[str, Any] = {  # a JSON document
            "encrypted": key is not None,
            "key_fingerprint": fingerprint(key) if key is not None else None,
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_version": version,
            "latest_schema_version": _latest_version(),
            "created_at": started.isoformat().replace("+00:00", "Z"),
            "product_version": _product_version(),
            "source": store.path.name,
            "tables": {name: {"rows": rows, "file": files[name]} for name, rows in tables.items()},
            "files": {
                name: _describe(partial / name)
                for name in sorted(path.name for path in partial.iterdir())
            },
        }
        _write_manifest(partial, manifest)
        final = _free_name(folder, stamp)
        os.rename(partial, final)
        _sync_folder(folder)
    except BaseException as err:
        shutil.rmtree(partial, ignore_errors=True)
        if _is_full(err):
            raise BackupError(
                f"No space left on the disk holding {folder}, so no backup was written (the "
                "unfinished copy was removed) and the database is unchanged: free some space "
                "there, or back up to a folder on another disk, and try again.",
                title="Disk full",
                code="backup_disk_full",
                params={"folder": str(folder)},
            ) from err
        raise
    removed = _rotate(folder, keep) if keep is not None else []
    return BackupReport(
        final,
        manifest["created_at"],
        version,
        tables,
        len(manifest["files"]),
        sum(f["bytes"] for f in manifest["files"].values()),
        removed,
        partials,
    )


def _write_snapshot(
    conn, target: Path, key: Key | None
) -> tuple[int, dict[str, int], dict[str, str]]:
    """The one place that writes a snapshot's data: the schema version, every table's rows
    and DuckDB's export to Parquet, all read in one transaction of one read-only
    connection; the Parquet files encrypted when the database is (with a key derived from
    its key, pipelines/encryption.py). Returns (schema version, rows per table, Parquet file
    per table)."""
    from pipelines.migrations import current_version

    encrypted = f", {add_backup_key(conn, key)}" if key is not None else ""

    conn.execute("begin transaction")
    version = current_version(conn)
    names = [
        row[0]
        for row in conn.execute(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'main' and not temporary order by table_name"
        ).fetchall()
    ]
    tables = {
        name: conn.execute(f'select count(*) from "{name}"').fetchall()[0][0] for name in names
    }
    conn.execute(f"export database '{_literal(target)}' (format parquet{encrypted})")
    conn.execute("commit")
    files = {}
    for match in _COPY.finditer((target / "load.sql").read_text(encoding="utf-8")):
        files[match.group(2)] = Path(match.group(3)).name
    missing = sorted(set(tables) - set(files))
    if missing:  # DuckDB's export changed its layout: better no backup than a wrong one
        raise BackupError(
            f"DuckDB's export wrote no file for the table(s) {', '.join(missing)}"
            "; no backup was written. Please report it.",
            title="Backup failed",
            code="backup_export_layout",
            params={"tables": ", ".join(missing)},
        )
    return version, tables, files


def _digest(path: Path, sync: bool = False) -> dict[str, Any]:
    """sha256 and size of a file, as the manifest lists them; ``sync``: flushed to the disk
    too (a file just written)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        if sync:
            os.fsync(handle.fileno())
    return {"sha256": digest.hexdigest(), "bytes": size}


def _describe(path: Path) -> dict[str, Any]:
    """sha256 and size of a file, which is made the owner's only and flushed to the disk."""
    os.chmod(path, 0o600)
    return _digest(path, sync=True)


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    fd = os.open(folder / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=2, sort_keys=True)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _free_name(folder: Path, stamp: str) -> Path:
    """``handover-backup-<stamp>``, or with -2, -3... when one of that second exists."""
    candidate = folder / f"{PREFIX}{stamp}"
    number = 1
    while candidate.exists():
        number += 1
        candidate = folder / f"{PREFIX}{stamp}-{number}"
    return candidate


def _is_full(err: BaseException) -> bool:
    seen = set()
    link: BaseException | None = err  # the error, then its causes
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, StoreFullError):
            return True
        if isinstance(link, OSError) and link.errno in _FULL:
            return True
        if "no space left on device" in str(link).lower():
            return True
        link = link.__cause__ or link.__context__
    return False


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _remove_partials(folder: Path) -> list[Path]:
    """Remove what backups killed half-way left in ``folder`` (not one still being written
    by a running process)."""
    removed = []
    for path in sorted(folder.iterdir()):
        match = _PARTIAL_NAME.match(path.name)
        if match and path.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def complete_backups(folder: Path | str) -> list[Path]:
    """The complete backups in ``folder`` (our name and a readable manifest), oldest first."""
    found = []
    folder = Path(folder)
    if not folder.is_dir():
        return []
    for path in folder.iterdir():
        if not (BACKUP_NAME.match(path.name) and path.is_dir()):
            continue
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and manifest.get("format") == FORMAT:
            found.append((str(manifest.get("created_at", "")), path.name, path))
    return [path for _, _, path in sorted(found)]


def _rotate(folder: Path, keep: int) -> list[Path]:
    backups = complete_backups(folder)
    removed = backups[:-keep] if len(backups) > keep else []
    for path in removed:
        shutil.rmtree(path)
    return removed


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")


def _latest_version() -> int:
    from pipelines.migrations import LATEST_VERSION

    return LATEST_VERSION


def _product_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("handover-insight")
    except PackageNotFoundError:
        return "unknown"


# -- restore ----------------------------------------------------------------------------------


def _not_a_backup(folder: Path, why: str) -> BackupError:
    return BackupError(
        f"{folder} is not a handover-insight backup ({why}): give a folder "
        f"named {PREFIX}… that `handover backup` wrote.",
        title="Not a backup",
        code="backup_not_a_backup",
        params={"folder": str(folder), "why": why},
    )


def read_manifest(folder: Path | str) -> dict[str, Any]:
    """The manifest of a backup folder, checked for its format and schema version."""
    folder = Path(folder)
    if not folder.exists():
        raise BackupError(
            f"There is no backup at {folder}: give the folder of a backup (`{PREFIX}…`).",
            title="No such backup",
            code="backup_missing",
            params={"folder": str(folder)},
        )
    if not folder.is_dir():
        raise _not_a_backup(folder, "it is a file, not a folder")
    path = folder / MANIFEST
    if not path.is_file():
        raise _not_a_backup(folder, f"it has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _not_a_backup(folder, f"its {MANIFEST} is not readable JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(folder, f"its {MANIFEST} is not one of a handover-insight backup")
    fmt = manifest.get("format_version")
    if fmt != FORMAT_VERSION:
        raise BackupError(
            f"{path} is of backup format {fmt!r}, which this release does not know (it reads "
            f"format {FORMAT_VERSION}): restore it with the release that wrote it "
            f"({manifest.get('product_version', 'unknown')}) or a newer one.",
            title="Unknown backup format",
            code="backup_format_unknown",
            params={"file": str(path), "format": str(fmt)},
        )
    latest = _latest_version()
    version = manifest.get("schema_version")
    tables = manifest.get("tables")
    files = manifest.get("files")
    if (
        not isinstance(version, int)
        or not isinstance(tables, dict)
        or not isinstance(files, dict)
        or not all(
            _TABLE_NAME.match(name)
            and isinstance(info, dict)
            and isinstance(info.get("rows"), int)
            and info.get("file") in files
            for name, info in tables.items()
        )
        or not all(
            _FILE_NAME.match(name) and isinstance(info, dict) for name, info in files.items()
        )
        or "schema.sql" not in files
    ):
        raise _not_a_backup(
            folder, f"its {MANIFEST} lacks or garbles the schema version, tables or files"
        )
    if version > latest:
        raise BackupError(
            f"The backup {folder} holds schema version {version}, written by a newer release "
            f"({manifest.get('product_version', 'unknown')}); this program understands "
            f"{latest}: restore it with that release or a newer one. Nothing was written.",
            title="Backup too new",
            code="backup_too_new",
            params={"folder": str(folder), "version": version, "supported": latest},
        )
    return manifest


def verify(folder: Path | str, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check every file the manifest lists: there, of its size and its sha256."""
    folder = Path(folder)
    manifest = manifest if manifest is not None else read_manifest(folder)
    for name, info in sorted(manifest["files"].items()):
        path = folder / name
        if not path.is_file():
            raise BackupError(
                f"The backup {folder} is incomplete: {name} is missing, so nothing was "
                "restored; use another backup.",
                title="Backup incomplete",
                code="backup_file_missing",
                params={"folder": str(folder), "file": name},
            )
        found = _digest(path)
        size = found["bytes"]
        if size != info.get("bytes") or found["sha256"] != info.get("sha256"):
            raise BackupError(
                f"{path} is not the file the backup wrote (its "
                f"{'size' if size != info.get('bytes') else 'checksum'} differs from the "
                "manifest's), so nothing was restored; use another backup.",
                title="Backup damaged",
                code="backup_checksum",
                params={"folder": str(folder), "file": name},
            )
    return manifest


def restore(
    backup_dir: Path | str, to: Path | str, replace: bool = False, *, actor: Actor | None = None
) -> RestoreReport:
    """Rebuild a database at ``to`` from a backup folder, verified against its manifest.
    An existing database is replaced only with ``replace``, and is then kept beside it."""
    administrator(actor, "restore a database")
    backup_dir, to = Path(backup_dir), Path(to)
    manifest = verify(backup_dir, read_manifest(backup_dir))
    if to.is_dir():
        raise BackupError(
            f"{to} is a folder: give the database file to restore into, e.g. "
            f"{to / 'handover.duckdb'}.",
            title="Not a file",
            code="restore_target_folder",
            params={"file": str(to)},
        )
    if not to.parent.is_dir():
        raise BackupError(
            f"The folder {to.parent} of {to} does not exist: create it, or "
            "restore into an existing folder.",
            title="No such folder",
            code="restore_folder_missing",
            params={"file": str(to)},
        )
    if to.exists() and not replace:
        raise BackupError(
            f"{to} already exists and was left as it is: restore into a new file, or add "
            "--replace to replace it (the current file is then kept beside it).",
            title="Database exists",
            code="restore_target_exists",
            params={"file": str(to)},
        )
    _remove_stale_restores(to)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    temporary = to.with_name(f".{to.name}.restore-{os.getpid()}")
    kept = None
    key = _restore_key(Store(to), backup_dir, manifest)
    building = Store(temporary, key=key)  # encrypted when the target's key is found
    try:
        with building.connect(read_only=False, data_change=False) as conn:
            tables = _load_snapshot(conn, backup_dir, manifest, key)
            conn.execute("checkpoint")
        version = building.ensure_schema()  # migrations and views of this release
        if to.exists():
            kept = _keep_aside(to, stamp)
        if wal_path(temporary).exists():
            os.replace(wal_path(temporary), wal_path(to))
        os.replace(temporary, to)
        _sync_folder(to.parent)
    except BaseException as err:
        for leftover in _restore_files(temporary):
            try:
                leftover.unlink()
            except OSError:
                pass
        if _is_full(err):
            raise BackupError(
                f"No space left on the disk holding {to.parent}, so nothing was restored"
                f"{' and ' + str(to) + ' is unchanged' if to.exists() else ''}: free some "
                "space there, or restore into a folder on another disk.",
                title="Disk full",
                code="restore_disk_full",
                params={"file": str(to)},
            ) from err
        raise
    Store(to).write(lambda conn: None)  # marks the data as changed: open pages read it again
    return RestoreReport(
        to, backup_dir, manifest["schema_version"], version, tables, to.stat().st_size, kept
    )


def _load_snapshot(conn, folder: Path, manifest: dict[str, Any], key: Key | None) -> dict[str, int]:
    """The one place that reads a snapshot's data: the tables and sequences of schema.sql
    (its views are made by the migrations, from this release's files), each table's Parquet
    file (decrypted with ``key`` when the backup is encrypted), and a comparison of their
    rows and schema version with the manifest's."""
    from pipelines.migrations import current_version

    encrypted = ""
    if manifest.get("encrypted"):
        assert key is not None, "_restore_key refuses an encrypted backup without its key"
        encrypted = f", {add_backup_key(conn, key)}"

    conn.execute("begin transaction")
    schema = (folder / "schema.sql").read_text(encoding="utf-8")
    for statement in conn.extract_statements(schema):
        text = statement.query.strip()
        if re.match(r"create\s+(or\s+replace\s+)?view\b", text, re.I):
            continue
        if not re.match(r"create\s+(table|sequence)\b", text, re.I):  # nothing else runs
            raise _not_a_backup(folder, "its schema.sql does more than create tables and sequences")
        conn.execute(text)
    for name, info in manifest["tables"].items():
        conn.execute(
            f"copy \"{name}\" from '{_literal(folder / info['file'])}' (format parquet{encrypted})"
        )
    tables = {
        name: conn.execute(f'select count(*) from "{name}"').fetchall()[0][0]
        for name in manifest["tables"]
    }
    wanted = {name: info["rows"] for name, info in manifest["tables"].items()}
    differ = sorted(name for name in wanted if tables[name] != wanted[name])
    if differ:
        raise BackupError(
            f"The restored tables do not hold the rows the manifest of {folder} lists "
            f"({', '.join(f'{n}: {tables[n]} not {wanted[n]}' for n in differ)}), so nothing "
            "was restored; use another backup.",
            title="Backup damaged",
            code="restore_counts_differ",
            params={"folder": str(folder)},
        )
    version = current_version(conn)
    if version != manifest["schema_version"]:
        raise BackupError(
            f"The backup {folder} holds schema version {version}, not the "
            f"{manifest['schema_version']} its manifest says, so nothing was restored; use "
            "another backup.",
            title="Backup damaged",
            code="restore_version_differs",
            params={"folder": str(folder)},
        )
    conn.execute("delete from schema_meta where key = 'views_hash'")  # views: from the files
    conn.execute("commit")
    return tables


def _restore_key(target: Store, folder: Path, manifest: dict[str, Any]) -> Key | None:
    """The key the restored database is encrypted with: the one found for the target (an
    encrypted backup needs it, and it must be the key the backup was taken with)."""
    key = target.key()
    if manifest.get("encrypted"):
        if key is None:
            raise BackupError(
                f"The backup {folder} is encrypted and no key was found for {target.path}: "
                f"set {KEY_FILE_ENV} to the key file of the database it was taken from "
                f"(looked in {looked_in(target.path)}).",
                title="Key needed",
                code="restore_needs_key",
                params={"folder": str(folder), "file": str(target.path)},
            )
        if fingerprint(key) != manifest.get("key_fingerprint"):
            raise BackupError(
                f"The backup {folder} was taken with another key than the one found "
                f"({key.source}): set {KEY_FILE_ENV} to the key file the database had then.",
                title="Wrong key",
                code="restore_wrong_key",
                params={"folder": str(folder), "source": key.source},
            )
    return key


def _keep_aside(to: Path, stamp: str) -> Path:
    """The database about to be replaced, kept under a new name (its write-ahead log too).
    A hard link keeps ``to`` in place until the new file replaces it in one rename."""
    kept = to.with_name(f"{to.name}.before-restore-{stamp}")
    number = 1
    while kept.exists():
        number += 1
        kept = to.with_name(f"{to.name}.before-restore-{stamp}-{number}")
    for source, target in ((wal_path(to), wal_path(kept)), (to, kept)):
        if not source.exists():
            continue
        try:
            os.link(source, target)
            if source != to:
                source.unlink()  # the log of the old file must not be replayed into the new
        except OSError:
            os.rename(source, target)
    return kept


def _restore_files(temporary: Path) -> list[Path]:
    return [temporary, wal_path(temporary), temporary.with_name(temporary.name + ".changed")]


def _remove_stale_restores(to: Path) -> None:
    """Remove the temporary files of a restore into ``to`` that was killed half-way."""
    pattern = re.compile(rf"^\.{re.escape(to.name)}\.restore-(\d+)(?:\.wal|\.changed)?$")
    for path in to.parent.iterdir():
        match = pattern.match(path.name)
        if match and not _alive(int(match.group(1))):
            try:
                path.unlink()
            except OSError:
                pass
