"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from core import heartbeat
from core.bootstrap import head_revision
from core.config import get_settings
from core.db import app_engine

WORKER_SEEN_WITHIN = timedelta(minutes=2)

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process answers. Needs no sign-in and touches nothing else."""
    return {"status": "ok"}


def _db_check() -> dict[str, Any]:
    with app_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = head_revision()
    return {"ok": current == head, "migration": current, "head": head}


async def _worker_check(client: Client) -> dict[str, Any]:
    """Whether a worker polled the task queue lately (Temporal keeps pollers for minutes
    after they stop, so the last access time decides)."""
    s = get_settings()
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=s.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        ),
        timeout=timedelta(seconds=3),
    )
    cutoff = datetime.now(UTC) - WORKER_SEEN_WITHIN
    live = [p for p in resp.pollers if p.last_access_time.ToDatetime(tzinfo=UTC) > cutoff]
    if not live:
        return {"ok": False, "error": f"no worker polling task queue {s.task_queue!r}"}
    # Temporal lists a killed worker's pollers for a minute or more: the heartbeats in
    # PostgreSQL say within seconds whether any worker process is still there.
    beating = await asyncio.to_thread(heartbeat.live_workers, app_engine(), s.task_queue)
    if not beating:
        return {"ok": False, "error": f"no worker heartbeat on task queue {s.task_queue!r} lately"}
    return {"ok": True, "pollers": len(live), "workers": beating}


class ReadyOut(BaseModel):
    ready: bool
    checks: dict[str, dict[str, Any]]


@router.get(
    "/ready",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "A dependency is missing; `checks` says which"}},
)
async def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when PostgreSQL is at the latest migration, Temporal answers, a worker polls
    the task queue and a worker heartbeat is fresh; 503 naming what is missing otherwise."""
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
            checks["worker"] = await _worker_check(client)
        except Exception as exc:
            checks.setdefault("temporal", {"ok": False, "error": type(exc).__name__})
            checks.setdefault("worker", {"ok": False, "error": type(exc).__name__})
    ok = all(c["ok"] for c in checks.values())
    return JSONResponse(status_code=200 if ok else 503, content={"ready": ok, "checks": checks})
