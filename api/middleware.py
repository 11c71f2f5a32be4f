"""Request ids and one access-log line per request (method, route, status, duration)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from core.logging import request_id_var

log = logging.getLogger("recoveryos.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PRIVATE_PREFIXES = ("/v1/", "/codec/", "/login")


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = rid
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = rid
            if request.url.path.startswith(PRIVATE_PREFIXES):
                # Finding F2: Part 2 data must not outlive a consent revocation in any cache.
                response.headers["Cache-Control"] = "no-store"
                response.headers["Pragma"] = "no-cache"
            return response
        finally:
            route = request.scope.get("route")
            log.info(
                "request",
                extra={
                    "method": request.method,
                    # The route template, not the path: paths can carry signing tokens.
                    "route": getattr(route, "path", "unmatched"),
                    "status": status,
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )
            request_id_var.reset(token)
