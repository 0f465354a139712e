"""User data is text: every page, in both languages and for every role, over a database whose
every text field (and file name, and URL parameter) is hostile Markdown/HTML/LaTeX/Streamlit
syntax (tests/dashboard/payloads.py). Whatever Streamlit renders as Markdown (texts, captions,
alerts, titles, metric and widget labels, help, expander and tab labels, toasts) shows each
payload as written; chart texts carry no live HTML."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from dashboard.roles import roles
from dashboard.text import chart_text, literal, plain
from tests.dashboard.conftest import login, prepare_role
from tests.dashboard.payloads import (
    AS_OF,
    MARKERS,
    P,
    build,
    chart_problems,
    markdown_problems,
    payload,
)

APP = str(Path(__file__).parents[2] / "dashboard" / "app.py")

# Elements whose text Streamlit shows as it is (tables, code, plain text), or checked apart
# (charts); and fields that are data, not text shown as Markdown (a selectbox's options are
# plain text, and so are the values of inputs).
AS_IS = {"arrow_data_frame", "code", "text", "plotly_chart", "empty", "skeleton"}
NOT_MARKDOWN = {
    "options",
    "default",
    "value",
    "raw_value",
    "raw_values",
    "id",
    "form_id",
    "url",
    "icon",
    "page",
    "page_script_hash",
    "spec",
    "data",
    "code_text",
    "language",
    "file_name",
    "mime",
    "format",
    "selection_mode",
    "type",
    "placeholder_value",
}


@pytest.fixture(scope="module")
def payload_db(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("payload"))


def texts(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) of every string the page gives Streamlit to render as Markdown."""
    found = []

    def collect(where: str, message) -> None:
        for field, value in message.ListFields():
            if field.name in NOT_MARKDOWN or field.type not in (
                field.TYPE_MESSAGE,
                field.TYPE_STRING,
            ):
                continue
            items = [value] if isinstance(value, (str, Message)) else list(value)
            if field.type == field.TYPE_MESSAGE:
                for item in items:
                    collect(f"{where}.{field.name}", item)
            elif field.type == field.TYPE_STRING:
                found.extend((f"{where}.{field.name}", item) for item in items)

    for node in at._tree:
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None or kind in AS_IS or not hasattr(proto, "ListFields"):
            continue
        collect(kind, proto)
    return found


def charts(at: AppTest) -> list[str]:
    return [node.proto.spec for node in at._tree if getattr(node, "type", "") == "plotly_chart"]


def open_page(
    db: Path, monkeypatch, role: str, lang: str, page: str | None, params: dict | None = None
) -> AppTest:
    monkeypatch.setenv("HANDOVER_DB", str(db))
    # the scoped roles see the hostile handover: their team and staff name are the payloads'
    prepare_role(
        db,
        monkeypatch,
        role,
        {"team_lead": {"team": P["team"]}, "staff": {"staff": P["to_staff"]}}.get(role),
    )
    monkeypatch.setenv("HANDOVER_CONFIG", str(db.with_name("none.toml")))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"lang": lang, "as_of": AS_OF.isoformat(), **(params or {})})
    at.run()
    login(at, role)
    if page:
        at.switch_page(f"views/{page}.py").run()
    return at


def assert_plain(at: AppTest) -> list[str]:
    """Asserts the page is free of rendered payloads; returns the markers it shows."""
    assert not at.exception, [e.value for e in at.exception]
    failed = {t("app.unexpected", lang) for lang in ("zh", "en")}
    assert not [e.value for e in at.error if e.value in failed], "a page failed (see its log)"
    problems = [
        f"{where}: {problem}\n    {text[:300]!r}"
        for where, text in texts(at)
        for problem in markdown_problems(text)
    ]
    problems += [f"chart: {p!r}" for spec in charts(at) for p in chart_problems(spec)]
    assert not problems, "payloads rendered as formatting:\n" + "\n".join(problems)
    shown = " ".join(text for _, text in texts(at)) + " ".join(charts(at))
    return [m for m in MARKERS if m in shown]


CASES = [
    (role, lang, page)
    for role, spec in roles().items()
    for page in spec.pages
    for lang in ("zh", "en")
]


@pytest.mark.parametrize(("role", "lang", "page"), CASES)
def test_every_page_shows_data_as_plain_text(payload_db, monkeypatch, role, lang, page):
    params = (
        {"handover": P["handover_id"], "team": P["team"], "staff": P["to_staff"]}
        if page == "handovers"
        else {"team": P["team"]}
    )
    at = open_page(payload_db, monkeypatch, role, lang, page, params)
    assert_plain(at)
    if page == "handovers":  # the record of the hostile handover, by its hostile id
        assert payload("P02") in literal(at.header[0].value)  # company name, as written
        assert payload("P09") in literal(at.header[0].value)  # handover id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_handover_link_to_a_payload_shows_it_as_text(payload_db, monkeypatch, lang):
    """``?handover=…`` from a link someone sent: the warning quotes it, never links it."""
    at = open_page(
        payload_db, monkeypatch, "management", lang, "handovers", {"handover": P["url_handover"]}
    )
    assert_plain(at)
    assert any(payload("P21") in literal(w.value) for w in at.warning)


def test_the_payload_reaches_the_places_that_interpret_text(payload_db, monkeypatch):
    """The walk is not vacuous: hostile values do reach Markdown and charts (escaped)."""
    at = open_page(
        payload_db, monkeypatch, "management", "zh", "handovers", {"handover": P["handover_id"]}
    )
    shown = assert_plain(at)
    assert {"P02", "P09"} <= set(shown)  # the record's title
    timeline = " ".join(charts(at))
    assert "P14" in timeline and "P15" in timeline and "P16" in timeline  # actor, note, item
    satisfaction = open_page(payload_db, monkeypatch, "management", "en", "satisfaction")
    satisfaction.number_input(key="sat_min_responses").set_value(1).run()
    assert_plain(satisfaction)
    assert "P11" in " ".join(charts(satisfaction))  # the receiving staff member's bar
    risk = open_page(payload_db, monkeypatch, "management", "en", "risk")
    assert "P13" in " ".join(charts(risk))  # the team in the heat map


def test_upload_names_a_hostile_file_as_text(payload_db, tmp_path, monkeypatch):
    """A file named like a payload, with a payload for a header: the page quotes both as
    text, before and after the import."""
    import csv
    import io

    name = f"{payload('P30')}.csv".replace("/", "／")
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [
            ["client_id", "company_name", "contact_name", payload("P31")],
            ["KH-X1", "某公司", "某人", "x"],
        ]
    )
    at = open_page(payload_db, monkeypatch, "management", "zh", "upload")
    at.segmented_control(key="upload_kind").set_value("clients").run()
    at.file_uploader[0].upload(name, buffer.getvalue().encode("utf-8"), "text/csv").run()
    assert_plain(at)
    assert any(payload("P31") in literal(c.value) for c in at.caption)  # the extra column
    at.button(key="upload_confirm").click().run()
    assert_plain(at)
    assert name in literal(at.success[0].value)


def test_plain_escapes_what_streamlit_would_interpret():
    value = payload("P99")
    escaped = plain(value)
    assert literal(escaped) == value
    assert not markdown_problems(escaped)
    assert markdown_problems(value)  # the check does see an unescaped payload
    assert "<" not in chart_text(value) and "$" not in chart_text(value)
    assert plain("1. first\nsecond") == "1\\. first second"
    assert plain(None) == "" and plain(float("nan")) == ""


def test_no_catalogue_text_puts_a_value_where_escapes_show():
    """Inside a code span a backslash shows: values go in the text, never in `…`."""
    import re

    from dashboard.i18n import catalogue

    for key, entry in catalogue().items():
        for text in entry.values():
            assert not [s for s in re.findall(r"`[^`]*`", text) if "{" in s], key
