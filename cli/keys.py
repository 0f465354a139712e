"""`handover init [--encrypt]`, `handover encrypt` and `handover rekey`: a new database
(encrypted or not), a plain one encrypted, an encrypted one given a new key
(pipelines/encrypt.py; where keys are looked for: pipelines/encryption.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import (
    DEFAULT_DB,
    DbOption,
    cli_actor,
    handles_errors,
    open_store,
    out,
    print_json,
)
from cli.messages import text

KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        metavar="FILE",
        help="Write a new key to this file (readable by you only) instead of the "
        "database's own key file (~/.config/handover-insight/keys/…); then set "
        "HANDOVER_KEY_FILE to it.",
        show_default=False,
    ),
]


def _said(report, as_json: bool, done: str) -> None:
    from pipelines.encrypt import env_note

    if as_json:
        print_json(report.to_dict())
        return
    out.print(done, markup=False)
    if report.key_file_written:
        out.print(
            text("keys.key_file_written", path=report.key_file_written),
            markup=False,
        )
    elif report.key_source:
        out.print(text("keys.key_source", source=report.key_source), markup=False)
    note = env_note(report)
    if note:
        out.print(note, markup=False)


@handles_errors
def init(
    encrypt: Annotated[
        bool,
        typer.Option(
            "--encrypt", help="Encrypt the new database (AES-GCM) with the key found or a new one."
        ),
    ] = False,
    key_file: KeyFileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Create an empty database; with --encrypt, an encrypted one and its key file."""
    from pipelines.encrypt import init_database

    # no account can be named: a database to be created holds none yet
    report = init_database(Path(db), encrypt, key_file)
    _said(
        report,
        as_json,
        text("keys.created_encrypted" if encrypt else "keys.created", path=report.database),
    )


@handles_errors
def encrypt(
    key_file: KeyFileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Encrypt a plain database in place: copied into an encrypted file, rows and checksums
    compared, swapped; the key found or a new key file."""
    from pipelines.encrypt import encrypt_database

    report = encrypt_database(open_store(db), key_file, actor=cli_actor(open_store(db)))
    _said(
        report,
        as_json,
        text("keys.encrypted", path=report.database, tables=report.tables, rows=report.rows),
    )


@handles_errors
def rekey(
    key_file: KeyFileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Give an encrypted database a new key (written to its key file; the old key no longer
    opens it)."""
    from pipelines.encrypt import rekey_database

    report = rekey_database(open_store(db), key_file, actor=cli_actor(open_store(db)))
    _said(
        report,
        as_json,
        text("keys.rekeyed", path=report.database, tables=report.tables, rows=report.rows),
    )
