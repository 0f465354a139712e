"""How much of a user's file the readers will take on: one place for every reading limit.

Each limit has a default sized for a large firm's real exports on a 24 GiB machine and can be
changed by an environment variable, read at the time of the call (so a server picks up no
stale value and tests can lower them). A file past a limit is refused with a sentence that
names the limit and the variable that sets it, before it can exhaust the server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from pipelines.errors import UnreadableFileError

EXCEL_MAX_ROWS = 1_048_576  # what Excel itself can hold in a sheet
EXCEL_MAX_CELL_CHARS = 32_767  # likewise in a cell


@dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = 4 << 30
    max_rows: int = 20_000_000  # data rows of a CSV; a workbook's sheet also has Excel's own
    max_columns: int = 2_000
    max_cells: int = 30_000_000  # rows x columns of a workbook's sheet, held in memory at once
    max_cell_chars: int = EXCEL_MAX_CELL_CHARS
    max_row_bytes: int = 16 << 20  # one CSV record
    max_unzipped_bytes: int = 2 << 30  # all parts of an XLSX, decompressed
    memory_bytes: int = 4 << 30  # address space of the process that parses the file
    seconds: int = 600  # CPU time of that process, and the longest wait for its next rows

    @classmethod
    def from_env(cls) -> ReadLimits:
        values = {}
        for spec in fields(cls):
            raw = os.environ.get(env_name(spec.name))
            if raw:
                try:
                    values[spec.name] = int(raw.replace("_", ""))
                except ValueError:
                    pass  # a typo in a variable keeps the default rather than stopping imports
        return cls(**values)


def env_name(limit: str) -> str:
    """The environment variable of a limit: HANDOVER_READ_<NAME>."""
    return "HANDOVER_READ_" + limit.upper()


def over_limit(
    name: str, code: str, limit_name: str, limit: int, text: str, **params: object
) -> UnreadableFileError:
    """The refusal of file ``name`` for passing ``limit_name``: ``text`` (formatted with the
    parameters) says by how much; the sentence names the limit and its variable."""
    params = {"file": name, "limit": limit, "env": env_name(limit_name), **params}
    return UnreadableFileError(
        f"{name}: {text.format(**params)} (limit {limit:,}, set by {params['env']}); nothing "
        "was loaded.",
        title="File too large",
        code=code,
        params=params,
    )
