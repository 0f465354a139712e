"""`handover ingest KIND FILE...`: validate and load files."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli.common import DEFAULT_DB, DbOption, err_console, handles_errors, out, \
    open_store, report_error
from pipelines.errors import HandoverError
from pipelines.ingest import ingest_file


class Kind(str, Enum):
    clients = "clients"
    handovers = "handovers"
    events = "events"


@handles_errors
def ingest(
    kind: Annotated[Kind, typer.Argument(help="What the files hold.")],
    files: Annotated[
        list[Path],
        typer.Argument(help="CSV (UTF-8, GBK, GB18030), XLSX or XLS files.", exists=True,
                       dir_okay=False, readable=True),
    ],
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Load the good rows; record the bad ones in the batch."),
    ] = False,
    sheet: Annotated[
        str | None, typer.Option(help="Workbook sheet to read (default: the first).")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Validate and load files. A file with bad rows is rejected whole and changes nothing."""
    store = open_store(db)
    failed = 0
    for path in files:
        try:
            report = ingest_file(store, kind.value, path, skip_invalid=skip_invalid, sheet=sheet)
        except HandoverError as error:
            report_error(error)
            failed += 1
            continue
        out.print(report.summary(), markup=False)
        for problem in report.problems:
            err_console.print(f"  rejected: {problem}", markup=False)
    if failed:
        err_console.print(f"{failed} of {len(files)} file(s) were not loaded.", markup=False)
        raise typer.Exit(code=1)
