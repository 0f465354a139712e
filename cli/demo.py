"""`handover demo`: fill the database with the generated sample data."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from cli.common import (
    DEFAULT_DB,
    DbOption,
    cli_actor,
    handles_errors,
    open_store,
    out,
)


class Size(str, Enum):
    small = "small"
    large = "large"


@handles_errors
def demo(
    size: Annotated[
        Size, typer.Option(help="small: ~300 clients; large: 200k clients, 5M events.")
    ] = Size.small,
    seed: Annotated[
        int, typer.Option(help="Seed of the generator; the same seed, the same data.")
    ] = 42,
    keep: Annotated[
        Path | None,
        typer.Option(help="Also keep the generated import files in this folder.", file_okay=False),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Load even if the database already has data.")
    ] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Fill the database with realistic generated sample data (never real client data)."""
    from cli.progress import bar
    from sample_data.loader import load_sample

    store = open_store(db)
    actor = cli_actor(store)
    with bar() as progress:  # on a terminal only: a script reads the summaries as before
        reports = load_sample(
            store, size.value, seed=seed, keep_dir=keep, force=force, progress=progress, actor=actor
        )
    from cli.ingest import report_text

    for report in reports:
        out.print(report_text(report), markup=False)
