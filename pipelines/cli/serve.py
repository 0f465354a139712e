"""`handover serve`: the dashboard; on an empty database it loads the sample data first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli.common import DEFAULT_DB, DbOption, err_console, handles_errors, open_store

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
SAMPLE_LOADED_ENV = "HANDOVER_SAMPLE_LOADED"


@handles_errors
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 opens it to the "
                                           "network.")] = "127.0.0.1",
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a browser "
                                               "(when the machine has a display).")] = True,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The dashboard (Streamlit). On an empty database, loads the sample data first."""
    from sample_data.loader import has_data, load_sample

    store = open_store(db)
    store.ensure_schema()
    env = {**os.environ, "HANDOVER_DB": str(store.path.resolve())}
    if not has_data(store):
        err_console.print(f"{store.path} is empty: loading the sample data (a made-up Shanghai "
                          "bookkeeping firm) first …", markup=False)
        load_sample(store, "small")
        from data_checks.results import save_run
        from data_checks.runner import run_checks
        from sample_data.generator import SAMPLE_AS_OF

        save_run(store, run_checks(store, SAMPLE_AS_OF))
        env[SAMPLE_LOADED_ENV] = "1"
    err_console.print(f"Dashboard: http://{'localhost' if host == '127.0.0.1' else host}:{port}"
                      f"  (database {store.path}; Ctrl+C stops it)", markup=False)
    # Always headless: otherwise Streamlit's first run asks for an e-mail address on the
    # terminal and waits. The browser is opened here instead, once the server answers.
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port), "--server.address", host, "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
        "--server.fileWatcherType", "none", "--theme.base", "light",
    ]
    process = subprocess.Popen(command, env=env)
    try:
        if open_browser and _has_display():
            _open_when_ready(f"http://localhost:{port}", "127.0.0.1" if host == "0.0.0.0"
                             else host, port, process)
        raise typer.Exit(process.wait())
    except KeyboardInterrupt:
        process.terminate()
        raise typer.Exit(0) from None


def _has_display() -> bool:
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


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
