"""Workers that say they are alive: what `/ready` reads to see a dead worker in seconds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class WorkerHeartbeat(Base):
    """One row per worker process, refreshed every couple of seconds while it polls. No org: a
    worker serves every org. Temporal keeps a poller listed for minutes after its process died,
    so this row's age, not the poller list, says whether a worker is there."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(primary_key=True)
    task_queue: Mapped[str]
    seen_at: Mapped[datetime]

    __table_args__ = (Index("ix_worker_heartbeats_queue_seen", "task_queue", "seen_at"),)
