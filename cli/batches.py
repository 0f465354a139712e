"""`handover batches`, `handover batches show BATCH_ID`, `handover rollback BATCH_ID` and
`handover purge`: upload history, one batch with the rows it rejected, undoing an upload,
and removing the row versions no rollback can bring back."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

import typer
from rich.table import Table

from cli.common import (
    DEFAULT_DB,
    ChecksOption,
    DbOption,
    checks_after,
    cli_actor,
    handles_errors,
    open_store,
    out,
    parse_date,
    plain,
    print_json,
    title,
)
from cli.messages import text

batches_app = typer.Typer(
    name="batches",
    add_completion=False,
    pretty_exceptions_enable=False,
)


def list_batches(store):
    """pipelines.batches.list_batches, imported when a command needs it (it pulls pandas)."""
    from pipelines.batches import list_batches as listing

    return listing(store)


def rollback_batch(store, batch_id: int, *, actor):
    """pipelines.batches.rollback, imported when a command needs it."""
    from pipelines.batches import rollback as undo

    return undo(store, batch_id, actor=actor)


@batches_app.callback(invoke_without_command=True)
@handles_errors
def batches(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Upload history, newest first: file, format, who, when, rows added/updated/rejected.
    `handover batches show ID` shows one batch and every row it rejected."""
    if ctx.invoked_subcommand is not None:
        return
    frame = list_batches(open_store(db))
    if as_json:
        print_json(frame.to_dict(orient="records"))
        return
    if frame.empty:
        out.print(text("batches.none"), markup=False)
        return
    table = Table(
        "batch",
        "kind",
        "action",
        "file",
        "format",
        "user",
        "at",
        "read",
        "added",
        "updated",
        "unchanged",
        "rejected",
        "state",
    )
    for row in frame.itertuples(index=False):
        if row.action == "rollback":
            state = f"undid batch {row.target_batch_id}"
            counts = (
                "",
                f"-{row.count_rows_withdrawn}",
                f"{row.count_rows_restored} restored",
                "",
                "",
            )
        elif row.action == "erase":  # a client's personal data, erased on request
            state = "erased (cannot be undone)"
            counts = ("", "", row.count_rows_updated, "", "")
        else:
            state = _import_state(row)
            counts = (
                row.count_rows_read,
                row.count_rows_added,
                row.count_rows_updated,
                row.count_rows_unchanged,
                row.count_rows_rejected,
            )
        table.add_row(
            str(row.batch_id),
            row.kind,
            row.action,
            plain(row.file_name),
            plain(row.source_format),
            plain(row.user_name),
            f"{row.created_at:%Y-%m-%d %H:%M:%S}",
            *map(plain, counts),
            plain(state),
        )
    out.print(table)


def _import_state(row) -> str:
    state = f"rolled back by {row.rolled_back_by}" if row.rolled_back_at is not None else "loaded"
    if row.purged_at is not None:
        state += f", {row.count_rows_purged} purged"
    return state


@batches_app.command("show")
@handles_errors
def show(
    batch_id: Annotated[int, typer.Argument(help="The batch (see `handover batches`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """One batch: what it did, and every row it rejected (row, column, value, why)."""
    from pipelines.errors import BatchError
    from pipelines.loading import rejected_rows

    store = open_store(db)
    frame = list_batches(store)
    chosen = frame[frame["batch_id"] == batch_id]
    if chosen.empty:
        raise BatchError(text("batches.no_such_batch", batch=batch_id))
    row = next(chosen.itertuples(index=False))
    rejected = rejected_rows(store, batch_id, row.file_name or "")
    if as_json:
        print_json(
            {
                "batch": chosen.to_dict(orient="records")[0],
                "rejected": [
                    {
                        "row": p.row,
                        "column": p.column,
                        "field": p.field,
                        "value": p.value,
                        "code": p.code,
                        "params": p.params,
                        "reason": p.why,
                    }
                    for p in rejected
                ],
            }
        )
        return
    out.print(_batch_sentence(row), markup=False)
    if not rejected:
        out.print(text("batches.no_rejected"), markup=False)
        return
    out.print(text("batches.rejected_title", rows=len({p.row for p in rejected})), markup=False)
    table = Table("row", "column", "value", "why")
    for p in rejected:
        table.add_row(str(p.row), plain(p.column), plain(p.value), plain(p.why))
    out.print(table)


def _batch_sentence(row) -> str:
    """One batch in the command line's words (cli/messages/batches.toml)."""
    common = {
        "batch": row.batch_id,
        "kind": row.kind,
        "user": row.user_name or "",
        "at": f"{row.created_at:%Y-%m-%d %H:%M:%S}",
    }
    if row.action == "rollback":
        return text("batches.show_rollback", target=row.target_batch_id, **common)
    if row.action == "erase":
        return text("batches.show_erase", rows=row.count_rows_updated, **common)
    return text(
        "batches.show_import",
        file=row.file_name,
        format=row.source_format or "",
        read=row.count_rows_read,
        added=row.count_rows_added,
        updated=row.count_rows_updated,
        unchanged=row.count_rows_unchanged,
        rejected=row.count_rows_rejected,
        state=_import_state(row),
        **common,
    )


@handles_errors
def rollback(
    batch_id: Annotated[int, typer.Argument(help="The batch to undo (see `handover batches`).")],
    checks: ChecksOption = True,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Undo one upload: rows it added disappear, rows it updated return to their previous
    version. Then the data checks run again (unless --no-checks)."""
    store = open_store(db)
    actor = cli_actor(store)
    new_id = rollback_batch(store, batch_id, actor=actor)
    out.print(text("rollback.done", batch=batch_id, new=new_id), markup=False)
    if checks:
        checks_after(store, "rollback", actor)


def _mb(size: int) -> str:
    return text("purge.size_mb", size=size / (1 << 20))


@handles_errors
def purge(
    before: Annotated[
        str | None,
        typer.Option(
            "--before",
            help="Only what became dead before this date (rolled back, "
            "or replaced by a newer upload), e.g. 2026-06-30. "
            "Default: everything up to now.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; remove nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Physically remove rolled-back and superseded row versions; current rows stay."""
    from pipelines.purge import RAW_TABLES
    from pipelines.purge import purge as purge_store

    cutoff = None
    if before is not None:
        cutoff = datetime.combine(parse_date(before, "--before"), time.min)
    store = open_store(db)
    report = purge_store(store, cutoff, dry_run=dry_run, actor=cli_actor(store))
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(
        "table",
        "rolled-back versions",
        "superseded versions",
        title=title(
            text("purge.title_dry_run", before=report.before)
            if dry_run
            else text("purge.title", before=report.before, purge=report.purge_id)
        ),
    )
    for name in RAW_TABLES:
        counts = report.removed.get(name, {})
        table.add_row(name, f"{counts.get('rolled_back', 0):,}", f"{counts.get('superseded', 0):,}")
    table.add_row("batch_rejections", f"{report.rejections:,}", "")
    out.print(table)
    total = report.count()
    if not total and not report.rejections:
        out.print(text("purge.nothing"), markup=False)
        return
    out.print(
        text(
            "purge.would_remove" if dry_run else "purge.removed",
            rows=total,
            rejections=report.rejections,
            batches=len(report.batches),
        ),
        markup=False,
    )
    if dry_run:
        out.print(text("purge.size", size=_mb(report.size_before)), markup=False)
        return
    before, after = _mb(report.size_before), _mb(report.size_after)
    if report.compacted:
        size = text("purge.size_rewritten", before=before, after=after)
    elif report.compact_note:
        size = text(
            "purge.size_not_rewritten", before=before, after=after, note=report.compact_note
        )
    else:
        size = text("purge.size_change", before=before, after=after)
    out.print(size, markup=False)
