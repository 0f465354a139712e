"""`handover ingest KIND FILE...`: validate and load files."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    DEFAULT_DB,
    ChecksOption,
    DbOption,
    checks_after,
    cli_actor,
    err_console,
    handles_errors,
    open_store,
    out,
    report_error,
)
from cli.messages import text
from cli.progress import bar
from pipelines.errors import HandoverError, StoreError
from pipelines.feedback.tools import TOOLS
from pipelines.templates import STORED

if TYPE_CHECKING:
    from pipelines.ingest import ImportReport

# built from the registries, so that a new kind or survey tool needs no edit here; mypy sees
# no members in an Enum made at run time, so they are named by value: Kind("feedback")
Kind = Enum("Kind", {kind: kind for kind in STORED}, type=str)  # type: ignore[misc]
Source = Enum("Source", {name: name for name in ("auto", *TOOLS)}, type=str)  # type: ignore[misc]
FEEDBACK, AUTO = Kind("feedback"), Source("auto")


def report_text(report: ImportReport) -> str:
    """What an import did, in the command line's words (cli/messages/ingest.toml)."""
    if report.already_loaded_batch is not None:
        return text("ingest.already_loaded", file=report.file, batch=report.already_loaded_batch)
    if report.kind == "feedback":
        excluded = ", ".join(
            text("ingest.excluded_reason", count=n, reason=k)
            for k, n in sorted(report.excluded.items())
        )
        return text(
            "ingest.survey",
            file=report.file,
            tool=report.tool,
            format=report.format,
            batch=report.batch_id,
            read=report.rows_read,
            loaded=report.loaded,
            duplicates=report.duplicates,
            excluded=excluded or text("ingest.excluded_none"),
            rejected=report.rejected,
            unmatched=report.unmatched,
            unattributed=report.unattributed,
            columns="; ".join(
                text("ingest.mapped_column", field=k, column=v) for k, v in report.columns.items()
            ),
        )
    sentence = text(
        "ingest.table",
        file=report.file,
        format=report.format,
        batch=report.batch_id,
        read=report.rows_read,
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
    )
    if report.extra_columns:
        sentence += text("ingest.extra_columns", columns=", ".join(report.extra_columns))
    return sentence


def _parse_maps(maps: list[str]) -> dict[str, str]:
    parsed = {}
    for item in maps:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise typer.BadParameter(
                text("ingest.bad_map", item=item),
                param_hint="--map",
            )
        parsed[field.strip()] = column.strip()
    return parsed


@handles_errors
def ingest(
    kind: Annotated[Kind, typer.Argument(help="What the files hold.")],
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CSV (UTF-8, GBK, GB18030), XLSX or XLS files.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    source: Annotated[
        Source, typer.Option(help="feedback: the survey tool that wrote the export.")
    ] = AUTO,
    maps: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="FIELD=COLUMN",
            help="feedback: the column of a field (client_id, uscc, company_name, "
            "contact_phone, submitted_at, overall_satisfaction, recommend_score, "
            "comment). Repeat for several.",
        ),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Load the good rows; record the bad ones in the batch."
        ),
    ] = False,
    sheet: Annotated[
        str | None, typer.Option(help="Workbook sheet to read (default: the first).")
    ] = None,
    checks: ChecksOption = True,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Validate and load files. A file with bad rows is rejected whole and changes nothing.
    Then the data checks run again (unless --no-checks)."""
    if kind is not FEEDBACK and (maps or source is not AUTO):
        raise typer.BadParameter(text("ingest.feedback_options_only"))
    mapping = _parse_maps(maps or [])
    from metrics.config import load_config  # a bad setting refuses the import: nothing loaded

    retention_days = load_config().feedback_comments_days
    from pipelines.ingest import ingest_file

    options = {"source": source.value, "maps": mapping} if kind is FEEDBACK else {}
    store = open_store(db)
    actor = cli_actor(store)
    failed = loaded = 0
    for path in files:
        try:
            with bar(enabled=True) as progress:  # on a terminal only (standard error)
                report = ingest_file(
                    store,
                    kind.value,
                    path,
                    actor=actor,
                    skip_invalid=skip_invalid,
                    sheet=sheet,
                    progress=progress,
                    **options,
                )
        except StoreError:
            raise  # the database itself failed: the other files would fail the same way
        except HandoverError as error:
            report_error(error)
            failed += 1
            continue
        out.print(report_text(report), markup=False)
        for problem in report.problems:
            err_console.print(text("ingest.rejected_row", problem=problem), markup=False)
        loaded += report.batch_id is not None
    if loaded and retention_days is not None:
        from pipelines.erasure import erase_old_comments, retention_sentence

        erased = erase_old_comments(store, retention_days, actor=actor)
        out.print(retention_sentence(erased, retention_days), markup=False)
    if loaded and checks:
        checks_after(store, "upload", actor)
    if failed:
        err_console.print(text("ingest.not_loaded", failed=failed, total=len(files)), markup=False)
        raise typer.Exit(code=1)
