"""Errors as clear 4xx answers that name the field; never a stack trace or a value echoed
back from the database."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

log = logging.getLogger("recoveryos.api")


def _field_of(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_of(e.get("loc", ())), "message": e.get("msg", "invalid"), "type": e.get("type")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(
            status_code=422,
            content={"error": "validation_error", "detail": f"invalid input — {summary}", "errors": errors},
        )

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        name = _constraint(exc)
        sqlstate = getattr(exc.orig, "sqlstate", None)
        field = None
        if name:
            m = re.match(r"(?:uq|ix|fk|ck)_[a-z_]+?_(.+)$", name)
            field = m.group(1) if m else name
        status = 409 if sqlstate == "23505" else 422
        msg = "already exists" if status == 409 else "violates a data rule"
        return JSONResponse(
            status_code=status,
            content={
                "error": "conflict" if status == 409 else "constraint_violation",
                "detail": f"{field or 'record'} {msg}",
                "constraint": name,
            },
        )

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        return JSONResponse(
            status_code=400, content={"error": "bad_value", "detail": "a value is out of range"}
        )

    @app.exception_handler(WorkflowUpdateFailedError)
    async def update_failed(request: Request, exc: WorkflowUpdateFailedError) -> JSONResponse:
        cause: BaseException | None = exc.cause
        while cause is not None and not isinstance(cause, ApplicationError):
            cause = cause.__cause__
        msg = cause.message if isinstance(cause, ApplicationError) else "the request was rejected"
        kind = cause.type if isinstance(cause, ApplicationError) else None
        return JSONResponse(status_code=409, content={"error": kind or "rejected", "detail": msg})

    @app.exception_handler(RPCError)
    async def rpc_error(request: Request, exc: RPCError) -> JSONResponse:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return JSONResponse(status_code=404, content={"error": "not_found", "detail": "no such process"})
        if exc.status == RPCStatusCode.ALREADY_EXISTS:
            return JSONResponse(status_code=409, content={"error": "conflict", "detail": "already started"})
        log.warning("temporal rpc error", extra={"grpc_status": exc.status.name})
        return JSONResponse(
            status_code=503, content={"error": "unavailable", "detail": "workflow engine error"}
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return JSONResponse(
            status_code=500,
            content={
                "error": "internal",
                "detail": "unexpected error",
                "request_id": getattr(request.state, "request_id", None),
            },
        )
