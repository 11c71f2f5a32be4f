"""A worker for the house-safety tests whose notifier the tests read (the house manager's and
the emergency contact's messages), and places to run them: a Pennsylvania house with its manager,
residents living there and a curfew."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.base import Deps
from core.db import app_engine
from core.filestore import LocalFileStore
from core.notify import RecordingNotifier


@dataclass
class SafetyWorker:
    queue: str
    notifier: RecordingNotifier


@pytest.fixture
async def safety_worker(
    time_skipping: WorkflowEnvironment, database: str, tmp_path: Path
) -> AsyncIterator[SafetyWorker]:
    from worker import build_worker

    notifier = RecordingNotifier()
    queue = f"test-{uuid.uuid4().hex[:10]}"
    deps = Deps(engine=app_engine(), files=LocalFileStore(tmp_path / "files"), notifier=notifier)
    worker = build_worker(time_skipping.client, task_queue=queue, executor=ThreadPoolExecutor(4), deps=deps)
    async with worker:
        yield SafetyWorker(queue, notifier)


__all__ = ["SafetyWorker", "date", "time"]
