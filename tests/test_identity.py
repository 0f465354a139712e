"""OpenID Connect identities (pipelines/identity.py): an ID token's claims name an enabled
account by subject, then by verified e-mail; refusals have codes; every attempt is audited;
accounts are never created. Also the settings file that `handover serve` passes to Streamlit
(HANDOVER_OIDC_SECRETS) and the OpenID Connect options of `handover users add`."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from pipelines import accounts, audit, identity
from pipelines.access import Actor
from pipelines.errors import AccountError, HandoverError, SignInError
from pipelines.store import Store

ISSUER = "https://sso.example-firm.cn/realms/firm"
T0 = datetime(2026, 11, 20, 9, 0)
PASSWORD = "correct horse battery staple"


def _add(store: Store, name: str, role: str = "quality", **kw) -> Actor:
    return accounts.add_user(store, name, None, role, **kw)


def _claims(store: Store, email=None, subject=None, **kw) -> Actor:
    return identity.actor_for_claims(
        store, email=email, subject=subject, issuer=ISSUER, now=T0, **kw
    )


# The sentence of each refusal of a sign-in through the identity provider
OIDC_REFUSALS = {
    "signin_disabled": r"The account \w+ is disabled: ask an administrator",
    "signin_oidc_unverified": r"The identity provider has not verified the e-mail address",
    "signin_oidc_unknown": r"No account of this dashboard belongs to",
    "signin_oidc_ambiguous": r"\d+ enabled accounts belong to .*, so it is not clear",
}


def _refused(store: Store, **claims) -> SignInError:
    """The refusal of ``claims``, once its sentence is checked to be its code's."""
    any_refusal = "|".join(f"(?:{sentence})" for sentence in OIDC_REFUSALS.values())
    with pytest.raises(SignInError, match=any_refusal) as caught:
        _claims(store, **claims)
    assert re.search(OIDC_REFUSALS[caught.value.code], str(caught.value)), caught.value
    return caught.value


def _signins(store: Store) -> list[tuple]:
    frame = audit.entries(store)
    frame = frame[frame["action"].isin(["signin", "signin_failed"])]
    return [
        (r.user_name, r.action, r.detail.get("reason"), r.detail.get("method"))
        for r in frame.itertuples()
    ]


def _user_count(store: Store) -> int:
    return store.query("select count(*) from users").rows[0][0]


# -- matching -------------------------------------------------------------------------------


def test_the_subject_names_the_account_whatever_the_e_mail(store: Store):
    _add(
        store,
        "wang",
        "team_lead",
        team="记账一部",
        email="wang@example-firm.cn",
        oidc_subject="f3c1-77",
    )
    _add(store, "li", email="li@example-firm.cn")
    # the token's e-mail is li's, but the subject is wang's: the subject wins
    actor = _claims(store, email="li@example-firm.cn", subject="f3c1-77")
    assert actor == Actor("wang", "team_lead", "记账一部", None)
    (entry,) = audit.entries(store).query("action == 'signin'").itertuples()
    assert (entry.user_name, entry.target) == ("wang", "wang")
    assert entry.detail == {
        "method": "oidc",
        "matched": "subject",
        "issuer": ISSUER,
        "subject": "f3c1-77",
        "email": "li@example-firm.cn",
    }
    assert entry.at == T0


def test_the_e_mail_matches_ignoring_case_and_spaces(store: Store):
    _add(store, "zhao", "staff", staff="赵六", email=" Zhao.Liu@Example-Firm.cn ")
    for verified in (True, None, "true"):
        assert _claims(
            store, email="zhao.liu@example-firm.CN", subject="sub-zhao", email_verified=verified
        ) == Actor("zhao", "staff", None, "赵六")
    details = [r.detail for r in audit.entries(store).query("action == 'signin'").itertuples()]
    assert [d["matched"] for d in details] == ["email"] * 3
    assert _user_count(store) == 1


def test_an_unverified_e_mail_is_refused(store: Store):
    _add(store, "zhao", email="zhao@example-firm.cn")
    for flag in (False, "false"):
        error = _refused(store, email="zhao@example-firm.cn", subject="s1", email_verified=flag)
        assert error.code == "signin_oidc_unverified"
        assert error.params == {"email": "zhao@example-firm.cn"}
    assert (
        _signins(store)
        == [("zhao@example-firm.cn", "signin_failed", "email_unverified", "oidc")] * 2
    )
    # a subject link does not depend on the e-mail claim
    _add(store, "qian", oidc_subject="s2")
    assert (
        _claims(store, email="zhao@example-firm.cn", subject="s2", email_verified=False).name
        == "qian"
    )


def test_an_unknown_identity_is_refused_and_no_account_is_created(store: Store):
    _add(store, "wang", email="wang@example-firm.cn", oidc_subject="w-1")
    error = _refused(store, email="stranger@example.com", subject="x-9")
    assert (error.code, error.params) == (
        "signin_oidc_unknown",
        {"identity": "stranger@example.com"},
    )
    error = _refused(store, email=None, subject="x-9")
    assert error.params == {"identity": "x-9"}
    assert _user_count(store) == 1
    failed = audit.entries(store).query("action == 'signin_failed'")
    assert list(failed["user_name"]) == ["stranger@example.com", "x-9"]
    assert failed.iloc[0]["detail"] == {
        "method": "oidc",
        "reason": "unknown_identity",
        "issuer": ISSUER,
        "subject": "x-9",
        "email": "stranger@example.com",
    }


def test_an_account_linked_to_a_subject_is_not_taken_by_its_e_mail(store: Store):
    # the address was reused (a new colleague got it): the old account stays with its subject
    _add(store, "wang", email="wang@example-firm.cn", oidc_subject="w-old")
    error = _refused(store, email="wang@example-firm.cn", subject="w-new")
    assert error.code == "signin_oidc_unknown"
    (entry,) = audit.entries(store).query("action == 'signin_failed'").itertuples()
    assert entry.detail["reason"] == "subject_mismatch"
    assert entry.detail["accounts"] == ["wang"]


def test_a_disabled_account_is_refused(store: Store):
    _add(store, "wang", oidc_subject="w-1", email="wang@example-firm.cn")
    _add(store, "li", email="li@example-firm.cn")
    accounts.disable_user(store, "wang")
    accounts.disable_user(store, "li")
    by_subject = _refused(store, email="wang@example-firm.cn", subject="w-1")
    by_email = _refused(store, email="LI@example-firm.cn", subject="l-1")
    assert (by_subject.code, by_subject.params) == ("signin_disabled", {"user": "wang"})
    assert (by_email.code, by_email.params) == ("signin_disabled", {"user": "li"})
    assert _signins(store) == [
        ("wang", "signin_failed", "disabled", "oidc"),
        ("li", "signin_failed", "disabled", "oidc"),
    ]


def test_two_enabled_accounts_of_one_address_are_ambiguous(store: Store):
    _add(store, "li", email="li@example-firm.cn")
    _add(store, "li2", "operations", email="Li@Example-Firm.cn")
    error = _refused(store, email="li@example-firm.cn", subject="l-1")
    assert (error.code, error.params) == (
        "signin_oidc_ambiguous",
        {"identity": "li@example-firm.cn", "count": 2},
    )
    accounts.disable_user(store, "li2")
    assert _claims(store, email="li@example-firm.cn", subject="l-1").name == "li"


def test_a_password_lockout_does_not_stop_the_identity_provider(store: Store):
    accounts.add_user(store, "wang", PASSWORD, "quality", email="wang@example-firm.cn")
    for attempt in range(1, accounts.MAX_FAILURES + 1):  # the last failure locks the account
        said = "Wrong user name or password" if attempt < accounts.MAX_FAILURES else "is locked"
        with pytest.raises(SignInError, match=said):
            accounts.authenticate(store, "wang", "wrong wrong", now=T0)
    assert _claims(store, email="wang@example-firm.cn", subject="w").name == "wang"


def test_every_attempt_is_audited_in_order(store: Store):
    _add(store, "wang", oidc_subject="w-1")
    _claims(store, subject="w-1")
    _refused(store, email="nobody@example.com", subject="n-1")
    _claims(store, subject="w-1")
    assert _signins(store) == [
        ("wang", "signin", None, "oidc"),
        ("nobody@example.com", "signin_failed", "unknown_identity", "oidc"),
        ("wang", "signin", None, "oidc"),
    ]


def test_the_account_state_follows_role_changes_and_disabling_without_audit(
    store: Store, tmp_path: Path
):
    assert identity.account_state(Store(tmp_path / "none.duckdb"), "wang") is None
    _add(store, "wang", oidc_subject="w-1")
    entries = len(audit.entries(store))
    assert identity.account_state(store, "WANG") == Actor("wang", "quality")
    accounts.set_role(store, "wang", "team_lead", team="记账二部")
    assert identity.account_state(store, "wang") == Actor("wang", "team_lead", "记账二部")
    accounts.disable_user(store, "wang")
    assert identity.account_state(store, "wang") is None
    assert identity.account_state(store, "nobody") is None
    assert len(audit.entries(store)) == entries + 2  # the role change and the disabling


# -- accounts for OpenID Connect ------------------------------------------------------------


def test_a_subject_belongs_to_one_account(store: Store):
    _add(store, "wang", oidc_subject="w-1")
    with pytest.raises(
        AccountError, match="The OpenID Connect subject 'w-1' already belongs to the user wang"
    ) as caught:
        _add(store, "wang2", oidc_subject=" w-1 ")
    assert caught.value.code == "user_subject_exists"
    assert caught.value.params == {"subject": "w-1", "user": "wang"}
    with pytest.raises(
        AccountError, match="An account without a password signs in through OpenID Connect only"
    ) as caught:
        accounts.add_user(store, "nobody", None, "quality")
    assert caught.value.code == "user_oidc_needs_identity"


def _run(runner: CliRunner, db: Path, *args: str, input: str | None = None):
    return runner.invoke(app, ["users", *args, "--db", str(db)], input=input)


def test_users_add_with_a_subject_and_without_a_password(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    added = _run(
        runner,
        db,
        "add",
        "wang",
        "--role",
        "quality",
        "--email",
        "wang@example-firm.cn",
        "--subject",
        "f3c1-77",
        "--oidc-only",
    )
    assert added.exit_code == 0, added.output
    assert "User wang added (role quality)." in added.stdout
    ((subject, password_hash),) = (
        Store(db).query("select oidc_subject, password_hash from users").rows
    )
    assert (subject, password_hash) == ("f3c1-77", None)
    # no password signs it in, the identity provider does
    with pytest.raises(SignInError, match="Wrong user name or password"):
        accounts.authenticate(Store(db), "wang", "")
    assert identity.actor_for_claims(Store(db), email=None, subject="f3c1-77").name == "wang"

    again = _run(
        runner, db, "add", "wang2", "--role", "quality", "--subject", "f3c1-77", "--oidc-only"
    )
    assert again.exit_code == 1 and "already belongs to the user wang" in again.output
    bare = _run(runner, db, "add", "li", "--role", "quality", "--oidc-only")
    assert bare.exit_code == 1 and "--email" in bare.output and "--subject" in bare.output
    # with a password as before (read from standard input), and a subject
    both = _run(
        runner, db, "add", "li", "--role", "quality", "--subject", "l-1", input=PASSWORD + "\n"
    )
    assert both.exit_code == 0, both.output
    assert accounts.authenticate(Store(db), "li", PASSWORD).name == "li"


# -- the settings file ----------------------------------------------------------------------

GOOD = """[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "0123456789abcdef0123456789abcdef"
client_id = "handover-insight"
client_secret = "s3cret"
server_metadata_url = "https://sso.example-firm.cn/realms/firm/.well-known/openid-configuration"
"""


def _settings(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "oidc.toml"
    path.write_text(text, encoding="utf-8")
    return {identity.SECRETS_ENV: str(path)}


# The sentence of each fault of the OpenID Connect settings file (each names the file)
SETTINGS_FAULTS = {
    "oidc_secrets_invalid": r"oidc\.toml is not a valid TOML file",
    "oidc_secrets_incomplete": r"The \[auth\] section of .*oidc\.toml lacks",
    "oidc_redirect_uri_invalid": r"redirect_uri in .*oidc\.toml is .*: it must be",
    "oidc_cookie_secret_short": r"cookie_secret in .*oidc\.toml is shorter than 32 characters",
}


def _settings_error(tmp_path: Path, text: str) -> HandoverError:
    """The fault found in a settings file, once its sentence is checked to be its code's."""
    any_fault = "|".join(f"(?:{sentence})" for sentence in SETTINGS_FAULTS.values())
    with pytest.raises(HandoverError, match=any_fault) as caught:
        identity.secrets_file(_settings(tmp_path, text))
    assert re.search(SETTINGS_FAULTS[caught.value.code], str(caught.value)), caught.value
    return caught.value


def test_the_settings_file_is_checked(tmp_path: Path):
    assert identity.secrets_file({}) is None
    assert identity.secrets_file({identity.SECRETS_ENV: "  "}) is None
    assert identity.secrets_file(_settings(tmp_path, GOOD)) == (tmp_path / "oidc.toml")

    with pytest.raises(
        HandoverError, match="HANDOVER_OIDC_SECRETS names .*nowhere.toml, which cannot be read"
    ) as caught:
        identity.secrets_file({identity.SECRETS_ENV: str(tmp_path / "nowhere.toml")})
    assert caught.value.code == "oidc_secrets_missing"
    assert caught.value.params["env"] == "HANDOVER_OIDC_SECRETS"

    assert _settings_error(tmp_path, "[auth\n").code == "oidc_secrets_invalid"
    lacking = _settings_error(
        tmp_path,
        GOOD.replace('client_secret = "s3cret"\n', "").replace(
            'client_id = "handover-insight"', 'client_id = ""'
        ),
    )
    assert (lacking.code, lacking.params["keys"]) == (
        "oidc_secrets_incomplete",
        "client_id, client_secret",
    )
    assert _settings_error(tmp_path, "title = 'no auth'\n").params["keys"] == ", ".join(
        identity.REQUIRED_KEYS
    )
    wrong_uri = _settings_error(tmp_path, GOOD.replace("/oauth2callback", "/callback"))
    assert (wrong_uri.code, wrong_uri.params["uri"]) == (
        "oidc_redirect_uri_invalid",
        "http://localhost:8501/callback",
    )
    for uri in ("http://localhost:8501/oauth2callback/", "localhost:8501/oauth2callback"):
        assert (
            _settings_error(
                tmp_path, GOOD.replace("http://localhost:8501/oauth2callback", uri)
            ).code
            == "oidc_redirect_uri_invalid"
        )
    short = _settings_error(tmp_path, GOOD.replace("0123456789abcdef0123456789abcdef", "abc"))
    assert (short.code, short.params["minimum"]) == ("oidc_cookie_secret_short", 32)


def test_streamlit_reads_the_settings_file_named_by_the_variable(tmp_path, monkeypatch):
    from dashboard import oidc

    monkeypatch.delenv(identity.SECRETS_ENV, raising=False)
    assert oidc.streamlit_options() == []
    env = _settings(tmp_path, GOOD)
    monkeypatch.setenv(identity.SECRETS_ENV, env[identity.SECRETS_ENV])
    assert oidc.streamlit_options() == ["--secrets.files", str(tmp_path / "oidc.toml")]
    monkeypatch.setenv(identity.SECRETS_ENV, str(tmp_path / "missing.toml"))
    with pytest.raises(
        HandoverError, match="HANDOVER_OIDC_SECRETS names .*missing.toml, which cannot be read"
    ):
        oidc.streamlit_options()


def test_no_secrets_means_not_configured_and_nobody_signed_in(tmp_path, monkeypatch):
    """Outside a Streamlit server and without a secrets file: no exception, nothing offered."""
    from dashboard import oidc

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert oidc.configured() is False
