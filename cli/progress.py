"""The command line's progress bar: a rich bar on standard error, only on a terminal.

``bar(enabled)`` is a context manager giving a ``pipelines.progress.Reporter``. With
``enabled`` false (``--json``), or when standard error is not a terminal (a pipe, a log, CI),
it reports to nothing and prints nothing: output that a script reads stays as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from cli.messages import text
from pipelines.progress import CHECK_STAGE_PREFIX, Reporter


@cache  # the bar asks at every step; a stage's words are the same each time
def stage_words(stage: str) -> tuple[str, str]:
    """What a stage is called on the terminal, and its unit."""
    if stage.startswith(CHECK_STAGE_PREFIX):
        return text("progress.check_suite", suite=stage[len(CHECK_STAGE_PREFIX) :]), text(
            "progress.checks_unit"
        )
    known = {
        "read": (text("progress.read"), text("progress.rows")),
        "validate": (text("progress.validate"), text("progress.rows")),
        "load": (text("progress.load"), text("progress.rows")),
        "checks": (text("progress.checks"), text("progress.checks_unit")),
        "sample": (text("progress.sample"), text("progress.rows")),
    }
    return known.get(stage, (stage, text("progress.items")))


def _silent(stage: str, done: int, total: int | None = None) -> None:
    return None


@contextmanager
def bar(enabled: bool = True) -> Iterator[Reporter]:
    """A reporter that draws one bar per stage (rows per second and the time left when the
    total is known), removed when the work ends."""
    from rich.console import Console

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield _silent
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}", markup=False),  # the catalogue's words are plain
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}", markup=False),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=console, transient=True) as shown:

        def reporter(stage: str, done: int, total: int | None = None) -> None:
            words, unit = stage_words(stage)
            if stage not in tasks:
                for earlier in tasks.values():  # the stage before has ended
                    task = shown.tasks[earlier]
                    if task.total is None:
                        shown.update(earlier, total=task.completed)
                tasks[stage] = shown.add_task(words, total=total, rate="")
            task_id = tasks[stage]
            task = shown.tasks[task_id]
            speed = task.speed
            rate = text("progress.rate", speed=speed, unit=unit) if speed else ""
            shown.update(task_id, completed=done, total=total, rate=rate)

        yield reporter
