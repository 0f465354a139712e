"""A real OpenID Connect provider for the tests: ``server.mjs`` (panva's oidc-provider, pinned in
``package.json``/``package-lock.json``, installed by ``npm ci`` from ``.ci/run``) run by Node on
a free port of 127.0.0.1, with the clients and accounts given here.

``start_provider`` returns once the discovery document answers; ``stop_provider`` ends it.
``missing()`` says why it cannot start here (no Node, or ``npm ci`` not run), for a skip."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = HERE / "server.mjs"
START_TIMEOUT = 30  # s


@dataclass(frozen=True)
class Account:
    """A person at the identity provider: signs in with ``login`` (or the e-mail) and
    ``password``; their ID token carries ``sub``, ``email``, ``email_verified`` and ``name``."""

    login: str
    password: str
    sub: str
    email: str | None = None
    email_verified: bool | None = True
    name: str | None = None

    def as_json(self) -> dict:
        entry = {
            "login": self.login,
            "password": self.password,
            "sub": self.sub,
            "name": self.name or self.login,
        }
        if self.email is not None:
            entry["email"] = self.email
        if self.email_verified is not None:
            entry["email_verified"] = self.email_verified
        return entry


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
        }


@dataclass
class RunningProvider:
    process: subprocess.Popen
    issuer: str
    log: Path
    clients: list[Client] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def metadata(self) -> dict:
        with urllib.request.urlopen(self.metadata_url, timeout=5) as answer:
            return json.loads(answer.read())

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def node() -> str | None:
    return shutil.which("node")


def missing() -> str | None:
    """Why the provider cannot start on this machine, or None."""
    if node() is None:
        return "OIDC provider: Node.js is not on PATH (apt-get install nodejs npm)"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return (
            "OIDC provider: its packages are not installed "
            "(npm ci --prefix tests/oidc_provider; .ci/run does it)"
        )
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_provider(
    workdir: Path,
    clients: list[Client],
    accounts: list[Account],
    port: int | None = None,
    timeout: float = START_TIMEOUT,
) -> RunningProvider:
    """Start the provider at http://127.0.0.1:PORT (a free port unless given); returns once
    its discovery document answers."""
    reason = missing()
    if reason:
        raise RuntimeError(reason)
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = workdir / "oidc-provider.json"
    config.write_text(
        json.dumps(
            {
                "issuer": issuer,
                "port": port,
                "clients": [c.as_json() for c in clients],
                "accounts": [a.as_json() for a in accounts],
            }
        ),
        encoding="utf-8",
    )
    log = workdir / "oidc-provider.log"
    env = {**os.environ, "NODE_ENV": "test"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node(), str(SERVER), str(config)],
            cwd=HERE,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = RunningProvider(process, issuer, log, list(clients), list(accounts))
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"the OIDC provider exited with {process.returncode}:\n{running.log_text()}"
            )
        try:
            if running.metadata().get("issuer") == issuer:
                return running
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
        if time.monotonic() > deadline:
            stop_provider(running)
            raise RuntimeError(
                f"the OIDC provider did not answer within {timeout:.0f} s:\n{running.log_text()}"
            )
        time.sleep(0.2)


def stop_provider(running: RunningProvider) -> str:
    """Stop the provider; returns its log."""
    if running.process.poll() is None:
        try:
            os.killpg(running.process.pid, signal.SIGTERM)
            running.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait(timeout=10)
        except ProcessLookupError:
            pass
    return running.log_text()
