"""A receiver and a worker for the webhook tests: the worker may call that receiver (and no
other local address), gives it 1 s to answer, and keeps the e-mails it was asked to send."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.base import Deps
from core.db import app_engine
from core.egress import Egress, EgressPolicy
from core.notify import RecordingNotifier
from tests.webhooks.receiver import Receiver

TIMEOUT_SECONDS = 1.0


@dataclass
class WebhookWorker:
    queue: str
    notifier: RecordingNotifier


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()


def receiver_deps(receiver: Receiver, notifier: RecordingNotifier) -> Deps:
    """The worker's dependencies, its egress allowed to call this receiver only."""
    policy = EgressPolicy(allowed=frozenset({("127.0.0.1", receiver.port)}))
    return Deps(engine=app_engine(), notifier=notifier, egress=Egress(policy, TIMEOUT_SECONDS))


@pytest.fixture
async def webhook_worker(
    time_skipping: WorkflowEnvironment, database: str, receiver: Receiver
) -> AsyncIterator[WebhookWorker]:
    from worker import build_worker

    notifier = RecordingNotifier()
    deps = receiver_deps(receiver, notifier)
    queue = f"test-{uuid.uuid4().hex[:10]}"
    worker = build_worker(time_skipping.client, task_queue=queue, executor=ThreadPoolExecutor(4), deps=deps)
    async with worker:
        yield WebhookWorker(queue, notifier)
