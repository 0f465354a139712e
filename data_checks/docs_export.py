"""The Data Docs as a zip built for the person who downloads them (issue 10).

Great Expectations writes its Data Docs with the raw values of the failing records: phones,
USCCs and e-mail addresses among them. ``docs_zip_for(store, docs_dir, actor)`` hands out a
copy in which every confidential value the actor's role may not see unmasked (its
``unmask:<field>`` permissions say which it may) is replaced by its masked form, as the
dashboard's tables show it (dashboard/masking.py). The folder itself is not changed; each
export handed out is in the audit trail.

Who may have it:

* the ``export`` permission is required: it is an export;
* only a role whose scope is the whole firm. The Data Docs describe the whole firm's data,
  and cannot be cut to a team or to one person's handovers: a check compares records
  across the firm (a USCC shared by two clients lists both clients, whichever team serves
  them), and its statistics count every record. Re-running the checks on a team's records
  only would change what the checks mean (a USCC shared with another team's client would
  pass) and still not be the docs the firm's run produced. A team or own scope is refused
  (``docs_scope_refused``); its failing records are listed on the Data quality page.

What is masked. The values to hide are collected from the database, so that invalid ones
(the failing records the docs list) are found however they are written:

* every version of the clients' ``contact_phone``, ``uscc`` and ``email`` (raw_clients, not
  only the current rows: older Data Docs pages of the folder show older data), and the phone
  and USCC the survey responses give (raw_feedback: the feedback asset's ``given_*``
  columns), and every offending value of those columns the stored check runs recorded;
* each in the forms the clients asset derives from it (``contact_phone_compact``: spaces and
  dashes removed; ``uscc_upper``), trimmed, digits only (phones), upper or lower case;
* each form in every spelling a page can carry: raw, HTML-escaped (``html.escape`` and
  Jinja's MarkupSafe), JSON-escaped (ASCII and not), Python ``repr``, and HTML-escaped JSON.

They are replaced longest first (one pass of a regular expression whose alternatives are a
trie, so that at any position the longest value wins and a value inside another is not
half-masked), repeated until nothing is left. Then a second net masks whatever still looks
like a phone (mainland mobile or landline), a USCC or an e-mail address, for values that
the database no longer holds (purged versions, docs of an earlier database).

Degenerate values: a value with fewer than 3 letters or digits ("无", "-", "0") identifies
nobody and is not sought (seeking it would star every "0" of the pages); one with fewer
than 7 ("N/A", "none", "12345") is masked only where it stands alone, not inside a longer
word, number or name ("1234", "cell-123-1": it would otherwise break the pages' links and
numbers). A value that is
already masked (its masked form is itself) is not sought.

Verification, every time: the produced zip is read back and scanned, every page, for every
value sought (by the same rules) and the patterns of the second net. If anything remains,
nothing is handed out (``docs_mask_failed``, which names no value). The static files (styles,
fonts, images) are taken from the installed Great Expectations package, not from the folder:
they are the library's own and hold no data, so only the pages are scanned.

Finding the values in the pages uses their runs of ASCII letters and digits (``Masker``):
only the values whose runs the page has go into the regular expression (a few thousand at
most), however many the database holds.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from pipelines.access import CONFIDENTIAL, Actor, require, role
from pipelines.errors import HandoverError, PermissionDeniedError
from pipelines.masking import MASKS
from pipelines.store import Store

# The smallest value sought at all, and the smallest sought inside longer words (counted in
# letters and digits; see the module's docstring).
MIN_SOUGHT = 3
MIN_STRICT = 7
MAX_PASSES = 5
_RUN = re.compile(r"[A-Za-z0-9]+")
_WORD = "A-Za-z0-9_"
_BOUND = "A-Za-z0-9_-"  # what a short value may not touch: "123" is not in "cell-123-1"


class DocsExportError(HandoverError):
    """The Data Docs could not be made safe to hand out: nothing was exported."""


# -- the values --------------------------------------------------------------------------------

# Where each confidential field's values are held: (table, column), every version.
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "contact_phone": (("raw_clients", "contact_phone"), ("raw_feedback", "contact_phone")),
    "uscc": (("raw_clients", "uscc"), ("raw_feedback", "uscc")),
    "email": (("raw_clients", "email"),),
}
# The stored check results that name offending values, by column name.
RESULT_TABLES = ("check_failures", "failure_history")


def confidential_values(store: Store, fields: Iterable[str]) -> dict[str, set[str]]:
    """Every distinct value the database holds or held (versions, recorded failures) of each
    of ``fields``, read on one read-only connection."""
    fields = [f for f in fields if f in CONFIDENTIAL]

    def read(conn) -> dict[str, set[str]]:
        tables = {
            r[0]
            for r in conn.execute("select table_name from information_schema.tables").fetchall()
        }
        found: dict[str, set[str]] = {f: set() for f in fields}
        for field in fields:
            parts = [
                f"select {column} as v from {table} where {column} is not null"
                for table, column in SOURCES[field]
                if table in tables
            ]
            parts += [
                f"select offending_value as v from {table} "
                f"where column_name = '{field}' and offending_value is not null"
                for table in RESULT_TABLES
                if table in tables
            ]
            if parts:
                query = "select distinct v from (" + " union all ".join(parts) + ")"
                found[field] = {r[0] for r in conn.execute(query).fetchall()}
        return found

    return store.read(read) if fields else {}


def forms(field: str, value: str) -> set[str]:
    """The ways a page can show ``value``: as stored and as the clients asset derives it."""
    found = {value, value.strip()}
    if field == "contact_phone":
        found |= {re.sub(r"[ -]", "", value), re.sub(r"[^0-9]", "", value)}
    elif field == "uscc":
        found |= {value.upper(), value.strip().upper()}
    elif field == "email":
        found |= {value.lower(), value.strip().lower()}
    return {f for f in found if f}


def _json(text: str, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)[1:-1]


def _markup(text: str) -> str:
    import markupsafe

    return str(markupsafe.escape(text))


# Each spelling a page can carry a value in; a value and its masked form are spelled alike.
SPELLINGS: tuple[Callable[[str], str], ...] = (
    lambda s: s,
    html.escape,
    lambda s: html.escape(s, quote=False),
    _markup,
    lambda s: _json(s, True),
    lambda s: _json(s, False),
    lambda s: html.escape(_json(s, True)),
    lambda s: html.escape(_json(s, False)),
    lambda s: _markup(_json(s, True)),
    lambda s: _markup(_json(s, False)),
    lambda s: repr(s)[1:-1],
    lambda s: html.escape(repr(s)[1:-1]),
)


def mask(field: str, value: str) -> str | None:
    """The masked form of ``value`` (dashboard/masking.py), or None when it is its own masked
    form. A masked form that still contains the value (an address with nothing before its @)
    becomes stars throughout."""
    masked = MASKS[field](value)
    if masked == value:
        return None
    return "*" * len(value) if value in masked else masked


def _masked_match(field: str) -> Callable[[re.Match[str]], str]:
    """A replacement for re.sub: a match masked as a value of ``field``, or kept when it is
    its own masked form."""
    return lambda m: mask(field, m.group(0)) or m.group(0)


_ESCAPED = frozenset("&<>\"'\\")


def spellings(text: str) -> dict[str, Callable[[str], str]]:
    """Each distinct spelling of ``text`` with the function that spells it. Printable ASCII
    without & < > " ' and \\ is spelled one way by all of them (most values: fast)."""
    if text.isascii() and text.isprintable() and _ESCAPED.isdisjoint(text):
        return {text: SPELLINGS[0]}
    found: dict[str, Callable[[str], str]] = {}
    for spell in SPELLINGS:
        found.setdefault(spell(text), spell)
    return found


def _alnum(text: str) -> int:
    return sum(map(str.isalnum, text))


# -- the second net: what looks like a confidential value -------------------------------------

PATTERNS: dict[str, re.Pattern[str]] = {
    "contact_phone": re.compile(
        rf"(?<![{_WORD}])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]){{8}}(?![{_WORD}])"
        rf"|(?<![{_WORD}.])0[1-9][0-9]{{1,2}}[ -]?[0-9]{{7,8}}(?![{_WORD}])"
    ),
    "uscc": re.compile(
        rf"(?<![{_WORD}])[0-9A-HJ-NP-RTUWXY]{{2}}[0-9]{{6}}[0-9A-HJ-NP-RTUWXY]{{10}}"
        rf"(?![{_WORD}])",
        re.IGNORECASE,
    ),
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
}


# -- finding and replacing ----------------------------------------------------------------------


def _trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words``, the longest at any position: a trie,
    so that the engine follows one branch per character instead of trying every word."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        chain = []  # a run of single children is one literal, not one call per character
        while len(node) == 1 and "" not in node:
            ((ch, node),) = node.items()
            chain.append(re.escape(ch))
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        body = (
            ""
            if not branches
            else branches[0]
            if len(branches) == 1
            else "(?:" + "|".join(branches) + ")"
        )
        if body and "" in node:
            body = f"(?:{body})?"
        return "".join(chain) + body

    return build(trie)


def _compile(words: list[str]) -> str:
    """``_trie_pattern``, or for a trie too deep for the parser (values that are prefixes of
    each other hundreds deep) the words longest first: slower, the same matches."""
    try:
        pattern = _trie_pattern(words)
        re.compile(pattern)
        return pattern
    except (RecursionError, re.error):
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


class Masker:
    """The values one viewer may not see, with their masked forms, and how to find them.

    Each spelling of each form of a value is a word to find. Wherever a word occurs in a
    page, its runs of ASCII letters and digits lie in the page's runs: an inner run (other
    characters on both sides within the word) is a whole run of the page, the word's first
    run ends one, its last run begins one, and a word of one run lies anywhere inside one.
    A page is searched only for the words all of whose runs it has that way (looked up by
    the word's longest run), however many the database holds. Masked forms are worked out
    for those words, when first needed."""

    def __init__(self, values: dict[str, set[str]]):
        self.fields = tuple(values)
        self._source: dict[str, tuple[str, str, Callable[[str], str]]] = {}
        self._replacement: dict[str, str | None] = {}
        # the words by their longest run, and how that run sits in a page's runs
        self._index: dict[str, dict[str, list[str]]] = {
            kind: defaultdict(list) for kind in ("whole", "ends", "begins", "inside")
        }
        self._runs: dict[str, tuple[tuple[str, str], ...]] = {}
        self._always: list[str] = []  # no run of 3 letters or digits to find them by
        for field, raw_values in values.items():
            for value in raw_values:
                for form in forms(field, value):
                    if _alnum(form) < MIN_SOUGHT:
                        continue
                    for word, spell in spellings(form).items():
                        if word not in self._source:
                            self._source[word] = (field, form, spell)
                            self._file(word)
        self._inside_lengths = sorted({len(key) for key in self._index["inside"]})
        self._edge_length = max(
            (len(key) for kind in ("ends", "begins") for key in self._index[kind]), default=0
        )

    def _file(self, word: str) -> None:
        found = _RUN.findall(word)
        if len(found) == 1:
            runs: tuple[tuple[str, str], ...] = (("inside", found[0]),)
        else:
            runs = tuple(("whole", run) for run in found)
            if found and word.startswith(found[0]):
                runs = (("ends", found[0]), *runs[1:])
            if len(found) > 1 and word.endswith(found[-1]):
                runs = (*runs[:-1], ("begins", found[-1]))
        kind, key = max(runs, key=lambda r: (len(r[1]), r[0] == "whole"), default=("", ""))
        if len(key) < MIN_SOUGHT:
            self._always.append(word)
            return
        self._index[kind][key].append(word)
        if len(runs) > 1:
            self._runs[word] = runs

    @classmethod
    def for_fields(cls, store: Store, fields: Iterable[str]) -> Masker:
        return cls(confidential_values(store, fields))

    def replacement(self, word: str) -> str | None:
        """The masked spelling of ``word``; None when the word is its own masked form (not
        sought)."""
        if word not in self._replacement:
            field, form, spell = self._source[word]
            masked = mask(field, form)
            self._replacement[word] = None if masked is None else spell(masked)
        return self._replacement[word]

    def _bounded(self, word: str) -> bool:
        return _alnum(self._source[word][1]) < MIN_STRICT

    def candidates(self, text: str) -> list[str]:
        """The words ``text`` may hold: every word it holds, and some it does not (the
        regular expression built of them finds which it does)."""
        runs = set(_RUN.findall(text))
        edges = range(1, self._edge_length + 1)
        page = {
            "whole": runs,
            "ends": {r[-k:] for r in runs for k in edges if k <= len(r)},
            "begins": {r[:k] for r in runs for k in edges if k <= len(r)},
        }
        found: set[str] = set()
        for kind in ("whole", "ends", "begins"):
            index = self._index[kind]
            for key in page[kind]:
                found.update(index.get(key, ()))
        inside = self._index["inside"]
        for run in runs:
            size = len(run)
            for length in self._inside_lengths:
                if length > size:
                    break
                for start in range(size - length + 1):
                    found.update(inside.get(run[start : start + length], ()))
        found = {w for w in found if all(run in page[kind] for kind, run in self._runs.get(w, ()))}
        found.update(w for w in self._always if w in text)
        return sorted(w for w in found if self.replacement(w) is not None)

    def _regex(self, words: list[str]) -> re.Pattern[str] | None:
        strict = [w for w in words if not self._bounded(w)]
        bounded = [w for w in words if self._bounded(w)]
        parts = []
        if strict:
            parts.append(f"(?:{_compile(strict)})")
        if bounded:
            parts.append(f"(?<![{_BOUND}])(?:{_compile(bounded)})(?![{_BOUND}])")
        return re.compile("|".join(parts)) if parts else None

    def remaining(self, text: str) -> int:
        """How many confidential values (sought, or looking like one) ``text`` still shows."""
        regex = self._regex(self.candidates(text))
        count = len(regex.findall(text)) if regex else 0
        return count + sum(len(PATTERNS[f].findall(text)) for f in self.fields)

    def apply(self, text: str) -> str:
        for _ in range(MAX_PASSES):
            regex = self._regex(self.candidates(text))
            if regex is not None:
                # a word that is its own masked form (None) is dropped, as re.sub always
                # treated a None from the function
                text = regex.sub(lambda m: self.replacement(m.group(0)) or "", text)
            for field in self.fields:
                text = PATTERNS[field].sub(_masked_match(field), text)
            if not self.remaining(text):
                break
        return text


# -- the zip --------------------------------------------------------------------------------------


def _static_dir() -> Path:
    """Great Expectations' static files, found without importing the library (seconds)."""
    from importlib.util import find_spec

    spec = find_spec("great_expectations")
    if spec is None or spec.origin is None:
        raise HandoverError("Great Expectations is not installed.")
    return Path(spec.origin).parent / "render" / "view" / "static"


def _pages(docs_dir: Path) -> dict[str, str]:
    """The pages of the folder (its HTML files, not under static/), by path in the zip. Text
    that is not UTF-8 is kept byte for byte (surrogate escapes)."""
    pages = {}
    for path in sorted(docs_dir.rglob("*")):
        relative = path.relative_to(docs_dir)
        if (
            relative.parts[0] == "static"
            or path.is_symlink()
            or not path.is_file()
            or path.suffix.lower() not in (".html", ".htm")
        ):
            continue
        pages[relative.as_posix()] = path.read_bytes().decode("utf-8", "surrogateescape")
    return pages


def _zip(pages: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in pages.items():
            archive.writestr(name, text.encode("utf-8", "surrogateescape"))
        static = _static_dir()
        for path in sorted(static.rglob("*")):
            if path.is_file() and path.name != ".DS_Store":
                archive.write(path, "static/" + path.relative_to(static).as_posix())
    return buffer.getvalue()


def _check(data: bytes, masker: Masker, actor: Actor) -> None:
    """Read the zip back and scan its pages; refuse it if any value remains."""
    left, files = 0, 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("static/"):
                continue  # the library's own files, not the folder's (see the docstring)
            text = name + "\n" + archive.read(name).decode("utf-8", "surrogateescape")
            found = masker.remaining(text)
            if found:
                left, files = left + found, files + 1
    if left:
        raise DocsExportError(
            f"The Data Docs could not be masked for {actor.name}: {left} confidential "
            f"value(s) would remain in {files} file(s), so nothing was exported. Build the "
            "Data Docs again and retry; if it happens again, report this message.",
            title="Data Docs not exported",
            code="docs_mask_failed",
            params={"user": actor.name, "count": left, "files": files},
        )


def mask_in_place(store: Store, docs_dir: Path) -> int:
    """Mask every confidential value (phones, USCCs, e-mail addresses, as found in ``store``)
    in the pages Great Expectations just wrote into ``docs_dir`` (`handover check --docs`),
    so that no file on disk carries them unmasked; each changed page is written to a new
    file moved over it. Returns how many pages changed. Raises ``DocsExportError`` when a
    value is left (the pages are then removed: better no Data Docs than unmasked ones)."""
    import os
    import tempfile

    masker = Masker.for_fields(store, CONFIDENTIAL)
    changed = 0
    for name, text in _pages(docs_dir).items():
        masked = masker.apply(text)
        left = masker.remaining(name + "\n" + masked)
        page = docs_dir / name
        if left:
            page.unlink(missing_ok=True)
            raise DocsExportError(
                f"The Data Docs page {name} could not be masked ({left} confidential value(s) "
                "would remain), so it was removed: build the Data Docs again, and report this "
                "message if it happens again.",
                title="Data Docs not written",
                code="docs_mask_failed_page",
                params={"page": name, "count": left},
            )
        if masked == text:
            continue
        fd, temporary = tempfile.mkstemp(prefix=".masked-", dir=page.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(masked.encode("utf-8", "surrogateescape"))
        os.chmod(temporary, 0o600)
        os.replace(temporary, page)
        changed += 1
    return changed


def require_docs_export(actor: Actor) -> None:
    """Raise ``PermissionDeniedError`` unless ``actor`` may have the Data Docs: the role has
    ``export`` (``permission_denied_action``) and sees the whole firm (``docs_scope_refused``).
    Cheap: a page asks it before it offers the download."""
    require(actor, "export")
    spec = role(actor.role)
    if spec.scope != "firm":
        raise PermissionDeniedError(
            f"{actor.name} ({actor.role}) sees only part of the firm's data (scope "
            f"{spec.scope}); the Data Docs describe the whole firm's data and cannot be cut "
            "to it, so they were not exported. The failing records within that scope are "
            "listed on the Data quality page.",
            title="Not permitted",
            code="docs_scope_refused",
            params={"user": actor.name, "role": actor.role, "scope": spec.scope},
        )


def docs_zip_for(store: Store, docs_dir: Path, actor: Actor) -> bytes:
    """The Data Docs of ``docs_dir`` as a zip for ``actor``: confidential values it may not
    see unmasked are masked, and the result is verified before it is returned; the export
    is recorded in the audit trail (action ``export``, target ``data_docs``, like the
    dashboard's other downloads).

    Raises ``PermissionDeniedError`` without the ``export`` permission
    (``permission_denied_action``) or for a role that does not see the whole firm
    (``docs_scope_refused``); ``DocsExportError`` when there are no docs (``docs_missing``),
    they cannot be read (``docs_unreadable``) or masking left a value (``docs_mask_failed``)."""
    require_docs_export(actor)
    spec = role(actor.role)
    docs_dir = Path(docs_dir)
    if not (docs_dir / "index.html").is_file():
        raise DocsExportError(
            f"There are no Data Docs in {docs_dir} yet: build them first.",
            title="No Data Docs",
            code="docs_missing",
            params={"folder": str(docs_dir)},
        )
    try:
        pages = _pages(docs_dir)
    except OSError as err:
        reason = err.strerror or str(err)
        raise DocsExportError(
            f"The Data Docs in {docs_dir} cannot be read ({reason}); nothing was exported.",
            title="Data Docs not exported",
            code="docs_unreadable",
            params={"folder": str(docs_dir), "reason": reason},
        ) from err
    hidden = [f for f in CONFIDENTIAL if f not in spec.unmasked]
    masker = Masker.for_fields(store, hidden)
    if hidden:
        pages = {name: masker.apply(text) for name, text in pages.items()}
    data = _zip(pages)
    _check(data, masker, actor)
    from pipelines import audit

    audit.append(
        store, actor.name, "export", "data_docs", format="zip", pages=len(pages), masked=hidden
    )
    return data
