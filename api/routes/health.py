"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from core.bootstrap import head_revision
from core.db import app_engine

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def _db_check() -> dict[str, Any]:
    with app_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = head_revision()
    return {"ok": current == head, "migration": current, "head": head}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        checks["postgres"] = await asyncio.to_thread(_db_check)
    except Exception as exc:
        checks["postgres"] = {"ok": False, "error": type(exc).__name__}
    client = request.app.state.temporal
    if client is None:
        checks["temporal"] = {"ok": False, "error": "not connected"}
    else:
        try:
            await asyncio.wait_for(client.service_client.check_health(), timeout=3)
            checks["temporal"] = {"ok": True}
        except Exception as exc:
            checks["temporal"] = {"ok": False, "error": type(exc).__name__}
    ok = all(c["ok"] for c in checks.values())
    return JSONResponse(status_code=200 if ok else 503, content={"ready": ok, "checks": checks})
