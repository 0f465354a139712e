"""A database whose every text field is hostile Markdown, HTML, LaTeX and Streamlit syntax,
and the checks that the dashboard shows all of it as plain text.

Each field holds ``payload(marker)``: bold, a link, Streamlit colour, an HTML tag and an HTML
link, LaTeX, a Material icon, an emoji shortcode, a bare URL and an e-mail address, around a
marker (``P07``) that says which field it came from. Shown as text, the whole payload is
visible as written; interpreted, its brackets, stars and tags are gone or turned into links.
Used by the AppTest walk (tests/dashboard/test_plain_text.py) and the browser test
(tests/e2e/test_plain_text.py).
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path

from dashboard.text import WORD_JOINER
from pipelines.access import Actor
from tests.conftest import write_csv

AS_OF = date(2026, 3, 1)
LINK = "https://example.com"


def payload(marker: str) -> str:
    """No comma (the URL lists teams and staff with commas) and no "|" (record keys join
    with it); everything else a user could type."""
    return (
        f"{marker} **粗{marker}** [链{marker}]({LINK}/{marker}) :red[红{marker}] "
        f'<b>B{marker}</b> <a href="{LINK}">A{marker}</a> $x^{marker}$ '
        f":material/home: :smile: www.example.com a@example.com {LINK} _i{marker}_"
    )


FIELDS = {  # the marker of each field
    "client_id": "P01",
    "company_name": "P02",
    "legal_rep": "P03",
    "contact_name": "P04",
    "email": "P05",
    "address": "P06",
    "industry": "P07",
    "assigned_staff": "P08",
    "handover_id": "P09",
    "from_staff": "P10",
    "to_staff": "P11",
    "supervisor": "P12",
    "team": "P13",
    "actor": "P14",
    "note": "P15",
    "item_code": "P16",
    "comment": "P17",
    "given_company_name": "P18",
    "file_name": "P19",
    "open_handover_id": "P20",
    "url_handover": "P21",
    "contract_no": "P22",
    "feedback_file": "P23",
}
P = {field: payload(marker) for field, marker in FIELDS.items()}
MARKERS = tuple(FIELDS.values())
_MARKER = re.compile(r"P\d\d")


def build(folder: Path) -> Path:
    """The payload database in ``folder``: two clients (one hostile in every field), two
    handovers of it (one completed late, one open and overdue), their events with hostile
    actors, notes and an unknown item code, an attributed and an unmatched survey answer, file
    names that are payloads too, and a stored data-check run."""
    from data_checks.results import save_run
    from data_checks.runner import run_checks
    from pipelines.feedback.ingest import ingest_feedback
    from pipelines.ingest import ingest_file
    from pipelines.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "payload.duckdb")
    clients = write_csv(
        folder / "clients.csv",
        [
            [
                "client_id",
                "company_name",
                "uscc",
                "legal_rep",
                "contact_name",
                "contact_phone",
                "email",
                "address",
                "industry",
                "assigned_staff",
                "status",
                "contract_no",
            ],
            [
                P["client_id"],
                P["company_name"],
                "91310000MA1FL0XX1X",
                P["legal_rep"],
                P["contact_name"],
                "13800138000",
                P["email"],
                P["address"],
                P["industry"],
                P["assigned_staff"],
                "active",
                P["contract_no"],
            ],
            [
                "KH-PLAIN",
                "普通公司",
                "",
                "王五",
                "赵六",
                "13900139000",
                "",
                "",
                "",
                "钱七",
                "active",
                "",
            ],
        ],
    )
    handovers = write_csv(
        folder / "handovers.csv",
        [
            [
                "handover_id",
                "client_id",
                "from_staff",
                "to_staff",
                "supervisor",
                "team",
                "reason",
                "planned_start",
                "planned_end",
                "actual_start",
                "actual_end",
                "nda_signed",
            ],
            [
                P["handover_id"],
                P["client_id"],
                P["from_staff"],
                P["to_staff"],
                P["supervisor"],
                P["team"],
                "resignation",
                "2026-01-05",
                "2026-01-10",
                "2026-01-05 09:00",
                "2026-01-20 17:00",
                "true",
            ],
            [
                P["open_handover_id"],
                P["client_id"],
                P["from_staff"],
                P["to_staff"],
                P["supervisor"],
                P["team"],
                "rotation",
                "2026-02-01",
                "2026-02-10",
                "2026-02-01 09:00",
                "",
                "false",
            ],
        ],
    )
    events = write_csv(
        folder / "events.csv",
        [
            ["handover_id", "occurred_at", "event_type", "item_code", "actor", "note"],
            [
                P["handover_id"],
                "2026-01-06 10:00",
                "item_transferred",
                "business_license",
                P["actor"],
                P["note"],
            ],
            [
                P["handover_id"],
                "2026-01-07 10:00",
                "item_transferred",
                P["item_code"],
                P["actor"],
                P["note"],
            ],
            [
                P["handover_id"],
                "2026-01-08 10:00",
                "discrepancy_found",
                "vouchers",
                P["actor"],
                P["note"],
            ],
            [P["handover_id"], "2026-01-20 17:00", "signed_off", "", P["actor"], P["note"]],
            [
                P["open_handover_id"],
                "2026-02-02 10:00",
                "item_transferred",
                "ledgers",
                P["actor"],
                P["note"],
            ],
        ],
    )
    for kind, path in (("clients", clients), ("handovers", handovers), ("events", events)):
        ingest_file(
            store,
            kind,
            path,
            display_name=f"{P['file_name']}.csv",
            actor=Actor("tester", "administrator"),
        )
    feedback = write_csv(
        folder / "feedback.csv",
        [
            [
                "response_id",
                "client_id",
                "company_name",
                "submitted_at",
                "overall_satisfaction",
                "recommend_score",
                "comment",
            ],
            ["R1", P["client_id"], "", "2026-02-01 10:00", "2", "3", P["comment"]],
            ["R2", "", P["given_company_name"], "2026-02-02 10:00", "5", "9", P["comment"]],
        ],
    )
    ingest_feedback(
        store,
        feedback,
        source="template",
        display_name=f"{P['feedback_file']}.csv",
        actor=Actor("tester", "administrator"),
    )
    save_run(store, run_checks(store, AS_OF))
    return store.path


# -- what the user sees --------------------------------------------------------------------


def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


# Streamlit's own text-level syntax (dashboard/text.py), as its Markdown renderer finds it.
STREAMLIT_SYNTAX = {
    "directive (:red[…])": re.compile(r":[A-Za-z][\w-]*\["),
    "material icon": re.compile(r":material[/_]\w+:"),
    "emoji shortcode": re.compile(r":[\w+-]+:"),
    "bare link": re.compile(r"https?://|www\.", re.IGNORECASE),
    "e-mail link": re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+"),
}
_MATH = re.compile(r"(?<!\$)\$(?![\s$])[^$\n]*?[^\s$]\$(?!\d)")
_ESCAPES = re.compile(r"\\[\\$`]")


def markdown_problems(source: str) -> list[str]:
    """What in ``source`` (a text Streamlit renders as Markdown) would come out of a payload
    as anything but its own characters; [] when every payload in it shows literally."""
    markers = set(_MARKER.findall(source))
    if not markers:
        return []
    problems = []
    rendered = _markdown().render(source)
    visible = rendered.replace(WORD_JOINER, "")
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    for marker in sorted(markers & set(MARKERS)):
        if html.escape(payload(marker), quote=True) not in visible:
            problems.append(f"{marker}: not shown as written")
    for name, pattern in STREAMLIT_SYNTAX.items():
        for found in pattern.finditer(text):
            problems.append(f"{name}: {found.group(0)!r}")
    if _MATH.search(_ESCAPES.sub("_", source)) or "$$" in _ESCAPES.sub("_", source):
        problems.append("LaTeX")
    return problems


def chart_problems(spec: str) -> list[str]:
    """Strings of a Plotly figure (its JSON) that carry a payload with live HTML or TeX."""
    problems = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and _MARKER.search(value) and re.search(r"<|>|\$", value):
            problems.append(value[:120])

    walk(json.loads(spec))
    return problems
