"""FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.routing import APIRoute

import registry
from api import docs as api_docs
from api import errors, middleware, processes
from api.errors import problem_responses
from api.routes import auth, codec, health
from api.routes.webhooks import outgoing as outgoing_webhooks
from core.codec import codec_from_settings
from core.config import get_settings
from core.temporal import connect, ensure_search_attributes

log = logging.getLogger("recoveryos.api")


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0] if route.tags else 'default'}-{route.name}"


async def _connect_forever(app: FastAPI) -> None:
    """The API answers /health while Temporal is still starting; /ready says when it is up."""
    delay = 0.5
    while app.state.temporal is None:
        try:
            client = await connect()
            app.state.search_attributes = await ensure_search_attributes(client)
            app.state.temporal = client
            log.info("connected to temporal")
        except Exception as exc:
            log.warning("temporal not reachable yet", extra={"error": type(exc).__name__})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.temporal = None
    if not get_settings().stripe_webhook_secret:
        log.info("stripe webhooks not configured (RECOVERYOS_STRIPE_WEBHOOK_SECRET): each call is a 400")
    task = asyncio.create_task(_connect_forever(app))
    # Everything imported so far (FastAPI, SQLAlchemy, pydantic, the models) lives as long as
    # the process: out of the collector's sight, a full collection no longer rescans it, which
    # was a 150 ms pause every few large requests (the bed board's p99).
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        task.cancel()


def create_app() -> FastAPI:
    s = get_settings()
    docs = s.environment != "production" or s.docs_in_production
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        title="RecoveryOS API",
        version="0.1.0",
        description="Backend for sober-living operators. Part 2 / HIPAA data: responses carrying it are "
        "sent with Cache-Control: no-store.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.temporal = None
    app.state.search_attributes = False
    app.state.codec = codec_from_settings()
    app.add_middleware(
        middleware.CodecOnlyCORS,
        allow_origins=s.codec_cors_origins,
        allow_credentials=True,
        allow_methods=["POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
    )
    if docs:
        api_docs.install(app, "/openapi.json")
    middleware.install(app)
    errors.install(app)
    processes.install(app)
    # What every route of a router can answer besides its own statuses (api/errors.py).
    signed_in = problem_responses(401, 403, 422, 503)
    app.include_router(health.router)
    app.include_router(auth.router, responses=problem_responses(401, 422, 429, 503))
    app.include_router(codec.router, responses=signed_in)
    # What we send to webhook endpoints, documented in OpenAPI's `webhooks` section.
    app.webhooks.include_router(outgoing_webhooks.router)
    for r in registry.routers():
        app.include_router(r, responses={**signed_in, **problem_responses(404, 409)})
    return app
