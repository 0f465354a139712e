"""The `handover` command: one DuckDB file, one command per task (DOMAIN.md §5)."""

from __future__ import annotations

from typing import Annotated

import typer

from pipelines.cli import common
from pipelines.cli.audit import audit
from pipelines.cli.batches import batches, purge, rollback
from pipelines.cli.checks import check, failures
from pipelines.cli.demo import demo
from pipelines.cli.figures import metrics, rollup, scores
from pipelines.cli.ingest import ingest
from pipelines.cli.serve import serve
from pipelines.cli.users import users_app

app = typer.Typer(
    name="handover",
    help="交接评估看板 handover-insight: load handover logs, client data and feedback; "
    "check, measure and show how well client-record handovers go.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    as_user: Annotated[str | None, typer.Option(
        "--as", envvar=common.AS_ENV, metavar="NAME",
        help="Act as this account (its role and data scope; no password is asked: this "
             "limits a script, it does not sign anyone in). Default: the operating-system "
             "user, an administrator.")] = None,
) -> None:
    common.acting_as = as_user


app.command()(ingest)
app.command()(batches)
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
app.command()(audit)
