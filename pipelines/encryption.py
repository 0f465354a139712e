"""The database's key: where it is looked for, how it is checked, and how a connection opens
an encrypted database with it.

An encrypted database (DuckDB's own AES-GCM encryption, ``ATTACH … (ENCRYPTION_KEY …)``)
holds nothing readable without its key. The key is looked for, in this order:

1. ``HANDOVER_KEY``: the key itself (at least 16 characters);
2. ``HANDOVER_KEY_FILE``: a file holding it, readable by its owner only (a key file that the
   group or others may read is refused: whoever can read it can read the database);
3. the database's own key file, ``~/.config/handover-insight/keys/<name>-<8 hex>.key``
   (``$XDG_CONFIG_HOME`` instead of ``~/.config`` when set; the hex part tells apart two
   databases of the same name): where ``handover init --encrypt`` and ``handover encrypt``
   write a new key. It is outside the database's folder, so a copy of that folder (a backup
   disk, a laptop) does not carry the key with it.

Writing an encrypted database needs DuckDB's ``httpfs`` extension for its cryptography; it
comes with the ``duckdb-extension-httpfs`` package (DuckDB's own, pinned beside DuckDB) and is
loaded from the installed wheel, never downloaded.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import StoreError

KEY_ENV = "HANDOVER_KEY"
KEY_FILE_ENV = "HANDOVER_KEY_FILE"
CONFIG_HOME_ENV = "XDG_CONFIG_HOME"
MIN_KEY_LENGTH = 16
ATTACHED_AS = "handover"  # the name an encrypted database has on its connection


class EncryptionKeyError(StoreError):
    """The key cannot be used: missing, wrong, or in a file others may read."""


@dataclass(frozen=True)
class Key:
    secret: str
    source: str  # where it came from, for messages: "HANDOVER_KEY" or a file's path

    def __repr__(self) -> str:  # never the secret, in a log or a traceback
        return f"Key(source={self.source!r})"


def key_file_for(database: Path | str) -> Path:
    """The database's own key file (see the module)."""
    real = Path(database).expanduser().resolve()
    home = os.environ.get(CONFIG_HOME_ENV) or str(Path.home() / ".config")
    tag = hashlib.sha256(str(real).encode("utf-8")).hexdigest()[:8]
    return Path(home) / "handover-insight" / "keys" / f"{real.stem}-{tag}.key"


def looked_in(database: Path | str) -> str:
    """Where the key is looked for, as the English sentences say it (HANDOVER_KEY_FILE is
    not among them when it is set: then that file is the key, or the error)."""
    return f"{KEY_ENV}, {KEY_FILE_ENV} and {key_file_for(database)}"


def find_key(database: Path | str) -> Key | None:
    """The key of ``database`` (see the module), or None when none is given anywhere."""
    given = os.environ.get(KEY_ENV)
    if given is not None and given.strip():
        return Key(_checked_secret(given.strip(), KEY_ENV), KEY_ENV)
    named = os.environ.get(KEY_FILE_ENV)
    if named:
        return read_key_file(Path(named).expanduser(), must_exist=True)
    own = key_file_for(database)
    return read_key_file(own, must_exist=False) if own.exists() else None


def read_key_file(path: Path, must_exist: bool = True) -> Key | None:
    """The key in ``path``, refused when the file is not its owner's alone."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if not must_exist:
            return None
        raise EncryptionKeyError(
            f"The key file {path} ({KEY_FILE_ENV}) does not exist: point "
            f"{KEY_FILE_ENV} at the database's key file.",
            title="No key file",
            code="key_file_missing",
            params={"file": str(path)},
        ) from None
    except OSError as err:
        raise _unreadable(path, err) from err
    if not stat.S_ISREG(info.st_mode):
        raise EncryptionKeyError(
            f"The key file {path} is not a file.",
            title="Key file refused",
            code="key_file_not_file",
            params={"file": str(path)},
        )
    mode = stat.S_IMODE(info.st_mode)
    if os.name == "posix" and (mode & 0o077 or info.st_uid != os.getuid()):
        raise EncryptionKeyError(
            f"The key file {path} may be read by others (mode {mode:04o}, owner uid "
            f"{info.st_uid}): whoever reads it reads the database. Make it yours alone "
            f"(chmod 600 {path}) and try again.",
            title="Key file refused",
            code="key_file_open",
            params={"file": str(path), "mode": f"{mode:04o}"},
        )
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise _unreadable(path, err) from err
    return Key(_checked_secret(secret, str(path)), str(path))


def _unreadable(path: Path, err: Exception) -> EncryptionKeyError:
    reason = getattr(err, "strerror", None) or type(err).__name__
    return EncryptionKeyError(
        f"The key file {path} could not be read ({reason}).",
        title="Key file unreadable",
        code="key_file_unreadable",
        params={"file": str(path), "reason": str(reason)},
    )


def _checked_secret(secret: str, source: str) -> str:
    if len(secret) < MIN_KEY_LENGTH or any(ord(c) < 32 for c in secret):
        raise EncryptionKeyError(
            f"The key in {source} is not usable: a key has at least "
            f"{MIN_KEY_LENGTH} characters and no control characters.",
            title="Key refused",
            code="key_unusable",
            params={"source": source, "length": MIN_KEY_LENGTH},
        )
    return secret


def new_secret() -> str:
    """A new random key: 256 bits, as 64 hexadecimal digits."""
    return secrets.token_hex(32)


def write_key_file(path: Path, secret: str) -> Path:
    """Write a new key file, its owner's alone (0600, in a 0700 folder when it makes one);
    an existing file is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret + "\n")
    return path


# -- connections ------------------------------------------------------------------------------


def crypto_extension() -> Path:
    """DuckDB's httpfs extension from the installed ``duckdb-extension-httpfs`` wheel."""
    try:
        import duckdb_extension_httpfs
    except ImportError as err:
        raise EncryptionKeyError(
            "Encrypted databases need the package duckdb-extension-httpfs, "
            "which is not installed: reinstall handover-insight (uv sync).",
            title="Encryption unavailable",
            code="crypto_missing",
        ) from err
    folder = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    version = duckdb.__version__
    found = sorted(folder.glob(f"v{version}/httpfs.duckdb_extension"))
    if not found:
        raise EncryptionKeyError(
            f"The installed duckdb-extension-httpfs is not for DuckDB {version}: reinstall "
            "handover-insight (uv sync).",
            title="Encryption unavailable",
            code="crypto_mismatch",
            params={"version": version},
        )
    return found[0]


def load_crypto(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"load {_literal(str(crypto_extension()))}")


def attach_sql(path: Path | str, key: Key | None, read_only: bool, alias: str = ATTACHED_AS) -> str:
    """``ATTACH`` of a database file (DuckDB takes no parameter there: the path and the key
    are quoted literals), with its key when it is encrypted."""
    options = ([f"encryption_key {_literal(key.secret)}"] if key is not None else []) + (
        ["read_only"] if read_only else []
    )
    listed = f" ({', '.join(options)})" if options else ""
    return f"attach {_literal(str(path))} as {alias}{listed}"


BACKUP_KEY_NAME = "handover_backup"  # the name of the Parquet key on a connection


def backup_key(key: Key) -> str:
    """The key of an encrypted backup's Parquet files, derived from the database's key
    (base64 of 32 bytes, as DuckDB's Parquet encryption takes it)."""
    import base64

    return base64.b64encode(
        hashlib.sha256(b"handover-insight backup\0" + key.secret.encode("utf-8")).digest()
    ).decode("ascii")


def fingerprint(key: Key) -> str:
    """Tells keys apart in a manifest without saying anything of them."""
    return hashlib.sha256(
        b"handover-insight fingerprint\0" + key.secret.encode("utf-8")
    ).hexdigest()[:16]


def add_backup_key(conn: duckdb.DuckDBPyConnection, key: Key) -> str:
    """Make the backup key known on ``conn`` (with DuckDB's cryptography loaded); returns
    the Parquet option that uses it."""
    load_crypto(conn)
    conn.execute(
        f"pragma add_parquet_key({_literal(BACKUP_KEY_NAME)}, {_literal(backup_key(key))})"
    )
    return f"encryption_config {{footer_key: {_literal(BACKUP_KEY_NAME)}}}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- what DuckDB says, as sentences -----------------------------------------------------------


def key_fault(
    err: BaseException, path: Path | str, key: Key | None = None
) -> EncryptionKeyError | None:
    """DuckDB's errors about keys as one sentence each, or None for any other error."""
    text = str(err)
    pending = Path(key.source + ".new") if key is not None and key.source != KEY_ENV else None
    if (
        "Wrong encryption key" in text
        and key is not None
        and pending is not None
        and pending.exists()
    ):
        return EncryptionKeyError(
            f"The key does not open the database {path}: a change of key stopped half-way "
            f"and the new key is in {pending}; move it to {key.source} and try again.",
            title="Wrong key",
            code="db_wrong_key_pending",
            params={"file": str(path), "pending": str(pending), "file_key": key.source},
        )
    if "without a key" in text:
        named = os.environ.get(KEY_FILE_ENV)
        for candidate in ([Path(named).expanduser()] if named else []) + [key_file_for(path)]:
            pending = candidate.with_name(candidate.name + ".new")
            if pending.exists():
                return EncryptionKeyError(
                    f"The database {path} is encrypted and its key is in {pending}: an "
                    f"encryption or a change of key stopped half-way; move it to "
                    f"{candidate} and try again.",
                    title="Database encrypted",
                    code="db_encrypted_key_pending",
                    params={"file": str(path), "pending": str(pending), "file_key": str(candidate)},
                )
        return EncryptionKeyError(
            f"The database {path} is encrypted and no key was found: set {KEY_FILE_ENV} to "
            f"its key file or {KEY_ENV} to its key (looked in {looked_in(path)}).",
            title="Database encrypted",
            code="db_encrypted_no_key",
            params={"file": str(path), "key_file": str(key_file_for(path))},
        )
    if "Wrong encryption key" in text:
        return EncryptionKeyError(
            f"The key does not open the database {path}: it is another "
            f"database's key, or the file was changed.",
            title="Wrong key",
            code="db_wrong_key",
            params={"file": str(path)},
        )
    if "is not encrypted" in text:
        return EncryptionKeyError(
            f"A key is set but the database {path} is not encrypted: encrypt it with "
            f"`handover encrypt`, or unset {KEY_ENV} and {KEY_FILE_ENV}.",
            title="Database not encrypted",
            code="db_not_encrypted",
            params={"file": str(path)},
        )
    if "read-only crypto module" in text:
        return EncryptionKeyError(
            "DuckDB's cryptography could not be loaded, so an encrypted database cannot be "
            "written: reinstall handover-insight (uv sync).",
            title="Encryption unavailable",
            code="crypto_missing",
        )
    return None
