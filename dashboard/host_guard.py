"""Which names the dashboard answers to, and the guard that refuses every other one.

A browser tricked by DNS rebinding (a hostile page whose name is re-pointed at this machine)
sends that page's name in ``Host`` and ``Origin``; a hostile page elsewhere that opens our
WebSocket sends its own ``Origin``. So the server answers a page, file or WebSocket request
only when ``Host`` is one of its addresses, and, if the browser sent an ``Origin``, only when
that origin is the same address as ``Host`` (same scheme-default port, same name).

The addresses of a server bound to HOST:

* a loopback binding (``127.0.0.1``, ``localhost``, ``::1``): ``localhost``, ``127.0.0.1``
  and ``::1``;
* a wildcard binding (``0.0.0.0``, ``::``): the same, that address, the machine's network
  address (the one Streamlit prints as its "Network URL") and its host name;
* any other address: that address;

and, in every case, the names the administrator lists in ``HANDOVER_ALLOWED_HOSTS``
(comma-separated host names or IP addresses, e.g. ``dashboard.firm.local,10.0.0.5``).

Streamlit checks ``Host`` on the WebSocket only (``server.allowedHosts``), and lets a
cross-origin WebSocket in when its name is localhost or one of the machine's addresses on any
port. ``streamlit run`` serves pages with Starlette, and starts an ``st.App`` found in the
script with the app's middleware in front: ``dashboard/guarded_app.py`` is that script, with
:class:`HostGuard` in front of ``dashboard/app.py``. :func:`streamlit_options` passes the same
list to Streamlit's own WebSocket check, so both agree.

This module imports neither Streamlit nor Starlette at import time (``handover serve`` imports
it to build its command)."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.errors import HandoverError

ENV = "HANDOVER_ALLOWED_HOSTS"
ENTRY_POINT = Path(__file__).resolve().with_name("guarded_app.py")
LOOPBACK = ("localhost", "127.0.0.1", "::1")
WILDCARD = ("", "0.0.0.0", "::")

HOST_REFUSED = "Host not allowed / 不允许的主机名\n"
ORIGIN_REFUSED = "Origin not allowed / 不允许的来源\n"
_SHOWN = 200  # characters of a hostile header that reach the log

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")

log = logging.getLogger("handover.host_guard")
if not log.handlers:  # the server's log (its standard error), as dashboard/components.py
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


# ---------------------------------------------------------------- the list of names


def allowed_hosts(host: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """The host names (lower case; IPv6 without brackets) a server bound to ``host`` answers
    to: its own addresses (module docstring) and the administrator's ``HANDOVER_ALLOWED_HOSTS``.
    Raises HandoverError when that variable names something that is not a host name."""
    bound = _normal(host)
    if bound in WILDCARD:
        names = [*LOOPBACK, *([bound] if bound else []), *_network_names()]
    elif _is_loopback(bound):
        names = [*LOOPBACK, bound]
    else:
        names = [bound]
    names += administrator_hosts(os.environ if environ is None else environ)
    return list(dict.fromkeys(names))


def administrator_hosts(environ: Mapping[str, str]) -> list[str]:
    """The names in ``HANDOVER_ALLOWED_HOSTS`` (comma-separated; blanks ignored), checked:
    a host name or an IP address, nothing else (no scheme, port, path or wildcard)."""
    names = []
    for entry in environ.get(ENV, "").split(","):
        if not entry.strip():
            continue
        name = host_name(entry)
        if name is None:
            raise HandoverError(
                f"{ENV} lists {_escaped(entry.strip())}, which is not a host name or an IP "
                "address. List the names the dashboard is opened by, separated by commas, "
                "without http://, port or path: e.g. dashboard.firm.local,10.0.0.5.",
                title="Not a host name",
            )
        names.append(name)
    return names


def host_name(text: str) -> str | None:
    """``text`` as a host name the guard compares (lower case, no trailing dot, IPv6
    without brackets, international names in their ASCII form), or None when it is not one."""
    name = text.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    name = name.rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(p) for p in name.split(".")):
        return None
    return name


def streamlit_options(host: str, port: int) -> list[str]:
    """The ``streamlit run`` options for a server bound to HOST:PORT: Streamlit's WebSocket
    Host check (``server.allowedHosts``) with the same names as :class:`HostGuard`, and its
    cross-origin protections switched on whatever a config file or environment says.

    ``port`` is not part of the list: like Streamlit and Starlette, the Host check ignores
    the port (a reverse proxy may listen on another one); the Origin check compares it with
    Host's. Run these with :data:`ENTRY_POINT` (``dashboard/guarded_app.py``), not
    ``dashboard/app.py``: Streamlit's options alone leave pages and files open to any Host."""
    del port
    options = ["--server.enableCORS", "true", "--server.enableXsrfProtection", "true"]
    for name in allowed_hosts(host):
        options += ["--server.allowedHosts", name]
    return options


def configured_hosts() -> list[str]:
    """In the running server: Streamlit's ``server.allowedHosts`` (what
    :func:`streamlit_options` passed), else the list for its ``server.address``."""
    from streamlit import config

    configured = [
        host_name(name) or name.strip().lower()
        for name in config.get_option("server.allowedHosts") or []
    ]
    return configured or allowed_hosts(config.get_option("server.address") or "")


def _network_names() -> list[str]:
    """A wildcard binding's own names: Streamlit's "Network URL" address and the host name."""
    from streamlit import net_util

    names = [net_util.get_internal_ip() or "", socket.gethostname()]
    return [name for name in (host_name(n) for n in names if n) if name]


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _normal(host: str) -> str:
    host = host.strip().lower()
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


# ---------------------------------------------------------------- the checks


def _split_host(value: str | None) -> tuple[str, int | None] | None:
    """A Host header's (name, port), or None when it is missing or not a bare host[:port]."""
    if not value:
        return None
    try:
        parts = urlsplit("//" + value)
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    if (
        not name
        or parts.username is not None
        or parts.password is not None
        or parts.path
        or parts.query
        or parts.fragment
        or value.endswith(":")
    ):
        return None
    return name.rstrip("."), port


def _split_origin(value: str) -> tuple[str, str, int] | None:
    """An Origin header's (scheme, name, port), or None when it is not an http(s) origin
    (``null`` included)."""
    try:
        parts = urlsplit(value)
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    if (
        parts.scheme not in ("http", "https")
        or not name
        or parts.username is not None
        or parts.password is not None
        or parts.path
        or parts.query
        or parts.fragment
        or parts.netloc.endswith(":")
    ):
        return None
    return parts.scheme, name.rstrip("."), port or _DEFAULT_PORTS[parts.scheme]


def is_host_allowed(host_header: str | None, allowed: Iterable[str]) -> bool:
    """Whether a Host header names one of ``allowed`` (its port is not compared).
    ``*`` and ``*.domain`` patterns mean what they mean to Streamlit's server.allowedHosts."""
    parsed = _split_host(host_header)
    if parsed is None:
        return False
    name = parsed[0]
    for pattern in allowed:
        if (
            pattern == "*"
            or name == pattern
            or (pattern.startswith("*.") and name.endswith(pattern[1:]))
        ):
            return True
    return False


def is_same_origin(origin_header: str, host_header: str | None) -> bool:
    """Whether an Origin header is the address the request was sent to (Host): same name,
    same port (a missing port is the scheme's default)."""
    origin, host = _split_origin(origin_header), _split_host(host_header)
    if origin is None or host is None:
        return False
    scheme, name, port = origin
    return (name, port) == (host[0], host[1] or _DEFAULT_PORTS[scheme])


def refusal(
    host_header: str | None, origin_header: str | None, allowed: Iterable[str]
) -> str | None:
    """Why a request with these headers is refused (``"host"`` or ``"origin"``), or None
    when it is not. No Origin (a non-browser client, or a plain page load) passes on Host."""
    if not is_host_allowed(host_header, allowed):
        return "host"
    if origin_header is not None and not is_same_origin(origin_header, host_header):
        return "origin"
    return None


def _escaped(value: object) -> str:
    """Hostile header text as it may reach the log: ASCII, quoted, cut short."""
    if value is None:
        return "(none)"
    text = str(value)
    return ascii(text[:_SHOWN]) + (
        f" (+{len(text) - _SHOWN} characters)" if len(text) > _SHOWN else ""
    )


class HostGuard:
    """ASGI middleware in front of the Streamlit app: an HTTP or WebSocket request whose Host
    is not one of ``allowed`` gets 400, one whose Origin is not its Host 403, each with a
    one-line plain-text body; the server's log names what was refused (escaped).

    A refused WebSocket handshake gets the same HTTP answer (ASGI's WebSocket Denial Response,
    which uvicorn supports); on a server without it, the handshake is closed (uvicorn: 403)."""

    def __init__(self, app, allowed: Iterable[str]):
        self.app = app
        self.allowed = tuple(dict.fromkeys(allowed))
        if not self.allowed:
            raise ValueError("HostGuard needs at least one allowed host name")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        from starlette.datastructures import Headers

        headers = Headers(scope=scope)
        host, origin = headers.get("host"), headers.get("origin")
        refused = refusal(host, origin, self.allowed)
        if refused is None:
            await self.app(scope, receive, send)
            return
        kind = "WebSocket" if scope["type"] == "websocket" else scope.get("method", "HTTP")
        client = scope.get("client") or ("?", 0)
        log.warning(
            "Refused %s %s from %s: %s; this server answers to %s (%s adds names)",
            kind,
            _escaped(scope.get("path", "")),
            _escaped(client[0]),
            f"Host {_escaped(host)} is not one of its addresses"
            if refused == "host"
            else f"Origin {_escaped(origin)} is not the address asked for (Host {_escaped(host)})",
            ", ".join(self.allowed),
            ENV,
        )
        await self._refuse(scope, receive, send, refused)

    @staticmethod
    async def _refuse(scope, receive, send, refused: str) -> None:
        from starlette.responses import PlainTextResponse
        from starlette.websockets import WebSocketClose

        status, body = (400, HOST_REFUSED) if refused == "host" else (403, ORIGIN_REFUSED)
        if scope["type"] == "websocket" and "websocket.http.response" not in scope.get(
            "extensions", {}
        ):
            await WebSocketClose(code=1008)(scope, receive, send)  # 1008: policy violation
            return
        await PlainTextResponse(body, status_code=status, headers={"Cache-Control": "no-store"})(
            scope, receive, send
        )
