"""The one family of errors that reach users as sentences, never as tracebacks."""

from __future__ import annotations

from dataclasses import dataclass, field


class HandoverError(Exception):
    """An error whose message is written for the user who caused it.

    ``message`` is the English sentence the command line prints. ``code`` and ``params`` say
    the same thing as data, so that the dashboard can word it in the user's language from its
    locale catalogue (``errors.<code>``); an error without a code is shown by its message."""

    def __init__(
        self,
        message: str,
        *,
        title: str | None = None,
        details: list[str] | None = None,
        code: str | None = None,
        params: dict[str, object] | None = None,
    ):
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


# The reasons a row of a file can be refused, by code: the English sentence the command line
# and the logs show. The dashboard words the same code and parameters in the user's language
# (dashboard/locales/upload.toml, ``upload.reasons.<code>``; dashboard/import_text.py), so
# the two cannot drift: every Problem is made from a code, and its ``why`` from this table.
REASONS: dict[str, str] = {
    "not_a_date": "not a date (expected 2026-10-03, 2026/10/3 or 2026年10月3日)",
    "impossible_date": "impossible date ({date} does not exist)",
    "not_a_time": "not a time of day: {time!r} (expected e.g. 14:20 or 14:20:05)",
    "impossible_time": "impossible time {time!r}",
    "impossible_moment": "impossible date or time {moment!r}",
    "not_yes_no": "not a yes/no value (expected true/false, 是/否, Y/N or 1/0)",
    "unknown_code": "unknown value (expected one of {choices})",
    "not_satisfaction": "not a satisfaction rating (expected 1-5, 5分, ★★★★★ or a label such "
    "as 非常满意 / Very satisfied)",
    "not_recommend": "not a 0-10 recommendation score (expected 0-10 or e.g. "
    "'10 - Extremely likely')",
    "key_missing": "the key is missing",
    "duplicate_key": "the same key is also on row(s) {others}",
    "duplicate_response": "the same response is also on row(s) {others}",
    "row_length": "this row has {fields} fields but the header has {expected}; a value with a "
    "comma needs quotes",
}


def reason_text(code: str, params: dict[str, object] | None = None) -> str:
    """The English sentence of a reason code (KeyError for a code not in ``REASONS``)."""
    return REASONS[code].format(**(params or {}))


@dataclass(frozen=True)
class Problem:
    """One bad value of one row: what the message to the user is made of.

    ``code`` and ``params`` say why as data (``REASONS``); ``why`` is their English sentence.
    ``field`` names the template column or feedback field the file's ``column`` holds (or
    "response_id" for a survey's response id), so that a page can name it in its language;
    None for a whole row."""

    file: str
    row: int  # as the user sees it in Excel: the header is row 1 unless title rows precede it
    column: str  # the header as written in the file
    value: str
    why: str
    code: str | None = None
    params: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    field: str | None = None

    @classmethod
    def of(
        cls,
        file: str,
        row: int,
        column: str,
        value: str,
        code: str,
        params: dict[str, object] | None = None,
        *,
        field: str | None = None,
    ) -> Problem:
        """A problem from its reason code; its English ``why`` is made from the code."""
        params = dict(params or {})
        return cls(file, row, column, value, reason_text(code, params), code, params, field)

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
