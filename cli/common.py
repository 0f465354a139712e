"""What every command shares: the --db option, error reporting at the edge, output helpers.

Every command module is imported for `handover --help` and for any one command, so this
module and the command modules import at their top only typer, rich and light project
modules; pandas, DuckDB, the metrics, the data checks and the dashboard are imported inside
the command that needs them (tests/test_cli_output.py guards it)."""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from cli.messages import text
from pipelines.errors import HandoverError

if TYPE_CHECKING:
    from pipelines.store import Store

# pipelines.store's DB_ENV and DEFAULT_DB_NAME, written out so that the options need not
# import the store (and with it DuckDB and pandas); tests/test_cli_output.py keeps them equal
DB_ENV = "HANDOVER_DB"
DEFAULT_DB_NAME = "handover.duckdb"

DEBUG_ENV = "HANDOVER_DEBUG"

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
        readable=False,  # the store says what is wrong with the file, in a sentence
    ),
]
DEFAULT_DB = Path(DEFAULT_DB_NAME)

F = TypeVar("F", bound=Callable[..., Any])


def open_store(db: Path) -> Store:
    from pipelines.store import Store

    return Store(db)


ChecksOption = Annotated[
    bool,
    typer.Option(
        "--checks/--no-checks",
        help="Run the data checks again afterwards, as of today, so that their "
        "results describe the data as it now is (default). --no-checks for a "
        "script that loads many files and runs `handover check` once.",
    ),
]


def checks_after(store: Store, trigger: str, actor) -> None:
    """The checks after a change, their summary on stdout; a failure of the checks is a
    warning (the change itself is done). A bar shows the suite running, on a terminal."""
    from cli.progress import bar
    from data_checks.refresh import refresh_after

    try:
        with bar() as progress:
            done = refresh_after(store, trigger, actor=actor, progress=progress)
    except HandoverError as error:
        err_console.print(text("common.checks_not_run", message=error.message), markup=False)
        return
    out.print(
        text(
            "common.checks_after",
            as_of=done.as_of,
            run=done.run_id,
            records=done.failing_records,
            failed=done.failed_checks,
            checks=done.checks,
            new=done.new_failures,
            resolved=done.resolved,
        ),
        markup=False,
    )


AS_ENV = "HANDOVER_AS"
acting_as: str | None = None  # `handover --as NAME`, set by the app's callback


def cli_actor(store: Store):
    """Who a command acts as: the account named by ``--as`` (or $HANDOVER_AS), with its role
    and data scope, so that a scheduled import or a colleague's script holds no more than
    that account may; else the operating-system user, an administrator (whoever runs the
    command holds the database file). ``--as`` is least privilege and attribution, not
    authentication: it asks for no password."""
    from pipelines.access import local_operator

    if not acting_as:  # nothing more to import (the accounts import pandas)
        return local_operator()
    from pipelines.accounts import active_user
    from pipelines.errors import AccountError

    actor = active_user(store, acting_as)
    if actor is None:
        raise AccountError(
            text("common.unknown_as_user", user=acting_as),
            title="Unknown user",
            code="cli_as_unknown",
            params={"user": acting_as},
        )
    return actor


def handles_errors(fn: F) -> F:
    """Turn a HandoverError into its message on stderr and exit status 1: no traceback.

    So does a fault of the file system that reached the edge unclassified (a full disk, a
    read-only mount, a missing folder: a sentence naming the file) and, outside tests and
    without HANDOVER_DEBUG, any other exception: a sentence pointing at a log file that
    holds the traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except HandoverError as error:
            report_error(error)
            raise typer.Exit(code=1) from None
        except (typer.Exit, typer.Abort, typer.exceptions.TyperException, KeyboardInterrupt):
            raise
        except OSError as error:
            from pipelines.store import os_fault

            fault = os_fault(error)
            if fault is None:
                if _debugging():
                    raise
                report_error(_unexpected(error))
            else:
                report_error(fault)
            raise typer.Exit(code=1) from None
        except Exception as error:
            if _debugging():
                raise
            report_error(_unexpected(error))
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def _debugging() -> bool:
    """Show tracebacks: HANDOVER_DEBUG=1, or under pytest unless HANDOVER_DEBUG=0 (so a bug
    in a test run is never hidden behind a sentence)."""
    flag = os.environ.get(DEBUG_ENV, "")
    if flag:
        return flag not in ("0", "false", "no")
    return "PYTEST_CURRENT_TEST" in os.environ


def _unexpected(error: BaseException) -> HandoverError:
    """An exception nobody foresaw: the traceback goes to a log file, the user gets a
    sentence naming it."""
    summary = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    summary = summary.rstrip(": ")[:200]
    try:
        handle, name = tempfile.mkstemp(prefix="handover-error-", suffix=".log")
        with os.fdopen(handle, "w", encoding="utf-8") as log_file:
            log_file.write(f"handover {' '.join(sys.argv[1:])}\n\n")
            log_file.write("".join(traceback.format_exception(error)))
        where = text("common.unexpected_log", log=name)
    except OSError:
        where = text("common.unexpected_no_log", variable=DEBUG_ENV)
    return HandoverError(
        text("common.unexpected", summary=summary, where=where),
        title="Unexpected error",
        code="unexpected",
        params={"summary": summary},
    )


def report_error(error: HandoverError) -> None:
    """``Error: <message>`` on stderr. The message is printed as text, never as markup: it
    quotes file names and cells, and ``[bold]x.csv`` or ``[/]`` must come back as written."""
    err_console.print(Text.assemble((text("common.error"), "bold red"), " ", error.message))
    for line in error.details:
        err_console.print(text("common.detail", line=line), markup=False)


def title(sentence: str) -> Text:
    """A table's title from the catalogue: shown as written, never read as markup (it may
    quote a client id or a file name), in the style rich gives a title."""
    return Text(sentence, style="table.title")


def plain(value: Any) -> Text:
    """A table cell or line holding user text: shown as written, never read as markup."""
    return Text("" if value is None else str(value))


def json_default(value: Any) -> Any:
    """What print_json writes for a value JSON has no type for."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return str(value)


def print_json(document: Any) -> None:
    """One JSON document on stdout and nothing else there."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, default=json_default, indent=2))
    sys.stdout.write("\n")


def parse_date(value: str, option: str) -> date:
    """A date option in any form imports accept (2026-11-20, 2026/11/20, 2026年11月20日)."""
    from pipelines.normalise import BadValue, to_date

    try:
        parsed = to_date(value)
    except BadValue as err:
        raise typer.BadParameter(
            text("common.bad_value", value=value, reason=err), param_hint=option
        ) from None
    if parsed is None:
        raise typer.BadParameter(text("common.no_date"), param_hint=option)
    return parsed
