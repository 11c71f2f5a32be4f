"""A worker for the signing tests whose notifier and file store the tests can look into."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.base import Deps
from core.db import app_engine
from core.filestore import FileStore, LocalFileStore
from core.notify import RecordingNotifier


@dataclass
class SigningWorker:
    queue: str
    notifier: RecordingNotifier
    files: FileStore


@pytest.fixture
async def signing_worker(
    time_skipping: WorkflowEnvironment, database: str, tmp_path: Path
) -> AsyncIterator[SigningWorker]:
    from worker import build_worker

    notifier = RecordingNotifier()
    files = LocalFileStore(tmp_path / "files")
    queue = f"test-{uuid.uuid4().hex[:10]}"
    deps = Deps(engine=app_engine(), files=files, notifier=notifier)
    worker = build_worker(time_skipping.client, task_queue=queue, executor=ThreadPoolExecutor(4), deps=deps)
    async with worker:
        yield SigningWorker(queue, notifier, files)
