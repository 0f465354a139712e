"""`handover backup [DIR]` and `handover restore BACKUP --to NEW.duckdb`: a consistent copy of
the database while the dashboard runs, and a database rebuilt from one (pipelines/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import (
    DEFAULT_DB,
    DbOption,
    cli_actor,
    handles_errors,
    open_store,
    out,
    plain,
    print_json,
)
from cli.messages import text


def _size(size: int) -> str:
    if size < 1 << 20:
        return text("backup.size_kb", size=size / 1024)
    return text("backup.size_mb", size=size / (1 << 20))


def _tables(tables: dict[str, int]) -> Table:
    table = Table("table", "rows")
    for name, rows in tables.items():
        table.add_row(plain(name), f"{rows:,}")
    return table


@handles_errors
def backup(
    folder: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR",
            help="Folder to write the backup into (a new handover-backup-… folder "
            "inside it). Default: backups/ beside the database.",
            show_default=False,
        ),
    ] = None,
    keep: Annotated[
        int | None,
        typer.Option(
            "--keep",
            min=1,
            metavar="N",
            help="Afterwards remove the oldest complete backups in the folder beyond the newest N.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write a consistent backup of the database (Parquet files and a manifest with row
    counts and checksums) while the dashboard runs; imports wait until it is taken."""
    from pipelines.backup import backup as take

    report = take(open_store(db), folder, keep, actor=cli_actor(open_store(db)))
    if as_json:
        print_json(report.to_dict())
        return
    for path in report.partials_removed:
        out.print(text("backup.partial_removed", path=path), markup=False)
    out.print(_tables(report.tables))
    out.print(
        text(
            "backup.written",
            folder=report.folder,
            tables=len(report.tables),
            rows=report.rows,
            files=report.files,
            size=_size(report.bytes),
            version=report.schema_version,
        ),
        markup=False,
    )
    for path in report.removed:
        out.print(text("backup.older_removed", path=path, keep=keep), markup=False)


@handles_errors
def restore(
    backup_dir: Annotated[
        Path, typer.Argument(metavar="BACKUP", help="A backup folder (handover-backup-…).")
    ],
    to: Annotated[
        Path, typer.Option("--to", metavar="NEW.duckdb", help="The database file to create.")
    ],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace the file if it exists; the current "
            "file is kept as NAME.before-restore-<time>.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Rebuild a database from a backup, verified against its manifest (files, checksums,
    rows); never overwrites a database unless --replace is given."""
    from pipelines.backup import restore as rebuild

    report = rebuild(backup_dir, to, replace, actor=cli_actor(open_store(to)))
    if as_json:
        print_json(report.to_dict())
        return
    out.print(_tables(report.tables))
    out.print(
        text(
            "restore.restored",
            backup=report.backup,
            database=report.database,
            tables=len(report.tables),
            rows=report.rows,
            size=_size(report.bytes),
        ),
        markup=False,
    )
    if report.upgraded:
        out.print(
            text(
                "restore.upgraded",
                backup_version=report.backup_schema_version,
                version=report.schema_version,
            ),
            markup=False,
        )
    if report.kept is not None:
        out.print(text("restore.kept", path=report.kept), markup=False)
