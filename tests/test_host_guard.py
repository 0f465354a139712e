"""The dashboard answers only to its own addresses (dashboard/host_guard.py): the list of
names for a binding and HANDOVER_ALLOWED_HOSTS, the Host and Origin checks, the middleware's
answers, and the real server (``streamlit run dashboard/guarded_app.py``) asked with raw
requests: a foreign Host or Origin is refused on pages and on the WebSocket alike."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboard import host_guard
from dashboard.host_guard import (
    ENV,
    HOST_REFUSED,
    ORIGIN_REFUSED,
    HostGuard,
    allowed_hosts,
    refusal,
    streamlit_options,
)
from pipelines.errors import HandoverError

LOOPBACK = ["localhost", "127.0.0.1", "::1"]


# ---------------------------------------------------------------- the list of names


@pytest.mark.parametrize("bound", ["127.0.0.1", "localhost", "::1", "[::1]", "LOCALHOST"])
def test_a_loopback_binding_answers_to_the_loopback_names(bound):
    assert allowed_hosts(bound, environ={}) == LOOPBACK


def test_another_loopback_address_is_added_to_the_names():
    assert allowed_hosts("127.0.1.1", environ={}) == [*LOOPBACK, "127.0.1.1"]


def test_an_address_binding_answers_to_that_address_and_the_administrators_names():
    assert allowed_hosts("10.0.0.5", environ={}) == ["10.0.0.5"]
    environ = {ENV: " Dashboard.Firm.Local. , 10.0.0.6,,[FE80::1], 看板.example "}
    assert allowed_hosts("10.0.0.5", environ=environ) == [
        "10.0.0.5",
        "dashboard.firm.local",
        "10.0.0.6",
        "fe80::1",
        "xn--msvy95a.example",
    ]
    assert allowed_hosts("10.0.0.5", environ={ENV: "10.0.0.5"}) == ["10.0.0.5"]


def test_a_loopback_binding_takes_the_administrators_names_too():
    """For a reverse proxy on the same machine that passes its own Host on."""
    assert allowed_hosts("127.0.0.1", environ={ENV: "dashboard.firm.local"}) == [
        *LOOPBACK,
        "dashboard.firm.local",
    ]


def test_a_wildcard_binding_answers_to_loopback_its_address_and_the_machines_names(monkeypatch):
    from streamlit import net_util

    monkeypatch.setattr(net_util, "get_internal_ip", lambda: "192.168.1.20")
    monkeypatch.setattr(socket, "gethostname", lambda: "Office-PC")
    assert allowed_hosts("0.0.0.0", environ={ENV: "dashboard.firm.local"}) == [
        *LOOPBACK,
        "0.0.0.0",
        "192.168.1.20",
        "office-pc",
        "dashboard.firm.local",
    ]
    assert allowed_hosts("::", environ={})[:4] == [*LOOPBACK, "::"]


@pytest.mark.parametrize(
    "entry",
    [
        "http://dashboard.firm.local",
        "dashboard.firm.local:8501",
        "*",
        "*.firm.local",
        "dashboard firm",
        "dash/board",
        "user@dashboard",
        "-dash.local",
        "a" * 64 + ".local",
    ],
)
def test_the_administrator_lists_host_names_only(entry):
    with pytest.raises(
        HandoverError,
        match="HANDOVER_ALLOWED_HOSTS lists .* which is not a host name or an IP address",
    ) as raised:
        allowed_hosts("0.0.0.0", environ={ENV: f"ok.local,{entry}"})
    assert ENV in raised.value.message and repr(entry) in raised.value.message


def test_the_error_names_a_hostile_entry_escaped():
    with pytest.raises(
        HandoverError, match=r"HANDOVER_ALLOWED_HOSTS lists 'evil\\x1b\[31m\.example'"
    ) as raised:
        allowed_hosts("10.0.0.5", environ={ENV: "evil\x1b[31m.example"})
    assert "\x1b" not in raised.value.message and "\\x1b" in raised.value.message


def test_streamlit_options_give_streamlits_websocket_check_the_same_names(monkeypatch):
    monkeypatch.setenv(ENV, "dashboard.firm.local")
    options = streamlit_options("127.0.0.1", 8501)
    pairs = list(zip(options[::2], options[1::2], strict=True))
    assert ("--server.enableCORS", "true") in pairs
    assert ("--server.enableXsrfProtection", "true") in pairs
    assert [value for key, value in pairs if key == "--server.allowedHosts"] == [
        *LOOPBACK,
        "dashboard.firm.local",
    ]


def test_streamlit_accepts_the_options_and_finds_the_guarded_app(monkeypatch):
    """The options parse as Streamlit's command line, and `streamlit run` would start the
    st.App in the entry point (with its middleware) rather than a plain script."""
    from click.testing import CliRunner
    from streamlit.web import cli
    from streamlit.web.server.app_discovery import discover_asgi_app

    monkeypatch.delenv(ENV, raising=False)
    seen = {}
    monkeypatch.setattr(
        cli,
        "_main_run",
        lambda file, args, flag_options: seen.update(file=file, flags=flag_options),
    )
    result = CliRunner().invoke(
        cli.main, ["run", str(host_guard.ENTRY_POINT), *streamlit_options("127.0.0.1", 8501)]
    )
    assert result.exit_code == 0, result.output
    assert seen["flags"]["server_allowedHosts"] == tuple(LOOPBACK)
    assert seen["flags"]["server_enableCORS"] is True
    found = discover_asgi_app(host_guard.ENTRY_POINT)
    assert found.is_asgi_app and found.import_string == "guarded_app:app"


# ---------------------------------------------------------------- the checks


@pytest.mark.parametrize(
    ("host", "origin", "expected"),
    [
        ("127.0.0.1:8501", None, None),
        ("localhost:8501", "http://localhost:8501", None),
        ("LOCALHOST:8501", "http://localhost:8501", None),
        ("localhost.:8501", None, None),
        ("[::1]:8501", "http://[::1]:8501", None),
        ("127.0.0.1", "http://127.0.0.1", None),
        ("127.0.0.1:443", "https://127.0.0.1", None),  # the scheme's default port
        ("evil.example", None, "host"),
        ("evil.example:8501", "http://evil.example:8501", "host"),  # DNS rebinding
        ("127.0.0.1.evil.example", None, "host"),
        ("localhost@evil.example", None, "host"),
        ("evil.example#@localhost", None, "host"),
        ("localhost:notaport", None, "host"),
        ("localhost:", None, "host"),
        ("", None, "host"),
        (None, None, "host"),
        ("127.0.0.1:8501", "http://evil.example", "origin"),
        ("127.0.0.1:8501", "http://evil.example:8501", "origin"),
        ("127.0.0.1:8501", "http://localhost:8501", "origin"),  # another origin, same machine
        ("localhost:8501", "http://localhost:3000", "origin"),  # another local web app
        ("localhost:8501", "null", "origin"),
        ("localhost:8501", "file://", "origin"),
        ("localhost:8501", "http://localhost:8501/path", "origin"),
        ("localhost:8501", "http://user@localhost:8501", "origin"),
        ("localhost:8501", "", "origin"),
    ],
)
def test_host_must_be_allowed_and_origin_the_same_address(host, origin, expected):
    assert refusal(host, origin, LOOPBACK) == expected


def test_streamlit_style_patterns_from_its_config_are_understood():
    assert refusal("a.firm.local", None, ["*.firm.local"]) is None
    assert refusal("firm.local.evil.example", None, ["*.firm.local"]) == "host"
    assert refusal("anything.example", None, ["*"]) is None


def _call(guard: HostGuard, scope: dict) -> list[dict]:
    sent: list[dict] = []

    async def receive():
        return (
            {"type": "websocket.connect"}
            if scope["type"] == "websocket"
            else {"type": "http.request", "body": b""}
        )

    async def send(message):
        sent.append(message)

    # in a thread of its own: a browser test of the same session (Playwright's sync API)
    # may hold this thread's event loop
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, guard(scope, receive, send)).result()
    return sent


async def _inner(scope, receive, send):
    await send({"type": "inner", "scope": scope["type"]})


def _scope(kind: str, host: str | None, origin: str | None = None, **extra) -> dict:
    headers = [(b"host", host.encode("latin-1"))] if host is not None else []
    if origin is not None:
        headers.append((b"origin", origin.encode("latin-1")))
    return {
        "type": kind,
        "path": "/_stcore/stream" if kind == "websocket" else "/",
        "method": "GET",
        "headers": headers,
        "client": ("203.0.113.9", 5555),
        "query_string": b"",
        **extra,
    }


@pytest.fixture
def guard_log(caplog) -> Iterator[pytest.LogCaptureFixture]:
    host_guard.log.addHandler(caplog.handler)  # the guard's logger does not propagate
    try:
        yield caplog
    finally:
        host_guard.log.removeHandler(caplog.handler)


def test_the_guard_passes_good_requests_and_the_lifespan_on():
    guard = HostGuard(_inner, allowed=LOOPBACK)
    assert _call(guard, _scope("http", "127.0.0.1:8501")) == [{"type": "inner", "scope": "http"}]
    assert _call(guard, _scope("websocket", "localhost:8501", "http://localhost:8501")) == [
        {"type": "inner", "scope": "websocket"}
    ]
    assert _call(guard, {"type": "lifespan"}) == [{"type": "inner", "scope": "lifespan"}]


def test_the_guard_answers_a_foreign_host_400_and_logs_it_escaped(guard_log):
    guard = HostGuard(_inner, allowed=LOOPBACK)
    with guard_log.at_level(logging.WARNING, logger=host_guard.log.name):
        sent = _call(guard, _scope("http", "evil\xe9.example", path="/\u202ehtml"))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400
    assert sent[1]["body"].decode("utf-8") == HOST_REFUSED
    assert (b"content-type", b"text/plain; charset=utf-8") in sent[0]["headers"]
    text = guard_log.text
    assert "'evil\\xe9.example'" in text and "\xe9" not in text and "\u202e" not in text
    assert "203.0.113.9" in text and "localhost, 127.0.0.1, ::1" in text


def test_the_guard_refuses_a_websocket_with_an_http_answer(guard_log):
    guard = HostGuard(_inner, allowed=LOOPBACK)
    extensions = {"websocket.http.response": {}}
    sent = _call(
        guard, _scope("websocket", "127.0.0.1:8501", "http://evil.example", extensions=extensions)
    )
    assert sent[0]["type"] == "websocket.http.response.start" and sent[0]["status"] == 403
    assert sent[1]["body"].decode("utf-8") == ORIGIN_REFUSED
    assert "Origin 'http://evil.example'" in guard_log.text
    # a server without the denial-response extension: the handshake is closed (uvicorn: 403)
    sent = _call(guard, _scope("websocket", "evil.example", None))
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


def test_a_long_hostile_header_is_cut_short_in_the_log(guard_log):
    guard = HostGuard(_inner, allowed=LOOPBACK)
    _call(guard, _scope("http", "e" * 5000 + ".example"))
    assert "e" * 5000 not in guard_log.text and "characters)" in guard_log.text


# ---------------------------------------------------------------- the real server


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _raw(port: int, lines: list[str]) -> Answer:
    """One request, written as given (Host and Origin are ours to choose), and the answer's
    status line, headers and as much body as comes within a second."""
    request = "\r\n".join([*lines, "", ""]).encode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        sock.settimeout(1)
        try:
            while chunk := sock.recv(65536):
                body += chunk
        except TimeoutError:
            pass  # a WebSocket stays open
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body)


def _get(port: int, host: str, path: str = "/") -> Answer:
    return _raw(port, [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"])


def _handshake(port: int, host: str, origin: str | None) -> Answer:
    key = base64.b64encode(os.urandom(16)).decode()
    answer = _raw(
        port,
        [
            "GET /_stcore/stream HTTP/1.1",
            f"Host: {host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Protocol: streamlit",
            *([f"Origin: {origin}"] if origin else []),
        ],
    )
    if answer.status == 101:
        accept = base64.b64encode(
            hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
        ).decode()
        assert answer.headers["sec-websocket-accept"] == accept
    return answer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def guarded_command(host: str, port: int) -> list[str]:
    """`handover serve`'s Streamlit command with the guard: its entry point and options
    (added here until cli/serve.py runs them itself)."""
    from cli.serve import streamlit_command

    command = streamlit_command(host, port)
    script = command.index("run") + 1
    command[script] = str(host_guard.ENTRY_POINT)
    if "--server.allowedHosts" not in command:
        command += streamlit_options(host, port)
    return command


@dataclass
class Server:
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from pipelines.store import Store
    from sample_data.loader import load_sample

    folder = tmp_path_factory.mktemp("host_guard")
    db = folder / "small.duckdb"
    load_sample(Store(db), "small")
    port, log = _free_port(), folder / "streamlit.log"
    env = {**os.environ, "HANDOVER_DB": str(db), "HANDOVER_CONFIG": str(folder / "h.toml")}
    env.pop(ENV, None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            guarded_command("127.0.0.1", port),
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Server(port, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"the server exited:\n{running.log_text()}"
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=2
                ) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, f"no answer in 120 s:\n{running.log_text()}"
            time.sleep(0.2)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


def test_the_server_serves_its_own_addresses(server):
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}"):
        page = _get(server.port, host)
        assert page.status == 200 and b"<html" in page.body.lower(), host
        assert _handshake(server.port, host, f"http://{host}").status == 101, host
    assert _handshake(server.port, f"127.0.0.1:{server.port}", None).status == 101


def test_the_server_refuses_a_page_for_a_foreign_host(server):
    for path in ("/", "/_stcore/health", "/_stcore/host-config", "/overview"):
        answer = _get(server.port, "evil.example", path)
        assert answer.status == 400, path
        assert answer.body.decode("utf-8") == HOST_REFUSED
        assert answer.headers["content-type"].startswith("text/plain")


def test_the_server_refuses_a_websocket_from_a_foreign_origin(server):
    answer = _handshake(server.port, f"127.0.0.1:{server.port}", "http://evil.example")
    assert answer.status == 403 and answer.body.decode("utf-8") == ORIGIN_REFUSED
    answer = _handshake(server.port, f"localhost:{server.port}", "http://localhost:3000")
    assert answer.status == 403


def test_the_server_refuses_a_websocket_for_a_foreign_host(server):
    """DNS rebinding: the hostile name in Host, and its page as the (same) Origin."""
    answer = _handshake(
        server.port, f"evil.example:{server.port}", f"http://evil.example:{server.port}"
    )
    assert answer.status == 400 and answer.body.decode("utf-8") == HOST_REFUSED
    assert _handshake(server.port, f"evil.example:{server.port}", None).status == 400


def test_the_servers_log_names_what_was_refused_escaped(server):
    answer = _raw(server.port, ["GET / HTTP/1.1", "Host: evil\xe9.example", "Connection: close"])
    assert answer.status == 400
    deadline = time.monotonic() + 10
    while "evil\\xe9.example" not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    text = server.log_text()
    assert "Refused GET '/' from '127.0.0.1': Host 'evil\\xe9.example'" in text
    assert "evil\xe9" not in text
    assert "answers to localhost, 127.0.0.1, ::1" in text
