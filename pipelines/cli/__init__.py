"""The `handover` command: one DuckDB file, one command per task (DOMAIN.md §5)."""

from __future__ import annotations

import typer

from pipelines.cli.audit import audit
from pipelines.cli.batches import batches, purge, rollback
from pipelines.cli.checks import check, failures
from pipelines.cli.demo import demo
from pipelines.cli.figures import metrics, rollup, scores
from pipelines.cli.serve import serve
from pipelines.cli.ingest import ingest
from pipelines.cli.users import users_app

app = typer.Typer(
    name="handover",
    help="交接评估看板 handover-insight: load handover logs, client data and feedback; "
    "check, measure and show how well client-record handovers go.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
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
