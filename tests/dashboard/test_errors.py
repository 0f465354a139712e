"""Errors on pages: a sentence, never a traceback, never where the server keeps its files.
A HandoverError is worded from the catalogue (errors.<code>) with its parameters as plain
text, else by its English message; anything unforeseen is one localized sentence, and its
traceback goes to the server's log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import i18n
from dashboard.components import error_sentence
from dashboard.i18n import t
from pipelines.errors import HandoverError
from tests.dashboard.conftest import login, prepare_role

APP = str(Path(__file__).parents[2] / "dashboard" / "app.py")


def open_app(db: Path, monkeypatch, lang: str, page: str | None = None) -> AppTest:
    monkeypatch.setenv("HANDOVER_DB", str(db))
    prepare_role(db, monkeypatch, None)
    monkeypatch.setenv("HANDOVER_CONFIG", str(db.with_name("none.toml")))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    login(at, None)
    if page:
        at.switch_page(f"views/{page}.py").run()
    return at


def everything_shown(at: AppTest) -> str:
    texts = []
    for node in at._tree:
        for name in ("value", "label", "body", "help"):
            value = getattr(getattr(node, "proto", None), name, None)
            if isinstance(value, str):
                texts.append(value)
    return "\n".join(texts)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ["overview", "handovers", "upload", "settings"])
def test_a_damaged_database_file_is_a_sentence_without_traceback_or_path(
    tmp_path, monkeypatch, lang, page
):
    folder = tmp_path / "srv-secret-folder"
    folder.mkdir()
    db = folder / "handover.duckdb"
    db.write_bytes(b"this is not a database \x00\xff" * 400)
    at = open_app(db, monkeypatch, lang, page)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    sentence = at.error[0].value
    assert sentence.strip()
    shown = everything_shown(at)
    assert "Traceback" not in shown and str(folder) not in shown
    assert "srv-secret-folder" not in shown


def test_an_error_is_worded_from_the_catalogue_with_its_parameters_as_text(monkeypatch):
    texts = {
        **i18n.catalogue(),
        "errors.test_broken": {
            "zh": "文件 {file} 第 {row} 行有误",
            "en": "File {file}, row {row}, is wrong",
        },
    }
    monkeypatch.setattr(i18n, "catalogue", lambda: texts)
    error = HandoverError(
        "English: /srv/data/x.csv row 3",
        code="test_broken",
        params={"file": Path("/srv/data/**b**.csv"), "row": 3},
    )
    assert error_sentence(error) == r"文件 \*\*b\*\*.csv 第 3 行有误"
    unknown = HandoverError(
        "Bad [link](https://example.com) in /srv/data/x.csv", code="no_such_code"
    )
    assert error_sentence(unknown) == ("Bad \\[link\\](https:\u2060//example.com) in x.csv")
    missing_param = HandoverError("Plain message", code="test_broken", params={"file": "f"})
    assert error_sentence(missing_param) == "Plain message"


def test_an_unforeseen_failure_is_one_sentence_and_its_traceback_goes_to_the_log(
    tmp_path, monkeypatch
):
    from pipelines.store import Store
    from sample_data.loader import load_sample

    db = tmp_path / "d.duckdb"
    load_sample(Store(db), "small")

    def broken(*args, **kwargs):
        raise RuntimeError(f"secret detail {tmp_path}")

    monkeypatch.setattr("metrics.figures.compute_figures", broken)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("handover.dashboard").addHandler(handler)
    try:
        for lang in ("zh", "en"):
            at = open_app(db, monkeypatch, lang, "overview")
            assert not at.exception
            assert [e.value for e in at.error] == [t("app.unexpected", lang)]
            assert "secret detail" not in everything_shown(at)
    finally:
        logging.getLogger("handover.dashboard").removeHandler(handler)
    errors = [r for r in records if r.levelno >= logging.ERROR]  # not the pages' timings
    assert errors and errors[0].exc_info and "secret detail" in str(errors[0].exc_info[1])
