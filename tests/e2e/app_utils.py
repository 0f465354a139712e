"""What the browser tests and the screenshot script share: the real `handover serve` on a
fresh database, Debian's Chromium, and waiting for Streamlit to settle (as Streamlit's own
``e2e_playwright/shared/app_utils.py`` does)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]

# page key (dashboard/app.py PAGES, also the URL path) -> title in zh and en
PAGES = {
    "overview": ("总览", "Overview"),
    "handovers": ("交接明细", "Handovers"),
    "satisfaction": ("客户满意度", "Satisfaction"),
    "risk": ("风险预警", "Risk"),
    "data_quality": ("数据质量", "Data quality"),
    "upload": ("数据上传", "Upload"),
    "settings": ("评分设置", "Settings"),
    "audit": ("审计日志", "Audit trail"),
}
LANGS = ("zh", "en")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}
SERVER_START_TIMEOUT = 120  # s: with --demo, loading the sample into the database comes first


def chromium_path() -> str | None:
    """Debian's Chromium (`apt-get install chromium`); Playwright's own download is not used."""
    return shutil.which("chromium")


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running `handover serve`; its output goes to ``log``."""

    process: subprocess.Popen
    url: str
    db: Path
    log: Path
    workdir: Path

    def env(self) -> dict[str, str]:
        """The environment for a `handover` command against the same database."""
        return {
            **os.environ,
            "HANDOVER_DB": str(self.db),
            "HANDOVER_CONFIG": str(self.workdir / "handover.toml"),
        }

    def handover(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run the `handover` command (`python -m cli`) on the server's database."""
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env=self.env(),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def start_server(
    workdir: Path,
    port: int | None = None,
    timeout: float = SERVER_START_TIMEOUT,
    demo: bool = True,
    db: Path | None = None,
) -> Server:
    """`handover serve [--demo] --db <workdir>/e2e.duckdb --port N --no-open`; with ``demo``
    (on a fresh database) it loads the sample itself. Returns once the dashboard answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    db, log = db or workdir / "e2e.duckdb", workdir / "serve.log"
    port = port or free_port()
    env = {
        **os.environ,
        "HANDOVER_CONFIG": str(workdir / "handover.toml"),
        "HANDOVER_BUSY_TIMEOUT": "60",
    }
    env.pop("HANDOVER_DB", None)  # no account yet: the local administrator, every page
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli",
                "serve",
                *(["--demo"] if demo else []),
                "--db",
                str(db),
                "--port",
                str(port),
                "--no-open",
            ],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stop() ends both
        )
    server = Server(process, f"http://127.0.0.1:{port}", db, log, workdir)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"handover serve exited with {process.returncode}:\n{server.log_text()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(
                f"handover serve did not answer within {timeout:.0f} s:\n{server.log_text()}"
            )
        time.sleep(0.5)


def stop_server(server: Server) -> str:
    """Stop `handover serve` and the Streamlit process it started; returns its log."""
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=15)
        except ProcessLookupError:
            pass
    return server.log_text()


def wait_for_app_run(page: Page, timeout: float = 30_000, wait_delay: int = 100) -> None:
    """Wait until the app is connected and no script runs (Streamlit's `wait_for_app_run`).

    The short first wait lets a click or upload start its rerun before the state is read."""
    page.wait_for_timeout(200)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']",
        timeout=timeout,
        state="attached",
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']",
        timeout=timeout,
        state="attached",
    )
    if wait_delay:
        page.wait_for_timeout(wait_delay)


def goto(
    page: Page,
    server: Server,
    path: str = "",
    lang: str | None = None,
    timeout: float = 60_000,
    **params: str,
) -> None:
    """Open a page by its url path (the page key; "" is the home, which opens the role's
    first page) and wait for it."""
    query = {**({"lang": lang} if lang else {}), **params}
    url = f"{server.url}/{path}"
    if query:
        url += "?" + "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in query.items())
    page.goto(url)
    wait_for_app_run(page, timeout=timeout)


# Counts the app's script runs in the page, so that an action can wait for the rerun it
# started rather than catch the "notRunning" of the run before it.
_COUNT_RUNS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    if (app && !app.__e2eObserved) {
        app.__e2eObserved = true;
        window.__e2eRuns = window.__e2eRuns || 0;
        new MutationObserver(() => {
            if (app.getAttribute("data-test-script-state") === "running") window.__e2eRuns += 1;
        }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
    }
    return window.__e2eRuns || 0;
}"""


def act(
    page: Page, action: Callable[[], object], timeout: float = 30_000, start_within: float = 5_000
) -> None:
    """Do ``action`` (a click, a key, an upload), wait for the rerun it starts (if one starts
    within ``start_within`` ms), then for the app to settle."""
    runs = page.evaluate(_COUNT_RUNS)
    action()
    try:
        page.wait_for_function("n => (window.__e2eRuns || 0) > n", arg=runs, timeout=start_within)
    except PlaywrightTimeoutError:
        pass  # no rerun (or one too quick to see): the state below tells
    wait_for_app_run(page, timeout=timeout)


def click(page: Page, locator, timeout: float = 30_000) -> None:
    """Click, then wait for the rerun it starts."""
    act(page, locator.click, timeout=timeout)


def reload(page: Page, timeout: float = 60_000) -> None:
    page.reload()
    wait_for_app_run(page, timeout=timeout)


def expect_no_exception(page: Page) -> None:
    exceptions = page.get_by_test_id("stException")
    texts = [text[:2000] for text in exceptions.all_inner_texts()]
    assert not texts, "the page shows an exception:\n" + "\n---\n".join(texts)


def expect_title(page: Page, title: str) -> None:
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text(title)


def main(page: Page):
    return page.get_by_test_id("stMain")


def metric(page: Page, label: str):
    """The KPI tile (st.metric) whose label is ``label``."""
    return page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )


def metric_value(page: Page, label: str) -> str:
    tile = metric(page, label)
    expect(tile).to_have_count(1)
    return tile.get_by_test_id("stMetricValue").inner_text().strip()


def full_page_screenshot(page: Page, path: Path) -> None:
    """Streamlit scrolls inside the app, not the document: grow the viewport to the content's
    height (until it stops changing: charts re-layout to the new size), take the picture, and
    put the viewport back."""
    size = page.viewport_size or VIEWPORT
    height = size["height"]
    for _ in range(5):
        wanted = max(
            size["height"],
            page.evaluate(
                """() => Math.max(...["stMain", "stSidebarContent"].map(id => {
                const el = document.querySelector(`[data-testid='${id}']`);
                return el ? el.scrollHeight : 0;
            }))"""
            ),
        )
        if wanted == height:
            break
        height = wanted
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def completed_handovers(
    server: Server, ended_before, limit: int = 3, without_event: str | None = None
) -> list[dict]:
    """Completed handovers of the server's database (read-only, while it runs), with their
    client and company: the data the tests feed back in."""
    from pipelines.store import Store

    missing = (
        (
            "and not exists (select 1 from stg_events e where e.handover_id = h.handover_id "
            "and e.event_type = $event)"
        )
        if without_event
        else ""
    )
    params = {
        "before": ended_before,
        "limit": limit,
        **({"event": without_event} if without_event else {}),
    }
    return (
        Store(server.db, busy_timeout=60)
        .query(
            f"""select h.handover_id, h.client_id, c.company_name, h.actual_end
            from stg_handovers h join stg_clients c using (client_id)
            where h.actual_end is not null and cast(h.actual_end as date) < $before
              and c.company_name is not null {missing}
            order by h.handover_id limit $limit""",
            params,
        )
        .dicts()
    )


def batches(server: Server) -> list[dict]:
    """`handover batches --json` on the server's database."""
    import json

    done = server.handover("batches", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


PASSWORD = "correct horse battery staple"


def add_account(
    server: Server, name: str, role: str, *options: str, password: str = PASSWORD
) -> None:
    """`handover users add NAME --role ROLE [options]` on the server's database, the password
    on standard input (as an administrator's script would)."""
    done = subprocess.run(
        [sys.executable, "-m", "cli", "users", "add", name, "--role", role, *options],
        input=f"{password}\n{password}\n",
        env=server.env(),
        cwd=server.workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def sign_in(
    page: Page,
    server: Server,
    name: str,
    password: str = PASSWORD,
    path: str = "",
    lang: str | None = "zh",
    timeout: float = 60_000,
    **params: str,
) -> None:
    """Open an address (a new browser session: the sign-in page), sign in, and wait for the
    page it named."""
    from dashboard.i18n import t

    goto(page, server, path, lang=lang, timeout=timeout, **params)
    form = page.get_by_test_id("stForm")
    form.get_by_label(t("signin.name", lang or "zh"), exact=True).fill(name)
    form.get_by_label(t("signin.password", lang or "zh"), exact=True).fill(password)
    click(page, form.get_by_role("button", name=t("signin.submit", lang or "zh")), timeout=timeout)


def upload_file(page: Page, kind_label: str, path: Path, timeout: float = 240_000) -> None:
    """On the Upload page: choose the kind (its label, e.g. 客户反馈), give the uploader the
    file, and wait for the page to read it (a trial import runs the checks before the
    confirm button, hence the long wait)."""
    body = main(page)
    kind = body.get_by_role("radio", name=kind_label)
    if kind.get_attribute("aria-checked") != "true":
        click(page, kind)
    expect(kind).to_have_attribute("aria-checked", "true")
    uploader = body.get_by_test_id("stFileUploader")
    act(page, lambda: uploader.locator("input[type=file]").set_input_files(path), timeout=timeout)
    expect(uploader).to_contain_text(path.name if len(path.name) <= 20 else path.suffix)
