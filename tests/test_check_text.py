"""Check details in the user's language (dashboard/check_text.py): every shape of detail the
checks' SQL writes renders in Chinese and English; a detail no shape fits shows as written and
is logged; a check's SQL writing a new sentence fails here."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from dashboard.check_text import (
    DETAIL_SHAPES,
    NO_VALUE,
    check_name,
    column_label,
    detail_code,
    render_detail,
)
from data_checks.registry import CHECKS, SQL_DIR
from data_checks.runner import run_checks
from pipelines.feedback.ingest import ingest_feedback
from pipelines.ingest import ingest_file
from pipelines.store import Store
from tests.conftest import write_csv
from tests.test_checks import (
    AS_OF,
    CLIENT_HEADER,
    CLIENTS,
    EVENT_HEADER,
    EVENTS,
    FEEDBACK,
    HANDOVER_HEADER,
    HANDOVERS,
)

ROOT = Path(__file__).resolve().parents[1]

# Beyond tests/test_checks.py's records, the shapes they do not make: a client without an
# owner (whose latest handover names a receiver) that starts service in 2099, an event of
# 1999, a response naming no client and one from the future.
MORE_CLIENTS = [
    [
        "KH6",
        "上海己有限公司",
        "",
        "孙八",
        "13912345670",
        "",
        "active",
        "2027-12-31",
        "",
        "",
        "2099-01-01",
    ]
]
MORE_HANDOVERS = [
    [
        "JJ6",
        "KH6",
        "李四",
        "周九",
        "2026-03-01",
        "2026-03-10",
        "2026-03-01 09:00",
        "2026-03-09 17:00",
        "2026-03-09 17:30",
    ]
]
MORE_EVENTS = [["JJ1", "1999-03-05 10:00:00", "training_done", ""]]
MORE_FEEDBACK = [
    ["R5", "", "", "2026-03-22 10:00", "4", "8"],
    ["R6", "KH1", "", "2099-03-22 10:00", "4", "8"],
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("check_text")
    store = Store(folder / "t.duckdb")
    ingest_file(
        store,
        "clients",
        write_csv(folder / "clients.csv", [CLIENT_HEADER, *CLIENTS, *MORE_CLIENTS]),
    )
    ingest_file(
        store,
        "handovers",
        write_csv(folder / "handovers.csv", [HANDOVER_HEADER, *HANDOVERS, *MORE_HANDOVERS]),
    )
    ingest_file(
        store, "events", write_csv(folder / "events.csv", [EVENT_HEADER, *EVENTS, *MORE_EVENTS])
    )
    ingest_feedback(store, write_csv(folder / "feedback.csv", [*FEEDBACK, *MORE_FEEDBACK]))
    run = run_checks(store, AS_OF)
    return [f for o in run.outcomes for f in o.failures]


def test_every_sql_check_has_its_shapes_and_no_other_check_has_any():
    assert {c.id for c in CHECKS if c.is_sql} == set(DETAIL_SHAPES)


def test_every_detail_the_checks_write_renders_in_both_languages(outcomes):
    with_detail = [f for f in outcomes if f.detail is not None]
    assert with_detail
    for failure in with_detail:
        assert detail_code(failure.check_id, failure.detail) is not None, (
            f"{failure.check_id} wrote a detail dashboard/check_text.py cannot word: "
            f"{failure.detail!r}"
        )
        zh = render_detail(failure.check_id, failure.detail, "zh")
        en = render_detail(failure.check_id, failure.detail, "en")
        assert not re.search(r"[A-Za-z]{2,}", zh), (failure.check_id, zh)
        assert re.search(r"[\u4e00-\u9fff]", zh), zh
        assert en and en != zh and re.search(r"[A-Za-z]{3,}", en), en


def test_the_data_makes_every_shape_of_every_check(outcomes):
    made = {
        (f.check_id, detail_code(f.check_id, f.detail)[0]) for f in outcomes if f.detail is not None
    }
    every = {
        (check_id, f"checks.details.{shape.key}")
        for check_id, shapes in DETAIL_SHAPES.items()
        for shape in shapes
    }
    assert every - made == set()


def test_checks_without_sql_write_no_detail(outcomes):
    sql_checks = {c.id for c in CHECKS if c.is_sql}
    assert all(f.detail is None for f in outcomes if f.check_id not in sql_checks)


def _english_literals(sql: str) -> list[str]:
    """The SQL's quoted texts that are English words (a detail or part of one)."""
    found = re.findall(r"'((?:[^']|'')*)'", sql)
    return [
        s.strip() for s in found if " " in s.strip() and "%" not in s and re.search(r"[a-z]{3,}", s)
    ]


def test_every_sentence_in_the_checks_sql_is_a_known_shape():
    """A new or reworded detail in a check's SQL fails here even before any data makes it."""
    view = (ROOT / "pipelines/sql/views/feedback_responses.sql").read_text(encoding="utf-8")
    unmatched = view[: view.index("end as unmatched_reason")]
    unmatched = unmatched[unmatched.rindex("case") :]
    for check_id, shapes in DETAIL_SHAPES.items():
        path = SQL_DIR / f"{check_id}.sql"
        sql = "\n".join(
            line.split("--")[0] for line in path.read_text(encoding="utf-8").splitlines()
        )
        if check_id == "feedback.client.matched":
            sql += unmatched
        for literal in _english_literals(sql):
            assert any(literal in part for s in shapes for part in s.fixed_parts) or any(
                s.match(literal) is not None for s in shapes
            ), (check_id, literal)


def test_an_unknown_detail_shows_as_written_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="dashboard.check_text"):
        shown = render_detail("clients.uscc.valid", "a sentence nobody wrote yet 42", "zh")
    assert shown == "a sentence nobody wrote yet 42"
    assert "a sentence nobody wrote yet 42" in caplog.text
    assert render_detail("no.such.check", "x", "en") == "x"


def test_no_detail_is_a_dash_and_values_stay_as_written():
    assert render_detail("clients.uscc.present", None, "zh") == NO_VALUE
    assert render_detail("clients.uscc.present", float("nan"), "en") == NO_VALUE
    name = "*王_五* <b>"
    detail = f"the client master names {name} as the responsible accountant"
    assert name in render_detail("handovers.owner.consistent", detail, "zh")
    marked = render_detail("handovers.owner.consistent", detail, "zh", markdown=True)
    assert name not in marked and "\\*王\\_五\\*" in marked
    assert (
        render_detail(
            "handovers.owner.consistent",
            "the client master names (nobody) as the responsible accountant",
            "zh",
        )
        == "客户资料没有填写负责会计"
    )


def test_check_names_and_columns_in_each_language():
    assert check_name("clients.contact_phone.valid", "zh") == "联系电话不是有效的大陆手机号"
    assert check_name("clients.contact_phone.valid", "en") == (
        "Contact phone set but not a mainland mobile number"
    )
    assert check_name("gone.check", "zh") == "gone.check"
    assert column_label("clients.contact_phone.valid", "contact_phone", "zh") == "联系电话"
    assert column_label("feedback.scores.in_range", "overall_satisfaction", "zh") == "总体满意度"
    assert column_label("handovers.dates.ordered", "planned_end", "en") == "Planned end"
    assert column_label("clients.contact_phone.valid", "contact_phone", "en") == "contact phone"
    for check in CHECKS:
        assert not re.search(r"[A-Za-z]{2,}", column_label(check.id, check.column, "zh"))
        assert check_name(check.id, "zh") == check.zh
        assert "_" not in check_name(check.id, "en"), check.id  # no raw column names
