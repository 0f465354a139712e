"""`handover erase client CLIENT_ID`: erase one client's personal data on request.

Only an administrator may (the command line's operator is one; ``--as`` an account of another
role is refused). What is erased and what is kept: pipelines/erasure.py."""

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
    title,
)
from cli.messages import text

erase_app = typer.Typer(
    name="erase",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Erase personal data on request (administrators only).",
)


def _mb(size: int) -> str:
    return text("erase.size_mb", size=size / (1 << 20))


@erase_app.command("client")
@handles_errors
def client(
    client_id: Annotated[str, typer.Argument(help="The client's id (客户编号).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; change nothing.")] = False,
    docs: Annotated[
        Path | None,
        typer.Option(
            help="Also clean the Data Docs in this folder (written by `handover "
            "check --docs`): the database does not know where they are."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Erase a client's personal fields (name, USCC, contacts, phone, e-mail, address, free
    text) in every row version and batch, keeping the handover facts under a pseudonym
    (ERASED-…); then rewrite the database file so that no old bytes remain."""
    from pipelines.erasure import erase_client

    store = open_store(db)
    report = erase_client(store, client_id, dry_run=dry_run, actor=cli_actor(store), docs_dir=docs)
    if as_json:
        print_json(report.to_dict())
        return
    heading = (
        text("erase.title_dry_run", client=client_id)
        if dry_run
        else text("erase.title", client=client_id, pseudonym=report.pseudonym)
    )
    table = Table("table", "rows", "fields", title=title(heading))
    for name, entry in report.changed.items():
        table.add_row(name, f"{int(entry['rows']):,}", plain(", ".join(entry["fields"])))
    out.print(table)
    out.print(
        text(
            "erase.would_change" if dry_run else "erase.changed",
            rows=report.rows,
            tables=len(report.changed),
        ),
        markup=False,
    )
    if report.docs_files is not None:
        out.print(
            text(
                "erase.docs_would_be_cleaned" if dry_run else "erase.docs_cleaned",
                folder=docs,
                pages=report.docs_files,
            ),
            markup=False,
        )
    if dry_run:
        out.print(text("erase.dry_run"), markup=False)
        return
    out.print(
        text(
            "erase.rewritten",
            before=_mb(report.size_before),
            after=_mb(report.size_after),
            audit_id=report.audit_id,
        ),
        markup=False,
    )
