"""Progress of long work, reported by the library and shown by whoever called it.

Library functions that can run for seconds (reading and loading a file, the data checks, the
sample's build) take ``progress: Reporter | None`` and call it as they go; they never print.
The command line shows a rich bar on a terminal (``cli/progress.py``), the
dashboard an ``st.progress`` (``dashboard/progress.py``), tests a list.

A report is ``progress(stage, done, total)``:

- ``stage``: a code of what runs now, one of ``STAGES`` or ``check:<suite>`` for a suite of
  the data checks; the caller words it in its user's language;
- ``done``: how much of the stage is done, in its unit (rows of a file, checks of a run);
- ``total``: how much there is (None: not known in advance, e.g. the rows of a CSV file).

A stage starts with its first report and ends when the next stage reports or the work ends.
Reports are cheap for the library (one call per chunk of rows, not per row).
"""

from __future__ import annotations

from collections.abc import Callable

Reporter = Callable[[str, int, "int | None"], None]

# read: rows read from the file; validate: rows checked cell by cell; load: rows written to
# the database; checks: checks of a run; sample: rows of the sample written
STAGES = ("read", "validate", "load", "checks", "sample")
CHECK_STAGE_PREFIX = "check:"


def report(progress: Reporter | None, stage: str, done: int, total: int | None = None) -> None:
    """Tell ``progress`` (when there is one) how far ``stage`` has come."""
    if progress is not None:
        progress(stage, done, total)


class Recorder:
    """A reporter that keeps every report, for tests: ``stages`` in the order they began."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, int, int | None]] = []

    def __call__(self, stage: str, done: int, total: int | None = None) -> None:
        self.reports.append((stage, done, total))

    @property
    def stages(self) -> list[str]:
        seen: list[str] = []
        for stage, _, _ in self.reports:
            if not seen or seen[-1] != stage:
                seen.append(stage)
        return seen
