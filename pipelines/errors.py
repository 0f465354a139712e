"""The one family of errors that reach users as sentences, never as tracebacks."""

from __future__ import annotations

from dataclasses import dataclass


class HandoverError(Exception):
    """An error whose message is written for the user who caused it.

    ``message`` is the English sentence the command line prints. ``code`` and ``params`` say
    the same thing as data, so that the dashboard can word it in the user's language from its
    locale catalogue (``errors.<code>``); an error without a code is shown by its message."""

    def __init__(self, message: str, *, title: str | None = None,
                 details: list[str] | None = None, code: str | None = None,
                 params: dict[str, object] | None = None):
        super().__init__(message)
        self.message = message
        self.title = title
        self.details = details or []
        self.code = code
        self.params = params or {}

    def __str__(self) -> str:
        return self.message


class StoreError(HandoverError):
    """A fault of the database file or of the file system under it: nothing was changed.

    ``pipelines.store.store_fault`` is the one place that turns DuckDB's and the operating
    system's errors into these."""


class StoreBusyError(StoreError):
    """The database stayed locked by another process for longer than we were willing to wait."""


class SchemaError(StoreError):
    """The database file is not one we can use (newer schema, not a DuckDB file, ...)."""


class StoreDamagedError(StoreError):
    """The database file (or its write-ahead log) is truncated or corrupted."""


class StoreFullError(StoreError):
    """The disk is full, or a file reached the size limit, while writing."""


class StoreReadOnlyError(StoreError):
    """The file system is read-only, or this user may not read or write the file."""


class StorePathError(StoreError):
    """The database path names a folder, or a folder that does not exist."""


class UnreadableFileError(HandoverError):
    """A file that is not CSV text or an Excel workbook, or that is damaged."""


class WrongKindError(HandoverError):
    """A readable file that lacks the required columns of the kind it was given as."""


class BatchError(HandoverError):
    """A batch that does not exist or cannot be rolled back."""


@dataclass(frozen=True)
class Problem:
    """One bad value of one row: what the message to the user is made of."""

    file: str
    row: int  # as the user sees it in Excel: the header is row 1 unless title rows precede it
    column: str  # the header as written in the file
    value: str
    why: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        where = f", column {self.column!r}" if self.column else ""  # "" is the whole row
        return f"{self.file}, row {self.row}{where}: {shown!r} — {self.why}"


class ImportRejectedError(HandoverError):
    """A file with bad rows: nothing was written, and every bad row is listed."""

    def __init__(self, file: str, problems: list[Problem]):
        rows = sorted({p.row for p in problems})
        super().__init__(
            f"{file}: rejected, nothing was loaded. {len(rows)} row(s) have "
            f"{len(problems)} problem(s); fix them, or load the good rows with --skip-invalid.",
            title="Import rejected",
            details=[str(p) for p in problems],
            code="import_rejected",
            params={"file": file, "rows": len(rows), "problems": len(problems)},
        )
        self.file = file
        self.problems = problems


class PermissionDeniedError(HandoverError):
    """The acting account's role lacks the permission an action needs: nothing was done."""


class AccountError(HandoverError):
    """An account that does not exist, already exists, or a role, team or password that
    cannot be given to it."""


class SignInError(HandoverError):
    """A sign-in refused: unknown user, disabled account, wrong password, locked account."""
