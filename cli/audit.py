"""`handover audit [--since DATE] [--user NAME] [--json]`: who did what, when."""

from __future__ import annotations

import json
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
    parse_date,
    plain,
    print_json,
)
from cli.messages import text


@handles_errors
def audit(
    since: Annotated[
        str | None, typer.Option("--since", help="Entries from this date on, e.g. 2026-11-20.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Entries of this user only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The audit trail, oldest first: sign-ins, uploads, rollbacks, purges, check runs,
    settings changes, exports, records opened unmasked and account changes, with who and
    when."""
    from pipelines import audit as audit_trail

    store = open_store(db)
    frame = audit_trail.entries(
        store,
        since=parse_date(since, "--since") if since else None,
        user=user,
        actor=cli_actor(store),
    )
    if as_json:
        print_json(frame.to_dict(orient="records"))
        return
    if frame.empty:
        out.print(text("audit.none"), markup=False)
        return
    table = Table("id", "at", "user", "action", "target", "detail")
    for row in frame.itertuples(index=False):
        detail = json.dumps(row.detail, ensure_ascii=False, default=str) if row.detail else ""
        table.add_row(
            str(row.id),
            f"{row.at:%Y-%m-%d %H:%M:%S}",
            plain(row.user_name),
            plain(row.action),
            plain(row.target),
            plain(detail),
        )
    out.print(table)
