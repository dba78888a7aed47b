"""Browsers are clients too: which web pages may call the gateway.

Any page the user visits can send a request to a server on their own machine: a
`text/plain` POST is a CORS "simple request", sent without a preflight, so a gateway
with no master key would spend the user's money for it (reading the answer is not even
needed). And DNS rebinding makes the page's own host name resolve to 127.0.0.1, so its
requests look same-origin to the browser. Two checks, as Ollama makes them:

- an `Origin` header other than the gateway's own is refused unless allowed
  (`--allow-origin`, Ollama's `OLLAMA_ORIGINS`: ollama/ollama docs/faq.md, "How can I
  allow additional web origins to access Ollama?");
- bound to a loopback address, a `Host` that is not a loopback name is refused: the
  DNS-rebinding defence (ollama/ollama server/routes.go `allowedHost`, tightened in
  ollama/ollama#17721; the advisory class: CVE-2024-28224, Ollama's DNS rebinding, and
  the same fix in Jupyter, VS Code and Vite's dev servers).

Requests with no `Origin` (SDKs, curl) are not browsers' cross-site requests and pass.
The refusal is a 403 in the endpoint's own error shape.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from llmcli.errors import UsageError
from llmcli.gateway.errors import GatewayError, anthropic_error, openai_error

LOOPBACK_NAMES = frozenset({"localhost"})
ANY = "*"


def origin_of(url: str) -> str:
    """`https://app.example.com/path` → `https://app.example.com` (a UsageError if it
    is not an http(s) origin); `*` stays `*`."""
    text = url.strip().rstrip("/")
    if text == ANY:
        return ANY
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
        raise UsageError(
            f"--allow-origin {url}: give an origin such as https://app.example.com (or *)"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _host_name(host: str) -> str:
    """`127.0.0.1:4000` → `127.0.0.1`; `[::1]:4000` → `::1`; lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback_host(host: str) -> bool:
    name = _host_name(host)
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Guard:
    """The origin and host checks, around the whole app (API, pages, vote)."""

    def __init__(
        self,
        app: ASGIApp,
        allow: Iterable[str] = (),
        loopback: bool = True,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.log = log
        self.origins = frozenset(allow)
        self.any_origin = ANY in self.origins
        # The allowed origins' hosts are the user's own names for this server.
        self.hosts = frozenset(_host_name(urlsplit(o).netloc) for o in self.origins if o != ANY)
        self.loopback = loopback

    def refusal(self, headers: dict[bytes, bytes], scheme: str) -> str | None:
        host = headers.get(b"host", b"").decode("latin-1")
        if self.loopback and not (is_loopback_host(host) or _host_name(host) in self.hosts):
            return f"host {host or '(none)'!r} is not allowed: call the gateway as localhost"
        origin = headers.get(b"origin")
        if origin is None or self.any_origin:
            return None
        given = origin.decode("latin-1").strip().rstrip("/").lower()
        if given in self.origins or given == f"{scheme}://{host.lower()}":
            return None
        return f"origin {given!r} is not allowed (llmcli serve --allow-origin {given})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        why = self.refusal(headers, scope.get("scheme", "http"))
        if why is None:
            await self.app(scope, receive, send)
            return
        if self.log is not None:  # the user sees why their page got nothing
            self.log(f"{scope['method']} {scope['path']} 403 {why}")
        err = GatewayError(403, why, "permission")
        anthropic = scope["path"].rstrip("/").endswith("/messages")
        body = json.dumps(anthropic_error(err) if anthropic else openai_error(err)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-should-retry", b"false"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
