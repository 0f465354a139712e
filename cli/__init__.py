"""The `handover` command: one DuckDB file, one command per task (DOMAIN.md §5).

Importing this module (which `handover --help` and every command do) imports typer, rich and
the command modules, which import nothing heavy at their top: pandas, DuckDB, the metrics, the
data checks and the dashboard are imported by the command that needs them. A command module
that does import heavy things at its top (``LAZY_COMMANDS``: `ingest`, through the feedback
readers) is registered lazily: the group's help lists it with the docstring read from its
source, and the module is imported only when the command runs or shows its own help.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from cli import common
from cli.audit import audit
from cli.backup import backup, restore
from cli.batches import batches_app, purge, rollback
from cli.checks import check, failures
from cli.demo import demo
from cli.erase import erase_app
from cli.figures import metrics, rollup, scores
from cli.keys import encrypt, init, rekey
from cli.serve import serve
from cli.users import users_app

# command name -> module of cli defining a function of that name
LAZY_COMMANDS = {"ingest": "ingest"}


class LazyCommand(TyperCommand):
    """Stands in for a command of ``LAZY_COMMANDS`` in the group's own help."""

    module = ""

    def load(self, group: TyperGroup) -> TyperCommand:
        """The real command, built by typer from the function as `app.command()` would."""
        from typer.main import get_command_from_info
        from typer.models import CommandInfo

        assert self.name is not None  # every lazy command is made with its name
        function = getattr(importlib.import_module(f"cli.{self.module}"), self.name)
        command = get_command_from_info(
            CommandInfo(callback=function),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=group.rich_markup_mode,
        )
        assert isinstance(command, TyperCommand)  # typer builds its own kind of command
        return command


class Commands(TyperGroup):
    """The group: a lazy command is loaded whenever it is asked for, except to list it in
    the group's help."""

    _listing = False

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def list_commands(self, ctx) -> list[str]:
        """As registered; typer lists a group (``batches``, which has ``show``) after every
        command: it stays second, after ``ingest``, as when it was a command."""
        names = list(super().list_commands(ctx))
        if "batches" in names and "ingest" in names:
            names.remove("batches")
            names.insert(names.index("ingest") + 1, "batches")
        return names

    def get_command(self, ctx, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if isinstance(command, LazyCommand) and not self._listing:
            command = self.commands[cmd_name] = command.load(self)
        return command


def _docstring(module: str, function: str) -> str:
    """The docstring of ``function`` in cli/<module>.py, read without importing it
    (the help typer would take from the function itself)."""
    tree = ast.parse(Path(__file__).with_name(f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return ast.get_docstring(node) or ""
    raise LookupError(f"cli/{module}.py has no function {function}")


def _lazy(name: str) -> None:
    stand_in = type(f"Lazy_{name}", (LazyCommand,), {"module": LAZY_COMMANDS[name]})

    def not_loaded() -> None:  # never runs: the group loads the real command first
        raise RuntimeError(f"the command {name} was not loaded")

    app.command(name=name, cls=stand_in, help=_docstring(LAZY_COMMANDS[name], name))(not_loaded)


app = typer.Typer(
    name="handover",
    cls=Commands,
    help="交接评估看板 handover-insight: load handover logs, client data and feedback; "
    "check, measure and show how well client-record handovers go.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar=common.AS_ENV,
            metavar="NAME",
            help="Act as this account (its role and data scope; no password is asked: this "
            "limits a script, it does not sign anyone in). Default: the operating-system "
            "user, an administrator.",
        ),
    ] = None,
) -> None:
    common.acting_as = as_user


_lazy("ingest")
app.add_typer(batches_app, name="batches")
app.command()(rollback)
app.command()(purge)
app.command()(demo)
app.command()(check)
app.command()(failures)
app.command()(metrics)
app.command()(scores)
app.command()(rollup)
app.command()(serve)
app.add_typer(users_app, name="users")
app.add_typer(erase_app, name="erase")
app.command()(audit)
app.command()(backup)
app.command()(restore)
app.command()(init)
app.command()(encrypt)
app.command()(rekey)
