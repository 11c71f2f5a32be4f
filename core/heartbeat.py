"""A worker process's heartbeat in PostgreSQL, shared by every API replica's `/ready`."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger("recoveryos.worker")

EVERY = timedelta(seconds=2)
# A worker whose row is older than this is gone (killed, frozen, cut off from the database).
STALE_AFTER = timedelta(seconds=6)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def beat(engine: Engine, worker_id: str, task_queue: str, at: datetime | None) -> None:
    """Upsert this worker's row; `at` None marks it stopped (a clean shutdown says so at once)."""
    seen = at or datetime.min.replace(tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO worker_heartbeats (worker_id, task_queue, seen_at) VALUES (:w, :q, :at) "
                "ON CONFLICT (worker_id) DO UPDATE SET seen_at = excluded.seen_at"
            ),
            {"w": worker_id, "q": task_queue, "at": seen},
        )


def live_workers(engine: Engine, task_queue: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM worker_heartbeats "
                    "WHERE task_queue = :q AND seen_at > now() - :stale"
                ),
                {"q": task_queue, "stale": STALE_AFTER},
            ).scalar_one()
        )


async def beat_forever(engine: Engine, worker_id: str, task_queue: str) -> None:
    """Until cancelled; a database hiccup costs one beat, not the worker."""
    try:
        while True:
            try:
                await asyncio.to_thread(beat, engine, worker_id, task_queue, datetime.now(UTC))
            except Exception as exc:
                log.warning("heartbeat not written", extra={"error": type(exc).__name__})
            await asyncio.sleep(EVERY.total_seconds())
    finally:
        try:
            await asyncio.to_thread(beat, engine, worker_id, task_queue, None)
        except Exception as exc:
            log.warning("heartbeat not cleared", extra={"error": type(exc).__name__})
