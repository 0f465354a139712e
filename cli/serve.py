"""`handover serve`: the dashboard. `--demo` loads the sample data into an empty database
first; without it the database is left as it is (a missing file is not created: the dashboard
starts empty, explains the imports and offers the sample).

Who may use it (``sign_in_mode``): once an account exists, everybody signs in. Before that,
a dashboard on a loopback address (127.0.0.1, the default) with no data or only the sample
starts signed in as the local administrator, and says so on every page, so that the README's
first command just works; on any other address, or over real data, it refuses to start until
`handover users add` has created an account."""

from __future__ import annotations

import importlib.resources
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import DEFAULT_DB, DbOption, err_console, handles_errors, open_store
from cli.messages import text
from dashboard import host_guard
from pipelines.errors import HandoverError

# dashboard/app.py behind the host guard (dashboard/host_guard.py), found as a file of the
# installed dashboard package wherever it is installed, not relative to this module
APP = Path(str(importlib.resources.files("dashboard").joinpath(host_guard.ENTRY_POINT.name)))


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    return host.strip("[]").lower() in LOOPBACK


def sign_in_mode(path: Path, host: str) -> str:
    """ "accounts" (everybody signs in) or "local" (no account yet: the person at this machine
    is the administrator); raises a HandoverError naming `handover users add` where a
    dashboard without accounts would show the firm's data to whoever reaches it."""
    from pipelines.accounts import has_accounts
    from sample_data.loader import has_data, is_sample

    store = open_store(Path(path))
    if has_accounts(store):
        return "accounts"
    if not is_loopback(host):
        raise HandoverError(
            text("serve.needs_account", host=host),
            title="No accounts",
            code="serve_needs_account",
            params={"host": host},
        )
    if has_data(store) and not is_sample(store):
        raise HandoverError(
            text("serve.needs_account_data", file=store.path),
            title="No accounts",
            code="serve_needs_account_data",
            params={"file": str(store.path)},
        )
    return "local"


def prepare_database(path: Path, demo: bool, progress=None) -> str:
    """What `serve` does to the database before the dashboard starts, and the sentence that
    says so. Only ``demo`` writes, and only into an empty database (creating a missing file);
    otherwise nothing is created or changed."""
    from pipelines.encryption import EncryptionKeyError
    from sample_data.loader import has_data, load_demo

    store = open_store(Path(path))
    if not store.path.parent.is_dir():
        raise HandoverError(
            text("serve.no_folder", folder=store.path.parent, name=store.path.name),
            title="No such folder",
            code="folder_missing",
            params={"folder": str(store.path.parent), "file": str(store.path)},
        )
    if demo:
        if has_data(store):
            return text("serve.demo_over_data", file=store.path)
        if progress:
            progress(text("serve.loading_demo", file=store.path))
        from cli.progress import bar

        with bar() as reporter:  # on a terminal only
            load_demo(store, "small", progress=reporter)
        return text("serve.demo_loaded", file=store.path)
    if not store.exists():
        return text("serve.no_database", file=store.path)
    try:
        if not has_data(store):
            return text("serve.empty", file=store.path)
    except EncryptionKeyError:  # nothing can be shown without the key: said once, exit 1
        raise
    except HandoverError as error:  # the dashboard says the same to whoever opens it
        return text("serve.warning", message=error.message)
    return text("serve.database", file=store.path)


@handles_errors
def serve(
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load the sample data (a made-up bookkeeping firm) into an empty database first.",
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    host: Annotated[
        str, typer.Option(help="Address to bind; 0.0.0.0 opens it to the network.")
    ] = "127.0.0.1",
    open_browser: Annotated[
        bool,
        typer.Option("--open/--no-open", help="Open a browser (when the machine has a display)."),
    ] = True,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The dashboard (Streamlit). With --demo, an empty database gets the sample data first;
    without it, an empty or missing database starts empty and offers the sample."""

    def say(sentence: str) -> None:
        err_console.print(sentence, markup=False)

    from dashboard import oidc

    sign_in_options = oidc.streamlit_options()  # a bad OIDC settings file stops here
    if not is_loopback(host):  # before the sample is loaded, not after
        sign_in_mode(db, host)
    say(prepare_database(db, demo, progress=say))
    mode = sign_in_mode(db, host)
    env = {
        **os.environ,
        "HANDOVER_DB": str(Path(db).resolve()),
        "HANDOVER_KEEP_READY": "1",
    }  # dashboard/computations.py
    env.pop("HANDOVER_LOCAL_ADMIN", None)
    if mode == "local":
        env["HANDOVER_LOCAL_ADMIN"] = "1"
        say(text("serve.local_admin"))
    else:
        say(text("serve.sign_in"))
    shown_host = "localhost" if host == "127.0.0.1" else host
    say(text("serve.address", url=f"http://{shown_host}:{port}"))
    process = subprocess.Popen(streamlit_command(host, port) + sign_in_options, env=env)
    try:
        if open_browser and _has_display():
            _open_when_ready(
                f"http://localhost:{port}",
                "127.0.0.1" if host == "0.0.0.0" else host,
                port,
                process,
            )
        raise typer.Exit(process.wait())
    except KeyboardInterrupt:
        process.terminate()
        raise typer.Exit(0) from None


def streamlit_command(host: str, port: int) -> list[str]:
    """Always headless: otherwise Streamlit's first run asks for an e-mail address on the
    terminal and waits (the browser is opened here instead, once the server answers). Errors
    show no details in the browser (the traceback goes to this log), and the toolbar offers
    viewers nothing but viewing: no table's own CSV button either, so that every download goes
    through the audited, permission-checked buttons (dashboard/exports.build_export)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--server.fileWatcherType",
        "none",
        "--theme.base",
        "light",
        "--client.showErrorDetails",
        "none",
        "--client.toolbarMode",
        "viewer",
        "--client.disableDataExport",
        "true",  # exports: only the audited download buttons
        *host_guard.streamlit_options(host, port),
    ]


def _has_display() -> bool:
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _open_when_ready(url: str, host: str, port: int, process: subprocess.Popen) -> None:
    import socket
    import time
    import webbrowser

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=1):
                webbrowser.open(url)
                return
        except OSError:
            time.sleep(0.5)
