"""Typed dependencies so routes read as plain signatures."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session
from temporalio.client import Client

from api.auth import SESSION_COOKIE, Principal, Throttled, resolve, resolve_api_key
from api.middleware import check_same_origin
from core import audit
from core.db import tenant_session
from core.enums import AuditAction
from core.filestore import FileStore, file_store_from_settings
from core.permissions import Perm
from services.api_keys import PREFIX as API_KEY_PREFIX

oauth2 = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def client_ip(request: Request) -> str | None:
    """The peer address, or the client a trusted proxy named (api.middleware.TrustedProxies)."""
    return request.client.host if request.client else None


def _session(request: Request, token: str | None, *, keys: bool = True) -> Principal:
    from_cookie = not token
    token = token or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "authentication required", headers={"WWW-Authenticate": "Bearer"}
        )
    if from_cookie:
        check_same_origin(request)
    elif token.startswith(API_KEY_PREFIX):
        return _api_key(request, token, keys)
    p = resolve(token, request_id=request.state.request_id, source_ip=client_ip(request))
    if p is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "session expired or invalid", headers={"WWW-Authenticate": "Bearer"}
        )
    return p


def _api_key(request: Request, token: str, allowed: bool) -> Principal:
    """A call made with an API key (`Authorization: Bearer rok_...`): authenticated like a
    session, then recorded in the org's audit trail as the key's, route and method only."""
    if not allowed:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "an API key cannot sign in; use it on other routes")
    try:
        p = resolve_api_key(token, request_id=request.state.request_id, source_ip=client_ip(request))
    except Throttled as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"this API key's rate limit is used up; retry after {exc.retry_after} s",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    if p is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "API key unknown, revoked or expired",
            headers={"WWW-Authenticate": "Bearer"},
        )
    route = request.scope.get("route")
    with tenant(p) as s:
        audit.record(
            s,
            AuditAction.EXECUTE,
            "api_keys",
            p.api_key_id,
            {"method": request.method, "route": getattr(route, "path", None) or "unknown"},
        )
    return p


def current_principal(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    p = _session(request, token)
    if p.mfa_pending:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "second factor required: POST /v1/auth/mfa/verify",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return p


def signing_in_principal(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    """A full session or one still waiting for its second factor (never an API key)."""
    return _session(request, token, keys=False)


CurrentUser = Annotated[Principal, Depends(current_principal)]
SigningInUser = Annotated[Principal, Depends(signing_in_principal)]


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in its
# thread pool, a hop (and a GIL hand-off) per dependency per request.
def require(perm: Perm) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(p: CurrentUser) -> Principal:
        if not p.can(perm):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"your role does not allow {perm.value}")
        return p

    return check


def require_any(*perms: Perm) -> Callable[[Principal], Principal]:
    """Any one of `perms` (e.g. staff reading residents, or a resident reading themself; the
    scope in the database then decides which rows)."""

    def check(p: CurrentUser) -> Principal:
        if not any(p.can(perm) for perm in perms):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"your role does not allow {' or '.join(x.value for x in perms)}"
            )
        return p

    return check


@contextmanager
def tenant(p: Principal) -> Iterator[Session]:
    """The caller's org, scope, user, request id and address, in one transaction."""
    with tenant_session(
        p.org_id,
        p.user_id,
        actor_type=p.actor_type,
        request_id=p.request_id,
        source_ip=p.source_ip,
        scope=p.scope,
    ) as s:
        yield s


P = ParamSpec("P")
R = TypeVar("R")


class TenantDB:
    """The caller's tenant transaction, for routes: `await db.run(service_fn, *args)` runs a
    service function off the event loop in one transaction scoped to the caller's org."""

    def __init__(
        self, p: Principal | None, opener: Callable[[], AbstractContextManager[Session]] | None = None
    ) -> None:
        self._open = opener or (lambda: tenant(p))  # type: ignore[arg-type]

    @classmethod
    def for_link(cls, org_id: uuid.UUID, request_id: str | None, source_ip: str | None) -> TenantDB:
        """For pages a signing link authorises: the link's org, no user."""
        return cls(
            None,
            lambda: tenant_session(
                org_id, None, actor_type="signing_link", request_id=request_id, source_ip=source_ip
            ),
        )

    async def run(self, fn: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
        def call() -> R:
            with self._open() as s:
                return fn(s, *args, **kwargs)

        return await asyncio.to_thread(call)


async def tenant_db(p: CurrentUser) -> TenantDB:
    return TenantDB(p)


TenantDep = Annotated[TenantDB, Depends(tenant_db)]


def temporal_client(request: Request) -> Client:
    client: Client | None = request.app.state.temporal
    if client is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "workflow engine unavailable, retry shortly")
    return client


@functools.lru_cache(maxsize=1)
def _files() -> FileStore:
    return file_store_from_settings()


def files() -> FileStore:
    """Where the worker writes the files processes make (letters, reports, exports); tests may
    override this dependency."""
    return _files()


FilesDep = Annotated[FileStore, Depends(files)]


def attachment(data: bytes, media_type: str, name: str) -> Response:
    """A file to download, never cached (it holds PHI)."""
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
