"""ASGI middleware of the web app: client address, input guard, security headers.

- ``TrustedProxies``: behind the reverse proxies of ``web.trusted_proxies``, the
  client is the right-most X-Forwarded-For address that is not one of them; any
  other peer's X-Forwarded-For is ignored.  ``cqf serve`` and ``cqf run`` both
  run uvicorn without its own proxy handling, so this is the only rule.
- ``InputGuard``: a NUL byte in the path, the query or a form body is refused
  with 400 before any route sees it (PostgreSQL refuses NUL in text: a 500 else).
- ``SecurityHeaders``: CSP (no inline script or style), framing, sniffing and
  referrer rules on every response.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_FORM_BYTES = 1 << 20
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; "
       "img-src 'self' data:; media-src 'self'; "  # our archived copies only: no hot-links
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
# FastAPI's /docs page runs Swagger UI from a CDN with an inline script.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline' "
                       "https://cdn.jsdelivr.net").replace(
    "style-src 'self'", "style-src 'self' https://cdn.jsdelivr.net").replace(
    "img-src 'self'", "img-src 'self' https://fastapi.tiangolo.com https://cdn.jsdelivr.net")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
           (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
           (b"cross-origin-opener-policy", b"same-origin")]
_NUL = re.compile(rb"%00|\x00", re.IGNORECASE)


def parse_networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(e.strip(), strict=False) for e in entries]


class TrustedProxies:
    def __init__(self, app: ASGIApp, networks: Iterable[str]) -> None:
        self.app = app
        self.networks = parse_networks(networks)

    def trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in net for net in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.networks:
            client = scope.get("client")
            if client and self.trusted(client[0]):
                headers = dict(_headers(scope, (b"x-forwarded-for", b"x-forwarded-proto")))
                chain = [h.strip() for h in headers.get(b"x-forwarded-for", b"").decode(
                    "latin-1").split(",") if h.strip()]
                for host in reversed(chain):
                    if not self.trusted(host):
                        if _is_address(host):  # garbage: keep the proxy's own address
                            scope = {**scope, "client": (host, 0)}
                        break
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip()
                if proto in ("http", "https"):
                    scope = {**scope, "scheme": proto}
        await self.app(scope, receive, send)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _headers(scope: Scope, names: tuple[bytes, ...]) -> list[tuple[bytes, bytes]]:
    return [(k.lower(), v) for k, v in scope.get("headers", []) if k.lower() in names]


class _HttpMiddleware:
    """Passes everything but HTTP requests straight on; ``http`` handles those."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class InputGuard(_HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
        if _NUL.search(raw_path) or "\x00" in scope.get("path", "") or _NUL.search(
                scope.get("query_string", b"")):
            await _refuse(scope, send, "a NUL character is not allowed in a URL")
            return
        content_type = dict(_headers(scope, (b"content-type",))).get(b"content-type", b"")
        if content_type.startswith(b"application/x-www-form-urlencoded"):
            body, receive = await _buffer(receive)
            if body is None:
                await _refuse(scope, send, "the form is too large", status=413)
                return
            if _NUL.search(body):
                await _refuse(scope, send, "a NUL character is not allowed in a form")
                return
        await self.app(scope, receive, send)


async def _buffer(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole (small) body, and a ``receive`` that replays it."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_FORM_BYTES:
            return None, receive
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _refuse(scope: Scope, send: Send, detail: str, status: int = 400) -> None:
    body = json.dumps({"error": "BadInput", "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *HEADERS]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders(_HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = HEADERS
        if scope.get("path") == "/docs":
            headers = [(b"content-security-policy", DOCS_CSP.encode()), *HEADERS[1:]]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []), *(
                    h for h in headers if h[0] not in present)]}
            await send(message)

        await self.app(scope, receive, with_headers)


class RedactTokens(logging.Filter):
    """Access-log lines never show a ``token=`` query value (signage screens send one)."""

    PATTERN = re.compile(r"(?i)([?&](?:access_)?token=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub(r"\1[redacted]", a) if isinstance(a, str)
                                else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = self.PATTERN.sub(r"\1[redacted]", record.msg)
        return True


def redact_access_log() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
