"""What every command shares: the --db option, error reporting at the edge, output helpers."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from pipelines.errors import HandoverError
from pipelines.store import DB_ENV, DEFAULT_DB_NAME, Store

out = Console(highlight=False, soft_wrap=True)
if not out.is_terminal:  # pipes and CI logs: wide enough for the tables
    out.width = max(out.width, 160)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    Path,
    typer.Option(
        "--db",
        envvar=DB_ENV,
        help=f"DuckDB file (else ${DB_ENV}, else ./{DEFAULT_DB_NAME}).",
        dir_okay=False,
    ),
]
DEFAULT_DB = Path(DEFAULT_DB_NAME)

F = TypeVar("F", bound=Callable[..., Any])


def open_store(db: Path) -> Store:
    return Store(db)


def handles_errors(fn: F) -> F:
    """Turn a HandoverError into its message on stderr and exit status 1: no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except HandoverError as error:
            report_error(error)
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def report_error(error: HandoverError) -> None:
    err_console.print(f"[bold red]Error:[/] {error.message}", markup=True)
    for line in error.details:
        err_console.print(f"  - {line}", markup=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return str(value)


def print_json(document: Any) -> None:
    """One JSON document on stdout and nothing else there."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, default=_json_default, indent=2))
    sys.stdout.write("\n")
