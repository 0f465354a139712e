"""AppTest: the data quality page's path from a failed check to the record, in both languages
and for roles with and without unmasked access: each failing record with its client, company,
owner, team and handovers, check names, columns and details in the language, the offending
value masked for the role, the record's fix history, the action that opens the handover's
record, and a handover record's failing checks in the language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dashboard.check_text import check_name
from dashboard.i18n import t
from data_checks.results import failures, save_run
from data_checks.runner import run_checks
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from tests.dashboard.conftest import open_page

FAILURES_KEY = "dq_failures"
RAW_NAMES = re.compile(r"^[a-z]+(_[a-z]+)+$")  # contact_phone, assigned_staff…


@pytest.fixture(scope="module")
def checked_db(sample_db: Path) -> Path:
    """The module's sample with one check run."""
    save_run(Store(sample_db), run_checks(Store(sample_db), SAMPLE_AS_OF))
    return sample_db


def _frame(at, key: str) -> pd.DataFrame:
    """A selectable table by its key."""
    found = [df for df in at.dataframe if df.proto.id and key in df.proto.id]
    assert found, f"no table {key}"
    return found[0].value


def _tables(at, *columns: str, lang: str = "zh") -> list[pd.DataFrame]:
    """The tables (in page order) having these columns (data_quality.columns.* keys)."""
    wanted = {t(f"data_quality.columns.{c}", lang) for c in columns}
    return [df.value for df in at.dataframe if wanted <= set(df.value.columns)]


HISTORY = ("state", "runs", "resolved_by")


def _texts(at) -> list[str]:
    """Every text of the page outside tables: titles, captions, markdown, alerts, labels."""
    texts = [
        e.value
        for kind in (
            "title",
            "subheader",
            "caption",
            "markdown",
            "success",
            "info",
            "warning",
            "error",
        )
        for e in at.get(kind)
    ]
    return texts + [b.label for b in at.button] + [s.label for s in at.selectbox]


def _cells(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame.to_numpy().ravel() if isinstance(v, str)]


def _select(at, row: int):
    at.session_state[FAILURES_KEY] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def _row_of(frame: pd.DataFrame, check_id: str, lang: str) -> int:
    column = t("data_quality.columns.check", lang)
    rows = frame.index[frame[column] == check_name(check_id, lang)]
    assert len(rows), check_id
    return int(rows[0])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_failing_records_say_where_they_belong_in_the_language(dashboard_env, checked_db, lang):
    at = open_page("data_quality", lang=lang, role="quality")
    assert not at.exception, at.exception
    frame = _frame(at, FAILURES_KEY)
    label = {
        c: t(f"data_quality.columns.{c}", lang)
        for c in (
            "check",
            "company_name",
            "client_id",
            "owner",
            "team",
            "handovers",
            "column",
            "offending_value",
            "detail",
            "record_key",
        )
    }
    assert set(label.values()) <= set(frame.columns)
    assert len(frame) == len(failures(Store(checked_db)))
    # no "None", no raw column names, no check ids in the table
    assert "None" not in _cells(frame)
    assert not [c for c in frame[label["column"]] if RAW_NAMES.match(str(c))]
    assert not [c for c in frame[label["check"]] if re.match(r"^\w+\.\w+\.\w+$", str(c))]
    details = [d for d in frame[label["detail"]] if isinstance(d, str)]
    assert details
    if lang == "zh":
        assert not [d for d in details if re.search(r"[A-Za-z]{2,}", d)]
        assert "联系电话" in set(frame[label["column"]])
    else:
        assert not [
            d
            for d in details
            if re.search(r"[\u4e00-\u9fff]", d) and "responsible accountant" not in d
        ]  # a name is data
        assert "contact phone" in set(frame[label["column"]])
    # a handover's failure names its client, company, owner, team and the handover
    row = frame.iloc[_row_of(frame, "handovers.owner.consistent", lang)]
    assert row[label["company_name"]] and row[label["owner"]] and row[label["team"]]
    assert row[label["handovers"]] == row[label["record_key"]]
    # an event's failure names its handover and that handover's client
    row = frame.iloc[_row_of(frame, "events.item.known", lang)]
    assert row[label["record_key"]].startswith(row[label["handovers"]] + "|")
    assert row[label["company_name"]]
    # the chart names checks, not ids
    chart = next(c for c in at.get("plotly_chart") if "dq_chart" in (c.proto.id or ""))
    assert "clients.uscc.valid" not in chart.proto.spec
    assert not [text for text in _texts(at) if "None" in text]


@pytest.mark.parametrize("role, clear", [("management", False), ("quality", True)])
def test_the_offending_phone_is_masked_for_a_role_without_access(
    dashboard_env, checked_db, role, clear
):
    raw = failures(Store(checked_db), "clients.contact_phone.valid")
    phones = [v for v in raw["offending_value"] if isinstance(v, str) and len(v) >= 7]
    assert phones
    at = open_page("data_quality", role=role)
    assert not at.exception, at.exception
    shown = set(_frame(at, FAILURES_KEY)[t("data_quality.columns.offending_value", "zh")])
    for phone in phones:
        assert (phone in shown) == clear
        if not clear:
            assert any("****" in str(v) and str(v).endswith(phone[-4:]) for v in shown)


def test_a_selected_record_shows_its_history_and_opens_its_handover(dashboard_env, checked_db):
    at = open_page("data_quality", role="quality")
    frame = _frame(at, FAILURES_KEY)
    row = _row_of(frame, "handovers.owner.consistent", "zh")
    handover = frame.iloc[row][t("data_quality.columns.record_key", "zh")]
    at = _select(at, row)
    assert not at.exception, at.exception
    (history,) = _tables(at, *HISTORY)
    assert list(history[t("data_quality.columns.state", "zh")]) == [
        t("data_quality.state.open", "zh")
    ]
    assert list(history[t("data_quality.columns.record_key", "zh")]) == [handover]
    button = at.button(key="dq_open_handover")
    assert handover in button.label
    at = button.click().run()
    assert not at.exception, at.exception
    assert at.query_params.get("handover") in (handover, [handover])
    assert at.title[0].value == t("handovers.title", "zh")
    # the record's failing checks: names, columns and details in Chinese
    checks = _tables(at, "check", "detail")[0]  # then the records' fix history
    assert list(checks.columns) == [
        t(f"data_quality.columns.{c}", "zh")
        for c in ("check", "record_key", "column", "offending_value", "detail")
    ]
    assert check_name("handovers.owner.consistent", "zh") in set(
        checks[t("data_quality.columns.check", "zh")]
    )
    assert not [
        d
        for d in checks[t("data_quality.columns.detail", "zh")]
        if isinstance(d, str) and re.search(r"[A-Za-z]{2,}", d)
    ]
    assert "None" not in _cells(checks)


def test_a_client_with_several_handovers_offers_a_choice(dashboard_env, checked_db):
    at = open_page("data_quality", role="quality")
    frame = _frame(at, FAILURES_KEY)
    column = t("data_quality.columns.handovers", "zh")
    several = [i for i, v in enumerate(frame[column]) if isinstance(v, str) and "、" in v]
    assert several
    at = _select(at, several[0])
    pick = at.selectbox(key="dq_open_handover_pick")
    assert pick.options == frame.iloc[several[0]][column].split("、")


def test_the_record_page_shows_failing_checks_and_history_in_english(dashboard_env, checked_db):
    raw = failures(Store(checked_db), "handovers.owner.consistent")
    handover = raw["record_key"].iloc[0]
    at = open_page("handovers", lang="en", role="management")
    at.query_params["handover"] = handover
    at = at.run()
    assert not at.exception, at.exception
    checks = _tables(at, "check", "detail", lang="en")[0]
    assert "check_id" not in checks.columns and "record_key" not in checks.columns
    details = [d for d in checks[t("data_quality.columns.detail", "en")] if isinstance(d, str)]
    assert any(d.startswith("The client master names") for d in details)
    assert len(_tables(at, *HISTORY, lang="en")) == 1


def test_a_corrected_upload_shows_the_fix_in_the_records_history(
    dashboard_env, checked_db, tmp_path, monkeypatch
):
    """A corrected client file fixes a phone: the record's history says which upload fixed
    it, and the page's fix history lists it."""
    from pipelines.ingest import ingest_file
    from tests.conftest import write_csv

    db = tmp_path / "fixed.duckdb"
    shutil.copy(checked_db, db)
    monkeypatch.setenv("HANDOVER_DB", str(db))
    store = Store(db)
    client = failures(store, "clients.contact_phone.valid")["record_key"].iloc[0]
    row = store.query(
        "select client_id, company_name, contact_name from stg_clients where client_id = ?",
        [client],
    ).rows[0]
    path = write_csv(
        tmp_path / "更正客户.csv",
        [["client_id", "company_name", "contact_name", "contact_phone"], [*row, "13912345678"]],
    )
    ingest_file(store, "clients", path)
    save_run(store, run_checks(store, SAMPLE_AS_OF))
    at = open_page("data_quality", role="quality")
    (fixes,) = _tables(at, *HISTORY)
    state, by = (t("data_quality.columns.state", "zh"), t("data_quality.columns.resolved_by", "zh"))
    fixed = fixes[fixes[t("data_quality.columns.record_key", "zh")] == client]
    assert list(fixed[state]) == [t("data_quality.state.fixed", "zh")]
    assert fixed[by].iloc[0].endswith("更正客户.csv")
    at.text_input(key="dq_record_lookup").input(client).run()
    history, _fixes = _tables(at, *HISTORY)
    assert t("data_quality.state.fixed", "zh") in set(history[state])


def test_a_scoped_account_gets_only_its_handovers_to_open(checked_db):
    """Where a failing record belongs, for a team lead: only failures of the team's records,
    and only the team's handovers to open (a client's other handovers are not listed)."""
    from data_checks.results import failures_in_context, record_history
    from metrics.selection import Filters

    store = Store(checked_db)
    team = "记账一部"
    everything = failures_in_context(store)
    scoped = failures_in_context(store, scope=Filters(scope_team=team))
    assert 0 < len(scoped) < len(everything)
    teams = dict(store.query("select handover_id, team from stg_handovers").rows)
    opened = {h for ids in scoped["handover_ids"] for h in ids}
    assert opened and {teams[h] for h in opened} == {team}
    assert {h for ids in everything["handover_ids"] for h in ids} - opened
    # the fix history of a record outside the scope is not told
    outside = everything[~everything["record_key"].isin(scoped["record_key"])].iloc[0]
    pair = [(outside["suite"], outside["record_key"])]
    assert len(record_history(store, pair)) >= 1
    assert record_history(store, pair, scope=Filters(scope_team=team)).empty


@pytest.mark.parametrize("scope", [None, "记账一部"])
def test_the_context_of_a_page_of_failures_is_that_of_all_of_them(checked_db, scope):
    """The page reads where the records belong for the rows it shows only
    (data_checks.results.in_context on a page of ``failures``): page by page, the same rows
    and values as the context of every failing record at once."""
    from data_checks.results import failures_in_context, in_context
    from metrics.selection import Filters

    store = Store(checked_db)
    limit = Filters(scope_team=scope) if scope else None
    everything = failures_in_context(store, scope=limit)
    found = failures(store, scope=limit)
    size = 2
    assert len(found) > 2 * size
    pages = [
        in_context(store, found.iloc[first : first + size], scope=limit)
        for first in range(0, len(found), size)
    ]
    assert all(len(p) <= size for p in pages)
    together = pd.concat(pages, ignore_index=True)

    def plain(frame: pd.DataFrame) -> pd.DataFrame:  # missing is missing, None or NaN
        return frame.astype(object).where(frame.notna(), None).reset_index(drop=True)

    pd.testing.assert_frame_equal(plain(together), plain(everything))
    # and the table shows the same cells, page by page
    from dashboard.check_views import failures_frame
    from dashboard.roles import roles

    management = roles()["management"]
    for number, page in enumerate(pages):
        whole = everything.iloc[number * size : (number + 1) * size]
        pd.testing.assert_frame_equal(
            plain(failures_frame(page, "zh", management)),
            plain(failures_frame(whole, "zh", management)),
        )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_hostile_record_shows_as_plain_text_when_selected(tmp_path_factory, monkeypatch, lang):
    """The selected record's title, place, open action and history quote hostile values
    (tests/dashboard/payloads.py) as text; the chart of checks too."""
    from tests.dashboard.payloads import P, build
    from tests.dashboard.test_plain_text import assert_plain
    from tests.dashboard.test_plain_text import open_page as open_payload_page

    db = build(tmp_path_factory.mktemp("dq_payload"))
    at = open_payload_page(db, monkeypatch, "quality", lang, "data_quality")
    assert_plain(at)
    frame = _frame(at, FAILURES_KEY)
    handovers = t("data_quality.columns.handovers", lang)
    hostile = [
        i for i, v in enumerate(frame[handovers]) if isinstance(v, str) and P["handover_id"] in v
    ]
    assert hostile
    for row in hostile[:2]:
        at = _select(at, row)
        shown = assert_plain(at)
        assert {"P09", "P20"} & set(shown)  # a handover id, in the open action's label
