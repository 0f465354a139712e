"""What `handover serve` runs: the dashboard (dashboard/app.py) behind the host guard.

``streamlit run`` finds the ``st.App`` below and serves it with uvicorn, the app's middleware
in front of Streamlit's own routes: pages, files and the WebSocket alike answer only to this
server's addresses (dashboard/host_guard.py). ``streamlit run dashboard/app.py`` would serve
the same dashboard without the guard."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from dashboard.host_guard import ENV, HostGuard, configured_hosts, log

allowed = configured_hosts()
log.info(
    "This server answers to %s (%s adds names); other Host or Origin headers are refused.",
    ", ".join(allowed),
    ENV,
)

app = st.App(
    Path(__file__).resolve().with_name("app.py"),
    middleware=[Middleware(HostGuard, allowed=allowed)],
)
