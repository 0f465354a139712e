"""OpenID Connect sign-in end to end: a real identity provider (tests/oidc_provider: panva's
oidc-provider under Node, real RS256-signed ID tokens, discovery, PKCE), Streamlit's own
st.login/st.user/st.logout reading the [auth] secrets that HANDOVER_OIDC_SECRETS names, and
headless Chromium going through the provider's sign-in form and back.

Two servers are driven:

* ``tests/e2e/oidc_app.py``: a page that calls dashboard/oidc.py alone (the module's
  contract: the button, the account of the claims, a refusal's sentence, sign-out, one audit
  entry per session);
* the real ``handover serve`` with the sign-in page (dashboard/signin.py): after signing in
  at the provider, the sidebar says ``signin.signed_in_as`` with the account's name and role.
  Skipped, with the reason, while the dashboard has no sign-in page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from playwright.sync_api import Page, expect

from dashboard.i18n import catalogue, t
from dashboard.text import WORD_JOINER
from pipelines import audit
from pipelines.store import Store
from tests.e2e.app_utils import ROOT, Server, free_port, start_server, stop_server, wait_for_app_run
from tests.oidc_provider.provider import (
    Account,
    Client,
    RunningProvider,
    missing,
    start_provider,
    stop_provider,
)

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")

CLIENT_ID = "handover-insight"
CLIENT_SECRET = "a client secret of the test provider"
COOKIE_SECRET = "a cookie secret of at least thirty-two characters"
PASSWORD = "provider password 1"

WANG = Account("wang", PASSWORD, "sub-wang-7f3c", "wang@example-firm.cn", True, "王经理")
LINA = Account("lina", PASSWORD, "sub-lina-19ab", "Li.Na@Example-Firm.cn", True, "李娜")
ZHAO = Account("zhao", PASSWORD, "sub-zhao-55d0", "zhao@example-firm.cn", False, "赵六")
SUN = Account("sun", PASSWORD, "sub-sun-3e21", "sun@example-firm.cn", True, "孙七")
STRANGER = Account("stranger", PASSWORD, "sub-x-0001", "stranger@example.com", True, "陌生人")

# the accounts of the dashboard: wang by subject, lina and zhao by e-mail, the stranger none
USERS = [
    ["wang", "--role", "quality", "--subject", WANG.sub, "--oidc-only"],
    [
        "lina",
        "--role",
        "team_lead",
        "--team",
        "记账一部",
        "--email",
        "li.na@example-firm.cn",
        "--oidc-only",
    ],
    ["zhao", "--role", "quality", "--email", "zhao@example-firm.cn", "--oidc-only"],
    ["sun", "--role", "operations", "--email", "sun@example-firm.cn", "--oidc-only"],
]


@dataclass
class Ports:
    harness: int
    serve: int


@pytest.fixture(scope="module")
def ports() -> Ports:
    return Ports(free_port(), free_port())


def _callback(port: int) -> str:
    return f"http://localhost:{port}/oauth2callback"


@pytest.fixture(scope="module")
def provider(tmp_path_factory, ports: Ports) -> Iterator[RunningProvider]:
    """The identity provider, with the dashboard registered for both servers' callbacks."""
    callbacks = (_callback(ports.harness), _callback(ports.serve))
    running = start_provider(
        tmp_path_factory.mktemp("oidc-provider"),
        [Client(CLIENT_ID, CLIENT_SECRET, callbacks, callbacks)],
        [WANG, LINA, ZHAO, SUN, STRANGER],
    )
    try:
        yield running
    finally:
        log = stop_provider(running)
        print(f"\n----- OIDC provider log -----\n{log}----- end of OIDC provider log -----")


def _secrets(folder: Path, provider: RunningProvider, port: int) -> Path:
    path = folder / "oidc-secrets.toml"
    path.write_text(
        f"""[auth]
redirect_uri = "{_callback(port)}"
cookie_secret = "{COOKIE_SECRET}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{provider.metadata_url}"
""",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def _handover(db: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args, "--db", str(db)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    return done


def _add_users(db: Path) -> None:
    for user in USERS:
        _handover(db, "users", "add", *user)


def _start_harness(workdir: Path, port: int, secrets: Path, db: Path) -> Server:
    """`streamlit run tests/e2e/oidc_app.py` with dashboard.oidc.streamlit_options()."""
    from dashboard.oidc import streamlit_options

    env = {**os.environ, "HANDOVER_DB": str(db), "HANDOVER_OIDC_SECRETS": str(secrets)}
    with mock.patch.dict(os.environ, {"HANDOVER_OIDC_SECRETS": str(secrets)}):
        options = streamlit_options()
    assert options == ["--secrets.files", str(secrets)]
    log = workdir / "harness.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "tests/e2e/oidc_app.py"),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--global.developmentMode",
                "false",
                "--server.fileWatcherType",
                "none",
                *options,
            ],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://localhost:{port}", db, log, workdir)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/_stcore/health", timeout=2
            ) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"streamlit did not answer:\n{server.log_text()}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def harness(tmp_path_factory, provider: RunningProvider, ports: Ports) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("oidc-harness")
    db = workdir / "oidc.duckdb"
    _add_users(db)
    running = _start_harness(workdir, ports.harness, _secrets(workdir, provider, ports.harness), db)
    try:
        yield running
    finally:
        log = stop_server(running)
        print(f"\n----- oidc_app log -----\n{log}----- end of oidc_app log -----")


# -- the browser ----------------------------------------------------------------------------


def _open(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app_run(page, timeout=60_000)


def _sign_in_at_provider(
    page: Page, provider: RunningProvider, app_url: str, account: Account, password: str = PASSWORD
) -> None:
    """Click the organisation button, sign in on the provider's form, come back."""
    page.get_by_role("button", name=t("oidc.login_button", "zh")).click()
    page.wait_for_url(re.compile(re.escape(provider.issuer) + r"/interaction/"), timeout=30_000)
    page.get_by_label("User name or e-mail").fill(account.login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if password != account.password:
        return
    page.wait_for_url(re.compile(re.escape(app_url) + r"/"), timeout=30_000)
    wait_for_app_run(page, timeout=60_000)


def _sign_out_at_provider(page: Page, provider: RunningProvider, app_url: str) -> None:
    page.wait_for_url(re.compile(re.escape(provider.issuer) + r"/session/end"), timeout=30_000)
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(re.compile(re.escape(app_url) + r"/"), timeout=30_000)
    wait_for_app_run(page, timeout=60_000)


def _main(page: Page):
    return page.get_by_test_id("stMain")


def _shown(code: str, **params: str) -> str:
    """The Chinese sentence of an error code as the page shows it: Markdown code spans
    without their backticks, and an e-mail address with the word joiner dashboard/text.py
    puts after its @ (so that it is not turned into a link)."""
    text = catalogue()[f"errors.{code}"]["zh"].replace("`", "")
    return text.format(**{k: v.replace("@", "@" + WORD_JOINER) for k, v in params.items()})


def _signins(db: Path) -> list[tuple]:
    frame = audit.entries(Store(db, busy_timeout=30))
    frame = frame[frame["action"].isin(["signin", "signin_failed"])]
    return [
        (r.user_name, r.action, r.detail.get("reason"), r.detail.get("matched"))
        for r in frame.itertuples()
    ]


# -- the module, with Streamlit's st.login ---------------------------------------------------


def test_sign_in_by_subject_once_per_session_and_sign_out(
    page: Page, harness: Server, provider: RunningProvider
):
    before = _signins(harness.db)
    _open(page, harness.url)
    expect(_main(page).get_by_text("test: configured=True")).to_be_visible()
    expect(_main(page).get_by_text("test: nobody")).to_be_visible()
    expect(_main(page).get_by_text(t("oidc.login_help", "zh"))).to_be_visible()

    # a wrong password at the provider stays there
    _sign_in_at_provider(page, provider, harness.url, WANG, password="not the password")
    expect(page.locator("#error")).to_have_text("Wrong user name or password.")
    _open(page, harness.url)  # back at the dashboard: still nobody
    expect(_main(page).get_by_text("test: nobody")).to_be_visible()
    _sign_in_at_provider(page, provider, harness.url, WANG)
    expect(_main(page).get_by_text("test: actor=wang role=quality team=None")).to_be_visible()
    for _ in range(2):  # reruns do not sign in again
        page.get_by_role("button", name="test: rerun").click()
        wait_for_app_run(page)
    expect(_main(page).get_by_text("test: actor=wang role=quality")).to_be_visible()
    assert _signins(harness.db)[len(before) :] == [("wang", "signin", None, "subject")]

    # a new browser session (a reload) with the identity cookie: one more sign-in entry
    page.reload()
    wait_for_app_run(page, timeout=60_000)
    expect(_main(page).get_by_text("test: actor=wang")).to_be_visible()
    assert _signins(harness.db)[len(before) :] == [("wang", "signin", None, "subject")] * 2

    page.get_by_role("button", name=t("oidc.sign_out", "zh")).click()
    _sign_out_at_provider(page, provider, harness.url)
    expect(_main(page).get_by_text("test: nobody")).to_be_visible()
    expect(page.get_by_role("button", name=t("oidc.login_button", "zh"))).to_be_visible()


def test_sign_in_by_e_mail_and_a_role_change_shows_at_once(
    page: Page, harness: Server, provider: RunningProvider
):
    _open(page, harness.url)
    _sign_in_at_provider(page, provider, harness.url, LINA)
    expect(_main(page).get_by_text("test: actor=lina role=team_lead team=记账一部")).to_be_visible()
    _handover(harness.db, "users", "role", "lina", "quality")
    page.get_by_role("button", name="test: rerun").click()
    wait_for_app_run(page)
    expect(_main(page).get_by_text("test: actor=lina role=quality team=None")).to_be_visible()
    assert [e for e in _signins(harness.db) if e[0] == "lina"] == [
        ("lina", "signin", None, "email")
    ]


@pytest.mark.parametrize(
    "account, code, params",
    [
        (STRANGER, "signin_oidc_unknown", {"identity": STRANGER.email}),
        (ZHAO, "signin_oidc_unverified", {"email": ZHAO.email}),
    ],
)
def test_a_refused_identity_reads_a_sentence_and_can_sign_in_as_another(
    page: Page, harness: Server, provider: RunningProvider, account, code, params
):
    _open(page, harness.url)
    _sign_in_at_provider(page, provider, harness.url, account)
    expect(_main(page).get_by_text(f"test: refused={code}")).to_be_visible()
    expect(page.get_by_test_id("stAlert").first).to_contain_text(_shown(code, **params))
    expect(_main(page).get_by_text(t("oidc.refused_hint", "zh"))).to_be_visible()
    page.get_by_role("button", name=t("oidc.sign_in_other", "zh")).click()
    _sign_out_at_provider(page, provider, harness.url)
    expect(_main(page).get_by_text("test: nobody")).to_be_visible()
    refusals = [e for e in _signins(harness.db) if e[0] == account.email]
    assert refusals == [
        (
            account.email,
            "signin_failed",
            {
                "signin_oidc_unknown": "unknown_identity",
                "signin_oidc_unverified": "email_unverified",
            }[code],
            None,
        )
    ]


def test_an_account_disabled_after_sign_in_is_refused_at_the_next_click(
    page: Page, harness: Server, provider: RunningProvider
):
    _open(page, harness.url)
    _sign_in_at_provider(page, provider, harness.url, SUN)
    expect(_main(page).get_by_text("test: actor=sun role=operations")).to_be_visible()
    _handover(harness.db, "users", "disable", "sun")
    page.get_by_role("button", name="test: rerun").click()
    wait_for_app_run(page)
    expect(_main(page).get_by_text("test: refused=signin_disabled")).to_be_visible()
    expect(page.get_by_test_id("stAlert").first).to_contain_text(
        _shown("signin_disabled", user="sun")
    )
    assert [e for e in _signins(harness.db) if e[0] == "sun"] == [
        ("sun", "signin", None, "email"),
        ("sun", "signin_failed", "disabled", None),
    ]


# -- the dashboard: `handover serve` with the sign-in page -----------------------------------


def test_handover_serve_signs_in_through_the_provider(
    page: Page, provider: RunningProvider, ports: Ports, tmp_path_factory, monkeypatch
):
    workdir = tmp_path_factory.mktemp("oidc-serve")
    db = workdir / "e2e.duckdb"
    _add_users(db)
    monkeypatch.setenv("HANDOVER_OIDC_SECRETS", str(_secrets(workdir, provider, ports.serve)))
    server = start_server(workdir, port=ports.serve, demo=False, db=db)
    url = f"http://localhost:{ports.serve}"
    try:
        _open(page, url)
        expect(page.get_by_role("button", name=t("oidc.login_button", "zh"))).to_be_visible()
        _sign_in_at_provider(page, provider, url, WANG)
        signed_in = t("signin.signed_in_as", "zh", user="wang", role=t("roles.quality", "zh"))
        expect(page.get_by_test_id("stSidebar").get_by_text(signed_in)).to_be_visible()
        assert [e for e in _signins(db) if e[0] == "wang"] == [("wang", "signin", None, "subject")]

        # an identity cookie this server did not sign (another server's secret): ignored,
        # said in a sentence, and in the audit trail
        context = page.context
        context.clear_cookies()
        context.add_cookies(
            [
                {
                    "name": "_streamlit_user",
                    "url": url,
                    "value": "eyJlbWFpbCI6IndhbmdAZmlybS5jbiJ9.forged.signature",
                }
            ]
        )
        _open(page, url)
        expect(_main(page)).to_contain_text(t("signin.foreign_cookie", "zh"))
        expect(page.get_by_test_id("stSidebar").get_by_text(signed_in)).to_have_count(0)
        assert (None, "signin_failed", "foreign_cookie", None) in _signins(db)
    finally:
        log = stop_server(server)
        print(f"\n----- handover serve log -----\n{log}----- end -----")
