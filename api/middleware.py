"""Request ids, one access-log line per request (method, route, status, duration), the
headers every response carries, same-origin checks for cookie sessions, and the client
address: `X-Forwarded-For` counts only when the peer is a configured trusted proxy.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import unexpected
from core.config import get_settings
from core.logging import request_id_var

log = logging.getLogger("recoveryos.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PRIVATE_PREFIXES = ("/v1/", "/codec/", "/login", "/me")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# HTML pages may not be framed (clickjacking of the login and, later, signing pages).
HTML_CSP = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip(value: str) -> str | None:
    """A canonical IP address, or None for anything else (ports, names, garbage)."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


class TrustedProxies:
    """Replaces the peer address with the client named in `X-Forwarded-For`, but only when
    the peer is a trusted proxy. The header is read right to left, skipping trusted hops;
    a header with any entry that is not an IP address is ignored as a whole."""

    def __init__(self, app: ASGIApp, trusted: Iterable[str] = ()) -> None:
        self.app = app
        self.trusted: list[Network] = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def _is_trusted(self, host: str | None) -> bool:
        if not host or not self.trusted:
            return False
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def client_from(self, peer: str | None, xff: list[str]) -> str | None:
        if not xff or not self._is_trusted(peer):
            return peer
        hops = [_ip(h) for h in ",".join(xff).split(",")]
        if any(h is None for h in hops):
            return peer
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return hops[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            peer = client[0] if client else None
            xff = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-forwarded-for"]
            host = self.client_from(peer, xff)
            if host != peer:
                scope = dict(scope, client=(host, 0))
        await self.app(scope, receive, send)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_same_origin(request: Request) -> None:
    """A cookie-authenticated request that changes state must come from our own pages (or
    the configured Temporal UI origins): browsers send `Origin`, a forged page cannot."""
    if request.method in SAFE_METHODS:
        return
    s = get_settings()
    allowed = {
        _origin(s.public_base_url),
        _origin(str(request.base_url)),
        *(o.lower() for o in s.codec_cors_origins),
    }
    origin = request.headers.get("origin") or (
        _origin(request.headers["referer"]) if request.headers.get("referer") else None
    )
    if origin is None or origin.lower() not in allowed:
        raise HTTPException(403, "cross-origin request refused: cookie sessions need a same-origin Origin")


class RequestContext:
    """Request id, response headers and one access-log line per request, as plain ASGI.

    (Starlette's `@app.middleware("http")` runs every request through a task group and a
    memory stream; this does the same work with a wrapped `send`.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        s = get_settings()
        production = s.environment == "production"
        self.hsts = f"max-age={s.hsts_max_age_seconds}; includeSubDomains" if production else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        token = request_id_var.set(rid)
        private = scope["path"].startswith(PRIVATE_PREFIXES)
        start = time.perf_counter()
        status = 500
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers["X-Content-Type-Options"] = "nosniff"
                if headers.get("content-type", "").startswith("text/html"):
                    # A page that sets its own policy (signing, payment) keeps it; others get ours.
                    if "content-security-policy" not in headers:
                        headers["Content-Security-Policy"] = HTML_CSP
                    headers["X-Frame-Options"] = "DENY"
                if self.hsts is not None:
                    headers["Strict-Transport-Security"] = self.hsts
                if private:
                    # Finding F2: Part 2 data must not outlive a consent revocation in any cache.
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_with_headers)
            except Exception as exc:
                if started:
                    raise
                await unexpected(Request(scope), exc)(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    # The route template, not the path: paths can carry signing tokens.
                    "route": getattr(route, "path", "unmatched"),
                    "status": status,
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )
            request_id_var.reset(token)


def install(app: FastAPI) -> None:
    s = get_settings()
    app.add_middleware(RequestContext)
    # Outermost, so every later layer (and the audit log) sees the real client address.
    app.add_middleware(TrustedProxies, trusted=s.trusted_proxies)


class CodecOnlyCORS:
    """CORS for the Temporal UI's codec endpoint only: the UI's origin may call `/codec` with
    credentials (the signed-in operator's cookie); no other route is offered to any origin."""

    def __init__(self, app: ASGIApp, /, **options: Any) -> None:
        from starlette.middleware.cors import CORSMiddleware

        self.app = app
        self.cors = CORSMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == "/codec" or scope["path"].startswith("/codec/")):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
