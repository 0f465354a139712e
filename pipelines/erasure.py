"""Erasing one client's personal data on request (PIPL art. 47), and the retention of survey
comments (issue 13, part 3).

``erase_client(store, client_id)`` finds every place the client's personal data lives and
removes it or replaces it, in every row version of every batch (current, superseded and
rolled back alike):

* ``raw_clients``: every version of the client. The client id becomes a pseudonym
  ``ERASED-<8 hex>``, drawn at random (``secrets``), so that nothing about the client can be
  computed back from it; the company name and the contact name become the pseudonym too
  (lists stay readable, and the checks that require them do not start failing); USCC, legal
  representative, phone, e-mail, address, contract number and the file's extra columns are
  emptied (the checks that require a phone and a USCC list the erased client afterwards). Taxpayer type, industry, dates, assigned staff and status
  stay: the firm's figures need them (churn, service length).
* ``raw_handovers``: the client's handovers keep every fact; their client id becomes the same
  pseudonym, so that handovers, events and feedback still join. Extra columns are emptied.
* ``raw_events`` of those handovers: the free-text note and the extra columns are emptied.
* ``raw_feedback``: a response that names the client (by client id, USCC, company name or
  phone, as the matching does) gets the pseudonym as its client id, loses the identifiers it
  gave, its comment and its extra answers; its scores stay, so it still counts where it
  counted. A response of another client that happens to give one of this client's values
  loses that value only.
* Stored values elsewhere: the rejected cells of imports (``batch_rejections.value``), the
  failing records of every check run and the fix history (``check_failures``,
  ``failure_history``: record key, offending value, detail), the imports' reports
  (``batches.report``), the purges' reports, other rows' notes, comments and extra columns:
  every occurrence of one of the client's values is replaced (the id by the pseudonym, any
  other value by ``[erased]``).
* Row hashes of the rows changed are replaced by a hash of the old one with the random salt
  (an unsalted hash of a phone number can be found by trying them all).

The audit trail is append-only (tests/test_audit.py): it holds no client values (it names
batches, handover ids and accounts), and it records the erasure itself (action ``erase``,
target the pseudonym; detail ``rows``, ``tables``: rows per table, ``fields``: the fields
emptied or replaced; never a value, never the client's id). Batches are not given an
``erase`` row: the batch history lists imports and rollbacks, which other code counts on.

DuckDB keeps old values in the file's freed blocks and in its write-ahead log; after the
erasure is committed the database is checkpointed and rewritten (``rewrite_database``: copy
into a new file, verify tables, row counts and a checksum per table, swap), so that the bytes
are gone from the file. ``dry_run`` changes nothing and reports the same counts.

Retention: ``erase_old_comments(store, days)`` empties the survey comments submitted more than
``days`` days ago, in every version; the import commands call it after each import with the
setting ``retention.feedback_comments_days`` of the scoring configuration.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import secrets
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypedDict

import duckdb

from pipelines import audit
from pipelines.access import Actor, administrator, local_operator
from pipelines.errors import HandoverError
from pipelines.rewrite import rewrite_database
from pipelines.store import Store, wal_path

log = logging.getLogger(__name__)

ERASED = "[erased]"
PSEUDONYM_PREFIX = "ERASED-"

# The client's personal fields in raw_clients (emptied), and what each is, for the report.
CLIENT_FIELDS = {
    "uscc": "uscc",
    "legal_rep": "name",
    "contact_phone": "phone",
    "email": "email",
    "address": "address",
    "contract_no": "contract",
    "extra": "free text",
}
FEEDBACK_FIELDS = {"uscc": "uscc", "company_name": "name", "contact_phone": "phone"}
# Columns of free text or stored values where a value of the client may stand anywhere.
TEXT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_rejections", "value"),
    ("batch_rejections", "reason"),
    ("batch_rejections", "params"),
    ("check_failures", "record_key"),
    ("check_failures", "offending_value"),
    ("check_failures", "detail"),
    ("failure_history", "record_key"),
    ("failure_history", "offending_value"),
    ("failure_history", "detail"),
    ("batches", "report"),
    ("purges", "report"),
    ("raw_clients", "extra"),
    ("raw_handovers", "extra"),
    ("raw_events", "note"),
    ("raw_events", "extra"),
    ("raw_feedback", "comment"),
    ("raw_feedback", "extra"),
)
MIN_SOUGHT = 2  # a value shorter than this ("-", "0") identifies nobody and is not sought


class ErasureError(HandoverError):
    """A client that is not in the database, or a database that could not be rewritten."""


class TableChange(TypedDict):
    """The rows of one table an erasure changed, and which of their fields."""

    rows: int
    fields: list[str]


@dataclass
class ErasureReport:
    """What an erasure changed (or, with ``dry_run``, would change)."""

    client_id: str
    dry_run: bool
    pseudonym: str | None = None  # None on a dry run: nothing is replaced
    changed: dict[str, TableChange] = field(default_factory=dict)  # by table
    values_sought: int = 0  # distinct values of the client looked for in stored text
    docs_files: int | None = None  # pages of the Data Docs folder changed, if one was given
    audit_id: int | None = None
    batch_id: int | None = None  # the erasure's entry in the batch history
    rewritten: bool = False
    size_before: int = 0
    size_after: int = 0

    @property
    def rows(self) -> int:
        return sum(int(entry["rows"]) for entry in self.changed.values())

    def add(self, table: str, rows: int, fields: list[str]) -> None:
        if not rows:
            return
        entry = self.changed.setdefault(table, {"rows": 0, "fields": []})
        entry["rows"] = int(entry["rows"]) + rows
        entry["fields"] = sorted(set(entry["fields"]) | set(fields))

    def to_dict(self, *, with_client: bool = True) -> dict[str, object]:
        document: dict[str, object] = {
            "client_id": self.client_id,
            "pseudonym": self.pseudonym,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "changed": self.changed,
            "values_sought": self.values_sought,
            "docs_files": self.docs_files,
            "audit_id": self.audit_id,
            "batch_id": self.batch_id,
            "rewritten": self.rewritten,
            "size_before": self.size_before,
            "size_after": self.size_after,
        }
        if not with_client:
            del document["client_id"]
        return document


# -- finding the client -----------------------------------------------------------------------


def _digits(phone: str) -> str:
    digits = re.sub(r"[^0-9]", "", phone)
    return digits[2:] if len(digits) > 11 and digits.startswith("86") else digits


@dataclass
class _Client:
    client_id: str
    values: dict[str, set[str]]  # field kind -> values of every version
    handover_ids: list[str]

    def sought(self) -> list[str]:
        """Every value looked for in stored text and files, in the forms the checks and
        their Data Docs derive from it (a phone without spaces and dashes, or digits only; a
        USCC in upper case; an e-mail address in lower case), longest first (a value inside
        another is replaced with it)."""
        found = {self.client_id}
        for kind, values in self.values.items():
            for value in values:
                forms = {value, value.strip()}
                if kind == "phone":
                    forms |= {
                        re.sub(r"[ -]", "", value.strip()),
                        _digits(value),
                        re.sub(r"[^0-9]", "", value),
                    }
                elif kind == "uscc":
                    forms.add(value.strip().upper())
                elif kind == "email":
                    forms.add(value.strip().lower())
                found |= {f for f in forms if _worth_seeking(f)}
        return sorted(found, key=lambda v: (-len(v), v))


def _worth_seeking(value: str) -> bool:
    """A value that identifies somebody: two letters or more (a Chinese name), and a number
    of five digits or more ("-", "0", "12" identify nobody, and would be found everywhere)."""
    letters = sum(ch.isalnum() for ch in value)
    if letters < MIN_SOUGHT:
        return False
    return not value.isdigit() or len(value) >= 5


def _record_batch(
    conn: duckdb.DuckDBPyConnection, user: str, pseudonym: str, report: ErasureReport
) -> int:
    """The erasure in the batch history (`handover batches`, the upload page's history):
    action ``erase``, the rows it changed, and in its report the pseudonym, rows per table
    and the fields; never a value. It cannot be rolled back (pipelines/batches.py)."""
    batch_id = conn.execute("select nextval('batch_id_seq')").fetchall()[0][0]
    summary = {
        "pseudonym": pseudonym,
        "tables": {t: e["rows"] for t, e in report.changed.items()},
        "fields": sorted({f for e in report.changed.values() for f in e["fields"]}),
    }
    conn.execute(
        "insert into batches (batch_id, kind, action, user_name, created_at, "
        "count_rows_updated, report) values (?, 'clients', 'erase', ?, ?, ?, ?)",
        [batch_id, user, datetime.now(), report.rows, json.dumps(summary, ensure_ascii=False)],
    )
    return batch_id


def _find(conn: duckdb.DuckDBPyConnection, client_id: str) -> _Client | None:
    rows = conn.execute(
        "select company_name, uscc, legal_rep, contact_name, contact_phone, email, address, "
        "contract_no from raw_clients where client_id = ?",
        [client_id],
    ).fetchall()
    handovers = [
        r[0]
        for r in conn.execute(
            "select distinct handover_id from raw_handovers where client_id = ? order by 1",
            [client_id],
        ).fetchall()
    ]
    names_it = conn.execute(
        "select count(*) from raw_feedback where lower(trim(client_id)) = lower(trim(?))",
        [client_id],
    ).fetchall()[0][0]
    if not rows and not handovers and not names_it:
        return None
    kinds = ("name", "uscc", "name", "name", "phone", "email", "address", "contract")
    given = conn.execute(  # what the client's own responses give (another spelling, say)
        "select company_name, uscc, null, null, contact_phone, null, null, null "
        "from raw_feedback where lower(trim(client_id)) = lower(trim(?))",
        [client_id],
    ).fetchall()
    values: dict[str, set[str]] = {kind: set() for kind in kinds}
    for row in [*rows, *given]:
        for kind, value in zip(kinds, row, strict=True):
            if value is not None and str(value).strip():
                values[kind].add(str(value))
                values[kind].add(str(value).strip())
    return _Client(client_id, values, handovers)


# -- the erasure ------------------------------------------------------------------------------


def _count(conn: duckdb.DuckDBPyConnection, sql: str, params: list) -> int:
    return int(conn.execute(f"select count(*) from ({sql})", params).fetchall()[0][0])


def _feedback_condition(client: _Client) -> tuple[str, list]:
    """SQL naming the raw_feedback rows that give one of the client's identifiers, with its
    parameters."""
    phones = sorted({_digits(p) for p in client.values["phone"]} - {""})
    usccs = sorted({u.strip().upper() for u in client.values["uscc"]})
    names = sorted({n.strip() for n in client.values["name"]})
    phone_sql = (
        "case when length(regexp_replace(contact_phone, '[^0-9]', '', 'g')) > 11 "
        "and regexp_replace(contact_phone, '[^0-9]', '', 'g') like '86%' "
        "then substr(regexp_replace(contact_phone, '[^0-9]', '', 'g'), 3) "
        "else regexp_replace(contact_phone, '[^0-9]', '', 'g') end"
    )
    sql = (
        "(lower(trim(client_id)) = lower(trim(?)) "
        "or list_contains(?::varchar[], upper(trim(uscc))) "
        "or list_contains(?::varchar[], trim(company_name)) "
        f"or list_contains(?::varchar[], {phone_sql}))"
    )
    return sql, [client.client_id, usccs, names, phones]


def _own_feedback(client: _Client) -> tuple[str, list]:
    """SQL naming the responses that are the client's: they give one of its identifiers, and
    their client id is the client's, none, or no known client's."""
    condition, params = _feedback_condition(client)
    sql = (
        f"({condition} and (client_id is null "
        "or lower(trim(client_id)) = lower(trim(?)) "
        "or lower(trim(client_id)) not in (select lower(trim(client_id)) from raw_clients "
        "where client_id is not null)))"
    )
    return sql, [*params, client.client_id]


def _erase_rows(
    conn: duckdb.DuckDBPyConnection,
    client: _Client,
    pseudonym: str | None,
    salt: str,
    report: ErasureReport,
) -> None:
    """The client's own rows in the raw tables; counts only when ``pseudonym`` is None."""
    write = pseudonym is not None
    rehash = "sha256(? || row_hash)"

    # raw_clients: every version
    n = _count(conn, "select 1 from raw_clients where client_id = ?", [client.client_id])
    if write and n:
        emptied = ", ".join(f"{c} = null" for c in CLIENT_FIELDS)
        conn.execute(
            f"update raw_clients set client_id = ?, record_key = ?, company_name = ?, "
            f"contact_name = ?, {emptied}, row_hash = {rehash} where client_id = ?",
            [pseudonym, pseudonym, pseudonym, pseudonym, salt, client.client_id],
        )
    report.add("raw_clients", n, ["client_id", "company_name", "contact_name", *CLIENT_FIELDS])

    # raw_feedback: responses that name the client (before its handovers change: the ids)
    own, own_params = _own_feedback(client)
    n_own = _count(conn, f"select 1 from raw_feedback where {own}", own_params)
    if write and n_own:
        conn.execute(
            "update raw_feedback set client_id = ?, uscc = null, company_name = null, "
            "contact_phone = null, comment = null, extra = null, "
            f"row_hash = {rehash} where {own}",
            [pseudonym, salt, *own_params],
        )
    report.add("raw_feedback", n_own, ["client_id", *FEEDBACK_FIELDS, "comment", "extra"])
    # another client's response that gives one of this client's values: that value only
    others = 0
    for column, kind_sql, values in (
        ("uscc", "upper(trim(uscc))", sorted({u.strip().upper() for u in client.values["uscc"]})),
        ("company_name", "trim(company_name)", sorted({v.strip() for v in client.values["name"]})),
        (
            "contact_phone",
            "regexp_replace(contact_phone, '[^0-9]', '', 'g')",
            sorted({_digits(p) for p in client.values["phone"]} - {""}),
        ),
    ):
        if not values:
            continue
        where = f"list_contains(?::varchar[], {kind_sql})"
        if column == "contact_phone":
            where = (
                "(list_contains(?::varchar[], regexp_replace(contact_phone, '[^0-9]', '', "
                "'g')) or list_contains(?::varchar[], substr(regexp_replace("
                "contact_phone, '[^0-9]', '', 'g'), 3)))"
            )
            values_params = [values, values]
        else:
            values_params = [values]
        where = f"{where} and not coalesce({own}, false)"
        values_params = [*values_params, *own_params]
        found = _count(conn, f"select 1 from raw_feedback where {where}", values_params)
        if write and found:
            conn.execute(
                f"update raw_feedback set {column} = null, row_hash = {rehash} where {where}",
                [salt, *values_params],
            )
        if found:
            report.add("raw_feedback", found, [column])
            others += found

    # raw_events of the client's handovers: notes and extra columns
    if client.handover_ids:
        n = _count(
            conn,
            "select 1 from raw_events where list_contains(?::varchar[], "
            "handover_id) and (note is not null or extra is not null)",
            [client.handover_ids],
        )
        if write and n:
            conn.execute(
                f"update raw_events set note = null, extra = null, row_hash = {rehash} "
                "where list_contains(?::varchar[], handover_id) "
                "and (note is not null or extra is not null)",
                [salt, client.handover_ids],
            )
        report.add("raw_events", n, ["note", "extra"])

    # raw_handovers: the client id becomes the pseudonym, in every version
    n = _count(conn, "select 1 from raw_handovers where client_id = ?", [client.client_id])
    if write and n:
        conn.execute(
            f"update raw_handovers set client_id = ?, extra = null, row_hash = {rehash} "
            "where client_id = ?",
            [pseudonym, salt, client.client_id],
        )
    report.add("raw_handovers", n, ["client_id", "extra"])


def _is_word(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _edge(ch: str) -> str:
    """What may not stand next to a value's first or last character for the value to stand
    alone: another digit next to a digit (a longer number), a letter, digit or _ next to a
    letter (a longer word); nothing is required of other characters."""
    if ch.isascii() and ch.isdigit():
        return "[0-9]"
    return "[0-9A-Za-z_]" if _is_word(ch) else ""


def _replace_all(text: str, sought: list[str], client_id: str, pseudonym: str) -> str:
    """``text`` with every occurrence of a sought value replaced where it stands alone (C001
    is not inside C0012, a phone not inside a longer number): the client id by the
    pseudonym, any other value by ``[erased]``. ``sought`` is longest first."""
    for value in sought:
        if value not in text:
            continue
        text = _replace_alone(text, value, pseudonym if value == client_id else ERASED)
    return text


def _replace_alone(text: str, value: str, replacement: str) -> str:
    """``text`` with ``value`` replaced where it stands alone: not inside a longer word or
    number of the same kind of character (C001 is not inside C0012)."""
    before, after = _edge(value[0]), _edge(value[-1])
    pattern = (
        (f"(?<!{before})" if before else "") + re.escape(value) + (f"(?!{after})" if after else "")
    )
    return re.sub(pattern, lambda _: replacement, text)


def _erase_text(
    conn: duckdb.DuckDBPyConnection, client: _Client, pseudonym: str | None, report: ErasureReport
) -> None:
    """Every stored text holding one of the client's values (see TEXT_COLUMNS)."""
    sought = client.sought()
    report.values_sought = len(sought)
    shown = pseudonym or PSEUDONYM_PREFIX + "00000000"  # a dry run replaces nothing
    own, own_params = _own_feedback(client)
    # rows the first pass empties or rewrites (a dry run has not done it): table -> (SQL, params)
    handled: dict[str, tuple[str, list[object]]] = {
        "raw_clients": ("client_id = ?", [client.client_id]),
        "raw_handovers": ("client_id = ?", [client.client_id]),
        "raw_events": ("list_contains(?::varchar[], handover_id)", [client.handover_ids]),
        "raw_feedback": (own, own_params),
    }
    for table, column in TEXT_COLUMNS:
        skip, skip_params = handled.get(table, ("false", []))
        rows = conn.execute(
            f'select rowid, "{column}" from {table} where "{column}" is not null '
            f'and len(list_filter(?::varchar[], lambda v: contains("{column}", v))) > 0 '
            f"and not coalesce({skip}, false)",
            [sought, *skip_params],
        ).fetchall()
        changes = []
        for row_id, text in rows:
            new = _replace_all(str(text), sought, client.client_id, shown)
            if new != text:
                changes.append((row_id, new))
        if pseudonym is not None and changes:
            conn.execute(
                "create or replace temporary table erasure_changes "
                "(row_id bigint, new_text varchar)"
            )
            conn.executemany("insert into erasure_changes values (?, ?)", changes)
            conn.execute(
                f'update {table} set "{column}" = c.new_text from erasure_changes as c '
                f"where {table}.rowid = c.row_id"
            )
            conn.execute("drop table erasure_changes")
        report.add(table, len(changes), [column])


def _erase(
    conn: duckdb.DuckDBPyConnection,
    client: _Client,
    pseudonym: str | None,
    salt: str,
    report: ErasureReport,
) -> None:
    _erase_rows(conn, client, pseudonym, salt, report)
    _erase_text(conn, client, pseudonym, report)


def erase_client(
    store: Store,
    client_id: str,
    dry_run: bool = False,
    *,
    actor: Actor | None = None,
    docs_dir: Path | None = None,
) -> ErasureReport:
    """Erase the personal data of the client ``client_id`` everywhere (see the module
    docstring), then rewrite the database file so that no old bytes remain. Only an
    administrator (else the command line's operator, who is one) may, also for a
    ``dry_run``, which changes nothing and reports what would change. ``docs_dir``: a Data
    Docs folder (``handover check --docs``) whose pages are cleaned too; the database does
    not know where such folders are."""
    actor = administrator(actor, "erase a client's data")
    if docs_dir is not None and not Path(docs_dir).is_dir():
        raise ErasureError(
            f"There is no Data Docs folder at {docs_dir}: nothing was erased.",
            title="No such folder",
            params={"folder": str(docs_dir)},
        )
    client_id = client_id.strip()
    if not store.exists():
        raise ErasureError(
            f"There is no database at {store.path}: nothing to erase.",
            title="No database",
            params={"file": str(store.path)},
        )
    store.ensure_schema()
    report = ErasureReport(client_id=client_id, dry_run=dry_run, size_before=_file_size(store.path))

    def unknown() -> ErasureError:
        return ErasureError(
            f"There is no client {client_id!r} in {store.path} (in any version of any "
            "batch): nothing was erased.",
            title="Unknown client",
            params={"client": client_id, "file": str(store.path)},
        )

    if dry_run:

        def look(conn: duckdb.DuckDBPyConnection) -> None:
            client = _find(conn, client_id)
            if client is None:
                raise unknown()
            _erase(conn, client, None, "", report)
            if docs_dir is not None:
                _scrub_docs(Path(docs_dir), client, None, report)

        store.read(look)
        report.size_after = report.size_before
        return report

    pseudonym = PSEUDONYM_PREFIX + secrets.token_hex(4)
    salt = secrets.token_hex(16)
    with store.connect(read_only=False) as conn:
        conn.execute("begin transaction")
        try:
            client = _find(conn, client_id)
            if client is None:
                raise unknown()
            while conn.execute(
                "select count(*) from raw_clients where client_id = ?", [pseudonym]
            ).fetchall()[0][0]:
                pseudonym = PSEUDONYM_PREFIX + secrets.token_hex(4)
            report.pseudonym = pseudonym
            _erase(conn, client, pseudonym, salt, report)
            report.audit_id = audit.record(
                conn,
                actor.name,
                "erase",
                pseudonym,
                rows=report.rows,
                tables={t: e["rows"] for t, e in report.changed.items()},
                fields=sorted({f for e in report.changed.values() for f in e["fields"]}),
            )
            report.batch_id = _record_batch(conn, actor.name, pseudonym, report)
        except BaseException:
            conn.execute("rollback")
            raise
        conn.execute("commit")
        try:
            rewrite_database(conn, store.path)
        except HandoverError as error:
            raise ErasureError(
                f"The client's data was erased from every table (now {pseudonym}), but the "
                f"database file could not be rewritten ({error.message}), so old bytes may "
                "remain in its unused space: fix that and run `handover erase client "
                f"{pseudonym}` to rewrite it.",
                title="Database not rewritten",
                params={"pseudonym": pseudonym, "file": str(store.path)},
            ) from error
        report.rewritten = True
    if docs_dir is not None:
        _scrub_docs(Path(docs_dir), client, pseudonym, report)
    report.size_after = _file_size(store.path)
    log.info("erased a client as %s: %s", pseudonym, report.changed)
    return report


# -- files on disk: the Data Docs ------------------------------------------------------------


def _spellings(value: str) -> set[str]:
    """The ways a page can carry a value: as is, HTML-escaped, JSON-escaped (ASCII or not),
    and HTML-escaped JSON."""
    as_json = json.dumps(value)[1:-1]
    as_text = json.dumps(value, ensure_ascii=False)[1:-1]
    return {
        value,
        html.escape(value),
        html.escape(value, quote=False),
        as_json,
        as_text,
        html.escape(as_text),
    }


def _page_files(folder: Path) -> list[Path]:
    """The text files of a Data Docs folder (its pages; not its fonts and images)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.is_symlink()
        and p.suffix.lower() in (".html", ".htm", ".json", ".js", ".txt", ".md")
    )


def _scrub_text(text: str, client: _Client, pseudonym: str) -> str:
    sought = client.sought()
    spelled: dict[str, str] = {}
    for value in sought:
        for spelling in _spellings(value):
            spelled.setdefault(spelling, value)
    ordered = sorted(spelled, key=lambda v: (-len(v), v))
    client_spellings = _spellings(client.client_id)
    for spelling in ordered:
        if spelling not in text:
            continue
        replacement = pseudonym if spelling in client_spellings else ERASED
        text = _replace_alone(text, spelling, replacement)
    return text


def _scrub_docs(
    folder: Path, client: _Client, pseudonym: str | None, report: ErasureReport
) -> None:
    """Replace the client's values in the pages of a Data Docs folder (``handover check
    --docs``), each page rewritten through a new file moved over it; count only when
    ``pseudonym`` is None. Read back: a value left raises ``ErasureError``."""
    shown = pseudonym or PSEUDONYM_PREFIX + "00000000"
    changed = 0
    for page in _page_files(folder):
        try:
            text = page.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        new = _scrub_text(text, client, shown)
        if new == text:
            continue
        changed += 1
        if pseudonym is None:
            continue
        fd, name = tempfile.mkstemp(prefix=".erase-", dir=page.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(new)
            os.chmod(name, stat.S_IMODE(page.stat().st_mode))
            os.replace(name, page)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    report.docs_files = changed
    if pseudonym is not None:
        left = [
            p
            for p in _page_files(folder)
            if _scrub_text(p.read_text(encoding="utf-8", errors="replace"), client, pseudonym)
            != p.read_text(encoding="utf-8", errors="replace")
        ]
        if left:
            raise ErasureError(
                f"{len(left)} page(s) of the Data Docs in {folder} still hold a value of the "
                "client after they were rewritten: delete that folder and run `handover "
                "check --docs` again.",
                title="Data Docs not erased",
                params={"folder": str(folder)},
            )


# -- rewriting the file: copy, verify, swap ----------------------------------------------------


def _file_size(path: Path) -> int:
    total = 0
    for file in (path, wal_path(path)):
        try:
            total += file.stat().st_size
        except OSError:
            pass
    return total


# -- retention ---------------------------------------------------------------------------------


def erase_old_comments(
    store: Store, days: int | None, *, actor: Actor | None = None, today: date | None = None
) -> int:
    """Empty the survey comments submitted more than ``days`` days before ``today``, in every
    row version; returns how many rows lost their comment (0 when ``days`` is None: kept
    forever). Recorded in the audit trail (action ``retention``) when any was. Called after
    each import by whoever imported (the import needed ``upload``)."""
    if days is None or not store.exists():
        return 0
    cutoff = datetime.combine(
        (today or date.today()) - timedelta(days=int(days)), datetime.min.time()
    )
    where = "comment is not null and submitted_at < ?"

    def erase(conn: duckdb.DuckDBPyConnection) -> int:
        n = int(
            conn.execute(f"select count(*) from raw_feedback where {where}", [cutoff]).fetchall()[
                0
            ][0]
        )
        if n:
            conn.execute(f"update raw_feedback set comment = null where {where}", [cutoff])
            audit.record(
                conn,
                (actor or local_operator()).name,
                "retention",
                "raw_feedback",
                field="comment",
                days=int(days),
                before=cutoff,
                rows=n,
            )
        return n

    if not store.query("select count(*) from raw_feedback where " + where, [cutoff]).scalar():
        return 0  # nothing to do: no write, the pages' caches stay valid
    return store.write(erase)


def retention_sentence(n: int, days: int) -> str:
    return (
        f"Retention: {n} survey comment(s) older than {days} day(s) erased "
        "(retention.feedback_comments_days)."
    )
