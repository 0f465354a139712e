"""`handover check` and `handover failures`: the data-quality suites and their failing records."""

from __future__ import annotations

from datetime import date
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
    parse_date,
    plain,
    print_json,
    title,
)
from cli.messages import text
from pipelines.errors import HandoverError


def parse_as_of(value: str | None) -> date:
    """--as-of in any of the date forms imports accept; today when absent."""
    return date.today() if value is None else parse_date(value, "--as-of")


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The date checks and figures are computed as of (default today), e.g. 2026-11-20.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@handles_errors
def check(
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    docs: Annotated[
        Path | None, typer.Option(help="Also write Great Expectations' HTML Data Docs here.")
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Show Great Expectations' own output.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Run the data checks, store the run, print per check: records checked and failed."""
    from data_checks.runner import prepare_docs_dir, run_checks, start_gx_import

    day = parse_as_of(as_of)  # a mistyped date is said at once
    start_gx_import()  # the largest part of the command's time; it goes on meanwhile
    from cli.progress import bar
    from data_checks.results import save_run

    store = open_store(db)
    if docs is not None:  # a folder that cannot be written is said before the checks run
        docs = prepare_docs_dir(docs)
    actor = cli_actor(store)
    with bar(enabled=not as_json) as progress:
        run = run_checks(store, day, docs_dir=docs, verbose=verbose, actor=actor, progress=progress)
    save_run(store, run, actor=actor)
    if as_json:
        print_json(
            {
                "run_id": run.run_id,
                "as_of": run.as_of,
                "duration_seconds": round(run.duration_seconds, 3),
                "checks": [
                    {
                        "check_id": o.check.id,
                        "records_checked": o.records_checked,
                        "records_failed": o.records_failed,
                        "passed": not o.failures,
                    }
                    for o in run.outcomes
                ],
                "data_docs": str(run.docs_index) if run.docs_index else None,
            }
        )
        return
    table = Table(
        "check",
        "records checked",
        "records failed",
        "",
        title=title(
            text(
                "check.title",
                as_of=run.as_of,
                run_id=run.run_id,
                seconds=run.duration_seconds,
            )
        ),
    )
    for o in run.outcomes:
        table.add_row(
            o.check.id,
            f"{o.records_checked:,}",
            f"{o.records_failed:,}",
            text("check.passed") if not o.failures else text("check.failed"),
        )
    out.print(table)
    failed = sum(1 for o in run.outcomes if o.failures)
    out.print(
        text("check.summary", failed=failed, checks=len(run.outcomes)),
        markup=False,
    )
    if run.docs_index:
        out.print(text("check.data_docs", path=run.docs_index), markup=False)


@handles_errors
def failures(
    check_id: Annotated[
        str | None, typer.Argument(help="Only this check, e.g. clients.uscc.valid")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The failing records of the latest run: check, record key, column, offending value."""
    from data_checks.registry import check as find_check
    from data_checks.results import failures as list_failures
    from data_checks.results import latest_run

    if check_id:
        find_check(check_id)
    from dashboard.masking import mask_failures
    from dashboard.roles import role_of
    from metrics.selection import scope_of

    store = open_store(db)
    actor = cli_actor(store)
    run = latest_run(store)
    if run is None:
        raise HandoverError(text("failures.no_run"))
    frame = mask_failures(list_failures(store, check_id, scope=scope_of(actor)), role_of(actor))
    if as_json:
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        print_json({"run_id": run["run_id"], "as_of": run["as_of"], "failures": records})
        return
    table = Table(
        "check",
        "record",
        "column",
        "value",
        "detail",
        "first seen",
        title=title(text("failures.title", run_id=run["run_id"], as_of=run["as_of"])),
    )
    for row in frame.itertuples(index=False):  # records, columns and values are user text
        table.add_row(
            plain(row.check_id),
            plain(row.record_key),
            plain(row.column_name),
            plain(row.offending_value),
            plain(row.detail),
            f"{row.first_seen_at:%Y-%m-%d %H:%M}" if row.first_seen_at is not None else "",
        )
    out.print(table)
    out.print(text("failures.count", count=len(frame)), markup=False)
