"""`handover ingest KIND FILE...`: validate and load files."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

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
from cli.progress import bar
from pipelines.errors import HandoverError, StoreError
from pipelines.feedback.tools import TOOLS
from pipelines.templates import STORED

Kind = Enum("Kind", {kind: kind for kind in STORED}, type=str)  # what the files hold
Source = Enum("Source", {name: name for name in ("auto", *TOOLS)}, type=str)


def _parse_maps(maps: list[str]) -> dict[str, str]:
    parsed = {}
    for item in maps:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise typer.BadParameter(
                f'{item!r}: write FIELD=COLUMN, e.g. overall_satisfaction="3、总体满意度"',
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
    ] = Source.auto,
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
    if kind is not Kind.feedback and (maps or source is not Source.auto):
        raise typer.BadParameter("--source and --map are for feedback files only.")
    mapping = _parse_maps(maps or [])
    from metrics.config import load_config  # a bad setting refuses the import: nothing loaded

    retention_days = load_config().feedback_comments_days
    store = open_store(db)
    actor = cli_actor(store)
    failed = loaded = 0
    for path in files:
        try:
            with bar(enabled=True) as progress:  # on a terminal only (standard error)
                if kind is Kind.feedback:
                    from pipelines.feedback.ingest import ingest_feedback

                    report = ingest_feedback(
                        store,
                        path,
                        source=source.value,
                        maps=mapping,
                        actor=actor,
                        skip_invalid=skip_invalid,
                        sheet=sheet,
                        progress=progress,
                    )
                else:
                    from pipelines.ingest import ingest_file

                    report = ingest_file(
                        store,
                        kind.value,
                        path,
                        actor=actor,
                        skip_invalid=skip_invalid,
                        sheet=sheet,
                        progress=progress,
                    )
        except StoreError:
            raise  # the database itself failed: the other files would fail the same way
        except HandoverError as error:
            report_error(error)
            failed += 1
            continue
        out.print(report.summary(), markup=False)
        for problem in report.problems:
            err_console.print(f"  rejected: {problem}", markup=False)
        loaded += report.batch_id is not None
    if loaded and retention_days is not None:
        from pipelines.erasure import erase_old_comments, retention_sentence

        erased = erase_old_comments(store, retention_days, actor=actor)
        out.print(retention_sentence(erased, retention_days), markup=False)
    if loaded and checks:
        checks_after(store, "upload", actor)
    if failed:
        err_console.print(f"{failed} of {len(files)} file(s) were not loaded.", markup=False)
        raise typer.Exit(code=1)
