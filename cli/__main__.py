"""`python -m cli` is the `handover` command."""

from cli import app

app(prog_name="handover")
