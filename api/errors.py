"""Errors as clear 4xx answers that name the field; never a stack trace or a value echoed
back from the database."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.processes import StillRunning
from core.errors import DOMAIN_ERRORS, DomainError, conflict_from_integrity

log = logging.getLogger("recoveryos.api")


def _field_of(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


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

    def domain_response(exc: DomainError | ApplicationError, status: int) -> JSONResponse:
        field = getattr(exc, "field", None)
        if field is None and exc.details and isinstance(exc.details[0], dict):
            field = exc.details[0].get("field")
        body = {"error": exc.type or "rejected", "detail": exc.message}
        if field:
            body["field"] = field
        return JSONResponse(status_code=status, content=body)

    @app.exception_handler(DomainError)
    async def domain(request: Request, exc: DomainError) -> JSONResponse:
        return domain_response(exc, exc.status)

    @app.exception_handler(StillRunning)
    async def still_running(request: Request, exc: StillRunning) -> JSONResponse:
        return JSONResponse(status_code=202, content=exc.accepted.model_dump(mode="json"))

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        err = conflict_from_integrity(exc)
        if err is None:
            return await unexpected(request, exc)
        return domain_response(err, err.status)

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
        if isinstance(cause, ApplicationError):
            known = DOMAIN_ERRORS.get(cause.type or "")
            return domain_response(cause, known.status if known else 409)
        return JSONResponse(
            status_code=409, content={"error": "rejected", "detail": "the request was rejected"}
        )

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
