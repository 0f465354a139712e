"""An empty dashboard: a missing or empty database shows the welcome on every page that shows
data (both languages, every role), never an error, and never creates the file; its button
loads the sample and the checks; the sample notice shows while the data is the sample only."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from dashboard.roles import roles
from pipelines.access import Actor
from pipelines.store import Store
from sample_data.loader import is_sample
from tests.conftest import write_csv
from tests.dashboard.conftest import login, prepare_role

APP = str(Path(__file__).parents[2] / "dashboard" / "app.py")
WITHOUT_DATA = ("upload", "settings", "audit")


def open_app(
    db: Path, monkeypatch, role: str = "management", lang: str = "zh", page: str | None = None
) -> AppTest:
    monkeypatch.setenv("HANDOVER_DB", str(db))
    prepare_role(db, monkeypatch, role)
    monkeypatch.setenv("HANDOVER_CONFIG", str(db.with_name("none.toml")))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = lang
    at.run()
    login(at, role)
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def assert_welcome(at: AppTest, lang: str, role: str) -> None:
    assert at.title[0].value == t("welcome.title", lang)
    text = " ".join(m.value for m in at.markdown)
    for step in ("clients", "handovers", "feedback"):
        assert t(f"welcome.step_{step}", lang) in text
    offers = [b for b in at.button if b.key == "welcome_load_sample"]
    assert len(offers) == (1 if roles()[role].may("upload") else 0)


@pytest.mark.parametrize(
    ("lang", "page"),
    [(lang, page) for page in roles()["administrator"].pages for lang in ("zh", "en")],
)
def test_every_page_on_a_missing_database_welcomes_and_creates_nothing(
    tmp_path, monkeypatch, lang, page
):
    """No database, so no account: the local administrator of `serve` on 127.0.0.1."""
    db = tmp_path / "typo.duckdb"
    at = open_app(db, monkeypatch, None, lang, page)
    if page in WITHOUT_DATA:
        assert at.title[0].value == t(f"{page}.title", lang)
    else:
        assert_welcome(at, lang, "administrator")
    assert not db.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("role", list(roles()))
def test_every_role_on_a_database_without_data_is_welcomed(tmp_path, monkeypatch, role):
    """Accounts but no data yet: each role's first data page welcomes, offering the sample
    only to a role that may upload."""
    page = next(p for p in roles()[role].pages if p not in WITHOUT_DATA)
    at = open_app(tmp_path / "accounts_only.duckdb", monkeypatch, role, "en", page)
    assert_welcome(at, "en", role)


def test_a_database_with_no_data_welcomes_too(tmp_path, monkeypatch):
    db = tmp_path / "empty.duckdb"
    Store(db).ensure_schema()  # e.g. `handover init`
    at = open_app(db, monkeypatch, lang="en")
    assert at.title[0].value == "Welcome to Handover insight"
    assert not any(m.value == t("app.sample", "en") for m in at.sidebar.info)


def test_the_button_loads_the_sample_which_the_sidebar_names_until_real_data_comes(
    tmp_path, monkeypatch
):
    db = tmp_path / "new.duckdb"
    at = open_app(db, monkeypatch)
    at.button(key="welcome_load_sample").click().run(timeout=300)
    assert not at.exception and not at.error
    assert db.exists() and is_sample(Store(db))
    assert at.title[0].value == "总览"  # the page it was on, now with data
    assert Store(db).query("select count(*) from check_runs").scalar() == 1
    assert [i.value for i in at.sidebar.info] == [t("app.sample", "zh")]
    assert [toast.value for toast in at.toast] == [t("welcome.loaded", "zh")]

    from pipelines.ingest import ingest_file

    real = write_csv(
        tmp_path / "clients.csv",
        [["client_id", "company_name", "contact_name"], ["KH-REAL-1", "真实公司", "张三"]],
    )
    ingest_file(Store(db), "clients", real, actor=Actor("staff1", "operations"))
    again = open_app(db, monkeypatch)
    assert again.title[0].value == "总览"
    assert t("app.sample", "zh") not in [i.value for i in again.sidebar.info]


def test_a_role_that_may_not_upload_is_told_whom_to_ask(tmp_path, monkeypatch):
    at = open_app(tmp_path / "none.duckdb", monkeypatch, role="quality", lang="en")
    assert t("welcome.ask_someone", "en") in [i.value for i in at.info]
    assert not [b for b in at.button if b.key == "welcome_load_sample"]
