"""Creating an encrypted database, encrypting a plain one, changing the key
(`handover init --encrypt`, `handover encrypt`, `handover rekey`).

Encrypting and changing the key rewrite the database into a new file with the new key (copy,
verify rows and checksums, swap: pipelines/rewrite.py) while holding the only write
connection, so the file is either the old one or the new one, never half of each. A new key
is written to its key file *before* the database is swapped, so that there is no moment in
which the database needs a key that is nowhere; when a rekey is interrupted between the
swap and the key file's move, the new key is in ``<key file>.new`` and the sentence for a
wrong key says so.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from pipelines.access import Actor, administrator
from pipelines.encryption import (
    KEY_ENV,
    KEY_FILE_ENV,
    EncryptionKeyError,
    Key,
    find_key,
    key_file_for,
    load_crypto,
    new_secret,
    write_key_file,
)
from pipelines.rewrite import rewrite_database
from pipelines.store import Store


@dataclass
class KeyReport:
    database: str
    key_source: str  # where the key now is: a key file's path, or HANDOVER_KEY
    key_file_written: str | None  # a key file this command wrote
    tables: int = 0
    rows: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _pending(path: Path) -> Path:
    return path.with_name(path.name + ".new")


def _refuse_existing(path: Path) -> None:
    if path.exists():
        raise EncryptionKeyError(
            f"The key file {path} exists already and was left as it is: name another with "
            "--key-file, or move it away if it belongs to no database.",
            title="Key file exists",
            code="key_file_exists",
            params={"file": str(path)},
        )


def _counts(store: Store) -> tuple[int, int]:
    def count(conn) -> tuple[int, int]:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from duckdb_tables() where database_name = current_database() "
                "and not temporary"
            ).fetchall()
        ]
        rows = sum(conn.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t in tables)
        return len(tables), rows

    return store.read(count)


def _is_encrypted(store: Store) -> bool:
    try:
        return bool(Store(store.path, key=None).read(lambda conn: False))
    except EncryptionKeyError as err:
        if err.code == "db_encrypted_no_key":
            return True
        raise


def init_database(
    path: Path, encrypt: bool, key_file: Path | None = None, actor: Actor | None = None
) -> KeyReport:
    """A new, empty database at ``path`` (refused when one is there), encrypted with the key
    found (HANDOVER_KEY, HANDOVER_KEY_FILE) or a new one written to ``key_file`` (default:
    the database's own key file)."""
    administrator(actor, "create a database")
    if path.exists():
        raise EncryptionKeyError(
            f"{path} exists already and was left as it is: "
            "`handover encrypt` encrypts an existing database.",
            title="Database exists",
            code="init_exists",
            params={"file": str(path)},
        )
    written = None
    key: Key | None = None
    if encrypt:
        key = find_key(path) if key_file is None else None
        if key is None:
            target = key_file or key_file_for(path)
            _refuse_existing(target)
            written = write_key_file(target, new_secret())
            key = Key(target.read_text(encoding="utf-8").strip(), str(target))
    store = Store(path, key=key)
    try:
        store.ensure_schema()
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    tables, rows = _counts(store)
    return KeyReport(
        str(path), key.source if key else "", str(written) if written else None, tables, rows
    )


def encrypt_database(
    store: Store, key_file: Path | None = None, actor: Actor | None = None
) -> KeyReport:
    """Encrypt the plain database of ``store`` in place (rewritten into an encrypted copy,
    verified, swapped) with the key found or a new one written to ``key_file``."""
    administrator(actor, "encrypt the database")
    if not store.exists():
        raise EncryptionKeyError(
            f"No database at {store.path} to encrypt: `handover init "
            "--encrypt` creates an encrypted one.",
            title="No database",
            code="db_missing",
            params={"file": str(store.path)},
        )
    if _is_encrypted(store):
        raise EncryptionKeyError(
            f"The database {store.path} is encrypted already: `handover rekey` changes its key.",
            title="Already encrypted",
            code="db_encrypted_already",
            params={"file": str(store.path)},
        )
    found = find_key(store.path) if key_file is None else None
    written = pending = None
    if found is None:  # a new key, in <file>.new until the database is swapped
        written = key_file or key_file_for(store.path)
        _refuse_existing(written)
        pending = _pending(written)
        pending.unlink(missing_ok=True)  # an earlier encryption that never swapped
        found = Key(new_secret(), str(written))
        write_key_file(pending, found.secret)
    plain = Store(store.path, busy_timeout=store.busy_timeout, key=None)
    try:
        with plain.connect(read_only=False) as conn:
            load_crypto(conn)
            rewrite_database(conn, store.path, attach_options=_key_option(found))
    except BaseException:
        if pending is not None:
            pending.unlink(missing_ok=True)
        raise
    if pending is not None and written is not None:  # a new key: both are set
        os.replace(pending, written)
    tables, rows = _counts(Store(store.path, key=found))
    return KeyReport(str(store.path), found.source, str(written) if written else None, tables, rows)


def rekey_database(
    store: Store, key_file: Path | None = None, actor: Actor | None = None
) -> KeyReport:
    """Give the encrypted database of ``store`` a new key: written to its key file (the one
    in use, else ``key_file``, else the database's own) through ``<file>.new``."""
    administrator(actor, "change the database's key")
    current = store.key()
    if current is None:
        if _is_encrypted(store):
            store.read(lambda conn: None)  # says where the key was looked for
        raise EncryptionKeyError(
            f"The database {store.path} is not encrypted: `handover encrypt` encrypts it.",
            title="Not encrypted",
            code="db_not_encrypted_rekey",
            params={"file": str(store.path)},
        )
    store.read(lambda conn: None)  # the current key opens it
    if key_file is not None:
        target = key_file
    elif current.source == KEY_ENV:
        target = key_file_for(store.path)
    else:
        target = Path(current.source)
    pending = _pending(target)
    pending.unlink(missing_ok=True)  # an earlier rekey that never swapped the database
    secret = new_secret()
    write_key_file(pending, secret)
    new = Key(secret, str(target))
    try:
        with store.connect(read_only=False) as conn:
            rewrite_database(conn, store.path, attach_options=_key_option(new))
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    os.replace(pending, target)
    tables, rows = _counts(Store(store.path, key=Key(secret, str(target))))
    return KeyReport(str(store.path), str(target), str(target), tables, rows)


def _key_option(key: Key) -> str:
    return "encryption_key '" + key.secret.replace("'", "''") + "'"


def env_note(report: KeyReport) -> str | None:
    """What the user must still do for the key to be found, or None."""
    if not report.key_file_written:
        return None
    written = Path(report.key_file_written)
    named = os.environ.get(KEY_FILE_ENV)
    if os.environ.get(KEY_ENV):
        return (
            f"{KEY_ENV} is set and is looked at first: unset it, or set it to the new "
            "key, for the database to open."
        )
    if named and Path(named).expanduser().resolve() != written.resolve():
        return f"Point {KEY_FILE_ENV} at {written} for the database to open."
    if written.resolve() != key_file_for(Path(report.database)).resolve() and not named:
        return f"Set {KEY_FILE_ENV}={written} for the database to open."
    return None
