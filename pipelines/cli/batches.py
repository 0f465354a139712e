"""`handover batches` and `handover rollback BATCH_ID`: upload history and undoing an upload."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pipelines.batches import list_batches, rollback as rollback_batch
from pipelines.cli.common import DEFAULT_DB, DbOption, handles_errors, open_store, out, \
    print_json


@handles_errors
def batches(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Upload history, newest first: file, format, who, when, rows added/updated/rejected."""
    frame = list_batches(open_store(db))
    if as_json:
        print_json(frame.to_dict(orient="records"))
        return
    if frame.empty:
        out.print("No batches yet.")
        return
    table = Table("batch", "kind", "action", "file", "format", "user", "at", "read", "added",
                  "updated", "unchanged", "rejected", "state")
    for row in frame.itertuples(index=False):
        if row.action == "rollback":
            state = f"undid batch {row.target_batch_id}"
            counts = ("", f"-{row.count_rows_withdrawn}", f"{row.count_rows_restored} restored",
                      "", "")
        else:
            state = (f"rolled back by {row.rolled_back_by}"
                     if row.rolled_back_at is not None else "loaded")
            counts = (row.count_rows_read, row.count_rows_added, row.count_rows_updated,
                      row.count_rows_unchanged, row.count_rows_rejected)
        table.add_row(str(row.batch_id), row.kind, row.action, row.file_name or "",
                      row.source_format or "", row.user_name or "",
                      f"{row.created_at:%Y-%m-%d %H:%M:%S}", *map(str, counts), state)
    out.print(table)


@handles_errors
def rollback(
    batch_id: Annotated[int, typer.Argument(help="The batch to undo (see `handover batches`).")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Undo one upload: rows it added disappear, rows it updated return to their previous version."""
    new_id = rollback_batch(open_store(db), batch_id)
    out.print(f"Batch {batch_id} rolled back (recorded as batch {new_id}).")
