"""The error contract: every error body is RFC 9457 problem details
(`application/problem+json`: `type`, `title`, `status`, `detail`, plus `field` and `errors`
naming the offending input), never a stack trace or a value echoed back from the database.

A database or Temporal that cannot be reached is a 503 with `Retry-After`, never a 500.
`problem_responses(...)` declares the statuses a route can return in OpenAPI.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.fields import NO_NUL, NOT_BLANK
from core.errors import DOMAIN_ERRORS, DomainError, conflict_from_integrity

log = logging.getLogger("recoveryos.api")

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_UNAVAILABLE = 5


def _message(e: Any) -> str:
    pattern = (e.get("ctx") or {}).get("pattern")
    if pattern == NOT_BLANK:
        return "may not be blank or contain a NUL character"
    if pattern == NO_NUL:
        return "may not contain a NUL character"
    return str(e.get("msg", "invalid"))


class FieldError(BaseModel):
    field: str
    message: str
    type: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[FieldError] | None = None
    request_id: str | None = None


_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal",
    503: "unavailable",
}
_DESCRIPTIONS = {
    401: "Not signed in, session expired, or second factor still required",
    403: "Signed in, but the role does not allow this (or a cookie request came from a foreign origin)",
    404: "No such record in the caller's organisation",
    409: "Conflicts with the record's current state",
    422: "Invalid input; `field` names the offending field",
    429: "Too many failed attempts; retry after `Retry-After` seconds",
    503: "PostgreSQL or Temporal unreachable; retry after `Retry-After` seconds",
}


def problem_type(status: int) -> str:
    return f"urn:recoveryos:problem:{_SLUGS.get(status, str(status))}"


def problem(
    status: int,
    detail: str,
    *,
    request: Request | None = None,
    headers: Mapping[str, str] | None = None,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    title: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem_type(status),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if errors is not None:
        body["errors"] = errors
    rid = getattr(request.state, "request_id", None) if request is not None else None
    if rid:
        body["request_id"] = rid
    return JSONResponse(
        status_code=status, content=body, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the error statuses a route can return."""
    return {
        s: {
            "description": _DESCRIPTIONS.get(s, HTTPStatus(s).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }


def replayed_response(created: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI answer of a create that a repeated `Idempotency-Key` answers with the resource it
    created the first time (200 instead of 201)."""
    return {200: {"model": created, "description": "Created earlier with this Idempotency-Key"}}


def _field_of(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def unavailable(request: Request, what: str) -> JSONResponse:
    return problem(
        503,
        f"{what} is unreachable; retry shortly",
        request=request,
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        field = detail.split(":", 1)[0] if exc.status_code == 422 and ":" in detail else None
        return problem(exc.status_code, detail, request=request, headers=exc.headers, field=field)

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_of(e.get("loc", ())), "message": _message(e), "type": e.get("type")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(
            422,
            f"invalid input — {summary}",
            request=request,
            field=errors[0]["field"] if errors else "body",
            errors=errors,
        )

    def domain_problem(request: Request, exc: ApplicationError, status: int) -> JSONResponse:
        field = getattr(exc, "field", None)
        if field is None and exc.details and isinstance(exc.details[0], dict):
            field = exc.details[0].get("field")
        return problem(status, exc.message, request=request, field=field)

    @app.exception_handler(DomainError)
    async def domain(request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(request, exc, exc.status)

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        err = conflict_from_integrity(exc)
        if err is None:
            return unexpected(request, exc)
        return domain_problem(request, err, err.status)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        return problem(422, "a value is out of range", request=request, field="body")

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    async def database_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unreachable", extra={"error": type(exc).__name__})
        return unavailable(request, "the database")

    @app.exception_handler(WorkflowUpdateFailedError)
    async def update_failed(request: Request, exc: WorkflowUpdateFailedError) -> JSONResponse:
        cause: BaseException | None = exc.cause
        while cause is not None and not isinstance(cause, ApplicationError):
            cause = cause.__cause__
        if isinstance(cause, ApplicationError):
            known = DOMAIN_ERRORS.get(cause.type or "")
            return domain_problem(request, cause, known.status if known else 409)
        return problem(409, "the request was rejected", request=request)

    @app.exception_handler(RPCError)
    async def rpc_error(request: Request, exc: RPCError) -> JSONResponse:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return problem(404, "no such process", request=request)
        if exc.status == RPCStatusCode.ALREADY_EXISTS:
            return problem(409, "already started", request=request)
        log.warning("temporal rpc error", extra={"grpc_status": exc.status.name})
        return unavailable(request, "the workflow engine")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                webhooks=app.webhooks.routes,
            )
            comps = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, spec in (
                Problem.model_json_schema(ref_template="#/components/schemas/{model}")
                .pop("$defs", {})
                .items()
            ):
                comps[name] = spec
            comps["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            comps["Problem"].pop("$defs", None)
            # A body that is not JSON (or not the form it should be) is a 400 before any route
            # runs: every operation that takes a body says so.
            bad_body = problem_responses(400)[400]
            for operations in schema.get("paths", {}).values():
                for op in operations.values():
                    if "requestBody" in op:
                        op.setdefault("responses", {}).setdefault("400", bad_body)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def unexpected(request: Request, exc: Exception) -> JSONResponse:
    """The last resort, answered by the request middleware so it carries every header."""
    log.error("unhandled error", exc_info=exc)
    return problem(500, "unexpected error", request=request)
