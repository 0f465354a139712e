"""What the fuzz tests send to the readers' child process: kept in a module of its own that
imports nothing, because the child imports the module of every function it is given (a
find_header defined in the test module would make each read import hypothesis: seconds)."""

from __future__ import annotations


def exact_header(header: tuple[str, ...], cells: list[str]) -> int:
    """find_header for the fuzz tests: only the header written scores."""
    return 10 if tuple(c.strip() for c in cells) == header else 0
