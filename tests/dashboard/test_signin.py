"""The sign-in page under AppTest: wrong passwords, unknown and disabled accounts, the lockout,
idle expiry, sign-out, the local administrator, and session values that grant nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import signin
from dashboard.i18n import t
from pipelines import accounts, audit
from pipelines.store import Store
from tests.dashboard.conftest import (
    APP,
    PASSWORD,
    account_name,
    login,
    prepare_role,
    sign_in,
)
from tests.dashboard.payloads import markdown_problems


def fresh(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    return at.run()


def signed_in_caption(at: AppTest) -> str | None:
    found = [c.value for c in at.sidebar.caption if c.value.startswith(("已登录", "Signed in"))]
    return found[0] if found else None


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sign_in_page_comes_first_in_both_languages(dashboard_env, lang):
    at = fresh(lang)
    assert not at.exception
    assert at.subheader[0].value == t("signin.title", lang)
    assert [i.label for i in at.text_input] == [t("signin.name", lang), t("signin.password", lang)]
    assert signed_in_caption(at) is None
    assert not at.dataframe and not at.metric  # no data before signing in


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wrong_password_and_unknown_user_get_the_same_sentence(dashboard_env, lang):
    at = sign_in(fresh(lang), account_name("quality"), "not the password")
    wrong = t("errors.signin_wrong_password", lang)
    assert errors(at) == [wrong] and signed_in_caption(at) is None
    at = sign_in(fresh(lang), "nobody_here", "not the password")
    assert errors(at) == [t("errors.signin_unknown_user", lang)] == [wrong]


def test_five_failures_lock_the_account_even_against_the_right_password(dashboard_env, sample_db):
    store = Store(sample_db)
    accounts.add_user(store, "lockme", PASSWORD, "quality")
    for _ in range(4):
        at = sign_in(fresh(), "lockme", "not the password")
        assert errors(at) == [t("errors.signin_wrong_password", "zh")]
    at = sign_in(fresh(), "lockme", "not the password")
    assert "lockme" in errors(at)[0] and "锁定" in errors(at)[0]
    at = sign_in(fresh(), "lockme", PASSWORD)
    assert "锁定" in errors(at)[0] and signed_in_caption(at) is None
    trail = audit.entries(store, user="lockme")
    assert list(trail["action"]).count("lockout") == 1
    assert list(trail["action"]).count("signin_failed") == 6


def test_a_disabled_account_cannot_sign_in(dashboard_env, sample_db):
    store = Store(sample_db)
    accounts.add_user(store, "gone_soon", PASSWORD, "quality")
    accounts.disable_user(store, "gone_soon")
    at = sign_in(fresh("en"), "gone_soon", PASSWORD)
    assert errors(at) == [t("errors.signin_disabled", "en", user="gone_soon")]


def test_signing_in_shows_the_account_and_signing_out_ends_it(dashboard_env, sample_db):
    at = sign_in(fresh(), account_name("quality"))
    assert signed_in_caption(at) == t(
        "signin.signed_in_as", "zh", user="quality_tester", role=t("roles.quality", "zh")
    )
    at.button(key="signin_sign_out").click().run()
    assert signed_in_caption(at) is None
    assert at.info[0].value == t("signin.signed_out", "zh")
    last = audit.entries(Store(sample_db), user="quality_tester").iloc[-1]
    assert last["action"] == "sign_out"


def test_an_idle_session_expires_at_its_next_click(dashboard_env, sample_db, monkeypatch):
    monkeypatch.setenv(signin.IDLE_ENV, "30")
    at = sign_in(fresh(), account_name("quality"))
    assert signed_in_caption(at)
    at.session_state[signin.LAST_ACTIVE] = datetime.now() - timedelta(minutes=29)
    at.run()
    assert signed_in_caption(at)  # still within the 30 minutes
    at.session_state[signin.LAST_ACTIVE] = datetime.now() - timedelta(minutes=31)
    at.run()
    assert signed_in_caption(at) is None
    assert at.info[0].value == t("signin.expired", "zh")
    last = audit.entries(Store(sample_db), user="quality_tester").iloc[-1]
    assert (last["action"], last["detail"]["idle_minutes"]) == ("session_expired", 30)


def test_a_disabled_or_demoted_account_changes_at_its_next_click(dashboard_env, sample_db):
    store = Store(sample_db)
    accounts.add_user(store, "demote_me", PASSWORD, "management")
    at = sign_in(fresh(), "demote_me")
    at.switch_page("views/settings.py").run()
    assert at.title[0].value == t("settings.title", "zh")
    accounts.set_role(store, "demote_me", "operations")
    at.switch_page("views/handovers.py").run()
    assert signed_in_caption(at) == t(
        "signin.signed_in_as", "zh", user="demote_me", role=t("roles.operations", "zh")
    )
    with pytest.raises(
        ValueError, match=r"navigation page for '.*views/settings\.py'"
    ):  # the page is no longer among the account's
        at.switch_page("views/settings.py").run()
    accounts.disable_user(store, "demote_me")
    at = at.switch_page("views/handovers.py").run()
    assert signed_in_caption(at) is None
    assert at.info[0].value == t("signin.account_gone", "zh")


def test_session_values_that_name_an_account_grant_nothing(dashboard_env):
    """What a session holds is re-read from the users table on every run: a name with no
    account, or a role written beside it, signs nobody in."""
    at = fresh()
    at.session_state[signin.ACCOUNT] = "ghost"
    at.session_state[signin.METHOD] = "password"
    at.session_state["role"] = "administrator"
    at.run()
    assert signed_in_caption(at) is None
    assert at.info[0].value == t("signin.account_gone", "zh")
    at.session_state[signin.METHOD] = "local"  # the local administrator needs the server's say
    at.run()
    assert signed_in_caption(at) is None and not at.dataframe


def test_without_accounts_a_loopback_server_has_a_local_administrator(tmp_path, monkeypatch):
    db = tmp_path / "empty.duckdb"
    monkeypatch.setenv("HANDOVER_DB", str(db))
    monkeypatch.setenv("HANDOVER_CONFIG", str(tmp_path / "none.toml"))
    prepare_role(db, monkeypatch, None)
    at = login(fresh(), None)
    assert any(w.value.startswith("本机管理员模式") for w in at.sidebar.warning)
    assert not db.exists()  # nothing was created to decide it
    monkeypatch.delenv(signin.LOCAL_ADMIN_ENV)  # not started by `serve` on a loopback address
    at = fresh()
    assert at.warning[0].value == t("signin.no_accounts", "zh")
    assert not at.text_input


def test_a_user_name_holding_markup_shows_as_written(dashboard_env, sample_db):
    name = "<img src=x onerror=alert(1)>**粗体**[链接](https://evil.example)"
    accounts.add_user(Store(sample_db), name, PASSWORD, "quality")
    at = sign_in(fresh(), name)
    caption = signed_in_caption(at)
    assert caption is not None and not markdown_problems(caption)
