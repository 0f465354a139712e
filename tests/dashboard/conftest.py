"""Dashboard pages under Streamlit's AppTest: one sample database per test module, the
environment (database, configuration file) set per test, and a page opened by its file after
signing in, through the sign-in form, as an account of the role asked for."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from sample_data.loader import load_sample

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


PASSWORD = "correct horse battery staple"
# an account per shipped role; the scoped ones limited to a team and a member of staff of the
# sample (林立宁 hands over in 记账二部 and receives in 税务部)
ACCOUNTS = {
    "administrator": {},
    "management": {},
    "quality": {},
    "operations": {},
    "team_lead": {"team": "记账一部"},
    "staff": {"staff": "林立宁"},
}


def account_name(role: str) -> str:
    return f"{role}_tester"


def add_accounts(path: Path) -> None:
    from pipelines import accounts

    store = Store(path)
    for role, scope in ACCOUNTS.items():
        accounts.add_user(store, account_name(role), PASSWORD, role, **scope)


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sample, loaded once per test module, with an account per role."""
    path = tmp_path_factory.mktemp("dashboard") / "d.duckdb"
    load_sample(Store(path), "small")
    add_accounts(path)
    return path


@pytest.fixture
def dashboard_env(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HANDOVER_DB on the sample, HANDOVER_CONFIG on a fresh (absent) file, default role;
    returns the configuration file's path."""
    config = tmp_path / "handover.toml"
    monkeypatch.setenv("HANDOVER_DB", str(sample_db))
    monkeypatch.setenv("HANDOVER_CONFIG", str(config))
    monkeypatch.delenv("HANDOVER_LOCAL_ADMIN", raising=False)
    return config


def prepare_role(
    db: Path, monkeypatch: pytest.MonkeyPatch, role: str | None, scope: dict[str, str] | None = None
) -> None:
    """Before the app runs: the ``role``'s account in ``db`` (created if missing, limited to
    ``scope``, else ACCOUNTS' team or staff); or, for None, the local administrator of a
    dashboard on 127.0.0.1 without accounts."""
    monkeypatch.delenv("HANDOVER_LOCAL_ADMIN", raising=False)
    if role is None:
        from streamlit import config

        monkeypatch.setenv("HANDOVER_LOCAL_ADMIN", "1")
        config.set_option("server.address", "127.0.0.1")  # put back by _server_address
        return
    from pipelines import accounts
    from pipelines.errors import AccountError

    store = Store(db)
    try:
        accounts.get_user(store, account_name(role))
    except AccountError:
        accounts.add_user(
            store,
            account_name(role),
            PASSWORD,
            role,
            **(ACCOUNTS[role] if scope is None else scope),
        )


@pytest.fixture(autouse=True)
def _server_address():
    """Puts Streamlit's server.address back after a test that played a loopback server."""
    from streamlit import config

    before = config.get_option("server.address")
    yield
    config.set_option("server.address", before)


def login(at: AppTest, role: str | None) -> AppTest:
    """After the first run: sign in as the ``role``'s account (nothing for None: the local
    administrator is signed in already)."""
    if role is not None:
        sign_in(at, account_name(role))
    return at


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    """Type the name and password into the sign-in form and submit it."""
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    next(b for b in at.button if b.proto.is_form_submitter).click()
    return at.run()


def open_page(
    page: str,
    lang: str = "zh",
    role: str = "management",
    monkeypatch: pytest.MonkeyPatch | None = None,
    params: dict | None = None,
    timeout: float = 60,
) -> AppTest:
    """The app run once (the sign-in page), signed in as the ``role``'s account (one of
    ACCOUNTS, in the module's sample database), as of the sample's date, switched to
    ``views/<page>.py`` and run again, in ``lang``; ``params`` are in the URL from the start
    (as a link opens the page)."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.query_params["lang"] = lang
    at.query_params["as_of"] = SAMPLE_AS_OF.isoformat()
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    login(at, role)
    assert not at.exception, at.exception
    at.switch_page(f"views/{page}.py")
    return at.run()


def by_key(elements, prefix: str):
    """The one element of ``elements`` whose key starts with ``prefix``."""
    found = [e for e in elements if e.key and str(e.key).startswith(prefix)]
    assert len(found) == 1, f"{len(found)} elements with a key starting {prefix!r}"
    return found[0]


def chart_figures(at) -> dict[str, dict]:
    """The page's plotly charts by title, as JSON; see ``array`` for their numbers."""
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {f["layout"]["title"]["text"]: f for f in figures if f["layout"].get("title")}


def array(value) -> np.ndarray:
    """A trace's numbers: plotly writes numpy arrays as base64 ("bdata") with a dtype."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(value)


def every_page(at: AppTest, key: str, read) -> pd.DataFrame:
    """Every row of a table shown a page at a time (dashboard.components.pager, page chooser
    ``{key}_page``): ``read(at)`` gives the shown page's frame; the pages are turned one by
    one, then back to the first."""
    frames = [read(at)]
    chooser = [n for n in at.number_input if n.key == f"{key}_page"]
    if chooser:
        for page in range(2, int(chooser[0].max) + 1):
            at.number_input(key=f"{key}_page").set_value(page).run()
            frames.append(read(at))
        at.number_input(key=f"{key}_page").set_value(1).run()
    return pd.concat(frames, ignore_index=True)
