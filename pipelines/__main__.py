"""`python -m pipelines` is the `handover` command."""

from pipelines.cli import app

app(prog_name="handover")
