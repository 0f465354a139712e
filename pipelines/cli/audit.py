"""`handover audit [--since DATE] [--user NAME] [--json]`: who did what, when."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from pipelines import audit as audit_trail
from pipelines.cli.common import DEFAULT_DB, DbOption, handles_errors, open_store, out, \
    plain, print_json


def _since(value: str | None):
    if value is None:
        return None
    from pipelines.normalise import BadValue, to_date

    try:
        parsed = to_date(value)
    except BadValue as err:
        raise typer.BadParameter(f"{value!r}: {err}", param_hint="--since") from None
    if parsed is None:
        raise typer.BadParameter("give a date, e.g. 2026-11-20", param_hint="--since")
    return parsed


@handles_errors
def audit(
    since: Annotated[str | None, typer.Option(
        "--since", help="Entries from this date on, e.g. 2026-11-20.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Entries of this user only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The audit trail, oldest first: sign-ins, uploads, rollbacks, purges, check runs and
    account changes, with who and when."""
    frame = audit_trail.entries(open_store(db), since=_since(since), user=user)
    if as_json:
        print_json(frame.to_dict(orient="records"))
        return
    if frame.empty:
        out.print("No audit entries.", markup=False)
        return
    table = Table("id", "at", "user", "action", "target", "detail")
    for row in frame.itertuples(index=False):
        detail = json.dumps(row.detail, ensure_ascii=False, default=str) if row.detail else ""
        table.add_row(str(row.id), f"{row.at:%Y-%m-%d %H:%M:%S}", plain(row.user_name),
                      plain(row.action), plain(row.target), plain(detail))
    out.print(table)
