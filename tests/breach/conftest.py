"""A worker for the breach tests whose notifier and file store the tests can look into, and
residents who live in a given state."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.base import Deps
from core.db import app_engine, tenant_session
from core.filestore import FileStore, LocalFileStore
from core.notify import RecordingNotifier
from models.residents import Resident


@dataclass
class BreachWorker:
    queue: str
    notifier: RecordingNotifier
    files: FileStore


@pytest.fixture
async def breach_worker(
    time_skipping: WorkflowEnvironment, database: str, tmp_path: Path
) -> AsyncIterator[BreachWorker]:
    from worker import build_worker

    notifier = RecordingNotifier()
    files = LocalFileStore(tmp_path / "files")
    queue = f"test-{uuid.uuid4().hex[:10]}"
    deps = Deps(engine=app_engine(), files=files, notifier=notifier)
    worker = build_worker(time_skipping.client, task_queue=queue, executor=ThreadPoolExecutor(4), deps=deps)
    async with worker:
        yield BreachWorker(queue, notifier, files)


def resident_in(org_id: uuid.UUID, state: str, first: str = "Odalys", last: str = "Verhoeven") -> uuid.UUID:
    """A former resident whose last known address is in `state`."""
    with tenant_session(org_id, actor_type="test") as s:
        r = Resident(
            org_id=org_id,
            first_name=first,
            last_name=last,
            prior_address={
                "line1": "12 Alder Lane",
                "city": "Springfield",
                "state": state,
                "postal_code": "00000",
            },
        )
        s.add(r)
        s.flush()
        return r.id
